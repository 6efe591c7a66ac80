"""Sentiment over time: the polarity mix of word of mouth per period — the report's sentiment chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from hudong.analyses import texts
from hudong.analyses.base import Filters, Result, analysis

FREQ = {"day": "D", "week": "W", "month": "M"}


@dataclass(frozen=True)
class TrendParams(Filters):
    grain: Literal["day", "week", "month"] = "week"


@analysis("sentiment_trend", "口碑情感走势", "Sentiment over time", tables=("posts", "text_sentiment"),
          params=TrendParams, steps=1)  # fmt: skip
def sentiment_trend(ws: Any, p: TrendParams, step: Any) -> Result:
    """Frame ``trend`` (period, polarity, texts): word-of-mouth posts — not published by a watched account, not
    reposts — with a polarity from ``hudong text score``, counted per period and polarity."""
    step("reading posts")
    posts = texts.posts(ws, platform=p.platform, start=p.start, end=p.end, campaign=p.campaign, roots_only=True)
    wom = posts[posts["account_id"].isna() & posts["polarity"].notna()]
    period = wom["created_at"].dt.to_period(FREQ[p.grain]).dt.start_time
    trend = wom.assign(period=period).groupby(["period", "polarity"]).size().rename("texts").reset_index()
    notes = ["word of mouth is not published by a watched account: the account filter does not apply"] if p.account else []
    return Result({"trend": trend}, {"texts": len(wom)}, notes)
