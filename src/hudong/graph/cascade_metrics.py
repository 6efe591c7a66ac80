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

from hudong.graph import forest_kernels as K
from hudong.graph.forest import Forest

DEFAULT_USERS_K = (10, 100, 1000)
DEFAULT_DEPTH_K = (2, 5, 10)


def _sizes(forest: Forest) -> np.ndarray:
    """Kept nodes per cascade: the subtree size of its root."""
    return forest.subtree[forest.roots].astype(np.int64)


def wiener_index(forest: Forest) -> np.ndarray:
    """Wiener index per cascade (sum of all pairwise hop distances), exact integers."""
    n_c = _sizes(forest)
    e = np.flatnonzero(forest.parent >= 0)
    s = forest.subtree[e]
    ce = forest.cascade[e]
    w = np.zeros(forest.n_cascades, dtype=np.int64)
    np.add.at(w, ce, s * (n_c[ce] - s))
    return w


def _virality(n: np.ndarray, w: np.ndarray) -> np.ndarray:
    n, w = n.astype(np.float64), w.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 1, 2.0 * w / (n * (n - 1)), 0.0)


def structural_virality(forest: Forest) -> np.ndarray:
    return _virality(_sizes(forest), wiener_index(forest))


def _order_statistics(values: np.ndarray, counts: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """``out[c, r]`` = the ``ranks[c, r]``-th smallest (1-based) of segment c of ``values`` (segments of
    ``counts`` values one after another), NaN where the rank is outside 1..count. Segments are sorted as rows of
    2-D blocks, one block per power-of-two width (rows padded with NaN, which sorts last): NumPy's SIMD sort,
    ~3× faster than a compiled per-segment quicksort."""
    out = np.full(ranks.shape, np.nan)
    starts = np.cumsum(counts) - counts
    has = np.flatnonzero(counts)
    if len(has) == 0:
        return out
    width = 1 << np.ceil(np.log2(counts[has])).astype(np.int64)
    for w in np.unique(width):
        g = has[width == w]
        block = K.padded_rows(values, starts[g], counts[g], int(w))
        block.sort(axis=1)
        r = ranks[g]
        ok = (r >= 1) & (r <= counts[g][:, None])
        picked = block[np.arange(len(g))[:, None], np.clip(r - 1, 0, w - 1)]
        out[g] = np.where(ok, picked, np.nan)
    return out


def cascade_metrics(
    forest: Forest,
    users_k: Sequence[int] = DEFAULT_USERS_K,
    depth_k: Sequence[int] = DEFAULT_DEPTH_K,
    generations: bool = True,
) -> pd.DataFrame:
    """One row per cascade (index = cascade number): structure, growth and repair counts (one compiled pass
    over each cascade's nodes, ``forest_kernels.per_cascade_metrics``)."""
    users_k = np.asarray(users_k, dtype=np.int64).reshape(-1)
    depth_k = np.asarray(depth_k, dtype=np.int64).reshape(-1)
    size, depth, breadth, internal, wiener, gens, gen_start, t_depth, rel = K.per_cascade_metrics(
        forest.parent, forest.depth, forest.subtree, forest.cascade, forest.time, forest.roots, depth_k
    )
    # growth: the k-th user's time for each k, the half-life (the ⌈n/2⌉-th) and the duration (the last)
    ranks = np.column_stack([np.broadcast_to(users_k, (len(size), len(users_k))), (size + 1) // 2, size])
    growth = _order_statistics(rel, size, ranks.astype(np.int64))

    with np.errstate(divide="ignore", invalid="ignore"):
        mean_offspring = np.where(internal > 0, (size - 1) / np.maximum(internal, 1), 0.0)
    out: dict[str, object] = {
        "size": size,
        "depth": depth,
        "max_breadth": breadth,
        "structural_virality": _virality(size, wiener),
        "wiener_index": wiener,
        "mean_offspring": mean_offspring,
    }
    if generations:
        bounds = gen_start.tolist()
        sizes = gens.tolist()
        ratios = (gens[1:] / np.maximum(gens[:-1], 1)).round(6).tolist()  # across a cascade boundary: unused
        spans = list(zip(bounds[:-1], bounds[1:], strict=True))
        out["generation_sizes"] = [sizes[a:b] for a, b in spans]
        out["branching_ratios"] = [ratios[a : b - 1] for a, b in spans]
    for i, k in enumerate(users_k):
        out[f"t_users_{k}"] = growth[:, i]
    for i, k in enumerate(depth_k):
        out[f"t_depth_{k}"] = t_depth[:, i]
    out["half_life"] = growth[:, -2]
    out["duration"] = growth[:, -1]
    for name, counts in forest.repairs.items():
        out[name] = counts
    return pd.DataFrame(out)
