"""Offline sentiment for Chinese and English posts and comments: small n-gram logistic-regression models.

    from hudong.text.sentiment import predict, score_workspace
    predict(["这家店太好吃了", "Worst service ever"])   # [Sentiment(lang='zh', polarity='positive', …), …]
    score_workspace(ws)                                  # writes the text_sentiment table

Models ship in ``hudong/text/models/sentiment-{zh,en}.npz`` (trained by ``scripts/train_text_models.py`` on
licence-permitted data only; see docs/text.md): a vocabulary of n-gram features (``hudong.text.features``),
a weight matrix and biases. ``score`` = P(positive) − P(negative) in [−1, 1]. The Chinese model is binary
(its training data has no neutral class): polarity is ``neutral`` when |score| < the model's
``neutral_margin``. The English model has three classes and takes the most probable one.
Text in other languages (or with no letters) gets no polarity.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from hudong.errors import HudongError
from hudong.store import schema as S
from hudong.text.classifier import LANGS, TextClassifier, load_shipped, per_language
from hudong.text.tokenize import detect_lang

__all__ = [
    "IBIS_SCHEMA",
    "SIGNALS_TABLE",
    "TABLE",
    "Sentiment",
    "SentimentModel",
    "ScoreSummary",
    "load_model",
    "model_versions",
    "predict",
    "score_workspace",
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


class SentimentModel(TextClassifier):
    """A ``TextClassifier`` whose classes include positive and negative (and maybe neutral)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.neutral_margin = float(self.meta.get("neutral_margin", 0.0))
        if not {"positive", "negative"} <= set(self.classes):
            raise ValueError(f"a sentiment model needs positive and negative classes, not {self.classes}")
        self._pos = self.classes.index("positive")
        self._neg = self.classes.index("negative")

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """(score in [−1, 1], polarity) for each text."""
        p = self.proba(texts)
        score = p[:, self._pos] - p[:, self._neg]
        if "neutral" in self.classes:
            pol = [self.classes[i] for i in p.argmax(axis=1)]
        else:
            m = self.neutral_margin
            pol = ["positive" if s >= m else "negative" if s <= -m else "neutral" for s in score]
        return score, pol


def load_model(lang: str) -> SentimentModel:
    """The shipped model for ``lang`` (zh or en), loaded once."""
    if lang not in LANGS:
        raise HudongError(f"no sentiment model for language {lang!r}; languages: {', '.join(LANGS)}")
    return load_shipped("sentiment", lang, SentimentModel)


def model_versions() -> dict[str, str]:
    return {lang: load_model(lang).version for lang in LANGS}


def predict(
    texts: Iterable[str | None], lang: str | None = None, *, langs: Sequence[str] | None = None
) -> list[Sentiment]:
    """Sentiment of each text; ``lang`` forces the model, ``langs`` gives each text's language, otherwise it
    is detected per text."""

    def run(lg: str, xs: list[str]) -> list[Sentiment]:
        model = load_model(lg)
        score, pol = model.scores(xs)
        return [Sentiment(lg, p, float(s), model.version) for s, p in zip(score, pol, strict=True)]

    return per_language(texts, lang, langs, run, lambda lg: Sentiment(lg, None, None, None))


# ---- the workspace table ------------------------------------------------------------------------
@dataclass
class ScoreSummary:
    rows: int = 0
    seconds: float = 0.0
    by_kind: Counter = field(default_factory=Counter)  # kind → rows
    by_lang: Counter = field(default_factory=Counter)  # lang → rows
    by_polarity: Counter = field(default_factory=Counter)  # polarity (None = not scored) → rows
    by_emotion: Counter = field(default_factory=Counter)  # emotion (None = not scored) → rows
    toxic: int = 0  # rows flagged toxic
    model_versions: dict[str, str] = field(default_factory=dict)  # lang → sentiment model
    # task (emotion, toxicity) → lang → model
    signal_versions: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def texts_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


_SOURCES = {
    "post": "SELECT platform, post_id AS id, text FROM posts WHERE text IS NOT NULL AND trim(text) <> ''",
    "interaction": "SELECT platform, interaction_id AS id, text FROM interactions "
    "WHERE text IS NOT NULL AND trim(text) <> ''",
}


def _insert(con: Any, table: str, rows: Any) -> None:
    con.register("_text_batch", rows)
    try:
        con.execute(f'INSERT INTO "{table}" ({", ".join(rows.column_names)}) SELECT * FROM _text_batch')
    finally:
        con.unregister("_text_batch")


def score_workspace(ws: Any, *, batch_size: int = 100_000, signals: bool = True) -> ScoreSummary:
    """Score every post and interaction with text — sentiment into ``text_sentiment`` and (``signals``) emotion
    and toxicity into ``text_signals`` — replacing both tables' rows.

    One pass (each text's language detected once, each batch read once) and one transaction: the tables
    hold either the previous run or this one. Returns counts and throughput.
    """
    import pyarrow as pa

    from hudong.text import emotion, toxicity

    con = ws.con
    summary = ScoreSummary(model_versions=model_versions())
    if signals:
        summary.signal_versions = {"emotion": emotion.model_versions(), "toxicity": toxicity.model_versions()}
    t0 = time.perf_counter()
    con.execute("BEGIN")
    try:
        con.execute(f"DELETE FROM {TABLE}")
        con.execute(f"DELETE FROM {SIGNALS_TABLE}")
        for kind, sql in _SOURCES.items():
            batches = list(con.execute(sql).to_arrow_reader(batch_size))  # read before writing on this connection
            for batch in batches:
                d = batch.to_pydict()
                langs = [detect_lang(t) for t in d["text"]]
                res = predict(d["text"], langs=langs)
                n = len(res)
                keys = {"platform": d["platform"], "kind": [kind] * n, "id": [str(x) for x in d["id"]], "lang": langs}
                _insert(
                    con,
                    TABLE,
                    pa.table(
                        {
                            **keys,
                            "polarity": pa.array([r.polarity for r in res], pa.string()),
                            "score": pa.array([r.score for r in res], pa.float64()),
                            "model_version": pa.array([r.model_version for r in res], pa.string()),
                        }
                    ),
                )
                if signals:
                    emo = emotion.predict(d["text"], langs=langs)
                    tox = toxicity.predict(d["text"], langs=langs)
                    _insert(
                        con,
                        SIGNALS_TABLE,
                        pa.table(
                            {
                                **keys,
                                "emotion": pa.array([e.label for e in emo], pa.string()),
                                "emotion_score": pa.array([e.score for e in emo], pa.float64()),
                                "emotion_model_version": pa.array([e.model_version for e in emo], pa.string()),
                                "toxicity": pa.array([x.probability for x in tox], pa.float64()),
                                "toxic": pa.array([x.toxic for x in tox], pa.bool_()),
                                "toxicity_model_version": pa.array([x.model_version for x in tox], pa.string()),
                            }
                        ),
                    )
                    summary.by_emotion.update(e.label for e in emo)
                    summary.toxic += sum(bool(x.toxic) for x in tox)
                summary.rows += n
                summary.by_kind[kind] += n
                summary.by_lang.update(langs)
                summary.by_polarity.update(r.polarity for r in res)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    summary.seconds = time.perf_counter() - t0
    return summary


def has_scores(con: Any) -> bool:
    """True when ``hudong text sentiment`` has scored this workspace (the table has rows)."""
    return bool(con.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})").fetchone()[0])
