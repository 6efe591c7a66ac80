"""Emotion models (shipped, offline; held-out accuracy), the model class's fit/save/load, the text_signals table
written in the sentiment pass, and the emotion_mix / share_of_positive_voice metrics against pandas."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import shared_data
from hudong import metrics
from hudong.analyses import scoring
from hudong.errors import HudongError
from hudong.text import emotion as E
from hudong.text import sentiment as S
from hudong.text.classifier import TextClassifier
from hudong.text.emotion import EMOTIONS, predict
from test_text_sentiment import HAND, _fixture, _hand_scores

# Word-of-mouth texts of the shared fixture (see HAND in test_text_sentiment): the others are excluded.
WOM = {("weibo", "post", "ugc"), ("weibo", "post", "ugc2"), ("twitter", "post", "tw"),
       ("weibo", "interaction", "c1"), ("weibo", "interaction", "c2"), ("weibo", "interaction", "m1"),
       ("weibo", "interaction", "jp")}  # fmt: skip


def test_models_ship_and_load_offline():
    for lang in ("zh", "en"):
        m = E.load_model(lang)
        assert m.version.startswith(lang) and m.meta["train_data"]
        assert set(m.classes) <= set(EMOTIONS) and len(m.classes) >= 3
    assert E.load_model("zh").classes == EMOTIONS
    assert E.model_versions() == {"zh": "zh-emotion-lex-2", "en": "en-emotion-lex-lr-2"}
    assert E.load_model("en").outputs == EMOTIONS  # trained classes + neutral + the fear/surprise cues
    with pytest.raises(HudongError, match="no emotion model"):
        E.load_model("fr")


def test_clear_cases():
    out = predict(["气死我了，客服一直不回消息", "今天好开心[哈哈]", "好害怕，疫情什么时候才结束", "明天下午三点开会",
                   "I am so happy and excited today!", "This makes me furious, worst company ever",
                   "東京のラーメン"])  # fmt: skip
    assert [o.label for o in out] == ["angry", "happy", "fear", "neutral", "happy", "angry", None]
    assert all(0 < o.score <= 1 for o in out[:6]) and out[6].model_version is None
    assert out[0].model_version == "zh-emotion-lex-2" and out[4].model_version == "en-emotion-lex-lr-2"
    assert predict(["不开心"])[0].label == "sad"  # the negated cue outweighs 开心


def test_en_fear_and_surprise_cues_sanity_set():
    """Hand-written sanity set (not an evaluation: no shared English set labels fear or surprise)."""
    cases = {
        "I'm so scared of the storm tonight": "fear",
        "Honestly terrified my account got hacked": "fear",
        "Getting really anxious about the delivery": "fear",
        "Wow, I can't believe they shipped it already!": "surprise",
        "omg the price just dropped": "surprise",
        "Didn't expect that ending at all": "surprise",
        "I'm not worried at all": "happy",  # negated cue: the model decides
        "never scared of a challenge, love it": "happy",
        "I love this so much": "happy",  # no cue
        "The store opens at 9": "neutral",
    }
    out = predict(list(cases), "en")
    assert {t: o.label for t, o in zip(cases, out, strict=True)} == cases
    assert {o.score for o, lb in zip(out, cases.values(), strict=True) if lb in ("fear", "surprise")} == {E.CUE_SCORE}
    # fear before surprise; a model without the cue_lexicon meta (lr-1's weights) never says either
    assert predict(["wow, I'm scared"], "en")[0].label == "fear"
    m = E.load_model("en")
    bare = E.EmotionModel.from_arrays("en", sorted(m.index, key=m.index.__getitem__), m.weights, m.bias, m.classes,
                                      {k: v for k, v in m.meta.items() if k != "cue_lexicon"}, m.lexicon)  # fmt: skip
    assert not {"fear", "surprise"} & set(bare.predict(list(cases))) and bare.outputs == ("neutral", "happy", "angry",
                                                                                          "sad")


def _macro_f1(gold, pred, classes):
    f1 = []
    for c in classes:
        tp = sum(g == p == c for g, p in zip(gold, pred, strict=True))
        prec, rec = tp / max(pred.count(c), 1), tp / max(gold.count(c), 1)
        f1.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(f1) / len(f1)


def _assert_beats_majority(gold, pred, classes, margin):
    majority = max(set(gold), key=gold.count)
    maj_f1 = _macro_f1(gold, [majority] * len(gold), classes)
    assert _macro_f1(gold, pred, classes) > maj_f1 + margin


def test_zh_beats_majority_on_smp2020_eval():
    """SMP2020-EWECT usual eval split (never trained on — the zh model has no training data at all)."""
    rows = []
    with gzip.open(shared_data("smp2020_ewect_weibo_emotion", "smp2020_ewect.jsonl.gz"), "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["domain"] == "usual" and r["split"] == "eval":
                rows.append(r)
    rows = rows[:2000]
    gold = [r["label"] for r in rows]
    pred = E.load_model("zh").predict([r["content"] for r in rows])
    _assert_beats_majority(gold, pred, EMOTIONS, margin=0.1)


def test_en_beats_majority_on_tweeteval_val():
    """TweetEval emotion val: the en model trains on the train split only."""
    d = shared_data("tweeteval", "emotion")
    texts = (d / "val_text.txt").read_text(encoding="utf-8").splitlines()
    mapping = {"0": "angry", "1": "happy", "2": "happy", "3": "sad"}
    gold = [mapping[x.strip()] for x in (d / "val_labels.txt").read_text().splitlines()]
    pred = E.load_model("en").predict(texts)
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    assert acc > gold.count(max(set(gold), key=gold.count)) / len(gold) + 0.1
    _assert_beats_majority(gold, pred, ("angry", "happy", "sad"), margin=0.2)


def test_fit_save_load_round_trip(tmp_path):
    texts = ["好开心", "太高兴了", "开心的一天", "气死了", "太气人了", "真生气"] * 3
    labels = ["happy"] * 3 + ["angry"] * 3
    m = E.EmotionModel("zh", min_df=1, l2=1e-3, meta={"version": "zh-test-1"}).fit(texts, labels * 3)
    assert m.classes == ("angry", "happy") and m.meta["n_train"] == 18 and m.version == "zh-test-1"
    assert m.predict(["开心", "生气"]) == ["happy", "angry"]
    m.save(tmp_path / "m.npz")
    again = E.EmotionModel.load(tmp_path / "m.npz", "zh")
    assert again.classes == m.classes and again.index == m.index
    np.testing.assert_allclose(again.proba(texts), m.proba(texts), atol=2e-3)  # weights stored as float16
    with pytest.raises(HudongError, match="not among the classes"):
        TextClassifier("zh", classes=("y",)).fit(["a"], ["x"])
    with pytest.raises(ValueError, match="not in"):
        E.EmotionModel.from_arrays("zh", [], np.zeros((0, 1)), np.zeros(1), ("joyful",), {"version": "x"})


def test_score_workspace_writes_signals_with_versions(tmp_path):
    ws = _fixture(tmp_path)
    summary = scoring.score_workspace(ws)
    assert summary.rows == 12 and sum(summary.by_emotion.values()) == 12
    assert summary.signal_versions["emotion"] == E.model_versions()
    rows = ws.con.execute(
        f"SELECT kind, id, lang, emotion, emotion_score, emotion_model_version FROM {S.SIGNALS_TABLE}"
    ).fetchall()
    assert len(rows) == 12
    texts = dict(ws.con.execute("SELECT post_id, text FROM posts").fetchall())
    texts |= dict(ws.con.execute("SELECT interaction_id, text FROM interactions").fetchall())
    for _kind, id_, lang, label, score, version in rows:
        want = predict([texts[id_]])[0]
        assert (lang, label, version) == (want.lang, want.label, want.model_version)
        assert score == pytest.approx(want.score) if want.score is not None else score is None
    scoring.score_workspace(ws)  # rerun replaces
    assert ws.con.execute(f"SELECT count(*) FROM {S.SIGNALS_TABLE}").fetchone()[0] == 12
    ws.close()


HAND_EMOTION = {k: e for k, e in zip(HAND, ["happy", "angry", "happy", "neutral", "sad", "angry", "happy", "happy",
                                             "happy", "angry", "surprise", None], strict=True)}  # fmt: skip


def hand_signals(ws, toxic: dict | None = None) -> pd.DataFrame:
    """Write hand-set emotions (and toxicity flags) to text_signals; return them as a DataFrame."""
    toxic = toxic or {}
    df = pd.DataFrame(
        [
            {"platform": k[0], "kind": k[1], "id": k[2], "lang": "zh", "emotion": e, "emotion_score": 0.5,
             "emotion_model_version": "hand", "toxicity": 0.9 if toxic.get(k) else 0.1,
             "toxic": None if e is None else bool(toxic.get(k)), "toxicity_model_version": "hand"}
            for k, e in HAND_EMOTION.items()
        ]
    )  # fmt: skip
    ws.con.register("hand_sig", pa.Table.from_pandas(df, preserve_index=False))
    ws.con.execute(f"DELETE FROM {S.SIGNALS_TABLE}; INSERT INTO {S.SIGNALS_TABLE} BY NAME SELECT * FROM hand_sig")
    ws.con.unregister("hand_sig")
    return df


def test_emotion_mix_equals_pandas(tmp_path):
    ws = _fixture(tmp_path)
    df = hand_signals(ws)
    wom = df[np.array([(r.platform, r.kind, r.id) in WOM for r in df.itertuples()]) & df.emotion.notna()]
    want = wom.emotion.value_counts(normalize=True).to_dict()
    got = {r["emotion"]: r["value"] for r in metrics.compute(ws, "emotion_mix").to_pylist()}
    assert got == pytest.approx(want) and sum(got.values()) == pytest.approx(1.0)
    by = metrics.compute(ws, "emotion_mix", by=["platform"]).to_pandas()
    want_by = wom.groupby("platform").emotion.value_counts(normalize=True)
    assert {(r.platform, r.emotion): r.value for r in by.itertuples()} == pytest.approx(want_by.to_dict())
    ws.close()


def test_share_of_positive_voice_equals_pandas(tmp_path):
    ws = _fixture(tmp_path)
    _hand_scores(ws)
    pol = pd.Series({k: v for k, v in HAND.items() if k in WOM and v is not None})
    want = (pol == "positive").sum() / pol.isin(["positive", "negative"]).sum()
    (row,) = metrics.compute(ws, "share_of_positive_voice").to_pylist()
    assert row["value"] == pytest.approx(want) and row["positive"] == 3 and row["negative"] == 2
    ws.close()


def test_emotion_mix_chart_renders_in_the_report(tmp_path):
    from hudong.decide.evidence import MetricCache
    from hudong.report import charts
    from hudong.report.content import build_charts
    from hudong.report.writer import _template_text

    ws = _fixture(tmp_path)
    hand_signals(ws)
    df = metrics.compute(ws, "emotion_mix", by=["platform"]).to_pandas()
    svg = charts.to_svg(charts.emotion_mix(df, "zh"))
    assert svg.startswith("<svg") and "喜悦" in svg and "口碑情绪构成" in svg
    chart = build_charts(MetricCache(ws), "en", 240)["emotion_mix"]  # what the report draws
    assert chart.svg.startswith("<svg") and "Emotion mix of word of mouth" in chart.svg
    template = _template_text("report.html.j2")
    section = template[template.index('id="word-of-mouth"') :]
    assert "chart('emotion_mix')" in section[: section.index("</section>")]
    ws.close()
