"""Engagement of the organization's own posts: counts, engagement rates, Kaushik's per-post rates.

All measures use the per-post engagement rule of ``common.post_engagement`` and only posts of
accounts with ``is_own = true``. Per-post ratios skip posts whose denominator is NULL or 0, and the
``_total`` (ratio-of-sums) variants skip the same posts so the two differ only in weighting.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis import _

from hudong.metrics.common import (
    POST_DIMS,
    STEP,
    Query,
    Tables,
    group,
    join_dims,
    own_posts,
    period_bounds,
    ratio,
    with_dims,
)
from hudong.metrics.registry import metric

_T = ("posts", "interactions", "accounts")
HOOTSUITE = "Hootsuite, blog.hootsuite.com/calculate-engagement-rate"
X_ADS = "X Ads API derived metrics {Engagement Rate} = {Total Engagements}/{Impressions}; Twitter analytics, Buffer"
RIVAL_IQ = "Rival IQ help 2043672 and 4352461 (follower-weighted average = ΣE/ΣF)"
KAUSHIK = "Kaushik, kaushik.net/avinash/best-social-media-metrics-conversation-amplification-applause-economic-value"


def _mean_of_ratios(t: Tables, q: Query, den: str) -> ir.Table:
    p = own_posts(t, q)
    p = p.mutate(r=ratio(p.engagements, p[den]))
    return group(p, q.dims, value=p.r.mean(), posts=p.r.count(),
                 engagements=p.engagements.sum(), **{den: p[den].sum()})


def _ratio_of_sums(t: Tables, q: Query, den: str) -> ir.Table:
    p = own_posts(t, q)
    p = p.filter(p[den].notnull(), p[den] > 0)
    g = group(p, q.dims, engagements=p.engagements.sum(), **{den: p[den].sum()}, posts=_.count())
    return g.mutate(value=ratio(g.engagements, g[den]))


@metric(name="posts", label_en="Posts published", label_zh="发帖数", formula="N = number of own posts",
        source="count of posts by is_own accounts", unit="count", grain="post", dimensions=POST_DIMS,
        higher_is_better=None, tables=_T)
def posts(t: Tables, q: Query) -> ir.Table:
    """Number of posts published by the organization's own accounts."""
    p = own_posts(t, q)
    return group(p, q.dims, value=_.count())


@metric(name="engagements", label_en="Engagements", label_zh="互动总数",
        formula="ΣE_p, E_p = likes + comments + reposts/shares + saves + clicks",
        source="metrics-reference §1 (E_p)", unit="count", grain="post", dimensions=POST_DIMS,
        higher_is_better=True, extra_columns=("posts",), tables=_T)
def engagements(t: Tables, q: Query) -> ir.Table:
    """ΣE_p over own posts; E_p = likes + comments + reposts/shares + saves + clicks (metrics-reference §1)."""
    p = own_posts(t, q)
    return group(p, q.dims, value=p.engagements.sum(), posts=_.count())


@metric(name="engagement_rate_impressions", label_en="Engagement rate by impressions (mean per post)",
        label_zh="曝光互动率(单帖平均)", formula="mean_p(E_p / impressions_p), posts with impressions > 0",
        source=X_ADS, unit="ratio", grain="post", dimensions=POST_DIMS, higher_is_better=True,
        extra_columns=("posts", "engagements", "impressions"), tables=_T)
def engagement_rate_impressions(t: Tables, q: Query) -> ir.Table:
    """Mean of per-post E_p / impressions_p (X Ads API derived metric; mean-of-ratios aggregation)."""
    return _mean_of_ratios(t, q, "impressions")


@metric(name="engagement_rate_impressions_total", label_en="Engagement rate by impressions (total)",
        label_zh="曝光互动率(总量)", formula="ΣE_p / Σimpressions_p, posts with impressions > 0",
        source=X_ADS, unit="ratio", grain="post", dimensions=POST_DIMS, higher_is_better=True,
        extra_columns=("engagements", "impressions", "posts"), tables=_T)
def engagement_rate_impressions_total(t: Tables, q: Query) -> ir.Table:
    """ΣE_p / Σimpressions_p (ratio of sums, weighted by impressions)."""
    return _ratio_of_sums(t, q, "impressions")


@metric(name="engagement_rate_reach", label_en="Engagement rate by reach (ERR, mean per post)",
        label_zh="触达互动率(单帖平均)", formula="mean_p(E_p / reach_p), posts with reach > 0", source=HOOTSUITE,
        unit="ratio", grain="post", dimensions=POST_DIMS, higher_is_better=True,
        extra_columns=("posts", "engagements", "reach"), tables=_T)
def engagement_rate_reach(t: Tables, q: Query) -> ir.Table:
    """Hootsuite average ERR: Σ_p (E_p / reach_p) / N."""
    return _mean_of_ratios(t, q, "reach")


@metric(name="engagement_rate_reach_total", label_en="Engagement rate by reach (total)",
        label_zh="触达互动率(总量)", formula="ΣE_p / Σreach_p, posts with reach > 0", source=HOOTSUITE,
        unit="ratio", grain="post", dimensions=POST_DIMS, higher_is_better=True,
        extra_columns=("engagements", "reach", "posts"), tables=_T)
def engagement_rate_reach_total(t: Tables, q: Query) -> ir.Table:
    """ΣE_p / Σreach_p (ratio of sums)."""
    return _ratio_of_sums(t, q, "reach")


@metric(name="engagement_rate_followers", label_en="Engagement rate by followers (mean per post)",
        label_zh="粉丝互动率(单帖平均)", formula="mean_p(E_p / F_p), F_p = author followers when posted",
        source=RIVAL_IQ, unit="ratio", grain="post", dimensions=POST_DIMS, higher_is_better=True,
        extra_columns=("posts", "engagements", "followers"), tables=_T,
        notes="F_p = posts.author_followers, or the account's latest follower count when missing.")
def engagement_rate_followers(t: Tables, q: Query) -> ir.Table:
    """Mean of per-post E_p / followers at posting time (Rival IQ per-post ER by follower)."""
    return _mean_of_ratios(t, q, "followers")


@metric(name="engagement_rate_followers_total", label_en="Engagement rate by followers (total)",
        label_zh="粉丝互动率(总量)", formula="ΣE_p / ΣF_p", source=RIVAL_IQ, unit="ratio", grain="post",
        dimensions=POST_DIMS, higher_is_better=True, extra_columns=("engagements", "followers", "posts"), tables=_T)
def engagement_rate_followers_total(t: Tables, q: Query) -> ir.Table:
    """ΣE / ΣF over posts (Rival IQ's follower-weighted average)."""
    return _ratio_of_sums(t, q, "followers")


def _per_post(t: Tables, q: Query, col: str) -> ir.Table:
    p = own_posts(t, q)
    g = group(p, q.dims, total=p[col].sum(), posts=_.count())
    return g.mutate(value=ratio(g.total, g.posts)).rename({col: "total"})


@metric(name="conversation_rate", label_en="Conversation rate", label_zh="对话率(每帖评论)",
        formula="Σcomments / N posts", source=KAUSHIK, unit="count per post", grain="post", dimensions=POST_DIMS,
        higher_is_better=True, extra_columns=("comments", "posts"), tables=_T)
def conversation_rate(t: Tables, q: Query) -> ir.Table:
    """Comments (and replies) per own post (Kaushik)."""
    return _per_post(t, q, "comments")


@metric(name="amplification_rate", label_en="Amplification rate", label_zh="扩散率(每帖转发)",
        formula="Σ(reposts + shares) / N posts", source=KAUSHIK, unit="count per post", grain="post",
        dimensions=POST_DIMS, higher_is_better=True, extra_columns=("reposts", "posts"), tables=_T)
def amplification_rate(t: Tables, q: Query) -> ir.Table:
    """Reposts/shares per own post (Kaushik)."""
    return _per_post(t, q, "reposts")


@metric(name="applause_rate", label_en="Applause rate", label_zh="点赞率(每帖点赞)", formula="Σlikes / N posts",
        source=KAUSHIK, unit="count per post", grain="post", dimensions=POST_DIMS, higher_is_better=True,
        extra_columns=("likes", "posts"), tables=_T)
def applause_rate(t: Tables, q: Query) -> ir.Table:
    """Likes per own post (Kaushik)."""
    return _per_post(t, q, "likes")


_DAILY_DIMS = ("day", "week", "month", "platform", "account")


@metric(name="daily_engagement_rate", label_en="Daily engagement rate", label_zh="日均粉丝互动率",
        formula="ΣE / (X · F); X = days in the cell ∩ period, F = Σ followers of the accounts that posted",
        source=HOOTSUITE + " (Daily ER = E_day / F; average over X days = ΣE / (X·F))", unit="ratio",
        grain="account-day", dimensions=_DAILY_DIMS, higher_is_better=True,
        extra_columns=("engagements", "days", "followers"), tables=_T,
        notes="The period is [start, end] when given, else the first to the last day with an own post. "
              "F per account = its latest follower count (accounts.followers), else its largest author_followers.", single_grain=True)
def daily_engagement_rate(t: Tables, q: Query) -> ir.Table:
    """Hootsuite daily engagement rate ΣE / (X·F) over the X calendar days of each cell."""
    p = own_posts(t, q)
    dims = q.dims
    acc_f = p.group_by(["platform", "account"]).aggregate(
        f=p.account_followers.max().fill_null(p.author_followers.max()))
    e = group(p, dims, engagements=p.engagements.sum())
    keys = list(dims) + [d for d in ("platform", "account") if d not in dims]
    acc = with_dims(p, dims).select(*keys).distinct().join(acc_f, ["platform", "account"])
    f = acc.group_by(list(dims)).aggregate(followers=acc.f.sum()) if dims else acc.aggregate(followers=acc.f.sum())
    g = join_dims(e, f, dims)
    b = period_bounds(p, q)
    g = g.cross_join(b)
    grain = q.grain
    if grain is None:
        c0, c1 = g.p_start, g.p_end
    else:
        c0 = g[grain]
        c1 = (c0 + STEP[grain]) - ibis.interval(days=1)
    days = ibis.least(c1, g.p_end).delta(ibis.greatest(c0, g.p_start), unit="day") + 1
    g = g.mutate(days=days)
    return g.mutate(value=ratio(g.engagements, g.days * g.followers)).drop("p_start", "p_end")
