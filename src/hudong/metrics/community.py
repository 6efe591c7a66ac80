"""Community health: active users, new/returning/churned users, cohort retention, Orbit levels and gravity.

Activity = ``common.activity``: actors of interactions plus authors of UGC posts, staff excluded.
Users are identified per platform. Measures with a natural period (DAU: day, WAU: week, MAU: month …)
are computed per period; when ``by`` has a coarser time grain (or none) the value is the **mean over
the periods with activity** inside each cell (e.g. ``dau`` by month = mean DAU of the month's active
days), and ``units`` says how many periods were averaged.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis import _

from hudong.metrics.common import (
    STEP,
    Query,
    Tables,
    activity,
    agg,
    filter_obs,
    first_seen,
    group,
    join_dims,
    ratio,
    time_dim,
)
from hudong.metrics.registry import metric

_T = ("interactions", "posts", "users", "accounts")
_F = ("platform", "segment")
AMPLITUDE = "Amplitude retention analysis (amplitude.com/docs retention-analysis-time); Statsig WAU = days 0–6"
STICKY = "metrics-reference §2: stickiness = mean DAU over the month / MAU"
ORBIT = "Orbit Model, github.com/orbit-love/orbit-model (pages/gravity/measure.mdx)"

# Orbit: activity weights (commitment) and love thresholds over the look-back; hudong's documented rule.
ORBIT_WEIGHTS = {
    "post": 5,  # writing UGC about the brand
    "comment": 3, "reply": 3, "mention": 3, "dm": 3,
    "repost": 2, "share": 2,
    "like": 1, "save": 1, "follow": 1,
}
ORBIT_LEVELS = ((1, "Leading", 100, 10), (2, "Contributing", 30, 7), (3, "Participating", 8, 4), (4, "Exploring", 1, 1))


def _ukey(keys: list[str]) -> list[str]:
    """Columns identifying a user within the cell keys (users are per platform)."""
    return [*keys, *(["platform"] if "platform" not in keys else []), "user"]


def _history(t: Tables, q: Query) -> tuple[ir.Table, ir.Table]:
    """Activity over the whole history (entity filters only), and that of the segment's people in ``q``. Periods
    and the data's end come from the first: a period the segment was quiet in is still a period (its churn shows),
    and a cohort is observed up to the data's end, not to its members' last activity."""
    ev = filter_obs(activity(t), q.replace(start=None, end=None, segment=None))
    return ev, filter_obs(ev, q.replace(start=None, end=None), person="user")


def _per_unit_active(ev: ir.Table, q: Query, unit: str) -> ir.Table:
    """Unique active users per (platform…, unit) with the unit start in ``ts`` (a date)."""
    keys = list(q.other_dims)
    u = ev.mutate(ts=time_dim(ev.ts, unit)).select(*_ukey(keys), "ts").distinct()
    return u.group_by([*keys, "ts"]).aggregate(value=u.count())


def _active_mean(t: Tables, q: Query, unit: str) -> ir.Table:
    ev = filter_obs(activity(t), q, person="user")
    per = _per_unit_active(ev, q, unit)
    return group(per, q.dims, value=per.value.mean(), units=_.count())


_DAU_DIMS = ("day", "week", "month", "weekday", "platform")


@metric(name="dau", label_en="Daily active users", label_zh="日活跃用户(DAU)",
        formula="unique non-staff users with activity on a day; coarser cells: mean over active days",
        source=STICKY, unit="users", grain="user-day", dimensions=_DAU_DIMS, higher_is_better=True,
        extra_columns=("units",), filters=_F, tables=_T)
def dau(t: Tables, q: Query) -> ir.Table:
    """Daily active users: unique actors (interactions, UGC authors), staff excluded."""
    return _active_mean(t, q, "day")


@metric(name="wau", label_en="Weekly active users", label_zh="周活跃用户(WAU)",
        formula="unique users active in an ISO week; coarser cells: mean over weeks (a week belongs to the month "
                "it starts in)", source=STICKY, unit="users", grain="user-week", dimensions=("week", "month", "platform"),
        higher_is_better=True, extra_columns=("units",), filters=_F, tables=_T)
def wau(t: Tables, q: Query) -> ir.Table:
    """Weekly active users (ISO weeks, Monday start)."""
    return _active_mean(t, q, "week")


@metric(name="mau", label_en="Monthly active users", label_zh="月活跃用户(MAU)",
        formula="unique users active in a calendar month; without month in by: mean over months", source=STICKY,
        unit="users", grain="user-month", dimensions=("month", "platform"), higher_is_better=True,
        extra_columns=("units",), filters=_F, tables=_T)
def mau(t: Tables, q: Query) -> ir.Table:
    """Monthly active users (calendar months)."""
    return _active_mean(t, q, "month")


def _ratio_to_mau(t: Tables, q: Query, unit: str) -> ir.Table:
    ev = filter_obs(activity(t), q, person="user")
    mq = q.replace(dims=q.other_dims)
    per = _per_unit_active(ev, mq, unit).mutate(month=lambda x: time_dim(x.ts, "month"))
    keys = [*q.other_dims, "month"]
    mean_small = per.group_by(keys).aggregate(mean_active=per.value.mean())
    m = _per_unit_active(ev, mq, "month").rename(month="ts", mau="value")
    g = join_dims(mean_small, m, keys)
    g = g.mutate(value=ratio(g.mean_active, g.mau))
    if "month" in q.dims:
        return g
    return agg(g, q.other_dims, value=g.value.mean(), mean_active=g.mean_active.mean(), mau=g.mau.mean())


@metric(name="stickiness", label_en="Stickiness (DAU/MAU)", label_zh="用户黏性(DAU/MAU)",
        formula="mean DAU over the month's active days / MAU; without month in by: mean over months", source=STICKY,
        unit="ratio", grain="month", dimensions=("month", "platform"), higher_is_better=True,
        extra_columns=("mean_active", "mau"), filters=_F, tables=_T)
def stickiness(t: Tables, q: Query) -> ir.Table:
    """Mean DAU over the month / MAU, in (0, 1] (metrics-reference §2)."""
    return _ratio_to_mau(t, q, "day")


@metric(name="wau_mau", label_en="WAU/MAU", label_zh="周活/月活", formula="mean WAU of the weeks starting in the "
        "month / MAU", source=STICKY + " (WAU/MAU is the analogue)", unit="ratio", grain="month",
        dimensions=("month", "platform"), higher_is_better=True, extra_columns=("mean_active", "mau"), filters=_F,
        tables=_T)
def wau_mau(t: Tables, q: Query) -> ir.Table:
    """Mean WAU (weeks starting in the month) / MAU."""
    return _ratio_to_mau(t, q, "week")


_LIFE_DIMS = ("day", "week", "month", "platform")


def _active_with_first(t: Tables, q: Query) -> ir.Table:
    """Distinct (cell dims, platform, user) active in the filtered period, with the user's first-ever ts."""
    ev = activity(t)
    first = first_seen(ev)
    act = filter_obs(ev, q, person="user")
    act = act.mutate(**{d: time_dim(act.ts, d) for d in q.time_dims})
    cell = act.select(*q.dims, *(["platform"] if "platform" not in q.dims else []), "user").distinct()
    return cell.join(first, ["platform", "user"])


@metric(name="new_users", label_en="New users", label_zh="新用户", formula="users whose first-ever activity "
        "falls in the cell (first activity over all history)", source="standard lifecycle accounting",
        unit="users", grain="user", dimensions=("hour", "weekday", *_LIFE_DIMS), higher_is_better=True,
        filters=_F, tables=_T)
def new_users(t: Tables, q: Query) -> ir.Table:
    """Users whose first-ever activity is in the period/cell."""
    first = first_seen(activity(t)).rename(ts="first_ts")
    first = filter_obs(first, q, person="user")
    return group(first, q.dims, value=_.count())


@metric(name="returning_users", label_en="Returning users", label_zh="回访用户",
        formula="users active in the cell whose first-ever activity is before the cell (= active − new)",
        source="standard lifecycle accounting", unit="users", grain="user", dimensions=_LIFE_DIMS,
        higher_is_better=True, extra_columns=("active",), filters=_F, tables=_T,
        notes="Without a time grain the cell is the [start, end] period: with no start every user is new.")
def returning_users(t: Tables, q: Query) -> ir.Table:
    """Active users in the cell who had been active before it."""
    a = _active_with_first(t, q)
    if q.grain:
        before = time_dim(a.first_ts, q.grain) < a[q.grain]
    elif q.start is not None:
        before = a.first_ts < ibis.timestamp(q.start)
    else:
        before = ibis.literal(False)
    a = a.mutate(before=before)
    return agg(a, q.dims, value=a.before.cast("int64").sum(), active=_.count())


@metric(name="churned_users", label_en="Churned users", label_zh="流失用户",
        formula="users active in the previous period and not in this one (period = the time grain in by, "
                "default month; without one: mean per month)", source="standard lifecycle accounting",
        unit="users", grain="user-period", dimensions=_LIFE_DIMS, higher_is_better=False,
        extra_columns=("previous_active",), filters=_F, tables=_T, single_grain=True)
def churned_users(t: Tables, q: Query) -> ir.Table:
    """Users active in period p−1 but not in p; only periods with activity are reported."""
    grain = q.grain or "month"
    everyone, ev = _history(t, q)
    keys = list(q.other_dims)
    act = ev.mutate(p=time_dim(ev.ts, grain)).select(*_ukey(keys), "p").distinct()
    periods = everyone.select(*keys, p=time_dim(everyone.ts, grain)).distinct()
    prev = act.mutate(p=act.p + STEP[grain])  # each user's activity, shifted to the following period
    churn = prev.anti_join(act, [*_ukey(keys), "p"])
    churn_n = churn.group_by([*keys, "p"]).aggregate(value=churn.count())
    prev_n = prev.group_by([*keys, "p"]).aggregate(previous_active=prev.count())
    g = join_dims(periods, prev_n, [*keys, "p"])
    g = join_dims(g, churn_n, [*keys, "p"], how="left").mutate(value=lambda x: x.value.fill_null(0))
    g = filter_obs(g.mutate(ts=g.p), q.replace(platform=None))
    if q.grain:
        return g.rename({grain: "p"})
    return group(g, q.dims, value=g.value.mean(), previous_active=g.previous_active.mean())


@metric(name="retention", label_en="Cohort retention (weekly)", label_zh="同期群留存(周)",
        formula="share of a cohort (users whose first activity falls in ISO week c) active in days "
                "[7N, 7N+6] after their own first activity, N = period", source=AMPLITUDE, unit="ratio",
        grain="user-week", dimensions=("platform",), implicit_dims=("cohort", "period"), higher_is_better=True,
        extra_columns=("cohort_size", "active"), filters=_F, tables=_T,
        notes="Rolling 7-day windows from each user's first event (Amplitude default). Only fully observed "
              "periods are reported: period N appears once the data reaches day 7N+6 of the cohort's last "
              "member. start/end select cohorts by their week. Period 0 is 1 by construction.")
def retention(t: Tables, q: Query) -> ir.Table:
    """N-week retention of weekly cohorts (Amplitude/Statsig rolling-window definition)."""
    everyone, ev = _history(t, q)
    keys = [d for d in q.dims if d == "platform"]
    first = first_seen(ev).mutate(cohort=lambda x: time_dim(x.first_ts, "week"))
    last_day = everyone.aggregate(last_day=everyone.ts.max().date())
    e = ev.join(first, ["platform", "user"])
    e = e.mutate(period=e.ts.date().delta(e.first_ts.date(), unit="day") // 7)
    act = e.select(*_ukey(keys), "cohort", "period").distinct()
    act_n = act.group_by([*keys, "cohort", "period"]).aggregate(active=act.count())
    coh = first.group_by([*keys, "cohort"]).aggregate(cohort_size=first.count()).cross_join(last_day)
    max_period = (coh.last_day.delta(coh.cohort, unit="day") - 12) // 7
    coh = coh.mutate(period=ibis.range(0, ibis.greatest(max_period, 0) + 1).unnest())
    g = join_dims(coh, act_n, [*keys, "cohort", "period"], how="left")
    g = g.mutate(active=g.active.fill_null(0))
    g = g.mutate(value=ratio(g.active, g.cohort_size), ts=g.cohort)
    return filter_obs(g, q.replace(platform=None))


def _love(t: Tables, q: Query) -> ir.Table:
    """Per (as-of period, platform, user): love = Σ activity weight over the look-back ending at period end."""
    grain = q.grain or "month"
    lookback = int(q.setting("metrics.orbit_lookback_days"))
    ev = filter_obs(activity(t), q.replace(start=None, end=None, segment=None))
    w = ibis.literal(0)
    for kind, weight in ORBIT_WEIGHTS.items():
        w = ibis.ifelse(ev.type == kind, weight, w)
    everyone = ev.mutate(day=ev.ts.date(), w=w).filter(lambda x: x.w > 0)
    everyone = everyone.group_by(["platform", "user", "day"]).aggregate(w=everyone.w.sum())
    # the periods are everyone's (a quiet period of the segment's people still counts them as they stand)
    periods = filter_obs(everyone.select(ts=time_dim(everyone.day, grain)).distinct(), q.replace(platform=None))
    daily = filter_obs(everyone, q.replace(start=None, end=None), ts="day", person="user")
    periods = periods.mutate(p_end=periods.ts + STEP[grain])
    periods = periods.mutate(p_from=periods.p_end - ibis.interval(days=lookback))
    # range join (not a cross join + filter): DuckDB plans it as an IEJoin, Spark as a broadcast join
    j = daily.join(periods, [daily.day < periods.p_end, daily.day >= periods.p_from])
    love = j.group_by(["ts", "platform", "user"]).aggregate(love=j.w.sum())
    level = ibis.literal(None, "int64")
    for lvl, _name, threshold, _weight in reversed(ORBIT_LEVELS):
        level = ibis.ifelse(love.love >= threshold, lvl, level)
    return love.mutate(level=level).filter(lambda x: x.level.notnull())


def _level_counts(t: Tables, q: Query) -> ir.Table:
    grain = q.grain or "month"
    love = _love(t, q)
    keys = [grain, *q.other_dims]
    love = love.mutate(**{grain: love.ts})
    return love.group_by(keys).aggregate(
        **{f"n{lvl}": (love.level == lvl).cast("int64").sum() for lvl, *_ in ORBIT_LEVELS},
        members=love.count(),
    )


@metric(name="orbit_levels", label_en="Orbit levels", label_zh="Orbit 社区层级人数",
        formula="members per level as of each period end; love = Σ activity weights over the look-back "
                "(post 5, comment/reply/mention/dm 3, repost/share 2, like/save/follow 1); level 1 Leading ≥ 100, "
                "2 Contributing ≥ 30, 3 Participating ≥ 8, 4 Exploring ≥ 1",
        source=ORBIT + " (love = presence + commitment; 1-year look-back; staff excluded)", unit="users",
        grain="member", dimensions=("week", "month", "platform"), implicit_dims=("level",), higher_is_better=None,
        extra_columns=("level_name",), filters=_F, tables=_T,
        notes="Look-back = metrics.orbit_lookback_days (default 365). Without a time grain: per month, "
              "averaged over months.", single_grain=True)
def orbit_levels(t: Tables, q: Query) -> ir.Table:
    """Members per Orbit level (1 Leading … 4 Exploring) from hudong's activity-weight rule."""
    grain = q.grain or "month"
    inner = q.replace(dims=tuple(d for d in q.dims if d != "level"))
    c = _level_counts(t, inner)
    keys = [grain, *inner.other_dims]
    parts = [c.select(*keys, level=ibis.literal(lvl), level_name=ibis.literal(name), value=c[f"n{lvl}"])
             for lvl, name, *_ in ORBIT_LEVELS]
    long = parts[0].union(*parts[1:])
    if q.grain:
        return long
    by = [*inner.other_dims, "level", "level_name"]
    return long.group_by(by).aggregate(value=long.value.mean())


@metric(name="orbit_gravity", label_en="Orbit gravity", label_zh="Orbit 社区引力",
        formula="mass = Σ_level w²·members (w: Leading 10, Contributing 7, Participating 4, Exploring 1); "
                "gravity = (mass − previous period's mass) / members",
        source=ORBIT + " — verified fixture (17,8,4,1)→(15,9,5,1)→(12,10,6,2): mass 441, 504, 666; gravity "
        "+2.1 (63/30), +5.4 (162/30)", unit="score", grain="member-period", dimensions=("week", "month", "platform"),
        higher_is_better=True, extra_columns=("mass", "members"), filters=_F, tables=_T,
        notes="Members = members in the current period. The first period has no gravity (NULL). Without a time "
              "grain: per month, averaged.", single_grain=True)
def orbit_gravity(t: Tables, q: Query) -> ir.Table:
    """Orbit gravity: change in Σ w²·members between consecutive periods, per member."""
    grain = q.grain or "month"
    c = _level_counts(t, q)
    mass = sum(c[f"n{lvl}"] * (w * w) for lvl, _n, _t, w in ORBIT_LEVELS)
    c = c.mutate(mass=mass)
    keys = list(q.other_dims)
    prev = c.select(*keys, p_next=c[grain] + STEP[grain], prev_mass=c.mass)
    preds = [c[grain] == prev.p_next, *[c[k].identical_to(prev[k]) for k in keys]]
    g = c.left_join(prev, preds)
    g = g.select(*c.columns, prev_mass=g.prev_mass)
    g = g.mutate(value=ratio(g.mass - g.prev_mass, g.members))
    if q.grain:
        return g
    return group(g, keys, value=g.value.mean(), mass=g.mass.mean(), members=g.members.mean())
