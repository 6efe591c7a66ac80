"""Propagation: cascade trees from the store, their structure and growth, and the people who carry them.

    from hudong import graph
    graph.cascades_table(ws)            # one row per cascade (pandas), largest first
    graph.koc_candidates(ws, top=20)    # KOC candidates with the evidence per gate
    graph.read_twitter1516_trees(path)  # Twitter15/16 tree files → edges; twitter1516_forest → trees

See docs/propagation.md for the definitions and the repair rules.
"""

from hudong.graph.cascade_metrics import cascade_metrics, structural_virality, wiener_index
from hudong.graph.cascades import StoreCascades, build_cascades, cascades_table, load_cascades
from hudong.graph.forest import REPAIRS, Forest, build_forest, forest_from_parents
from hudong.graph.formats import read_twitter1516_tree, read_twitter1516_trees, twitter1516_forest
from hudong.graph.influence import (
    DEFAULT_TIERS,
    cascade_influence,
    coreness,
    follower_tier,
    graph_influence,
    interaction_edges,
    pagerank,
)
from hudong.graph.koc import koc_candidates

__all__ = [
    "DEFAULT_TIERS",
    "REPAIRS",
    "Forest",
    "StoreCascades",
    "build_cascades",
    "build_forest",
    "cascade_influence",
    "cascade_metrics",
    "cascades_table",
    "coreness",
    "follower_tier",
    "forest_from_parents",
    "graph_influence",
    "interaction_edges",
    "koc_candidates",
    "load_cascades",
    "pagerank",
    "read_twitter1516_tree",
    "read_twitter1516_trees",
    "structural_virality",
    "twitter1516_forest",
    "wiener_index",
]
