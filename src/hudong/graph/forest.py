"""Many cascade trees at once: a forest built from messy parent edges by compiled loops (``forest_kernels``).

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

from hudong.graph import forest_kernels as K

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


def bfs(parent: np.ndarray, roots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breadth-first levels from ``roots`` following the ``parent`` array: (order, depth, level_starts);
    ``order`` lists the nodes reached by depth, then node number; ``depth`` is -1 for nodes not reached."""
    par = np.array(parent, dtype=np.int64)  # a copy: the kernel clears the parents of nodes not reached
    roots = np.asarray(roots, dtype=np.int64)
    n = len(par)
    depth, _ = K.resolve_depths(par, np.zeros(n, dtype=np.int64), np.zeros(n), roots, False)
    order, level_starts, _ = K.levels_and_subtrees(par, depth)
    return order, depth, level_starts


def build_forest(
    node_cascade: np.ndarray,
    node_time: np.ndarray,
    roots: np.ndarray,
    child: np.ndarray,
    parent: np.ndarray,
    rank: np.ndarray | None,
    orphans: str = "attach",
) -> Forest:
    """Repair candidate edges ``parent[i] → child[i]`` into one tree per cascade.

    ``parent[i] = -1`` marks an edge whose parent is unknown (not in the data). ``rank`` orders the edges for
    "first parent wins" (line number, or time then id; None: the order of the edges). ``orphans``: ``"attach"`` (nodes without a usable
    parent, and cycles, hang from the root) or ``"drop"`` (only nodes reachable from the root are kept).
    """
    if orphans not in ("attach", "drop"):
        raise ValueError(f"orphans must be 'attach' or 'drop', not {orphans!r}")
    node_cascade = np.asarray(node_cascade, dtype=np.int64)
    roots = np.asarray(roots, dtype=np.int64)
    n, n_casc = len(node_cascade), len(roots)
    child = np.asarray(child, dtype=np.int64)
    parent = np.asarray(parent, dtype=np.int64)
    rank = np.arange(len(child)) if rank is None else np.asarray(rank)
    node_time = np.asarray(node_time, dtype=np.float64)
    if rank.dtype.kind not in "iuf":  # the kernels compare numbers: rank anything else by its sort order
        rank = np.argsort(np.argsort(rank, kind="stable"), kind="stable")
    is_root = np.zeros(n, dtype=bool)
    is_root[roots] = True
    par, self_loops, root_as_child, duplicates, several = K.choose_parents(
        n, n_casc, node_cascade, is_root, child, parent, rank
    )
    depth, missing, cycles, unreachable, early = K.settle(par, node_cascade, node_time, roots, is_root,
                                                          orphans == "attach")
    reps = {"self_loops": self_loops, "root_as_child": root_as_child, "duplicate_edges": duplicates,
            "several_parents": several, "missing_parents": missing, "cycles": cycles, "unreachable": unreachable,
            "child_before_parent": early}
    order, level_starts, subtree = K.levels_and_subtrees(par, depth)
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
