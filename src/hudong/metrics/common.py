"""Shared building blocks: the query object, dimensions, filters and per-observation tables.

Every metric is an Ibis expression over a ``Tables`` mapping (table name → Ibis table), so the
same definition runs on DuckDB and on Spark. Only portable operations are used here: no raw
SQL, none of the operations the stack notes list as failing or differing on PySpark, exact counts.

Observation tables built here carry standard column names that the dimension helpers know:
``ts`` (timestamp or date the observation is placed at), ``platform``, ``account``, ``campaign``,
``media_type`` (where the metric supports them).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.datatypes as dt_
import ibis.expr.types as ir
import pyarrow as pa

from hudong.errors import HudongError

Tables = Mapping[str, ir.Table]

TIME_GRAINS = ("hour", "weekday", "day", "week", "month")
ENTITY_DIMS = ("platform", "account", "campaign", "media_type")
POST_DIMS = TIME_GRAINS + ENTITY_DIMS
FILTERS = ("platform", "account", "campaign")

# Step between consecutive buckets of a calendar grain (for "previous period" joins).
STEP = {"day": ibis.interval(days=1), "week": ibis.interval(days=7), "month": ibis.interval(months=1)}

DEFAULT_SETTINGS: dict[str, Any] = {
    "business_hours.start": "09:00",
    "business_hours.end": "18:00",
    "business_hours.days": [1, 2, 3, 4, 5],
    "business_hours.sla_minutes": 240,
    "metrics.repurchase_window_days": 90,
    "metrics.ugc_min_chars": 20,
    "metrics.orbit_lookback_days": 365,
    "brand.name": "",
    "brand.aliases": [],
}


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _as_list(v: Any) -> list[Any] | None:
    if v is None:
        return None
    if isinstance(v, str | bytes) or not isinstance(v, Sequence):
        return [v]
    return list(v)


def _parse_time(v: Any, *, end: bool) -> dt.datetime | None:
    """Dates are whole days: ``end="2024-03-31"`` includes 31 March. Datetimes are exact (end exclusive)."""
    if v is None:
        return None
    if isinstance(v, str):
        try:
            v = dt.date.fromisoformat(v) if len(v) == 10 else dt.datetime.fromisoformat(v)
        except ValueError:
            raise HudongError(f"cannot read {v!r} as a date or datetime (use YYYY-MM-DD)") from None
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, dt.date):
        d = dt.datetime(v.year, v.month, v.day)
        if end and d.date() == dt.date.max:
            raise HudongError(f"end date {v} is out of range (the last day of year 9999 has no next day)")
        return d + dt.timedelta(days=1) if end else d
    raise HudongError(f"cannot read {v!r} as a date or datetime")


@dataclass
class Query:
    """What the caller asked for: output dimensions, filters and settings."""

    dims: tuple[str, ...] = ()
    start: dt.datetime | None = None  # inclusive
    end: dt.datetime | None = None  # exclusive
    platform: list[str] | None = None
    account: list[str] | None = None
    campaign: list[str] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    segment: ir.Table | None = None  # (sm_platform, sm_user) of a segment's people: only them (person-level metrics)

    @classmethod
    def make(cls, dims: Sequence[str], start: Any, end: Any, platform: Any, account: Any, campaign: Any,
             settings: Mapping[str, Any] | None, segment: Any = None) -> Query:
        return cls(
            dims=tuple(dims),
            start=_parse_time(start, end=False),
            end=_parse_time(end, end=True),
            platform=_as_list(platform),
            account=_as_list(account),
            campaign=_as_list(campaign),
            settings={**DEFAULT_SETTINGS, **_flatten(settings or {})},
            segment=segment,
        )

    def setting(self, dotted: str) -> Any:
        return self.settings.get(dotted, DEFAULT_SETTINGS.get(dotted))

    @property
    def time_dims(self) -> tuple[str, ...]:
        return tuple(d for d in self.dims if d in TIME_GRAINS)

    @property
    def other_dims(self) -> tuple[str, ...]:
        return tuple(d for d in self.dims if d not in TIME_GRAINS)

    @property
    def grain(self) -> str | None:
        """The single calendar grain in ``dims`` (day/week/month), if any."""
        g = [d for d in self.dims if d in STEP]
        return g[0] if g else None

    def replace(self, **kw: Any) -> Query:
        return Query(**{**self.__dict__, **kw})


# ---- dimensions and filters -------------------------------------------------------------------
def time_dim(ts: ir.Value, grain: str) -> ir.Value:
    """A time dimension of a timestamp or date column. weekday is ISO (1 = Monday … 7 = Sunday)."""
    is_date = ts.type().is_date()
    if grain == "hour":
        return ts.hour()
    if grain == "weekday":
        return ts.day_of_week.index() + 1
    if grain == "day":
        return ts if is_date else ts.date()
    if grain == "week":  # ISO week: starts on Monday on every engine
        return ts.truncate("W") if is_date else ts.truncate("W").date()
    if grain == "month":
        return ts.truncate("M") if is_date else ts.truncate("M").date()
    raise AssertionError(grain)


def with_dims(obs: ir.Table, dims: Sequence[str], ts: str = "ts") -> ir.Table:
    """Add time-dimension columns (named after the grain) computed from ``ts``."""
    new = {d: time_dim(obs[ts], d) for d in dims if d in TIME_GRAINS}
    return obs.mutate(**new) if new else obs


def group(obs: ir.Table, dims: Sequence[str], **aggs: Any) -> ir.Table:
    """Aggregate ``obs`` by ``dims`` (time dims are derived from ``ts``); no dims → one row."""
    return agg(with_dims(obs, dims), dims, **aggs)


def agg(obs: ir.Table, dims: Sequence[str], **aggs: Any) -> ir.Table:
    """Aggregate by existing columns ``dims``; no dims → one row."""
    return obs.group_by(list(dims)).aggregate(**aggs) if dims else obs.aggregate(**aggs)


def join_dims(left: ir.Table, right: ir.Table, dims: Sequence[str], how: str = "inner") -> ir.Table:
    """Join two aggregates on their dimension columns; NULL dimension values (no campaign …) match."""
    if not dims:
        return left.cross_join(right)
    preds = [left[d].identical_to(right[d]) for d in dims]
    joined = left.join(right, preds, how=how)
    return joined.drop(*[f"{d}_right" for d in dims if f"{d}_right" in joined.columns])


@functools.lru_cache(maxsize=256)
def _values_table(values: tuple[Any, ...], dtype: dt_.DataType) -> ir.Table:
    # One memtable per distinct value list, reused: an engine registers a memtable once (DuckDB keeps it until
    # the connection closes), so a fresh one per query would pile up registrations in a long-running server.
    return ibis.memtable(pa.table({"v": pa.array(values, type=dtype.to_pyarrow())}))


def bound_isin(column: ir.Column, values: Any) -> ir.BooleanValue:
    """``column IN values`` with the values passed to the engine as data (an Arrow in-memory table), never
    written into the SQL text. Use it for every value that comes from a request or a user: a SQL literal can
    carry no NUL byte (DuckDB's parser stops at it) and is text a mistake could make executable. The values are
    cast to the column's type; portable (DuckDB, Spark)."""
    vals = tuple(dict.fromkeys(_as_list(values) or ()))
    return column.isin(_values_table(vals, column.type())["v"])


def filter_obs(obs: ir.Table, q: Query, ts: str = "ts", person: str | tuple[str, str] | None = None) -> ir.Table:
    """Apply start/end and entity filters to an observation table with standard column names. ``person``: the
    column naming the person each row is about, on the row's ``platform`` (or a pair: the person's platform
    column, then the person column — an order's customer is a fan on ``user_platform``); a segment filter in ``q``
    keeps the rows of its members. Observations of no one person (the organization's posts, aggregates) pass no
    ``person`` and are not filtered by segment."""
    preds = []
    col = obs[ts]
    if q.start is not None:
        preds.append(col >= (ibis.date(q.start.date()) if col.type().is_date() else ibis.timestamp(q.start)))
    if q.end is not None:
        if col.type().is_date():
            preds.append(col < ibis.date((q.end - dt.timedelta(microseconds=1)).date()) + ibis.interval(days=1))
        else:
            preds.append(col < ibis.timestamp(q.end))
    for name in FILTERS:
        values = getattr(q, name)
        if values is not None and name in obs.columns:
            preds.append(bound_isin(obs[name], values))
    obs = obs.filter(preds) if preds else obs
    if q.segment is not None and person is not None:
        m = q.segment
        on, who = person if isinstance(person, tuple) else ("platform", person)
        obs = obs.semi_join(m, [obs[on] == m.sm_platform, obs[who].cast("string") == m.sm_user])
    return obs


def period_bounds(obs: ir.Table, q: Query, ts: str = "ts") -> ir.Table:
    """One row: ``p_start``/``p_end`` (dates, inclusive) = the filter, or the data's first/last day."""
    d = obs[ts] if obs[ts].type().is_date() else obs[ts].date()
    b = obs.aggregate(p_start=d.min(), p_end=d.max())
    if q.start is not None:
        b = b.mutate(p_start=ibis.date(q.start.date()))
    if q.end is not None:
        b = b.mutate(p_end=ibis.date((q.end - dt.timedelta(microseconds=1)).date()))
    return b


def ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    """num / den as float, NULL when the denominator is 0 or NULL."""
    return num.cast("float64") / den.cast("float64").nullif(0.0)


def count_if(cond: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(cond, 1, 0).sum()


def is_true(col: ir.BooleanValue) -> ir.BooleanValue:
    return col.fill_null(False)


# ---- accounts and posts -----------------------------------------------------------------------
def own_accounts(t: Tables) -> ir.Table:
    a = t["accounts"]
    return a.filter(is_true(a.is_own))


def post_columns(t: Tables) -> ir.Table:
    """Posts with the standard dimension column names, without engagement (no pass over interactions)."""
    p = t["posts"]
    return p.select(platform=p.platform, post_id=p.post_id, ts=p.created_at, author=p.author_id,
                    account=p.account_id, campaign=p.campaign_id, media_type=p.media_type,
                    is_ugc=is_true(p.is_ugc), text=p.text)


def post_engagement(t: Tables) -> ir.Table:
    """Per-post engagement counts; one row per post with the standard dimension columns.

    Rule: each count is ``greatest(count reported by the platform on the post, number of individual
    interactions of that kind stored for the post)``. Exports often carry only one of the two, and
    when both exist the platform count is the more complete one unless interactions were collected
    after the snapshot — taking the larger never double-counts.

    - likes ← ``like``; comments ← ``comment`` + ``reply``; reposts ← ``repost`` + ``share``;
      saves ← ``save``; clicks ← ``click``; impressions ← ``view`` + ``impression`` (NULL when 0).
    - reach is the platform's reach (unique accounts cannot be derived from interactions reliably).
    - ``engagements`` E_p = likes + comments + reposts + saves + clicks (clicks are 0 where absent).
    """
    p, i = t["posts"], t["interactions"]
    i = i.filter(i.target_post_id.notnull())
    k = i.type
    counts = i.group_by(platform=i.platform, post_id=i.target_post_id).aggregate(
        n_like=count_if(k == "like"),
        n_comment=count_if(k.isin(["comment", "reply"])),
        n_repost=count_if(k.isin(["repost", "share"])),
        n_save=count_if(k == "save"),
        n_click=count_if(k == "click"),
        n_view=count_if(k.isin(["view", "impression"])),
    )
    j = p.left_join(counts, [p.platform == counts.platform, p.post_id == counts.post_id])

    def best(reported: ir.IntegerValue, counted: ir.IntegerValue) -> ir.IntegerValue:
        return ibis.greatest(reported.fill_null(0), counted.fill_null(0))

    likes = best(j.likes, j.n_like)
    comments = best(j.comments, j.n_comment)
    reposts = best(j.reposts, j.n_repost)
    saves = best(j.saves, j.n_save)
    clicks = best(j.clicks, j.n_click)
    return j.select(
        platform=j.platform,
        post_id=j.post_id,
        ts=j.created_at,
        author=j.author_id,
        account=j.account_id,
        campaign=j.campaign_id,
        media_type=j.media_type,
        is_ugc=is_true(j.is_ugc),
        text=j.text,
        likes=likes,
        comments=comments,
        reposts=reposts,
        saves=saves,
        clicks=clicks,
        engagements=likes + comments + reposts + saves + clicks,
        impressions=best(j.impressions, j.n_view).nullif(0),
        reach=j.reach.nullif(0),
        author_followers=j.author_followers,
    )


def own_posts(t: Tables, q: Query | None = None) -> ir.Table:
    """Engagement per post for posts published by the organization's own accounts (filtered by ``q``).

    ``followers`` = the author's followers at posting time, falling back to the account's latest
    follower count when the export lacks the per-post figure.
    """
    pe = post_engagement(t)
    a = own_accounts(t)
    j = pe.join(a, [pe.platform == a.platform, pe.account == a.account_id])
    j = j.select(*[j[c] for c in pe.columns], followers=j.author_followers.fill_null(j.followers).nullif(0),
                 account_followers=j.followers)
    return filter_obs(j, q) if q is not None else j


# ---- community activity -----------------------------------------------------------------------
PASSIVE_TYPES = ("view", "impression", "click")


def activity(t: Tables) -> ir.Table:
    """Community activity events: ``platform``, ``user``, ``ts``, ``type`` (``post`` for UGC).

    Actors of interactions of every type (views and clicks included: any sign of presence makes a user
    active, as in Amplitude's "any event") plus authors of UGC posts, excluding staff: rows written by staff
    (``by_staff``) or automatically, users flagged ``is_staff``, and the organization's own
    accounts acting as themselves. Users are identified per platform (pseudonyms are per platform).
    """
    i, p, u = t["interactions"], t["posts"], t["users"]
    ints = i.filter(~is_true(i.by_staff), ~is_true(i.is_automated)).select(
        platform=i.platform, user=i.actor_id.cast("string"), ts=i.created_at, type=i.type.cast("string")
    )
    ugc = p.filter(is_true(p.is_ugc), p.author_id.notnull()).select(
        platform=p.platform, user=p.author_id.cast("string"), ts=p.created_at, type=ibis.literal("post", "string")
    )
    ev = ints.union(ugc)
    staff = u.filter(is_true(u.is_staff)).select(s_platform=u.platform, s_user=u.user_id)
    ev = ev.anti_join(staff, [ev.platform == staff.s_platform, ev.user == staff.s_user])
    own = own_accounts(t).select(o_platform="platform", o_user="account_id")
    return ev.anti_join(own, [ev.platform == own.o_platform, ev.user == own.o_user])


def first_seen(ev: ir.Table) -> ir.Table:
    """First-ever activity of each (platform, user), over the whole history (never filtered)."""
    return ev.group_by(["platform", "user"]).aggregate(first_ts=ev.ts.min())


# ---- business hours ---------------------------------------------------------------------------
_EPOCH_MONDAY = ibis.date(1970, 1, 5)


def _minutes(hhmm: str) -> int:
    try:
        h, m = str(hhmm).split(":")
        return int(h) * 60 + int(m)
    except ValueError:
        raise HudongError(f"business hours must look like 09:00, got {hhmm!r}") from None


def business_clock(ts: ir.TimestampValue, start: str, end: str, days: Sequence[int]) -> ir.FloatingValue:
    """Business minutes elapsed from 1970-01-05 (a Monday) to ``ts``; differences give business time.

    Portable date arithmetic, no calendar table: full business days before ``ts``'s date
    (whole weeks × |days| + business weekdays earlier in the same week) × minutes per day,
    plus the part of ``ts``'s own day inside the window if that day is a business day.
    """
    s, e = _minutes(start), _minutes(end)
    if e <= s:
        raise HudongError(f"business_hours.end ({end}) must be after business_hours.start ({start})")
    bdays = sorted({int(d) for d in days})
    if not bdays or any(d < 1 or d > 7 for d in bdays):
        raise HudongError(f"business_hours.days must be ISO weekdays 1–7, got {list(days)}")
    n = ts.date().delta(_EPOCH_MONDAY, unit="day")
    weeks = n // 7
    wd = n - weeks * 7  # 0 = Monday
    before = weeks * len(bdays)
    for d in bdays:
        before = before + ibis.ifelse(wd > d - 1, 1, 0)
    minute_of_day = ts.hour() * 60 + ts.minute() + ts.second() / 60.0
    inside = ibis.least(ibis.greatest(minute_of_day - s, 0.0), float(e - s))
    today = ibis.ifelse(wd.isin([d - 1 for d in bdays]), inside, 0.0)
    return before.cast("float64") * float(e - s) + today


def wall_minutes(t0: ir.TimestampValue, t1: ir.TimestampValue) -> ir.FloatingValue:
    # Whole seconds on every engine: DuckDB's epoch_seconds keeps fractions, Spark's drops them.
    return (t1.truncate("s").epoch_seconds() - t0.truncate("s").epoch_seconds()).cast("float64") / 60.0
