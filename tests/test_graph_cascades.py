"""Cascade trees: structural virality fixtures, Wiener index vs networkx, repairs of messy edges, the store."""

from __future__ import annotations

import datetime as dt

import networkx as nx
import numpy as np
import pytest

from hudong import analyses
from hudong.graph import build_forest, cascade_metrics, forest_from_parents
from hudong.metrics import testing


def _sv(parent: list[int]) -> float:
    return float(cascade_metrics(forest_from_parents(np.array(parent)))["structural_virality"].iloc[0])


@pytest.mark.parametrize(
    ("parent", "expected"),
    [
        ([-1, 0, 0, 0, 0], 1.6),  # star n=5
        ([-1] + [0] * 99, 1.98),  # star n=100
        ([-1] + list(range(9)), 11 / 3),  # path n=10
        ([-1] + [(i - 1) // 2 for i in range(1, 31)], 4.9548),  # complete binary tree, depth 4
        ([-1], 0.0),
    ],
)
def test_structural_virality_fixtures(parent, expected):
    assert _sv(parent) == pytest.approx(expected, abs=5e-5)


def test_wiener_index_equals_networkx_on_random_trees():
    rng = np.random.default_rng(3)
    parents, offsets, sizes = [], 0, []
    for _ in range(250):
        n = int(rng.integers(1, 80))
        p = np.array([-1] + [int(rng.integers(0, i)) for i in range(1, n)])
        perm = rng.permutation(n)  # node numbering unrelated to the tree order
        inv = np.argsort(perm)
        q = np.where(p[inv] >= 0, perm[np.maximum(p[inv], 0)], -1)
        parents.append(np.where(q >= 0, q + offsets, -1))
        sizes.append((n, q))
        offsets += n
    forest = forest_from_parents(np.concatenate(parents))
    m = cascade_metrics(forest)
    assert len(m) == 250
    # cascades are numbered in root order = the order the trees were laid out
    for i, (n, q) in enumerate(sizes):
        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_edges_from((v, int(q[v])) for v in range(n) if q[v] >= 0)
        assert m["wiener_index"].iloc[i] == nx.wiener_index(g)
        assert m["size"].iloc[i] == n
        lengths = nx.single_source_shortest_path_length(g, int(np.flatnonzero(q < 0)[0]))
        assert m["depth"].iloc[i] == max(lengths.values())


def test_generations_growth_and_half_life():
    # root at t=0; children at 1, 2; grandchild at 5 (under node 1), great-grandchild at 9
    f = forest_from_parents(np.array([-1, 0, 0, 1, 3]), time=np.array([0.0, 1, 2, 5, 9]))
    row = cascade_metrics(f, users_k=(2, 5, 6), depth_k=(2, 3, 4)).iloc[0]
    assert row["generation_sizes"] == [1, 2, 1, 1]
    assert row["branching_ratios"] == [2.0, 0.5, 1.0]
    assert row["max_breadth"] == 2 and row["depth"] == 3
    assert row["mean_offspring"] == pytest.approx(4 / 3)
    assert (row["t_users_2"], row["t_users_5"]) == (1.0, 9.0) and np.isnan(row["t_users_6"])
    assert (row["t_depth_2"], row["t_depth_3"]) == (5.0, 9.0) and np.isnan(row["t_depth_4"])
    assert row["half_life"] == 2.0 and row["duration"] == 9.0


@pytest.mark.parametrize("n_cascades", [300, 70_000])  # 70,000 > 2^16 cascades: the lexsort path
def test_growth_times_match_a_per_cascade_sort(n_cascades):
    rng = np.random.default_rng(7)
    size = rng.integers(1, 6, n_cascades)
    n = int(size.sum())
    first = np.cumsum(size) - size
    casc = np.repeat(np.arange(n_cascades), size)
    parent = np.where(np.isin(np.arange(n), first), -1, np.maximum(np.arange(n) - 1, first[casc]))
    time = np.round(rng.exponential(10.0, n), 1)  # rounded: ties within cascades
    time[first] = 0.0
    m = cascade_metrics(forest_from_parents(parent, time), users_k=(2, 3), depth_k=(1, 3))
    for c in rng.choice(n_cascades, 50, replace=False):
        t = np.sort(time[casc == c])
        k = len(t)
        assert m["half_life"].iloc[c] == t[(k + 1) // 2 - 1] and m["duration"].iloc[c] == t[-1]
        assert np.array_equal(m[["t_users_2", "t_users_3"]].iloc[c], [t[i] if i < k else np.nan for i in (1, 2)],
                              equal_nan=True)
        assert m["depth"].iloc[c] == k - 1 and m["generation_sizes"].iloc[c] == [1] * k  # a chain
        d3 = time[first[c] + 3] if k > 3 else np.nan
        assert np.array_equal([m["t_depth_1"].iloc[c], m["t_depth_3"].iloc[c]],
                              [time[first[c] + 1] if k > 1 else np.nan, d3], equal_nan=True)


def test_generation_sizes_of_a_deep_chain_among_many_cascades():
    # 1,100 cascades × depth 1,100 exceeds the dense (cascade, depth) table: the np.unique path
    chain = np.arange(-1, 1099)
    parent = np.concatenate([chain, np.full(1099, -1)])
    m = cascade_metrics(forest_from_parents(parent))
    assert m["generation_sizes"].iloc[0] == [1] * 1100 and m["depth"].iloc[0] == 1099
    assert m["generation_sizes"].iloc[1:].map(len).eq(1).all() and m["size"].sum() == 2199


def test_repairs_are_counted_per_cascade():
    # cascade 0: nodes 0..6, root 0.  cascade 1: nodes 7..9, root 7 (clean)
    cascade = np.array([0] * 7 + [1] * 3)
    time = np.array([0, 1, 2, 3, 4, 5, 6, 0, 1, 2], dtype=float)
    edges = [
        (1, 0),  # 1 <- 0
        (1, 0),  # duplicate
        (2, 2),  # self-loop
        (2, 1),  # 2 <- 1
        (2, 0),  # second parent of 2: later rank loses
        (0, 3),  # edge into the root: dropped
        (3, -1),  # parent unknown: 3 hangs from the root
        (4, 5), (5, 4),  # a cycle 4 <-> 5: earliest (4) attaches to the root
        (6, 2),  # 6 <- 2 but earlier than 2? (time 6 > 2: fine)
        (1, 6),  # another later parent for 1 (and would close a cycle)
        (8, 7), (9, 8),
    ]
    child = np.array([c for c, _ in edges])
    parent = np.array([p for _, p in edges])
    f = build_forest(cascade, time, np.array([0, 7]), child, parent, np.arange(len(edges)))
    assert f.parent[:7].tolist() == [-1, 0, 1, 0, 0, 4, 2]
    r = {k: v.tolist() for k, v in f.repairs.items()}
    assert r["duplicate_edges"] == [1, 0]
    assert r["self_loops"] == [1, 0]
    assert r["several_parents"] == [2, 0]  # nodes 1 and 2
    assert r["root_as_child"] == [1, 0]
    assert r["missing_parents"] == [1, 0]
    assert r["cycles"] == [1, 0]
    assert r["unreachable"] == [0, 0]
    assert f.depth.tolist() == [0, 1, 2, 1, 1, 2, 3, 0, 1, 2]
    # drop mode keeps only what the root reaches
    g = build_forest(cascade, time, np.array([0, 7]), child, parent, np.arange(len(edges)), orphans="drop")
    assert g.repairs["unreachable"].tolist() == [3, 0] and g.depth[3] == -1 and g.depth[4] == -1


def test_child_before_parent_is_kept_and_counted():
    f = build_forest(np.zeros(3, int), np.array([0.0, 5.0, 1.0]), np.array([0]), np.array([1, 2]),
                     np.array([0, 1]), np.arange(2))
    assert f.depth.tolist() == [0, 1, 2]
    assert f.repairs["child_before_parent"].tolist() == [1]


def _t(minutes: float) -> dt.datetime:
    return dt.datetime(2026, 1, 1) + dt.timedelta(minutes=minutes)


def test_cascades_from_the_store(tmp_path):
    posts = [
        {"post_id": "r", "author_id": "A", "created_at": _t(0)},
        {"post_id": "p1", "author_id": "B", "created_at": _t(1), "parent_id": "r", "root_id": "r"},
        {"post_id": "p2", "author_id": "C", "created_at": _t(2), "parent_id": "p1", "root_id": "r"},
        {"post_id": "p3", "author_id": "C", "created_at": _t(3), "parent_id": "r", "root_id": "r"},  # 2nd parent
        {"post_id": "p4", "author_id": "D", "created_at": _t(4), "parent_id": "gone", "root_id": "r"},  # missing
        {"post_id": "p5", "author_id": "B", "created_at": _t(5), "parent_id": "p1", "root_id": "r"},  # self-loop
        {"post_id": "p6", "author_id": "E", "created_at": _t(6), "root_id": "r"},  # root only: direct repost
        {"post_id": "q1", "author_id": "F", "created_at": _t(10), "parent_id": "lost", "root_id": "lost"},
        {"post_id": "s1", "author_id": "G", "created_at": _t(11)},  # no cascade
        {"post_id": "x1", "platform": "twitter", "author_id": "A", "created_at": _t(1), "parent_id": "r"},
    ]
    ws = testing.workspace(tmp_path / "ws", posts=posts)
    try:
        df = analyses.run(ws, "cascades", generations=True).frame("cascades")
        weibo = analyses.run(ws, "cascades", platform=["weibo"], generations=True).frame("cascades")
    finally:
        ws.close()
    assert len(df) == 3 and len(weibo) == 2
    r = df.set_index(["platform", "root_post_id"]).loc[("weibo", "r")]
    assert (r["size"], r["n_posts"], r["depth"], r["max_breadth"]) == (5, 7, 2, 3)
    assert (r["several_parents"], r["missing_parents"], r["self_loops"]) == (1, 1, 1)
    assert r["half_life"] == 2.0 and r["t_users_10"] != r["t_users_10"]  # 3rd of 5 users: A(0), B(1), C(2); NaN
    lost = df.set_index(["platform", "root_post_id"]).loc[("weibo", "lost")]
    assert bool(lost["root_missing"]) and lost["size"] == 2
    tw = df.set_index(["platform", "root_post_id"]).loc[("twitter", "r")]  # parent on another platform: missing
    assert bool(tw["root_missing"]) and tw["size"] == 2
