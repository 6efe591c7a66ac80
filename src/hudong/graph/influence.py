"""Who carries propagation: cascade out-degree and downstream reach, PageRank and k-core on the interaction
graph (igraph). Follower tiers: hudong.stats.tiers. See docs/propagation.md and metrics-reference §4.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hudong.errors import HudongError
from hudong.graph.cascades import MISSING_ROOT_AUTHOR, StoreCascades
from hudong.graph.portable import influence

INTERACTION_GRAPH_TYPES = ("repost", "comment", "mention")


def cascade_influence(sc: StoreCascades) -> pd.DataFrame:
    """Per (platform, user_id): cascades joined, cascades started, direct reshares triggered (cascade out-degree)
    and downstream reach (nodes below them) — summed and median over the cascades they are in."""
    f = sc.forest
    kept = np.flatnonzero(f.kept)
    df = pd.DataFrame({
        "platform": sc.nodes["platform"].to_numpy()[kept],
        "user_id": sc.nodes["user_id"].to_numpy()[kept],
        "reshares": f.children_count()[kept],
        "reach": f.subtree[kept] - 1,
        "is_root": f.parent[kept] < 0,
    })
    df = df[df["user_id"] != MISSING_ROOT_AUTHOR]
    g = df.groupby(["platform", "user_id"], sort=False)
    out = g.agg(cascades=("reshares", "size"), cascades_started=("is_root", "sum"),
                reshares_sum=("reshares", "sum"), reshares_median=("reshares", "median"),
                reach_sum=("reach", "sum"), reach_median=("reach", "median")).reset_index()
    return out.sort_values(["reshares_sum", "reach_sum"], ascending=False, kind="stable").reset_index(drop=True)


def _graph(src: np.ndarray, dst: np.ndarray, n: int, directed: bool = True):
    import igraph as ig

    return ig.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=directed)


def pagerank(src: np.ndarray, dst: np.ndarray, n: int, weights: np.ndarray | None = None,
             damping: float = 0.85, directed: bool = True) -> np.ndarray:
    """PageRank of nodes ``0..n-1`` over edges src→dst (igraph PRPACK; dangling mass spread uniformly, as in
    networkx). Parallel edges add up as weights."""
    g = _graph(np.asarray(src), np.asarray(dst), n, directed)
    w = None if weights is None else np.asarray(weights, dtype=np.float64).tolist()
    return np.asarray(g.pagerank(damping=damping, directed=directed, weights=w), dtype=np.float64)


def _simple(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """The distinct non-loop pairs (src, dst), and whether the input was already that (no loop, no repeat)."""
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    key = src[src != dst] * max(n, 1) + dst[src != dst]
    uniq = np.unique(key)
    return uniq // max(n, 1), uniq % max(n, 1), len(uniq) == len(src)


def coreness(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """k-core (k-shell) index of each node: degree = in + out over the simple graph (no self-loops, parallel edges
    merged), as networkx ``core_number`` on a DiGraph."""
    a, b, _ = _simple(src, dst, n)
    return np.asarray(_graph(a, b, n, directed=True).coreness(mode="all"), dtype=np.int64)


def _igraph_influence(src: np.ndarray, dst: np.ndarray, n: int, w: np.ndarray,
                      damping: float) -> tuple[np.ndarray, np.ndarray]:
    """PageRank and coreness with one graph build when the edges are already simple (the usual case)."""
    g = _graph(src, dst, n, directed=True)
    pr = np.asarray(g.pagerank(damping=damping, directed=True, weights=w.tolist()), dtype=np.float64)
    a, b, simple = _simple(src, dst, n)
    core_graph = g if simple else _graph(a, b, n, directed=True)
    return pr, np.asarray(core_graph.coreness(mode="all"), dtype=np.int64)


ENGINES = ("igraph", "duckdb", "spark")


def _portable_backend(engine: str, con: Any) -> tuple[Any, bool]:
    """(Ibis backend, whether we opened it) for the portable form: ``con`` if given, else a fresh in-memory
    DuckDB. Spark needs its backend passed (``hudong.analyses.reads.influence`` passes the workspace's)."""
    import ibis

    if con is not None:
        return con, False
    if engine == "duckdb":
        return ibis.duckdb.connect(), True
    raise HudongError('graph_influence(engine="spark") needs con=ibis.pyspark.connect(session)')


def graph_influence(edges: pd.DataFrame, damping: float = 0.85, engine: str = "igraph", con: Any = None) -> pd.DataFrame:
    """Per (platform, user_id) on each platform's interaction graph: PageRank (weighted by interaction counts),
    k-core index, weighted in-degree (interactions received) and out-degree.

    ``engine``: ``"igraph"`` (local, default) or the portable Ibis form (``hudong.graph.portable``) on
    ``"duckdb"`` or ``"spark"`` — same numbers (PageRank to ~1e-12, coreness exact); ``con`` runs the portable
    form on a given Ibis backend."""
    if engine not in ENGINES:
        raise HudongError(f"unknown graph engine {engine!r}: use {', '.join(ENGINES)}")
    backend, owned = (None, False) if engine == "igraph" else _portable_backend(engine, con)
    frames = []
    try:
        for plat, e in edges.groupby("platform", sort=True):
            codes, users = pd.factorize(pd.concat([e["src"], e["dst"]], ignore_index=True))
            m = len(e)
            src, dst = codes[:m], codes[m:]
            n = len(users)
            w = e["weight"].to_numpy(dtype=np.float64)
            if backend is None:
                pr, core = _igraph_influence(src, dst, n, w, damping)
            else:
                res = influence(pd.DataFrame({"src": src, "dst": dst, "weight": w}), backend, damping=damping)
                res = res.set_index("node").reindex(np.arange(n))
                pr, core = res["pagerank"].to_numpy(), res["coreness"].to_numpy(dtype=np.int64)
            frames.append(pd.DataFrame({
                "platform": plat,
                "user_id": np.asarray(users, dtype=object),
                "pagerank": pr,
                "coreness": core,
                "in_weight": np.bincount(dst, weights=w, minlength=n).astype(np.int64),
                "out_weight": np.bincount(src, weights=w, minlength=n).astype(np.int64),
            }))
    finally:
        if owned:
            backend.disconnect()
    if not frames:
        return pd.DataFrame({"platform": [], "user_id": [], "pagerank": [], "coreness": [], "in_weight": [],
                             "out_weight": []})
    return pd.concat(frames, ignore_index=True)
