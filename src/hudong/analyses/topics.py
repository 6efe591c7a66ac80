"""What posts talk about: keywords per group, distinctive terms per segment, or co-occurrence topics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from hudong.analyses import texts
from hudong.analyses.base import Filters, Result, analysis
from hudong.errors import HudongError
from hudong.text import keywords as K

GRAINS = {"day": "D", "week": "W", "month": "M", "hour": "h"}
BY = Literal["all", "day", "week", "month", "hour", "platform", "campaign", "source", "tier"]


@dataclass(frozen=True)
class TopicParams(Filters):
    mode: Literal["keywords", "distinctive", "clusters"] = "keywords"
    by: BY = "all"
    top: int = 15
    recent: int | None = None  # only the most recent N posts (the web page: topics now)
    days: int | None = None  # only the posts of the N days before the last one (the report: this month)


@analysis("topics", "话题与关键词", "Topics and keywords", tables=("posts", "accounts", "users"),
          params=TopicParams, steps=2)  # fmt: skip
def topics(ws: Any, p: TopicParams, step: Any) -> Result:
    """Original posts (reposts repeat their root's words) in the filters: TF-IDF keywords per group (``by``),
    distinctive terms per segment (log-odds with an informative prior), or hashtag + keyword co-occurrence
    clusters (``hudong.text.keywords``). Frame ``table``; values ``posts`` (analysed) and ``posts_total``."""
    if p.mode == "distinctive" and p.by == "all":
        raise HudongError("distinctive terms need groups to compare (by = day, platform, source …)")
    step("reading posts")
    posts = texts.posts(ws, platform=p.platform, start=p.start, end=p.end, campaign=p.campaign, account=p.account,
                        roots_only=True)  # fmt: skip
    if p.days is not None and len(posts):
        posts = posts[posts["created_at"] > posts["created_at"].max() - pd.Timedelta(days=p.days)]
    total = len(posts)
    if p.recent is not None:
        posts = posts.tail(p.recent)  # texts.posts sorts by created_at: the tail is the most recent
    if p.by in K.SEGMENTS:
        posts = posts.assign(**{p.by: K.segment_of(posts, p.by, ws.setting("graph.tiers", None))})
    elif p.by in GRAINS:
        period = posts["created_at"].dt.to_period(GRAINS[p.by]).dt.start_time.dt.date.astype(str)
        posts = posts.assign(**{p.by: period})
    elif p.by == "campaign":
        posts = posts.assign(campaign=posts["campaign_id"].fillna("(none)"))
    group = None if p.by == "all" else p.by
    step("segmenting posts", total=len(posts))
    if p.mode == "clusters":
        table, _ = K.topics(posts, progress=step)
    elif p.mode == "distinctive":
        table = K.distinctive(posts, group, top=p.top, progress=step)
    else:
        table = K.keywords(posts, group, top=p.top, progress=step)
    return Result({"table": table}, values={"posts": len(posts), "posts_total": total})
