"""Operator labels in the inbox: the training data of domain adaptation (``hudong text train --from-inbox``).

An operator who may act in the inbox (responder, analyst, admin) sets an inbound message's sentiment label
(positive / neutral / negative), emotion label or toxicity label (ok / toxic) — the label sets
``hudong.text.adapt`` trains on. Emotion labels are those of the emotion model of the message's language
(``adapt.label_set("emotion", lang)``): a Chinese message gets the six Weibo classes (neutral, happy, angry,
sad, fear, surprise), an English one the TweetEval classes (neutral, happy, angry, sad); a message in a
language without models gets all six (it is kept, but not trained on).
The current label per message and task is kept in ``text_labels`` (declared in ``store/schema.py``
APP_TABLES: message, task, label, the text and its language, who, when); labelling again replaces it, and every
labelling is also appended to ``inbox_actions`` (action ``label``, note ``task=label``) through
``inbox.record_action``, so the item's history shows who labelled what, when.

Next to the control the inbox shows the model's current prediction: the workspace's adapted model when it has
one (``adapt.workspace_model``), else the shipped model — the operator confirms or corrects it.

    from hudong.inbox import labels
    labels.set_label(ws, "weibo:123", "sentiment", "negative", "rita")
    labels.set_label(ws, "weibo:123", "emotion", "angry", "rita")
    texts, ys, langs = labels.training_data(ws, "sentiment")   # what `text train --from-inbox` trains on
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np

from hudong.analyses.context import models_dir
from hudong.errors import HudongError
from hudong.inbox import items as inbox
from hudong.store import schema as S
from hudong.store.workspace import has_table, transaction
from hudong.text import adapt, domain
from hudong.text.classifier import LANGS
from hudong.text.domain import LOW_COVERAGE
from hudong.text.emotion import EMOTIONS
from hudong.text.tokenize import detect_lang

TABLE = "text_labels"
TASKS = ("sentiment", "emotion", "toxicity")  # the tasks labelled in the inbox (= adapt.TASKS)
DDL = (S.ddl(S.APP_TABLES[TABLE]),)  # declared in store/schema.py


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


def choices(task: str, lang: str | None = None) -> tuple[str, ...]:
    """The labels of ``task`` for a message in ``lang``, in the order the inbox offers them (sentiment: positive,
    neutral, negative; emotion: that language's model classes in ``EMOTIONS`` order; without ``lang``: every
    label of the task)."""
    if task not in TASKS:
        raise HudongError(f"unknown label task {task!r}; tasks: {', '.join(TASKS)}")
    allowed = adapt.label_set(task, lang)
    order = ("positive", "neutral", "negative", "ok", "toxic", *EMOTIONS)
    return tuple(sorted(allowed, key=lambda c: order.index(c) if c in order else len(order)))


def offered(texts: Sequence[str | None]) -> list[dict[str, tuple[str, ...]]]:
    """Per text, ``{task: choices}`` for its detected language (what the inbox's pickers offer)."""
    langs = [detect_lang((t or "").strip()) for t in texts]
    per_lang = {lg: {task: choices(task, lg) for task in TASKS} for lg in set(langs)}
    return [per_lang[lg] for lg in langs]


def _message_text(ws: Any, item: str) -> tuple[str, str, str]:
    m = inbox.message(ws, item)
    return m["platform"], m["interaction_id"], m["text"]


def set_label(
    ws: Any, item: str, task: str, label: str, by_user: str, *, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Label inbound message ``item`` (``PLATFORM:INTERACTION_ID``) for ``task``, replacing its current label of
    that task; the labelling is recorded in the item's history. HudongError for an unknown task or label or a
    message without text, LookupError for an unknown message."""
    allowed = choices(task)
    if label not in allowed:
        raise HudongError(f"{task} label must be one of: {', '.join(allowed)}; got {label!r}")
    platform, iid, text = _message_text(ws, item)
    if not text:
        raise HudongError(f"message {item!r} has no text to label")

    lang = detect_lang(text)
    allowed = choices(task, lang)
    if label not in allowed:  # emotion: the classes of the message language's model
        raise HudongError(
            f"{task} label of {item} (language {lang}) must be one of: {', '.join(allowed)} (the {lang} model's "
            f"classes); got {label!r}"
        )
    at = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con = ws.con
    ensure_tables(con)
    prev = con.execute(
        f"SELECT label FROM {TABLE} WHERE platform = ? AND interaction_id = ? AND task = ?", [platform, iid, task]
    ).fetchone()
    with transaction(con):
        inbox.record_action(ws, item, inbox.LABEL_ACTION, by_user, label=(task, label), at=at)
        con.execute(
            f"INSERT OR REPLACE INTO {TABLE} (platform, interaction_id, task, label, text, lang, by_user, labelled_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [platform, iid, task, label, text, lang, by_user, at],
        )
    return {
        "id": item,
        "task": task,
        "label": label,
        "previous": prev[0] if prev else None,
        "lang": lang,
        "by": by_user,
        "at": at.isoformat(),
    }


def current(ws: Any, items: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{item: {task: {"label", "by", "at"}}}`` for the labelled ones among ``items``."""
    if not items or not has_table(ws.con, TABLE):
        return {}
    rows = ws.con.execute(
        f"SELECT platform || ':' || interaction_id, task, label, by_user, labelled_at FROM {TABLE} "
        "WHERE list_contains(?, platform || ':' || interaction_id)",
        [list(items)],
    ).fetchall()
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for item, task, label, by, at in rows:
        out.setdefault(item, {})[task] = {"label": label, "by": by, "at": at.isoformat()}
    return out


def predictions(ws: Any, texts: Sequence[str | None]) -> list[dict[str, dict[str, Any] | None]]:
    """Per text, ``{task: {"label", "model_version"}}`` from the model the workspace uses now (its adapted one,
    else the shipped one); None for a task when the text is empty or in a language without models. The sentiment
    prediction also carries the text's ``coverage`` and ``unfamiliar`` (coverage below ``domain.LOW_COVERAGE``:
    the model knows few of its words — the bound is set for the sentiment models, whose vocabularies are the
    workspace-wide check's)."""
    clean = [(t or "").strip() for t in texts]
    langs = [detect_lang(t) if t else None for t in clean]
    out: list[dict[str, dict[str, Any] | None]] = [dict.fromkeys(TASKS) for _ in clean]
    for lg in sorted({lg for lg in langs if lg in LANGS}):
        idx = [i for i, x in enumerate(langs) if x == lg]
        xs = [clean[i] for i in idx]
        for task in TASKS:
            model = adapt.workspace_model(models_dir(ws), task, lg)
            pred = model.scores(xs)[1] if hasattr(model, "scores") else model.predict(xs)
            for i, p in zip(idx, pred, strict=True):
                out[i][task] = {"label": p, "model_version": model.version}
            if task == "sentiment":
                for i, c in zip(idx, domain.coverage(model, xs), strict=True):
                    known = None if np.isnan(c) else float(c)
                    out[i][task] |= {"coverage": known, "unfamiliar": known is not None and known < LOW_COVERAGE[lg]}
    return out


def item_labels(ws: Any, item: str) -> dict[str, Any]:
    """One item's labels, the model's current predictions and the labels offered per task (LookupError for an
    unknown message)."""
    _, _, text = _message_text(ws, item)
    return {
        "id": item,
        "labels": current(ws, [item]).get(item, {}),
        "predicted": predictions(ws, [text])[0],
        "choices": {task: list(c) for task, c in offered([text])[0].items()},
    }


def training_data(ws: Any, task: str) -> tuple[list[str], list[str], list[str | None]]:
    """(texts, labels, langs) of the workspace's inbox labels for ``task`` — the arguments of ``adapt.train``."""
    if not has_table(ws.con, TABLE):
        return [], [], []
    rows = ws.con.execute(
        f"SELECT text, label, lang FROM {TABLE} WHERE task = ? ORDER BY platform, interaction_id", [task]
    ).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def counts_by_lang(langs: Sequence[str | None], labels: Sequence[str]) -> dict[str, Counter]:
    """``{lang: Counter(label)}`` (for the too-few-labels message)."""
    out: dict[str, Counter] = {}
    for lg, lb in zip(langs, labels, strict=True):
        out.setdefault(lg or "?", Counter())[lb] += 1
    return out
