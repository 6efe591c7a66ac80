"""Early size forecast, event-grouped 5-fold: majority class vs size-so-far threshold vs gradient boosting, on
Twitter15, Twitter16 (labels not needed) and CED, at 30/60/180 minutes.

    .venv/bin/python benchmarks/eval_forecast.py [--data /work/shared/data] [--minutes 30,60,180] [--sets twitter15,twitter16,ced]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from hudong.graph.forecast import evaluate_forecast, read_corpus


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--minutes", default="30,60,180")
    ap.add_argument("--sets", default="twitter15,twitter16,ced")
    args = ap.parse_args()
    data = Path(args.data)
    minutes = [float(m) for m in args.minutes.split(",")]
    pd.set_option("display.width", 200)
    for name in args.sets.split(","):
        t0 = time.perf_counter()
        corpus = read_corpus(data, name, labels=False)
        table = evaluate_forecast(corpus, minutes=minutes)
        print(
            f"\n== {name}: {len(corpus.info):,} cascades in {corpus.info['group'].nunique():,} event groups "
            f"({time.perf_counter() - t0:.0f} s)"
        )
        print(table.drop(columns=["dataset", "cascades", "events"]).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
