"""Early size forecast: features of the first N minutes on hand-built cascades (exact values), event grouping,
leakage-free grouped folds, a trained forecaster beating the majority class on held-out Twitter15 events, save/load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import shared_data
from hudong.errors import HudongError
from hudong.graph.forecast import (
    ROOT_USER_COLUMNS,
    LabelledCascades,
    SizeForecaster,
    SizeSoFarBaseline,
    classification_scores,
    early_features,
    event_groups,
    final_sizes,
    grouped_folds,
    read_twitter1516,
    size_class,
    size_class_edges,
    truncate,
)
from hudong.graph.forest import forest_from_parents

# A: 0 ← 1 (5 min), 0 ← 2 (20), 1 ← 3 (40), 3 ← 4 (100);  B: 5 ← 6 (10);  C: 7 ← 8 (100), 8 ← 9 (10, before its parent)
PARENT = [-1, 0, 0, 1, 3, -1, 5, -1, 7, 8]
TIME = [0, 5, 20, 40, 100, 0, 10, 0, 100, 10]


def hand_built(labels=("false", "true", "false"), texts=("a", "b", "c"), groups=(0, 1, 2)) -> LabelledCascades:
    forest = forest_from_parents(np.array(PARENT), np.array(TIME, dtype=float))
    info = pd.DataFrame({"dataset": "hand", "cascade_id": ["A", "B", "C"], "label": list(labels), "text": list(texts),
                         "lang": "en", "group": list(groups)})  # fmt: skip
    for c in ROOT_USER_COLUMNS:
        info[c] = np.nan
    info["root_followers"] = [100.0, np.nan, 5.0]
    return LabelledCascades(forest, np.array([f"u{i}" for i in range(len(PARENT))], dtype=object), info)


def test_early_features_exact_at_30_minutes():
    f = early_features(hand_built(), 30)
    a, b, c = f.iloc[0], f.iloc[1], f.iloc[2]
    assert (a["size"], a["depth"], a["max_breadth"], a["root_children"]) == (3, 1, 2, 2)
    assert a["structural_virality"] == pytest.approx(4 / 3)  # star of 3: W = 4, v = 2W/(n(n−1))
    assert a["last_join"] == 20 and a["half_life"] == 5
    assert a["late_share"] == pytest.approx(0.5)  # of users 1 (5 min) and 2 (20 min), only 2 joined after 15 min
    assert np.isnan(a["t_users_10"]) and a["root_followers"] == 100
    assert (b["size"], b["depth"], b["late_share"]) == (2, 1, 0.0)
    # user 9 joined at 10 min, below user 8 who joined at 100: it hangs from the root
    assert (c["size"], c["depth"], c["root_children"]) == (2, 1, 1)


def test_early_features_whole_cascade_and_window_growth():
    data = hand_built()
    full = early_features(data, None).iloc[0]
    assert (full["size"], full["depth"], full["last_join"]) == (5, 3, 100)
    assert full["late_share"] == pytest.approx(1 / 4)  # only user 4 joined after half the duration (50 min)
    at50 = early_features(data, 50).iloc[0]
    assert (at50["size"], at50["depth"], at50["late_share"]) == (4, 2, pytest.approx(1 / 3))
    assert list(final_sizes(data)) == [5, 2, 3]


def test_truncate_keeps_roots_and_reparents():
    t = truncate(hand_built().forest, 0)
    assert list(np.bincount(t.cascade[t.kept])) == [1, 1, 1]
    t = truncate(hand_built().forest, 30)
    assert t.parent[t.roots].tolist() == [-1, -1, -1] and int(t.kept.sum()) == 7


def test_subset_renumbers_cascades():
    sub = hand_built().subset(np.array([2, 0]))
    assert list(final_sizes(sub)) == [3, 5] and list(sub.info["cascade_id"]) == ["C", "A"]
    assert sorted(sub.node_user[sub.forest.roots]) == ["u0", "u7"]


def test_size_classes_and_size_so_far_baseline():
    edges = size_class_edges(np.arange(1, 10), (1 / 3, 2 / 3))
    assert edges.tolist() == pytest.approx([11 / 3, 19 / 3])
    assert size_class(np.array([1, 3, 4, 6, 7, 9]), edges).tolist() == [0, 0, 1, 1, 2, 2]
    base = SizeSoFarBaseline().fit(np.array([1, 2, 3, 10, 20, 30]), np.array([0, 0, 1, 1, 2, 2]))
    assert base.predict(np.array([1, 12, 100])).tolist() == [0, 1, 2]


def test_scores_one_vs_rest():
    s = classification_scores(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), ("a", "b", "c"))
    assert s["accuracy"] == 0.75 and s["f1_a"] == pytest.approx(2 / 3) and s["f1_b"] == pytest.approx(2 / 3)
    assert s["f1_c"] == 1.0 and s["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def test_event_groups_link_near_duplicates_only():
    en = ["Soldier shot at the war memorial in Ottawa URL", "soldier shot at national war memorial in ottawa URL URL",
          "Kim Jong Un missing for 40 days", "", "URL"]  # fmt: skip
    g = event_groups(en, "en")
    assert g[0] == g[1] and len({g[0], g[2], g[3], g[4]}) == 4
    zh = ["宁波妇儿医院一妇女携婴儿跳楼", "宁波妇儿医院妇女携婴儿跳楼身亡", "武大牌坊被拆"]
    z = event_groups(zh, "zh")
    assert z[0] == z[1] != z[2]


def test_grouped_folds_never_share_a_group():
    groups = np.repeat(np.arange(30), 3)
    y = np.tile([0, 1, 2], 30)
    folds = grouped_folds(groups, y, k=5)
    assert len(folds) == 5
    for tr, te in folds:
        assert not set(groups[tr]) & set(groups[te])
    assert sorted(np.concatenate([te for _, te in folds]).tolist()) == list(range(90))


@pytest.fixture(scope="module")
def twitter15() -> LabelledCascades:
    return read_twitter1516(shared_data("twitter15_16_propagation"), ["twitter15"])


def test_read_twitter15(twitter15):
    info = twitter15.info
    assert len(info) == 1490 and info["label"].value_counts().to_dict() == {
        "unverified": 374, "non-rumor": 374, "true": 372, "false": 370}  # fmt: skip
    assert 800 < info["group"].nunique() < 1490  # near-duplicate tweets of one event share a group
    for tr, te in grouped_folds(info["group"].to_numpy(), info["label"].to_numpy(), k=5):
        assert not set(info["group"].iloc[tr]) & set(info["group"].iloc[te])


def test_missing_label_file_is_a_clear_error(tmp_path):
    (tmp_path / "twitter16_source_tweets.tsv").write_text("1\thello\n")
    with pytest.raises(HudongError, match="twitter16_label.txt"):
        read_twitter1516(tmp_path, ["twitter16"])


def test_forecaster_beats_majority_on_held_out_events(twitter15, tmp_path):
    sizes = final_sizes(twitter15)
    groups = twitter15.info["group"].to_numpy()
    tr, te = grouped_folds(groups, size_class(sizes, size_class_edges(sizes)), k=4)[0]
    model = SizeForecaster(minutes=60).fit(twitter15.subset(tr))
    held = twitter15.subset(te)
    y = size_class(final_sizes(held), model.edges)
    pred = model.predict(held)
    acc = float((pred["predicted"].map(dict(zip(model.classes, range(3), strict=True))).to_numpy() == y).mean())
    majority = float(np.mean(y == np.bincount(size_class(sizes[tr], model.edges)).argmax()))
    assert acc > majority + 0.2, (acc, majority)
    # save/load round trip: the same predictions
    again = SizeForecaster.load(model.save(tmp_path / "models" / "forecast.pkl"))
    pd.testing.assert_frame_equal(again.predict(held), pred)
    with pytest.raises(HudongError, match="holds a RumourFlagger, not a SizeForecaster"):
        SizeForecaster.load(_trained_flagger().save(tmp_path / "other.pkl"))


def _trained_flagger():
    from hudong.graph.rumour import RumourFlagger

    x = pd.DataFrame({"text": ["fake news here", "real report", "fake claim", "real fact"] * 5,
                      "users": ["a b", "c", "a", "c d"] * 5, "size": [1.0, 2.0, 3.0, 4.0] * 5})  # fmt: skip
    return RumourFlagger(classes=("rumor", "non-rumor")).fit_frame(x, ["rumor", "non-rumor"] * 10)

