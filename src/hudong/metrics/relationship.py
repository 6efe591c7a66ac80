"""Relationship quality: repurchase, Net Promoter Score, fan loyalty."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis import _

from hudong.metrics.common import TIME_GRAINS, Query, Tables, activity, filter_obs, group, ratio, time_dim
from hudong.metrics.registry import metric

_F = ("platform", "segment")
NPS_SRC = ("Reichheld, HBR 2003 'The One Number You Need to Grow'; CI: Var = [p + d − (p − d)²]/n, "
           "NPS ± 1.96·100·√Var (cybaea.net 2016)")
REPURCHASE_SRC = "metrics-reference §2: customers with ≥2 orders in W / customers with ≥1 order in W, W equal per cohort"


@metric(name="repurchase_rate", label_en="Repurchase rate", label_zh="复购率",
        formula="customers with another order within W days of their first order / customers (W = "
                "metrics.repurchase_window_days, default 90)", source=REPURCHASE_SRC, unit="ratio",
        grain="customer", dimensions=("day", "week", "month", "platform"), higher_is_better=True,
        extra_columns=("repeat_customers", "customers"), filters=_F, tables=("orders",),
        notes="Cohort = customers by the date of their first order (start/end and time grains apply to it). Every "
              "customer gets the same window [first order, first order + W); customers whose window is not yet "
              "complete (first order + W after the last order in the data) are left out (right-censoring).")
def repurchase_rate(t: Tables, q: Query) -> ir.Table:
    """Share of customers who order again within W days of their first order."""
    w = int(q.setting("metrics.repurchase_window_days"))
    o = t["orders"]
    o = o.select(platform=o.platform, user=o.user_id, ts=o.created_at, user_platform=o.user_platform)
    o = filter_obs(o, q.replace(start=None, end=None, segment=None))
    last = o.aggregate(last_ts=o.ts.max())  # the data's end, whoever is counted (right-censoring)
    o = filter_obs(o, q.replace(start=None, end=None), person=("user_platform", "user"))
    first = o.group_by(["platform", "user"]).aggregate(first_ts=o.ts.min())
    j = o.join(first, ["platform", "user"])
    in_w = (j.ts > j.first_ts) & (j.ts < j.first_ts + ibis.interval(days=w))
    per = j.group_by(["platform", "user", "first_ts"]).aggregate(repeat=in_w.cast("int64").max())
    per = per.cross_join(last)
    per = per.filter(per.first_ts + ibis.interval(days=w) <= per.last_ts).mutate(ts=per.first_ts)
    per = filter_obs(per, q)
    g = group(per, q.dims, repeat_customers=per.repeat.sum(), customers=_.count())
    return g.mutate(value=ratio(g.repeat_customers, g.customers))


@metric(name="nps", label_en="Net Promoter Score", label_zh="净推荐值(NPS)",
        formula="100·(P − D)/n; promoters 9–10, passives 7–8, detractors 0–6; 95% CI = NPS ± 1.96·100·√([p+d−(p−d)²]/n), "
        "clipped to [−100, 100]",
        source=NPS_SRC, unit="score", grain="survey response", dimensions=(*TIME_GRAINS, "platform"),
        higher_is_better=True, extra_columns=("n", "promoters", "passives", "detractors", "ci_low", "ci_high"),
        filters=_F, tables=("survey_responses",))
def nps(t: Tables, q: Query) -> ir.Table:
    """Net Promoter Score with a normal-approximation 95% confidence interval (reference fixture: 60/25/15 → 45 [30.5, 59.5]).

    The interval is clipped to the scale [−100, 100]: at tiny n the normal approximation runs past it (n = 2, one
    promoter and one detractor: 0 ± 138.6), and no NPS can lie outside it."""
    s = t["survey_responses"]
    s = s.filter(s.nps_score.notnull()).select(platform=s.platform, user=s.user_id, ts=s.created_at, score=s.nps_score,
                                                  user_platform=s.user_platform)
    s = filter_obs(s, q, person=("user_platform", "user"))
    g = group(
        s, q.dims, n=_.count(),
        promoters=(s.score >= 9).cast("int64").sum(),
        passives=((s.score >= 7) & (s.score <= 8)).cast("int64").sum(),
        detractors=(s.score <= 6).cast("int64").sum(),
    )
    p = ratio(g.promoters, g.n)
    d = ratio(g.detractors, g.n)
    half = 1.96 * 100.0 * ((p + d - (p - d) * (p - d)) / g.n.cast("float64")).sqrt()
    v = 100.0 * (p - d)
    return g.mutate(value=v, ci_low=(v - half).clip(lower=-100.0, upper=100.0),
                    ci_high=(v + half).clip(lower=-100.0, upper=100.0))


ENGAGE_TYPES = ("like", "comment", "reply", "repost", "share", "save", "mention", "dm", "post")


@metric(name="fan_loyalty", label_en="Fan loyalty (month-over-month repeat engagement)", label_zh="粉丝忠诚度",
        formula="users engaged in month m and in month m−1 / users engaged in month m",
        source="Behavioural loyalty = repeat behaviour (the engagement analogue of repurchase rate, "
               "metrics-reference §2); FAQ 1 'fan loyalty'", unit="ratio", grain="user-month",
        dimensions=("month", "platform"), higher_is_better=True, extra_columns=("repeat_users", "engaged_users"),
        filters=_F, tables=("interactions", "posts", "users", "accounts"),
        notes="Engaged = an active engagement (like, comment, reply, repost/share, save, mention, DM, UGC post; "
              "views and clicks do not count), staff excluded. Chosen over 'active in k of m weeks' because it "
              "needs no tuning parameter and reads like repurchase. The first month in the data has no previous "
              "month and is not reported. Without month in by: mean over months.")
def fan_loyalty(t: Tables, q: Query) -> ir.Table:
    """Share of a month's engaged users who were also engaged the month before."""
    ev = activity(t)
    everyone = filter_obs(ev.filter(ev.type.isin(ENGAGE_TYPES)), q.replace(start=None, end=None, segment=None))
    first_month = everyone.aggregate(first_month=time_dim(everyone.ts, "month").min())  # the data's first month
    ev = filter_obs(everyone, q.replace(start=None, end=None), person="user")
    keys = [d for d in q.dims if d == "platform"]
    ukey = [*keys, *(["platform"] if not keys else []), "user"]
    m = ev.mutate(month=time_dim(ev.ts, "month")).select(*ukey, "month").distinct()
    prev = m.select(*ukey, month=m.month + ibis.interval(months=1), was=ibis.literal(1))
    j = m.left_join(prev, [*ukey, "month"])
    j = j.select(*keys, month=j.month, was=j.was.fill_null(0))
    g = j.group_by([*keys, "month"]).aggregate(repeat_users=j.was.sum(), engaged_users=j.count())
    g = g.cross_join(first_month).filter(lambda x: x.month > x.first_month)
    g = g.mutate(value=ratio(g.repeat_users, g.engaged_users), ts=g.month)
    g = filter_obs(g, q.replace(platform=None))
    if "month" in q.dims:
        return g
    return group(g, keys, value=g.value.mean(), repeat_users=g.repeat_users.mean(),
                 engaged_users=g.engaged_users.mean())

