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

import json
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from hudong.errors import HudongError
from hudong.store import schema as S
from hudong.text.features import FEATURES, TOKENS, lexicon_features
from hudong.text.tokenize import detect_lang

__all__ = [
    "IBIS_SCHEMA",
    "TABLE",
    "Sentiment",
    "SentimentModel",
    "ScoreSummary",
    "load_model",
    "model_versions",
    "predict",
    "score_workspace",
]

LANGS = ("zh", "en")
TABLE = "text_sentiment"
# The table is declared in store/schema.py (single source of truth); its Ibis schema for unbound expressions:
IBIS_SCHEMA = S.ibis_schema(S.TABLES[TABLE])


def _save_npz_lzma(path: str | Path, **arrays: np.ndarray) -> None:
    """Like ``np.savez_compressed`` but LZMA-compressed (a third smaller); ``np.load`` reads it as usual."""
    import io
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_LZMA) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(arr), allow_pickle=False)
            zf.writestr(f"{name}.npy", buf.getvalue())


@dataclass(frozen=True)
class Sentiment:
    lang: str
    polarity: str | None
    score: float | None
    model_version: str | None


class SentimentModel:
    """One language's model: vocabulary → row of ``weights`` (n_features × n_classes), ``bias``.

    With a ``lexicon`` (token → valence), the last two rows of ``weights`` belong to the dense lexicon features.
    """

    def __init__(
        self,
        lang: str,
        vocab: Sequence[str],
        weights: np.ndarray,
        bias: np.ndarray,
        classes: Sequence[str],
        meta: dict[str, Any],
        lexicon: dict[str, float] | None = None,
    ):
        self.lang = lang
        self.index = {f: i for i, f in enumerate(vocab)}
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.classes = tuple(classes)
        self.meta = meta
        self.version = str(meta["version"])
        self.neutral_margin = float(meta.get("neutral_margin", 0.0))
        self._features = FEATURES[lang]
        self.lexicon = dict(lexicon or {})
        if self.lexicon and lang not in TOKENS:
            raise ValueError(f"lexicon features are not defined for {lang}")
        n_dense = 2 if self.lexicon else 0
        if self.weights.shape[0] != len(self.index) + n_dense:
            raise ValueError("weights do not match the vocabulary")
        self._pos = self.classes.index("positive")
        self._neg = self.classes.index("negative")

    # ---- persistence --------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        vocab = sorted(self.index, key=self.index.__getitem__)
        lex = sorted(self.lexicon)
        _save_npz_lzma(
            path,
            vocab=np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8),
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            classes=np.array(self.classes),
            meta=np.array(json.dumps(self.meta, ensure_ascii=False)),
            lexicon_words=np.frombuffer("\n".join(lex).encode("utf-8"), dtype=np.uint8),
            lexicon_valence=np.array([self.lexicon[w] for w in lex], dtype=np.float32),
        )

    @classmethod
    def load(cls, path: str | Path, lang: str) -> SentimentModel:
        with np.load(path, allow_pickle=False) as z:
            vocab = z["vocab"].tobytes().decode("utf-8").split("\n")
            lexicon = None
            if "lexicon_words" in z.files and z["lexicon_valence"].size:
                words = z["lexicon_words"].tobytes().decode("utf-8").split("\n")
                lexicon = dict(zip(words, z["lexicon_valence"].tolist(), strict=True))
            return cls(
                lang,
                vocab,
                z["weights"].astype(np.float32),
                z["bias"],
                [str(c) for c in z["classes"]],
                json.loads(str(z["meta"])),
                lexicon,
            )

    # ---- inference ----------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Sparse rows (feature indices ``flat`` split by ``indptr``) and the dense lexicon features (or None)."""
        get = self.index.get
        flat: list[int] = []
        indptr = [0]
        dense: list[tuple[float, float]] | None = None
        if self.lexicon:
            tokens, ngrams = TOKENS[self.lang]
            dense = []
            for t in texts:
                toks = tokens(t)
                flat.extend(i for i in map(get, ngrams(toks)) if i is not None)
                indptr.append(len(flat))
                dense.append(lexicon_features(toks, self.lexicon))
        else:
            for t in texts:
                flat.extend(i for i in map(get, self._features(t)) if i is not None)
                indptr.append(len(flat))
        d = np.asarray(dense, dtype=np.float32).reshape(-1, 2) if dense is not None else None
        return np.asarray(flat, dtype=np.int64), np.asarray(indptr, dtype=np.int64), d

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text (rows without known features get the prior)."""
        flat, indptr, dense = self.encode(texts)
        n, k = len(texts), len(self.classes)
        logits = np.tile(self.bias, (n, 1)).astype(np.float64) if n else np.zeros((0, k))
        if flat.size:
            rows = np.repeat(np.arange(n), np.diff(indptr))
            w = self.weights[flat]
            for c in range(k):
                logits[:, c] += np.bincount(rows, weights=w[:, c], minlength=n)
        if dense is not None and n:
            logits += dense @ self.weights[len(self.index) :]
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

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


_MODELS: dict[str, SentimentModel] = {}
_LOCK = threading.Lock()


def load_model(lang: str) -> SentimentModel:
    """The shipped model for ``lang`` (zh or en), loaded once."""
    if lang not in LANGS:
        raise HudongError(f"no sentiment model for language {lang!r}; languages: {', '.join(LANGS)}")
    if lang not in _MODELS:
        with _LOCK:
            if lang not in _MODELS:
                ref = resources.files("hudong.text") / "models" / f"sentiment-{lang}.npz"
                if not ref.is_file():
                    raise HudongError(f"sentiment model {ref} is missing; run scripts/train_text_models.py")
                with resources.as_file(ref) as p:
                    _MODELS[lang] = SentimentModel.load(p, lang)
    return _MODELS[lang]


def model_versions() -> dict[str, str]:
    return {lang: load_model(lang).version for lang in LANGS}


def predict(texts: Iterable[str | None], lang: str | None = None) -> list[Sentiment]:
    """Sentiment of each text; ``lang`` forces the model, otherwise it is detected per text."""
    texts = [t or "" for t in texts]
    langs = [lang] * len(texts) if lang else [detect_lang(t) for t in texts]
    out: list[Sentiment | None] = [None] * len(texts)
    for lg in set(langs):
        idx = [i for i, x in enumerate(langs) if x == lg]
        if lg not in LANGS:
            for i in idx:
                out[i] = Sentiment(lg, None, None, None)
            continue
        model = load_model(lg)
        score, pol = model.scores([texts[i] for i in idx])
        for j, i in enumerate(idx):
            out[i] = Sentiment(lg, pol[j], float(score[j]), model.version)
    return out  # type: ignore[return-value]


# ---- the workspace table ------------------------------------------------------------------------
@dataclass
class ScoreSummary:
    rows: int = 0
    seconds: float = 0.0
    by_kind: Counter = field(default_factory=Counter)  # kind → rows
    by_lang: Counter = field(default_factory=Counter)  # lang → rows
    by_polarity: Counter = field(default_factory=Counter)  # polarity (None = not scored) → rows
    model_versions: dict[str, str] = field(default_factory=dict)

    @property
    def texts_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


_SOURCES = {
    "post": "SELECT platform, post_id AS id, text FROM posts WHERE text IS NOT NULL AND trim(text) <> ''",
    "interaction": "SELECT platform, interaction_id AS id, text FROM interactions "
    "WHERE text IS NOT NULL AND trim(text) <> ''",
}


def score_workspace(ws: Any, *, batch_size: int = 100_000) -> ScoreSummary:
    """Score every post and interaction with text and replace the ``text_sentiment`` table's rows.

    One transaction: the table holds either the previous run or this one. Returns counts and throughput.
    """
    import pyarrow as pa

    con = ws.con
    summary = ScoreSummary(model_versions=model_versions())
    t0 = time.perf_counter()
    con.execute("BEGIN")
    try:
        con.execute(f"DELETE FROM {TABLE}")
        for kind, sql in _SOURCES.items():
            reader = con.execute(sql).to_arrow_reader(batch_size)
            batches = list(reader)  # materialise before writing on the same connection
            for batch in batches:
                d = batch.to_pydict()
                res = predict(d["text"])
                rows = pa.table(
                    {
                        "platform": d["platform"],
                        "kind": [kind] * len(res),
                        "id": [str(x) for x in d["id"]],
                        "lang": [r.lang for r in res],
                        "polarity": pa.array([r.polarity for r in res], pa.string()),
                        "score": pa.array([r.score for r in res], pa.float64()),
                        "model_version": pa.array([r.model_version for r in res], pa.string()),
                    }
                )
                con.register("_text_sentiment_batch", rows)
                try:
                    con.execute(
                        f"INSERT INTO {TABLE} SELECT platform, kind, id, lang, polarity, score, model_version "
                        "FROM _text_sentiment_batch"
                    )
                finally:
                    con.unregister("_text_sentiment_batch")
                summary.rows += len(res)
                summary.by_kind[kind] += len(res)
                summary.by_lang.update(r.lang for r in res)
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
