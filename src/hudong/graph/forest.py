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
    out). ``order`` lists the kept nodes breadth-first (all roots, then depth 1, …); ``roots[c]`` is cascade
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


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate the ranges [starts[i], starts[i] + counts[i]) without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.cumsum(counts) - counts
    return np.repeat(starts - offsets, counts) + np.arange(total, dtype=np.int64)


def bfs(parent: np.ndarray, roots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breadth-first order from ``roots`` following the ``parent`` array: (order, depth, level_starts)."""
    n = len(parent)
    has = parent >= 0
    by_parent = np.flatnonzero(has)[np.argsort(parent[has], kind="stable")]
    counts = np.bincount(parent[has], minlength=n)
    starts = np.cumsum(counts) - counts
    depth = np.full(n, -1, dtype=np.int64)
    frontier = np.asarray(roots, dtype=np.int64)
    depth[frontier] = 0
    levels = [frontier]
    d = 0
    while True:
        kids = by_parent[_expand(starts[frontier], counts[frontier])]
        kids = kids[depth[kids] < 0]  # a cycle through a root would revisit it
        if len(kids) == 0:
            break
        d += 1
        depth[kids] = d
        levels.append(kids)
        frontier = kids
    level_starts = np.concatenate([[0], np.cumsum([len(x) for x in levels])])
    return np.concatenate(levels), depth, level_starts


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
    order, depth, level_starts = bfs(par, roots)
    unreached = np.flatnonzero(depth < 0)
    if len(unreached) and orphans == "attach":
        # rank by (time, node number); only the order among the unreached nodes matters for the cycle heads
        time_rank = np.zeros(n, dtype=np.int64)
        time_rank[unreached[np.lexsort((unreached, node_time[unreached]))]] = np.arange(len(unreached))
        heads = _cycle_heads(par, unreached, time_rank)
        cycles = count(heads)
        par[heads] = roots[node_cascade[heads]]
        order, depth, level_starts = bfs(par, roots)
        unreached = np.flatnonzero(depth < 0)
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
