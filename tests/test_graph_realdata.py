"""Real data: Twitter15/16 raw tree statistics (metrics-reference §3); PageRank/k-core on Higgs (igraph = networkx)."""

from __future__ import annotations

import gzip

import networkx as nx
import numpy as np
import pytest

from conftest import shared_data
from hudong.errors import HudongError
from hudong.graph import (
    cascade_metrics,
    coreness,
    pagerank,
    read_twitter1516_tree,
    read_twitter1516_trees,
    twitter1516_forest,
)

# metrics-reference §3, "Raw" rows: trees, mean nodes, max nodes, depth mean/median/p90/max, max-breadth mean,
# SV p10/p50/p90/mean/max, edge lines per tree mean
REFERENCE = {
    "twitter15": (1490, 402.1, 2990, 3.7, 3, 6, 12, 309.2, (2.07, 2.34, 3.16), 2.51, 5.10, 419.1),
    "twitter16": (818, 425.2, 3089, 3.8, 3, 6, 16, 311.5, (2.09, 2.40, 3.29), 2.57, 7.70, 444.4),
}


@pytest.fixture(scope="module")
def all_trees():
    return read_twitter1516_trees(shared_data("twitter15_16_propagation", "trees.tar.gz"))


@pytest.mark.parametrize("subset", ["twitter15", "twitter16"])
def test_twitter1516_raw_statistics(all_trees, subset):
    edges = all_trees[all_trees["subset"] == subset]
    forest, _ = twitter1516_forest(edges)
    m = cascade_metrics(forest, generations=False)
    trees, nodes, nmax, dmean, dmed, dp90, dmax, breadth, sv_q, sv_mean, sv_max, lines = REFERENCE[subset]
    assert len(m) == trees
    assert round(m["size"].mean(), 1) == nodes and m["size"].max() == nmax
    assert round(m["depth"].mean(), 1) == dmean and m["depth"].median() == dmed
    assert np.percentile(m["depth"], 90) == dp90 and m["depth"].max() == dmax
    assert round(m["max_breadth"].mean(), 1) == breadth
    sv = m["structural_virality"]
    assert tuple(np.round(np.percentile(sv, [10, 50, 90]), 2)) == sv_q
    assert round(sv.mean(), 2) == sv_mean and round(sv.max(), 2) == sv_max
    assert round(len(edges) / trees, 1) == lines
    assert m["unreachable"].sum() == 0 and m["self_loops"].sum() > 0 and m["duplicate_edges"].sum() > 0


def test_tree_reader_errors(tmp_path):
    good = tmp_path / "1.txt"
    good.write_text("['ROOT', 'ROOT', '0.0']->['u1', '1', '0.0']\n['u1', '1', '0.0']->['u2', '2', '1.5']\n")
    df = read_twitter1516_tree(good)
    assert df["child_delay"].tolist() == [0.0, 1.5] and df["tree_id"].iloc[0] == "1"
    bad = tmp_path / "2.txt"
    bad.write_text("['ROOT', 'ROOT', '0.0']->['u1', '1', '0.0']\nu1 -> u2\n")
    with pytest.raises(HudongError, match="2.txt:2"):
        read_twitter1516_tree(bad)
    noroot = tmp_path / "3.txt"
    noroot.write_text("['u1', '1', '0.0']->['u2', '2', '1.5']\n")
    with pytest.raises(HudongError, match="ROOT"):
        read_twitter1516_tree(noroot)


def _higgs_sample(max_edges: int = 40_000) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    path = shared_data("higgs_twitter", "higgs-retweet_network.edgelist.gz")
    rows = []
    with gzip.open(path, "rt") as fh:
        for i, line in enumerate(fh):
            if i >= max_edges:
                break
            a, b, w = line.split()
            rows.append((int(a), int(b), float(w)))
    arr = np.array(rows)
    codes, users = np.unique(arr[:, :2].astype(np.int64), return_inverse=True)
    codes = users.reshape(-1, 2)
    return codes[:, 0], codes[:, 1], arr[:, 2], int(codes.max()) + 1


def test_higgs_pagerank_and_kcore_igraph_equals_networkx():
    src, dst, w, n = _higgs_sample()
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), w.tolist(), strict=True))
    ref = nx.pagerank(g, alpha=0.85, tol=1e-12, max_iter=500)
    ours = pagerank(src, dst, n, weights=w)
    theirs = np.array([ref[i] for i in range(n)])
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=n * 1e-12)  # networkx stops at L1 error < n·tol
    assert np.argsort(-ours)[:50].tolist() == np.argsort(-theirs)[:50].tolist()
    g.remove_edges_from(nx.selfloop_edges(g))
    core = nx.core_number(g)
    assert coreness(src, dst, n).tolist() == [core[i] for i in range(n)]
