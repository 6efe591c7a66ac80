"""Brand and competitor mentions per period with share of voice (``hudong.text.mentions``): ``hudong text
mentions``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from hudong.analyses import texts
from hudong.analyses.base import Filters, Result, analysis
from hudong.analyses.bursts import GRAINS
from hudong.analyses.context import brands
from hudong.text.mentions import mention_counts, mentions_frame


@dataclass(frozen=True)
class MentionParams(Filters):
    grain: Literal["hour", "day", "week", "month"] = "month"


@analysis("mentions", "品牌提及", "Brand mentions", tables=("posts", "accounts"), params=MentionParams, steps=2)
def mentions(ws: Any, p: MentionParams, step: Any) -> Result:
    """Frame ``counts``: mentions per period and brand (aliases from hudong.toml and the accounts) with each
    brand's share of the period's mentions (share of voice). A brand's own accounts' posts are not mentions."""
    step("reading posts")
    posts = texts.posts(ws, platform=p.platform, start=p.start, end=p.end, campaign=p.campaign, account=p.account)
    step("finding brand mentions")
    watched = brands(ws)
    return Result({"counts": mention_counts(mentions_frame(posts, watched), GRAINS[p.grain], watched)},
                  {"posts": len(posts), "brands": len(watched)})
