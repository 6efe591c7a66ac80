"""Follower growth of the organization's accounts, from the platforms' daily statistics (``account_stats``: WeChat's
数据统计, Douyin's fans data, back-office exports) — the platform's own counts, not people hudong saw.

Cells group days (``day``/``week``/``month``) by platform and account. A day's net change is its followers gained
minus lost as the platform reports them; a platform that reports only the daily total gives no change.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from hudong.metrics.common import Query, Tables, agg, filter_obs, group, join_dims, ratio, time_dim
from hudong.metrics.registry import metric

_T = ("account_stats",)
_F = ("platform", "account")
_DIMS = ("day", "week", "month", "platform", "account")
SOURCE = "platform daily statistics (WeChat datacube getusersummary/getusercumulate; Douyin external user fans)"


def stats(t: Tables) -> ir.Table:
    """``account_stats`` with the standard names: platform, account, ts (the day), followers, new, lost, net."""
    s = t["account_stats"]
    new, lost = s.new_followers.fill_null(0), s.lost_followers.fill_null(0)
    return s.select(platform=s.platform, account=s.account_id, ts=s.day, followers=s.followers,
                    new=s.new_followers, lost=s.lost_followers,
                    net=ibis.ifelse(s.new_followers.isnull() & s.lost_followers.isnull(), ibis.null("int64"),
                                    new - lost))


@metric(name="follower_growth", label_en="Net follower growth", label_zh="粉丝净增长",
        formula="Σ followers gained − Σ followers lost over the days of the cell (as the platform reports them)",
        source=SOURCE, unit="count", grain="account-day", dimensions=_DIMS, higher_is_better=True,
        extra_columns=("new_followers", "lost_followers"), filters=_F, tables=_T)
def follower_growth(t: Tables, q: Query) -> ir.Table:
    """Followers gained minus lost in the cell (days without gains and losses reported add nothing)."""
    s = filter_obs(stats(t), q)
    return group(s, q.dims, value=s.net.sum(), new_followers=s.new.sum(), lost_followers=s.lost.sum())


@metric(name="follower_growth_rate", label_en="Follower growth rate", label_zh="粉丝增长率",
        formula="net growth in the cell / followers at its start (the first day's total minus that day's net change)",
        source=SOURCE, unit="ratio", grain="account-day", dimensions=_DIMS, higher_is_better=True,
        extra_columns=("followers_start", "growth"), filters=_F, tables=_T,
        notes="Per account, then summed over the accounts of the cell: both growth and start are totals.")
def follower_growth_rate(t: Tables, q: Query) -> ir.Table:
    """Net growth relative to the audience the cell started with."""
    s = filter_obs(stats(t), q)
    s = s.mutate(**{d: time_dim(s.ts, d) for d in q.time_dims})
    cell = [*q.dims, *[k for k in ("platform", "account") if k not in q.dims]]  # per account first
    per = s.group_by(cell).aggregate(growth=s.net.sum(), first_day=s.ts.min())
    first = s.select(*cell, first_day=s.ts, start=s.followers - s.net.fill_null(0))
    per = join_dims(per, first, [*cell, "first_day"])
    out = agg(per, q.dims, growth=per.growth.sum(), followers_start=per.start.sum())
    return out.mutate(value=ratio(out.growth, out.followers_start))

