"""Sentiment throughput per core: hudong's zh/en models next to SnowNLP and VADER, same texts, same run.

    python benchmarks/bench_text.py [--n 20000] [--snownlp-n 1000]

Texts: waimai_10k reviews (zh) and TweetEval sentiment validation tweets (en) when the shared data is present,
otherwise a small built-in sample repeated. One process, one thread (BLAS threads pinned to 1): the
figures are texts per second per core. Rows:
  - hudong zh / en model: ``SentimentModel.scores`` on a list (features + sparse dot product);
  - hudong predict(): the public function, with per-text language detection;
  - jieba lcut: segmentation alone, for scale (the model does not need it);
  - SnowNLP ``SnowNLP(t).sentiments`` (on ``--snownlp-n`` texts: ~400/s) and VADER ``polarity_scores``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
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


def zh_texts(n: int) -> list[str]:
    p = SHARED / "chinese_review_sentiment_sophonplus" / "waimai_10k.csv"
    base = ZH_SAMPLE
    if p.exists():
        with open(p, encoding="utf-8") as f:
            base = [r["review"] for r in csv.DictReader(f) if r["review"].strip()]
    return (base * (n // len(base) + 1))[:n]


def en_texts(n: int) -> list[str]:
    p = SHARED / "tweeteval" / "sentiment" / "val_text.txt"
    base = p.read_text(encoding="utf-8").splitlines() if p.exists() else EN_SAMPLE
    return (base * (n // len(base) + 1))[:n]


def rate(fn: Callable[[list[str]], object], texts: list[str]) -> float:
    fn(texts[:10])  # warm-up: model loading is not timed
    t0 = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000, help="texts per language for the fast systems")
    ap.add_argument("--snownlp-n", type=int, default=1_000, help="texts for SnowNLP (slow)")
    a = ap.parse_args()

    from hudong.text.sentiment import load_model, predict
    from hudong.text.tokenize import segment

    zh, en = zh_texts(a.n), en_texts(a.n)
    rows: list[tuple[str, str, int, float]] = []
    zh_model, en_model = load_model("zh"), load_model("en")
    rows.append(("zh", f"hudong {zh_model.version}", len(zh), rate(zh_model.scores, zh)))
    rows.append(("zh", "hudong predict() (with language detection)", len(zh), rate(predict, zh)))
    rows.append(
        ("zh", "jieba 0.42 lcut (segmentation only)", len(zh), rate(lambda ts: [segment(t, "zh") for t in ts], zh))
    )
    try:
        from snownlp import SnowNLP

        few = zh[: a.snownlp_n]
        rows.append(
            ("zh", "SnowNLP 0.12.3 .sentiments", len(few), rate(lambda ts: [SnowNLP(t).sentiments for t in ts], few))
        )
    except ImportError:
        print("snownlp not installed (pip install -e '.[test]'): SnowNLP row skipped")
    rows.append(("en", f"hudong {en_model.version}", len(en), rate(en_model.scores, en)))
    rows.append(("en", "hudong predict() (with language detection)", len(en), rate(predict, en)))
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        sia = SentimentIntensityAnalyzer()
        rows.append(
            ("en", "VADER 3.3.2 polarity_scores", len(en), rate(lambda ts: [sia.polarity_scores(t) for t in ts], en))
        )
    except ImportError:
        print("vaderSentiment not installed (pip install -e '.[test]'): VADER row skipped")

    print("| lang | system | texts | texts/s (1 core) |")
    print("|---|---|---:|---:|")
    for lang, name, n, r in rows:
        print(f"| {lang} | {name} | {n:,} | {r:,.0f} |")
    snow = next((r for _, name, _, r in rows if name.startswith("SnowNLP")), None)
    if snow:
        print(f"\nhudong zh model / SnowNLP: {rows[0][3] / snow:.0f}×")


if __name__ == "__main__":
    main()
