"""Propagation: cascade trees from the store, their structure and growth, and the people who carry them.

    from hudong import graph
    graph.cascades_table(ws)            # one row per cascade (pandas), largest first
    graph.koc_candidates(ws, top=20)    # KOC candidates with the evidence per gate
    graph.read_twitter1516_trees(path)  # Twitter15/16 tree files → edges; twitter1516_forest → trees
    graph.repost_forest(cascade, post, parent_post, user, source_user, time)  # a repost table (CED) → trees
    graph.communities(ws)               # Leiden communities: .table (size, key members, bridges), .members
    graph.graph_influence(graph.interaction_edges(ws), engine="duckdb")  # PageRank/k-core, portable form
    graph.portable.pagerank(con, edges) # the Ibis form on any backend (DuckDB, Spark)

See docs/propagation.md for the definitions and the repair rules.
"""

from hudong.graph import portable
from hudong.graph.cascade_metrics import cascade_metrics, structural_virality, wiener_index
from hudong.graph.cascades import StoreCascades, build_cascades, cascades_table, load_cascades
from hudong.graph.communities import Communities, communities, leiden_communities
from hudong.graph.forest import REPAIRS, Forest, build_forest, forest_from_parents
from hudong.graph.formats import read_twitter1516_tree, read_twitter1516_trees, repost_forest, twitter1516_forest
from hudong.graph.influence import (
    cascade_influence,
    coreness,
    graph_influence,
    interaction_edges,
    interaction_edges_expr,
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
    "cascades_table",
    "communities",
    "coreness",
    "follower_tier",
    "forest_from_parents",
    "graph_influence",
    "interaction_edges",
    "interaction_edges_expr",
    "koc_candidates",
    "leiden_communities",
    "load_cascades",
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
