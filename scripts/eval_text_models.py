"""Evaluate hudong's shipped emotion and toxicity models next to baselines, in one run, on held-out shared sets.

    python scripts/eval_text_models.py                       # both tasks; prints markdown tables
    python scripts/eval_text_models.py --task toxicity --no-snownlp --table /tmp/t.md

Systems per set: hudong's model; a polarity proxy from SnowNLP (zh) or VADER (en) — positive → happy,
negative → angry (anger is the most frequent negative emotion in TweetEval emotion *train*), neutral → neutral;
for toxicity negative → toxic — and the evaluation set's majority class. Chinese Weibo sets are scored twice:
raw and with emoticon codes/emoji (and URLs, @mentions) stripped, because emoticons can leak the label.
Macro-F1 averages the classes present in the set's gold labels (a "neutral" prediction on a set without
neutral gold counts as an error). Sentiment is evaluated by scripts/train_text_models.py --eval-only.

Sets (never trained on): SMP2020-EWECT usual/virus **eval** (6 classes; the snapshot has no test split), COVID-19 Weibo labeledData (7 classes
mapped onto the 6: fear → fear, disgust → angry, optimism → happy, surprise → surprise, gratitude → happy,
sadness → sad, anger → angry), TweetEval emotion val (the emotion model trains on train only); COLD dev (the snapshot has no COLD test.csv; hudong's
model is trained on COLD train only), Davidson held-out fifth, TweetEval offensive and hate val (the snapshot has no TweetEval test splits).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_text_models as T  # noqa: E402

from hudong.text import emotion, toxicity  # noqa: E402
from hudong.text.emotion import EMOTIONS  # noqa: E402
from hudong.text.tokenize import strip_entities  # noqa: E402

Labelled = T.Labelled
COVID = {"0": "fear", "1": "angry", "2": "happy", "3": "surprise", "4": "happy", "5": "sad", "6": "angry"}
PROXY_EMOTION = {"positive": "happy", "negative": "angry", "neutral": "neutral"}
PROXY_TOXIC = {"positive": "ok", "negative": "toxic", "neutral": "ok"}


def covid() -> Labelled:
    with open(T.SHARED / "covid19_weibo_emotion" / "labeledData.csv", encoding="utf-8-sig") as f:
        rows = [r for r in csv.DictReader(f) if (r["review"] or "").strip()]
    return [r["review"] for r in rows], [COVID[r["label"].strip()] for r in rows]


def eval_sets(task: str) -> list[tuple[str, str, Labelled, bool]]:
    """(name, lang, data, Weibo: also evaluate with emoticons stripped)."""
    if task == "emotion":
        return [
            ("SMP2020-EWECT usual eval (Weibo)", "zh", T.smp2020("usual", None), True),
            ("SMP2020-EWECT virus eval (COVID Weibo)", "zh", T.smp2020("virus", None), True),
            ("COVID-19 Weibo labeledData (7 → 6 classes)", "zh", covid(), True),
            ("TweetEval emotion val", "en", T.tweeteval_task("emotion", "val", T.TWEETEVAL_EMOTION), False),
        ]
    binary = {"0": "ok", "1": "toxic"}
    return [
        ("COLD dev (Weibo/Zhihu comments)", "zh", T.cold("dev"), True),
        ("Davidson held-out 20%", "en", T.davidson()[1], False),
        ("TweetEval offensive val", "en", T.tweeteval_task("offensive", "val", binary), False),
        ("TweetEval hate val", "en", T.tweeteval_task("hate", "val", binary), False),
    ]


def polarity_proxy(lang: str, mapping: dict[str, str]) -> tuple[str, Callable[[list[str]], list[str]]]:
    if lang == "zh":
        run = T.snownlp_predict(binary=False)
        return "SnowNLP 0.12.3 polarity proxy", lambda ts: [mapping[p] for p in run(ts)]
    run = T.vader_predict(binary=False)
    return "VADER 3.3.2 polarity proxy", lambda ts: [mapping[p] for p in run(ts)]


def evaluate(task: str, with_snownlp: bool) -> list[dict]:
    results = []
    for name, lang, (texts, gold), weibo in eval_sets(task):
        classes = [c for c in (EMOTIONS if task == "emotion" else ("ok", "toxic")) if c in set(gold)]
        model = (emotion if task == "emotion" else toxicity).load_model(lang)
        majority = max(set(gold), key=gold.count)
        systems: list[tuple[str, Callable[[list[str]], list[str]]]] = [(f"hudong {model.version}", model.predict)]
        if lang == "en" or with_snownlp:
            systems.append(polarity_proxy(lang, PROXY_EMOTION if task == "emotion" else PROXY_TOXIC))
        systems.append((f"majority ({majority})", lambda ts, m=majority: [m] * len(ts)))
        variants = [("raw", texts)] + (
            [("emoticons/emoji stripped", [strip_entities(t) for t in texts])] if weibo else []
        )
        for variant, xs in variants:
            for sys_name, fn in systems:
                t0 = time.perf_counter()
                pred = fn(xs)
                dt = time.perf_counter() - t0
                r = {"set": name, "n": len(xs), "variant": variant, "system": sys_name, "classes": classes}
                r |= {"texts_per_s": len(xs) / dt if dt > 0 else float("inf"), **T.scores(gold, pred, classes)}
                results.append(r)
                print(
                    f"{name} | {variant} | {sys_name}: acc {r['accuracy']:.3f} macro-F1 {r['macro_f1']:.3f}", flush=True
                )
    return results


def markdown(task: str, results: list[dict]) -> str:
    cols = EMOTIONS if task == "emotion" else ("ok", "toxic")
    lines = [
        "| evaluation set | n | text | system | accuracy | macro-F1 | " + " | ".join(f"F1 {c}" for c in cols) + " |",
        "|---|---:|---|---|---:|---:|" + "---:|" * len(cols),
    ]
    for r in results:
        per = " | ".join(f"{r[f'f1_{c}']:.3f}" if c in r["classes"] else "–" for c in cols)
        lines.append(
            f"| {r['set']} | {r['n']:,} | {r['variant']} | {r['system']} | {r['accuracy']:.3f} | "
            f"{r['macro_f1']:.3f} | {per} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", action="append", choices=("emotion", "toxicity"), help="repeatable; default both")
    ap.add_argument("--no-snownlp", action="store_true", help="skip the SnowNLP baseline (slow)")
    ap.add_argument("--table", type=Path, help="also write the markdown tables to this file")
    a = ap.parse_args(argv)
    if not T.SHARED.exists():
        sys.exit(f"shared data not found at {T.SHARED} (set HUDONG_SHARED_DATA)")
    out = []
    for task in a.task or ("emotion", "toxicity"):
        out.append(f"#### {task}\n\n" + markdown(task, evaluate(task, with_snownlp=not a.no_snownlp)))
    text = "\n\n".join(out)
    print(text)
    if a.table:
        a.table.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
