"""Rumour risk flag, event-grouped 5-fold, next to the published random-split table (DTC, SVM-TS, RvNN, BiGCN);
then a split by time (train on earlier stories, test on the latest 20% of each class) and the drop from the
event-grouped figure, with the share the flag answers and the accuracy of those answers; plus rumour-vs-rebuttal
reach per event.

    .venv/bin/python benchmarks/eval_rumour.py [--data /work/shared/data] [--sets twitter15,ced] [--minutes M]

Twitter16 needs ``twitter16_label.txt`` (absent from the shared copy: the set is skipped with a note).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from hudong.errors import HudongError
from hudong.graph.forecast import read_corpus
from hudong.graph.rumour import PUBLISHED, PUBLISHED_TWITTER16_ACCURACY, evaluate_rumour, rumour_vs_rebuttal


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--sets", default="twitter15,twitter16,ced")
    ap.add_argument("--minutes", type=float, default=None, help="Observe only the first minutes (early detection).")
    args = ap.parse_args()
    data = Path(args.data)
    pd.set_option("display.width", 200)
    for name in args.sets.split(","):
        t0 = time.perf_counter()
        try:
            corpus = read_corpus(data, name)
        except HudongError as e:
            print(f"\n== {name}: skipped — {e}")
            continue
        ours = evaluate_rumour(corpus, minutes=args.minutes, choose=True).drop(columns=["split", "tested"])
        print(
            f"\n== {name}: {len(corpus.info):,} cascades, {corpus.info['group'].nunique():,} event groups; "
            f"ours = event-grouped 5-fold ({time.perf_counter() - t0:.0f} s)"
        )
        if name == "twitter15":
            ref = PUBLISHED.assign(model=PUBLISHED["model"] + " (published, random 5-fold)")
            ours = pd.concat([ref, ours], ignore_index=True)
        elif name == "twitter16":
            ref = pd.DataFrame(
                {
                    "model": [f"{m} (published, random split)" for m in PUBLISHED_TWITTER16_ACCURACY],
                    "accuracy": list(PUBLISHED_TWITTER16_ACCURACY.values()),
                }
            )
            ours = pd.concat([ref, ours], ignore_index=True)
        print(ours.round(3).to_string(index=False))
        later = evaluate_rumour(corpus, minutes=args.minutes, split="time", choose=True)
        # the chosen model's name carries its groups, which may differ between the splits
        base = ours.assign(model=ours["model"].str.replace(r" \(.*\)$", "", regex=True)).set_index("model")
        drop = base["accuracy"].reindex(later["model"].str.replace(r" \(.*\)$", "", regex=True)).to_numpy()
        drop = drop - later["accuracy"].to_numpy()
        print(f"\n{name}: {later['split'].iloc[0]}, {later['tested'].iloc[0]} cascades tested; drop = event-grouped "
              "accuracy − time-split accuracy")
        print(later.drop(columns=["split", "tested"]).assign(drop=drop).round(3).to_string(index=False))
        reach = rumour_vs_rebuttal(corpus)
        print(f"\nrumour vs rebuttal reach ({len(reach)} events with both):")
        print(reach.head(10).round(2).to_string(index=False))
        if name != "ced":
            pairs = rumour_vs_rebuttal(corpus, ("false",), ("true",))
            print(f"\nfalse vs true cascades of the same event ({len(pairs)} events):")
            print(pairs.drop(columns=["group"]).head(10).round(2).to_string(index=False))
            print(pairs[["rumour_reach", "rebuttal_reach"]].sum().to_string())


if __name__ == "__main__":
    main()
