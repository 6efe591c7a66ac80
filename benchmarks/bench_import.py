"""Import speed: hudong's ``import_file`` vs DuckDB's own ``read_csv`` + ``INSERT`` of the same CSV.

    python benchmarks/bench_import.py [--rows N] [--keep DIR]

Generates a synthetic, schema-shaped interactions CSV (ids, types, pseudonymous-looking actors, ISO
timestamps, some comment text with phone numbers and e-mail addresses to redact), then times:
  1. hudong: read + parse + validate + pseudonymise + redact + upsert + bookkeeping, one transaction;
  2. duckdb: ``INSERT INTO interactions SELECT … FROM read_csv(…)`` into an empty table of the same schema
     (no validation, no privacy: the floor for "just load it").
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from hudong.store import schema as S
from hudong.store.workspace import Workspace

TYPES = np.array(["like", "comment", "repost", "view", "click", "save", "follow"])
COMMENTS = np.array(
    [
        "好喜欢这个!",
        "什么时候上新?",
        "已下单,期待",
        "联系我 13812345678",
        "mail me at fan@example.com",
        "Great post #brand",
        "客服电话 +86 139-1234-5678 打不通",
        "",
    ]
)


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    types = TYPES[rng.integers(0, len(TYPES), rows)]
    start = np.datetime64("2024-01-01T00:00:00")
    times = start + rng.integers(0, 180 * 86400, rows).astype("timedelta64[s]")
    is_comment = types == "comment"
    text = np.where(is_comment, COMMENTS[rng.integers(0, len(COMMENTS), rows)], "")
    table = pa.table(
        {
            "platform": np.where(rng.random(rows) < 0.7, "weibo", "xiaohongshu"),
            "interaction_id": np.char.add("i", np.arange(rows).astype(str)),
            "type": types,
            "actor_id": np.char.add("fan", rng.integers(0, 50_000, rows).astype(str)),
            "target_post_id": np.char.add("p", rng.integers(0, 5_000, rows).astype(str)),
            "created_at": np.datetime_as_string(times, unit="s"),
            "dwell_seconds": np.where(types == "view", np.round(rng.exponential(20, rows), 1).astype(str), ""),
            "text": text,
            "is_inbound": np.where(is_comment, np.where(rng.random(rows) < 0.3, "true", "false"), ""),
        }
    )
    pcsv.write_csv(table, path)


def bench_hudong(csv_path: Path, work: Path) -> tuple[float, str]:
    from hudong.ingest import import_file

    ws = Workspace.init(work / "ws-hudong")
    t0 = time.perf_counter()
    summary = import_file(ws, csv_path, "generic-interactions")
    elapsed = time.perf_counter() - t0
    ws.close()
    return elapsed, str(summary)


def bench_duckdb(csv_path: Path, work: Path) -> float:
    con = duckdb.connect(str(work / "plain.duckdb"))
    con.execute(S.ddl(S.INTERACTIONS))
    cols = [c.name for c in S.INTERACTIONS.columns]
    t0 = time.perf_counter()
    present = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_csv('{csv_path}', header=true)").fetchall()]
    select = ", ".join(f'"{c}"' if c in present else f'NULL AS "{c}"' for c in cols)
    con.execute(
        f"INSERT INTO interactions ({', '.join(cols)}, source_file, importer, batch_id) "
        f"SELECT {select}, 'bench.csv', 'duckdb', 'b' FROM read_csv('{csv_path}', header=true)"
    )
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, help="keep the generated files in this directory")
    args = ap.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hudong-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        csv_path = work / "interactions.csv"
        t0 = time.perf_counter()
        make_csv(csv_path, args.rows)
        print(
            f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s"
        )
        t_duck = bench_duckdb(csv_path, work)
        t_hudong, summary = bench_hudong(csv_path, work)
        print(summary)
        print()
        print(f"{'':<28}{'seconds':>10}{'rows/s':>14}")
        print(f"{'duckdb read_csv + INSERT':<28}{t_duck:>10.2f}{args.rows / t_duck:>14,.0f}")
        print(f"{'hudong import_file':<28}{t_hudong:>10.2f}{args.rows / t_hudong:>14,.0f}")
        print(f"ratio hudong / duckdb: {t_hudong / t_duck:.1f}×")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
