"""Influence: karate-club PageRank and k-core (metrics-reference §4), tiers, cascade influence, KOC candidates."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import pytest

from hudong import analyses
from hudong.analyses import reads
from hudong.graph import cascade_influence, coreness, follower_tier, pagerank
from hudong.metrics import testing


def _karate() -> tuple[np.ndarray, np.ndarray, int]:
    g = nx.karate_club_graph()
    e = np.array(list(g.edges()))
    return e[:, 0], e[:, 1], g.number_of_nodes()


def test_karate_pagerank_top3():
    src, dst, n = _karate()
    pr = pagerank(src, dst, n, directed=False)
    top = np.argsort(-pr)[:3]
    assert top.tolist() == [33, 0, 32]
    assert np.round(pr[top], 4).tolist() == [0.1009, 0.0970, 0.0717]


def test_karate_kcore():
    src, dst, n = _karate()
    core = coreness(np.concatenate([src, dst]), np.concatenate([dst, src]), n) // 2  # both directions: in+out
    assert core.max() == 4
    assert set(np.flatnonzero(core == 4).tolist()) == {0, 1, 2, 3, 7, 8, 13, 30, 32, 33}


def test_follower_tiers_default_and_custom():
    t = follower_tier([None, 999, 1000, 9999, 10_000, 49_999, 50_000, 500_000, 1_000_000, 1_000_001])
    assert t.tolist() == [None, "none", "nano", "nano", "micro", "micro", "mid", "macro", "macro", "mega"]
    assert follower_tier([5000, 20_000], {"nano": 0, "micro": 10_000, "macro": 100_000}).tolist() == ["nano", "micro"]


def _t(m: float) -> dt.datetime:
    return dt.datetime(2026, 3, 1) + dt.timedelta(minutes=m)


def test_cascade_influence_and_koc(tmp_path):
    posts = [
        {"post_id": "r", "author_id": "brand", "account_id": "brand", "created_at": _t(0)},
        # K reposts the brand, and three people repost K; M reposts the brand, nobody follows
        {"post_id": "k1", "author_id": "K", "created_at": _t(1), "parent_id": "r", "root_id": "r"},
        {"post_id": "a1", "author_id": "A", "created_at": _t(2), "parent_id": "k1", "root_id": "r"},
        {"post_id": "b1", "author_id": "B", "created_at": _t(3), "parent_id": "k1", "root_id": "r"},
        {"post_id": "c1", "author_id": "C", "created_at": _t(4), "parent_id": "a1", "root_id": "r"},
        {"post_id": "m1", "author_id": "M", "created_at": _t(5), "parent_id": "r", "root_id": "r"},
        # their own posts (engagement, UGC)
        {"post_id": "k2", "author_id": "K", "created_at": _t(9), "likes": 90, "is_ugc": True, "author_followers": 2000},
        {"post_id": "m2", "author_id": "M", "created_at": _t(9), "likes": 5, "is_ugc": True, "author_followers": 2000},
        {"post_id": "n2", "author_id": "N", "created_at": _t(9), "likes": 900, "author_followers": 900},
        {"post_id": "z2", "author_id": "Z", "created_at": _t(9), "likes": 50, "author_followers": 3000},
    ]
    users = [{"user_id": u, "followers": f} for u, f in [("K", 2000), ("M", 2000), ("N", 900), ("Z", 3000)]]
    interactions = [
        {"interaction_id": f"i{i}", "type": "repost", "actor_id": a, "target_post_id": p, "created_at": _t(i)}
        for i, (a, p) in enumerate([("A", "k1"), ("B", "k1"), ("K", "r"), ("C", "a1")])
    ]
    orders = [{"platform": "shop", "order_id": "o1", "user_id": "Z", "user_platform": "weibo", "created_at": _t(20),
               "amount": 99.0}]
    ws = testing.workspace(tmp_path / "ws", posts=posts, users=users, interactions=interactions, orders=orders)
    try:
        ci = cascade_influence(reads.cascades(ws)).set_index("user_id")
        koc = analyses.run(ws, "koc").frame("candidates")
        koc_open = analyses.run(ws, "koc", require_customer=False).frame("candidates")
    finally:
        ws.close()
    assert ci.loc["K", "reshares_sum"] == 2 and ci.loc["K", "reach_sum"] == 3
    assert ci.loc["A", "reshares_sum"] == 1 and ci.loc["M", "reach_sum"] == 0
    assert ci.loc["brand", "cascades_started"] == 1 and ci.loc["brand", "reach_sum"] == 5
    # nano peers K (ER 0.045), M (0.0025), Z (0.0167): median 0.0167 → K passes, Z is not above, M is below;
    # N is below nano
    assert koc["user_id"].tolist() == ["K"]
    assert koc.loc[0, "koc_score"] == 2
    assert "triggered 2 reshares, reach 3" in koc.loc[0, "evidence"]
    assert koc_open["user_id"].tolist() == ["K"]
    assert koc.loc[0, "pagerank"] > 0


def test_koc_needs_customer_evidence(tmp_path):
    posts = [{"post_id": f"p{u}", "author_id": u, "created_at": _t(0), "likes": lk}
             for u, lk in [("X", 100), ("Y", 1), ("W", 10)]]
    users = [{"user_id": u, "followers": 5000} for u in "XYW"]
    ws = testing.workspace(tmp_path / "ws", posts=posts, users=users)
    try:
        assert analyses.run(ws, "koc").frame("candidates").empty
        assert analyses.run(ws, "koc", require_customer=False).frame("candidates")["user_id"].tolist() == ["X"]
    finally:
        ws.close()


@pytest.mark.parametrize("top", [1])
def test_cli_cascades_and_koc(tmp_path, top):
    from click.testing import CliRunner

    from hudong.cli import cli

    posts = [{"post_id": "r", "author_id": "A", "created_at": _t(0)},
             {"post_id": "p", "author_id": "B", "created_at": _t(1), "parent_id": "r", "root_id": "r"}]
    testing.workspace(tmp_path / "ws", posts=posts).close()
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "ws"), "cascades", "--top", str(top)])
    assert res.exit_code == 0, res.output
    assert "cascades: 1" in res.output
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "ws"), "koc"])
    assert res.exit_code == 0, res.output
    assert "KOC candidates: 0" in res.output
