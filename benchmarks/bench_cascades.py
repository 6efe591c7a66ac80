"""Cascade metrics on all Twitter15+16 trees and the CED Weibo cascades: vectorised (hudong.graph) vs a
straightforward networkx per-tree version computing the same numbers (checked equal).

    .venv/bin/python benchmarks/bench_cascades.py [--data /work/shared/data]

Times cover building the repaired trees and computing size, depth, max breadth and structural virality (Wiener
index) — parsing the files is shared and not timed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from hudong.graph import build_forest, cascade_metrics, read_twitter1516_trees, twitter1516_forest


def nx_twitter(edges: pd.DataFrame) -> pd.DataFrame:
    """Per tree with networkx: reference rules (first listed parent, self-loops dropped, BFS from the root)."""
    out = []
    for _, e in edges.groupby("tree_id", sort=False):
        root = e.loc[e["parent_uid"] == "ROOT", "child_uid"].iloc[0]
        g = nx.DiGraph()
        g.add_node(root)
        for p, c in zip(e["parent_uid"], e["child_uid"], strict=True):
            if p == "ROOT" or p == c or c == root or (c in g and g.in_degree(c)):
                continue
            g.add_edge(p, c)
        out.append(_nx_stats(g, root))
    return pd.DataFrame(out, columns=["size", "depth", "max_breadth", "wiener_index"])


def _nx_stats(g: nx.DiGraph, root) -> tuple[int, int, int, int]:
    lengths = nx.single_source_shortest_path_length(g, root)
    t = g.subgraph(lengths).to_undirected()
    levels = np.bincount(list(lengths.values()))
    return len(lengths), int(levels.size - 1), int(levels.max()), int(nx.wiener_index(t))


def read_ced(data: Path) -> pd.DataFrame:
    return pd.read_csv(data / "weibo_ced_rumor_cascades" / "ced_reposts.tsv.xz", sep="\t", dtype=str,
                       keep_default_na=False, usecols=["event_id", "mid", "parent", "uid"])


def ced_forest(df: pd.DataFrame):
    """User-level CED trees: node = (event, uid); parent = author of the parent repost (or the source author);
    first listed row wins, missing parents hang from the root."""
    ev_codes, events = pd.factorize(df["event_id"])
    src_uid = events.str.rsplit("_", n=1).str[1].to_numpy(dtype=object)
    mid_index = pd.Index(df["event_id"] + "\x1f" + df["mid"]).drop_duplicates()
    pk = (df["event_id"] + "\x1f" + df["parent"]).to_numpy(dtype=object)
    pos = mid_index.get_indexer(pk)
    first_uid = df.drop_duplicates(["event_id", "mid"])["uid"].to_numpy(dtype=object)
    parent_uid = np.where(df["parent"].to_numpy() == "", src_uid[ev_codes], None)
    has = (df["parent"].to_numpy() != "") & (pos >= 0)
    parent_uid[has] = first_uid[pos[has]]
    ucodes, _ = pd.factorize(np.concatenate([df["uid"].to_numpy(dtype=object), parent_uid.astype(object),
                                             src_uid]), use_na_sentinel=True)
    m, C = len(df), len(events)
    U = int(ucodes.max()) + 1
    kc = ev_codes * U + ucodes[:m]
    kp = np.where(ucodes[m : 2 * m] >= 0, ev_codes * U + ucodes[m : 2 * m], -1)
    kr = np.arange(C) * U + ucodes[2 * m :]
    uniq, inv = np.unique(np.concatenate([kr, kc, kp[kp >= 0]]), return_inverse=True)
    child = inv[C : C + m]
    parent = np.full(m, -1, dtype=np.int64)
    parent[kp >= 0] = inv[C + m :]
    node_cascade = uniq // U
    return build_forest(node_cascade, np.zeros(len(uniq)), inv[:C], child, parent, np.arange(m)), kc, kp, kr


def nx_ced(kc: np.ndarray, kp: np.ndarray, kr: np.ndarray, U: int) -> pd.DataFrame:
    out = []
    order = np.argsort(kc // U, kind="stable")
    ev = (kc // U)[order]
    bounds = np.searchsorted(ev, np.arange(len(kr) + 1))
    for c in range(len(kr)):
        idx = order[bounds[c] : bounds[c + 1]]
        root = int(kr[c])
        g = nx.DiGraph()
        g.add_node(root)
        for ch, p in zip(kc[idx].tolist(), kp[idx].tolist(), strict=True):
            if ch in (root, p) or (ch in g and g.in_degree(ch)):
                continue
            if p < 0:
                g.add_node(ch)
            else:
                g.add_edge(p, ch)
        # orphans (parent never attached below the root) hang from the root, as in build_forest
        reached = nx.descendants(g, root) | {root}
        for v in [v for v in g if v not in reached and g.in_degree(v) == 0]:
            g.add_edge(root, v)
        out.append(_nx_stats(g, root))
    return pd.DataFrame(out, columns=["size", "depth", "max_breadth", "wiener_index"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = ap.parse_args()
    data = Path(args.data)
    cols = ["size", "depth", "max_breadth", "wiener_index"]
    edges = read_twitter1516_trees(data / "twitter15_16_propagation" / "trees.tar.gz")
    edges["tree_id"] = edges["subset"] + "/" + edges["tree_id"]
    t0 = time.perf_counter()
    forest, _ = twitter1516_forest(edges)
    ours = cascade_metrics(forest)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = nx_twitter(edges)
    t_ref = time.perf_counter() - t0
    assert (ours[cols].to_numpy() == ref[cols].to_numpy()).all(), "Twitter15/16: results differ"
    print(f"Twitter15+16: {len(ours):,} trees, {forest.kept.sum():,} nodes — hudong {t_ours:.2f} s, "
          f"networkx {t_ref:.2f} s, {t_ref / t_ours:.0f}×")
    ced = read_ced(data)
    t0 = time.perf_counter()
    f2, kc, kp, kr = ced_forest(ced)
    ours2 = cascade_metrics(f2)
    t_ours2 = time.perf_counter() - t0
    U = int(max(kc.max(), kr.max())) + 1
    t0 = time.perf_counter()
    ref2 = nx_ced(kc, kp, kr, U)
    t_ref2 = time.perf_counter() - t0
    assert (ours2[cols].to_numpy() == ref2[cols].to_numpy()).all(), "CED: results differ"
    print(f"CED: {len(ours2):,} cascades, {f2.kept.sum():,} nodes — hudong {t_ours2:.2f} s, networkx {t_ref2:.2f} s, "
          f"{t_ref2 / t_ours2:.0f}×")
    tot_o, tot_r = t_ours + t_ours2, t_ref + t_ref2
    print(f"total: hudong {tot_o:.2f} s, networkx {tot_r:.2f} s, {tot_r / tot_o:.0f}×")


if __name__ == "__main__":
    main()
