"""Import speed and memory: hudong's ``import_file`` vs DuckDB's own ``read_csv`` + ``INSERT`` of the same CSV.

    python benchmarks/bench_import.py [--rows N] [--keep DIR] [--ced]

Generates a synthetic, schema-shaped interactions CSV (ids, types, pseudonymous-looking actors, ISO
timestamps, some comment text with phone numbers and e-mail addresses to redact), then measures, each side in a
fresh process (seconds and peak resident memory):
  1. hudong: read in chunks + parse + validate + pseudonymise + redact + stage + upsert + bookkeeping;
  2. duckdb: ``INSERT INTO interactions SELECT … FROM read_csv(…)`` into an empty table of the same schema
     (no validation, no privacy: the floor for "just load it"), DuckDB's default memory settings.
``--ced`` also imports the real CED reposts file (1.02M rows, ``../shared/data/weibo_ced_rumor_cascades``) with
``weibo-ced-reposts`` (posts + interactions) and reports its peak memory: issue #19 asks < 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from hudong.progress import peak_rss_mb
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


def bench_hudong(csv_path: Path, work: Path, fmt: str = "generic-interactions") -> tuple[float, str]:
    from hudong.ingest import import_file

    ws = Workspace.init(work / f"ws-hudong-{csv_path.stem}")
    t0 = time.perf_counter()
    summary = import_file(ws, csv_path, fmt)
    elapsed = time.perf_counter() - t0
    ws.close()
    return elapsed, str(summary)




def in_child(side: str, path: Path, work: Path, fmt: str = "generic-interactions") -> dict:
    """Run one side in a fresh Python process: its peak memory is its own."""
    out = subprocess.run(
        [sys.executable, __file__, "--side", side, "--csv", str(path), "--work", str(work), "--format", fmt],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    ap.add_argument("--ced", action="store_true", help="also import the real CED reposts file (1.02M rows)")
    ap.add_argument("--side", choices=["hudong", "duckdb"], help=argparse.SUPPRESS)  # one side, in a child
    ap.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--format", default="generic-interactions", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.side:
        if args.side == "hudong":
            seconds, summary = bench_hudong(args.csv, args.work, args.format)
        else:
            seconds, summary = bench_duckdb(args.csv, args.work), ""
        print(json.dumps({"seconds": seconds, "maxrss_mb": peak_rss_mb(), "summary": summary}))
        return 0
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hudong-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        csv_path = work / "interactions.csv"
        t0 = time.perf_counter()
        make_csv(csv_path, args.rows)
        print(
            f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s"
        )
        duck = in_child("duckdb", csv_path, work)
        hud = in_child("hudong", csv_path, work)
        t_duck, t_hudong = duck["seconds"], hud["seconds"]
        print(hud["summary"])
        print()
        print(f"{'':<28}{'seconds':>10}{'rows/s':>14}{'peak MB':>10}")
        print(f"{'duckdb read_csv + INSERT':<28}{t_duck:>10.2f}{args.rows / t_duck:>14,.0f}{duck['maxrss_mb']:>10,}")
        print(f"{'hudong import_file':<28}{t_hudong:>10.2f}{args.rows / t_hudong:>14,.0f}{hud['maxrss_mb']:>10,}")
        print(f"ratio hudong / duckdb: {t_hudong / t_duck:.1f}× time, {hud['maxrss_mb'] / duck['maxrss_mb']:.1f}× memory")
        if args.ced:
            ced = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "weibo_ced_rumor_cascades"
            path = ced / "ced_reposts.tsv.xz"
            if not path.exists():
                print(f"(no {path}: CED not measured)")
            else:
                r = in_child("hudong", path, work, "weibo-ced-reposts")
                print(f"CED reposts (1.02M rows → posts + interactions): {r['seconds']:.1f} s, peak {r['maxrss_mb']:,} MB")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
