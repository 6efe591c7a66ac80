"""Emotion of Chinese and English posts and comments, in the Weibo scheme of SMP2020-EWECT.

    from hudong.text.emotion import predict
    predict(["气死我了，客服一直不回", "I'm so happy today!"])
    # [Emotion(lang='zh', label='angry', score=0.52, model_version='zh-emotion-lex-2'), …]

Labels: ``neutral, happy, angry, sad, fear, surprise`` (``EMOTIONS``); ``score`` = the model's probability of
that label. Models ship in ``hudong/text/models/emotion-{zh,en}.npz`` (``TextClassifier``; built by
``scripts/train_text_models.py``, see docs/text.md for data, licences and the measured accuracy):

- **zh** — no licence-permitted Chinese emotion corpus exists in the shared data, so the Chinese model is a
  hand-written cue lexicon (emotion words, Weibo emoticon codes, emoji; written for hudong) expressed as the
  weights of a character-n-gram ``TextClassifier``: a text with no cue is ``neutral``.
- **en** — trained on TweetEval emotion train (anger → angry, joy/optimism → happy, sadness → sad) with
  VADER-lexicon features; ``neutral`` when no class reaches the model's ``neutral_below`` probability (fixed a
  priori at 0.5). TweetEval has no fear or surprise, so those two come from a hand-written cue list
  (``EN_CUES``, applied by a model whose meta names ``cue_lexicon``: the shipped ``en-emotion-lex-lr-2`` and
  models adapted from it): a text with a cue (not negated: no not/no/never/n't among the three words before
  it) is ``fear`` or ``surprise`` (fear first) unless the model is sure of another emotion (P ≥ ``CUE_OVERRIDE``);
  its score is then ``CUE_SCORE`` (the cues carry no probability).

A zh model whose meta carries ``polarity_backoff`` (made by ``hudong text adapt``, ``adapt_unlabeled.adapt_emotion``)
backs off to polarity where the lexicon finds no cue: the sentiment model in use (the workspace's, adapted or
shipped) gives P(negative) ≥ ``BACKOFF_SURE`` → ``angry`` (the most frequent negative emotion on Weibo, everyday and
epidemic), P(positive) ≥ it → ``happy``; the score is that probability.

Text in other languages gets no label. A workspace adapts these models to its own labels (``hudong text train
--task emotion``, e.g. ``--from-inbox``; ``hudong.text.adapt``): for zh the adapted model is trained on the labels
together with the lexicon's cues, and labels must be among the language's classes (``EmotionModel.outputs``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from hudong.text import sentiment
from hudong.text.classifier import LANGS, TextClassifier, load_shipped, model_in_use, per_language
from hudong.text.tokenize import analysed

__all__ = ["EMOTIONS", "EN_CUES", "POLARITY", "Emotion", "EmotionModel", "load_model", "model_versions", "predict"]

EMOTIONS = ("neutral", "happy", "angry", "sad", "fear", "surprise")
# The polarity an emotion implies (surprise and neutral imply none): SMP2020-EWECT's mapping, also how emotion cues
# become distant sentiment labels (``hudong.text.adapt_unlabeled``).
POLARITY = {"happy": "positive", "angry": "negative", "sad": "negative", "fear": "negative"}

# Hand-written for hudong (no third-party lexicon): English cues for the classes TweetEval has no data for.
EN_CUES = {
    "fear": ("afraid", "scared", "scary", "terrified", "terrifying", "frightened", "frightening", "fear", "fearful",
             "worried", "worry", "worrying", "anxious", "anxiety", "panic", "panicking", "nervous", "dread",
             "horrified", "petrified", "freaked out", "freaking out", "unsafe", "alarming", "creepy"),
    "surprise": ("surprised", "surprising", "shocked", "shocking", "stunned", "astonished", "astonishing",
                 "unbelievable", "unexpected", "unexpectedly", "can't believe", "cannot believe", "didn't expect",
                 "wow", "whoa", "omg", "oh my god", "no way", "speechless", "mind blown", "out of nowhere"),
}  # fmt: skip
CUE_OVERRIDE = 0.9  # a cue decides unless the model is this sure of another emotion (it never saw fear or surprise)
CUE_SCORE = 0.6  # the score of a cue label (the cues carry no probability)
# Polarity back-off (meta["polarity_backoff"] = this): a cue-less text becomes angry / happy when the sentiment model
# in use gives P(negative) / P(positive) ≥ this. Fixed before measuring (docs/text.md, "Adapting without labels").
BACKOFF_SURE = 0.8
BACKOFF_LABEL = {"negative": "angry", "positive": "happy"}  # in this order: [P(negative), P(positive)]
_NEGATORS = {"not", "no", "never", "without", "nothing", "nobody"}


@dataclass(frozen=True)
class Emotion:
    lang: str
    label: str | None
    score: float | None  # probability of ``label``
    model_version: str | None


class EmotionModel(TextClassifier):
    """A ``TextClassifier`` over (a subset of) ``EMOTIONS``; a model without a ``neutral`` class says neutral
    when the top probability is below ``meta["neutral_below"]`` (a model that learnt ``neutral`` — e.g. one
    adapted to a workspace's labels, ``hudong.text.adapt`` — takes its most probable class, as sentiment does)."""

    def _ready(self) -> None:
        bad = sorted(set(self.classes) - set(EMOTIONS))
        if bad:
            raise ValueError(f"emotion classes {bad} are not in {EMOTIONS}")
        self.neutral_below = 0.0 if "neutral" in self.classes else float(self.meta.get("neutral_below", 0.0))
        self.backoff = float(self.meta.get("polarity_backoff") or 0.0)  # 0: none
        cues = EN_CUES if self.meta.get("cue_lexicon") and self.lang == "en" else {}
        self._cues = {emo: re.compile(r"(?<![\w'])(" + "|".join(map(re.escape, words)) + r")(?![\w'])")
                      for emo, words in cues.items() if emo not in self.classes}  # fmt: skip

    @property
    def outputs(self) -> tuple[str, ...]:
        """Every label this model can give (its classes, neutral, the cue classes), in ``EMOTIONS`` order."""
        out = set(self.classes) | {"neutral"} | set(self._cues)
        return tuple(e for e in EMOTIONS if e in out)

    def labels(self, texts: Sequence[str], polarity: np.ndarray | None = None) -> tuple[list[str], list[float]]:
        """(label, probability of the most probable class — ``CUE_SCORE`` for a cue label) for each text.
        ``polarity``: the texts' [P(negative), P(positive)] from the sentiment model in use, when the caller has
        them already (the back-off then does not score the texts again)."""
        p = self.proba(texts)
        best = p.argmax(axis=1)
        top = p[range(len(texts)), best]
        labels = [self.classes[b] if pr >= self.neutral_below else "neutral" for b, pr in zip(best, top, strict=True)]
        scores = [float(x) for x in top]
        if self.backoff:
            self._back_off(texts, labels, scores, polarity)
        if self._cues:
            for i, t in enumerate(texts):
                if labels[i] != "neutral" and scores[i] >= CUE_OVERRIDE:
                    continue
                cue = self._cue(t)
                if cue:
                    labels[i], scores[i] = cue, CUE_SCORE
        return labels, scores

    def _back_off(self, texts: Sequence[str], labels: list[str], scores: list[float],
                  polarity: np.ndarray | None) -> None:
        """Neutral (no cue) → angry / happy where the sentiment model in use is sure of the polarity (in place)."""
        idx = [i for i, lb in enumerate(labels) if lb == "neutral"]
        if not idx:
            return
        if polarity is None:
            model = sentiment.load_model(self.lang)
            p = model.proba([texts[i] for i in idx])
            p = p[:, [model.classes.index("negative"), model.classes.index("positive")]]
        else:
            p = np.asarray(polarity, dtype=float)[idx]
        for k, emo in enumerate(BACKOFF_LABEL.values()):  # negative, positive
            col = p[:, k]
            for j in [int(j) for j in (col >= self.backoff).nonzero()[0]]:
                labels[idx[j]], scores[idx[j]] = emo, float(col[j])

    def _cue(self, text: str) -> str | None:
        """The first cue class with an un-negated cue in ``analysed(text)``."""
        low = analysed(text).lower().replace("’", "'")
        for emo, pattern in self._cues.items():
            for m in pattern.finditer(low):
                before = re.findall(r"[\w']+", low[: m.start()])[-3:]
                if not any(w in _NEGATORS or w.endswith("n't") for w in before):
                    return emo
        return None

    def predict(self, texts: Sequence[str]) -> list[str]:
        return self.labels(texts)[0]


def load_model(lang: str) -> EmotionModel:
    """The emotion model in use for ``lang`` (zh or en): shipped, or adapted inside ``using_models``."""
    return model_in_use("emotion", lang, EmotionModel)


def shipped_model(lang: str) -> EmotionModel:
    """The model shipped with hudong for ``lang``, whatever is in use."""
    return load_shipped("emotion", lang, EmotionModel)


def model_versions() -> dict[str, str]:
    return {lang: load_model(lang).version for lang in LANGS}


def predict(
    texts: Iterable[str | None],
    lang: str | None = None,
    *,
    langs: Sequence[str] | None = None,
    sentiments: Sequence[sentiment.Sentiment] | None = None,
) -> list[Emotion]:
    """Emotion of each text; ``lang`` forces the model, ``langs`` gives each text's language, else detected.
    ``sentiments``: the same texts' ``sentiment.predict`` (same models in use), so that the polarity back-off
    reads their probabilities instead of scoring the texts a second time."""
    polarity = None if sentiments is None else np.array(
        [[np.nan if s.p_negative is None else s.p_negative, np.nan if s.p_positive is None else s.p_positive]
         for s in sentiments], dtype=float).reshape(-1, 2)  # fmt: skip

    def run(lg: str, xs: list[str], at: list[int]) -> list[Emotion]:
        model = load_model(lg)
        labels, probs = model.labels(xs, None if polarity is None else polarity[at])
        return [Emotion(lg, lb, p, model.version) for lb, p in zip(labels, probs, strict=True)]

    return per_language(texts, lang, langs, run, lambda lg: Emotion(lg, None, None, None))
