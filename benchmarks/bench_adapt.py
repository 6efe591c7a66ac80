"""Adapting without labels at scale (issue #18.7: 100k texts in under 2 minutes), side by side with the same
learning steps written directly with scikit-learn.

    .venv/bin/python benchmarks/bench_adapt.py [--n 100000] [--seed 0]

Texts: ``--n`` distinct real Weibo posts from the shared data (``pii_testset.shared_posts``: the COVID-19 stream
sample, CED originals and reposts). Needs the shared data.

- hudong: ``adapt_unlabeled.adapt_texts`` — distant labels, the texts featurized once (``classifier.Corpus``),
  the fit toward the shipped model, one self-training round, the three safeguards; peak RSS of the process.
- the peer: the same steps on the same distant labels with scikit-learn — ``CountVectorizer`` (binary character
  1–3-grams, min_df 2) over every text, ``LogisticRegression`` (lbfgs) on the cued training texts, probabilities on
  the uncued pool, a second fit with the sure ones. It has no prior model, no cue masking and no safeguards, so it
  does less than hudong; it shows what the bare learning costs in the usual library.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from hudong.text import adapt_unlabeled as au
from hudong.text.pii_testset import shared_posts
from hudong.text.tokenize import detect_lang

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))


def peer(texts: list[str], seed: int) -> dict[str, float]:
    """The bare learning steps with scikit-learn; stage → seconds."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    t: dict[str, float] = {}
    t0 = time.perf_counter()
    dist = au.distant_labels(texts, "zh")
    t["distant labels"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    x = CountVectorizer(analyzer="char", ngram_range=(1, 3), binary=True, min_df=2).fit_transform(texts)
    t["featurize"] = time.perf_counter() - t0
    cued = [i for i, d in enumerate(dist) if d]
    rng = np.random.default_rng(seed)
    train = sorted(rng.choice(cued, size=int(len(cued) * 0.8), replace=False).tolist())
    y = np.array([dist[i] for i in train])
    t0 = time.perf_counter()
    lr = LogisticRegression(C=10.0, max_iter=500).fit(x[train], y)
    t["fit 1"] = time.perf_counter() - t0
    rest = [i for i, d in enumerate(dist) if not d][: au.POOL_PER_CUED * len(cued)]
    t0 = time.perf_counter()
    p = lr.predict_proba(x[rest]).max(axis=1)
    sure = [rest[i] for i in np.flatnonzero(p >= au.CONFIDENT)][: len(train)]
    t["predict pool"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    LogisticRegression(C=10.0, max_iter=500).fit(x[train + sure], np.concatenate([y, lr.predict(x[sure])]))
    t["fit 2"] = time.perf_counter() - t0
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"needs the shared data at {SHARED} (HUDONG_SHARED_DATA)")
    texts = shared_posts(SHARED, "zh", a.n)
    print(f"{len(texts):,} distinct Weibo posts")
    t0 = time.perf_counter()
    directory = Path(tempfile.mkdtemp())
    langs = [detect_lang(t) for t in texts]  # as `text adapt` does (analyses.adaptation.adapt_to_workspace)
    (res,) = [r for r in au.adapt_texts(directory, texts, seed=a.seed, langs=langs) if r.lang == "zh"]
    sentiment_s = time.perf_counter() - t0
    emo = au.adapt_emotion(directory, [t for t, lg in zip(texts, langs, strict=True) if lg == "zh"], seed=a.seed)
    took = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    d = res.details
    print(f"{d['texts']:,} of them detected as Chinese; distant labels {d['distant']}; self-training {d['self_training'].get('used')}; "
          f"{'adapted' if 'refused' not in d else 'refused: ' + d['refused']}")  # fmt: skip
    print(f"emotion: {emo.version} ({emo.details.get('refused') or 'backed off, %.0f%% of the checked texts changed label' % (100 * emo.details['changed'])})")
    p = peer(texts, a.seed)
    import sklearn

    lib = f"scikit-learn {sklearn.__version__}, the bare steps"
    print("\n| system | stage | seconds |\n|---|---|---:|")
    print(f"| hudong `text adapt` (everything, with the safeguards) | sentiment | {sentiment_s:.1f} |")
    print(f"| hudong `text adapt` | zh emotion back-off (checks on 10,000 texts) | {took - sentiment_s:.1f} |")
    print(f"| hudong `text adapt` | total | {took:.1f} |")
    for stage, s in p.items():
        print(f"| {lib} | {stage} | {s:.1f} |")
    print(f"| {lib} | total | {sum(p.values()):.1f} |")
    print(f"\nhudong: {took:.1f} s for {len(texts):,} texts (target < 120 s), peak RSS {rss:.0f} MB (before the peer ran)")


if __name__ == "__main__":
    main()
