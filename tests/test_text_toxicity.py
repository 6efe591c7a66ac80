"""Toxicity models (shipped, offline; held-out accuracy), the text_signals toxicity columns, toxicity_rate and the
tone-aware ugc_quality_text against pandas recomputations."""

from __future__ import annotations

import csv
import datetime as dt
import sys

import numpy as np
import pytest

from conftest import REPO, shared_data
from hudong import metrics
from hudong.analyses.scoring import score_workspace
from hudong.errors import HudongError
from hudong.metrics import testing as T
from hudong.text import sentiment as S
from hudong.text import toxicity as X
from hudong.text.toxicity import predict
from test_text_emotion import WOM, hand_signals
from test_text_sentiment import _fixture, _hand_scores

D = dt.datetime


def test_models_ship_and_load_offline():
    for lang in ("zh", "en"):
        m = X.load_model(lang)
        assert m.classes == ("ok", "toxic") and m.threshold == 0.5
        assert m.meta["n_train"] > 15_000 and "train_sha" in m.meta
    assert "COLD" in X.load_model("zh").meta["train_data"] and "Davidson" in X.load_model("en").meta["train_data"]
    with pytest.raises(HudongError, match="no toxicity model"):
        X.load_model("ja")


def test_clear_cases():
    out = predict(["河南人都是骗子", "谢谢客服，问题解决了", "you are a stupid bitch", "Thanks for the quick reply",
                   "おはよう"])  # fmt: skip
    assert [o.toxic for o in out] == [True, False, True, False, None]
    assert out[0].probability > 0.5 > out[1].probability and out[4].probability is None
    assert out[0].model_version == "zh-toxicity-lr-2" and out[2].model_version == "en-toxicity-lr-2"


def test_zh_personal_insults_sanity_set():
    """Hand-written sanity set (not an evaluation): insults aimed at a person, which COLD's group-directed labels
    under-flag, are toxic through the lexicon; complaints and exclamations are left to the model."""
    insults = ["你就是个傻逼", "智障客服", "你这个废物", "人渣去死吧", "滚蛋吧你", "草泥马的客服", "NMSL"]
    assert all(o.toxic and o.probability >= X.INSULT_FLOOR for o in predict(insults, "zh"))
    model = X.load_model("zh")
    raw = model.proba(insults)[:, model._toxic]
    assert (raw < 0.5).sum() >= 5  # what the COLD-trained weights alone say about them
    calm = ["谢谢客服，问题解决了", "今天的茶很好喝", "物流有点慢，希望改进", "请问有线下门店吗?"]
    assert not any(o.toxic for o in predict(calm, "zh"))
    # the rule follows the model's meta: a model without ``insult_lexicon`` (the lr-1 weights) is the model alone
    bare = X.ToxicityModel.from_arrays(model.lang, sorted(model.index, key=model.index.__getitem__), model.weights,
                                       model.bias, model.classes,
                                       {k: v for k, v in model.meta.items() if k != "insult_lexicon"})
    assert bare.probability(insults) == pytest.approx([float(x) for x in raw])


def test_en_insults_sanity_set():
    """Hand-written sanity set (not an evaluation): profanity and insults at a person are toxic through the English
    lexicon, word-bounded (class, passive, Dickens are not); complaints about things are left to the model."""
    insults = ["you are a stupid loser", "shut up already", "what a bunch of cowards", "this guy is a f**king joke",
               "Go to hell", "ur support team is full of bitches"]  # fmt: skip
    assert all(o.toxic and o.probability >= X.INSULT_FLOOR for o in predict(insults, "en"))
    model = X.load_model("en")
    assert (model.proba(insults)[:, model._toxic] < 0.5).sum() >= 2  # what the Davidson weights alone say
    calm = ["this app sucks, the update broke login", "the class was passive and boring", "reading Dickens tonight",
            "Thanks for the quick reply", "damn, the delivery is late again"]  # fmt: skip
    assert not any(o.probability >= X.INSULT_FLOOR for o in predict(calm, "en"))


def test_en_lexicon_beats_the_bare_weights_on_offenseval_and_keeps_davidson():
    """TweetEval offensive val (OLID; never trained on) and the Davidson held-out fifth: the lexicon must raise
    macro-F1 on the first and not lower it on the second (measured 0.616 → 0.656 and 0.917 → 0.925)."""
    shared_data("tweeteval", "offensive", "val_text.txt")
    sys.path.insert(0, str(REPO / "scripts"))
    import train_text_models

    from hudong.stats.evaluation import classification_scores

    model = X.load_model("en")
    bare = X.ToxicityModel.from_arrays("en", sorted(model.index, key=model.index.__getitem__), model.weights,
                                       model.bias, model.classes,
                                       {k: v for k, v in model.meta.items() if k != "insult_lexicon"})  # fmt: skip
    off = train_text_models.tweeteval_task("offensive", "val", {"0": "ok", "1": "toxic"})
    held = train_text_models.davidson()[1]

    def f1(m, data):
        return classification_scores(data[1], m.predict(data[0]), ("ok", "toxic"))["macro_f1"]

    assert f1(model, off) > f1(bare, off) + 0.03
    assert f1(model, held) >= f1(bare, held)


def _acc_and_majority(gold, pred):
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    return acc, max(gold.count("ok"), gold.count("toxic")) / len(gold)


def test_zh_beats_majority_on_cold_dev():
    """COLD dev (the model trains on COLD train only; the snapshot has no test split)."""
    with open(shared_data("cold_chinese_offensive", "dev.csv"), encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))[:3000]
    gold = ["toxic" if r["label"] == "1" else "ok" for r in rows]
    acc, majority = _acc_and_majority(gold, X.load_model("zh").predict([r["TEXT"] for r in rows]))
    assert acc > majority + 0.2


def test_en_beats_majority_on_davidson_held_out():
    shared_data("davidson_hate_offensive_tweets", "labeled_data.csv")
    sys.path.insert(0, str(REPO / "scripts"))
    import train_text_models  # the same seeded split the model was trained with

    (train_x, _), (texts, gold) = train_text_models.davidson()
    assert not set(texts) & set(train_x[:2000])  # held out (spot check; retweets may repeat text)
    pred = X.load_model("en").predict(texts)
    acc, _ = _acc_and_majority(gold, pred)
    tp = sum(g == p == "toxic" for g, p in zip(gold, pred, strict=True))
    tn = sum(g == p == "ok" for g, p in zip(gold, pred, strict=True))
    balanced = (tp / gold.count("toxic") + tn / gold.count("ok")) / 2  # majority class scores 0.5
    assert acc >= 0.85 and balanced > 0.5 + 0.3


def test_score_workspace_writes_toxicity_with_versions(tmp_path):
    ws = _fixture(tmp_path)
    summary = score_workspace(ws)
    assert summary.signal_versions["toxicity"] == X.model_versions()
    rows = ws.con.execute(f"SELECT id, lang, toxicity, toxic, toxicity_model_version FROM {S.SIGNALS_TABLE}").fetchall()
    texts = dict(ws.con.execute("SELECT post_id, text FROM posts").fetchall())
    texts |= dict(ws.con.execute("SELECT interaction_id, text FROM interactions").fetchall())
    assert len(rows) == 12 and summary.toxic == sum(bool(r[3]) for r in rows)
    for id_, lang, prob, toxic, version in rows:
        want = predict([texts[id_]])[0]
        assert (lang, toxic, version) == (want.lang, want.toxic, want.model_version)
        assert prob == pytest.approx(want.probability) if want.probability is not None else prob is None
    ws.close()


def test_toxicity_rate_equals_pandas(tmp_path):
    ws = _fixture(tmp_path)
    toxic = {
        ("weibo", "interaction", "c1"): True,
        ("twitter", "post", "tw"): True,
        ("weibo", "interaction", "onrival"): True,
    }  # fmt: skip  (onrival is not word of mouth)
    df = hand_signals(ws, toxic)
    wom = df[np.array([(r.platform, r.kind, r.id) in WOM for r in df.itertuples()]) & df.toxic.notna()]
    (row,) = metrics.compute(ws, "toxicity_rate").to_pylist()
    assert row["value"] == pytest.approx(wom.toxic.mean()) and row["toxic"] == 2 and row["n"] == len(wom)
    by = metrics.compute(ws, "toxicity_rate", by=["platform"]).to_pandas().set_index("platform").value
    assert by.to_dict() == pytest.approx(wom.groupby("platform").toxic.mean().to_dict())
    ws.close()


def test_ugc_quality_text_drops_toxic_and_negative_ugc(tmp_path):
    ws = T.workspace(
        tmp_path / "ws",
        config="[metrics]\nugc_min_chars = 4\n",
        accounts=[dict(account_id="me", is_own=True, brand="B")],
        posts=[dict(post_id="own", author_id="me", account_id="me", created_at=D(2024, 1, 1), text="新品上市啦")]
        + [
            dict(post_id=f"u{i}", author_id=f"a{i}", created_at=D(2024, 1, 2), is_ugc=True, text=text)
            for i, text in enumerate(["这个新品真的很好喝", "河南人都是骗子吧", "太难喝了再也不买", "短", "Nice drink, love it"])
        ],
    )  # fmt: skip
    score_workspace(ws)
    # hand-set tone so that the test checks the rule, not the models: u1 toxic, u2 negative
    ws.con.execute(f"UPDATE {S.SIGNALS_TABLE} SET toxic = (id = 'u1')")
    ws.con.execute(f"UPDATE {S.TABLE} SET polarity = CASE WHEN id = 'u2' THEN 'negative' ELSE 'positive' END")
    posts = ws.con.execute("SELECT post_id, text, is_ugc FROM posts").df()
    tone = ws.con.execute(
        f"SELECT s.id AS post_id, s.polarity, x.toxic FROM {S.TABLE} s JOIN {S.SIGNALS_TABLE} x USING (kind, id) "
        "WHERE kind = 'post'"
    ).df()
    u = posts[posts.is_ugc].merge(tone, on="post_id", how="left")
    substantive = u.text.str.len() >= 4  # engagement: no interactions, own median 0 → every post resonates
    clean = substantive & ~u.toxic.fillna(False).astype(bool) & (u.polarity != "negative")
    (plain,) = metrics.compute(ws, "ugc_quality").to_pylist()
    (aware,) = metrics.compute(ws, "ugc_quality_text").to_pylist()
    assert plain["value"] == pytest.approx(substantive.mean()) == 0.8
    assert aware["value"] == pytest.approx(clean.mean()) == 0.4 and aware["quality_posts"] == 2
    ws.close()


def test_signals_metrics_need_scores_first(tmp_path):
    ws = _fixture(tmp_path)
    _hand_scores(ws)  # sentiment only: text_signals empty → no value, not zero
    (row,) = metrics.compute(ws, "toxicity_rate").to_pylist()
    assert row["value"] is None and row["n"] == 0
    assert metrics.compute(ws, "emotion_mix").num_rows == 0
    ws.close()


def test_version_1_workspace_gets_text_signals_on_open(tmp_path):
    from hudong.store import schema as SC
    from hudong.store.workspace import Workspace

    ws = Workspace.init(tmp_path / "ws")
    ws.con.execute(f"DROP TABLE {S.SIGNALS_TABLE}; UPDATE _meta SET value = '1' WHERE key = 'schema_version'")
    ws.close()
    ws = Workspace.open(tmp_path / "ws")
    assert ws.schema_version == SC.SCHEMA_VERSION >= 2
    cols = [r[0] for r in ws.con.execute(f"DESCRIBE {S.SIGNALS_TABLE}").fetchall()]
    assert cols == [c.name for c in SC.TABLES[S.SIGNALS_TABLE].all_columns]
    ws.close()
