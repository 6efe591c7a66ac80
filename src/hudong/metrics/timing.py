"""Timing: when own posts engage best."""

from __future__ import annotations

import ibis.expr.types as ir

from hudong.metrics.common import Query, Tables, group, own_posts, ratio
from hudong.metrics.registry import metric


@metric(name="best_posting_hours", label_en="Best posting hours", label_zh="最佳发帖时段",
        formula="mean_p(E_p / impressions_p) of own posts per (weekday, hour of posting)",
        source="X Ads API engagement rate by impressions, aggregated per posting slot", unit="ratio", grain="post",
        dimensions=("platform", "account", "media_type"), implicit_dims=("weekday", "hour"), higher_is_better=True,
        extra_columns=("posts",), tables=("posts", "interactions", "accounts"),
        notes="weekday is ISO (1 = Monday), hour 0–23 in workspace time. `posts` = posts with impressions in the "
              "cell; read cells with few posts with care.")
def best_posting_hours(t: Tables, q: Query) -> ir.Table:
    """Mean per-post engagement rate by impressions for each weekday × hour slot of own posts."""
    p = own_posts(t, q)
    p = p.mutate(r=ratio(p.engagements, p.impressions))
    return group(p, q.dims, value=p.r.mean(), posts=p.r.count())
