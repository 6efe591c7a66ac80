"""Per-cascade structure and growth measures over a ``Forest``, all cascades at once (numpy, O(n) overall).

Definitions (metrics-reference §3; docs/propagation.md): size n = kept nodes (unique users); depth = max hops
from the root; max breadth = most nodes at one depth; generation sizes N_g; branching ratios N_{g+1}/N_g;
mean offspring = (n−1)/internal nodes; structural virality v = 2W/(n(n−1)) with the Wiener index
W = Σ_edges s_e(n − s_e) (s_e = nodes below the edge), v = 0 for n = 1; times are relative to the root's
time (the unit of the input, minutes for Twitter15/16 and the store): time to the k-th user, time to reach
depth k, half-life = time to the ⌈n/2⌉-th user, duration = time of the last user.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hudong.graph.forest import Forest

DEFAULT_USERS_K = (10, 100, 1000)
DEFAULT_DEPTH_K = (2, 5, 10)


def wiener_index(forest: Forest) -> np.ndarray:
    """Wiener index per cascade (sum of all pairwise hop distances), exact integers."""
    n_c = np.bincount(forest.cascade[forest.kept], minlength=forest.n_cascades).astype(np.int64)
    e = np.flatnonzero(forest.parent >= 0)
    s = forest.subtree[e]
    w = np.zeros(forest.n_cascades, dtype=np.int64)
    np.add.at(w, forest.cascade[e], s * (n_c[forest.cascade[e]] - s))
    return w


def structural_virality(forest: Forest) -> np.ndarray:
    n = np.bincount(forest.cascade[forest.kept], minlength=forest.n_cascades).astype(np.float64)
    w = wiener_index(forest).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 1, 2.0 * w / (n * (n - 1)), 0.0)


def _generations(forest: Forest) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cascade, depth, count) for every populated (cascade, depth), sorted by cascade then depth."""
    kept = forest.kept
    c = forest.cascade[kept]
    d = forest.depth[kept]
    width = int(d.max()) + 1 if len(d) else 1
    keys, counts = np.unique(c * width + d, return_counts=True)
    return keys // width, keys % width, counts


def cascade_metrics(
    forest: Forest,
    users_k: Sequence[int] = DEFAULT_USERS_K,
    depth_k: Sequence[int] = DEFAULT_DEPTH_K,
    generations: bool = True,
) -> pd.DataFrame:
    """One row per cascade (index = cascade number): structure, growth and repair counts."""
    C = forest.n_cascades
    kept = forest.kept
    casc = forest.cascade
    size = np.bincount(casc[kept], minlength=C).astype(np.int64)
    depth = np.zeros(C, dtype=np.int64)
    np.maximum.at(depth, casc[kept], forest.depth[kept])
    gc, gd, gn = _generations(forest)
    breadth = np.zeros(C, dtype=np.int64)
    np.maximum.at(breadth, gc, gn)
    n_children = forest.children_count()
    internal = np.bincount(casc[n_children > 0], minlength=C)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_offspring = np.where(internal > 0, (size - 1) / np.maximum(internal, 1), 0.0)
    out: dict[str, object] = {
        "size": size,
        "depth": depth,
        "max_breadth": breadth,
        "structural_virality": structural_virality(forest),
        "wiener_index": wiener_index(forest),
        "mean_offspring": mean_offspring,
    }
    if generations:
        bounds = np.searchsorted(gc, np.arange(C + 1))
        gsizes = np.split(gn, bounds[1:-1])
        out["generation_sizes"] = [g.tolist() for g in gsizes]
        out["branching_ratios"] = [(g[1:] / g[:-1]).round(6).tolist() for g in gsizes]

    # growth: user times relative to the root's time, sorted within each cascade
    t0 = forest.time[forest.roots]
    nodes = np.flatnonzero(kept)
    rel = forest.time[nodes] - t0[casc[nodes]]
    o = np.lexsort((rel, casc[nodes]))
    rel_sorted = rel[o]
    start = np.concatenate([[0], np.cumsum(size)[:-1]])

    def kth(k: np.ndarray) -> np.ndarray:
        ok = (k >= 1) & (k <= size)
        res = np.full(C, np.nan)
        res[ok] = rel_sorted[start[ok] + k[ok] - 1]
        return res

    for k in users_k:
        out[f"t_users_{k}"] = kth(np.full(C, int(k)))
    for k in depth_k:
        at = forest.depth[nodes] == int(k)
        res = np.full(C, np.inf)
        np.minimum.at(res, casc[nodes][at], rel[at])
        out[f"t_depth_{k}"] = np.where(np.isinf(res), np.nan, res)
    out["half_life"] = kth((size + 1) // 2)
    last = np.full(C, -np.inf)
    np.maximum.at(last, casc[nodes], rel)
    out["duration"] = np.where(np.isinf(last), np.nan, last)
    for name, counts in forest.repairs.items():
        out[name] = counts
    return pd.DataFrame(out)
