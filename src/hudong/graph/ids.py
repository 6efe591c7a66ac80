"""Integer codes for id strings, fast: ``factorize_ids(values)`` gives exactly ``pandas.factorize(values)[0]``.

Turning a few million user/tweet/event id strings into integer codes is the largest single cost of building
cascade forests from raw data (docs/propagation.md, benchmarks). One exact shortcut, giving the codes of first
appearance that ``pd.factorize`` gives:

- **decimal ids** (Twitter user ids): when every string is ``"0"`` or digits without a leading zero (< 2^63), they
  are parsed to int64 (Arrow ``cast``) and the integers are hashed instead of the strings (~3× faster hashing).
  That map is one-to-one, so the codes do not change. Any other string (``'ROOT'``, a Weibo domain name, ``"007"``)
  sends the whole array to string hashing.

Anything else (nulls, NumPy object arrays, other dtypes) takes plain ``pd.factorize``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_LOW = np.concatenate([[0, 0], 10 ** np.arange(1, 18, dtype=np.int64)])  # least n-digit value, n = 0..18


def _arrow_strings(values) -> pa.Array | None:
    """``values`` as one Arrow string array without nulls, or None (then use plain pd.factorize)."""
    if isinstance(values, pa.ChunkedArray):
        arr = values
    elif isinstance(values, pa.Array):
        arr = pa.chunked_array([values])
    else:
        s = values if isinstance(values, pd.Series) else pd.Series(values)
        if s.dtype == object or not pd.api.types.is_string_dtype(s.dtype):
            return None  # converting Python objects to Arrow costs more than it saves
        arr = pa.chunked_array(pa.array(s))
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)) or arr.null_count:
        return None
    return arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)


def first_positions(codes: np.ndarray) -> np.ndarray:
    """Where each code of a first-appearance coding (0, 1, 2, … as met; -1 = missing) occurs first: where a
    code exceeds every code before it."""
    if len(codes) == 0:
        return np.empty(0, dtype=np.int64)
    if codes.min() < 0:
        ok = np.flatnonzero(codes >= 0)
        return ok[first_positions(codes[ok])]
    new = np.empty(len(codes), dtype=bool)
    new[0] = True
    np.greater(codes[1:], np.maximum.accumulate(codes[:-1]), out=new[1:])
    return np.flatnonzero(new)


def decimal_ints(arr: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """The int64 values of Arrow strings when every one is a plain decimal (``"0"`` or digits without a leading
    zero, no sign, ≤ 18 digits), else None. One-to-one on such strings, so hashing the integers codes them exactly
    as hashing the strings would."""
    if len(arr) == 0:
        return np.empty(0, dtype=np.int64)
    if arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    length = pc.binary_length(arr)
    # checked before casting: a failing cast costs ~0.6 s per million strings, these checks ~10 ms
    if pc.max(length).as_py() > 18 or not pc.all(pc.ascii_is_decimal(arr)).as_py():
        return None
    ints = pc.cast(arr, pa.int64()).to_numpy(zero_copy_only=False)
    # digits only, so the one thing the cast forgives is a leading zero: an n-digit string must be ≥ 10^(n-1)
    if (ints < _LOW[length.to_numpy(zero_copy_only=False)]).any():
        return None
    return ints


def arrow_strings(values) -> pa.Array | pa.ChunkedArray | None:
    """The Arrow array behind a pandas string Series (pandas ≥ 3 ``str``, ``string[pyarrow]``,
    ``ArrowDtype``), an Arrow array as is, else None (NumPy object arrays are not converted: that costs more
    than the integer path saves)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    if isinstance(values, (pd.Series, pd.Index)) and values.dtype != object and pd.api.types.is_string_dtype(
        values.dtype
    ):
        try:
            return pa.chunked_array(pa.array(values))
        except (pa.ArrowException, TypeError):
            return None
    return None


def factorize_ids(values, runs: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(codes, first): ``codes`` = ``pd.factorize(values)[0]`` (int64, numbered in order of first appearance,
    -1 for missing), ``first[k]`` = the position where code k first occurs (the distinct values are
    ``values.take(first)``). Plain decimal ids (see ``decimal_ints``) are hashed as integers.

    ``runs=True`` for values that come in runs (a cascade's id on each of its rows): only the first value of each
    run (one differing from the value before, compared in Arrow) is hashed; the rest repeat its code."""
    arr = arrow_strings(values)
    if runs and arr is not None and len(arr) > 1 and not arr.null_count:
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        n = len(arr)
        head = np.empty(n, dtype=bool)
        head[0] = True
        head[1:] = pc.not_equal(arr.slice(1), arr.slice(0, n - 1)).to_numpy(zero_copy_only=False)
        heads = np.flatnonzero(head)
        hcodes, hfirst = factorize_ids(arr.take(pa.array(heads)))
        return hcodes[np.cumsum(head) - 1], heads[hfirst]
    ints = decimal_ints(arr) if arr is not None else None
    if ints is not None:
        codes = pd.factorize(ints)[0]
    else:
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            values = pd.Series(pd.arrays.ArrowExtensionArray(values))
        codes = pd.factorize(values)[0]
    codes = codes.astype(np.int64, copy=False)
    return codes, first_positions(codes)


SLICE = 1 << 14  # values hashed at a time by factorize_by_group: a table this size stays in cache


def factorize_by_group(values, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes, first) of the pairs (group[i], values[i]) — the same value in two groups is two things (a user in
    two cascades is two nodes) — numbered in order of first appearance, exactly as ``pd.factorize`` of the
    pairs; ``first[k]`` = where pair k first occurs. ``values``: strings (pandas / Arrow) or integers.

    When ``group`` is nondecreasing (each group's rows consecutive, as cascades come in files), the pairs are
    hashed a slice of whole groups (~16k values) at a time: one hash table per slice stays in the CPU cache,
    3–4× faster than one table of a million values, which is what bounds a single ``pd.factorize`` over millions
    of distinct ids (cache misses, not the hashing of the strings). Otherwise values are coded once
    (``factorize_ids``) and the pairs group·U + code hashed."""
    group = np.asarray(group, dtype=np.int64)
    n = len(group)
    arr = arrow_strings(values)
    if n == 0 or (np.diff(group) < 0).any() or (arr is not None and arr.null_count):
        vcodes, vfirst = factorize_ids(values)
        u = max(len(vfirst), 1)
        codes = pd.factorize(group * u + vcodes)[0].astype(np.int64, copy=False)
        return codes, first_positions(codes)
    if arr is not None:
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    ints = None if arr is not None else np.asarray(values)
    cuts = np.unique(np.searchsorted(group, group[np.arange(0, n, SLICE)]))
    cuts = np.append(cuts, n)
    codes = np.empty(n, dtype=np.int64)
    off = 0
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        if arr is not None:
            d = pc.dictionary_encode(arr.slice(a, b - a))
            local = d.indices.to_numpy(zero_copy_only=False).astype(np.int64)
            k = len(d.dictionary)
        else:
            local, uniq = pd.factorize(ints[a:b])
            k = len(uniq)
        g = group[a:b]
        if g[0] != g[-1]:  # several groups in the slice: the pair, not the value, is the thing
            local = pd.factorize((g - g[0]) * k + local)[0]
            k = int(local.max()) + 1
        codes[a:b] = local + off
        off += k
    return codes, first_positions(codes)


def _as_arrow(values) -> pa.Array | None:
    arr = arrow_strings(values)
    if arr is None or arr.null_count:
        return None
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def lookup_by_group(keys, key_group: np.ndarray, queries, query_group: np.ndarray) -> np.ndarray:
    """For each query, the index of the first key with the same value in the same group, or -1 — e.g. the first
    row of an event with a given repost id, for each row's parent repost id. Equal to looking up the pairs
    (group, value) in a table of the pairs (group, key) keeping the first of duplicates.

    When both group arrays are nondecreasing (rows of a group consecutive), it goes a slice of whole groups at a
    time (cache-sized hash tables, see ``factorize_by_group``); otherwise one pass over all pairs."""
    key_group = np.asarray(key_group, dtype=np.int64)
    query_group = np.asarray(query_group, dtype=np.int64)
    nk, nq = len(key_group), len(query_group)
    out = np.full(nq, -1, dtype=np.int64)
    if nk == 0 or nq == 0:
        return out
    ka, qa = _as_arrow(keys), _as_arrow(queries)
    if ka is None or qa is None or (np.diff(key_group) < 0).any() or (np.diff(query_group) < 0).any():
        kc = keys.to_numpy() if isinstance(keys, pd.Series) else np.asarray(keys)
        qc = queries.to_numpy() if isinstance(queries, pd.Series) else np.asarray(queries)
        codes, first = factorize_by_group(np.concatenate([kc, qc]), np.concatenate([key_group, query_group]))
        f = first[codes[nk:]]
        hit = f < nk
        out[hit] = f[hit]
        return out
    bounds = np.unique(np.concatenate([key_group[np.arange(0, nk, SLICE)], [key_group[-1] + 1]]))
    bounds = np.union1d(bounds, [min(key_group[0], query_group[0]), max(key_group[-1], query_group[-1]) + 1])
    kcut = np.searchsorted(key_group, bounds)
    qcut = np.searchsorted(query_group, bounds)
    for i in range(len(bounds) - 1):
        k0, k1, q0, q1 = kcut[i], kcut[i + 1], qcut[i], qcut[i + 1]
        if q0 == q1 or k0 == k1:
            continue
        d = pc.dictionary_encode(pa.concat_arrays([ka.slice(k0, k1 - k0), qa.slice(q0, q1 - q0)]))
        local = d.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        g = np.concatenate([key_group[k0:k1], query_group[q0:q1]])
        if g.min() != g.max():
            local = pd.factorize((g - g.min()) * len(d.dictionary) + local)[0]
        first = first_positions(local)
        f = first[local[k1 - k0 :]]
        hit = f < k1 - k0
        out[q0:q1][hit] = k0 + f[hit]
    return out
