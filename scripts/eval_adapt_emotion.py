"""Emotion adaptation on real Weibo posts: the shipped zh emotion "model" (a hand-written cue lexicon, no training
data) adapted with N labelled posts of SMP2020-EWECT (usual domain, train split), evaluated on its usual eval split
(2,000 posts, never trained on). SMP2020-EWECT is research-only: this is an evaluation, no model is shipped.

    python scripts/eval_adapt_emotion.py [--n 200 1000 3000] [--seeds 3] [--eval 2000]

Two ways, same run: "labels + cues" = what `hudong text train --task emotion` does for zh (the N labels together
with the lexicon's cues as rows, ``adapt.cue_rows``, the labels carrying half of the weight); "labels only" = a
model trained on the N labels alone (what adaptation does for the other models). Needs the shared data.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from hudong.text import adapt  # noqa: E402
from hudong.text.emotion import EMOTIONS  # noqa: E402

SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))


def smp2020(split: str) -> tuple[list[str], list[str]]:
    with gzip.open(SHARED / "smp2020_ewect_weibo_emotion" / "smp2020_ewect.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [r for r in map(json.loads, f) if r["domain"] == "usual" and r["split"] == split]
    return [r["content"] for r in rows], [r["label"] for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[200, 1000, 3000])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--eval", type=int, default=2000, help="eval-split posts scored (the first N)")
    a = ap.parse_args()
    tr_x, tr_y = smp2020("train")
    ev_x, ev_y = smp2020("eval")
    ev_x, ev_y = ev_x[: a.eval], ev_y[: a.eval]
    shipped = adapt.shipped_model("emotion", "zh")
    head = " | ".join(f"F1 {c}" for c in EMOTIONS)
    print(f"| N labels | model | accuracy | macro-F1 | {head} | fit s |")
    print("|---:|---|---:|---:|" + "---:|" * len(EMOTIONS) + "---:|")

    def line(n: str, name: str, sc: list[dict], dt: str) -> None:
        mean = {k: sum(s[k] for s in sc) / len(sc) for k in ("accuracy", "macro_f1")}
        f1 = " | ".join(f"{sum(s['f1'].get(c, 0.0) for s in sc) / len(sc):.3f}" for c in EMOTIONS)
        print(f"| {n} | {name} | {mean['accuracy']:.3f} | {mean['macro_f1']:.3f} | {f1} | {dt} |", flush=True)

    line("0", f"shipped {shipped.version}", [adapt.scores(ev_y, shipped.predict(ev_x))], "–")
    for n in a.n:
        for name, base in (("labels + cues", None), ("labels only", ([], []))):
            sc, secs = [], []
            for seed in range(a.seeds):
                idx = random.Random(seed).sample(range(len(tr_x)), n)
                t0 = time.perf_counter()
                m = adapt.fit_adapted("emotion", "zh", [tr_x[i] for i in idx], [tr_y[i] for i in idx], base=base)
                secs.append(time.perf_counter() - t0)
                sc.append(adapt.scores(ev_y, m.predict(ev_x)))
            line(f"{n:,}", f"{name} (mean of {a.seeds} samples)", sc, f"{sum(secs) / len(secs):.1f}")


if __name__ == "__main__":
    main()
