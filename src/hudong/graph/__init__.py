"""Propagation algorithms: cascade trees, their structure and growth, the people who carry them, communities,
coordination. They take frames and arrays and never open the workspace; the analyses read it
(``hudong.analyses``: ``analyses.run(ws, "cascades")``, ``"koc"``, ``"communities"``, ``"coordination"`` …).

    from hudong import graph
    sc = graph.build_cascades(posts)    # posts (platform, post_id, author_id, created_at, parent_id, root_id)
    graph.cascade_table(sc)             # one row per cascade, largest first
    graph.read_twitter1516_trees(path)  # Twitter15/16 tree files → edges; twitter1516_forest → trees
    graph.repost_forest(cascade, post, parent_post, user, source_user, time)  # a repost table (CED) → trees
    graph.leiden_communities(edges)     # edges (platform, src, dst, weight) → .table, .members
    graph.graph_influence(edges, engine="duckdb")  # PageRank/k-core, portable form
    graph.portable.pagerank(con, edges) # the Ibis form on any backend (DuckDB, Spark)

See docs/propagation.md for the definitions and the repair rules.
"""

from hudong.graph import portable
from hudong.graph.cascade_metrics import cascade_metrics, structural_virality, wiener_index
from hudong.graph.cascades import StoreCascades, build_cascades, cascade_table
from hudong.graph.communities import Communities, leiden_communities
from hudong.graph.forest import REPAIRS, Forest, build_forest, forest_from_parents
from hudong.graph.formats import read_twitter1516_tree, read_twitter1516_trees, repost_forest, twitter1516_forest
from hudong.graph.influence import (
    cascade_influence,
    coreness,
    graph_influence,
    pagerank,
)
from hudong.graph.koc import koc_candidates
from hudong.stats.tiers import DEFAULT_TIERS, follower_tier

__all__ = [
    "Communities",
    "DEFAULT_TIERS",
    "REPAIRS",
    "Forest",
    "StoreCascades",
    "build_cascades",
    "build_forest",
    "cascade_influence",
    "cascade_metrics",
    "cascade_table",
    "coreness",
    "follower_tier",
    "forest_from_parents",
    "graph_influence",
    "koc_candidates",
    "leiden_communities",
    "pagerank",
    "portable",
    "read_twitter1516_tree",
    "read_twitter1516_trees",
    "repost_forest",
    "structural_virality",
    "twitter1516_forest",
    "wiener_index",
]
from hudong.graph import forecast, rumour  # noqa: E402,F401 — early size forecast, rumour risk flag (docs/propagation.md)
