"""Compiled loops (numba) behind ``build_forest`` and ``cascade_metrics``: one pass per step over edges or nodes.

The vectorised NumPy form needed a dozen full-array passes (sorts, scatters, pointer doubling) per step; these
loops touch each edge and node a constant number of times and keep per-cascade work in cache, 5–10× faster on
the two million users of Twitter15/16 + CED (benchmarks/bench_cascades.py). Compiled once per machine
(``cache=True`` keeps the machine code next to this file, or in numba's user cache when that is read-only).
The semantics are those documented in ``hudong.graph.forest`` and ``hudong.graph.cascade_metrics``; the tests
compare both with networkx per tree.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# depth[] states while resolving (every final depth is ≥ 0 or -1 = left out)
_UNKNOWN = -1
_ON_PATH = -2
_DEAD = -3


@njit(cache=True, nogil=True)
def choose_parents(n, n_casc, node_cascade, is_root, child, parent, rank):
    """First usable parent by ``rank`` (then edge order) per child, and the edge repair counts per cascade:
    (par, self_loops, root_as_child, duplicate_edges, several_parents)."""
    m = len(child)
    par = np.full(n, -1, dtype=np.int64)
    best_rank = np.empty(n, dtype=rank.dtype)  # rank of the chosen edge
    cand = np.zeros(n, dtype=np.int32)  # usable candidate edges per child
    self_loops = np.zeros(n_casc, dtype=np.int64)
    root_as_child = np.zeros(n_casc, dtype=np.int64)
    duplicates = np.zeros(n_casc, dtype=np.int64)
    several = np.zeros(n_casc, dtype=np.int64)
    usable = np.zeros(m, dtype=np.bool_)
    n_multi = 0
    for i in range(m):
        c, p = child[i], parent[i]
        if c == p:
            self_loops[node_cascade[c]] += 1
        elif is_root[c]:
            root_as_child[node_cascade[c]] += 1
        elif p >= 0:
            usable[i] = True
            cand[c] += 1
            if cand[c] == 1 or rank[i] < best_rank[c]:
                best_rank[c] = rank[i]
                par[c] = p
            if cand[c] == 2:
                n_multi += 2
            elif cand[c] > 2:
                n_multi += 1
    if n_multi == 0:
        return par, self_loops, root_as_child, duplicates, several
    # the edges of children with several candidates (~5%), as child·n + parent sorted: a child's parents in a run
    keys = np.empty(n_multi, dtype=np.int64)
    j = 0
    for i in range(m):
        if usable[i] and cand[child[i]] > 1:
            keys[j] = child[i] * n + parent[i]
            j += 1
    keys.sort()
    j = 0
    while j < n_multi:
        c = keys[j] // n
        e = j
        distinct = 0
        while e < n_multi and keys[e] // n == c:
            if e == j or keys[e] != keys[e - 1]:
                distinct += 1
            e += 1
        duplicates[node_cascade[c]] += (e - j) - distinct
        if distinct > 1:
            several[node_cascade[c]] += 1
        j = e
    return par, self_loops, root_as_child, duplicates, several


@njit(cache=True, nogil=True)
def _earlier(time, a, b):
    """(time, node number) of a before b's; NaN times last."""
    ta, tb = time[a], time[b]
    if ta == tb or (np.isnan(ta) and np.isnan(tb)):
        return a < b
    return ta < tb or np.isnan(tb)


@njit(cache=True, nogil=True)
def resolve_depths(par, node_cascade, node_time, roots, attach):
    """Depths by walking each node's parent chain once (memoised). A chain that runs into itself is a cycle: with
    ``attach`` its earliest node (time, then node number) is re-parented to the root and counted, else the chain is
    left out. Nodes left out get depth -1 and parent -1. Returns (depth, cycles per cascade)."""
    n = len(par)
    depth = np.full(n, _UNKNOWN, dtype=np.int64)
    for r in roots:
        depth[r] = 0
    cycles = np.zeros(len(roots), dtype=np.int64)
    path = np.empty(n, dtype=np.int64)
    for v in range(n):
        while depth[v] == _UNKNOWN:
            k = 0
            u = v
            while depth[u] == _UNKNOWN and par[u] >= 0:
                depth[u] = _ON_PATH
                path[k] = u
                k += 1
                u = par[u]
            if depth[u] >= 0:  # reached a known depth: number the path down from there
                d = depth[u]
                for j in range(k - 1, -1, -1):
                    d += 1
                    depth[path[j]] = d
            elif depth[u] == _ON_PATH and attach:  # a cycle path[j0:k]: cut it at its earliest node, walk again
                j0 = k - 1
                while path[j0] != u:
                    j0 -= 1
                head = u
                for j in range(j0, k):
                    if _earlier(node_time, path[j], head):
                        head = path[j]
                c = node_cascade[head]
                par[head] = roots[c]
                depth[head] = 1
                cycles[c] += 1
                for j in range(k):
                    if depth[path[j]] == _ON_PATH:
                        depth[path[j]] = _UNKNOWN
            else:  # a dead end (no parent, or a chain already left out): the whole path is left out
                for j in range(k):
                    depth[path[j]] = _DEAD
                if depth[u] == _UNKNOWN:
                    depth[u] = _DEAD
    for v in range(n):
        if depth[v] < 0:
            depth[v] = -1
            par[v] = -1
    return depth, cycles


@njit(cache=True, nogil=True)
def settle(par, node_cascade, node_time, roots, is_root, attach):
    """After ``choose_parents``: nodes without a parent (other than roots) counted as missing parents and, with
    ``attach``, hung from their root; depths resolved (cycles cut or left out, see ``resolve_depths``); nodes
    left out and nodes earlier than their parent counted. Returns (depth, missing_parents, cycles, unreachable,
    child_before_parent), the counts per cascade."""
    n, C = len(par), len(roots)
    missing = np.zeros(C, dtype=np.int64)
    for v in range(n):
        if par[v] < 0 and not is_root[v]:
            missing[node_cascade[v]] += 1
            if attach:
                par[v] = roots[node_cascade[v]]
    depth, cycles = resolve_depths(par, node_cascade, node_time, roots, attach)
    unreachable = np.zeros(C, dtype=np.int64)
    early = np.zeros(C, dtype=np.int64)
    for v in range(n):
        if depth[v] < 0:
            unreachable[node_cascade[v]] += 1
        elif par[v] >= 0 and node_time[v] < node_time[par[v]]:
            early[node_cascade[v]] += 1
    return depth, missing, cycles, unreachable, early


@njit(cache=True, nogil=True)
def levels_and_subtrees(par, depth):
    """(order, level_starts, subtree): kept nodes by depth then node number (a counting sort), and subtree
    sizes summed bottom-up along that order."""
    n = len(par)
    top = -1
    for v in range(n):
        if depth[v] > top:
            top = depth[v]
    starts = np.zeros(top + 2, dtype=np.int64)
    for v in range(n):
        if depth[v] >= 0:
            starts[depth[v] + 1] += 1
    for d in range(top + 1):
        starts[d + 1] += starts[d]
    fill = starts[:-1].copy()
    order = np.empty(starts[top + 1], dtype=np.int64)
    for v in range(n):
        d = depth[v]
        if d >= 0:
            order[fill[d]] = v
            fill[d] += 1
    subtree = np.zeros(n, dtype=np.int64)
    for j in range(len(order) - 1, -1, -1):
        v = order[j]
        subtree[v] += 1
        if par[v] >= 0:
            subtree[par[v]] += subtree[v]
    return order, starts, subtree


@njit(cache=True, nogil=True)
def per_cascade_metrics(par, depth, subtree, node_cascade, node_time, roots, depth_k):
    """Per cascade, from its kept nodes: size, depth, max breadth, internal nodes, Wiener index, generation sizes
    (flat, with offsets), time to depth k, and every kept node's time relative to its root's, cascade after
    cascade (``rel``; sorting them is left to NumPy's SIMD sort, 3× faster)."""
    n, C = len(par), len(roots)
    size = np.zeros(C, dtype=np.int64)
    max_depth = np.zeros(C, dtype=np.int64)
    grouped = True  # each cascade's nodes consecutive (forests built cascade by cascade): read in node order
    last = -1
    for v in range(n):
        if depth[v] >= 0:
            c = node_cascade[v]
            size[c] += 1
            if depth[v] > max_depth[c]:
                max_depth[c] = depth[v]
            grouped &= c >= last
            last = c
    start = np.zeros(C + 1, dtype=np.int64)
    for c in range(C):
        start[c + 1] = start[c] + size[c]
    nodes = np.empty(start[C], dtype=np.int64)  # kept nodes, cascade by cascade (a stable counting sort)
    if grouped:
        j = 0
        for v in range(n):
            if depth[v] >= 0:
                nodes[j] = v
                j += 1
    else:
        fill = start[:-1].copy()
        for v in range(n):
            if depth[v] >= 0:
                c = node_cascade[v]
                nodes[fill[c]] = v
                fill[c] += 1
    has_child = np.zeros(n, dtype=np.bool_)
    for v in range(n):
        if par[v] >= 0:
            has_child[par[v]] = True
    breadth = np.zeros(C, dtype=np.int64)
    internal = np.zeros(C, dtype=np.int64)
    wiener = np.zeros(C, dtype=np.int64)
    gen_start = np.zeros(C + 1, dtype=np.int64)
    for c in range(C):
        gen_start[c + 1] = gen_start[c] + (max_depth[c] + 1 if size[c] else 0)
    gens = np.zeros(gen_start[C], dtype=np.int64)
    t_depth = np.full((C, len(depth_k)), np.nan)
    rel = np.empty(start[C], dtype=np.float64)
    for c in range(C):
        a, b = start[c], start[c + 1]
        n_c = b - a
        if n_c == 0:
            continue
        t0 = node_time[roots[c]]
        g0 = gen_start[c]
        w = 0
        for j in range(a, b):
            v = nodes[j]
            d = depth[v]
            gens[g0 + d] += 1
            if has_child[v]:
                internal[c] += 1
            if d > 0:
                s = subtree[v]
                w += s * (n_c - s)
            t = node_time[v] - t0
            rel[j] = t
            for i in range(len(depth_k)):
                if d == depth_k[i] and not (t >= t_depth[c, i]):  # NaN-safe minimum
                    t_depth[c, i] = t
        wiener[c] = w
        for g in range(g0, gen_start[c + 1]):
            if gens[g] > breadth[c]:
                breadth[c] = gens[g]
    return size, max_depth, breadth, internal, wiener, gens, gen_start, t_depth, rel


@njit(cache=True, nogil=True)
def first_seen_times(n, cnode, child_time, pnode, parent_time):
    """Per node, the smallest time at which it appears as a child, else as a parent (``pnode`` -1: no parent)."""
    t_child = np.full(n, np.inf)
    t_par = np.full(n, np.inf)
    for i in range(len(cnode)):
        if child_time[i] < t_child[cnode[i]]:
            t_child[cnode[i]] = child_time[i]
        p = pnode[i]
        if p >= 0 and parent_time[i] < t_par[p]:
            t_par[p] = parent_time[i]
    for v in range(n):
        if not np.isfinite(t_child[v]):
            t_child[v] = t_par[v]
    return t_child


@njit(cache=True, nogil=True)
def padded_rows(values, starts, counts, width):
    """A (len(starts) × width) block: row r = values[starts[r] : starts[r] + counts[r]], then NaN."""
    block = np.empty((len(starts), width), dtype=np.float64)
    for r in range(len(starts)):
        a = starts[r]
        for j in range(width):
            block[r, j] = values[a + j] if j < counts[r] else np.nan
    return block
