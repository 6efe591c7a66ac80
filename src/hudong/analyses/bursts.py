"""What is rising now and the Kleinberg bursts of the terms of original posts (``hudong.text.bursts``):
``hudong text bursts`` and the report's rising topics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from hudong.analyses import texts
from hudong.analyses.base import Filters, Result, analysis
from hudong.errors import HudongError
from hudong.text.bursts import TermCounter, detect_bursts, rising

GRAINS = {"hour": "h", "day": "D", "week": "W", "month": "M"}


@dataclass(frozen=True)
class BurstParams(Filters):
    grain: Literal["hour", "day", "week", "month"] = "day"
    hashtags_only: bool = False
    window: int = 7  # baseline periods of the rising-now ranking
    top: int | None = 20
    gamma: float = 1.0  # Kleinberg transition cost (higher: fewer bursts)
    min_docs: int = 3
    bursts: bool = True  # also the Kleinberg bursts (over the whole period)
    to_last_post: bool = False  # periods end at the last post (the latest 7 days are "this week")
    recent_days: int | None = None  # only the posts of the last N days (before the last post in the filters)


@analysis("bursts", "热点与突发", "Rising terms and bursts", tables=("posts",), params=BurstParams, steps=4)
def bursts(ws: Any, p: BurstParams, step: Any) -> Result:
    """Frames ``rising`` (term, count, baseline, z, ratio of the last period against the ``window`` before) and
    ``bursts`` (Kleinberg, two-state, by weight). Original posts only (reposts and replies repeat their root's
    words), streamed from DuckDB and counted as they come: memory holds the (term, period) cells, not the
    posts. Values ``posts`` and ``last`` (the last period)."""
    step("reading posts")
    where = {"platform": p.platform, "end": p.end, "campaign": p.campaign, "account": p.account}
    start, shift = p.start, pd.Timedelta(0)
    if p.to_last_post or p.recent_days:
        last = texts.last_post_time(ws, start=p.start, **where)
        if last is None:
            raise HudongError("no posts with text match the filters")
        if p.recent_days:
            first = (last.normalize() - pd.Timedelta(days=p.recent_days)).date().isoformat()
            start = max(start, first) if start else first
        if p.to_last_post:  # periods that end with the last post's day, not calendar ones cut short
            shift = pd.Timestamp("2000-01-02") - last.normalize()
    n, batches = texts.post_texts(ws, start=start, **where)
    if not n:
        raise HudongError("no posts with text match the filters")
    counter = TermCounter(GRAINS[p.grain], hashtags_only=p.hashtags_only)
    step("segmenting posts", total=n)
    for batch in batches:
        counter.add((batch["created_at"] + shift).to_numpy(), batch["text"].tolist())
        step(advance=len(batch))
    counts = counter.result(p.min_docs)
    step("rising now")
    up = rising(counts.wide(last=p.window + 1), window=p.window, totals=counts.totals[-(p.window + 1):], top=p.top)
    frames = {"rising": up}
    if p.bursts:
        step("Kleinberg bursts")
        b = detect_bursts(counts, gamma=p.gamma)
        frames["bursts"] = b.head(p.top) if p.top else b
    last_period = counts.periods[-1] - shift if len(counts.periods) else None
    return Result(frames, {"posts": n, "last": last_period})
