"""Benchmark the metric suite: Ibis→DuckDB vs hand-written DuckDB SQL vs pandas, on the same numbers.

    python benchmarks/bench_metrics.py               # 10M interactions (≈ 3 GB RAM, a few minutes)
    python benchmarks/bench_metrics.py --rows 1e6    # smaller

Generates a seeded synthetic workspace (``hudong.metrics.synthetic``), runs every registered metric
through Ibis→DuckDB, then a representative subset three ways (``hudong.metrics.reference``), checks
that the three agree, and prints timings side by side. Targets: Ibis within 1.5× of hand-written SQL,
and ≥ 5× faster than pandas. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hudong.metrics import compute, list_metrics, reference, synthetic
from hudong.metrics import testing as T


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if len(a) != len(b):
        return False
    return bool(np.allclose(a["value"].astype(float).to_numpy(), b["value"].astype(float).to_numpy(), rtol=1e-9,
                            equal_nan=True))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=10_000_000, help="synthetic interactions (default 10M)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs per engine (default 2)")
    ap.add_argument("--dir", type=Path, default=None, help="workspace directory (default: a temporary one)")
    ap.add_argument("--skip-suite", action="store_true", help="only the three-engine subset")
    args = ap.parse_args(argv)
    rows = int(args.rows)
    tmp = tempfile.TemporaryDirectory() if args.dir is None else None
    path = Path(tmp.name if tmp else args.dir) / "bench"

    t0 = time.perf_counter()
    data = synthetic.generate(rows, seed=args.seed)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    ws = T.workspace(path)
    ws.con.execute("BEGIN")
    for name, table in data.items():  # fresh workspace and unique keys: plain inserts, no upsert diffing
        ws.append(name, table)
    ws.con.execute("COMMIT")
    t_load = time.perf_counter() - t0
    del data
    sizes = {n: ws.count(n) for n in ("interactions", "posts", "users", "orders", "survey_responses")}
    print(f"data: {sizes}  (generate {t_gen:.1f} s, load into DuckDB {t_load:.1f} s)")

    if not args.skip_suite:
        print("\nFull suite, Ibis→DuckDB (by=() unless noted):")
        total = 0.0
        for m in list_metrics():
            t, out = best_of(lambda m=m: compute(ws, m.name), 1)
            total += t
            print(f"  {m.name:36s} {t:7.2f} s  rows={out.num_rows}")
        print(f"  {'TOTAL':36s} {total:7.2f} s")

    t0 = time.perf_counter()
    names = ("accounts", "users", "posts", "interactions", "orders", "survey_responses")
    frames = {n: ws.con.execute(f'SELECT * FROM "{n}"').df() for n in names}
    t_read = time.perf_counter() - t0
    print(f"\nSubset, three engines (best of {args.repeat}); pandas excludes reading the tables ({t_read:.1f} s):")
    print(f"  {'metric':34s} {'by':16s} {'ibis':>8s} {'sql':>8s} {'pandas':>8s} {'ibis/sql':>9s} "
          f"{'pandas/ibis':>11s}  agree")
    tot = {"ibis": 0.0, "sql": 0.0, "pandas": 0.0}
    ok_all = True
    for name, by in reference.SUBSET.items():
        t_i, r_i = best_of(lambda name=name, by=by: compute(ws, name, by=list(by)).to_pandas(), args.repeat)
        t_s, r_s = best_of(lambda name=name: ws.con.execute(reference.SQL[name]).df(), args.repeat)
        fn = reference.PANDAS[name][0]
        t_p, r_p = best_of(lambda fn=fn: fn(frames), 1)
        ok = same(r_i, r_s) and same(r_i, r_p)
        ok_all &= ok
        tot["ibis"] += t_i
        tot["sql"] += t_s
        tot["pandas"] += t_p
        print(f"  {name:34s} {','.join(by) or '-':16s} {t_i:8.2f} {t_s:8.2f} {t_p:8.2f} {t_i / t_s:9.2f} "
              f"{t_p / t_i:11.1f}  {'yes' if ok else 'NO'}")
    print(f"  {'TOTAL':34s} {'':16s} {tot['ibis']:8.2f} {tot['sql']:8.2f} {tot['pandas']:8.2f} "
          f"{tot['ibis'] / tot['sql']:9.2f} {tot['pandas'] / tot['ibis']:11.1f}  {'yes' if ok_all else 'NO'}")
    ratio_sql = tot["ibis"] / tot["sql"]
    ratio_pd = tot["pandas"] / tot["ibis"]
    print(f"\ntargets: ibis/sql ≤ 1.5 → {ratio_sql:.2f} ({'met' if ratio_sql <= 1.5 else 'MISSED'}); "
          f"pandas/ibis ≥ 5 → {ratio_pd:.1f} ({'met' if ratio_pd >= 5 else 'MISSED'})")
    # A pandas tool must first load the tables into memory; DuckDB queries its file in place.
    print(f"pandas including reading the tables once ({t_read:.1f} s): "
          f"{(tot['pandas'] + t_read) / tot['ibis']:.1f}× Ibis")
    ws.close()
    if tmp:
        tmp.cleanup()
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
