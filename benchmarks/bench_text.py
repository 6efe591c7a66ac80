"""Text throughput per core for every text task on 100k real Chinese and 100k real English posts, next to
SnowNLP and VADER in the same run; accuracy side by side on labelled held-out sets; a process-pool run.

    python benchmarks/bench_text.py [--n 100000] [--snownlp-n 2000] [--workers 2]

Texts: ``hudong.text.pii_testset.shared_posts`` — zh: Weibo posts (COVID-19 stream sample, CED originals and
reposts), en: tweets (TweetEval, Davidson, PHEME, Twitter15/16; fewer than 100k distinct exist, so the list is
repeated to ``--n`` and the distinct count is printed). Without the shared data a small built-in sample is repeated.
One process, one thread (BLAS pinned to 1): texts per second per core. Rows per language:
  - language detection (``detect_lang``), segmentation (jieba 0.42 ``lcut`` for zh, the regex splitter for en);
  - sentiment / emotion / toxicity model alone (``model.scores`` / ``labels`` / ``proba`` on a list);
  - ``sentiment.predict()`` (public function, with language detection);
  - PII: ``pii.redact`` per text and ``ingest.privacy.redact_text`` over an Arrow column (RE2 pre-filter);
  - SnowNLP ``.sentiments`` on the first ``--snownlp-n`` texts (≈ 400–650/s: extrapolated, labelled so) and
    VADER ``polarity_scores`` on all.
Then: accuracy on weibo_osm evl (zh, binary: hudong shipped and adapted with 1,000 weibo_osm train labels vs
SnowNLP) and TweetEval sentiment val (en, 3-class: hudong vs VADER); and sentiment+emotion+toxicity over all texts with a process pool of ``--workers`` (chunks of
5,000) against the one-process run → the "1M posts on 2 cores" figure.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))
ZH_SAMPLE = [
    "这家店的奶茶太甜了，下次不会再来",
    "物流很快，包装也很好，五星好评",
    "一般般吧，没有宣传的那么好",
    "#新品上市#真的太好喝了[哈哈] @山茶社官方",
    "客服态度很差，等了一个小时都没人回复",
]
EN_SAMPLE = [
    "I love this tea, best purchase this year!",
    "Worst customer service ever. Never again.",
    "The package arrived on Tuesday.",
    "@user not bad at all, would buy again #happy",
    "Why is the app so slow today?? ugh",
]
CHUNK = 5_000


def posts(lang: str, n: int) -> tuple[list[str], int]:
    """(n texts, number of distinct texts among them)."""
    from hudong.text.pii_testset import shared_posts

    try:
        base = shared_posts(SHARED, lang, n)
    except FileNotFoundError:
        base = ZH_SAMPLE if lang == "zh" else EN_SAMPLE
    return (base * (n // len(base) + 1))[:n], min(len(base), n)


def rate(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    fn(texts[:10])  # warm-up: model loading is not timed
    t0 = time.perf_counter()
    fn(texts)
    r = len(texts) / (time.perf_counter() - t0)
    print(f"  … {len(texts):,} texts at {r:,.0f}/s", flush=True)
    return r


def score_all(texts: Sequence[str]) -> int:
    """Sentiment, emotion and toxicity of each text, languages detected once (what ``hudong.analyses.scoring.score_workspace`` computes)."""
    from hudong.text import emotion, sentiment, toxicity
    from hudong.text.tokenize import detect_lang

    langs = [detect_lang(t) for t in texts]
    sentiment.predict(texts, langs=langs)
    emotion.predict(texts, langs=langs)
    toxicity.predict(texts, langs=langs)
    return len(texts)


def pooled(texts: list[str], workers: int) -> float:
    """Texts/s of ``score_all`` over chunks in a process pool (pool start-up and model loading included)."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as ex:
        n = sum(ex.map(score_all, [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]))
    return n / (time.perf_counter() - t0)


def task_rows(lang: str, texts: list[str], snownlp_n: int) -> list[tuple[str, str, int, float]]:
    import pyarrow as pa

    from hudong.ingest.privacy import redact_text
    from hudong.text import emotion, pii, sentiment, toxicity
    from hudong.text.tokenize import detect_lang, segment

    n = len(texts)
    sm, em, tm = sentiment.load_model(lang), emotion.load_model(lang), toxicity.load_model(lang)
    rows = [
        ("language detection", "hudong detect_lang", n, rate(lambda ts: [detect_lang(t) for t in ts], texts)),
        (
            "segmentation",
            "jieba 0.42 lcut" if lang == "zh" else "hudong regex words",
            n,
            rate(lambda ts: [segment(t, lang) for t in ts], texts),
        ),
        ("sentiment", f"hudong {sm.version}", n, rate(sm.scores, texts)),
        ("sentiment", "hudong predict() (with language detection)", n, rate(sentiment.predict, texts)),
        ("emotion", f"hudong {em.version}", n, rate(em.labels, texts)),
        ("toxicity", f"hudong {tm.version}", n, rate(tm.proba, texts)),
        ("PII", "hudong pii.redact per text", n, rate(lambda ts: [pii.redact(t) for t in ts], texts)),
        (
            "PII",
            "hudong redact_text (Arrow column, RE2 pre-filter)",
            n,
            rate(lambda ts: redact_text(pa.array(ts)), texts),
        ),
    ]
    if lang == "zh":
        try:
            from snownlp import SnowNLP

            few = texts[:snownlp_n]
            r = rate(lambda ts: [SnowNLP(t).sentiments for t in ts], few)
            rows.append(
                ("sentiment", f"SnowNLP 0.12.3 .sentiments (first {len(few):,}; rate extrapolated)", len(few), r)
            )
        except ImportError:
            print("snownlp not installed (pip install -e '.[test]'): SnowNLP row skipped")
    else:
        try:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            sia = SentimentIntensityAnalyzer()
            rows.append(
                (
                    "sentiment",
                    "VADER 3.3.2 polarity_scores",
                    n,
                    rate(lambda ts: [sia.polarity_scores(t) for t in ts], texts),
                )
            )
        except ImportError:
            print("vaderSentiment not installed (pip install -e '.[test]'): VADER row skipped")
    return rows


def adapted_zh() -> Callable[[list[str]], list[str]]:
    """The zh sentiment model adapted to 1,000 weibo_osm *train* comments (seeded sample), binary by score sign."""
    import random

    from eval_adapt import weibo_osm  # scripts/ is on the path (accuracy_rows)

    from hudong.text import adapt

    texts, labels = weibo_osm("train")
    idx = random.Random(0).sample(range(len(texts)), 1000)
    model = adapt.fit_adapted("sentiment", "zh", [texts[i] for i in idx], [labels[i] for i in idx])
    return lambda ts: ["positive" if x >= 0 else "negative" for x in model.scores(ts)[0]]


def accuracy_rows() -> list[str]:
    """Accuracy / macro-F1 on labelled held-out sets, hudong next to the peer (same texts, same run)."""
    import sys

    sys.path.insert(0, str(REPO / "scripts"))
    from train_text_models import (  # the evaluation helpers of the training script: one definition
        hudong_predict,
        scores,
        snownlp_predict,
        tweeteval,
        vader_predict,
        weibo_osm,
    )

    out = []
    sets = [
        ("weibo_osm evl (zh, binary)", "zh", weibo_osm, True, snownlp_predict, "SnowNLP 0.12.3"),
        ("TweetEval sentiment val (en, 3-class)", "en", lambda: tweeteval("val"), False, vader_predict, "VADER 3.3.2"),
    ]
    for name, lang, load, binary, peer, peer_name in sets:
        try:
            texts, gold = load()
            systems = [("hudong", hudong_predict(lang, binary)), (peer_name, peer(binary))]
        except (FileNotFoundError, ImportError) as e:
            print(f"{name}: skipped ({e})")
            continue
        if lang == "zh":
            systems.append(("hudong adapted with 1,000 weibo_osm train labels (`hudong text train`)", adapted_zh()))
        classes = ("negative", "positive") if binary else ("negative", "neutral", "positive")
        for sys_name, fn in systems:
            s = scores(gold, fn(texts), classes)
            out.append(f"| {name} | {len(texts):,} | {sys_name} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="texts per language")
    ap.add_argument("--snownlp-n", type=int, default=2_000, help="texts for SnowNLP (slow)")
    ap.add_argument("--workers", type=int, default=2, help="process-pool size for the pooled run")
    a = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start (shared with other jobs)")
    corpora = {lang: posts(lang, a.n) for lang in ("zh", "en")}
    rows: list[tuple[str, str, str, int, float]] = []
    for lang, (texts, distinct) in corpora.items():
        print(f"{lang}: {len(texts):,} posts ({distinct:,} distinct)", flush=True)
        rows += [(lang, *r) for r in task_rows(lang, texts, a.snownlp_n)]

    print("\n| lang | task | system | texts | texts/s (1 core) |\n|---|---|---|---:|---:|")
    for lang, task, name, n, r in rows:
        print(f"| {lang} | {task} | {name} | {n:,} | {r:,.0f} |")
    zh_model = next(r for lang, task, name, _, r in rows if lang == "zh" and name.startswith("hudong zh-"))
    snow = next((r for _, _, name, _, r in rows if name.startswith("SnowNLP")), None)
    if snow:
        print(f"\nzh sentiment: hudong model / SnowNLP = {zh_model / snow:.0f}× (target ≥ 10×)")

    print("\n| held-out set | n | system | accuracy | macro-F1 |\n|---|---:|---|---:|---:|")
    print("\n".join(accuracy_rows()))

    both = corpora["zh"][0] + corpora["en"][0]
    one = rate(score_all, both)
    many = pooled(both, a.workers)
    print(
        f"\nsentiment + emotion + toxicity over {len(both):,} posts (zh + en): 1 process {one:,.0f} texts/s; "
        f"pool of {a.workers} {many:,.0f} texts/s ({many / one:.2f}×, start-up included) → 1M posts in "
        f"{1e6 / many / 60:.1f} min on {a.workers} cores (load average now {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
