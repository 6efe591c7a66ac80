"""Communities on the interaction graph: Leiden (igraph, modularity objective, seeded) per platform, with each
community's size, key members and bridges, and every user's membership.

Graph: the interaction edges (``hudong.analyses.reads.interaction_edges``: actor → author, counted) made undirected — the weight of
{a, b} is the number of interactions either way. Per user:

- ``within_pagerank``: PageRank (α = 0.85) on the community's own edges, summing to 1 per community. Computed in
  one igraph call on the graph of intra-community edges and normalised per community: with a uniform teleport,
  each connected part's PageRank is proportional to its own local PageRank, so this is exact.
- ``strength`` k_i (total edge weight), ``within_weight`` and ``between_weight`` (to other communities).
- ``participation`` P_i = 1 − Σ_s (k_is / k_i)² over communities s (Guimerà & Amaral, Nature 2005): 0 when all of
  a user's weight stays in one community, towards 1 when spread evenly over many.

Key members: highest ``within_pagerank`` (ties by strength). Bridges: highest ``between_weight`` (ties by
participation), users with none are never bridges.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudong.errors import HudongError

MEMBER_COLUMNS = ["platform", "user_id", "community", "strength", "within_weight", "between_weight",
                  "participation", "within_pagerank"]
COMMUNITY_COLUMNS = ["platform", "community", "size", "share", "internal_weight", "external_weight",
                     "key_members", "bridges", "modularity"]


@dataclass
class Communities:
    """``table``: one row per (platform, community), largest first; ``members``: one row per (platform, user)."""

    table: pd.DataFrame
    members: pd.DataFrame


def _leiden(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, resolution: float, seed: int):
    import igraph as ig

    g = ig.Graph(n=n, edges=np.column_stack([a, b]).tolist(), directed=False)
    g.es["weight"] = w.tolist()
    # igraph draws from Python's `random` by default: a private seeded generator makes runs repeatable
    ig.set_random_number_generator(random.Random(seed))
    try:
        part = g.community_leiden(objective_function="modularity", weights="weight", resolution=resolution,
                                  n_iterations=-1)
    finally:
        ig.set_random_number_generator(random)
    return g, np.asarray(part.membership, dtype=np.int64), float(g.modularity(part.membership, weights="weight"))


def _top(users: np.ndarray, comm: np.ndarray, score: tuple[np.ndarray, ...], ok: np.ndarray, k: int) -> dict[int, list]:
    """Per community: up to ``k`` users with ``ok``, best first by the ``score`` keys (all descending)."""
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((*[-s[idx] for s in reversed(score)], comm[idx]))]
    out: dict[int, list] = {}
    for i in order:
        lst = out.setdefault(int(comm[i]), [])
        if len(lst) < k:
            lst.append(users[i])
    return out


def _platform(plat: str, e: pd.DataFrame, resolution: float, seed: int, top_members: int):
    codes, users = pd.factorize(pd.concat([e["src"], e["dst"]], ignore_index=True))
    m, n = len(e), len(users)
    lo, hi = np.minimum(codes[:m], codes[m:]), np.maximum(codes[:m], codes[m:])
    keep = lo != hi
    key = lo[keep].astype(np.int64) * n + hi[keep]
    uk, inv = np.unique(key, return_inverse=True)
    w = np.bincount(inv, weights=e["weight"].to_numpy(dtype=np.float64)[keep])
    a, b = uk // n, uk % n
    g, raw, modularity = _leiden(n, a, b, w, resolution, seed)
    # community numbers by size, largest first (then by their first user, for stable output)
    sizes = np.bincount(raw)
    first = np.full(len(sizes), n)
    np.minimum.at(first, raw, np.arange(n))
    rank = np.empty(len(sizes), dtype=np.int64)
    rank[np.lexsort((first, -sizes))] = np.arange(len(sizes))
    comm = rank[raw]
    inside = comm[a] == comm[b]
    strength = np.bincount(a, w, n) + np.bincount(b, w, n)
    within = np.bincount(a[inside], w[inside], n) + np.bincount(b[inside], w[inside], n)
    # participation: Σ_s k_is² over the (user, community) pairs each user's edges reach
    ends = np.concatenate([a, b])
    other = np.concatenate([comm[b], comm[a]])
    ww = np.concatenate([w, w])
    pair, pinv = np.unique(ends * (comm.max() + 1) + other, return_inverse=True)
    k_is = np.bincount(pinv, ww)
    sq = np.bincount(pair // (comm.max() + 1), k_is**2, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        participation = np.where(strength > 0, 1.0 - sq / strength**2, 0.0)
    intra = g.subgraph_edges(np.flatnonzero(inside).tolist(), delete_vertices=False)
    pr = np.asarray(intra.pagerank(weights=w[inside].tolist()), dtype=np.float64)
    pr = pr / np.bincount(comm, pr)[comm]
    user_arr = np.asarray(users, dtype=object)
    members = pd.DataFrame({"platform": plat, "user_id": user_arr, "community": comm, "strength": strength,
                            "within_weight": within, "between_weight": strength - within,
                            "participation": participation, "within_pagerank": pr})
    key = _top(user_arr, comm, (pr, strength), np.ones(n, dtype=bool), top_members)
    bridges = _top(user_arr, comm, (strength - within, participation), strength - within > 0, top_members)
    C = len(sizes)
    internal = np.bincount(comm[a[inside]], w[inside], C)
    external = np.bincount(comm, strength - within, C)
    table = pd.DataFrame({"platform": plat, "community": np.arange(C), "size": np.bincount(comm, minlength=C),
                          "share": np.bincount(comm, minlength=C) / n, "internal_weight": internal,
                          "external_weight": external,
                          "key_members": [key.get(c, []) for c in range(C)],
                          "bridges": [bridges.get(c, []) for c in range(C)], "modularity": modularity})
    return table, members


def leiden_communities(edges: pd.DataFrame, resolution: float = 1.0, seed: int = 42,
                       top_members: int = 5) -> Communities:
    """Leiden communities (modularity, ``resolution`` γ) of each platform's interaction graph (columns platform,
    src, dst, weight — as ``interaction_edges`` gives), with key members and bridges (see the module docstring)."""
    missing = {"platform", "src", "dst", "weight"} - set(edges.columns)
    if missing:
        raise HudongError(f"edge frame lacks column(s) {', '.join(sorted(missing))}")
    if (edges["weight"] < 0).any() or edges["weight"].isna().any():
        raise HudongError("edge weights must be ≥ 0 and present")
    tables, members = [], []
    for plat, e in edges.groupby("platform", sort=True):
        t, m = _platform(str(plat), e, resolution, seed, top_members)
        tables.append(t)
        members.append(m)
    if not tables:
        return Communities(pd.DataFrame(columns=COMMUNITY_COLUMNS), pd.DataFrame(columns=MEMBER_COLUMNS))
    table = pd.concat(tables, ignore_index=True)
    table = table.sort_values(["size", "platform", "community"], ascending=[False, True, True], kind="stable")
    return Communities(table.reset_index(drop=True)[COMMUNITY_COLUMNS],
                       pd.concat(members, ignore_index=True)[MEMBER_COLUMNS])
