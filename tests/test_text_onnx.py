"""The optional ONNX tier (issue #18.6): a transformer-style model the tests build themselves — a real ONNX graph
(embedding lookup, masked sum, bias) run by onnxruntime, a real `tokenizers` tokenizer — used through the same
interface as the shipped models, by a workspace, and in a scoring process pool."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import posts_csv

onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed (pip install 'hudong[onnx]' onnx)")
pytest.importorskip("onnxruntime")
pytest.importorskip("tokenizers")

from hudong.errors import HudongError  # noqa: E402
from hudong.text import adapt, onnx_model  # noqa: E402
from hudong.text.onnx_testing import bag_model  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "好", "棒", "赞", "差", "烂", "坑", "good", "great", "bad", "awful", "toxic"]
# one row per token, one column per label: the model is a bag of tokens (sum over the unmasked positions) + bias
LEX = {"好": 2.0, "棒": 2.5, "赞": 1.5, "差": -2.0, "烂": -2.5, "坑": -1.5, "good": 2.0, "great": 2.5, "bad": -2.0,
       "awful": -3.0}  # fmt: skip


def build(directory, weights: np.ndarray, bias: np.ndarray, id2label: dict[int, str], **config) -> str:
    return str(bag_model(directory, VOCAB, weights, bias, id2label, **config))


def polarity_weights(k: int = 2) -> np.ndarray:
    """Column 0 negative, column k-1 positive (a middle column, if any, stays 0)."""
    w = np.zeros((len(VOCAB), k))
    for word, v in LEX.items():
        w[VOCAB.index(word), k - 1 if v > 0 else 0] = abs(v)
    return w


def reference_logits(texts: list[str], w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The same model computed by hand: a token is a run of ASCII letters or any other non-space character
    (BERT's pre-tokenizer on these texts); [CLS] and [SEP] around; unknown tokens are [UNK]."""
    import re

    out = []
    for t in texts:
        toks = re.findall(r"[a-z]+|\S", t.lower())
        ids = [2] + [VOCAB.index(x) if x in VOCAB else 1 for x in toks] + [3]
        out.append(w[ids].sum(axis=0) + b)
    return np.array(out)


def sentiment(d, lang="zh", labels=None):
    return adapt.load_onnx(d, "sentiment", lang, labels)


def test_an_onnx_sentiment_model_scores_like_the_shipped_ones(tmp_path):
    w, b = polarity_weights(), np.array([0.1, -0.1])
    d = build(tmp_path / "m", w, b, {0: "NEGATIVE", 1: "POSITIVE"})
    m = sentiment(d)
    assert type(m).__name__ == "OnnxSentimentModel" and m.classes == ("negative", "positive")
    assert m.version.startswith("onnx-m-") and len(m.version) == len("onnx-m-") + 8
    texts = ["服务很好，太棒了", "真是太差了，坑人", "今天下雨", ""] + [f"好{'差' * i}" for i in range(40)]
    p = m.proba(texts)
    z = reference_logits(texts, w, b)
    expected = np.exp(z - z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(p, expected, atol=1e-5)  # batching, length sorting and padding change nothing
    score, pol = m.scores(texts[:3])
    assert pol[:2] == ["positive", "negative"] and score[0] > 0.9 > -0.9 > score[1]
    # an English model, and a workspace-style mapping of unnamed labels
    e = build(tmp_path / "e", w, b, {0: "LABEL_0", 1: "LABEL_1"})
    with pytest.raises(HudongError, match=r"LABEL_0 → label_0.*--label"):
        sentiment(e, "en")
    me = sentiment(e, "en", {"LABEL_0": "negative", "LABEL_1": "positive"})
    assert me.predict(["GOOD and great", "awful, bad"]) == ["positive", "negative"]


def test_labels_that_share_a_class_add_up_and_sigmoid_models_get_their_complement(tmp_path):
    # five "stars": 1-2 negative, 3 neutral, 4-5 positive — probabilities of a class's labels add
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(len(VOCAB), 5)), rng.normal(size=5)
    d = build(tmp_path / "stars", w, b, {i: f"{i + 1} stars" for i in range(5)})
    stars = {"1 stars": "negative", "2 stars": "negative", "3 stars": "neutral", "4 stars": "positive",
             "5 stars": "positive"}  # fmt: skip
    m = sentiment(d, "en", stars)
    texts = ["good", "bad awful", "great good good", "nothing here"]
    z = reference_logits(texts, w, b)
    s = np.exp(z - z.max(axis=1, keepdims=True))
    s /= s.sum(axis=1, keepdims=True)
    assert m.classes == ("negative", "neutral", "positive")
    assert np.allclose(m.proba(texts), np.column_stack([s[:, :2].sum(1), s[:, 2], s[:, 3:].sum(1)]), atol=1e-5)
    # a multi-label toxicity model with one sigmoid output "toxic": ok = 1 − P(toxic)
    wt = np.zeros((len(VOCAB), 1))
    wt[VOCAB.index("toxic")], wt[VOCAB.index("坑")] = 4.0, 3.0
    t = adapt.load_onnx(build(tmp_path / "tox", wt, np.array([-2.0]), {0: "toxic"},
                              problem_type="multi_label_classification"), "toxicity", "en")  # fmt: skip
    assert t.classes == ("ok", "toxic")
    p = t.probability(["so toxic", "fine"])
    assert p == pytest.approx([1 / (1 + np.exp(-(4.0 - 2.0))), 1 / (1 + np.exp(2.0))], abs=1e-6)
    assert t.predict(["so toxic", "fine"]) == ["toxic", "ok"]


def test_bad_model_directories_get_clear_errors(tmp_path):
    w = polarity_weights()
    d = tmp_path / "m"
    build(d, w, np.zeros(2), {0: "negative", 1: "positive"})
    (d / "tokenizer.json").unlink()
    with pytest.raises(HudongError, match="has no tokenizer.json"):
        sentiment(d)
    d2 = tmp_path / "m2"
    build(d2, w, np.zeros(2), {0: "negative", 1: "positive"})
    (d2 / "config.json").write_text("{}")
    with pytest.raises(HudongError, match="no id2label"):
        sentiment(d2)
    (d2 / "config.json").write_text(json.dumps({"id2label": {"0": "negative", "1": "positive", "2": "neutral"}}))
    with pytest.raises(HudongError, match=r"shape \(1, 2\), not texts × 3 labels"):
        sentiment(d2).proba(["好"])
    (d2 / "config.json").write_text(json.dumps({"id2label": {"0": "angry", "1": "happy"}}))
    with pytest.raises(HudongError, match="angry → angry, happy → happy"):
        sentiment(d2)
    with pytest.raises(HudongError, match="has no label sad; its labels: angry, happy"):
        sentiment(d2, labels={"sad": "negative"})
    with pytest.raises(HudongError, match="needs positive and negative classes"):
        sentiment(d2, labels={"angry": "negative", "happy": "negative"})
    (d2 / "model.onnx").write_bytes(b"not a model")
    (d2 / "config.json").write_text(json.dumps({"id2label": {"0": "negative", "1": "positive"}}))
    with pytest.raises(HudongError, match="not an ONNX model"):
        sentiment(d2)
    with pytest.raises(HudongError, match="not trained by hudong"):
        sentiment(tmp_path / "m3" if build(tmp_path / "m3", w, np.zeros(2), {0: "negative", 1: "positive"}) else "").fit(["好"], ["positive"])


def test_a_workspace_scores_with_its_onnx_model_in_a_process_pool_and_goes_back(tmp_path, workspace):
    from hudong.analyses.context import models_dir
    from hudong.analyses.scoring import score_workspace
    from hudong.cli import cli
    from hudong.text import domain

    d = build(tmp_path / "tiny-zh", polarity_weights(), np.array([0.0, 0.0]), {0: "negative", 1: "positive"})
    texts = ["这家店太好了，棒", "太差了，坑", "烂透了", "赞赞赞", "天气一般"] * 30
    f = posts_csv(tmp_path / "posts.csv", texts)
    ws_dir = str(workspace.path)
    workspace.close()
    run = CliRunner().invoke
    assert run(cli, ["--workspace", ws_dir, "import", "--as", "generic-posts", str(f), "--no-score"]).exit_code == 0
    r = run(cli, ["--workspace", ws_dir, "text", "onnx", d, "--task", "sentiment", "--lang", "zh"])
    assert r.exit_code == 0, r.output
    version = onnx_model.load(d, "zh", type(adapt.shipped_model("sentiment", "zh")), ("negative", "positive")).version
    assert f"zh-charngram-lr-1 → {version}" in r.output
    assert r.output.count("texts/s on 5 workspace texts") == 2  # both models timed on the distinct texts
    from hudong.store.workspace import Workspace

    ws = Workspace.open(ws_dir)
    try:
        entry = adapt.manifest(models_dir(ws))["sentiment-zh"]
        assert entry["kind"] == "onnx" and entry["path"] == str((tmp_path / "tiny-zh").resolve())
        s = score_workspace(ws, workers=2, full=True)  # the model crosses into forkserver workers
        assert s.workers == 2 and s.model_versions["zh"] == version
        rows = dict(ws.con.execute(
            "SELECT p.text, s.polarity FROM text_sentiment s JOIN posts p ON s.platform = p.platform AND s.id = p.post_id "
            "WHERE s.model_version = ?", [version]).fetchall())  # fmt: skip
        assert rows == {"这家店太好了，棒": "positive", "太差了，坑": "negative", "烂透了": "negative",
                        "赞赞赞": "positive", "天气一般": "positive"}  # fmt: skip
        # its tokenizer knows 好, 棒 … and nothing else: the domain check says so
        model = adapt.workspace_model(models_dir(ws), "sentiment", "zh")
        cov = domain.coverage(model, ["好棒", "天气一般", "好天气"])
        assert cov.tolist() == [1.0, 0.0, pytest.approx(1 / 3)]
        with pytest.raises(HudongError, match="ONNX model"):
            from hudong.text import adapt_unlabeled

            adapt_unlabeled.adapt_texts(models_dir(ws), texts)
    finally:
        ws.close()
    r = run(cli, ["--workspace", ws_dir, "text", "train", "--reset", "--task", "sentiment"])
    assert r.exit_code == 0 and "sentiment-zh" in r.output
    assert (tmp_path / "tiny-zh" / "model.onnx").exists()  # the user's directory is not deleted
    r = run(cli, ["--workspace", ws_dir, "text", "score"])
    assert r.exit_code == 0 and "zh-charngram-lr-1" in r.output and "onnx-" not in r.output, r.output
