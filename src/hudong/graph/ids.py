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

from hudong.graph import id_kernels as IK

_LOW = np.concatenate([[0, 0], 10 ** np.arange(1, 18, dtype=np.int64)])  # least n-digit value, n = 0..18


def one_array(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One Arrow array: the only chunk as is (``combine_chunks`` copies even then), else the chunks combined."""
    if isinstance(arr, pa.ChunkedArray):
        return arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    return arr


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
            inner = values.array
            if hasattr(inner, "__arrow_array__"):  # Arrow-backed: its own chunks, no copy (pa.array copies: 7 ms/M)
                arr = inner.__arrow_array__()
                return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])
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
        heads, hcodes, hfirst = _runs(one_array(arr))
        return np.repeat(hcodes, np.diff(np.r_[heads, len(arr)])), heads[hfirst]
    ints = decimal_ints(arr) if arr is not None else None
    if ints is not None:
        codes = pd.factorize(ints)[0]
    else:
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            values = pd.Series(pd.arrays.ArrowExtensionArray(values))
        codes = pd.factorize(values)[0]
    codes = codes.astype(np.int64, copy=False)
    return codes, first_positions(codes)


def _runs(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(heads, codes, first) of an Arrow string array without nulls: where each run of equal neighbours starts,
    each run's value coded in order of first appearance, and the run where code k first occurs. Only the run
    heads are hashed (neighbours are compared in Arrow)."""
    n = len(arr)
    head = np.empty(n, dtype=bool)
    head[:1] = True
    head[1:] = pc.not_equal(arr.slice(1), arr.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    heads = np.flatnonzero(head)
    off, data = IK.arrow_buffers(arr)
    codes, first = IK.factorize_grouped(off, data, off, data, heads, np.array([0, len(heads)]))
    return heads, codes, first


def group_rows(values) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Rows grouped by value, groups in order of first appearance: (order, bounds, first) — group g is rows
    ``order[bounds[g]:bounds[g+1]]`` (row order kept within a group), ``first[g]`` its first row; ``order`` is
    None when every group's rows are already consecutive (as cascades come in files: nothing is moved then)."""
    arr = arrow_strings(values)
    if arr is not None and not arr.null_count and len(arr):
        heads, codes, first = _runs(one_array(arr))
        if len(first) == len(heads):  # every run a value of its own
            return None, np.r_[heads, len(arr)], heads
        codes = np.repeat(codes, np.diff(np.r_[heads, len(arr)]))
    else:
        codes = factorize_ids(values if isinstance(values, (pd.Series, pd.Index, np.ndarray))
                              else np.asarray(values, dtype=object))[0]
    if (codes < 0).any():
        raise ValueError("group_rows: missing values cannot be grouped")
    order = np.argsort(codes, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(codes))]
    return order, bounds, order[bounds[:-1]]


def _group_bounds(group: np.ndarray) -> np.ndarray:
    """Start of each run of equal values in ``group``, and its length at the end."""
    return np.r_[0, np.flatnonzero(group[1:] != group[:-1]) + 1, len(group)].astype(np.int64)


def _as_arrow(values) -> pa.Array | None:
    arr = arrow_strings(values)
    if arr is None or arr.null_count:
        return None
    return one_array(arr)


def factorize_by_group(
    values, group: np.ndarray | None, take: np.ndarray | None = None, more=None, bounds: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(codes, first) of the pairs (group[j], values[take[j]]) (``take`` defaults to every value in order; with
    ``more``, a second column of strings, positions past the end of ``values`` read ``more``) — the
    same value in two groups is two things (a user in two cascades is two nodes) — numbered in order of first
    appearance, exactly as ``pd.factorize`` of the pairs; ``first[k]`` = the j where pair k first occurs.

    When ``values`` are Arrow-backed strings and ``group`` is nondecreasing (each group's rows consecutive, as
    cascades come in files), the strings are hashed in place, one cache-sized table per group
    (``id_kernels.factorize_grouped``); otherwise values are coded once (``factorize_ids``) and the pairs
    group·U + code hashed. Instead of ``group``, ``bounds`` may give where each group starts (groups consecutive)."""
    arr = _as_arrow(values)
    arr2 = arr if more is None else _as_arrow(more)
    if bounds is not None:
        bounds = np.asarray(bounds, dtype=np.int64)
        if arr is None or arr2 is None:  # the general path needs a group per value
            group = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    group = np.asarray(group, dtype=np.int64) if group is not None else None
    if arr is not None and arr2 is not None and (bounds is not None or (len(group) and not (np.diff(group) < 0).any())):
        idx = np.arange(len(arr), dtype=np.int64) if take is None else np.asarray(take, dtype=np.int64)
        return IK.factorize_grouped(*IK.arrow_buffers(arr), *IK.arrow_buffers(arr2), idx,
                                    bounds if bounds is not None else _group_bounds(group))
    if more is not None:
        values = np.concatenate([np.asarray(values, dtype=object), np.asarray(more, dtype=object)])
        arr = None
    if take is not None:
        values = arr.take(pa.array(take)) if arr is not None else np.asarray(values)[np.asarray(take)]
    vcodes, vfirst = factorize_ids(values)
    u = max(len(vfirst), 1)
    codes = pd.factorize(group * u + vcodes)[0].astype(np.int64, copy=False)
    return codes, first_positions(codes)
