"""The ONNX tier's own cost (issue #18.6), next to the shipped models in the same run: texts per second of
``proba`` on real Weibo posts and tweets for the shipped sentiment model and for an ONNX model run through
``hudong.text.onnx_model`` (tokenizer, length-sorted batches of 32, onnxruntime on CPU).

    .venv/bin/python benchmarks/bench_onnx.py [--n 20000]

No transformer can be downloaded here, so the ONNX model is the tests' bag-of-tokens graph
(``onnx_testing.bag_model``) over the 8,000 most frequent characters / words of the texts: its compute is
negligible, so its figure is the **ceiling** the ONNX path allows — tokenizing, padding, the session call and the
label mapping. A real transformer adds its own compute on top (for a BERT-base-sized model on a CPU core that is
typically tens of texts per second; `hudong text onnx` prints the figure measured on a workspace's texts).
One process; the tokenizer and onnxruntime use the cores they find, the shipped models one.
Needs the shared data and the onnx extra.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from hudong.text import adapt
from hudong.text.onnx_testing import bag_model
from hudong.text.pii_testset import shared_posts

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))


def rate(model, texts: list[str]) -> float:
    t0 = time.perf_counter()
    model.proba(texts)
    return len(texts) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20_000)
    a = ap.parse_args()
    print("| lang | texts | model | texts/s (one process) |\n|---|---:|---|---:|")
    for lang in ("zh", "en"):
        texts = shared_posts(SHARED, lang, a.n)
        units = Counter(u for t in texts for u in re.findall(r"[a-z]+|\S", t.lower()))
        vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + [u for u, _ in units.most_common(8_000)]
        w = np.random.default_rng(0).normal(scale=0.1, size=(len(vocab), 2))
        d = bag_model(Path(tempfile.mkdtemp()) / f"bag-{lang}", vocab, w, np.zeros(2), {0: "negative", 1: "positive"})
        shipped = adapt.shipped_model("sentiment", lang)
        onnx = adapt.load_onnx(d, "sentiment", lang)
        for m in (shipped, onnx):
            m.proba(texts[:200])  # warm: caches, the session's first run
            print(f"| {lang} | {len(texts):,} | {m.version} | {rate(m, texts):,.0f} |", flush=True)


if __name__ == "__main__":
    main()
