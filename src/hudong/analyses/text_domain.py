"""Do the sentiment models fit this workspace's texts? (``hudong text domain``, the report, the web overview.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from hudong.analyses.adaptation import workspace_texts
from hudong.analyses.base import Result, analysis
from hudong.text import adapt, domain
from hudong.text.classifier import LANGS, by_language
from hudong.text.sentiment import load_model


@dataclass(frozen=True)
class DomainParams:
    sample: int = 5_000  # distinct texts judged (a seeded sample of the posts and comments)


@analysis("text_domain", "文本模型适用性", "Do the text models fit these texts?", tables=("posts", "interactions"),
          params=DomainParams, steps=1)  # fmt: skip
def text_domain(ws: Any, p: DomainParams, step: Any) -> Result:
    """Frame ``languages`` (lang, model_version, adapted, texts, low_coverage, low_share, median_coverage, warn):
    per language with a model, how many of a sample of the workspace's texts the sentiment model in use covers
    poorly (``hudong.text.domain``). Values: ``warn`` (any language out of domain), ``langs_warned``."""
    step("judging a sample of the texts")
    texts = workspace_texts(ws, limit=p.sample)
    _, at = by_language(texts)
    by_lang = {lg: [texts[i] for i in ix] for lg, ix in at.items()}
    rows = []
    for lg in LANGS:
        if not by_lang.get(lg):
            continue
        model = load_model(lg)
        c = domain.check(model, by_lang[lg])
        rows.append({"lang": lg, "model_version": c.model_version,
                     "adapted": c.model_version != adapt.shipped_model("sentiment", lg).version, "texts": c.texts,
                     "low_coverage": c.low_coverage, "low_share": c.low_share, "median_coverage": c.median_coverage,
                     "warn": c.warn})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["lang", "model_version", "adapted", "texts", "low_coverage", "low_share",
                                        "median_coverage", "warn"])  # fmt: skip
    warned = [r["lang"] for r in rows if r["warn"]]
    return Result({"languages": frame}, {"warn": bool(warned), "langs_warned": warned})
