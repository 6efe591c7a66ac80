"""Best publishing slots per platform × content type with intervals (``hudong.stats.slots``): the calendar's
"best times" panel, `hudong plan best-times` and the report's best-hours section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from hudong.analyses import reads
from hudong.analyses.base import Filters, Result, analysis
from hudong.metrics.common import Query, own_posts
from hudong.stats.slots import BLOCK_HOURS, content_mix, recommend, slot_lifts


@dataclass(frozen=True)
class BestTimeParams(Filters):
    days: int | None = 180  # the posts of the last N days before the last own post (None: all)
    top: int = 3
    min_posts: int = 20  # fewer posts in a platform × content type: too thin to tell slots apart


@analysis("best_times", "最佳发布时段", "Best times to publish", tables=("posts", "interactions", "accounts"),
          params=BestTimeParams, engines=("duckdb", "spark"))  # fmt: skip
def best_times(ws: Any, p: BestTimeParams, step: Any) -> Result:
    """Frames ``slots`` (every weekday × block with the lift, its 90 % interval and the share from the cell's own
    posts), ``recommended`` (per platform × content type the best slots, ``separable``, ``thin``) and ``mix`` (per
    platform each content type's lift against the typical post, with its interval: post more, less, or unclear). Values
    ``block_hours``, ``posts`` and ``since``."""
    q = Query.make((), p.start, p.end, p.platform, p.account, p.campaign, None)
    e = own_posts(reads.tables(ws), q)
    e = e.select(platform=e.platform, content_type=e.media_type.fill_null("other"), ts=e.ts,
                 engagements=e.engagements, impressions=e.impressions)  # fmt: skip
    df = reads.run(e, ws).dropna(subset=["ts"])
    since = None
    if p.days and len(df):
        since = df["ts"].max() - pd.Timedelta(days=p.days)
        df = df[df["ts"] >= since]
    df = df.assign(weekday=df["ts"].dt.day_of_week, hour=df["ts"].dt.hour)
    lifts = slot_lifts(df)
    rec = recommend(lifts, top=p.top, min_posts=p.min_posts)
    return Result({"slots": lifts, "recommended": rec, "mix": content_mix(df)},
                  {"block_hours": BLOCK_HOURS, "posts": len(df), "since": since})
