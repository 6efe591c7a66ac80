"""Adapt a workspace's text models to its own texts without labels (``hudong text adapt``).

    from hudong.analyses.adaptation import adapt_to_workspace
    results = adapt_to_workspace(ws, limit=100_000)      # one AdaptResult per language (hudong.text.adapt)

Reads up to ``limit`` distinct texts of the workspace's posts and comments (a seeded random sample when there are
more) and runs ``hudong.text.adapt_unlabeled`` inside the workspace's text settings; the adapted model is saved
with the workspace's models and used by every analysis from then on (``hudong text score`` rescores).
"""

from __future__ import annotations

from collections.abc import Sequence
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
) -> list[adapt.AdaptResult]:
    """Adapt the sentiment model of each language to ``workspace_texts``; ``labelled`` = (texts, labels, langs) the
    workspace's own labels (e.g. the inbox's), used only as a check (``adapt_unlabeled``)."""
    by_lang: dict[str, adapt_unlabeled.Labelled] = {}
    if labelled is not None:
        xs, ys, given = labelled
        _, at = by_language(xs, langs=[lg or detect_lang(t) for t, lg in zip(xs, given, strict=True)])
        by_lang = {lg: adapt_unlabeled.Labelled([xs[i] for i in ix], [ys[i] for i in ix]) for lg, ix in at.items()}
    with workspace_text(ws):
        texts = workspace_texts(ws, limit=limit, seed=seed)
        return adapt_unlabeled.adapt_texts(models_dir(ws), texts, seed=seed, labelled=by_lang)
