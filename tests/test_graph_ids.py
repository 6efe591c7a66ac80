"""Fast id coding (hudong.graph.ids) and the vectorised forest pieces built on it: every fast path gives exactly
what the plain one gives (pd.factorize, a dict lookup, a BFS, a sort)."""

from __future__ import annotations

import importlib

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from hudong.graph import build_forest, cascade_metrics, twitter1516_forest
from hudong.graph.forest import bfs
from hudong.graph.ids import decimal_ints, factorize_by_group, factorize_ids, first_positions

ids = importlib.import_module("hudong.graph.ids")
formats = importlib.import_module("hudong.graph.formats")
metrics_mod = importlib.import_module("hudong.graph.cascade_metrics")

RNG = np.random.default_rng(7)


def _strs(values) -> pd.Series:
    return pd.Series(values, dtype="string[pyarrow]")


@pytest.mark.parametrize(
    ("values", "ints"),
    [
        (["0", "7", "10", "999999999999999999"], [0, 7, 10, 999999999999999999]),
        (["7", "007"], None),  # a leading zero: "007" and "7" are different ids
        (["00"], None),
        (["+5"], None),
        (["-5"], None),
        (["1 "], None),
        ([""], None),
        (["1234567890123456789"], None),  # 19 digits: may not fit int64
        (["٣"], None),  # a non-ASCII digit
        (["ROOT", "1"], None),
    ],
)
def test_decimal_ints(values, ints):
    got = decimal_ints(pa.array(values))
    assert (got is None) if ints is None else got.tolist() == ints


@pytest.mark.parametrize("kind", ["decimal", "mixed", "leading_zero", "nulls", "object", "arrow", "empty"])
@pytest.mark.parametrize("runs", [False, True])
def test_factorize_ids_equals_pandas(kind, runs):
    base = RNG.integers(0, 50, 400).astype(str).tolist()
    values = {
        "decimal": base,
        "mixed": ["ROOT"] + base + ["alice", "bob", "alice"],
        "leading_zero": base + ["007", "7", "07", "0"],
        "nulls": base[:10] + [None] + base[10:20],
        "object": np.asarray(base, dtype=object),
        "arrow": pa.array(base),
        "empty": [],
    }[kind]
    v = values if kind in ("object", "arrow") else _strs(values)
    ref = pd.factorize(pd.Series(values.to_pylist()) if kind == "arrow" else v)[0]
    codes, first = factorize_ids(v, runs=runs)
    assert codes.tolist() == ref.tolist()
    ok = codes >= 0
    assert first.tolist() == [int(np.flatnonzero(codes == k)[0]) for k in range(int(codes.max(initial=-1)) + 1)]
    assert ok.sum() == len(codes) - (kind == "nulls")


def test_factorize_ids_runs_on_repeated_runs():
    v = _strs(["a"] * 3 + ["b"] * 2 + ["a"] * 2 + ["c"])  # "a" comes back: still one code
    codes, first = factorize_ids(v, runs=True)
    assert codes.tolist() == [0, 0, 0, 1, 1, 0, 0, 2] and first.tolist() == [0, 3, 7]


@pytest.mark.parametrize("contiguous", [True, False])
@pytest.mark.parametrize("as_ints", [False, True])
def test_factorize_by_group_equals_pairs(contiguous, as_ints):
    group = np.sort(RNG.integers(0, 30, 500)) if contiguous else RNG.integers(0, 30, 500)
    group[:60] = group[0]  # one large group
    raw = RNG.integers(0, 40, 500)
    values = raw if as_ints else _strs(raw.astype(str))
    ref = pd.factorize(pd.Series(group.astype(str)) + "/" + pd.Series(raw.astype(str)))[0]
    codes, first = factorize_by_group(values, group)
    assert codes.tolist() == ref.tolist()
    assert np.array_equal(codes[first], np.arange(len(first)))


@pytest.mark.parametrize("large", [False, True])
def test_factorize_by_group_take_and_awkward_strings(large):
    """Compiled path: strings read from the Arrow buffers (sliced arrays, large_string offsets, empty strings,
    UTF-8, equal-length near-misses) in a ``take`` order equal pandas on the materialised pairs."""
    words = ["", "a", "b", "ab", "ba", "用户", "用戶", "1234567890", "1234567891", "ROOT", "root"]
    raw = RNG.integers(0, len(words), 700)
    arr = pa.array([words[i] for i in raw], pa.large_string() if large else pa.string()).slice(50, 600)
    take = RNG.integers(0, 600, 900)
    group = np.sort(RNG.integers(0, 40, 900))
    vals = np.asarray(arr.to_pylist(), dtype=object)[take]
    ref = pd.factorize(pd.Series(group.astype(str)) + "/" + pd.Series(vals))[0]
    codes, first = factorize_by_group(arr, group, take=take)
    assert codes.tolist() == ref.tolist()
    assert first.tolist() == first_positions(ref).tolist()
    unsorted = RNG.permutation(group)  # the general path, same contract
    ref2 = pd.factorize(pd.Series(unsorted.astype(str)) + "/" + pd.Series(vals))[0]
    assert factorize_by_group(arr, unsorted, take=take)[0].tolist() == ref2.tolist()


def _tw_edges(n_trees: int = 12, lines: int = 60, prefix: str = "") -> pd.DataFrame:
    """Random Twitter15/16-like edge lines with every repair case: repeated and self edges, users in several
    trees, parents never seen as children, cycles."""
    rows = []
    for t in range(n_trees):
        root = str(1000 + t)
        rows.append((f"t{t}", "ROOT", root, 0.0, 0.0))
        users = [root] + [str(u) for u in RNG.integers(1, 40, 25)]
        for _ in range(lines):
            p, c = RNG.choice(users, 2)
            rows.append((f"t{t}", str(p), str(c), float(RNG.integers(0, 50)), float(RNG.integers(0, 99))))
    df = pd.DataFrame(rows, columns=["tree_id", "parent_uid", "child_uid", "parent_delay", "child_delay"])
    if prefix:
        for c in ("parent_uid", "child_uid"):
            df[c] = df[c].where(df[c] == "ROOT", prefix + df[c])
    for c in ("tree_id", "parent_uid", "child_uid"):
        df[c] = df[c].astype("string[pyarrow]")
    return df


def _same_forest(a, b):
    for k in ("cascade", "parent", "time", "depth", "subtree", "order", "level_starts", "roots"):
        assert np.array_equal(getattr(a, k), getattr(b, k)), k
    for k in a.repairs:
        assert np.array_equal(a.repairs[k], b.repairs[k]), k


@pytest.mark.parametrize("orphans", ["drop", "attach"])
def test_twitter_arrow_and_object_paths_give_identical_forests(orphans):
    num = _tw_edges()
    txt = _tw_edges(prefix="u")  # same structure, uids no longer decimal: hashed as strings
    txt[["parent_delay", "child_delay"]] = num[["parent_delay", "child_delay"]]
    txt["parent_uid"] = num["parent_uid"].where(num["parent_uid"] == "ROOT", "u" + num["parent_uid"])
    txt["child_uid"] = "u" + num["child_uid"]
    fa, na = twitter1516_forest(num, orphans=orphans)
    fb, nb = twitter1516_forest(txt, orphans=orphans)
    _same_forest(fa, fb)
    fo, no = twitter1516_forest(num.astype({"parent_uid": object, "child_uid": object}), orphans=orphans)
    _same_forest(fa, fo)  # NumPy object strings: the general (pandas) path, same forest
    assert (no["uid"].astype(str) == na["uid"].astype(str)).all()
    assert (("u" + na["uid"]) == nb["uid"]).all() and (na["tree_id"] == nb["tree_id"]).all()
    # the nodes frame names each node's (tree, user), in order of first mention
    seen = list(dict.fromkeys(
        (t, u) for t, p, c in zip(num["tree_id"], num["parent_uid"], num["child_uid"], strict=True)
        for u in ((p, c) if p != "ROOT" else (c,))
    ))
    assert list(zip(na["tree_id"], na["uid"], strict=True)) == seen


def test_factorize_by_group_one_large_group_with_probing():
    """200k distinct ids in one group plus repeats: long probe chains in one table, codes still exact."""
    raw = np.r_[RNG.permutation(200_000), RNG.integers(0, 200_000, 50_000)].astype(str)
    arr = pa.array(raw)
    codes, first = factorize_by_group(arr, np.zeros(len(raw), dtype=np.int64))
    assert np.array_equal(codes, pd.factorize(raw)[0]) and len(first) == 200_000


def test_twitter_trees_not_consecutive():
    edges = _tw_edges()
    # trees interleaved line by line, each tree's lines in their order (first listed parent wins)
    shuffled = edges.iloc[np.argsort(edges.groupby("tree_id").cumcount(), kind="stable")].reset_index(drop=True)
    ma = cascade_metrics(twitter1516_forest(edges)[0])
    order = pd.unique(shuffled["tree_id"])  # cascades numbered by first appearance
    mb = cascade_metrics(twitter1516_forest(shuffled)[0])
    mb.index = order
    pd.testing.assert_frame_equal(ma.set_axis(pd.unique(edges["tree_id"])).loc[order], mb,
                                  check_exact=False, rtol=0, atol=0)


def test_bfs_depths_equal_networkx():
    n = 3000
    parent = np.where(RNG.random(n) < 0.05, -1, RNG.integers(0, n, n))
    roots = np.flatnonzero(parent < 0)[::2]  # the other parentless nodes are dead ends
    order, depth, level_starts = bfs(parent, roots)
    g = nx.DiGraph((int(p), c) for c, p in enumerate(parent) if p >= 0)
    g.add_nodes_from(range(n))
    ref = np.full(n, -1)
    for r in roots:
        for v, d in nx.single_source_shortest_path_length(g, int(r)).items():
            ref[v] = d
    assert np.array_equal(depth, ref)
    assert np.array_equal(order, np.flatnonzero(ref >= 0)[np.argsort(ref[ref >= 0], kind="stable")])
    assert np.array_equal(level_starts, np.r_[0, np.cumsum(np.bincount(ref[ref >= 0]))])


def test_build_forest_rank_of_any_sortable_type():
    """Ranks the kernels cannot compare directly (strings) are replaced by their sort order: same forest."""
    child, parent = np.array([1, 1, 2, 2, 3]), np.array([0, 2, 0, 1, 1])
    args = (np.zeros(4, int), np.zeros(4), np.array([0]), child, parent)
    a = build_forest(*args, np.array(["e", "b", "a", "d", "c"]))
    b = build_forest(*args, np.array([4, 1, 0, 3, 2]))
    assert a.parent.tolist() == b.parent.tolist() == [-1, 2, 0, 1]
    assert a.repairs["several_parents"].tolist() == [2]


def test_build_forest_cycles_repaired_incrementally():
    # cascade 0: root 0, cycle 1→2→3→1 with equal times (tie → lower node), a chain 4→3 below it
    f = build_forest(np.zeros(5, int), np.array([0.0, 5.0, 5.0, 5.0, 6.0]), np.array([0]),
                     np.array([2, 3, 1, 4]), np.array([1, 2, 3, 3]), np.arange(4))
    assert f.parent.tolist() == [-1, 0, 1, 2, 3] and f.depth.tolist() == [0, 1, 2, 3, 4]
    assert f.repairs["cycles"].tolist() == [1] and f.order.tolist() == [0, 1, 2, 3, 4]
