"""Communities of the interaction graph (Leiden, ``hudong.graph.communities``): ``hudong communities`` and the
web's people page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hudong.analyses import reads
from hudong.analyses.base import Result, analysis
from hudong.graph.communities import leiden_communities


@dataclass(frozen=True)
class CommunityParams:
    platform: list[str] | None = None
    resolution: float = 1.0
    seed: int = 42
    top_members: int = 5


@analysis("communities", "社群", "Communities", tables=("interactions", "posts"), params=CommunityParams,
          engines=("duckdb", "spark"), steps=2)  # fmt: skip
def communities(ws: Any, p: CommunityParams, step: Any) -> Result:
    """Frames ``communities`` (one row per platform and community, largest first: size, share, key members,
    bridges, modularity) and ``members`` (one row per user)."""
    step("reading the interaction graph")
    edges = reads.interaction_edges(ws, platform=p.platform)
    step("Leiden communities, key members and bridges")
    c = leiden_communities(edges, resolution=p.resolution, seed=p.seed, top_members=p.top_members)
    return Result({"communities": c.table, "members": c.members},
                  {"communities": len(c.table), "users": len(c.members)})
