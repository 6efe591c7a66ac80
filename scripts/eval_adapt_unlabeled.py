"""Adapting without labels on a real domain shift: the shipped zh sentiment model (product reviews) adapted to the
unlabelled COVID-19 Weibo stream (`hudong text adapt`'s method), evaluated on labelled sets never trained on,
next to SnowNLP in the same run.

    python scripts/eval_adapt_unlabeled.py [--limit 100000] [--seed 0] [--no-snownlp]

Polarity is binary here (the sign of the score; SnowNLP p ≥ 0.5): the issue's public-affairs figure is binary.
Sets: SMP2020-EWECT virus eval (epidemic-era Weibo: happy → positive; angry, sad, fear → negative; neutral and
surprise dropped), SMP2020-EWECT usual eval (everyday Weibo, same mapping), weibo_osm evl (comments), the
COVID-19 labelled posts (optimism, gratitude → positive; fear, disgust, sadness, anger → negative; surprise
dropped), waimai_10k (food-delivery reviews: the shipped model's home domain). Needs the shared data; SnowNLP
from the test extra.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

from train_text_models import smp2020, snownlp_predict, sophon, weibo_osm  # noqa: E402

from hudong.stats.evaluation import expected_calibration_error  # noqa: E402
from hudong.text import adapt, adapt_unlabeled, domain  # noqa: E402
from hudong.text.emotion import POLARITY  # noqa: E402

SHARED = Path(os.environ.get("HUDONG_SHARED_DATA", REPO.parent / "shared" / "data"))
COVID = {"2": "positive", "4": "positive", "0": "negative", "1": "negative", "5": "negative", "6": "negative"}


def covid_labelled() -> tuple[list[str], list[str]]:
    with open(SHARED / "covid19_weibo_emotion" / "labeledData.csv", encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if r["label"] in COVID and r["review"].strip()]
    return [r["review"] for r in rows], [COVID[r["label"]] for r in rows]


def stream() -> list[str]:
    with gzip.open(SHARED / "covid19_weibo_emotion" / "unlabeled_daily_sample.csv.gz", "rt", encoding="utf-8") as f:
        return [r["text"] for r in csv.DictReader(f)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-snownlp", action="store_true")
    a = ap.parse_args()
    texts = stream()[: a.limit]
    d = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    (res,) = [r for r in adapt_unlabeled.adapt_texts(d, texts, seed=a.seed) if r.lang == "zh"]
    took = time.perf_counter() - t0
    det = res.details
    print(f"adapted on {len(texts):,} stream posts ({det['texts']:,} distinct zh) in {took:.1f} s; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip
    print(f"distant labels {det['distant']}; self-training {det['self_training'].get('used')}; model: {det.get('model')}")
    for name, c in det["checks"].items():
        print(f"check {name}: {c}")
    if "refused" in det:
        print("refused:", det["refused"])
        return
    shipped = adapt.shipped_model("sentiment", "zh")
    model = adapt.workspace_model(d, "sentiment", "zh")
    mapping = dict(POLARITY)
    sets = [
        ("SMP2020-EWECT virus eval (epidemic Weibo)", smp2020("virus", mapping)),
        ("SMP2020-EWECT usual eval (everyday Weibo)", smp2020("usual", mapping)),
        ("weibo_osm evl (Weibo comments)", weibo_osm()),
        ("COVID-19 Weibo labelled posts", covid_labelled()),
        ("waimai_10k (reviews: the shipped model's domain)", sophon("waimai_10k.csv")),
    ]
    systems = [("hudong shipped " + shipped.version, lambda xs: adapt_unlabeled._polarity(shipped, xs)),
               ("hudong adapted " + model.version + " (no labels)", lambda xs: adapt_unlabeled._polarity(model, xs))]  # fmt: skip
    if not a.no_snownlp:
        systems.append(("SnowNLP 0.12.3", snownlp_predict(True)))
    print("\n| set | n | model | low-coverage share | warned | ECE (10 bins) |\n|---|---:|---|---:|---|---:|")
    for name, (xs, ys) in sets:
        for m in (shipped, model):
            c = domain.check(m, xs)
            p = m.proba(xs)
            pred = [m.classes[i] for i in p.argmax(axis=1)]
            ece = expected_calibration_error(p.max(axis=1), [a == b for a, b in zip(pred, ys, strict=True)])
            print(f"| {name} | {len(xs):,} | {m.version} | {c.low_share:.1%} | {'yes' if c.warn else 'no'} | {ece:.3f} |")
    print("\n| set | n | system | accuracy | macro-F1 | F1 neg | F1 pos |\n|---|---:|---|---:|---:|---:|---:|")
    for name, (xs, ys) in sets:
        for sysname, run in systems:
            s = adapt.scores(ys, run(xs))
            print(f"| {name} | {len(xs):,} | {sysname} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} | "
                  f"{s['f1']['negative']:.3f} | {s['f1']['positive']:.3f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
