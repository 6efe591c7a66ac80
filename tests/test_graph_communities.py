"""Leiden communities: karate club against the known two-faction split and the known modularity optimum; the
measures per member recomputed independently; the demo workspace end to end (API and CLI)."""

from __future__ import annotations

import igraph as ig
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from hudong import analyses
from hudong.errors import HudongError
from hudong.graph import leiden_communities


@pytest.fixture(scope="module")
def karate():
    g = nx.karate_club_graph()
    edges = pd.DataFrame([("x", a, b, 1) for a, b in g.edges()], columns=["platform", "src", "dst", "weight"])
    faction = np.array([g.nodes[i]["club"] == "Officer" for i in range(34)], dtype=int)
    return g, edges, faction


def test_karate_communities_recover_the_factions(karate):
    g, edges, faction = karate
    res = leiden_communities(edges)
    mem = res.members.sort_values("user_id")
    assert mem["user_id"].tolist() == list(range(34))
    # the best modularity partition of the karate club is known: Q = 0.4198, 4 communities (Brandes et al. 2008)
    assert res.table["modularity"].iloc[0] == pytest.approx(0.4198, abs=1e-4)
    assert len(res.table) == 4
    nmi = ig.compare_communities(mem["community"].tolist(), faction.tolist(), method="nmi")
    assert nmi > 0.55, nmi
    # agreement: label each community with its majority faction; at most 2 of 34 members disagree
    majority = mem.assign(f=faction).groupby("community")["f"].agg(lambda s: s.value_counts().iloc[0]).sum()
    assert majority / 34 >= 0.94
    # the two leaders head different communities as their key members
    key = res.table.set_index("community")["key_members"]
    leaders = {mem.loc[mem["user_id"] == u, "community"].iloc[0]: u for u in (0, 33)}
    assert len(leaders) == 2 and all(key[c][0] == u for c, u in leaders.items())
    # seeded: the same partition again
    again = leiden_communities(edges).members.sort_values("user_id")
    assert again["community"].tolist() == mem["community"].tolist()


def test_member_measures_recomputed(karate):
    g, edges, _ = karate
    res = leiden_communities(edges)
    mem = res.members.set_index("user_id")
    comm = mem["community"]
    for c, part in comm.groupby(comm):
        sub = g.subgraph(part.index.tolist())
        ref = nx.pagerank(sub, alpha=0.85, tol=1e-12, max_iter=1000, weight=None)
        got = mem.loc[list(ref), "within_pagerank"].to_numpy()
        np.testing.assert_allclose(got, list(ref.values()), atol=1e-8)
        assert res.table.set_index("community").loc[c, "size"] == len(part)
    for u in g:
        nbr = [comm[v] for v in g[u]]
        counts = pd.Series(nbr).value_counts()
        assert mem.loc[u, "strength"] == len(nbr)
        assert mem.loc[u, "between_weight"] == sum(x != comm[u] for x in nbr)
        assert mem.loc[u, "participation"] == pytest.approx(1 - ((counts / len(nbr)) ** 2).sum())
    t = res.table.set_index("community")
    for c, row in t.iterrows():
        inside = mem[mem["community"] == c]
        best = inside["between_weight"].max()
        assert mem.loc[row["bridges"][0], "between_weight"] == best > 0
        assert row["external_weight"] == inside["between_weight"].sum()
    assert t["internal_weight"].sum() + t["external_weight"].sum() / 2 == g.number_of_edges()


def test_parallel_and_reverse_edges_add_up():
    e = pd.DataFrame({"platform": "p", "src": ["a", "b", "a", "c", "c"], "dst": ["b", "a", "a", "d", "d"],
                      "weight": [2, 3, 5, 1, 1]})
    res = leiden_communities(e)
    mem = res.members.set_index("user_id")
    assert mem.loc["a", "strength"] == 5 and mem.loc["c", "strength"] == 2  # self-loop a→a dropped
    assert sorted(res.table["size"]) == [2, 2] and (res.table["bridges"].map(len) == 0).all()
    with pytest.raises(HudongError, match="lacks column"):
        leiden_communities(e.drop(columns="weight"))
    with pytest.raises(HudongError, match="weights"):
        leiden_communities(e.assign(weight=-1))


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    from hudong.demo import build
    from hudong.store.workspace import Workspace

    path = tmp_path_factory.mktemp("demo") / "ws"
    build(path, seed=5, scale=0.02, progress=False)
    return path, Workspace


def test_demo_workspace_communities(demo_ws):
    path, Workspace = demo_ws
    ws = Workspace.open(path, read_only=True)
    try:
        res = analyses.run(ws, "communities")
        weibo = analyses.run(ws, "communities", platform=["weibo"])
    finally:
        ws.close()
    t, m = res.frame("communities"), res.frame("members")
    assert set(t["platform"]) >= {"weibo", "douyin"}
    assert (t["size"] > 0).all() and t["size"].tolist() == sorted(t["size"], reverse=True)
    per_platform = m.groupby("platform").size()
    assert (t.groupby("platform")["size"].sum() == per_platform).all()
    assert not m.duplicated(["platform", "user_id"]).any()
    assert m["participation"].between(0, 1).all() and (m["between_weight"] >= 0).all()
    sums = m.groupby(["platform", "community"])["within_pagerank"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-9)
    assert (t["modularity"] >= 0).all() and (t.loc[t["platform"] == "weibo", "modularity"] > 0.1).all()
    assert set(weibo.frame("communities")["platform"]) == {"weibo"}
    pd.testing.assert_frame_equal(weibo.frame("members").reset_index(drop=True),
                                  m[m["platform"] == "weibo"].reset_index(drop=True))


def test_cli_communities(demo_ws):
    from click.testing import CliRunner

    from hudong.cli import cli

    path, _ = demo_ws
    res = CliRunner().invoke(cli, ["-w", str(path), "communities", "--top", "3", "--platform", "weibo"])
    assert res.exit_code == 0, res.output
    assert "communities: " in res.output and "weibo" in res.output and "douyin" not in res.output
