"""Value parsers: timestamps, counts, numbers, booleans, lists, hashtags (unit + property-based)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hudong.ingest import parsers as P

REF = dt.datetime(2024, 6, 10, 12, 0, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1347334462", dt.datetime(2012, 9, 11, 11, 34, 22)),  # epoch seconds → Asia/Shanghai
        ("1347334462000", dt.datetime(2012, 9, 11, 11, 34, 22)),  # epoch milliseconds
        ("2024-06-01T12:00:00+00:00", dt.datetime(2024, 6, 1, 20, 0)),
        ("2024-06-01T12:00:00Z", dt.datetime(2024, 6, 1, 20, 0)),
        ("2024-06-01T12:00:00-05:00", dt.datetime(2024, 6, 2, 1, 0)),
        ("2024-06-01 12:00:00", dt.datetime(2024, 6, 1, 12, 0)),
        ("2024-06-01", dt.datetime(2024, 6, 1)),
        ("2024/6/1 12:00", dt.datetime(2024, 6, 1, 12, 0)),
        ("2024年6月1日 12:00", dt.datetime(2024, 6, 1, 12, 0)),
        ("2024年06月01日", dt.datetime(2024, 6, 1)),
        ("Sat Jun 29 12:40:09 +0800 2013", dt.datetime(2013, 6, 29, 12, 40, 9)),
        ("Fri Jan 09 12:29:56 +0000 2015", dt.datetime(2015, 1, 9, 20, 29, 56)),
        ("刚刚", REF),
        ("5分钟前", REF - dt.timedelta(minutes=5)),
        ("3小时前", REF - dt.timedelta(hours=3)),
        ("昨天 12:30", dt.datetime(2024, 6, 9, 12, 30)),
        ("今天 08:00", dt.datetime(2024, 6, 10, 8, 0)),
        ("", None),
        ("-", None),
    ],
)
def test_parse_timestamp_forms(text, expected):
    assert P.parse_timestamp(text, "Asia/Shanghai", reference=REF) == expected


def test_parse_timestamp_numbers_and_garbage():
    assert P.parse_timestamp(1347334462) == dt.datetime(2012, 9, 11, 11, 34, 22)
    assert P.parse_timestamp(1347334462000) == dt.datetime(2012, 9, 11, 11, 34, 22)
    for bad in ("not a date", "2024-13-01", "2024-02-30 10:00:00", "32月1日"):
        with pytest.raises(ValueError):
            P.parse_timestamp(bad)


def test_yearless_dates_take_the_most_recent_year_not_after_the_reference():
    v = P.parse_timestamp("06月29日 12:40")
    assert v == P.YearLess(6, 29, 12, 40)
    assert P.parse_timestamp("6月29日") == P.YearLess(6, 29)
    assert P.resolve_year(v, dt.datetime(2024, 7, 1)) == dt.datetime(2024, 6, 29, 12, 40)
    assert P.resolve_year(v, dt.datetime(2024, 6, 1)) == dt.datetime(2023, 6, 29, 12, 40)
    # A repost cannot precede its cascade: when the earliest date of the group is later, move a year on.
    jan = P.YearLess(1, 25, 12, 44)
    assert P.resolve_year(jan, dt.datetime(2012, 10, 1), earliest=dt.datetime(2012, 6, 10)) == dt.datetime(
        2013, 1, 25, 12, 44
    )
    assert P.resolve_year(P.YearLess(2, 29), dt.datetime(2023, 3, 5)) == dt.datetime(2023, 2, 28)


def test_parse_timestamps_vectorised_mix_with_failures_and_yearless():
    arr = pa.array(
        [
            "2024-06-01 12:00:00",
            "2024-06-01T04:00:00Z",
            "1347334462",
            "Sat Jun 29 12:40:09 +0800 2013",
            "05月29日 12:40",
            "garbage",
            "",
            None,
            "2024-02-30 00:00:00",
        ]
    )
    res = P.parse_timestamps(arr, "Asia/Shanghai", REF)
    got = res.values.to_pylist()
    assert got[:4] == [
        dt.datetime(2024, 6, 1, 12),
        dt.datetime(2024, 6, 1, 12),
        dt.datetime(2012, 9, 11, 11, 34, 22),
        dt.datetime(2013, 6, 29, 12, 40, 9),
    ]
    assert got[4] == dt.datetime(2024, 5, 29, 12, 40)  # latest full date in the column is 2024-06-01
    assert got[5:] == [None, None, None, None]
    assert res.failed.tolist() == [False] * 5 + [True, False, False, True]
    assert res.yearless.tolist() == [False] * 4 + [True] + [False] * 4


def test_parse_timestamps_groups_resolve_per_group():
    arr = pa.array(
        [
            "2012-06-10 20:00:00",
            "2012-10-01 18:00:00",
            "01月25日 12:44",
            "2014-12-01 10:00:00",
            "2015-03-01 10:00:00",
            "01月25日 12:44",
        ]
    )
    groups = pa.array(["a", "a", "a", "b", "b", "b"])
    got = P.parse_timestamps(arr, groups=groups).values.to_pylist()
    # a: 2012-01-25 would precede the cascade (starts 2012-06-10), so the next year.
    assert got[2] == dt.datetime(2013, 1, 25, 12, 44)
    # b: the most recent year not after the group's latest date (2015-03-01), inside the group's span.
    assert got[5] == dt.datetime(2015, 1, 25, 12, 44)


def test_parse_timestamps_typed_inputs():
    ints = pa.array([1347334462, None, 1347334462000])
    assert P.parse_timestamps(ints).values.to_pylist() == [
        dt.datetime(2012, 9, 11, 11, 34, 22),
        None,
        dt.datetime(2012, 9, 11, 11, 34, 22),
    ]
    aware = pa.array([dt.datetime(2024, 1, 1, tzinfo=dt.UTC)], pa.timestamp("us", tz="UTC"))
    assert P.parse_timestamps(aware).values.to_pylist() == [dt.datetime(2024, 1, 1, 8)]
    naive = pa.array([dt.datetime(2024, 1, 1, 3)], pa.timestamp("ms"))
    assert P.parse_timestamps(naive).values.to_pylist() == [dt.datetime(2024, 1, 1, 3)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2万", 12000),
        ("3.4k", 3400),
        ("2.5M", 2_500_000),
        ("10w+", 100_000),
        ("1,234", 1234),
        ("1亿", 100_000_000),
        ("3.4K+", 3400),
        ("999+", 999),
        ("12", 12),
        ("", None),
        ("-", None),
        (None, None),
        (42, 42),
    ],
)
def test_parse_count(text, expected):
    assert P.parse_count(text) == expected


@pytest.mark.parametrize("bad", ["abc", "1.5", "12,34", "1..2万", "--5", "万"])
def test_parse_count_garbage(bad):
    with pytest.raises(ValueError):
        P.parse_count(bad)


def test_parse_counts_vectorised_fast_and_slow_paths():
    values, failed = P.parse_counts(pa.array(["1", "2", None, ""]))
    assert values.to_pylist() == [1, 2, None, None] and not failed.any()
    values, failed = P.parse_counts(pa.array(["1.2万", "2", "x", "10w+"]))
    assert values.to_pylist() == [12000, 2, None, 100000]
    assert failed.tolist() == [False, False, True, False]


def test_numbers_bools_lists_hashtags():
    assert P.parse_number("¥1,299.50") == 1299.5
    assert P.parse_number("3.5万") == 35000
    with pytest.raises(ValueError):
        P.parse_number("twelve")
    for t in ("true", "1", "是", "YES", "y"):
        assert P.parse_bool(t) is True
    for f in ("false", "0", "否", "no", "N"):
        assert P.parse_bool(f) is False
    assert P.parse_bool("") is None
    with pytest.raises(ValueError):
        P.parse_bool("maybe")
    assert P.parse_list('["a", "b"]') == ["a", "b"]
    assert P.parse_list("a,b") == ["a", "b"]
    assert P.parse_list("新品，夏季、美妆") == ["新品", "夏季", "美妆"]
    assert P.parse_list("[]") == []
    with pytest.raises(ValueError):
        P.parse_list("[broken")
    assert P.extract_hashtags("#新品上市# 快来看 #summer sale #新品上市#") == ["新品上市", "summer"]
    values, failed = P.parse_hashtags(pa.array(["#话题# hi #tag", None, "no tags"]))
    assert values.to_pylist() == [["话题", "tag"], None, None]
    values, failed = P.parse_bools(pa.array(["是", "否", "bad", None]))
    assert values.to_pylist() == [True, False, None, None] and failed.tolist() == [False, False, True, False]


# ---- property-based round trips --------------------------------------------------------------------------

# From 1992: China observed daylight saving time until 1991, so +08:00 is not fixed before.
datetimes = st.datetimes(min_value=dt.datetime(1992, 1, 1), max_value=dt.datetime(2035, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _forms(d: dt.datetime) -> dict[str, tuple[str, dt.datetime]]:
    """d (naive local Asia/Shanghai) written in each supported form, with the value each must parse to."""
    minute = d.replace(second=0)
    utc = (d - dt.timedelta(hours=8)).replace(tzinfo=dt.UTC)
    epoch = int(utc.timestamp())
    tw = f"{_WEEKDAYS[d.weekday()]} {_MONTHS[d.month - 1]} {d.day:02d} {d:%H:%M:%S} +0800 {d.year}"
    return {
        "iso": (d.isoformat(sep=" "), d),
        "iso_t": (d.isoformat(), d),
        "iso_utc": (utc.strftime("%Y-%m-%dT%H:%M:%SZ"), d),
        "iso_offset": (d.isoformat() + "+08:00", d),
        "slash": (f"{d.year}/{d.month}/{d.day} {d.hour}:{d.minute:02d}", minute),
        "chinese": (f"{d.year}年{d.month}月{d.day}日 {d.hour:02d}:{d.minute:02d}", minute),
        "twitter": (tw, d),
        "epoch_s": (str(epoch), d),
        "epoch_ms": (str(epoch * 1000), d),
    }


@settings(max_examples=150, deadline=None)
@given(datetimes)
def test_round_trip_every_timestamp_form(d):
    for form, (text, expected) in _forms(d).items():
        assert P.parse_timestamp(text, "Asia/Shanghai") == expected, form
    texts = [t for t, _ in _forms(d).values()]
    got = P.parse_timestamps(pa.array(texts), "Asia/Shanghai").values.to_pylist()
    assert got == [e for _, e in _forms(d).values()]


@settings(max_examples=150, deadline=None)
@given(datetimes, st.integers(min_value=0, max_value=400))
def test_round_trip_yearless_within_a_year_before_reference(d, days_before):
    ref = d + dt.timedelta(days=days_before % 364, hours=1)
    text = f"{d.month:02d}月{d.day:02d}日 {d:%H:%M}"
    value = P.parse_timestamp(text)
    if d.month == 2 and d.day == 29:
        return  # resolves to the 28th in non-leap years by design
    assert P.resolve_year(value, ref) == d.replace(second=0)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_round_trip_counts(n):
    assert P.parse_count(f"{n:,}") == n
    assert P.parse_count(str(n)) == n
    for unit, size, suffix in (
        ("万", 1e4, ""),
        ("w", 1e4, "+"),
        ("k", 1e3, ""),
        ("K", 1e3, "+"),
        ("M", 1e6, ""),
        ("亿", 1e8, ""),
    ):
        text = f"{n / size:.1f}{unit}{suffix}"
        # One decimal place: the parsed value is within half a step of the true one.
        assert abs(P.parse_count(text) - n) <= 0.05 * size + 1, text
    values, failed = P.parse_counts(pa.array([f"{n:,}", f"{n / 1e4:.1f}万", str(n)]))
    assert not failed.any()
    assert values.to_pylist()[2] == n


def test_vectorised_and_scalar_agree_on_a_messy_column():
    texts = ["1.2万", "3", "-", "", "x", "1,000", "2.5M", None]
    values, failed = P.parse_counts(pa.array(texts))
    for t, v, bad in zip(texts, values.to_pylist(), failed, strict=True):
        try:
            assert P.parse_count(t) == v and not bad
        except ValueError:
            assert bad and v is None
    assert isinstance(failed, np.ndarray)
