"""Value parsers: timestamps, counts, numbers, booleans, lists, hashtags.

Each column parser takes a pyarrow array (usually strings as read) and returns ``(values, failed)``:
the parsed array of the target type and a boolean numpy mask of rows whose non-empty input could not be
parsed (those rows are quarantined by the importer). Empty strings and nulls become null, never failures.

Speed: common forms go through pyarrow.compute over the whole column (ISO timestamps, epochs, plain
integers); the odd forms are parsed in Python once per *distinct* value and mapped back with ``take``.
Single-value helpers (``parse_timestamp``, ``parse_count`` …) share the same rules.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_TZ = "Asia/Shanghai"
_US = 1_000_000
NAT = np.iinfo(np.int64).min

# ---------------------------------------------------------------------------------------------------------------
# helpers


def _as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return values


def _present(arr: pa.Array) -> np.ndarray:
    """Rows holding a value: not null and, for strings, not blank."""
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        blank = pc.or_(pc.equal(pc.utf8_length(arr), 0), pc.utf8_is_space(arr))
        ok = pc.and_(pc.is_valid(arr), pc.invert(pc.fill_null(blank, True)))
    else:
        ok = pc.is_valid(arr)
    return np.asarray(ok.to_numpy(zero_copy_only=False), dtype=bool)


def _per_unique(arr: pa.Array, fn: Callable[[str], object], out_type: pa.DataType) -> tuple[pa.Array, np.ndarray]:
    """Apply ``fn`` to each distinct string once; ``fn`` raises ValueError for a bad value, returns None for empty."""
    arr = pc.cast(arr, pa.string()) if not pa.types.is_string(arr.type) else arr
    enc = arr.dictionary_encode()
    results: list[object] = []
    bad: list[bool] = []
    for u in enc.dictionary.to_pylist():
        try:
            results.append(fn(u))
            bad.append(False)
        except (ValueError, OverflowError, TypeError):
            results.append(None)
            bad.append(True)
    parsed = pc.take(pa.array(results, out_type), enc.indices)
    failed = pc.take(pa.array(bad, pa.bool_()), enc.indices)
    return parsed, np.asarray(pc.fill_null(failed, False).to_numpy(zero_copy_only=False), dtype=bool)


def _blank(s: str | None) -> bool:
    return s is None or not s.strip()


# ---------------------------------------------------------------------------------------------------------------
# timestamps


@dataclass(frozen=True)
class YearLess:
    """A date shown without its year (``06月29日 12:40``): resolved later against a reference time."""

    month: int
    day: int
    hour: int = 0
    minute: int = 0
    second: int = 0

    def in_year(self, year: int) -> dt.datetime:
        day = self.day
        if self.month == 2 and self.day == 29 and not _leap(year):
            day = 28
        return dt.datetime(year, self.month, day, self.hour, self.minute, self.second)


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def resolve_year(value: YearLess, reference: dt.datetime, earliest: dt.datetime | None = None) -> dt.datetime:
    """The most recent year that does not put ``value`` after ``reference``.

    When ``earliest`` (the earliest full date of the same group, e.g. a cascade's source post) is given
    and that year would put the value before it, the next year is used: a reply cannot precede its thread.
    """
    candidate = value.in_year(reference.year)
    if candidate > reference:
        candidate = value.in_year(reference.year - 1)
    if earliest is not None and candidate < earliest - dt.timedelta(days=1):
        candidate = value.in_year(candidate.year + 1)
    return candidate


_RE_EPOCH = re.compile(r"^[+-]?\d{9,16}(\.\d+)?$")
_RE_YMD = re.compile(
    r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.(\d{1,6}))?)?秒?)?\s*$"
)
_RE_MD = re.compile(r"^(\d{1,2})\s*(?:月|-|/)\s*(\d{1,2})\s*日?(?:\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?\s*$")
_RE_REL = re.compile(r"^(\d+)\s*(秒|分钟|小时|天|周|个月)前$")
_RE_DAYWORD = re.compile(r"^(今天|昨天|前天)\s*(?:(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$")
_REL_UNITS = {"秒": 1, "分钟": 60, "小时": 3600, "天": 86400, "周": 7 * 86400}


def _epoch_to_local(value: float, tz: ZoneInfo) -> dt.datetime:
    # Magnitude tells the unit: seconds up to ~year 5138, milliseconds above (1e11 s would be year 5138).
    seconds = value / 1000 if abs(value) >= 1e11 else value
    return dt.datetime.fromtimestamp(seconds, tz).replace(tzinfo=None)


def parse_timestamp(
    text: str | float | int | None, tz: str = DEFAULT_TZ, reference: dt.datetime | None = None
) -> dt.datetime | YearLess | None:
    """One timestamp as naive local time of ``tz``; a ``YearLess`` when the year is missing; None when empty.

    ``reference`` (naive local time, default now) anchors the relative forms (刚刚, 5分钟前, 昨天 12:30).
    Raises ValueError on anything else.
    """
    if text is None:
        return None
    zone = ZoneInfo(tz)
    if isinstance(text, int | float) and not isinstance(text, bool):
        if isinstance(text, float) and math.isnan(text):
            return None
        return _epoch_to_local(float(text), zone)
    s = str(text).strip()
    if not s or s in {"-", "--", "null", "None", "NaT", "nan"}:
        return None
    if _RE_EPOCH.match(s):
        return _epoch_to_local(float(s), zone)
    m = _RE_YMD.match(s)
    if m:
        y, mo, d, h, mi, sec, frac = m.groups()
        micro = int((frac or "0").ljust(6, "0"))
        return dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0), micro)
    iso = s.replace("Z", "+00:00") if s.endswith("Z") else s
    try:
        value = dt.datetime.fromisoformat(iso)
    except ValueError:
        value = None
    if value is not None:
        return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
    try:  # Twitter / RFC-ish: Sat Jun 29 12:40:09 +0800 2013
        return dt.datetime.strptime(s, "%a %b %d %H:%M:%S %z %Y").astimezone(zone).replace(tzinfo=None)
    except ValueError:
        pass
    for fmt in ("%a, %d %b %Y %H:%M:%S %z", "%d %b %Y %H:%M:%S %z"):  # RFC 2822 (RSS, e-mail exports)
        try:
            return dt.datetime.strptime(s, fmt).astimezone(zone).replace(tzinfo=None)
        except ValueError:
            pass
    m = _RE_MD.match(s)
    if m and ("月" in s or m.group(3) is not None):
        mo, d, h, mi, sec = m.groups()
        dt.datetime(2000, int(mo), int(d))  # validates month/day (2000 is a leap year)
        return YearLess(int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0))
    ref = reference or dt.datetime.now(zone).replace(tzinfo=None)
    if s in {"刚刚", "just now", "now"}:
        return ref
    m = _RE_REL.match(s)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        if unit == "个月":
            return ref - dt.timedelta(days=30 * n)
        return ref - dt.timedelta(seconds=n * _REL_UNITS[unit])
    m = _RE_DAYWORD.match(s)
    if m:
        word, h, mi, sec = m.groups()
        day = ref.date() - dt.timedelta(days={"今天": 0, "昨天": 1, "前天": 2}[word])
        if h is None:
            return dt.datetime.combine(day, dt.time())
        return dt.datetime.combine(day, dt.time(int(h), int(mi), int(sec or 0)))
    raise ValueError(f"unparseable timestamp {s!r}")


def _local_naive_us(ts: pa.Array, tz: str) -> np.ndarray:
    """Timestamp array (any unit; tz-aware or naive-local) → int64 microseconds of naive local time."""
    ts = pc.cast(ts, pa.timestamp("us", tz=ts.type.tz)) if ts.type.unit != "us" else ts
    if ts.type.tz is not None:
        ts = pc.local_timestamp(pc.cast(ts, pa.timestamp("us", tz=tz)))
    return np.asarray(pc.fill_null(ts.cast(pa.int64()), NAT).to_numpy(zero_copy_only=False), dtype=np.int64)


def _epoch_us(num: pa.Array, tz: str) -> np.ndarray:
    """Numeric epochs (seconds or milliseconds by magnitude) → naive-local microseconds."""
    x = np.asarray(pc.cast(num, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    us = np.where(np.abs(x) >= 1e11, x * 1_000, x * _US)
    nulls = ~np.isfinite(us) | (np.abs(us) > _MAX_US)  # beyond year ±5000: not a date (NAT; the caller decides)
    us = np.where(nulls, 0.0, us)
    utc = pa.array(np.round(us).astype(np.int64), pa.timestamp("us", tz="UTC"), mask=nulls)
    return _local_naive_us(utc, tz)


_MAX_US = 95_617_584_000 * _US  # 5000-01-01 in microseconds since 1970


_ISO_NAIVE = r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$"
_ISO_ZONED = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$"
_EPOCH = r"^[+-]?\d{9,16}$"


@dataclass
class TimestampResult:
    values: pa.Array  # timestamp[us], naive local
    failed: np.ndarray  # bool per row
    yearless: np.ndarray  # bool per row: value had no year (resolved against a reference, or pending)
    pending: list[tuple[int, YearLess]] = field(default_factory=list)  # deferred year-less values (row, value)


def parse_timestamps(
    values: pa.Array | pa.ChunkedArray,
    tz: str = DEFAULT_TZ,
    reference: dt.datetime | None = None,
    groups: pa.Array | None = None,
    *,
    naive_tz: str | None = None,
    defer_yearless: bool = False,
) -> TimestampResult:
    """Parse a column of timestamps (see ``parse_timestamp`` for the forms) into naive local time of ``tz``.

    ``naive_tz``: the zone of values written without an offset (a mapping's ``timezone``), default ``tz``; they are
    converted to ``tz``. Values with an offset and epochs are instants, converted to ``tz`` directly.

    Year-less dates get their year from the latest full timestamp of the same ``groups`` value (e.g. the
    cascade's event id) or, without groups, of the whole column; ``reference`` when there is none. With
    ``defer_yearless`` they are left null and listed in ``pending`` (an importer reading a file in chunks resolves
    them once it has seen every chunk).
    """
    if naive_tz and naive_tz != tz:
        res = parse_timestamps(values, naive_tz, reference, groups, defer_yearless=defer_yearless)
        return TimestampResult(_rezone(res.values, naive_tz, tz), res.failed, res.yearless, res.pending)
    arr = _as_array(values)
    n = len(arr)
    out = np.full(n, NAT, dtype=np.int64)
    failed = np.zeros(n, dtype=bool)
    yearless = np.zeros(n, dtype=bool)
    if n == 0:
        return TimestampResult(pa.array([], pa.timestamp("us")), failed, yearless)
    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
        ts = pc.cast(arr, pa.timestamp("us")) if pa.types.is_date(arr.type) else arr
        return TimestampResult(_to_ts(_local_naive_us(ts, tz)), failed, yearless)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        us = _epoch_us(arr, tz)
        valid = np.asarray(pc.is_valid(arr).to_numpy(zero_copy_only=False), dtype=bool)
        out[valid] = us[valid]
        failed = valid & (out == NAT)
        return TimestampResult(_to_ts(out), failed, yearless)
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    remaining = _present(arr)
    if not remaining.any():
        return TimestampResult(_to_ts(out), failed, yearless)
    # Fast paths over the whole column: naive ISO (local time), zoned ISO, epoch digits.
    for pattern, convert in (
        (_ISO_NAIVE, lambda a: _local_naive_us(pc.cast(a, pa.timestamp("us")), tz)),
        (_ISO_ZONED, lambda a: _local_naive_us(pc.cast(a, pa.timestamp("us", tz="UTC")), tz)),
        (_EPOCH, lambda a: _epoch_us(pc.cast(a, pa.int64()), tz)),
    ):
        m = remaining & np.asarray(
            pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False), dtype=bool
        )
        if not m.any():
            continue
        sub = arr.filter(pa.array(m)) if not m.all() else arr
        try:
            out[m] = convert(sub)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue  # e.g. 2024-02-30: left to the per-value parser, which reports it
        remaining &= ~m | (out == NAT)  # out of range: left to the per-value parser, which reports it
    if remaining.any():
        idx = np.flatnonzero(remaining)
        sub = arr.take(pa.array(idx))
        enc = sub.dictionary_encode()
        uniques = enc.dictionary.to_pylist()
        parsed: list[object] = []
        for u in uniques:
            try:
                parsed.append(parse_timestamp(u, tz, reference))
            except (ValueError, OverflowError, OSError):
                parsed.append(ValueError)
        codes = enc.indices.to_numpy(zero_copy_only=False)
        pending: list[tuple[int, YearLess]] = []
        for row, code in zip(idx, codes, strict=True):
            v = parsed[code]
            if v is ValueError:
                failed[row] = True
            elif isinstance(v, YearLess):
                pending.append((row, v))
            elif v is not None:
                out[row] = _dt_us(v)
        if pending and defer_yearless:
            for row, _ in pending:
                yearless[row] = True
            return TimestampResult(_to_ts(out), failed, yearless, pending)
        if pending:
            _resolve_yearless(out, pending, yearless, groups, reference, tz)
    return TimestampResult(_to_ts(out), failed, yearless)


def _rezone(naive: pa.Array, naive_tz: str, tz: str) -> pa.Array:
    """Values parsed as naive local time of ``naive_tz`` → naive local time of ``tz``.

    Instants (epochs, values with an offset) were converted to ``naive_tz`` by the parse, so converting every value
    from ``naive_tz`` to ``tz`` is right for both kinds."""
    aware = pc.assume_timezone(naive, naive_tz, ambiguous="earliest", nonexistent="earliest")
    return pc.local_timestamp(pc.cast(aware, pa.timestamp("us", tz=tz)))


def _dt_us(v: dt.datetime) -> int:
    return (v - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)


def _us_dt(us: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(us))


def _to_ts(us: np.ndarray) -> pa.Array:
    mask = us == NAT
    return pa.array(np.where(mask, 0, us), pa.timestamp("us"), mask=mask)


def _resolve_yearless(
    out: np.ndarray,
    pending: list[tuple[int, YearLess]],
    yearless: np.ndarray,
    groups: pa.Array | None,
    reference: dt.datetime | None,
    tz: str,
) -> None:
    full = out != NAT
    default_ref = (
        _us_dt(out[full].max()) if full.any() else (reference or dt.datetime.now(ZoneInfo(tz)).replace(tzinfo=None))
    )
    latest: dict[object, int] = {}
    earliest: dict[object, int] = {}
    keys: list[object] | None = None
    if groups is not None:
        keys = _as_array(groups).to_pylist()
        for i in np.flatnonzero(full):
            k = keys[i]
            v = out[i]
            if k not in latest or v > latest[k]:
                latest[k] = v
            if k not in earliest or v < earliest[k]:
                earliest[k] = v
    for row, v in pending:
        if keys is not None and keys[row] in latest:
            resolved = resolve_year(v, _us_dt(latest[keys[row]]), _us_dt(earliest[keys[row]]))
        else:
            resolved = resolve_year(v, default_ref)
        out[row] = _dt_us(resolved)
        yearless[row] = True


# ---------------------------------------------------------------------------------------------------------------
# counts and numbers

_COUNT_UNITS = {
    "k": 1e3,
    "K": 1e3,
    "千": 1e3,
    "w": 1e4,
    "W": 1e4,
    "万": 1e4,
    "m": 1e6,
    "M": 1e6,
    "百万": 1e6,
    "千万": 1e7,
    "亿": 1e8,
    "b": 1e9,
    "B": 1e9,
}
_RE_COUNT = re.compile(r"^([0-9][0-9,]*(?:\.[0-9]+)?)\s*(千万|百万|[kK千wW万mM亿bB])?\s*\+?$")
_EMPTY = {"", "-", "--", "—", "null", "none", "nan", "n/a", "na"}


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def parse_count(text: str | int | float | None) -> int | None:
    """``1.2万`` → 12000, ``3.4k`` → 3400, ``10w+`` → 100000, ``1,234`` → 1234, ``1亿`` → 100000000; empty/``-`` → None."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError(f"not a count: {text!r}")
    if isinstance(text, int):
        if not _INT64_MIN <= text <= _INT64_MAX:
            raise ValueError(f"count out of range: {text!r}")
        return text
    if isinstance(text, float):
        if math.isnan(text):
            return None
        if math.isinf(text) or text != int(text):
            raise ValueError(f"not a whole count: {text!r}")
        return parse_count(int(text))
    s = str(text).strip()
    if s.lower() in _EMPTY:
        return None
    m = _RE_COUNT.match(s)
    if not m:
        raise ValueError(f"not a count: {s!r}")
    number, unit = m.group(1), m.group(2)
    if "," in number and not re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?", number):
        raise ValueError(f"not a count: {s!r}")
    if unit:
        value = int(round(float(number.replace(",", "")) * _COUNT_UNITS[unit]))
    else:
        digits = number.replace(",", "")
        whole, _, frac = digits.partition(".")
        if frac.strip("0"):
            raise ValueError(f"not a whole count: {s!r}")
        value = int(whole)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"count out of range: {s!r}")
    return value


def parse_counts(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    arr = _as_array(values)
    if pa.types.is_integer(arr.type):
        return pc.cast(arr, pa.int64()), np.zeros(len(arr), dtype=bool)
    if pa.types.is_string(arr.type):
        try:  # plain integers: the common case, one vectorised cast
            return pc.cast(pc.if_else(_present_arr(arr), arr, None), pa.int64()), np.zeros(len(arr), dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    return _per_unique(arr, parse_count, pa.int64())


def _present_arr(arr: pa.Array) -> pa.Array:
    return pa.array(_present(arr))


def parse_number(text: str | int | float | None) -> float | None:
    """Decimal numbers with optional thousands separators, currency signs, ``%`` (kept as given) or count units."""
    if text is None:
        return None
    if isinstance(text, bool):
        raise ValueError(f"not a number: {text!r}")
    if isinstance(text, int | float):
        return None if isinstance(text, float) and math.isnan(text) else float(text)
    s = str(text).strip()
    if s.lower() in _EMPTY:
        return None
    s = re.sub(r"^[¥￥$€£]|^(RMB|CNY|USD)\s*|\s*(元|RMB|CNY|USD)$|%$", "", s).strip()
    try:
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", s):
            return float(s.replace(",", ""))
        value = float(s)
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {s!r}")
        return value
    except ValueError:
        m = _RE_COUNT.match(s)
        if m and m.group(2):
            return float(m.group(1).replace(",", "")) * _COUNT_UNITS[m.group(2)]
        raise ValueError(f"not a number: {s!r}") from None


def parse_numbers(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    arr = _as_array(values)
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return pc.cast(arr, pa.float64()), np.zeros(len(arr), dtype=bool)
    if pa.types.is_string(arr.type):
        try:
            return pc.cast(pc.if_else(_present_arr(arr), arr, None), pa.float64()), np.zeros(len(arr), dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    return _per_unique(arr, parse_number, pa.float64())


# ---------------------------------------------------------------------------------------------------------------
# booleans, strings, lists

_TRUE = {"true", "t", "1", "yes", "y", "是", "对", "真", "有", "verified", "已认证", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "否", "错", "假", "无", "未认证", "0.0"}


def parse_bool(text: str | bool | int | None) -> bool | None:
    if text is None or isinstance(text, bool):
        return text
    if isinstance(text, int | float):
        if text in (0, 1):
            return bool(text)
        raise ValueError(f"not a boolean: {text!r}")
    s = str(text).strip().lower()
    if s in _EMPTY:
        return None
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def parse_bools(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    arr = _as_array(values)
    if pa.types.is_boolean(arr.type):
        return arr, np.zeros(len(arr), dtype=bool)
    return _per_unique(arr, parse_bool, pa.bool_())


def parse_strings(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """Text as is; blank → null."""
    arr = _as_array(values)
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return pc.if_else(_present_arr(arr), arr, pa.scalar(None, pa.string())), np.zeros(len(arr), dtype=bool)


_RE_SPLIT = re.compile(r"\s*[,，;；、|]\s*")


def parse_list(text: str | list | None) -> list[str] | None:
    """A JSON array (``["a", "b"]``) or a separated list (``a,b``, ``a，b``, ``a;b``, ``a、b``, ``a|b``)."""
    if text is None:
        return None
    if isinstance(text, list):
        return [str(x) for x in text if x is not None and str(x).strip()]
    s = str(text).strip()
    if s.lower() in _EMPTY or s == "[]":
        return None if s != "[]" else []
    if s.startswith("["):
        try:
            value = json.loads(s)
        except (json.JSONDecodeError, RecursionError) as e:
            value = _python_list(s)  # Python's repr of a list, as pandas writes it into CSV: ['a', 'b']
            if value is None:
                raise ValueError(f"not a JSON list: {s[:40]!r}") from e
        if not isinstance(value, list):
            raise ValueError(f"not a list: {s[:40]!r}")
        return [
            str(x) if not isinstance(x, dict) else json.dumps(x, ensure_ascii=False) for x in value if x is not None
        ]
    return [p for p in _RE_SPLIT.split(s) if p]


def _python_list(s: str) -> list | None:
    """A flat Python list literal of strings/numbers (``['a', "b", 3]``), or None."""
    if len(s) > 100_000 or not s.endswith("]"):
        return None
    try:
        value = ast.literal_eval(s)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, list) and all(isinstance(x, str | int | float) or x is None for x in value):
        return value
    return None


def parse_lists(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    arr = _as_array(values)
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        return pc.cast(arr, pa.list_(pa.string())), np.zeros(len(arr), dtype=bool)
    return _per_unique(arr, parse_list, pa.list_(pa.string()))


_RE_WEIBO_TAG = re.compile(r"#([^#\s]{1,60})#")
_RE_TWITTER_TAG = re.compile(r"(?<![\w&#])#(\w{1,100})")


def extract_hashtags(text: str | None) -> list[str] | None:
    """Topics written in the text: Weibo-style ``#话题#`` and Twitter-style ``#tag``, in order, without repeats."""
    if text is None:
        return None
    found = [t.strip() for t in _RE_WEIBO_TAG.findall(text)]
    rest = _RE_WEIBO_TAG.sub(" ", text)
    found += _RE_TWITTER_TAG.findall(rest)
    seen: dict[str, None] = {}
    for t in found:
        if t:
            seen.setdefault(t, None)
    return list(seen)


def parse_hashtags(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    arr = _as_array(values)
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    has = np.asarray(pc.fill_null(pc.match_substring(arr, "#"), False).to_numpy(zero_copy_only=False), dtype=bool)
    tags: list[list[str] | None] = [None] * len(arr)
    if has.any():
        for i, t in zip(np.flatnonzero(has), arr.filter(pa.array(has)).to_pylist(), strict=True):
            tags[i] = extract_hashtags(t)
    out = pa.array(tags, pa.list_(pa.string()))
    return out, np.zeros(len(arr), dtype=bool)


# Parsers a mapping may name, and the default for each schema column type.
COLUMN_PARSERS = {
    "timestamp": "timestamp",
    "count": "count",
    "int": "count",
    "number": "number",
    "float": "number",
    "bool": "bool",
    "string": "string",
    "list": "list",
    "hashtags": "hashtags",
}
DEFAULT_PARSER = {
    "VARCHAR": "string",
    "BIGINT": "count",
    "DOUBLE": "number",
    "BOOLEAN": "bool",
    "TIMESTAMP": "timestamp",
    "VARCHAR[]": "list",
}
# Which parsers can produce which column type.
PARSER_TYPES = {
    "timestamp": {"TIMESTAMP"},
    "count": {"BIGINT", "DOUBLE"},
    "number": {"DOUBLE"},
    "bool": {"BOOLEAN"},
    "string": {"VARCHAR"},
    "list": {"VARCHAR[]"},
    "hashtags": {"VARCHAR[]"},
}
