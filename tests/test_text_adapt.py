"""Domain adaptation (`hudong text train`): before/after on held-out labels, versions, workspace use, reset."""

from __future__ import annotations

import random

import pytest
from click.testing import CliRunner

from conftest import shared_data
from hudong.analyses.context import models_dir
from hudong.errors import HudongError
from hudong.text import adapt
from hudong.text.sentiment import predict

# A synthetic domain: slang whose polarity product reviews never taught the shipped model.
POS = ["yyds", "绝绝子", "封神", "狠狠爱了", "冲冲冲", "神仙操作"]
NEG = ["踩雷", "翻车", "拉胯", "避雷", "血亏", "智商税"]
SUBJ = ["这次联名", "新出的皮肤", "主播的新品", "这家的直播", "今晚的返场", "品牌的活动"]


def synthetic(n: int, seed: int) -> tuple[list[str], list[str]]:
    r = random.Random(seed)
    texts, labels = [], []
    for _ in range(n):
        pos = r.random() < 0.5
        texts.append(f"{r.choice(SUBJ)}{r.choice(['真的', '属实', '简直', ''])}{r.choice(POS if pos else NEG)}")
        labels.append("positive" if pos else "negative")
    return texts, labels


def test_synthetic_domain_improves_and_workspace_uses_the_adapted_model(workspace):
    texts, labels = synthetic(400, 1)
    (res,) = adapt.train(models_dir(workspace), texts, labels, task="sentiment")
    assert res.lang == "zh" and res.n_heldout == 80 and res.n_train == 320
    assert res.after["accuracy"] >= 0.95 and res.after["accuracy"] > res.before["accuracy"] + 0.2
    assert res.version == f"{res.base_version}+ws1"
    probe, gold = synthetic(50, 99)
    shipped_acc = sum(p.polarity == g for p, g in zip(predict(probe), gold, strict=True)) / 50
    with adapt.workspace_models(models_dir(workspace)) as active:
        assert active == {"sentiment-zh": res.version}
        out = predict(probe)
        assert {p.model_version for p in out} == {res.version}
        assert sum(p.polarity == g for p, g in zip(out, gold, strict=True)) / 50 > shipped_acc
        # a process pool scores with the adapted model too (the parent's models are copied to each worker)
        from hudong.analyses.scoring import score_workspace
        from hudong.text.sentiment import TABLE

        workspace.con.execute(
            "INSERT INTO posts (platform, post_id, created_at, text, source_file, importer, batch_id) "
            "SELECT 'weibo', 'p' || i, TIMESTAMP '2026-01-01', ?, 't.csv', 'test', 'b1' FROM range(3) t(i)",
            [probe[0]],
        )
        score_workspace(workspace, workers=2)
        versions = workspace.con.execute(f"SELECT DISTINCT model_version FROM {TABLE} WHERE lang = 'zh'").fetchall()
        assert versions == [(res.version,)]
    assert {p.model_version for p in predict(probe)} == {res.base_version}  # outside the block: shipped again
    (again,) = adapt.train(models_dir(workspace), texts, labels)
    assert again.version == f"{res.base_version}+ws2"
    assert adapt.reset(models_dir(workspace), "sentiment") == ["sentiment-zh"]
    with adapt.workspace_models(models_dir(workspace)) as active:
        assert active == {}
        assert {p.model_version for p in predict(probe)} == {res.base_version}


def test_real_domain_shift_weibo_comments(workspace):
    d = shared_data("weibo_osm_comments_sentiment")
    texts = [t.replace(" ", "") for t in (d / "train_review.txt").read_text(encoding="utf-8").splitlines()]
    raw = (d / "train_label.txt").read_text().splitlines()
    idx = random.Random(0).sample(range(len(texts)), 1500)
    xs = [texts[i] for i in idx]
    ys = ["positive" if raw[i].strip() == "0" else "negative" for i in idx]
    (res,) = adapt.train(models_dir(workspace), xs, ys, task="sentiment", lang="zh")
    assert res.after["macro_f1"] > res.before["macro_f1"] + 0.05, (res.before, res.after)


def test_cli_train_and_reset_and_bad_input(workspace, tmp_path):
    from hudong.cli import cli

    texts, labels = synthetic(120, 3)
    csv = tmp_path / "labels.csv"
    csv.write_text(
        "text,label\n" + "\n".join(f"{t},{lb}" for t, lb in zip(texts, labels, strict=True)) + "\n", encoding="utf-8"
    )
    ws_dir = str(workspace.path)
    workspace.close()
    run = CliRunner().invoke
    r = run(cli, ["--workspace", ws_dir, "text", "train", "--labels", str(csv)])
    assert r.exit_code == 0, r.output
    assert "before" in r.output and "after" in r.output and "+ws1" in r.output
    r = run(cli, ["--workspace", ws_dir, "text", "train", "--reset"])
    assert r.exit_code == 0 and "sentiment-zh" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n好评,positive\n,negative\n", encoding="utf-8")
    with pytest.raises(HudongError, match="row 3: empty text"):
        adapt.read_labels(bad)
    nolabel = tmp_path / "nolabel.csv"
    nolabel.write_text("text\nhi\n", encoding="utf-8")
    with pytest.raises(HudongError, match="missing column"):
        adapt.read_labels(nolabel)


def test_toxicity_adapts_and_unknown_labels_are_refused(workspace):
    r = random.Random(5)
    texts = [
        f"{r.choice(SUBJ)}{r.choice(['真是', '就是'])}{r.choice(['一坨垃圾', '脑残玩意']) if i % 2 else '挺有意思'}"
        for i in range(200)
    ]
    labels = ["toxic" if i % 2 else "ok" for i in range(200)]
    (res,) = adapt.train(models_dir(workspace), texts, labels, task="toxicity")
    assert res.after["accuracy"] >= 0.95 and res.version.endswith("+ws1")
    with pytest.raises(HudongError, match="toxicity labels must be among"):
        adapt.train(models_dir(workspace), texts, ["bad"] * 200, task="toxicity")


def test_emotion_label_sets_follow_each_languages_model(workspace):
    from hudong.text.emotion import EMOTIONS, EmotionModel
    from hudong.text.emotion import predict as emotion_predict

    assert adapt.label_set("emotion") == EMOTIONS
    assert adapt.label_set("emotion", "zh") == EMOTIONS  # the Weibo scheme: all six
    # en: TweetEval's classes + neutral + the fear/surprise cue list
    assert adapt.label_set("emotion", "en") == EMOTIONS
    assert adapt.label_set("sentiment", "en") == adapt.label_set("sentiment")
    en = [f"{w} about the new {x}" for w in ("so scared", "really shocked") for x in ("phone", "app")] * 10
    with pytest.raises(HudongError, match=r"emotion labels must be among neutral, happy, angry, sad, fear, "
                                          r"surprise; got disgust"):  # fmt: skip
        adapt.train(models_dir(workspace), en, ["fear", "disgust"] * 20, task="emotion")
    assert adapt.manifest(models_dir(workspace)) == {}
    # A model that learnt `neutral` takes its most probable class; without it, the shipped threshold applies.
    m = EmotionModel("en", min_df=1, meta={"version": "t", "neutral_below": 0.99}).fit(
        ["so glad", "so mad", "the bus", "a chair"] * 3, ["happy", "angry", "neutral", "neutral"] * 3
    )
    assert m.neutral_below == 0.0 and m.predict(["so glad"]) == ["happy"]
    m = EmotionModel("en", min_df=1, meta={"version": "t", "neutral_below": 0.99}).fit(
        ["so glad", "so mad"] * 3, ["happy", "angry"] * 3
    )
    assert m.neutral_below == 0.99 and m.predict(["the bus"]) == ["neutral"]  # no cue: P = 0.5 < 0.99
    # English fear/surprise labels from the inbox train an English model that learns them
    (res,) = adapt.train(models_dir(workspace), en, ["fear", "surprise"] * 20, task="emotion")
    assert res.lang == "en" and res.version == "en-emotion-lex-lr-2+ws1"
    with adapt.workspace_models(models_dir(workspace)):
        assert [e.label for e in emotion_predict(["so scared about the new phone", "really shocked about the new app"],
                                                 "en")] == ["fear", "surprise"]  # fmt: skip


def test_workspace_models_are_scoped_to_their_thread(workspace):
    """The web app scores uploads inside ``workspace_models`` in a background thread while inbox requests
    predict in others: those see the shipped models (no process-wide swap), the scoring thread the adapted ones,
    and nothing is left behind after the block."""
    import threading

    from hudong.text import classifier

    texts, labels = synthetic(300, 5)
    (res,) = adapt.train(models_dir(workspace), texts, labels, task="sentiment")
    seen: list[str] = []

    def other_request() -> None:
        seen.append(adapt.shipped_model("sentiment", "zh").version)
        seen.append(predict(["这次联名拉胯"])[0].model_version)

    with adapt.workspace_models(models_dir(workspace)):
        t = threading.Thread(target=other_request)
        t.start()
        t.join()
        assert seen == [res.base_version, res.base_version]
        assert predict(["这次联名拉胯"])[0].model_version == res.version  # this thread scores with the adapted one
        assert classifier.models_in_use()[("sentiment", "zh")].version == res.version
        assert all(m.version != res.version for m in classifier._SHIPPED.values())  # the shipped cache is untouched
    assert predict(["这次联名拉胯"])[0].model_version == res.base_version
    assert classifier.models_in_use() == {}
