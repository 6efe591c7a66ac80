"""The stored text scores of a workspace: sentiment into ``text_sentiment``, emotion and toxicity into
``text_signals`` — written after every import (``import_and_score``) and by ``hudong text score``; read by the
sentiment metrics, the inbox and the text analyses.

    from hudong.analyses.scoring import import_and_score, score_workspace
    score_workspace(ws)                         # incremental: only new, edited or re-modelled texts
    import_and_score(ws, "export.csv", "weibo") # one import, then its texts scored: CLI, web upload, demo, sync

Scores come from the models in use for the workspace (its adapted ones, else the shipped ones) and read each
text cut to its analysed length: both from ``hudong.analyses.context.workspace_text``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from hudong.analyses.adaptation import adapt_to_workspace
from hudong.analyses.context import reads_workspace_text
from hudong.errors import HudongError
from hudong.ingest import import_file
from hudong.progress import callback
from hudong.store import schema as S
from hudong.store.workspace import transaction
from hudong.text import classifier, emotion, toxicity
from hudong.text.domain import LOW_COVERAGE
from hudong.text.sentiment import SIGNALS_TABLE, TABLE, model_versions, predict
from hudong.text.tokenize import detect_lang, max_chars, set_max_chars_in_worker


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
    outside_domain: Counter = field(default_factory=Counter)  # lang → rows below the model's LOW_COVERAGE
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
    return min(os.cpu_count() or 1, 4) if rows >= POOL_MIN_ROWS else 1


def _install_models(models: dict, max_chars: int) -> None:
    """Pool initializer: the models in use in the parent (shipped or the workspace's adapted ones) and its analysed
    length become this worker's, so every process scores as the parent would."""
    classifier.use_models_in_worker(models)
    set_max_chars_in_worker(max_chars)


def _score_texts(texts: list[str], signals: bool) -> dict[str, list]:
    """Language, sentiment and (``signals``) emotion and toxicity of each text, as columns."""
    langs = [detect_lang(t) for t in texts]
    res = predict(texts, langs=langs)
    cols: dict[str, list] = {
        "lang": langs,
        "polarity": [r.polarity for r in res],
        "score": [r.score for r in res],
        "coverage": [r.coverage for r in res],
        "model_version": [r.model_version for r in res],
    }
    if signals:
        emo = emotion.predict(texts, langs=langs, sentiments=res)
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
                                "coverage": pa.array(cols["coverage"], pa.float64()),
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
                    summary.outside_domain.update(lg for lg, c in zip(cols["lang"], cols["coverage"], strict=True)
                                                  if c is not None and c < LOW_COVERAGE[lg])  # fmt: skip
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


# ---- import, then score -----------------------------------------------------------------------------
@dataclass
class ImportResult:
    """What ``import_and_score`` did: one import summary per file, then the scoring of the texts they brought
    (``scored`` None when no text changed or scoring was off; ``score_error`` when it failed — the imports
    stand, and the next ``hudong text score`` catches up)."""

    summaries: list[Any] = field(default_factory=list)
    scored: ScoreSummary | None = None
    score_error: str = ""
    adapted: list[Any] = field(default_factory=list)  # ``[text] adapt_after_import``: the AdaptResults
    adapt_error: str = ""


def texts_changed(summary: Any) -> bool:
    """Whether an import stored or updated posts or interactions (so there may be texts to score)."""
    return any(c.stored or c.updated for t, c in summary.tables.items() if t in ("posts", "interactions"))


def adapt_after_import(ws: Any) -> int:
    """``[text] adapt_after_import`` of hudong.toml: adapt the sentiment model to the workspace's texts
    (``hudong text adapt``) after an import that stored at least this many new posts and interactions; 0 = never
    (the default: adapting is the workspace's choice)."""
    value = ws.setting("text.adapt_after_import", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HudongError(f"hudong.toml [text] adapt_after_import must be a whole number ≥ 0 (0 = off), got {value!r}")
    return value


def _adapt_after_import(ws: Any, out: ImportResult, threshold: int) -> None:
    new = sum(c.stored for s in out.summaries for t, c in s.tables.items() if t in ("posts", "interactions"))
    if not threshold or new < threshold:
        return
    try:
        out.adapted = adapt_to_workspace(ws)
    except Exception as e:  # noqa: BLE001 - reported with the result; the imports stand, the old model stays
        out.adapt_error = f"{type(e).__name__}: {e}"


def import_and_score(ws: Any, files: Any, *, score: bool = True, full: bool = False,
                     on_file: Callable[[Any, Any], None] | None = None,
                     before_scoring: Callable[[], None] | None = None, **import_kw: Any) -> ImportResult:
    """Import ``files`` ((path, format) pairs) one after the other (``hudong.ingest.import_file``, each its own
    transaction), then — with ``score`` and when texts changed — adapt the sentiment model when the workspace
    opted in (``adapt_after_import``) and score the new and edited texts once
    (``score_workspace``; ``full`` rescores everything, the faster way right after a first import). The one
    path every front end takes: ``hudong import``, the web upload, ``hudong demo``, ``hudong sync``.
    ``on_file(path, summary)`` hears of each file as it is done, ``before_scoring()`` of the scoring about to
    start; ``import_kw`` (progress, on_progress, limits …) goes to ``import_file``."""
    out = ImportResult()
    threshold = adapt_after_import(ws)  # a bad setting is an error before anything is imported
    for path, fmt in files:
        summary = import_file(ws, path, fmt, **import_kw)
        out.summaries.append(summary)
        if on_file is not None:
            on_file(path, summary)
    if score and any(texts_changed(s) for s in out.summaries):
        _adapt_after_import(ws, out, threshold)
        if before_scoring is not None:
            before_scoring()
        try:
            out.scored = score_workspace(ws, full=full)
        except Exception as e:  # noqa: BLE001 - reported with the result; the imports stand
            out.score_error = f"{type(e).__name__}: {e}"
    return out
