"""Compiled (numba) Kleinberg Viterbi over sparse term counts, one term at a time (``bursts.detect_bursts``).

The numpy ``kleinberg`` steps through the batches once for all terms, holding terms × states × batches of
costs and back pointers; on a year of hours and thousands of terms that is gigabytes. This kernel keeps one
term's dense counts and back pointers (states × batches bytes) at a time and turns the best path into bursts
right away, so memory is O(batches) whatever the number of terms. Same arithmetic as ``bursts._viterbi``
(emission cost −(r ln p_i + (d − r) ln(1 − p_i)), ties to the lower state), so the same states.
(``cache=True`` keeps the machine code next to this file, or in numba's user cache when that is read-only.)
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def sparse_bursts(bounds, period, docs, d, logp, log1mp, trans):  # pragma: no cover - compiled
    """Bursts of every term: term k's nonzero counts are ``docs[bounds[k]:bounds[k + 1]]`` at batches
    ``period[…]`` (sorted); ``d`` the batch totals; ``logp``/``log1mp`` (terms × states) ln p_i and ln(1 − p_i);
    ``trans`` (states × states) the transition costs. Returns (term, start, end, level, weight) arrays, one row
    per maximal run of state ≥ 1; weight = Σ over the run of σ_0(t) − σ_1(t)."""
    n_terms = bounds.shape[0] - 1
    n = d.shape[0]
    s = trans.shape[0]
    r = np.zeros(n)
    back = np.zeros((s, n), np.int8)
    states = np.zeros(n, np.int8)
    total = np.empty(s)
    new = np.empty(s)
    cap = 1024
    out_k = np.empty(cap, np.int64)
    out_a = np.empty(cap, np.int64)
    out_b = np.empty(cap, np.int64)
    out_lvl = np.empty(cap, np.int64)
    out_w = np.empty(cap)
    m = 0
    for k in range(n_terms):
        for q in range(bounds[k], bounds[k + 1]):
            r[period[q]] = docs[q]
        lp = logp[k]
        lq = log1mp[k]
        for j in range(s):
            total[j] = -(r[0] * lp[j] + (d[0] - r[0]) * lq[j]) + trans[0, j]
        for t in range(1, n):
            rt = r[t]
            dt = d[t]
            for j in range(s):
                best = total[0] + trans[0, j]
                arg = 0
                for i in range(1, s):
                    c = total[i] + trans[i, j]
                    if c < best:
                        best = c
                        arg = i
                back[j, t] = arg
                new[j] = best + -(rt * lp[j] + (dt - rt) * lq[j])
            for j in range(s):
                total[j] = new[j]
        last = 0
        for j in range(1, s):
            if total[j] < total[last]:
                last = j
        states[n - 1] = last
        for t in range(n - 1, 0, -1):
            states[t - 1] = back[states[t], t]
        t = 0
        while t < n:
            if states[t] == 0:
                t += 1
                continue
            a = t
            lvl = 0
            w = 0.0
            while t < n and states[t] > 0:
                if states[t] > lvl:
                    lvl = states[t]
                c0 = -(r[t] * lp[0] + (d[t] - r[t]) * lq[0])
                c1 = -(r[t] * lp[1] + (d[t] - r[t]) * lq[1])
                w += c0 - c1
                t += 1
            if m == cap:
                cap *= 2
                out_k = _grow_i(out_k, cap)
                out_a = _grow_i(out_a, cap)
                out_b = _grow_i(out_b, cap)
                out_lvl = _grow_i(out_lvl, cap)
                out_w = _grow_f(out_w, cap)
            out_k[m] = k
            out_a[m] = a
            out_b[m] = t - 1
            out_lvl[m] = lvl
            out_w[m] = w
            m += 1
        for q in range(bounds[k], bounds[k + 1]):
            r[period[q]] = 0.0
    return out_k[:m], out_a[:m], out_b[:m], out_lvl[:m], out_w[:m]


@njit(cache=True, nogil=True)
def _grow_i(a, cap):  # pragma: no cover - compiled
    out = np.empty(cap, np.int64)
    out[: a.shape[0]] = a
    return out


@njit(cache=True, nogil=True)
def _grow_f(a, cap):  # pragma: no cover - compiled
    out = np.empty(cap)
    out[: a.shape[0]] = a
    return out
