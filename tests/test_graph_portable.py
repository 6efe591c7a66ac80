"""The portable (Ibis) PageRank and k-core equal igraph's (hudong.graph.influence) — karate club, a messy random
graph, a Higgs sample — and graph_influence gives the same frame on engine="duckdb" as on igraph."""

from __future__ import annotations

import ibis
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from conftest import shared_data
from hudong.errors import HudongError
from hudong.graph import coreness, graph_influence, pagerank, portable

PR_TOL = 1e-9


@pytest.fixture
def con():
    c = ibis.duckdb.connect()
    yield c
    c.disconnect()


def _run(con, edges: pd.DataFrame, **kw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(nodes sorted, PageRank, coreness) from the portable form on ``con``."""
    t = con.create_table("edges", edges, overwrite=True)
    directed = kw.pop("directed", True)
    pr = portable.pagerank(con, t, directed=directed, **kw).to_pandas().sort_values("node")
    core = portable.coreness(con, t, directed=directed).to_pandas().sort_values("node")
    assert pr["node"].tolist() == core["node"].tolist()
    return pr["node"].to_numpy(), pr["pagerank"].to_numpy(), core["coreness"].to_numpy()


def test_karate_club_equals_igraph(con):
    g = nx.karate_club_graph()
    e = np.array(list(g.edges()))
    nodes, pr, core = _run(con, pd.DataFrame({"src": e[:, 0], "dst": e[:, 1], "weight": 1.0}), directed=False)
    assert nodes.tolist() == list(range(34))
    ref = pagerank(e[:, 0], e[:, 1], 34, directed=False)
    np.testing.assert_allclose(pr, ref, rtol=0, atol=PR_TOL)
    assert np.argsort(-pr)[:3].tolist() == [33, 0, 32]
    both = coreness(np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]], 34) // 2
    assert core.tolist() == both.tolist() and core.max() == 4
    assert sorted(nx.core_number(g).values()) == sorted(core.tolist())


def test_messy_directed_weighted_graph_equals_igraph(con):
    """Dangling nodes, self-loops, parallel edges, string ids, uneven weights."""
    rng = np.random.default_rng(7)
    m, n = 1500, 300
    s, d = rng.integers(0, n, m), rng.integers(0, n // 2, m)  # nodes ≥ n/2 only send: many dangling receivers?
    d[:40] = s[:40]  # self-loops
    s[40:80], d[40:80] = s[80:120], d[80:120]  # parallel edges
    w = rng.integers(1, 9, m).astype(float)
    ids = np.array([f"u{i:03d}" for i in range(n)], dtype=object)
    nodes, pr, core = _run(con, pd.DataFrame({"src": ids[s], "dst": ids[d], "weight": w}))
    code = {u: i for i, u in enumerate(nodes)}
    cs, cd = np.array([code[u] for u in ids[s]]), np.array([code[u] for u in ids[d]])
    assert (np.bincount(cs, minlength=len(nodes)) == 0).any(), "the graph should have dangling nodes"
    np.testing.assert_allclose(pr, pagerank(cs, cd, len(nodes), weights=w), rtol=0, atol=PR_TOL)
    assert abs(pr.sum() - 1) < 1e-12
    assert core.tolist() == coreness(cs, cd, len(nodes)).tolist()
    # unweighted: weight column ignored
    _, pr_u, _ = _run(con, pd.DataFrame({"src": ids[s], "dst": ids[d], "weight": w}), weight=None)
    np.testing.assert_allclose(pr_u, pagerank(cs, cd, len(nodes)), rtol=0, atol=PR_TOL)


def test_higgs_sample_equals_igraph(con):
    path = shared_data("higgs_twitter", "higgs-retweet_network.edgelist.gz")
    full = pd.read_csv(path, sep=" ", names=["src", "dst", "weight"])
    # the retweets among the 6,000 busiest users: a dense core (max coreness 12, as in the full graph)
    busiest = pd.concat([full["src"], full["dst"]]).value_counts().index[:6000]
    edges = full[full["src"].isin(busiest) & full["dst"].isin(busiest)].reset_index(drop=True)
    nodes, pr, core = _run(con, edges)
    codes = np.searchsorted(nodes, np.r_[edges["src"], edges["dst"]])
    src, dst = codes[: len(edges)], codes[len(edges) :]
    ref = pagerank(src, dst, len(nodes), weights=edges["weight"].to_numpy(float))
    np.testing.assert_allclose(pr, ref, rtol=0, atol=PR_TOL)
    assert np.argsort(-pr)[:20].tolist() == np.argsort(-ref)[:20].tolist()
    ref_core = coreness(src, dst, len(nodes))
    assert core.tolist() == ref_core.tolist() and core.max() == 12


def test_graph_influence_engine_duckdb_equals_igraph():
    rng = np.random.default_rng(3)
    rows = [(p, f"{p[0]}{a}", f"{p[0]}{b}", int(w)) for p in ("weibo", "x")
            for a, b, w in zip(rng.integers(0, 60, 400), rng.integers(0, 30, 400), rng.integers(1, 4, 400), strict=True)
            if a != b]
    edges = pd.DataFrame(rows, columns=["platform", "src", "dst", "weight"])
    edges = edges.groupby(["platform", "src", "dst"], as_index=False)["weight"].sum()
    a = graph_influence(edges)
    b = graph_influence(edges, engine="duckdb")
    assert a[["platform", "user_id", "coreness", "in_weight", "out_weight"]].equals(
        b[["platform", "user_id", "coreness", "in_weight", "out_weight"]])
    np.testing.assert_allclose(b["pagerank"], a["pagerank"], rtol=0, atol=PR_TOL)
    assert set(a["platform"]) == {"weibo", "x"}
    with pytest.raises(HudongError, match="unknown graph engine"):
        graph_influence(edges, engine="networkx")


def test_bad_edges_and_scratch_tables_dropped(con):
    t = con.create_table("e", pd.DataFrame({"src": [1, 2], "dst": [2, 1], "weight": [1.0, -2.0]}))
    with pytest.raises(HudongError, match="1 negative"):
        portable.pagerank(con, t)
    with pytest.raises(HudongError, match="lacks column"):
        portable.pagerank(con, t.select(a=t.src, dst=t.dst))
    with pytest.raises(HudongError, match="did not converge"):
        portable.pagerank(con, t, weight=None, tol=0.0, max_iter=3)
    empty = t.filter(t.src > 99)
    assert portable.pagerank(con, empty, name="pr0").count().execute() == 0
    assert portable.coreness(con, empty, name="core0").count().execute() == 0
    con.drop_table("pr0")
    con.drop_table("core0")
    portable.coreness(con, t, name="cores")
    assert sorted(con.list_tables()) == ["cores", "e"]  # no scratch table left behind, even after errors
    assert con.table("cores").to_pandas().sort_values("node")["coreness"].tolist() == [2, 2]  # in + out
