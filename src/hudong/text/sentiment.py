"""Offline sentiment for Chinese and English posts and comments: small n-gram logistic-regression models.

    from hudong.text.sentiment import predict
    predict(["这家店太好吃了", "Worst service ever"])   # [Sentiment(lang='zh', polarity='positive', …), …]

``hudong.analyses.scoring.score_workspace(ws)`` writes the scores of a workspace's texts (``text_sentiment``).

Models ship in ``hudong/text/models/sentiment-{zh,en}.npz`` (trained by ``scripts/train_text_models.py`` on
licence-permitted data only; see docs/text.md): a vocabulary of n-gram features (``hudong.text.features``),
a weight matrix and biases. ``score`` = P(positive) − P(negative) in [−1, 1]. Both shipped models are binary
(their training data has no neutral class): polarity is ``neutral`` when |score| < the model's
``neutral_margin``; the English one (``neutral_without_lexicon``) also calls a text without one VADER-lexicon
word or valued emoji neutral, VADER's own principle. A model with a neutral class (adapted to a workspace's
labels) takes its most probable class.
Text in other languages (or with no letters) gets no polarity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from hudong.errors import HudongError
from hudong.store import schema as S
from hudong.text.classifier import LANGS, TextClassifier, load_shipped, model_in_use, per_language
from hudong.text.domain import coverage

__all__ = [
    "IBIS_SCHEMA",
    "SIGNALS_TABLE",
    "TABLE",
    "Sentiment",
    "SentimentModel",
    "load_model",
    "model_versions",
    "predict",
]

TABLE = "text_sentiment"
# The table is declared in store/schema.py (single source of truth); its Ibis schema for unbound expressions:
IBIS_SCHEMA = S.ibis_schema(S.TABLES[TABLE])
SIGNALS_TABLE = "text_signals"  # emotion and toxicity, written in the same pass
SIGNALS_IBIS_SCHEMA = S.ibis_schema(S.TABLES[SIGNALS_TABLE])
MODELS_DIR = resources.files("hudong.text") / "models"  # where the shipped models live (tests read the files)


@dataclass(frozen=True)
class Sentiment:
    lang: str
    polarity: str | None
    score: float | None
    model_version: str | None
    coverage: float | None = None  # share of the text's judged features the model knows (hudong.text.domain)
    p_negative: float | None = None  # the model's probabilities (the emotion back-off reads them, not a rescore)
    p_positive: float | None = None


class SentimentModel(TextClassifier):
    """A ``TextClassifier`` whose classes include positive and negative (and maybe neutral)."""

    def _ready(self) -> None:
        self.neutral_margin = float(self.meta.get("neutral_margin", 0.0))
        # VADER's principle, a priori: a text without one sentiment-bearing word (lexicon word or emoji) is neutral
        self.neutral_without_lexicon = bool(self.meta.get("neutral_without_lexicon")) and bool(self.lexicon)
        if not {"positive", "negative"} <= set(self.classes):
            raise ValueError(f"a sentiment model needs positive and negative classes, not {self.classes}")
        self._pos = self.classes.index("positive")
        self._neg = self.classes.index("negative")

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """(score in [−1, 1], polarity) for each text."""
        return self.scored(texts)[1:]

    def scored(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """(class probabilities, score in [−1, 1], polarity) for each text."""
        encoded = self.encode(texts)
        p = self.proba(texts, encoded)
        score = p[:, self._pos] - p[:, self._neg]
        if "neutral" in self.classes:
            pol = [self.classes[i] for i in p.argmax(axis=1)]
        else:
            m = self.neutral_margin
            pol = ["positive" if s >= m else "negative" if s <= -m else "neutral" for s in score]
        if self.neutral_without_lexicon:
            lexical = encoded[2].any(axis=1)
            pol = [x if has else "neutral" for x, has in zip(pol, lexical, strict=True)]
        return p, score, pol


def load_model(lang: str) -> SentimentModel:
    """The model in use for ``lang`` (zh or en): the shipped one, or an adapted one inside ``using_models``."""
    if lang not in LANGS:
        raise HudongError(f"no sentiment model for language {lang!r}; languages: {', '.join(LANGS)}")
    return model_in_use("sentiment", lang, SentimentModel)


def shipped_model(lang: str) -> SentimentModel:
    """The model shipped with hudong for ``lang``, whatever is in use."""
    return load_shipped("sentiment", lang, SentimentModel)


def model_versions() -> dict[str, str]:
    return {lang: load_model(lang).version for lang in LANGS}


def predict(
    texts: Iterable[str | None], lang: str | None = None, *, langs: Sequence[str] | None = None
) -> list[Sentiment]:
    """Sentiment of each text; ``lang`` forces the model, ``langs`` gives each text's language, otherwise it
    is detected per text."""

    def run(lg: str, xs: list[str], _at: list[int]) -> list[Sentiment]:
        model = load_model(lg)
        p, score, pol = model.scored(xs)
        cov = coverage(model, xs)
        neg, pos = p[:, model.classes.index("negative")], p[:, model.classes.index("positive")]
        return [Sentiment(lg, lb, float(s), model.version, None if np.isnan(c) else float(c), float(n), float(q))
                for s, lb, c, n, q in zip(score, pol, cov, neg, pos, strict=True)]  # fmt: skip

    return per_language(texts, lang, langs, run, lambda lg: Sentiment(lg, None, None, None))
