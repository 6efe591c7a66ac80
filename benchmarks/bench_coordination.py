"""Coordination detection on the full demo world (≈1M interactions): hudong vs a straightforward pandas peer.

    .venv/bin/python benchmarks/bench_coordination.py [--workspace DIR]   # builds the demo (scale 1) when absent

Peer: CooRnet's own way of finding co-shares — a self-join of the shares on the item, then a filter on
|Δt| ≤ interval (pandas merge), checked equal to hudong's band join. Also prints the planted ring and bots
recovered (precision / recall) and the time of bot signals and raw vs adjusted KPIs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

import hudong
from hudong.analyses import coordination as AC
from hudong.analyses import reads
from hudong.demo import build
from hudong.demo.integrity import planted_ids
from hudong.graph import coordination as C
from hudong.ingest.privacy import pseudonymise


def peer_co_shares(sh: pd.DataFrame, interval: dict[str, float]) -> pd.DataFrame:
    m = sh.merge(sh, on=["platform", "kind", "item"], suffixes=("_a", "_b"))
    m = m[m["user_id_a"] < m["user_id_b"]]
    limit = m["kind"].map(interval)
    return m[(m["ts_a"] - m["ts_b"]).abs().dt.total_seconds() <= limit]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path)
    args = ap.parse_args()
    path = args.workspace
    if path is None or not (path / "hudong.duckdb").exists():
        path = path or Path(tempfile.mkdtemp()) / "ws"
        build(path, seed=7, scale=1.0, progress=False)
    ws = hudong.open(path)
    print(f"workspace {path}: {ws.count('interactions'):,} interactions, {ws.count('posts'):,} posts")

    t0 = time.perf_counter()
    sh = reads.shares(ws)
    iv = C.coordination_interval(sh)
    t1 = time.perf_counter()
    ours = C.co_shares(sh, iv)
    t2 = time.perf_counter()
    peer = peer_co_shares(sh, iv)
    t3 = time.perf_counter()
    same = len(ours) == len(peer)
    print(f"shares {len(sh):,}, interval {iv} (read + estimate {t1 - t0:.2f} s)")
    print(
        f"co-share pairs within the interval: hudong band join {t2 - t1:.2f} s | pandas self-join peer "
        f"{t3 - t2:.2f} s ({len(peer):,} rows, equal count: {same})"
    )

    t4 = time.perf_counter()
    res = C.detect_coordination(reads.shares(ws))  # the shares read again: timed as the analysis runs it
    t5 = time.perf_counter()
    bots = C.bot_signals(reads.actions(ws))
    t6 = time.perf_counter()
    table = AC.kpis_raw_adjusted(ws, C.flagged_accounts(res, bots))
    t7 = time.perf_counter()
    truth = {k: {(p, pseudonymise(ws.key, p, u)) for p, u in v} for k, v in planted_ids(7, 1.0).items()}
    for name, found in (("ring", set(zip(res.accounts["platform"], res.accounts["user_id"], strict=True))),
                        ("bots", set(zip(bots.loc[bots["bot_like"], "platform"], bots.loc[bots["bot_like"], "user_id"],
                                         strict=True)))):  # fmt: skip
        tp = len(found & truth[name])
        print(
            f"planted {name}: found {len(found)}, precision {tp / max(len(found), 1):.2f}, "
            f"recall {tp / len(truth[name]):.2f}"
        )
    print(f"detect_coordination {t5 - t4:.2f} s | bot_signals {t6 - t5:.2f} s | raw vs adjusted KPIs {t7 - t6:.2f} s")
    print(table.to_string(index=False))
    ws.close()


if __name__ == "__main__":
    main()
