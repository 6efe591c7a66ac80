"""Adapt the sentiment model to a workspace's own texts without one label: distant supervision + self-training.

    hudong text adapt [--limit 100000]                       # the workspace's posts and comments
    from hudong.text import adapt_unlabeled
    results = adapt_unlabeled.adapt_texts(directory, texts)        # one AdaptResult per language adapted

The texts an organization imports are in its domain (an epidemic, a product, a city); the shipped models were
trained elsewhere (product reviews, tweets). Method (docs/text.md, "Adapting without labels"):

1. **Distant labels** (Go, Bhayani & Huang 2009, "Twitter sentiment classification using distant supervision"):
   a text with an emotion cue — a Weibo emoticon code ([怒] [泪] [哈哈] [赞] …), an emoji, or a cue word of
   the shipped Chinese emotion lexicon — gets the polarity of that emotion (``emotion.POLARITY``: happy →
   positive; angry, sad, fear → negative). The cues are hudong's own hand-written lexicon (licence-clean); the
   texts are the user's. English texts use the lexicon's emoticons and emoji only (its words are Chinese).
2. **Fit toward the model in use** (``TextClassifier.fit(prior=…)``): the new weights are pulled toward the
   current model's instead of toward zero, so what the workspace's texts do not speak to stays as it was.
3. **One round of self-training**: that model labels the texts without a cue (at most ``POOL_PER_CUED`` per cued
   text); those it is sure of (P ≥ ``CONFIDENT``) join the distant labels, balanced to the distant labels' class
   ratio and never more than them, and the model is fitted again.

Safeguards (each result's ``details["checks"]``; a failed check keeps the current model and says why):
- **held-out agreement**: a stratified ``holdout`` share of the distant labels is never trained on; with their
  cues removed (``mask_cues``: the rest of the text is the evidence), the adapted model must agree with them
  (macro-F1) at least as well as the current model does. A self-training round that lowers that agreement is
  dropped (the distant-only model is kept).
- **no class removed**: each class the current model gives to ≥ ``MIN_SHARE`` of the texts must keep ≥
  ``MIN_SHARE`` after adapting.
- **the workspace's labels**, when it has some (``labelled``): macro-F1 on them may not fall by more than
  ``MAX_LABELLED_DROP``.
Every threshold is fixed a priori, never tuned on an evaluation set.

**Chinese emotion** (``adapt_emotion``): the shipped zh emotion model is a cue lexicon; adapted, it backs off to
the polarity of the workspace's sentiment model where it finds no cue (``emotion.BACKOFF_SURE``). Safeguards: no
emotion class the lexicon gives to ≥ ``MIN_SHARE`` of the texts falls below it, and the workspace's emotion labels,
when it has some, lose at most ``MAX_LABELLED_DROP`` macro-F1. An emotion model trained on the workspace's labels
(``hudong text train --task emotion``) is kept as it is.
"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hudong.errors import HudongError
from hudong.text import adapt, classifier, emotion, onnx_model

CONFIDENT = 0.9  # a self-training label needs the model's probability of its class ≥ this
MIN_DISTANT = 100  # distant labels a language needs, ≥ MIN_PER_CLASS of each polarity
MIN_PER_CLASS = 20
MIN_SHARE = 0.05  # no class may fall below this share of the predictions (if it had it before)
SHARE_SAMPLE = 10_000  # texts the class shares are measured on
POOL_PER_CUED = 2  # self-training considers at most this many cue-less texts per cued one (a seeded sample)
MAX_LABELLED_DROP = 0.02  # macro-F1 on the workspace's own labels may fall by at most this
POLARITIES = ("negative", "positive")


@dataclass(frozen=True)
class Labelled:
    """The workspace's own labelled texts of the task (e.g. from the inbox), used only to check."""

    texts: Sequence[str]
    labels: Sequence[str]


def distant_labels(texts: Sequence[str], lang: str) -> list[str | None]:
    """The polarity each text's emotion cues imply (``None``: no cue, or a cue of no polarity). The cues are those
    of the shipped Chinese emotion lexicon; for a language other than Chinese only its emoticon codes and emoji."""
    model, pattern = _cues(lang)
    out: list[str | None] = [None] * len(texts)
    # only texts containing a cue's characters can have one (every feature of the lexicon is a cue): the model
    # reads just those, a fraction of a workspace's texts
    idx = [i for i, t in enumerate(texts) if t and pattern.search(t)]
    labels, _ = model.labels([texts[i] for i in idx])
    for i, lb in zip(idx, labels, strict=True):
        out[i] = emotion.POLARITY.get(lb)
    return out


def mask_cues(texts: Sequence[str], lang: str) -> list[str]:
    """``texts`` with every cue of ``distant_labels`` removed: what is left is the evidence a model must read the
    polarity from (the held-out check scores these, so a model cannot pass it by knowing the cues alone)."""
    pattern = _cues(lang)[1]
    return [pattern.sub(" ", t) for t in texts]


@functools.cache
def _cues(lang: str) -> tuple[emotion.EmotionModel, re.Pattern[str]]:
    """The cue lexicon for ``lang`` and a pattern matching any of its cues as written (longest first)."""
    model = emotion.shipped_model("zh")
    if lang != "zh":  # its emoticon codes and emoji only (features without a Han character)
        keep = [f for f in model.index if f.startswith("[") or not any("\u4e00" <= ch <= "\u9fff" for ch in f)]
        rows = [model.index[f] for f in keep]
        meta = {**model.meta, "version": "cue-symbols"}
        model = emotion.EmotionModel.from_arrays("zh", keep, model.weights[rows], model.bias, model.classes, meta)
    words = sorted({f.replace("\x1f", "") for f in model.index}, key=len, reverse=True)
    return model, re.compile("|".join(map(re.escape, words)), re.IGNORECASE)


def _shares(pred: Sequence[str], classes: Sequence[str]) -> dict[str, float]:
    c = Counter(pred)
    return {k: c[k] / max(len(pred), 1) for k in classes}


def _fit(current: classifier.TextClassifier, corpus: classifier.Corpus, rows: list[int], labels: list[str],
         version: str) -> Any:  # fmt: skip
    data = f"{len(rows):,} of the workspace's own texts, distant and self-training labels (hudong text adapt)"
    meta = {**current.meta, "version": version, "adapted_from": current.version, "train_data": data}
    model = type(current)(current.lang, classes=current.classes, min_df=3, l2=1e-3, meta=meta,
                          lexicon=current.lexicon or None)  # fmt: skip
    return model.fit(corpus, labels, prior=current, rows=rows)


def adapt_language(
    current: classifier.TextClassifier,
    texts: Sequence[str],
    *,
    version: str,
    holdout: float = 0.2,
    seed: int = 0,
    labelled: Labelled | None = None,
) -> tuple[Any, dict[str, Any]]:
    """(adapted model or None, details) for one language's distinct ``texts``; None with ``details["refused"]``
    when a check fails or the texts carry too few cues."""
    lang = current.lang
    texts = list(dict.fromkeys(t for t in texts if t and t.strip()))
    random.Random(seed).shuffle(texts)
    dist = distant_labels(texts, lang)
    counts = Counter(d for d in dist if d)
    details: dict[str, Any] = {"texts": len(texts), "distant": dict(counts), "self_training": {}, "checks": {}}
    if sum(counts.values()) < MIN_DISTANT or min(counts.get(c, 0) for c in POLARITIES) < MIN_PER_CLASS:
        details["refused"] = (
            f"{sum(counts.values())} texts with an emotion cue ({', '.join(f'{c} {counts.get(c, 0)}' for c in POLARITIES)}); "
            f"need ≥ {MIN_DISTANT}, ≥ {MIN_PER_CLASS} of each polarity"
        )
        return None, details
    cued = [i for i, d in enumerate(dist) if d]
    ys = [dist[i] for i in cued]
    tr, te = adapt.split(ys, holdout, seed)
    r_tr, y_tr = [cued[i] for i in tr], [ys[i] for i in tr]
    x_te, y_te = mask_cues([texts[cued[i]] for i in te], lang), [ys[i] for i in te]
    # the texts' features, computed once for every fit and prediction below (the held-out ones are masked)
    corpus = classifier.Corpus.of(lang, texts, current.lexicon or None)

    def agreement(m: Any) -> dict[str, Any]:
        return adapt.scores(y_te, _polarity(m, x_te))

    distant_only = _fit(current, corpus, r_tr, y_tr, version)
    details["n_train"], details["n_heldout"] = len(r_tr), len(x_te)
    # self-training: the distant-only model labels the texts without a cue; the sure ones join, balanced
    # (texts are shuffled: the first ones are a seeded sample; the sure ones are capped at the distant count anyway)
    rest = [i for i, d in enumerate(dist) if not d][: POOL_PER_CUED * len(cued)]
    model, chosen = distant_only, "distant labels only"
    if rest:
        p = distant_only.proba_corpus(corpus, rest)
        pos, neg = distant_only.classes.index("positive"), distant_only.classes.index("negative")
        ratio = y_tr.count("positive") / len(y_tr)
        sure = {"positive": np.flatnonzero(p[:, pos] >= CONFIDENT), "negative": np.flatnonzero(p[:, neg] >= CONFIDENT)}
        sure = {c: ix[np.argsort(-p[ix, pos if c == "positive" else neg], kind="stable")] for c, ix in sure.items()}
        n_pos = min(len(sure["positive"]), round(len(sure["negative"]) * ratio / (1 - ratio)), y_tr.count("positive"))
        n_neg = min(len(sure["negative"]), round(len(sure["positive"]) * (1 - ratio) / ratio), y_tr.count("negative"))
        details["self_training"] = {"sure": {c: len(ix) for c, ix in sure.items()}, "used": {"positive": n_pos,
                                    "negative": n_neg}}  # fmt: skip
        if n_pos and n_neg:
            extra = [rest[i] for i in sure["positive"][:n_pos]] + [rest[i] for i in sure["negative"][:n_neg]]
            both = _fit(current, corpus, r_tr + extra, y_tr + ["positive"] * n_pos + ["negative"] * n_neg, version)
            a_both, a_dist = agreement(both), agreement(distant_only)
            if a_both["macro_f1"] >= a_dist["macro_f1"]:
                model, chosen = both, "distant + self-training labels"
                details["n_train"] += n_pos + n_neg
            details["self_training"]["held_out_macro_f1"] = {"distant only": a_dist["macro_f1"],
                                                             "with self-training": a_both["macro_f1"]}  # fmt: skip
    details["model"] = chosen
    before, after = agreement(current), agreement(model)
    details["before"], details["after"] = before, after
    checks = details["checks"]
    checks["held_out_agreement"] = {"before": before["macro_f1"], "after": after["macro_f1"],
                                    "ok": after["macro_f1"] >= before["macro_f1"]}  # fmt: skip
    sample = list(range(min(SHARE_SAMPLE, len(texts))))  # shuffled above: a seeded sample
    was = _shares(_polarity_of(current, current.proba_corpus(corpus, sample)), POLARITIES)
    now = _shares(_polarity_of(model, model.proba_corpus(corpus, sample)), POLARITIES)
    lost = [c for c in POLARITIES if was[c] >= MIN_SHARE > now[c]]
    checks["class_shares"] = {"before": was, "after": now, "ok": not lost}
    if labelled is not None and len(labelled.texts):
        lb, la = (
            adapt.scores(labelled.labels, current.predict(labelled.texts)),
            adapt.scores(labelled.labels, model.predict(labelled.texts)),
        )
        checks["workspace_labels"] = {"n": len(labelled.texts), "before": lb["macro_f1"], "after": la["macro_f1"],
                                      "ok": la["macro_f1"] >= lb["macro_f1"] - MAX_LABELLED_DROP}  # fmt: skip
    failed = [name for name, c in checks.items() if not c["ok"]]
    if failed:
        details["refused"] = "failed check(s): " + ", ".join(failed) + "; the model in use is kept"
        return None, details
    return model, details


def adapt_emotion(directory: Path, texts: Sequence[str], *, seed: int = 0,
                  labelled: Labelled | None = None) -> adapt.AdaptResult:  # fmt: skip
    """Give the zh emotion lexicon in use the polarity back-off (module doc) if the safeguards pass on ``texts``
    (the workspace's Chinese texts) and save it as the workspace's emotion model. Call it after the sentiment model
    was adapted: the checks read with the workspace's models as they are now."""
    directory = Path(directory)
    state = adapt.manifest(directory)
    current = adapt.workspace_model(directory, "emotion", "zh")
    shipped = emotion.shipped_model("zh")
    version = adapt.next_version(state, "emotion", "zh")
    details: dict[str, Any] = {"texts": 0, "backoff": emotion.BACKOFF_SURE, "checks": {}}

    def result(model: Any) -> adapt.AdaptResult:
        res = adapt.AdaptResult("emotion", "zh", 0, 0, current.version, model.version if model else current.version,
                                {}, {}, "", method="unlabeled", details=details)  # fmt: skip
        return adapt.record(directory, state, model, res) if model is not None else res

    if current.version != shipped.version and not current.meta.get("polarity_backoff"):
        details["refused"] = (f"the emotion model in use ({current.version}) was trained on the workspace's labels or is "
                              "the workspace's own; it is kept")  # fmt: skip
        return result(None)
    texts = list(dict.fromkeys(t for t in texts if t and t.strip()))
    sample = random.Random(seed).sample(texts, min(SHARE_SAMPLE, len(texts)))
    details["texts"] = len(sample)
    if not sample:
        details["refused"] = "no Chinese texts"
        return result(None)
    model = shipped.with_meta({**shipped.meta, "version": version, "adapted_from": shipped.version,
                               "polarity_backoff": emotion.BACKOFF_SURE,
                               "train_data": "none: the lexicon, backed off to the workspace's sentiment model "
                                             "(hudong text adapt)"})  # fmt: skip
    with adapt.workspace_models(directory):  # the sentiment model just adapted is the one the back-off reads
        was, now = current.labels(sample)[0], model.labels(sample)[0]
        checks = details["checks"]
        before, after = _shares(was, emotion.EMOTIONS), _shares(now, emotion.EMOTIONS)
        lost = [c for c in emotion.EMOTIONS if before[c] >= MIN_SHARE > after[c]]
        checks["class_shares"] = {"before": before, "after": after, "ok": not lost}
        details["changed"] = sum(a != b for a, b in zip(was, now, strict=True)) / len(sample)
        if labelled is not None and len(labelled.texts):
            lb = adapt.scores(labelled.labels, current.labels(list(labelled.texts))[0])
            la = adapt.scores(labelled.labels, model.labels(list(labelled.texts))[0])
            checks["workspace_labels"] = {"n": len(labelled.texts), "before": lb["macro_f1"], "after": la["macro_f1"],
                                          "ok": la["macro_f1"] >= lb["macro_f1"] - MAX_LABELLED_DROP}  # fmt: skip
    failed = [name for name, c in checks.items() if not c["ok"]]
    if failed:
        details["refused"] = "failed check(s): " + ", ".join(failed) + "; the model in use is kept"
        return result(None)
    return result(model)


def _polarity(model: Any, texts: Sequence[str]) -> list[str]:
    """positive / negative by the sign of the score (no neutral band: the distant labels have no neutral)."""
    return _polarity_of(model, model.proba(list(texts)))


def _polarity_of(model: Any, p: np.ndarray) -> list[str]:
    return [
        "positive" if a >= b else "negative"
        for a, b in zip(p[:, model.classes.index("positive")], p[:, model.classes.index("negative")], strict=True)
    ]


def adapt_texts(
    directory: Path,
    texts: Sequence[str],
    *,
    task: str = "sentiment",
    holdout: float = 0.2,
    seed: int = 0,
    labelled: dict[str, Labelled] | None = None,
    langs: Sequence[str] | None = None,
) -> list[adapt.AdaptResult]:
    """Adapt the sentiment model of each language among ``texts`` that carries enough cues; the model in use in
    ``directory`` (adapted from labels before, or shipped) is the starting point and the prior. ``langs``: each
    text's language when already detected. Returns one result per language tried (``details["refused"]`` says
    why a language was not adapted); an error when no language has models."""
    if task != "sentiment":
        raise HudongError(
            f"adapting without labels is built for sentiment, not {task} (with labels: hudong text train)"
        )
    if not 0 < holdout < 1:
        raise HudongError(f"holdout must be between 0 and 1, got {holdout}")
    keep = [i for i, t in enumerate(texts) if t]
    clean, at = classifier.by_language([texts[i] for i in keep], langs=[langs[i] for i in keep] if langs else None)
    groups = {lg: [clean[i] for i in ix] for lg, ix in at.items()}
    langs = [lg for lg in classifier.LANGS if groups.get(lg)]
    if not langs:
        raise HudongError("no Chinese or English texts to adapt to")
    directory = Path(directory)
    state = adapt.manifest(directory)
    out: list[adapt.AdaptResult] = []
    for lg in langs:
        current = adapt.workspace_model(directory, task, lg)
        if isinstance(current, onnx_model.OnnxClassifier):
            raise HudongError(f"the {task} model in use for {lg} is an ONNX model ({current.version}), which hudong "
                              f"does not train; hudong text train --reset --task {task} goes back to the shipped one")
        version = adapt.next_version(state, task, lg)
        model, details = adapt_language(
            current, groups[lg], version=version, holdout=holdout, seed=seed, labelled=(labelled or {}).get(lg)
        )
        res = adapt.AdaptResult(task, lg, details.get("n_train", 0), details.get("n_heldout", 0), current.version,
                                model.version if model is not None else current.version,
                                details.get("before", {}), details.get("after", {}), "", method="unlabeled",
                                details=details)  # fmt: skip
        out.append(adapt.record(directory, state, model, res) if model is not None else res)
    return out
