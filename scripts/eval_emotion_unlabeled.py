"""Chinese emotion without labels (#18.2), tried and not shipped: the shipped cue lexicon, backed off to the
polarity of the sentiment model where it finds no cue, and students self-trained on an unlabelled stream with
that teacher. Scored on SMP2020-EWECT usual and virus eval (6 classes); the stream is the train split of the same
domain read without its labels (what a workspace would import). SMP2020-EWECT is research-only: an evaluation,
nothing trained here ships.

    python scripts/eval_emotion_unlabeled.py [--low 0.2 --high 0.8]

Back-off: a text the lexicon calls neutral becomes angry when P(negative) ≥ high, happy when ≤ low (angry: the
most frequent negative emotion of Weibo in both domains). The sentiment model is the shipped one and the one
`hudong text adapt` makes from the stream. Students (``adapt.fit_adapted``: the teacher's labels plus the
lexicon's cue rows): V1 the student alone; V2 the lexicon where it has a cue, else the student; V3 the back-off
choosing among angry / sad / fear with a student of the stream's cued negative texts; V4 a student of the
non-neutral teacher labels, neutral inside the band. Needs the shared data and scikit-learn.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from train_text_models import smp2020  # noqa: E402

from hudong.text import adapt, adapt_unlabeled, emotion  # noqa: E402

SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))
NEGATIVE = ("angry", "sad", "fear")


def stream(domain: str) -> list[str]:
    with gzip.open(SHARED / "smp2020_ewect_weibo_emotion" / "smp2020_ewect.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = (json.loads(line) for line in f)
        return [r["content"] for r in rows if r["domain"] == domain and r["split"] == "train" and r["content"].strip()]


def backoff(lexicon: Sequence[str], p_neg: np.ndarray, low: float, high: float,
            negative: Sequence[str] | None = None) -> list[str]:  # fmt: skip
    out = []
    for i, (label, p) in enumerate(zip(lexicon, p_neg, strict=True)):
        if label == "neutral" and p >= high:
            label = negative[i] if negative is not None else "angry"
        elif label == "neutral" and p <= low:
            label = "happy"
        out.append(label)
    return out


def score(gold: Sequence[str], pred: Sequence[str]) -> str:
    acc = float(np.mean(np.asarray(gold) == np.asarray(pred)))
    return f"macro-F1 {f1_score(gold, pred, average='macro'):.3f}, accuracy {acc:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--low", type=float, default=0.2)
    ap.add_argument("--high", type=float, default=0.8)
    a = ap.parse_args()
    lexicon = emotion.shipped_model("zh")
    for domain in ("usual", "virus"):
        texts, gold = smp2020(domain, None)
        unlabelled = stream(domain)
        d = Path(tempfile.mkdtemp())
        adapt_unlabeled.adapt_texts(d, unlabelled)
        lex_eval, _ = lexicon.labels(texts)
        print(f"{domain}: {len(texts):,} eval posts, {len(unlabelled):,} stream posts")
        print(f"  lexicon                          {score(gold, lex_eval)}")
        for name, sent in (("shipped", adapt.shipped_model("sentiment", "zh")),
                           ("adapted", adapt.workspace_model(d, "sentiment", "zh"))):  # fmt: skip
            neg = list(sent.classes).index("negative")
            p_eval, p_stream = sent.proba(texts)[:, neg], sent.proba(unlabelled)[:, neg]
            print(f"  back-off, {name} sentiment     {score(gold, backoff(lex_eval, p_eval, a.low, a.high))}")
            lex_stream, _ = lexicon.labels(unlabelled)
            teacher = backoff(lex_stream, p_stream, a.low, a.high)
            student = adapt.fit_adapted("emotion", "zh", unlabelled, teacher).predict(texts)
            print(f"  V1 student ({name})            {score(gold, student)}")
            hybrid = [lb if lb != "neutral" else s for lb, s in zip(lex_eval, student, strict=True)]
            print(f"  V2 lexicon, else student       {score(gold, hybrid)}")
            cued = [i for i, lb in enumerate(lex_stream) if lb in NEGATIVE]
            picker = adapt.fit_adapted("emotion", "zh", [unlabelled[i] for i in cued], [lex_stream[i] for i in cued])
            pp, cls = picker.proba(texts), list(picker.classes)
            pick = [max(NEGATIVE, key=lambda e, r=row: r[cls.index(e)] if e in cls else -1.0) for row in pp]
            print(f"  V3 back-off, negative picker   {score(gold, backoff(lex_eval, p_eval, a.low, a.high, pick))}")
            polar = [i for i, lb in enumerate(teacher) if lb != "neutral"]
            st4 = adapt.fit_adapted("emotion", "zh", [unlabelled[i] for i in polar], [teacher[i] for i in polar])
            p4, c4 = st4.proba(texts), list(st4.classes)
            v4 = ["neutral" if lb == "neutral" and a.low < p < a.high else c4[int(row.argmax())]
                  for lb, p, row in zip(lex_eval, p_eval, p4, strict=True)]  # fmt: skip
            print(f"  V4 polar student, band neutral {score(gold, v4)}")


if __name__ == "__main__":
    main()
