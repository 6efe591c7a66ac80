"""Demo at full size: row counts (≥ 1M interactions) and timings of generation and of each import.

    .venv/bin/python benchmarks/bench_demo.py [--scale 1.0] [--interactions-format csv|parquet]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import hudong
from hudong.demo import build


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--interactions-format", default="csv", choices=["csv", "parquet"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = build(Path(tmp) / "ws", seed=args.seed, scale=args.scale, progress=False,
                       interactions_format=args.interactions_format)  # fmt: skip
        total = time.perf_counter() - t0
        print(f"generate: {result.seconds['generate']:.1f} s")
        for (path, _fmt), summary in zip(result.files, result.summaries, strict=True):
            size = path.stat().st_size / 1e6
            print(f"import {path.name:<34} {summary.rows_read:>9,} rows {size:7.1f} MB "
                  f"{result.seconds[path.name]:6.2f} s  quarantined {summary.quarantined}")  # fmt: skip
        imports = sum(v for k, v in result.seconds.items() if k != "generate")
        print(f"import total: {imports:.1f} s; build total: {total:.1f} s")
        with hudong.open(result.path, read_only=True) as ws:
            for table in ("accounts", "users", "posts", "interactions", "follows", "orders", "survey_responses",
                          "campaigns"):  # fmt: skip
                print(f"{table:<17} {ws.count(table):>10,}")
            n = ws.count("interactions")
        if args.scale >= 1.0:
            assert n >= 1_000_000, n


if __name__ == "__main__":
    main()
