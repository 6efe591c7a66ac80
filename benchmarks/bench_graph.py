"""PageRank and k-core on the full Higgs retweet graph (256k users, 328k weighted edges): hudong's path, raw igraph
calls, and the portable Ibis form on DuckDB, side by side, results checked equal.

    .venv/bin/python benchmarks/bench_graph.py [--data /work/shared/data]

- hudong: ``graph_influence(edges)`` from the edge frame (platform, src, dst, weight) — coding the user ids,
  building the graph, weighted PageRank, k-core, in/out weights.
- igraph: the same from the integer arrays with nothing else — ``np.unique`` coding, ``ig.Graph``, ``pagerank``,
  ``coreness``.
- portable: ``graph_influence(edges, engine="duckdb")`` (hudong.graph.portable on an in-memory DuckDB; PageRank
  iterated to an L1 change < 1e-12).
Reading the file is shared and not timed.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import igraph as ig
import numpy as np
import pandas as pd

from hudong.graph import graph_influence


def raw_igraph(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    users, codes = np.unique(np.concatenate([df["src"].to_numpy(), df["dst"].to_numpy()]), return_inverse=True)
    m = len(df)
    g = ig.Graph(n=len(users), edges=np.column_stack([codes[:m], codes[m:]]).tolist(), directed=True)
    pr = g.pagerank(damping=0.85, weights=df["weight"].to_numpy(dtype=np.float64).tolist())
    return users, np.asarray(pr), np.asarray(g.coreness(mode="all"))


def timed(fn, *args, **kw):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs for hudong and igraph")
    args = ap.parse_args()
    path = Path(args.data) / "higgs_twitter" / "higgs-retweet_network.edgelist.gz"
    df = pd.read_csv(path, sep=" ", names=["src", "dst", "weight"])
    edges = df.assign(platform="twitter")[["platform", "src", "dst", "weight"]]
    runs = {"hudong": [], "igraph": []}
    for _ in range(args.repeat):
        ours, w, c = timed(graph_influence, edges)
        runs["hudong"].append((w, c))
        (users, pr, core), w, c = timed(raw_igraph, df)
        runs["igraph"].append((w, c))
    port, pw, pc = timed(graph_influence, edges, engine="duckdb")
    a = ours.set_index("user_id").loc[users]
    b = port.set_index("user_id").loc[users]
    assert np.allclose(a["pagerank"], pr, rtol=0, atol=1e-12) and (a["coreness"].to_numpy() == core).all()
    assert np.abs(b["pagerank"].to_numpy() - pr).max() < 1e-9 and (b["coreness"].to_numpy() == core).all()
    hw, hc = min(runs["hudong"])
    iw, ic = min(runs["igraph"])
    print(f"Higgs retweet graph: {len(users):,} users, {len(df):,} edges; PageRank + k-core, results equal "
          f"(PageRank max |Δ| portable vs igraph {np.abs(b['pagerank'].to_numpy() - pr).max():.1e})")
    print(f"{'':<24}{'wall s':>8}{'cpu s':>8}{'vs igraph (cpu)':>17}")
    for name, w, c in (("igraph (raw calls)", iw, ic), ("hudong graph_influence", hw, hc),
                       ("portable, Ibis→DuckDB", pw, pc)):
        print(f"{name:<24}{w:>8.2f}{c:>8.2f}{c / ic:>16.2f}×")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(DuckDB's CPU time counts its worker threads)")


if __name__ == "__main__":
    main()
