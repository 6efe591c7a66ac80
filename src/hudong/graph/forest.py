"""Many cascade trees at once: a forest built from messy parent edges with numpy, no per-node Python loops.

Nodes are integers ``0..n-1``; each belongs to one cascade and each cascade has one root node. Candidate
edges ``parent → child`` come from the data (one per repost/reply). ``build_forest`` repairs them into
a tree per cascade and counts every repair, per cascade (see docs/propagation.md):

- ``self_loops``: child == parent — dropped.
- ``duplicate_edges``: the same (parent, child) again — dropped.
- ``root_as_child``: an edge into a cascade's root (e.g. the author reposting a repost) — dropped.
- ``several_parents``: children with more than one distinct parent — the first by ``rank`` wins.
- ``missing_parents``: nodes (other than the root) with no usable parent edge — attached to the root
  (``orphans="attach"``) or left out (``orphans="drop"``, counted as ``unreachable``).
- ``cycles``: cycles among the chosen parents (unreachable from the root) — the earliest node of each cycle
  (by ``node_time``, then node number) is attached to the root; with ``orphans="drop"`` they are left out.
- ``child_before_parent``: a node earlier than its chosen parent — kept, counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REPAIRS = (
    "self_loops",
    "duplicate_edges",
    "root_as_child",
    "several_parents",
    "missing_parents",
    "cycles",
    "unreachable",
    "child_before_parent",
)


@dataclass
class Forest:
    """Repaired trees. Per node: ``cascade``, ``parent`` (-1 at roots and for nodes left out), ``time``,
    ``depth`` (-1 when left out), ``subtree`` (size of the subtree below and including the node; 0 when left
    out). ``order`` lists the kept nodes breadth-first (all roots, then depth 1, …; by node number within a
    depth); ``roots[c]`` is cascade
    c's root. ``repairs`` maps each name in ``REPAIRS`` to a per-cascade count array."""

    cascade: np.ndarray
    parent: np.ndarray
    time: np.ndarray
    depth: np.ndarray
    subtree: np.ndarray
    order: np.ndarray
    level_starts: np.ndarray  # order[level_starts[d]:level_starts[d+1]] = the kept nodes at depth d
    roots: np.ndarray
    repairs: dict[str, np.ndarray]

    @property
    def n_cascades(self) -> int:
        return len(self.roots)

    @property
    def kept(self) -> np.ndarray:
        return self.depth >= 0

    def children_count(self) -> np.ndarray:
        """Direct children per node (the cascade out-degree)."""
        p = self.parent[self.parent >= 0]
        return np.bincount(p, minlength=len(self.parent))


def _resolve_depths(parent: np.ndarray, depth: np.ndarray, todo: np.ndarray) -> None:
    """Set ``depth[v]`` (in place) for the nodes ``todo`` whose parent chain reaches a node of known depth (≥ 0):
    pointer doubling — each round, a node whose current ancestor has a known depth takes that depth plus the
    hops to it; the others jump to their ancestor's ancestor (hops add up). O(n log depth), no sorting. The topmost
    unresolved node of a chain that reaches a known depth always resolves, so a round without any change means
    the rest never reach one (cycles, or chains ending at a node without parent): they stay -1."""
    n = len(parent)
    act = np.asarray(todo, dtype=np.int64)
    if len(act) < n // 16:  # a small part (the cycle repair): level by level, no full-size copies
        while len(act):
            p = parent[act]
            known = np.zeros(len(act), dtype=bool)
            known[p >= 0] = depth[p[p >= 0]] >= 0
            if not known.any():
                return
            depth[act[known]] = depth[p[known]] + 1
            act = act[~known & (p >= 0)]
        return
    dep = np.empty(n + 1, dtype=np.int64)  # slot n: "no parent", a dead end
    dep[:n] = depth
    dep[n] = -2
    anc = np.where(parent >= 0, parent, n)
    da = dep[anc[act]]
    dep[act] = np.where(da >= 0, da + 1, -1)  # first round: one hop (todo is sorted: a sequential write)
    act = act[da == -1]
    hops = None
    while len(act):
        if hops is None:
            hops = np.ones(n + 1, dtype=np.int64)
        a = anc[act]
        hops[act] += hops[a]
        anc[act] = anc[a]
        da = dep[anc[act]]
        known = da >= 0
        if not known.any() and not (da == -2).any():
            break
        k = act[known]
        dep[k] = da[known] + hops[k]
        act = act[da == -1]
    depth[:] = dep[:n]


def _levels(depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, level_starts): the nodes of depth ≥ 0 by depth (then node number) — a breadth-first order —
    by a stable radix sort of the small depth integers."""
    kept = np.flatnonzero(depth >= 0)
    d = depth[kept]
    if len(d) == 0:
        return kept, np.zeros(1, dtype=np.int64)
    counts = np.bincount(d)
    # one radix pass per byte: uint8 depths when < 256 (every real cascade so far), else uint16, else int64
    key = d.astype(np.uint8) if len(counts) <= 1 << 8 else d.astype(np.uint16) if len(counts) <= 1 << 16 else d
    order = kept[np.argsort(key, kind="stable")]
    return order, np.concatenate([[0], np.cumsum(counts)])


def bfs(parent: np.ndarray, roots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breadth-first levels from ``roots`` following the ``parent`` array: (order, depth, level_starts);
    ``order`` lists the nodes reached by depth, then node number; ``depth`` is -1 for nodes not reached."""
    depth = np.full(len(parent), -1, dtype=np.int64)
    depth[np.asarray(roots, dtype=np.int64)] = 0
    _resolve_depths(parent, depth, np.flatnonzero((parent >= 0) & (depth < 0)))
    order, level_starts = _levels(depth)
    return order, depth, level_starts


def _cycle_heads(parent: np.ndarray, todo: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Among nodes ``todo`` (all unreachable, each with a parent), the node of least ``key`` on each cycle."""
    n = len(parent)
    inside = np.zeros(n, dtype=bool)
    inside[todo] = True
    # Peel nodes nobody inside points to: what remains are exactly the cycle nodes.
    indeg = np.bincount(parent[todo][inside[parent[todo]]], minlength=n)
    alive = inside.copy()
    frontier = todo[indeg[todo] == 0]
    while len(frontier):
        alive[frontier] = False
        p = parent[frontier]
        p = p[alive[p]]
        np.subtract.at(indeg, p, 1)
        frontier = np.unique(p[indeg[p] == 0])
    cyc = np.flatnonzero(alive)
    if len(cyc) == 0:
        return cyc
    # Minimum key along each cycle by pointer doubling (covers a cycle of length L in log2 L steps).
    best = key.copy()
    jump = parent.copy()
    steps = int(np.ceil(np.log2(max(len(cyc), 2)))) + 1
    for _ in range(steps):
        best[cyc] = np.minimum(best[cyc], best[jump[cyc]])
        jump[cyc] = jump[jump[cyc]]
    return cyc[best[cyc] == key[cyc]]


def build_forest(
    node_cascade: np.ndarray,
    node_time: np.ndarray,
    roots: np.ndarray,
    child: np.ndarray,
    parent: np.ndarray,
    rank: np.ndarray,
    orphans: str = "attach",
) -> Forest:
    """Repair candidate edges ``parent[i] → child[i]`` into one tree per cascade.

    ``parent[i] = -1`` marks an edge whose parent is unknown (not in the data). ``rank`` orders the edges for
    "first parent wins" (line number, or time then id). ``orphans``: ``"attach"`` (nodes without a usable
    parent, and cycles, hang from the root) or ``"drop"`` (only nodes reachable from the root are kept).
    """
    if orphans not in ("attach", "drop"):
        raise ValueError(f"orphans must be 'attach' or 'drop', not {orphans!r}")
    node_cascade = np.asarray(node_cascade, dtype=np.int64)
    roots = np.asarray(roots, dtype=np.int64)
    n, n_casc = len(node_cascade), len(roots)
    child = np.asarray(child, dtype=np.int64)
    parent = np.asarray(parent, dtype=np.int64)
    rank = np.asarray(rank)
    node_time = np.asarray(node_time, dtype=np.float64)
    reps: dict[str, np.ndarray] = {}

    def count(nodes: np.ndarray) -> np.ndarray:
        return np.bincount(node_cascade[nodes], minlength=n_casc).astype(np.int64)

    is_root = np.zeros(n, dtype=bool)
    is_root[roots] = True
    loop = child == parent
    reps["self_loops"] = count(child[loop])
    into_root = is_root[child] & ~loop
    reps["root_as_child"] = count(child[into_root])
    keep = ~loop & ~into_root & (parent >= 0)
    c, p, r = child[keep], parent[keep], rank[keep]
    par = np.full(n, -1, dtype=np.int64)
    # Most children have one candidate edge (~95% in Twitter15/16 and CED): it is theirs. Only the children with
    # several are sorted: first by rank per child; duplicates = the same (child, parent) pair again.
    multi = np.bincount(c, minlength=n)[c] > 1
    par[c[~multi]] = p[~multi]
    c, p, r = c[multi], p[multi], r[multi]
    o = np.lexsort((r, c))
    c, p = c[o], p[o]
    first_of_child = np.ones(len(c), dtype=bool)
    first_of_child[1:] = c[1:] != c[:-1]
    o2 = np.lexsort((p, c))
    cs, ps = c[o2], p[o2]
    dup = np.zeros(len(cs), dtype=bool)
    dup[1:] = (cs[1:] == cs[:-1]) & (ps[1:] == ps[:-1])
    reps["duplicate_edges"] = count(cs[dup])
    distinct_parents = np.bincount(cs[~dup], minlength=n)
    reps["several_parents"] = count(np.flatnonzero(distinct_parents > 1))
    par[c[first_of_child]] = p[first_of_child]
    orphan = (par < 0) & ~is_root
    reps["missing_parents"] = count(np.flatnonzero(orphan))
    cycles = np.zeros(n_casc, dtype=np.int64)
    if orphans == "attach":
        par[orphan] = roots[node_cascade[orphan]]
    depth = np.full(n, -1, dtype=np.int64)
    depth[roots] = 0
    _resolve_depths(par, depth, np.flatnonzero(par >= 0))  # roots never have a parent
    unreached = np.flatnonzero(depth < 0)
    if len(unreached) and orphans == "attach":
        # rank by (time, node number); only the order among the unreached nodes matters for the cycle heads
        time_rank = np.zeros(n, dtype=np.int64)
        time_rank[unreached[np.lexsort((unreached, node_time[unreached]))]] = np.arange(len(unreached))
        heads = _cycle_heads(par, unreached, time_rank)
        cycles = count(heads)
        par[heads] = roots[node_cascade[heads]]
        _resolve_depths(par, depth, unreached)  # only the repaired part: the rest keeps its depths
        unreached = np.flatnonzero(depth < 0)
    order, level_starts = _levels(depth)
    reps["cycles"] = cycles
    reps["unreachable"] = count(unreached)
    par[depth < 0] = -1
    has = par >= 0
    early = np.flatnonzero(has)[node_time[has] < node_time[par[has]]]
    reps["child_before_parent"] = count(early)

    subtree = (depth >= 0).astype(np.int64)
    for d in range(len(level_starts) - 2, 0, -1):
        lvl = order[level_starts[d] : level_starts[d + 1]]
        np.add.at(subtree, par[lvl], subtree[lvl])
    return Forest(
        cascade=node_cascade,
        parent=par,
        time=node_time,
        depth=depth,
        subtree=subtree,
        order=order,
        level_starts=level_starts,
        roots=roots,
        repairs={k: reps[k] for k in REPAIRS},
    )


def forest_from_parents(parent: np.ndarray, time: np.ndarray | None = None) -> Forest:
    """A forest from a clean parent array (-1 at each root), e.g. a generated tree; one cascade per root."""
    parent = np.asarray(parent, dtype=np.int64)
    n = len(parent)
    roots = np.flatnonzero(parent < 0)
    # cascade of each node = cascade of its root: follow parents by doubling
    top = np.where(parent < 0, np.arange(n), parent)
    for _ in range(int(np.ceil(np.log2(max(n, 2)))) + 1):
        top = top[top]
    casc_of_root = np.full(n, -1, dtype=np.int64)
    casc_of_root[roots] = np.arange(len(roots))
    node_cascade = casc_of_root[top]
    child = np.flatnonzero(parent >= 0)
    t = np.zeros(n) if time is None else np.asarray(time, dtype=np.float64)
    return build_forest(node_cascade, t, roots, child, parent[child], np.arange(len(child)))
