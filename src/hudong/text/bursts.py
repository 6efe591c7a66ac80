"""Bursts, change points and "rising now" for term / hashtag / keyword time series.

- ``kleinberg`` — Kleinberg's burst automaton for **batched** arrivals (Kleinberg 2003, "Bursty and
  hierarchical structure in streams", §4 "enumerating bursts"): in batch t, r_t of d_t documents carry the
  term. State i emits relevant documents at rate p_i = min(p_0·s^i, 0.9999) with p_0 = Σr/Σd; its cost in batch t
  is σ_i(t) = −ln[p_i^{r_t} (1−p_i)^{d_t−r_t}] (the binomial coefficient is the same in every state and is
  dropped); moving up from state i to j costs τ = (j−i)·γ·ln n, moving down is free. The optimal state
  sequence is found by Viterbi, vectorised over terms and states (one numpy step per batch). A burst is a
  maximal run of state ≥ 1; its weight is Σ_t (σ_0(t) − σ_1(t)) over the run (how much better the burst
  state explains it).
- ``change_points`` — ruptures PELT with the l2 cost (``KernelCPD(kernel="linear")``, its C implementation) on
  Anscombe-transformed counts 2·√(x + 3/8), whose
  variance is ≈ 1 for Poisson counts; penalty = 2·σ̂²·ln n (BIC-style), σ̂ from the median absolute
  deviation of first differences (robust to the change itself).
- ``rising`` — each term's latest period against its own trailing baseline: z = (x − μ) / √(σ² + μ + 1)
  and ratio = (x + 1) / (μ + 1), μ/σ² over the ``window`` periods before the current one (the +μ+1 floor
  keeps a once-a-week term from looking like a flood when it appears twice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hudong.text.keywords import doc_terms

__all__ = [
    "BurstPath",
    "TermCounter",
    "TermCounts",
    "bursts_table",
    "change_points",
    "count_terms",
    "detect_bursts",
    "kleinberg",
    "rising",
    "term_series",
]

P_MAX = 0.9999


@dataclass(frozen=True)
class BurstPath:
    """Viterbi result: ``states`` (terms × n) int array, ``cost`` (terms × n_states × n) emission costs."""

    states: np.ndarray
    cost: np.ndarray


def _as_2d(a: np.ndarray | list) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    return a[None, :] if a.ndim == 1 else a


def _probs(r_sum: np.ndarray, d_sum: np.ndarray, s: float, n_states: int) -> np.ndarray:
    """p_i = min(p_0·s^i, P_MAX) per term (rows) and state (columns), p_0 = Σr/Σd."""
    p0 = r_sum / np.maximum(d_sum, 1.0)
    p = np.minimum(p0[:, None] * s ** np.arange(n_states)[None, :], P_MAX)
    return np.maximum(p, 1e-12)


def _viterbi(r2: np.ndarray, d: np.ndarray, p: np.ndarray, gamma: float, online: bool) -> np.ndarray:
    """Optimal (``online``: forward-pass) state per term and batch, computing σ_i(t) one batch at a time.

    ``r2`` (terms × n), ``d`` (n,) shared or (terms × n), ``p`` (terms × states). Memory: the back pointers,
    terms × states × n bytes (int8), besides the input; the emission costs are never stored whole."""
    terms, n = r2.shape
    n_states = p.shape[1]
    logp, log1mp = np.log(p), np.log1p(-p)
    shared = d.ndim == 1

    def cost(t: int) -> np.ndarray:  # σ_i(t) = −(r ln p_i + (d − r) ln(1 − p_i)); terms × states
        r = r2[:, t][:, None]
        dt = d[t] if shared else d[:, t][:, None]
        return -(r * logp + (dt - r) * log1mp)

    up = gamma * np.log(n)
    idx = np.arange(n_states)
    trans = np.maximum(idx[None, :] - idx[:, None], 0) * up  # from i (rows) to j (cols)
    total = cost(0) + trans[0][None, :]  # start in state 0
    small = np.int8 if n_states <= 127 else np.int64
    if online:
        live = np.zeros((terms, n), dtype=small)
        live[:, 0] = total.argmin(1)
    else:
        back = np.zeros((terms, n_states, n), dtype=small)
    for t in range(1, n):
        cand = total[:, :, None] + trans[None, :, :]  # terms × from × to
        if online:
            total = cand.min(1) + cost(t)
            live[:, t] = total.argmin(1)
        else:
            back[:, :, t] = cand.argmin(1)
            total = cand.min(1) + cost(t)
    if online:
        return live
    states = np.zeros((terms, n), dtype=small)
    states[:, -1] = total.argmin(1)
    rows = np.arange(terms)
    for t in range(n - 1, 0, -1):
        states[:, t - 1] = back[rows, states[:, t], t]
    return states


def kleinberg(
    r: np.ndarray | list,
    d: np.ndarray | list,
    *,
    s: float = 2.0,
    gamma: float = 1.0,
    n_states: int = 2,
    online: bool = False,
) -> BurstPath:
    """Optimal burst-state sequence for relevant counts ``r`` out of totals ``d`` (Kleinberg 2003 §4).

    ``r``: (n,) or (terms, n); ``d``: (n,) shared by all terms, or the same shape as ``r``.
    ``online=True`` returns, for each t, the end state of the best path over batches 0..t (the forward pass
    without backtracking): what a detector running live would have said at t. p_0 still comes from the whole
    series (pass a longer history to keep that honest). The result holds the emission costs of every term,
    state and batch (``cost``); for many terms over many batches use ``detect_bursts`` (chunked, no cost array).
    """
    if s <= 1 or gamma < 0 or n_states < 2:
        raise ValueError("kleinberg needs s > 1, gamma >= 0 and n_states >= 2")
    r2 = _as_2d(r)
    d1 = np.asarray(d, dtype=float)
    d2 = d1 if d1.ndim == 1 and d1.shape[0] == r2.shape[1] else np.broadcast_to(_as_2d(d1), r2.shape).astype(float)
    if np.any(r2 < 0) or np.any(r2 > d2):
        raise ValueError("kleinberg needs 0 <= r_t <= d_t in every batch")
    terms, n = r2.shape
    if n == 0:
        return BurstPath(np.zeros((terms, 0), int), np.zeros((terms, n_states, 0)))
    d_sum = np.full(terms, d2.sum()) if d2.ndim == 1 else d2.sum(1)
    p = _probs(r2.sum(1), d_sum, s, n_states)
    dd = d2[None, :] if d2.ndim == 1 else d2
    # σ_i(t) = −(r ln p_i + (d − r) ln(1 − p_i)); terms × states × n
    cost = -(r2[:, None, :] * np.log(p)[:, :, None] + (dd - r2)[:, None, :] * np.log1p(-p)[:, :, None])
    states = _viterbi(r2, d2, p, gamma, online).astype(np.int64)
    return BurstPath(states, cost)


def bursts_table(path: BurstPath, terms: list | None = None, index: pd.Index | None = None) -> pd.DataFrame:
    """One row per burst (maximal run of state ≥ 1): term, start, end (inclusive), level (max state), weight."""
    states, cost = path.states, path.cost
    gain = cost[:, 0, :] - cost[:, 1, :]
    rows = []
    for k in range(states.shape[0]):
        on = np.concatenate([[0], (states[k] > 0).astype(int), [0]])
        edges = np.flatnonzero(np.diff(on))
        for a, b in zip(edges[::2], edges[1::2], strict=True):
            rows.append((terms[k] if terms is not None else k, a, b - 1, int(states[k, a:b].max()),
                         float(gain[k, a:b].sum())))  # fmt: skip
    df = pd.DataFrame(rows, columns=["term", "start", "end", "level", "weight"])
    if index is not None and len(df):
        df["start"] = index[df["start"].to_numpy()]
        df["end"] = index[df["end"].to_numpy()]
    return df.sort_values("weight", ascending=False, ignore_index=True)


def anscombe(x: np.ndarray) -> np.ndarray:
    """2·√(x + 3/8): variance ≈ 1 for Poisson counts (Anscombe 1948)."""
    return 2.0 * np.sqrt(np.asarray(x, dtype=float) + 0.375)


def change_points(counts: np.ndarray | list, *, min_size: int = 2, penalty: float | None = None) -> list[int]:
    """Indices where a new segment starts (PELT, l2 cost on Anscombe-transformed counts).

    Penalty (when not given) = 2·σ̂²·ln n with σ̂ = 1.4826·MAD(Δy)/√2, floored at 0.5 (Poisson noise
    after the transform has σ ≈ 1, so the floor only matters for nearly constant series).
    """
    import ruptures as rpt

    y = anscombe(counts)
    n = len(y)
    if n < 2 * min_size:
        return []
    if penalty is None:
        dy = np.diff(y)
        sigma = max(1.4826 * float(np.median(np.abs(dy - np.median(dy)))) / np.sqrt(2.0), 0.5)
        penalty = 2.0 * sigma**2 * np.log(n)
    # KernelCPD with the linear kernel = PELT on the l2 cost, in C (rpt.Pelt(model="l2") gives the same
    # breakpoints but takes ~15 s on 1,400 points; this takes ~2 ms)
    algo = rpt.KernelCPD(kernel="linear", min_size=min_size).fit(y.reshape(-1, 1))
    return [int(b) for b in algo.predict(pen=penalty)[:-1]]


RISING_Z = 2.0  # default z a term needs to be "rising now" (its count ≥ baseline mean + 2 noise units)


def rising(wide: pd.DataFrame, *, window: int = 7, min_count: int = 3, z_min: float = RISING_Z,
           totals: pd.Series | np.ndarray | None = None, top: int | None = None) -> pd.DataFrame:  # fmt: skip
    """The columns (terms) of a period × term count table whose last period rises above their own trailing
    ``window`` periods: columns term, count, baseline (μ), z, ratio; ranked by z.

    A term is listed only when it rises: count ≥ ``min_count`` and z = (x − μ)/√(σ² + μ + 1) ≥ ``z_min``
    (default 2; z > 0 means x > μ, so a term below its baseline is never listed); and, with ``totals`` (documents
    per period, aligned with the rows), its share of the last period's documents is above its share of the
    baseline's: a term that only grows with the whole volume is not rising.
    """
    cols = ["term", "count", "baseline", "z", "ratio"]
    if wide.empty or len(wide) < 2:
        return pd.DataFrame(columns=cols)
    x = wide.to_numpy(dtype=float)
    now = x[-1]
    lo = max(0, len(x) - 1 - window)
    base = x[lo:-1]
    mu = base.mean(0)
    var = base.var(0)
    z = (now - mu) / np.sqrt(var + mu + 1.0)
    keep = (now >= min_count) & (z >= z_min)
    if totals is not None:
        n = np.asarray(totals, dtype=float)
        if n.shape[0] != len(x):
            raise ValueError(f"totals has {n.shape[0]} periods, the table {len(x)}")
        base_n = n[lo:-1].sum()
        share_now = now / max(n[-1], 1.0)
        share_base = base.sum(0) / max(base_n, 1.0)
        keep &= share_now > share_base
    out = pd.DataFrame({"term": wide.columns, "count": now.astype(int), "baseline": mu, "z": z,
                        "ratio": (now + 1.0) / (mu + 1.0)})  # fmt: skip
    out = out[keep].sort_values(["z", "count"], ascending=False, ignore_index=True)
    return out.head(top) if top else out


# ---- term counts per period, counted incrementally -------------------------------------------------------
@dataclass
class TermCounts:
    """Documents per (term, period), kept sparse: the nonzero cells only.

    ``periods`` = every period from the first to the last (start times, zeros included); ``totals`` =
    documents per period; ``terms`` = the kept terms; cell k says term ``terms[term[k]]`` is in ``docs[k]``
    documents of period ``periods[period[k]]``. Memory grows with the nonzero cells, not terms × periods
    (a year of hours × 10,000 terms is 88M dense cells, typically < 1M nonzero)."""

    periods: pd.DatetimeIndex
    totals: np.ndarray
    terms: list[str]
    term: np.ndarray
    period: np.ndarray
    docs: np.ndarray

    def wide(self, last: int | None = None) -> pd.DataFrame:
        """Period × term document counts (dense), of the ``last`` periods only when given."""
        n = len(self.periods)
        first = 0 if last is None else max(n - last, 0)
        sel = self.period >= first
        x = np.zeros((n - first, len(self.terms)), dtype=np.int64)
        np.add.at(x, (self.period[sel] - first, self.term[sel]), self.docs[sel])
        return pd.DataFrame(x, index=self.periods[first:], columns=pd.Index(self.terms, dtype=object))

    def total_series(self, last: int | None = None) -> pd.Series:
        n = len(self.periods)
        first = 0 if last is None else max(n - last, 0)
        return pd.Series(self.totals[first:], index=self.periods[first:])

    @classmethod
    def from_wide(cls, wide: pd.DataFrame, totals: pd.Series | np.ndarray) -> TermCounts:
        x = wide.to_numpy(dtype=np.int64)
        per, term = np.nonzero(x)
        return cls(pd.DatetimeIndex(wide.index), np.asarray(totals, dtype=np.int64), list(wide.columns),
                   term.astype(np.int64), per.astype(np.int64), x[per, term])  # fmt: skip


_SHIFT = np.int64(1) << np.int64(32)
_ORD0 = np.int64(1) << np.int64(31)  # period ordinals (days, hours… since 1970) are shifted to be ≥ 0


class TermCounter:
    """Counts documents per (term, period) batch by batch: ``add(created_at, texts)``, then ``result()``.

    Terms are ``keywords.doc_terms`` (each once per document); every batch is reduced to its distinct
    (term, period) cells at once, so memory holds the cells and the term dictionary, never per-post term lists
    of the whole table."""

    def __init__(self, freq: str = "D", *, hashtags_only: bool = False):
        self.freq = freq
        self.hashtags_only = hashtags_only
        self.codes: dict[str, int] = {}
        self._keys: list[np.ndarray] = []
        self._counts: list[np.ndarray] = []
        self._pending = 0
        self._ords: dict[int, int] = {}
        self.documents = 0

    def add(self, created_at: pd.Series | np.ndarray | list, texts: list[str | None]) -> None:
        ords = pd.PeriodIndex(pd.to_datetime(pd.Series(created_at)), freq=self.freq).asi8.astype(np.int64)
        code = self.codes
        term_codes: list[int] = []
        doc_of: list[int] = []
        for i, t in enumerate(texts):
            terms = doc_terms(t)
            if self.hashtags_only:
                terms = [w for w in terms if w.startswith("#")]
            for w in terms:
                c = code.get(w)
                if c is None:
                    c = code[w] = len(code)
                term_codes.append(c)
            doc_of.extend([i] * len(terms))
        u, k = np.unique(ords, return_counts=True)
        for o, n in zip(u.tolist(), k.tolist(), strict=True):
            self._ords[o] = self._ords.get(o, 0) + n
        self.documents += len(ords)
        if term_codes:
            keys = np.asarray(term_codes, dtype=np.int64) * _SHIFT + (ords[np.asarray(doc_of)] + _ORD0)
            ukeys, counts = np.unique(keys, return_counts=True)
            self._keys.append(ukeys)
            self._counts.append(counts)
            self._pending += len(ukeys)
            if self._pending > 4_000_000:
                self._merge()

    def _merge(self) -> None:
        if len(self._keys) > 1:
            keys = np.concatenate(self._keys)
            counts = np.concatenate(self._counts)
            ukeys, inv = np.unique(keys, return_inverse=True)
            self._keys, self._counts = [ukeys], [np.bincount(inv, weights=counts).astype(np.int64)]
        self._pending = len(self._keys[0]) if self._keys else 0

    def result(self, min_docs: int = 3) -> TermCounts:
        """The counts of the terms in at least ``min_docs`` documents; every period from the first to the last."""
        if not self._ords:
            empty = np.zeros(0, dtype=np.int64)
            return TermCounts(pd.DatetimeIndex([]), empty, [], empty, empty, empty)
        lo, hi = min(self._ords), max(self._ords)
        periods = pd.period_range(pd.Period(ordinal=lo, freq=self.freq), pd.Period(ordinal=hi, freq=self.freq),
                                  freq=self.freq)  # fmt: skip
        totals = np.zeros(hi - lo + 1, dtype=np.int64)
        for o, n in self._ords.items():
            totals[o - lo] = n
        self._merge()
        names = np.empty(len(self.codes), dtype=object)
        for w, c in self.codes.items():
            names[c] = w
        if not self._keys:
            empty = np.zeros(0, dtype=np.int64)
            return TermCounts(periods.start_time, totals, [], empty, empty, empty)
        keys, docs = self._keys[0], self._counts[0]
        term = keys // _SHIFT
        period = keys % _SHIFT - _ORD0 - lo
        per_term = np.bincount(term, weights=docs, minlength=len(names))
        kept = np.flatnonzero(per_term >= min_docs)
        kept = kept[np.argsort(names[kept].astype(str), kind="stable")]  # terms in sorted order, as a pivot gives
        new = np.full(len(names), -1, dtype=np.int64)
        new[kept] = np.arange(len(kept))
        sel = new[term] >= 0
        return TermCounts(periods.start_time, totals, [str(w) for w in names[kept]], new[term[sel]],
                          period[sel].astype(np.int64), docs[sel].astype(np.int64))  # fmt: skip


def count_terms(frame: pd.DataFrame, freq: str = "D", *, hashtags_only: bool = False, min_docs: int = 3,
                text: str = "text", batch: int = 20_000) -> TermCounts:  # fmt: skip
    """``TermCounter`` over the rows of ``frame`` (columns created_at and ``text``)."""
    counter = TermCounter(freq, hashtags_only=hashtags_only)
    for i in range(0, len(frame), batch):
        part = frame.iloc[i : i + batch]
        counter.add(part["created_at"].to_numpy(), part[text].tolist())
    return counter.result(min_docs)


def term_series(
    frame: pd.DataFrame, freq: str = "D", *, hashtags_only: bool = False, min_docs: int = 3, text: str = "text"
) -> tuple[pd.DataFrame, pd.Series]:
    """Period × term document counts (terms from ``hudong.text.keywords.doc_terms``) and documents per period.

    ``freq`` is a pandas period alias (``h``, ``D``, ``W``, ``M``); every period between the first and the
    last is present (zeros included). Terms in fewer than ``min_docs`` documents overall are left out. A dense
    table: for long series of fine periods use ``count_terms`` / ``TermCounter`` and ``detect_bursts`` on them.
    """
    counts = count_terms(frame, freq, hashtags_only=hashtags_only, min_docs=min_docs, text=text)
    return counts.wide(), counts.total_series()


def detect_bursts(wide: pd.DataFrame | TermCounts, totals: pd.Series | None = None, *, s: float = 2.0,
                  gamma: float = 1.0, n_states: int = 2) -> pd.DataFrame:  # fmt: skip
    """Kleinberg bursts of every term against the period totals: term, start, end, level, weight.

    ``wide`` is a period × term table (with ``totals``) or ``TermCounts``. The Viterbi pass runs one term at a
    time in compiled code (``burst_kernels.sparse_bursts``) on the sparse counts: memory is one term's series,
    not terms × periods × states; the states are those of ``kleinberg`` (same arithmetic)."""
    from hudong.text.burst_kernels import sparse_bursts  # lazy: numba compiles the kernel on first import

    cols = ["term", "start", "end", "level", "weight"]
    counts = wide if isinstance(wide, TermCounts) else TermCounts.from_wide(wide, np.asarray(totals))
    n = len(counts.periods)
    if not counts.terms or n == 0:
        return pd.DataFrame(columns=cols)
    if s <= 1 or gamma < 0 or n_states < 2:
        raise ValueError("kleinberg needs s > 1, gamma >= 0 and n_states >= 2")
    d = counts.totals.astype(float)
    if np.any(counts.docs > d[counts.period]):
        raise ValueError("kleinberg needs 0 <= r_t <= d_t in every batch")
    order = np.lexsort((counts.period, counts.term))
    term, period, docs = counts.term[order], counts.period[order], counts.docs[order].astype(float)
    bounds = np.searchsorted(term, np.arange(len(counts.terms) + 1)).astype(np.int64)
    r_sum = np.bincount(term, weights=docs, minlength=len(counts.terms))
    p = _probs(r_sum, np.full(len(counts.terms), d.sum()), s, n_states)
    idx = np.arange(n_states)
    trans = np.maximum(idx[None, :] - idx[:, None], 0) * (gamma * np.log(n))
    k, a, b, level, weight = sparse_bursts(bounds, period.astype(np.int64), docs, d, np.log(p), np.log1p(-p),
                                           trans.astype(float))  # fmt: skip
    if not len(k):
        return pd.DataFrame(columns=cols)
    table = pd.DataFrame({"term": np.asarray(counts.terms, dtype=object)[k], "start": counts.periods[a],
                          "end": counts.periods[b], "level": level, "weight": weight})  # fmt: skip
    return table.sort_values("weight", ascending=False, ignore_index=True)[cols]
