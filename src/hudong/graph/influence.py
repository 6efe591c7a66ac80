"""Who carries propagation: cascade out-degree and downstream reach, PageRank and k-core on the interaction
graph (igraph), follower tiers. See docs/propagation.md and metrics-reference §4.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hudong.errors import HudongError
from hudong.graph.cascades import MISSING_ROOT_AUTHOR, StoreCascades

# Mediakix / STIM tiers (metrics-reference §4): lower bound of each tier, in followers. A tier runs up to the next
# one's lower bound (exclusive); "mega" is > 1M, so its lower bound is 1,000,001. Below nano: "none".
DEFAULT_TIERS: dict[str, int] = {"nano": 1_000, "micro": 10_000, "mid": 50_000, "macro": 500_000, "mega": 1_000_001}
INTERACTION_GRAPH_TYPES = ("repost", "comment", "mention")


def follower_tier(followers: Any, tiers: Mapping[str, int] | None = None) -> np.ndarray:
    """Tier name per follower count (``tiers``: name → lower bound; default Mediakix/STIM). Unknown → None."""
    tiers = dict(tiers or DEFAULT_TIERS)
    if not tiers:
        raise HudongError("follower tiers are empty")
    names = sorted(tiers, key=lambda k: tiers[k])
    bounds = np.array([tiers[k] for k in names], dtype=np.float64)
    f = pd.to_numeric(pd.Series(followers), errors="coerce").to_numpy(dtype=np.float64)
    idx = np.searchsorted(bounds, f, side="right") - 1
    labels = np.array(["none", *names], dtype=object)
    out = labels[idx + 1]
    out[np.isnan(f)] = None
    return out


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


def coreness(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    """k-core (k-shell) index of each node: degree = in + out over the simple graph (no self-loops, parallel edges
    merged), as networkx ``core_number`` on a DiGraph."""
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    keep = src != dst
    pairs = np.unique(np.column_stack([src[keep], dst[keep]]), axis=0) if keep.any() else np.empty((0, 2), np.int64)
    g = _graph(pairs[:, 0], pairs[:, 1], n, directed=True)
    return np.asarray(g.coreness(mode="all"), dtype=np.int64)


def interaction_edges(source: Any, types: Sequence[str] = INTERACTION_GRAPH_TYPES,
                      platform: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Edges actor → author (of the target post; for mentions without a post, the mentioned user), counted:
    columns platform, src, dst, weight. Self-loops are dropped."""
    from hudong.metrics import tables_of

    t = tables_of(source)
    i, p = t["interactions"], t["posts"]
    i = i.filter(i.type.isin(list(types)))
    if platform:
        plats = [platform] if isinstance(platform, str) else list(platform)
        i = i.filter(i.platform.isin(plats))
    authors = p.select(a_platform=p.platform, a_post=p.post_id, author_id=p.author_id)
    j = i.left_join(authors, (i.platform == authors.a_platform) & (i.target_post_id == authors.a_post))
    dst = (j.type == "mention").ifelse(j.target_user_id.coalesce(j.author_id), j.author_id.coalesce(j.target_user_id))
    e = j.select(platform=j.platform, src=j.actor_id, dst=dst)
    e = e.filter(e.dst.notnull() & (e.src != e.dst))
    e = e.group_by(["platform", "src", "dst"]).agg(weight=e.count())
    return e.to_pyarrow().to_pandas().sort_values(["platform", "src", "dst"], kind="stable").reset_index(drop=True)


def graph_influence(edges: pd.DataFrame, damping: float = 0.85) -> pd.DataFrame:
    """Per (platform, user_id) on each platform's interaction graph: PageRank (weighted by interaction counts),
    k-core index, weighted in-degree (interactions received) and out-degree."""
    frames = []
    for plat, e in edges.groupby("platform", sort=True):
        codes, users = pd.factorize(pd.concat([e["src"], e["dst"]], ignore_index=True))
        m = len(e)
        src, dst = codes[:m], codes[m:]
        n = len(users)
        w = e["weight"].to_numpy(dtype=np.float64)
        frames.append(pd.DataFrame({
            "platform": plat,
            "user_id": np.asarray(users, dtype=object),
            "pagerank": pagerank(src, dst, n, weights=w, damping=damping),
            "coreness": coreness(src, dst, n),
            "in_weight": np.bincount(dst, weights=w, minlength=n).astype(np.int64),
            "out_weight": np.bincount(src, weights=w, minlength=n).astype(np.int64),
        }))
    if not frames:
        return pd.DataFrame({"platform": [], "user_id": [], "pagerank": [], "coreness": [], "in_weight": [],
                             "out_weight": []})
    return pd.concat(frames, ignore_index=True)
