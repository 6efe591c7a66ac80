"""KOC candidates with the evidence for each gate (``hudong.graph.koc``): ``hudong koc``, the web's people page
and the report's propagation section."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hudong.analyses import reads
from hudong.analyses.base import Result, analysis
from hudong.graph.koc import COLUMNS, koc_candidates


@dataclass(frozen=True)
class KocParams:
    platform: list[str] | None = None
    top: int | None = None
    require_customer: bool = True


@analysis("koc", "KOC 候选", "KOC candidates", tables=("users", "posts", "orders", "interactions"),
          params=KocParams, engines=("duckdb", "spark"), steps=3)  # fmt: skip
def koc(ws: Any, p: KocParams, step: Any) -> Result:
    """Frame ``candidates``, best first. Peers (the median engagement rate of a tier) are every user of the
    platform, so one platform's candidates are the same whether or not others are selected."""
    step("engagement, follower tiers and orders")
    frames = {name: reads.columns(ws, name, cols) for name, cols in COLUMNS.items()}
    one = p.platform[0] if p.platform and len(p.platform) == 1 else None
    step("cascades: reshares triggered")
    sc = reads.cascades(ws, one)
    step("graph influence: PageRank and coreness")
    edges = reads.interaction_edges(ws, platform=one)
    df = koc_candidates(frames["users"], frames["posts"], frames["orders"], sc, edges,
                        tiers=reads.setting(ws, "graph.tiers"), require_customer=p.require_customer, platform=one)
    if p.platform:
        df = df[df["platform"].isin(p.platform)].reset_index(drop=True)
    return Result({"candidates": df.head(p.top) if p.top else df}, {"candidates": len(df)})
