"""Rumour risk flag: participants and rebuttal reach on hand-built cascades, risk/flag semantics, save/load,
and a model beating the majority class on held-out event groups of Twitter15 and CED (prefix sample)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import shared_data
from hudong.errors import HudongError
from hudong.graph.forecast import (
    SNOWFLAKE_EPOCH_MS,
    grouped_folds,
    read_ced,
    read_twitter1516,
    snowflake_time,
    with_info,
)
from hudong.graph.rumour import (
    CED_CLASSES,
    INSUFFICIENT,
    PUBLISHED,
    TWITTER_CLASSES,
    RumourFlagger,
    choose_parts,
    classes_of,
    evaluate_rumour,
    fit_temperature,
    participants,
    rumour_frame,
    rumour_vs_rebuttal,
    time_split,
    with_temperature,
)
from test_graph_forecast import hand_built


def test_participants_within_window():
    data = hand_built()
    assert participants(data, 30) == ["root:u0 u1 u2", "root:u5 u6", "root:u7 u9"]
    assert participants(data, None)[0] == "root:u0 u1 u2 u3 u4"


def test_rumour_vs_rebuttal_reach():
    data = hand_built(labels=("false", "true", "non-rumor"),
                      texts=("aliens landed in ottawa", "no, the aliens story is a hoax", "unrelated"),
                      groups=(7, 7, 8))  # fmt: skip
    r = rumour_vs_rebuttal(data)
    assert len(r) == 1
    row = r.iloc[0]
    assert (row["group"], row["rumour_cascades"], row["rumour_reach"], row["rebuttal_reach"]) == (7, 1, 5, 2)
    assert row["rebuttal_to_rumour"] == pytest.approx(0.4)
    # by labels: false vs true of the same event
    by_label = rumour_vs_rebuttal(hand_built(texts=("a", "b", "c"), groups=(1, 1, 1)), ("false",), ("true",))
    assert by_label[["rumour_cascades", "rumour_reach", "rebuttal_reach"]].iloc[0].tolist() == [2, 8, 2]
    # a rebuttal in another event does not pair
    assert rumour_vs_rebuttal(hand_built(texts=("a", "hoax!", "c"), groups=(1, 2, 3),
                                         labels=("false", "true", "true"))).empty  # fmt: skip


def _toy(n: int = 60) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(0)
    labels = ["rumor" if i % 2 else "non-rumor" for i in range(n)]
    text = [("shocking secret cure " if lab == "rumor" else "city council meeting ") + str(rng.integers(9))
            for lab in labels]  # fmt: skip
    x = pd.DataFrame({"text": text, "users": ["root:a b"] * n, "size": rng.integers(1, 50, n).astype(float)})
    return x, labels


def test_risk_flag_and_save_load(tmp_path):
    x, labels = _toy()
    model = RumourFlagger(lang="en", classes=CED_CLASSES).fit_frame(x, labels)
    s = model.score_frame(x, np.arange(len(x)))
    assert set(s.columns) >= {"predicted", "risk", "flag", "p_rumor", "p_non-rumor"}
    assert np.allclose(s["risk"], s["p_rumor"]) and (s["flag"] == (s["predicted"] == "rumor")).all()
    assert (s["predicted"] == s["cascade_id"].map(lambda i: labels[i])).mean() > 0.9
    again = RumourFlagger.load(model.save(tmp_path / "models" / "rumour.pkl"))
    pd.testing.assert_frame_equal(again.score_frame(x, np.arange(len(x))), s)


def test_bad_labels_and_parts_are_clear_errors():
    x, labels = _toy()
    with pytest.raises(HudongError, match="'maybe' is not one of"):
        RumourFlagger(classes=CED_CLASSES).fit_frame(x, ["maybe"] + labels[1:])
    with pytest.raises(HudongError, match="parts must be"):
        RumourFlagger(classes=CED_CLASSES, parts=("vibes",)).fit_frame(x, labels)
    with pytest.raises(HudongError, match="not trained"):
        RumourFlagger().predict_proba(x)


def test_published_table_is_the_reference():
    assert PUBLISHED.set_index("model").loc["BiGCN", "accuracy"] == 0.886
    assert list(PUBLISHED.columns[2:]) == ["f1_non-rumor", "f1_false", "f1_true", "f1_unverified"]


def _held_out_accuracy(data, parts):
    classes = classes_of(data)
    y = np.array([classes.index(v) for v in data.info["label"]])
    tr, te = grouped_folds(data.info["group"].to_numpy(), y, k=4)[0]
    assert not set(data.info["group"].iloc[tr]) & set(data.info["group"].iloc[te])
    x = rumour_frame(data)
    model = RumourFlagger(lang=str(data.info["lang"].iloc[0]), classes=classes, parts=parts)
    model.fit_frame(x.iloc[tr], [classes[i] for i in y[tr]])
    pred = model.predict_proba(x.iloc[te]).argmax(axis=1)
    return float((pred == y[te]).mean()), float(np.mean(y[te] == np.bincount(y[tr]).argmax()))


def test_twitter15_flag_beats_majority_on_held_out_events():
    data = read_twitter1516(shared_data("twitter15_16_propagation"), ["twitter15"])
    acc, majority = _held_out_accuracy(data, ("text", "structure"))
    assert acc > majority + 0.15, (acc, majority)


def test_ced_flag_beats_majority_on_held_out_events():
    data = read_ced(shared_data("weibo_ced_rumor_cascades"))  # the file is ordered by label: no prefix sample
    assert data.info["label"].value_counts().to_dict() == {"non-rumor": 1479, "rumor": 1230}
    data = data.subset(np.arange(0, len(data.info), 3))  # every third event keeps the test fast
    acc, majority = _held_out_accuracy(data, ("text", "structure"))
    assert acc > majority + 0.1, (acc, majority)


def test_cli_scores_workspace_cascades(tmp_path):
    import datetime as dt

    from click.testing import CliRunner

    from hudong.analyses.reads import labelled_cascades
    from hudong.cli import cli
    from hudong.graph.forecast import SizeForecaster
    from hudong.metrics import testing

    def t(m: float) -> dt.datetime:
        return dt.datetime(2026, 1, 1) + dt.timedelta(minutes=m)

    posts = [{"post_id": "r", "author_id": "A", "created_at": t(0), "text": "shocking secret cure 1"}]
    posts += [{"post_id": f"p{i}", "author_id": f"U{i}", "created_at": t(i), "parent_id": "r", "root_id": "r"}
              for i in range(1, 6)]  # fmt: skip
    posts += [{"post_id": "s", "author_id": "B", "created_at": t(0), "text": "city council meeting 2"},
              {"post_id": "s1", "author_id": "C", "created_at": t(90), "root_id": "s"}]  # fmt: skip
    ws = testing.workspace(tmp_path / "ws", posts=posts)
    try:
        wc = labelled_cascades(ws)
    finally:
        ws.close()
    assert sorted(wc.info["cascade_id"]) == ["weibo:r", "weibo:s"]
    assert (wc.info["posted"] == pd.Timestamp("2026-01-01")).all()  # the root posts' times
    x, labels = _toy()
    RumourFlagger(classes=CED_CLASSES).fit_frame(x, labels).save(tmp_path / "ws" / "models" / "rumour.pkl")
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "ws"), "rumour", "score"])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if "weibo:" in ln]
    assert "weibo:r" in lines[0] and "rumor" in lines[0]  # riskiest first
    # a forecaster trained on the hand-built corpus, scored on the store's cascades at 30 minutes
    SizeForecaster(minutes=30).fit(hand_built()).save(tmp_path / "ws" / "models" / "forecast-30.pkl")
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "ws"), "forecast", "score", "--minutes", "30"])
    assert res.exit_code == 0 and "weibo:r" in res.output, res.output
    res = CliRunner().invoke(cli, ["-w", str(tmp_path / "ws"), "forecast", "score", "--minutes", "45"])
    assert isinstance(res.exception, HudongError) and "run `hudong forecast train` first" in str(res.exception)


def test_snowflake_ids_give_the_source_times():
    when = pd.Timestamp("2014-03-01 12:34:56.789")
    ms = int((when - pd.Timestamp("1970-01-01")) / pd.Timedelta(milliseconds=1))
    snowflake = ((ms - SNOWFLAKE_EPOCH_MS) << 22) | (17 << 12) | 4095  # time, worker, sequence (the id layout)
    got = snowflake_time([str(snowflake), "20", "not-an-id"])
    assert got[0] == when and got[1:].isna().all()


def _timed(labels, days, groups):
    info = pd.DataFrame({"label": labels, "group": groups,
                         "posted": pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D")})  # fmt: skip
    return info, np.array([{"a": 0, "b": 1}[v] for v in labels])


def test_time_split_tests_the_latest_of_each_class_and_no_story_twice():
    info, y = _timed(["a"] * 5 + ["b"] * 5, [1, 2, 3, 4, 9, 0, 5, 6, 7, 8], [0, 1, 2, 3, 4, 5, 6, 7, 4, 9])
    train, test = time_split(info, y, test_share=0.2)
    assert list(test) == [4, 9]  # the latest "a" (day 9) and the latest "b" (day 8)
    assert 8 not in train  # an earlier "b" of the test story 4 is dropped, not trained on
    assert list(train) == [0, 1, 2, 3, 5, 6, 7]
    info.loc[3, "posted"] = pd.NaT
    with pytest.raises(HudongError, match="1 unknown"):
        time_split(info, y)


def test_low_confidence_is_insufficient_evidence_and_no_flag():
    x, labels = _toy()
    model = RumourFlagger(lang="en", classes=CED_CLASSES).fit_frame(x, labels)
    assert model.threshold == 0.6 and RumourFlagger(classes=TWITTER_CLASSES).threshold == 0.5
    unlike = pd.DataFrame({"text": ["zzz qqq"] * 3, "users": ["root:nobody"] * 3, "size": [25.0] * 3})
    s = model.score_frame(pd.concat([x.head(4), unlike], ignore_index=True), np.arange(7))
    assert (s["confidence"] == s[["p_rumor", "p_non-rumor"]].max(axis=1)).all()
    unsure = s[s["cascade_id"] >= 4]
    assert (unsure["predicted"] == INSUFFICIENT).all() and not unsure["flag"].any()
    assert (unsure["confidence"] < 0.6).all() and (s.loc[s["cascade_id"] < 4, "predicted"] != INSUFFICIENT).all()
    strict = RumourFlagger(lang="en", classes=CED_CLASSES, min_confidence=1.0).fit_frame(x, labels)
    assert (strict.score_frame(x, np.arange(len(x)))["predicted"] == INSUFFICIENT).all()


def test_twitter15_split_by_time_reports_the_drop_and_the_answers():
    data = read_twitter1516(shared_data("twitter15_16_propagation"), ["twitter15"])
    posted = data.info["posted"]
    assert posted.notna().all() and posted.min().year == 2011 and posted.max().year == 2016
    later = evaluate_rumour(data, {"users": ("users",)}, split="time", choose=True).set_index("model")
    assert later["split"].iloc[0].startswith("by time") and 250 < later["tested"].iloc[0] < 320
    users, majority = later.loc["hudong: users"], later.loc["majority class"]
    assert users["accuracy"] > majority["accuracy"] + 0.2, later
    assert 0 < users["answered"] < 1 and users["answered_accuracy"] > users["accuracy"]
    assert 0 <= users["ece"] < 0.3
    chosen = later.loc[[m for m in later.index if m.startswith("hudong: chosen by time")]].iloc[0]
    assert chosen["ece"] < users["ece"]  # the same groups, calibrated on the training data's later stories


def test_choose_parts_prefers_what_carries_over_to_later_stories():
    # the words of rumours and non-rumours swap in the later stories (a new vocabulary); who spreads them does not
    n = 100
    rng = np.random.default_rng(1)
    labels = ["rumor" if i % 2 else "non-rumor" for i in range(n)]
    late = np.arange(n) >= 70
    words = {("rumor", False): "shocking secret", ("non-rumor", False): "council meeting",
             ("rumor", True): "council meeting", ("non-rumor", True): "shocking secret"}  # fmt: skip
    x = pd.DataFrame({
        "text": [f"{words[lab, bool(lt)]} {rng.integers(5)}" for lab, lt in zip(labels, late, strict=True)],
        "users": ["root:a spreader" if lab == "rumor" else "root:b reader" for lab in labels],
        "size": rng.integers(1, 50, n).astype(float),
    })  # fmt: skip
    info = pd.DataFrame({"posted": pd.Timestamp("2015-01-01") + pd.to_timedelta(np.arange(n), unit="D"),
                         "group": np.arange(n)})  # fmt: skip
    y = np.array([CED_CLASSES.index(v) for v in labels])
    table = choose_parts(x, y, info, CED_CLASSES, "en")
    assert table.index[0] == "users" and table.loc["users", "accuracy"] == 1.0  # ties go to the simpler set
    assert table.loc["text", "accuracy"] < 0.2  # the words learned early mislead on the later stories
    assert table.loc["users", "temperature"] < 1  # always right on later stories: sharpen its probabilities


def test_temperature_recovers_how_overconfident_probabilities_are():
    rng = np.random.default_rng(2)
    q = rng.dirichlet([1.0, 1.0, 1.0], size=4000)  # calibrated: each class drawn with these probabilities
    y = np.array([rng.choice(3, p=row) for row in q])
    sharp = with_temperature(q, 1 / 3)  # ∝ q³: the same ranking, too sure of itself
    assert np.allclose(sharp.sum(axis=1), 1) and (sharp.argmax(axis=1) == q.argmax(axis=1)).all()
    assert with_temperature(q, 1.0) is q
    assert fit_temperature(sharp, y) == pytest.approx(3.0, rel=0.15)
    assert fit_temperature(q, y) == pytest.approx(1.0, rel=0.15)


def test_a_corpus_too_small_to_split_by_time_is_still_trained_and_says_so():
    x, labels = _toy(20)
    text = x["text"].tolist()
    data = hand_built(labels=("rumor", "non-rumor", "rumor"), texts=(text[1], text[0], text[3]))
    data = with_info(data, posted=pd.to_datetime(["2015-01-01", "2015-01-02", "2015-01-03"]))
    model = RumourFlagger(lang="en", classes=CED_CLASSES, parts=("structure",)).fit(data, choose=True)
    assert model.is_fitted() and model.temperature == 1.0 and model.parts == ("structure",)
    assert model.chosen.startswith("not chosen or calibrated: too few earlier stories")
