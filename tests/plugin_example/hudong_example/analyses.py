"""An analysis: the longest posts."""

from dataclasses import dataclass

from hudong.analyses import Result, analysis
from hudong.analyses.texts import posts


@dataclass(frozen=True)
class LongestParams:
    top: int = 3


@analysis("longest_posts", "最长的帖子", "Longest posts", tables=("posts",), params=LongestParams)
def longest_posts(ws, p: LongestParams, step) -> Result:
    """Frame ``posts``: the ``top`` posts with the longest text."""
    step("reading posts")
    df = posts(ws)
    df = df.assign(length=df["text"].str.len()).sort_values("length", ascending=False).head(p.top)
    return Result({"posts": df[["platform", "post_id", "length"]].reset_index(drop=True)}, {"posts": len(df)})
