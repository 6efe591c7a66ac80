"""Drawing a cascade: which users to show of a large tree (its backbone) and where (a tidy tree)."""

from __future__ import annotations

import numpy as np

from hudong.graph.forest import Forest


def tree_layout(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tidy-tree positions (x, y = depth) of one tree given each node's parent (-1 at the single root)."""
    import igraph as ig

    parent = np.asarray(parent, dtype=np.int64)
    roots = np.flatnonzero(parent < 0)
    if len(roots) != 1:
        raise ValueError(f"a tree has one root, got {len(roots)}")
    child = np.flatnonzero(parent >= 0)
    g = ig.Graph(n=len(parent), edges=list(zip(parent[child].tolist(), child.tolist(), strict=True)), directed=True)
    coords = np.asarray(g.layout_reingold_tilford(mode="out", root=[int(roots[0])]).coords, dtype=np.float64)
    return coords[:, 0], coords[:, 1]


def backbone(f: Forest, c: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``size`` users of cascade ``c`` with the most people below them, plus the path down to its deepest
    user: a set closed under "parent of", so a drawing shows how deep the cascade went and where it branched
    instead of a fringe of leaves. Returns (forest nodes in drawing order, each one's parent as a local index)."""
    nodes = np.flatnonzero((f.cascade == c) & f.kept)
    nodes = nodes[np.lexsort((f.time[nodes], -f.subtree[nodes]))][:size]
    path: list[int] = []
    tip = np.flatnonzero((f.cascade == c) & (f.depth == f.depth[f.cascade == c].max()))[0]
    while tip >= 0:
        path.append(tip)
        tip = f.parent[tip]
    nodes = np.union1d(nodes, path)
    nodes = nodes[np.lexsort((f.time[nodes], f.depth[nodes]))]
    local = np.full(len(f.parent), -1, dtype=np.int64)
    local[nodes] = np.arange(len(nodes))
    par = f.parent[nodes]
    return nodes, np.where(par >= 0, local[np.maximum(par, 0)], -1).astype(np.int64)


def growth(f: Forest, c: int) -> tuple[np.ndarray, np.ndarray]:
    """(minutes since the root, users reached so far) at each arrival of cascade ``c``: its growth curve."""
    nodes = np.flatnonzero((f.cascade == c) & f.kept)
    minutes = np.sort(f.time[nodes] - f.time[f.roots[c]])
    return minutes, np.arange(1, len(minutes) + 1)
