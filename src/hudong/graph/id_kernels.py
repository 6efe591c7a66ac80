"""Compiled (numba) hashing of Arrow id strings within groups: a user in two cascades is two nodes.

Strings are read in place from the Arrow buffers (offsets + bytes), hashed (FNV-1a, then a 64-bit finaliser)
into one small open-addressing table per group — sized to the group, so it stays in cache — and compared
byte by byte on a hash match, so codes are exact. About 4× faster than pandas factorize of the same strings
cut into cache-sized slices (benchmarks/bench_cascades.py).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def arrow_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets as int64, bytes) of an Arrow string / large_string array without nulls, zero-copy where possible."""
    if isinstance(arr, pa.ChunkedArray):  # one chunk: itself (combine_chunks would copy it)
        arr = arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    _, off_buf, data_buf = arr.buffers()
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(off_buf, dtype=width)[arr.offset : arr.offset + len(arr) + 1].astype(np.int64, copy=False)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, dtype=np.uint8)
    return offsets, data


@njit(cache=True, nogil=True)
def _hash(data, a, b):
    """64-bit hash of data[a:b]: FNV-1a (ids are short: ~10 ns each; word-at-a-time reads were slower in numba),
    then murmur3's finaliser so the low bits the table mask keeps are well mixed."""
    h = _FNV_OFFSET ^ np.uint64(b - a)
    for j in range(a, b):
        h = (h ^ np.uint64(data[j])) * _FNV_PRIME
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    return h


@njit(cache=True, nogil=True)
def _same(x, a, b, y, c, d):
    """Bytes x[a:b] equal y[c:d] (a compiled loop: no generators here)."""
    if b - a != d - c:
        return False
    for j in range(b - a):  # noqa: SIM110
        if x[a + j] != y[c + j]:
            return False
    return True


@njit(cache=True, nogil=True)
def _table_size(n):
    size = 16
    while size < 2 * n:
        size *= 2
    return size


@njit(cache=True, nogil=True)
def _string_of(a_off, b_off, s):
    """(in column A?, start, end) of string position s (past A's end: column B)."""
    n_a = len(a_off) - 1
    if s < n_a:
        return True, a_off[s], a_off[s + 1]
    return False, b_off[s - n_a], b_off[s - n_a + 1]


@njit(cache=True, nogil=True)
def _equal(a_data, b_data, in_a, a, b, in_a2, c, d):
    # each case spelled out: choosing an array in an expression costs reference counting in the loop
    if in_a:
        return _same(a_data, a, b, a_data, c, d) if in_a2 else _same(a_data, a, b, b_data, c, d)
    return _same(b_data, a, b, a_data, c, d) if in_a2 else _same(b_data, a, b, b_data, c, d)


@njit(cache=True, nogil=True)
def factorize_grouped(a_off, a_data, b_off, b_data, idx, bounds):
    """Codes of the strings ``idx[j]`` — position idx[j] of array A, or idx[j] − len(A) of array B when past A's
    end (two columns, e.g. parent and child uids, read without concatenating them) — in groups: group g is
    ``idx[bounds[g]:bounds[g+1]]``. Equal strings in one group share a code; codes are numbered by first
    appearance, group after group. Returns (codes, first): ``first[k]`` = the j where code k first occurs.

    The table (code and hash per slot, a stamp saying which group filled it) is sized to the largest group and
    reused: per string only its code is written — fresh memory is what costs here (page faults)."""
    n = len(idx)
    codes = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    big = 0
    for g in range(len(bounds) - 1):
        big = max(big, bounds[g + 1] - bounds[g])
    size = _table_size(big)
    slot = np.empty(size, dtype=np.int64)
    slot_hash = np.empty(size, dtype=np.uint64)
    stamp = np.full(size, -1, dtype=np.int32)
    k = 0
    for g in range(len(bounds) - 1):
        mask = np.uint64(_table_size(bounds[g + 1] - bounds[g]) - 1)
        for j in range(bounds[g], bounds[g + 1]):
            in_a, a, b = _string_of(a_off, b_off, idx[j])
            h = _hash(a_data, a, b) if in_a else _hash(b_data, a, b)
            i = h & mask
            while True:
                if stamp[i] != g:  # empty slot: a new string of this group
                    stamp[i] = g
                    slot[i] = k
                    slot_hash[i] = h
                    first[k] = j
                    codes[j] = k
                    k += 1
                    break
                if slot_hash[i] == h:
                    c = slot[i]
                    in_a2, c0, c1 = _string_of(a_off, b_off, idx[first[c]])
                    if _equal(a_data, b_data, in_a, a, b, in_a2, c0, c1):
                        codes[j] = c
                        break
                i = (i + np.uint64(1)) & mask
    return codes, first[:k]


@njit(cache=True, nogil=True)
def line_mentions(tree, skip_parent, p_off, p_data):
    """The uids of edge lines in mention order — line by line, the parent (column A: position = line) unless
    skipped or the same string as the line before's parent in the same tree (files list a parent's children
    together: most parents repeat; ``repeat`` marks them, their node is the line before's), then the child
    (column B: position = m + line): (take, pos, bounds, repeat) with ``pos`` = 2·line (+1 for the child) and
    ``bounds`` where each tree's mentions start (``tree`` nondecreasing)."""
    m = len(tree)
    repeat = np.zeros(m, dtype=np.bool_)
    count = 2 * m
    n_groups = 0
    for i in range(m):
        new_tree = i == 0 or tree[i] != tree[i - 1]
        n_groups += new_tree
        if skip_parent[i]:
            count -= 1
        elif not new_tree and not skip_parent[i - 1] and _same(
            p_data, p_off[i], p_off[i + 1], p_data, p_off[i - 1], p_off[i]
        ):
            repeat[i] = True
            count -= 1
    take = np.empty(count, dtype=np.int64)
    pos = np.empty(count, dtype=np.int64)
    bounds = np.empty(n_groups + 1, dtype=np.int64)
    j = 0
    g = 0
    for i in range(m):
        if i == 0 or tree[i] != tree[i - 1]:
            bounds[g] = j
            g += 1
        if not skip_parent[i] and not repeat[i]:
            take[j] = i
            pos[j] = 2 * i
            j += 1
        take[j] = m + i
        pos[j] = 2 * i + 1
        j += 1
    bounds[n_groups] = count
    return take, pos, bounds, repeat


@njit(cache=True, nogil=True)
def mention_nodes(m, pos, codes, repeat):
    """(pnode, cnode) per line from the codes of the hashed mentions (``pos`` = 2·line, +1 for the child): a
    parent not hashed is -1 (the 'ROOT' pseudo-parent), or when ``repeat``, the node of the line before's."""
    pnode = np.full(m, -1, dtype=np.int64)
    cnode = np.full(m, -1, dtype=np.int64)
    for j in range(len(pos)):
        line = pos[j] >> 1
        if pos[j] & 1:
            cnode[line] = codes[j]
        else:
            pnode[line] = codes[j]
    for i in range(1, m):
        if repeat[i]:
            pnode[i] = pnode[i - 1]
    return pnode, cnode


@njit(cache=True, nogil=True)
def repost_nodes(order, bounds, p_off, p_data, q_off, q_data, u_off, u_data, s_off, s_data, time):
    """User-level nodes and edges of a repost table, cascade by cascade (rows ``order[bounds[g]:bounds[g+1]]``
    of cascade g): each row's post id (P), parent post id (Q, empty = the source post), user (U); ``s`` = the
    source author of each cascade. Two tables per cascade, reused: users → node numbers (numbered in order of
    their first row, the source author after them when they never repost), post ids → the first row that has
    it. Returns (node_cascade, node_time, node_first, roots, child, parent): a user's time is their first
    repost's, the root's the cascade's first repost; ``node_first`` = the row of a node's first repost (-1: a
    source author only); per row, its node and its parent's (the author of the parent post, the root for an
    empty parent, -1 when the parent post is not among the cascade's rows)."""
    m = len(order)
    n_casc = len(bounds) - 1
    node_cascade = np.empty(m + n_casc, dtype=np.int64)
    node_time = np.empty(m + n_casc, dtype=np.float64)
    node_first = np.empty(m + n_casc, dtype=np.int64)
    child = np.empty(m, dtype=np.int64)
    parent = np.empty(m, dtype=np.int64)
    roots = np.empty(n_casc, dtype=np.int64)
    big = 0
    for g in range(n_casc):
        big = max(big, bounds[g + 1] - bounds[g])
    size = _table_size(big)
    u_node = np.empty(size, dtype=np.int64)
    u_hash = np.empty(size, dtype=np.uint64)
    u_stamp = np.full(size, -1, dtype=np.int32)
    p_row = np.empty(size, dtype=np.int64)
    p_hash = np.empty(size, dtype=np.uint64)
    p_stamp = np.full(size, -1, dtype=np.int32)
    k = 0
    for g in range(n_casc):
        lo, hi = bounds[g], bounds[g + 1]
        mask = np.uint64(_table_size(hi - lo) - 1)
        t_min = np.inf
        for j in range(lo, hi):
            r = order[j]
            t_min = min(t_min, time[r])
            a, b = u_off[r], u_off[r + 1]
            h = _hash(u_data, a, b)
            i = h & mask
            while True:
                if u_stamp[i] != g:  # a new user in this cascade
                    u_stamp[i] = g
                    u_node[i] = k
                    u_hash[i] = h
                    node_cascade[k] = g
                    node_time[k] = time[r]
                    node_first[k] = r
                    child[r] = k
                    k += 1
                    break
                c = u_node[i]
                f = node_first[c]
                if u_hash[i] == h and _same(u_data, a, b, u_data, u_off[f], u_off[f + 1]):
                    child[r] = c
                    node_time[c] = min(node_time[c], time[r])
                    break
                i = (i + np.uint64(1)) & mask
            a, b = p_off[r], p_off[r + 1]
            h = _hash(p_data, a, b)
            i = h & mask
            while p_stamp[i] == g:
                t = p_row[i]
                if p_hash[i] == h and _same(p_data, a, b, p_data, p_off[t], p_off[t + 1]):
                    break  # a repeated post id: its first row stays
                i = (i + np.uint64(1)) & mask
            if p_stamp[i] != g:
                p_stamp[i] = g
                p_row[i] = r
                p_hash[i] = h
        a, b = s_off[g], s_off[g + 1]  # the source author: a node already when they also repost
        h = _hash(s_data, a, b)
        i = h & mask
        root = -1
        while u_stamp[i] == g:
            f = node_first[u_node[i]]
            if u_hash[i] == h and _same(s_data, a, b, u_data, u_off[f], u_off[f + 1]):
                root = u_node[i]
                break
            i = (i + np.uint64(1)) & mask
        if root < 0:
            root = k
            node_cascade[k] = g
            node_first[k] = -1
            k += 1
        roots[g] = root
        node_time[root] = t_min
        for j in range(lo, hi):
            r = order[j]
            a, b = q_off[r], q_off[r + 1]
            if a == b:
                parent[r] = root
                continue
            parent[r] = -1
            h = _hash(q_data, a, b)
            i = h & mask
            while p_stamp[i] == g:
                t = p_row[i]
                if p_hash[i] == h and _same(q_data, a, b, p_data, p_off[t], p_off[t + 1]):
                    parent[r] = child[t]
                    break
                i = (i + np.uint64(1)) & mask
    return node_cascade[:k], node_time[:k], node_first[:k], roots, child, parent
