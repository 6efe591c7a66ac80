"""Offline sentiment for Chinese and English posts and comments: small n-gram logistic-regression models.

    from hudong.text.sentiment import predict, score_workspace
    predict(["这家店太好吃了", "Worst service ever"])   # [Sentiment(lang='zh', polarity='positive', …), …]
    score_workspace(ws)                                  # writes the text_sentiment table

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

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from hudong.errors import HudongError
from hudong.progress import callback
from hudong.store import schema as S
from hudong.store.workspace import transaction
from hudong.text import classifier
from hudong.text.classifier import LANGS, TextClassifier, load_shipped, model_in_use, per_language
from hudong.text.tokenize import detect_lang, max_chars, reads_workspace_text, set_max_chars_in_worker

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
        # VADER's principle, a priori: a text without one sentiment-bearing word (lexicon word or emoji) is neutral
        self.neutral_without_lexicon = bool(self.meta.get("neutral_without_lexicon")) and bool(self.lexicon)
        if not {"positive", "negative"} <= set(self.classes):
            raise ValueError(f"a sentiment model needs positive and negative classes, not {self.classes}")
        self._pos = self.classes.index("positive")
        self._neg = self.classes.index("negative")

    def scores(self, texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """(score in [−1, 1], polarity) for each text."""
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
        return score, pol


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

    def run(lg: str, xs: list[str]) -> list[Sentiment]:
        model = load_model(lg)
        score, pol = model.scores(xs)
        return [Sentiment(lg, p, float(s), model.version) for s, p in zip(score, pol, strict=True)]

    return per_language(texts, lang, langs, run, lambda lg: Sentiment(lg, None, None, None))


# ---- the workspace table ------------------------------------------------------------------------
@dataclass
class ScoreSummary:
    rows: int = 0  # rows scored by this run
    seconds: float = 0.0
    unchanged: int = 0  # rows whose stored scores were kept (same text, same models)
    removed: int = 0  # score rows deleted: their post/interaction is gone or has no text any more
    full: bool = True  # every row rescored (tables re-created), else only the rows that needed it
    reason: str = ""  # why a full rescore (asked, older tables, most rows to score …)
    by_kind: Counter = field(default_factory=Counter)  # kind → rows scored
    by_lang: Counter = field(default_factory=Counter)  # lang → rows scored
    by_polarity: Counter = field(default_factory=Counter)  # polarity (None = not scored) → rows scored
    by_emotion: Counter = field(default_factory=Counter)  # emotion (None = not scored) → rows scored
    toxic: int = 0  # rows scored now and flagged toxic
    model_versions: dict[str, str] = field(default_factory=dict)  # lang → sentiment model
    # task (emotion, toxicity) → lang → model
    signal_versions: dict[str, dict[str, str]] = field(default_factory=dict)
    workers: int = 1  # processes that scored

    @property
    def texts_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


# A text's fingerprint, stored with its scores (``text_hash``) to tell an edited text from the one scored: DuckDB's
# 64-bit hash, shifted to fit a BIGINT. (A DuckDB upgrade that changed ``hash`` would rescore everything once.)
TEXT_HASH = "CAST(hash(text) >> 1 AS BIGINT)"
_HAS_TEXT = "text IS NOT NULL AND trim(text) <> ''"
_SOURCES = {
    "post": f"SELECT platform, post_id AS id, text, {TEXT_HASH} AS text_hash FROM posts WHERE {_HAS_TEXT}",
    "interaction": f"SELECT platform, interaction_id AS id, text, {TEXT_HASH} AS text_hash FROM interactions "
    f"WHERE {_HAS_TEXT}",
}
_KEYS = {
    "post": f"SELECT platform, 'post' AS kind, post_id AS id FROM posts WHERE {_HAS_TEXT}",
    "interaction": f"SELECT platform, 'interaction' AS kind, interaction_id AS id FROM interactions WHERE {_HAS_TEXT}",
}
# Full rescore past this share of the texts, counting the rows to score plus those of them that replace a stored row.
# Scoring costs the same per row either way; what the full path saves is deleting stored rows (≈ as costly per row
# as scoring one), what it adds is scoring the unchanged rows too. Measured on the demo (docs/text.md "Incremental
# scoring"): with 40% of the texts edited (0.8 by this count) incremental still won (15.6 s vs 18.3 s full); with
# 80% of the texts new (none replaced) too (12.1 s vs 15.8 s). 0.8 leaves the full path to the mass rescore
# (a new model version for most rows, tables from an older hudong), which also compacts the tables.
FULL_SHARE = 0.8


def _insert(con: Any, table: str, rows: Any) -> None:
    con.register("_text_batch", rows)
    try:
        con.execute(f'INSERT INTO "{table}" ({", ".join(rows.column_names)}) SELECT * FROM _text_batch')
    finally:
        con.unregister("_text_batch")


POOL_MIN_ROWS = 50_000  # below this a process pool's start-up (≈2 s) costs more than it saves
POOL_CHUNK = 5_000  # texts per task sent to a worker


def _default_workers(rows: int) -> int:
    import os

    return min(os.cpu_count() or 1, 4) if rows >= POOL_MIN_ROWS else 1


def _install_models(models: dict, max_chars: int) -> None:
    """Pool initializer: the models in use in the parent (shipped or the workspace's adapted ones) and its analysed
    length become this worker's, so every process scores as the parent would."""
    classifier.use_models_in_worker(models)
    set_max_chars_in_worker(max_chars)


def _score_texts(texts: list[str], signals: bool) -> dict[str, list]:
    """Language, sentiment and (``signals``) emotion and toxicity of each text, as columns."""
    from hudong.text import emotion, toxicity

    langs = [detect_lang(t) for t in texts]
    res = predict(texts, langs=langs)
    cols: dict[str, list] = {
        "lang": langs,
        "polarity": [r.polarity for r in res],
        "score": [r.score for r in res],
        "model_version": [r.model_version for r in res],
    }
    if signals:
        emo = emotion.predict(texts, langs=langs)
        tox = toxicity.predict(texts, langs=langs)
        cols |= {
            "emotion": [e.label for e in emo],
            "emotion_score": [e.score for e in emo],
            "emotion_model_version": [e.model_version for e in emo],
            "toxicity": [x.probability for x in tox],
            "toxic": [x.toxic for x in tox],
            "toxicity_model_version": [x.model_version for x in tox],
        }
    return cols


def _scored_batches(pool: Any, batches: list, signals: bool) -> Iterator[tuple[dict[str, list], dict[str, list]]]:
    """(batch as columns, its scores) for each batch. With a pool, every chunk of every batch is submitted up
    front, so the workers keep scoring while this process writes the previous batch."""
    data = [b.to_pydict() for b in batches]
    if pool is None:
        for d in data:
            yield d, _score_texts(d["text"], signals)
        return
    sizes = [len(range(0, len(d["text"]), POOL_CHUNK)) for d in data]
    chunks = [d["text"][i : i + POOL_CHUNK] for d in data for i in range(0, len(d["text"]), POOL_CHUNK)]
    results = pool.map(_score_texts, chunks, [signals] * len(chunks))
    for d, k in zip(data, sizes, strict=True):
        out: dict[str, list] = {}
        for _ in range(k):
            for col, v in next(results).items():
                out.setdefault(col, []).extend(v)
        yield d, out or _score_texts([], signals)  # an empty batch: empty columns


def _columns(con: Any, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = current_schema()",
        [table],
    ).fetchall()
    return {r[0] for r in rows}


def _older_tables(con: Any) -> str | None:
    """Why the score tables cannot be updated in place (missing, or written by an older hudong), else None."""
    for name in (TABLE, SIGNALS_TABLE):
        cols = _columns(con, name)
        if not cols:
            return f"no {name} table yet"
        if cols != set(S.TABLES[name].column_names):
            return f"{name} written by an older hudong"
    return None


def _version_case(column: str, lang: str, versions: dict[str, str], params: list) -> str:
    """``column`` differs from the version in use now for the row's language (NULL for unscored languages)."""
    if not versions:
        return f"{column} IS NOT NULL"
    whens = " ".join("WHEN ? THEN ?" for _ in versions)
    for k, v in versions.items():
        params += [k, v]
    return f"{column} IS DISTINCT FROM (CASE {lang} {whens} END)"


def _stale_sql(kind: str, summary: ScoreSummary, signals: bool) -> tuple[str, list]:
    """The texts of ``kind`` to score — never scored, edited since, or scored by another model than the one in use
    now — with ``replace`` (a stored row exists). One pass over the sources and the score tables."""
    params: list = []
    on = "{t}.platform = src.platform AND {t}.kind = '" + kind + "' AND {t}.id = src.id"
    joins = f"LEFT JOIN {TABLE} s ON {on.format(t='s')}"
    stale = [
        "s.id IS NULL",
        "s.text_hash IS DISTINCT FROM src.text_hash",
        _version_case("s.model_version", "s.lang", summary.model_versions, params),
    ]
    replace = "s.id IS NOT NULL"
    if signals:
        joins += f" LEFT JOIN {SIGNALS_TABLE} g ON {on.format(t='g')}"
        stale += [
            "g.id IS NULL",
            "g.text_hash IS DISTINCT FROM src.text_hash",
            _version_case("g.emotion_model_version", "g.lang", summary.signal_versions["emotion"], params),
            _version_case("g.toxicity_model_version", "g.lang", summary.signal_versions["toxicity"], params),
        ]
        replace += " OR g.id IS NOT NULL"
    sql = (
        f"SELECT src.platform, src.id, src.text, src.text_hash, ({replace}) AS replace FROM ({_SOURCES[kind]}) src "
        f"{joins} WHERE " + " OR ".join(f"({c})" for c in stale)
    )
    return sql, params


def _delete_keys(con: Any, keys: Any) -> None:
    """Delete the rows of ``keys`` (platform, kind, id) from both score tables."""
    con.register("_text_keys", keys)
    try:
        for name in (TABLE, SIGNALS_TABLE):
            con.execute(
                f'DELETE FROM "{name}" t USING _text_keys k WHERE t.platform = k.platform AND t.kind = k.kind '
                "AND t.id = k.id"
            )
    finally:
        con.unregister("_text_keys")


def _orphans(con: Any) -> tuple[Any, int]:
    """Keys (platform, kind, id) of the score rows whose post/interaction is gone or has no text any more, and how
    many of them are in text_sentiment. (An anti-join read, then a keyed delete: 5× faster than DELETE … NOT EXISTS
    when there is nothing to delete, the usual case.)"""
    import pyarrow as pa

    live = " UNION ALL ".join(_KEYS.values())
    found = [
        con.execute(
            f'SELECT t.platform, t.kind, t.id FROM "{name}" t ANTI JOIN ({live}) x '
            "ON x.platform = t.platform AND x.kind = t.kind AND x.id = t.id"
        ).to_arrow_table()
        for name in (TABLE, SIGNALS_TABLE)
    ]
    return pa.concat_tables(found), found[0].num_rows


@reads_workspace_text
def score_workspace(
    ws: Any, *, batch_size: int = 100_000, signals: bool = True, workers: int | None = None, full: bool = False,
    progress: Any = None,
) -> ScoreSummary:  # fmt: skip
    """Score the posts and interactions with text — sentiment into ``text_sentiment`` and (``signals``) emotion
    and toxicity into ``text_signals`` — and return counts and throughput.

    Incremental by default: only the texts never scored, edited since they were scored (``text_hash``) or scored
    by another model than the one in use now (``model_version``; the emotion and toxicity versions too with
    ``signals``) are scored; the other rows are kept (``unchanged``) and the rows of deleted posts/interactions
    (or of texts emptied since) are removed. ``full`` — or score tables missing or written by an older hudong, or
    rows to score plus rows to replace above ``FULL_SHARE`` of the texts — re-creates both tables and scores every
    text, the faster way then. The tables end the same either way (tests/test_text_incremental.py).
    ``signals=False`` leaves ``text_signals`` empty. The ``by_*`` counters and ``toxic`` count the rows scored by
    this run; ``ScoreSummary.full`` and ``reason`` say which path ran.

    One pass (each text's language detected once, each batch read once) and one transaction: the tables
    hold either the previous run or this one. ``workers`` > 1 scores in a process pool (chunks of 5,000 texts,
    the models in use copied to each worker); by default a pool of up to 4 (the cores) from 50,000 texts to
    score on — measured 1.81× on 2 cores (docs/text.md). ``progress`` (a ``hudong.progress.Step``) hears of the
    stages and of the texts scored.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from hudong.text import classifier, emotion, toxicity

    step = callback(progress)
    step("finding the texts to score")
    con = ws.con
    summary = ScoreSummary(model_versions=model_versions())
    if signals:
        summary.signal_versions = {"emotion": emotion.model_versions(), "toxicity": toxicity.model_versions()}
    t0 = time.perf_counter()
    pool = None
    try:
        with transaction(con):
            reason = "asked (full)" if full else _older_tables(con)
            todo: dict[str, Any] = {}
            if reason is None:
                total = sum(con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0] for sql in _SOURCES.values())
                for kind in _SOURCES:
                    sql, params = _stale_sql(kind, summary, signals)
                    todo[kind] = con.execute(sql, params).to_arrow_table()
                n = sum(t.num_rows for t in todo.values())
                replace = sum(pc.sum(t["replace"]).as_py() or 0 for t in todo.values())
                if n and n + replace > FULL_SHARE * total:
                    reason = f"{n:,} of {total:,} texts to score"
            if reason is not None:
                summary.reason = reason
                for name in (TABLE, SIGNALS_TABLE):  # drop and re-create: deleting 200k keyed rows took 14 s, this 0.1 s
                    con.execute(f'DROP TABLE IF EXISTS "{name}"')
                    con.execute(S.ddl(S.TABLES[name]))
                n = sum(con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0] for sql in _SOURCES.values())
                # read before writing on this connection
                batches = {kind: list(con.execute(sql).to_arrow_reader(batch_size)) for kind, sql in _SOURCES.items()}
            else:
                summary.full = False
                summary.unchanged = total - n
                if not signals:  # as a full run leaves it
                    con.execute(f'DROP TABLE IF EXISTS "{SIGNALS_TABLE}"')
                    con.execute(S.ddl(S.TABLES[SIGNALS_TABLE]))
                orphans, summary.removed = _orphans(con)
                stale = [(kind, t.filter(t["replace"]).select(["platform", "id"])) for kind, t in todo.items()]
                stale = [t.add_column(1, "kind", pa.array([kind] * t.num_rows, pa.string())) for kind, t in stale]
                gone = pa.concat_tables([orphans, *stale])  # removed, and rescored: deleted here, inserted below
                if gone.num_rows:
                    _delete_keys(con, gone)
                batches = {kind: t.drop_columns(["replace"]).to_batches(batch_size) for kind, t in todo.items()}
            if workers is None:
                workers = _default_workers(n)
            summary.workers = max(workers, 1) if n else 1
            if workers > 1 and n:
                import multiprocessing as mp
                from concurrent.futures import ProcessPoolExecutor

                # forkserver, not fork: the parent holds DuckDB's threads and an open database file
                pool = ProcessPoolExecutor(
                    workers, mp.get_context("forkserver"), initializer=_install_models,
                    initargs=(classifier.models_in_use(), max_chars()),
                )  # fmt: skip
            step("scoring texts", total=n)
            for kind, kind_batches in batches.items():
                for d, cols in _scored_batches(pool, kind_batches, signals):
                    n = len(cols["lang"])
                    keys = {
                        "platform": d["platform"],
                        "kind": [kind] * n,
                        "id": [str(x) for x in d["id"]],
                        "lang": cols["lang"],
                        "text_hash": pa.array(d["text_hash"], pa.int64()),
                    }
                    _insert(
                        con,
                        TABLE,
                        pa.table(
                            {
                                **keys,
                                "polarity": pa.array(cols["polarity"], pa.string()),
                                "score": pa.array(cols["score"], pa.float64()),
                                "model_version": pa.array(cols["model_version"], pa.string()),
                            }
                        ),
                    )
                    if signals:
                        _insert(
                            con,
                            SIGNALS_TABLE,
                            pa.table(
                                {
                                    **keys,
                                    "emotion": pa.array(cols["emotion"], pa.string()),
                                    "emotion_score": pa.array(cols["emotion_score"], pa.float64()),
                                    "emotion_model_version": pa.array(cols["emotion_model_version"], pa.string()),
                                    "toxicity": pa.array(cols["toxicity"], pa.float64()),
                                    "toxic": pa.array(cols["toxic"], pa.bool_()),
                                    "toxicity_model_version": pa.array(cols["toxicity_model_version"], pa.string()),
                                }
                            ),
                        )
                        summary.by_emotion.update(cols["emotion"])
                        summary.toxic += sum(bool(x) for x in cols["toxic"])
                    summary.rows += n
                    summary.by_kind[kind] += n
                    summary.by_lang.update(cols["lang"])
                    summary.by_polarity.update(cols["polarity"])
                    step(advance=n)
            step("writing the scores")
    finally:
        if pool is not None:
            pool.shutdown()
    summary.seconds = time.perf_counter() - t0
    return summary


def has_scores(con: Any) -> bool:
    """True when ``hudong text sentiment`` has scored this workspace (the table has rows)."""
    return bool(con.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})").fetchone()[0])
