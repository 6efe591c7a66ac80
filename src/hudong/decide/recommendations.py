"""Recommendations (seed FAQ 2 and text), each fired by conditions on evidence and citing that evidence.

Rules live in ``recommendations.toml``. ``recommend(values, context)`` is pure; ``recommend_for(card)``
applies it to a built scorecard.
"""

from __future__ import annotations

import operator
import tomllib
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from hudong.i18n import platform_name

from . import evidence as E
from .evidence import Value
from .rules import load_rules

if TYPE_CHECKING:  # the scorecard renders recommendations; only its type is needed here
    from .scorecard import Scorecard

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class Condition:
    evidence: str
    op: str  # one of OPS or "missing"
    value: float | None = None


@dataclass(frozen=True)
class RecommendationRule:
    id: str
    priority: int
    conditions: tuple[Condition, ...]
    require_all: bool
    zh: str
    en: str


@dataclass
class Citation:
    """The evidence that fired a recommendation."""

    evidence: str
    metric: str
    label_zh: str
    label_en: str
    value: float | None  # None when the condition is "missing"
    op: str
    threshold: float | None
    benchmark_zh: str = ""
    benchmark_en: str = ""
    source: str = ""
    source_zh: str = ""
    reason_zh: str = ""  # why it is missing, for "missing" conditions
    reason_en: str = ""


@dataclass
class Recommendation:
    id: str
    priority: int  # 1 high, 2 medium, 3 low
    text_zh: str
    text_en: str
    evidence: list[Citation] = field(default_factory=list)

    def text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" else self.text_en

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def load_recommendation_rules() -> tuple[RecommendationRule, ...]:
    data = tomllib.loads(resources.files("hudong.decide").joinpath("recommendations.toml").read_text("utf-8"))
    out = []
    for r in data["recommendation"]:
        conds = r.get("all") or r.get("any") or []
        parsed = []
        for c in conds:
            if c["op"] not in OPS and c["op"] != "missing":
                raise ValueError(f"recommendations.toml: {r['id']}: unknown op {c['op']!r}")
            parsed.append(Condition(c["evidence"], c["op"], float(c["value"]) if "value" in c else None))
        out.append(RecommendationRule(r["id"], int(r["priority"]), tuple(parsed), "all" in r, r["zh"], r["en"]))
    return tuple(out)


def _labels(key: str) -> dict[str, Any]:
    try:
        rule = load_rules().evidence_rule(key)
    except KeyError:
        labels = {"active_platforms": ("有自有帖子的平台数", "Platforms with own posts")}
        zh, en = labels.get(key, (key, key))
        return {"metric": "posts" if key == "active_platforms" else key, "label_zh": zh, "label_en": en}
    return {
        "metric": rule.metric,
        "label_zh": rule.zh,
        "label_en": rule.en,
        "benchmark_zh": rule.benchmark_zh,
        "benchmark_en": rule.benchmark_en,
        "source": rule.source,
        "source_zh": rule.source_zh,
    }


def _check(cond: Condition, value: Value) -> Citation | None:
    """The citation if the condition holds on ``value``, else None. Unknown values never fire comparisons."""
    if cond.op == "missing":
        if isinstance(value, E.Missing) or value is None:
            zh = value.zh if isinstance(value, E.Missing) else "没有数据"
            en = value.en if isinstance(value, E.Missing) else "no data"
            return Citation(
                cond.evidence,
                value=None,
                op="missing",
                threshold=None,
                reason_zh=zh,
                reason_en=en,
                **_labels(cond.evidence),
            )
        return None
    if isinstance(value, E.Missing) or value is None:
        return None
    x = float(value.value if isinstance(value, E.Observation) else value)
    if not E._finite(x) or not OPS[cond.op](x, cond.value):
        return None
    return Citation(cond.evidence, value=x, op=cond.op, threshold=cond.value, **_labels(cond.evidence))


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def recommend(
    values: dict[str, Value],
    context: dict[str, Any] | None = None,
    rules: tuple[RecommendationRule, ...] | None = None,
) -> list[Recommendation]:
    """Recommendations whose conditions hold, highest priority first, each with the evidence that fired it."""
    context = context or {}
    tops = context.get("top_platforms", [])
    merged: dict[str, Value] = {**{k: v for k, v in context.items() if isinstance(v, int | float)}, **values}
    fill = _Blank(
        top_platforms="、".join(platform_name(p, "zh") for p in tops) or "—",
        best_hours=", ".join(str(h) for h in context.get("best_hours", [])) or "—",
    )
    fill_en = _Blank(fill, top_platforms=", ".join(platform_name(p, "en") for p in tops) or "—")
    out = []
    for rule in rules or load_recommendation_rules():
        cites = [c for c in (_check(cond, merged.get(cond.evidence)) for cond in rule.conditions) if c]
        fired = len(cites) == len(rule.conditions) if rule.require_all else bool(cites)
        if fired:
            out.append(
                Recommendation(rule.id, rule.priority, rule.zh.format_map(fill), rule.en.format_map(fill_en), cites)
            )
    return sorted(out, key=lambda r: r.priority)


def values_of(card: Scorecard) -> dict[str, Value]:
    """The scorecard's evidence back as values: computed numbers and Missing reasons."""
    values: dict[str, Value] = {}
    for d in card.dimensions:
        for e in d.evidence:
            values[e.key] = E.Observation(e.value, e.details)
        for m in d.missing:
            values[m.key] = E.Missing(m.reason_zh, m.reason_en)
    return values


def recommend_for(card: Scorecard) -> list[Recommendation]:
    return recommend(values_of(card), card.context)
