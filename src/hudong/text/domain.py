"""Is a text like what the model learnt from? Vocabulary coverage, and the share of a workspace's texts outside it.

    from hudong.text.domain import coverage, check
    coverage(model, texts)          # per text: share of its features the model knows (NaN: no feature to judge)
    check(model, texts)             # DomainCheck(lang, texts, low_share, warn, …) for a sample of a workspace

A model's score means little on text whose words it has never seen: it falls back on its prior. What is counted:
- zh: the character bigrams and trigrams (``features.zh_features`` with more than one unit) — single characters
  are nearly all known, so they would hide the shift;
- en: the words (``features.en_features`` unigrams that are alphabetic).
A text is **low-coverage** below ``LOW_COVERAGE[lang]``; a workspace's texts are **out of the model's domain** when
``WARN_SHARE`` or more of them are. Both bounds were set from data the models never trained on (docs/text.md,
"Know when not to trust the score"): zh 0.3 is where 5% of food-delivery reviews (the zh model's own domain)
fall, against 42% of epidemic-era Weibo posts and 9% of everyday ones; en 0.5 is below the 5th percentile of
tweets outside the en model's training set (0.58). The warning names the remedy: ``hudong text adapt`` (no labels)
or ``hudong text train`` (labels) — an adapted model knows the workspace's n-grams, so the share falls.
An ONNX model (``hudong.text.onnx_model``) is judged by its tokenizer: the share of a text's tokens that are not
its unknown token (a subword tokenizer knows every text, so for it the check says nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hudong.text.classifier import TextClassifier
from hudong.text.features import FEATURES
from hudong.text.onnx_model import OnnxClassifier

LOW_COVERAGE = {"zh": 0.3, "en": 0.5}
WARN_SHARE = 0.25  # home domain: zh 5%, en < 1% of texts are low-coverage


def _judged(lang: str, feats: set[str]) -> list[str]:
    if lang == "zh":
        return [f for f in feats if "\x1f" in f]
    return [f for f in feats if "\x1f" not in f and f.isalpha()]


def coverage(model: TextClassifier, texts: Sequence[str]) -> np.ndarray:
    """Share of each text's judged features (see the module docstring) that ``model`` has a weight for; NaN
    for a text with none (too short to judge)."""
    model.check_fitted()
    if isinstance(model, OnnxClassifier):  # its tokenizer decides what it knows
        return model.known_share(texts)
    featurize, index = FEATURES[model.lang], model.index
    out = np.full(len(texts), np.nan)
    for i, t in enumerate(texts):
        judged = _judged(model.lang, featurize(t or ""))
        if judged:
            out[i] = sum(f in index for f in judged) / len(judged)
    return out


@dataclass(frozen=True)
class DomainCheck:
    lang: str
    model_version: str
    texts: int  # texts judged (a text too short to judge is not counted)
    low_coverage: int
    median_coverage: float | None

    @property
    def low_share(self) -> float:
        return self.low_coverage / self.texts if self.texts else 0.0

    @property
    def warn(self) -> bool:
        return self.texts > 0 and self.low_share >= WARN_SHARE


def check(model: TextClassifier, texts: Sequence[str]) -> DomainCheck:
    """How many of ``texts`` (all of ``model``'s language) the model covers poorly."""
    cov = coverage(model, texts)
    judged = cov[~np.isnan(cov)]
    low = int((judged < LOW_COVERAGE[model.lang]).sum())
    median = float(np.median(judged)) if judged.size else None
    return DomainCheck(model.lang, model.version, int(judged.size), low, median)
