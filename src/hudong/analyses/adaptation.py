"""Adapt a workspace's text models to its own texts without labels (``hudong text adapt``), or give it a
transformer model of its own (``hudong text onnx``).

    from hudong.analyses.adaptation import adapt_to_workspace, use_onnx
    results = adapt_to_workspace(ws, limit=100_000)      # one AdaptResult per task and language (hudong.text.adapt)
    use_onnx(ws, "models/roberta-sentiment", task="sentiment", lang="en")

Reads up to ``limit`` distinct texts of the workspace's posts and comments (a seeded random sample when there are
more) and runs ``hudong.text.adapt_unlabeled`` inside the workspace's text settings; the adapted model is saved
with the workspace's models and used by every analysis from then on (``hudong text score`` rescores).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hudong.analyses.context import models_dir, workspace_text
from hudong.text import adapt, adapt_unlabeled
from hudong.text.classifier import by_language
from hudong.text.tokenize import detect_lang

_TEXTS = """
SELECT text FROM (
  SELECT DISTINCT text FROM (
    SELECT text FROM posts WHERE text IS NOT NULL AND trim(text) <> ''
    UNION ALL
    SELECT text FROM interactions WHERE text IS NOT NULL AND trim(text) <> ''
  )
) ORDER BY hash(text || ?) LIMIT ?
"""


def workspace_texts(ws: Any, *, limit: int = 100_000, seed: int = 0) -> list[str]:
    """Up to ``limit`` distinct texts of the workspace's posts and interactions; which ones is seeded and
    independent of the storage order (ordered by a hash of text and seed)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    return [r[0] for r in ws.con.execute(_TEXTS, [str(seed), limit]).fetchall()]


def adapt_to_workspace(
    ws: Any,
    *,
    limit: int = 100_000,
    seed: int = 0,
    labelled: tuple[Sequence[str], Sequence[str], Sequence[str | None]] | None = None,
    labelled_emotion: tuple[Sequence[str], Sequence[str], Sequence[str | None]] | None = None,
) -> list[adapt.AdaptResult]:
    """Adapt the sentiment model of each language to ``workspace_texts``, then give the zh emotion lexicon its
    polarity back-off (``adapt_unlabeled.adapt_emotion``); ``labelled`` / ``labelled_emotion`` = (texts, labels,
    langs) the workspace's own sentiment / emotion labels (e.g. the inbox's), used only as checks."""
    with workspace_text(ws):
        texts = workspace_texts(ws, limit=limit, seed=seed)
        langs = [detect_lang(t) for t in texts]  # once, for both steps
        results = adapt_unlabeled.adapt_texts(models_dir(ws), texts, seed=seed, labelled=_by_language(labelled),
                                              langs=langs)  # fmt: skip
        zh = [t for t, lg in zip(texts, langs, strict=True) if lg == "zh"]
        if zh:
            results.append(adapt_unlabeled.adapt_emotion(models_dir(ws), zh, seed=seed,
                                                         labelled=_by_language(labelled_emotion).get("zh")))
        return results


def _by_language(labelled: tuple[Sequence[str], Sequence[str], Sequence[str | None]] | None
                 ) -> dict[str, adapt_unlabeled.Labelled]:  # fmt: skip
    if labelled is None or not len(labelled[0]):
        return {}
    xs, ys, given = labelled
    _, at = by_language(xs, langs=[lg or detect_lang(t) for t, lg in zip(xs, given, strict=True)])
    return {lg: adapt_unlabeled.Labelled([xs[i] for i in ix], [ys[i] for i in ix]) for lg, ix in at.items()}


def _rate(model: Any, texts: list[str]) -> float | None:
    """Texts per second of ``model.proba`` on ``texts`` (None without texts)."""
    if not texts:
        return None
    t0 = time.perf_counter()
    model.proba(texts)
    return len(texts) / max(time.perf_counter() - t0, 1e-9)


def use_onnx(
    ws: Any,
    directory: str | Path,
    *,
    task: str,
    lang: str,
    labels: dict[str, str] | None = None,
    sample: int = 500,
    labelled: tuple[Sequence[str], Sequence[str], Sequence[str | None]] | None = None,
) -> adapt.AdaptResult:
    """From now on ``task`` scores ``lang`` texts of this workspace with the ONNX model in ``directory``
    (``hudong.text.onnx_model``; ``labels`` maps its label names to the task's classes). Before it is recorded the
    model is loaded and run; its throughput is measured next to the model in use on up to ``sample`` of the
    workspace's texts in ``lang`` (``details["texts_per_second"]``), and where the workspace has labels of the task
    (``labelled``) both are scored on them (``before`` / ``after``)."""
    model = adapt.load_onnx(directory, task, lang, labels)
    with workspace_text(ws):
        current = adapt.workspace_model(models_dir(ws), task, lang)
        pool = workspace_texts(ws, limit=sample * 5)
        texts = [t for t in pool if detect_lang(t) == lang][:sample]
        speed = {current.version: _rate(current, texts), model.version: _rate(model, texts)}
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        n = 0
        if labelled is not None:
            xs, ys, given = labelled
            mine = [i for i, (t, lg) in enumerate(zip(xs, given, strict=True)) if (lg or detect_lang(t)) == lang]
            if mine:
                gold, held = [ys[i] for i in mine], [xs[i] for i in mine]
                before, after, n = adapt.scores(gold, current.predict(held)), adapt.scores(gold, model.predict(held)), len(mine)
        res = adapt.AdaptResult(task, lang, 0, n, current.version, model.version, before, after, "", method="onnx",
                                details={"labels": dict(labels or {}), "texts_per_second": speed,
                                         "timed_on": len(texts), "classes": list(model.classes)})  # fmt: skip
        return adapt.record(models_dir(ws), adapt.manifest(models_dir(ws)), model, res)
