"""The social-media maturity scorecard: five dimensions (seed FAQ 1), each 0–100 with its evidence.

Scoring is pure arithmetic on a dict of evidence values (``score(values)``), so it is testable without
data; ``build_scorecard`` fetches the values from the workspace (``hudong.decide.evidence``) and the
self-assessment file. Rules, benchmarks and mappings live in ``rules.toml``; docs/scorecard.md explains them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hudong.analyses import Result, analysis
from hudong.fmt import evidence_value
from hudong.i18n import t

from . import evidence as E
from .recommendations import recommend_for
from .rules import DimensionRule, EvidenceRule, Rules, load_rules
from .self_assessment import read_answers, resolve_path

Value = E.Value


@dataclass
class EvidenceScore:
    key: str
    metric: str
    label_zh: str
    label_en: str
    value: float
    unit: str
    points: float
    weight: float
    benchmark_zh: str
    benchmark_en: str
    source: str
    source_zh: str
    assumption: bool
    mapping: list[list[float]]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class MissingEvidence:
    key: str
    metric: str
    label_zh: str
    label_en: str
    weight: float
    reason_zh: str
    reason_en: str
    how_zh: str = ""  # how to supply what is missing (a requirement of rules.toml), when known
    how_en: str = ""
    requirement: str | None = None  # the key of that requirement

    def reason(self, lang: str) -> str:
        return self.reason_zh if lang == "zh" else self.reason_en

    def how(self, lang: str) -> str:
        return self.how_zh if lang == "zh" else self.how_en


@dataclass
class Dimension:
    key: str
    label_zh: str
    label_en: str
    what_zh: str
    what_en: str
    score: float | None  # None = not scorable (coverage below the minimum)
    coverage: float  # weight of computed evidence / weight of all evidence, 0–1
    evidence: list[EvidenceScore]
    missing: list[MissingEvidence]

    @property
    def scorable(self) -> bool:
        return self.score is not None

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class Scorecard:
    dimensions: list[Dimension]
    overall: float | None  # mean of the scorable dimensions; None when no dimension is scorable or evidence is insufficient
    coverage: float  # mean coverage over the five dimensions
    level_zh: str | None
    level_en: str | None
    insufficient_evidence: bool = False  # coverage below min_overall_coverage: no overall score and no level
    min_overall_coverage: float = 0.0
    brand: str = ""
    start: str | None = None
    end: str | None = None
    self_assessment: str | None = None
    generated_at: str = ""
    rules_version: int = 1
    profile: str = "brand"  # whom the organization serves: brand, or public (citizens; no commerce evidence)
    values: dict[str, float] = field(default_factory=dict)  # every computed evidence value, by key
    context: dict[str, Any] = field(default_factory=dict)  # facts recommendations quote (active platforms …)

    def dimension(self, key: str) -> Dimension:
        for d in self.dimensions:
            if d.key == key:
                return d
        raise KeyError(key)

    @property
    def missing(self) -> list[MissingEvidence]:
        return [m for d in self.dimensions for m in d.missing]

    def evidence(self, key: str) -> EvidenceScore | None:
        for d in self.dimensions:
            for e in d.evidence:
                if e.key == key:
                    return e
        return None

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    def to_json(self, **kw: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **{"indent": 2, **kw})

    def to_text(self, lang: str = "zh") -> str:
        """A terminal summary: dimensions with bars, evidence points, missing evidence and top recommendations."""
        def pad(text: str, width: int) -> str:  # CJK characters take two terminal columns
            used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
            return text + " " * max(1, width - used)

        zh = lang == "zh"
        level = (self.level_zh if zh else self.level_en) or "—"
        overall = "—" if self.overall is None else f"{self.overall:.0f}/100"
        head = "社会化媒体成熟度" if zh else "Social-media maturity"
        cov = "证据覆盖率" if zh else "evidence coverage"
        if self.insufficient_evidence:
            note = t("insufficient_note", lang, cov=f"{self.coverage:.0%}", min=f"{self.min_overall_coverage:.0%}")
            lines = [f"{self.brand or ''} {head}: {t('insufficient', lang)} · {note}".strip()]
        else:
            lines = [f"{self.brand or ''} {head}: {overall} ({level}) · {cov} {self.coverage:.0%}".strip()]
        for d in self.dimensions:
            bar = "█" * round((d.score or 0) / 10) + "░" * (10 - round((d.score or 0) / 10))
            score = "  —" if d.score is None else f"{d.score:3.0f}"
            lines.append(f"  {pad(d.label(lang), 24)}{score}  {bar}  {cov} {d.coverage:.0%}")
            for e in d.evidence:
                label = e.label_zh if zh else e.label_en
                lines.append(f"      · {label}: {evidence_value(e.value, e.unit, lang)} → {e.points:.0f}")
        if self.missing:
            lines.append(("缺失证据" if zh else "Missing evidence") + f": {len(self.missing)}")
            for m in self.missing:
                if not m.key.startswith("self."):
                    lines.append(f"      · {m.label_zh if zh else m.label_en}: {m.reason(lang)}")
            lines.append("补齐方法见 `hudong status`" if zh else "How to supply them: `hudong status`")
        recs = recommend_for(self)[:3]
        if recs:
            lines.append("建议" if zh else "Recommendations")
            lines += [f"  {i}. {r.text(lang)}" for i, r in enumerate(recs, 1)]
        return "\n".join(lines)


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple | set):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if hasattr(x, "item") and not isinstance(x, str):  # numpy scalars
        return _jsonable(x.item())
    if isinstance(x, dt.date | dt.datetime):
        return x.isoformat()
    return x


# ---- pure scoring -------------------------------------------------------------------------------


def _missing(rule: EvidenceRule, zh: str, en: str, why: E.Missing | None = None) -> MissingEvidence:
    how = {"how_zh": why.how_zh, "how_en": why.how_en, "requirement": why.requirement} if why is not None else {}
    return MissingEvidence(rule.key, rule.metric, rule.zh, rule.en, rule.weight, zh, en, **how)


def score_item(rule: EvidenceRule, value: Value) -> EvidenceScore | MissingEvidence:
    """Map one evidence value to points, or explain why it is missing."""
    if isinstance(value, E.Missing):
        return _missing(rule, value.zh, value.en, value)
    if value is None:
        if rule.unit == "answer":
            return _missing(rule, "自评问卷未回答此题", "not answered in the self-assessment")
        return _missing(rule, "没有数据", "no data")
    obs = value if isinstance(value, E.Observation) else E.Observation(float(value))
    if not E._finite(obs.value):
        return _missing(rule, "数值无法计算", "value could not be computed")
    n = obs.details.get("n")
    if rule.min_n and n is not None and E._finite(n) and n < rule.min_n:
        return _missing(
            rule,
            f"样本太少（n={int(n)}，至少需要 {rule.min_n}）",
            f"sample too small (n={int(n)}, at least {rule.min_n} needed)",
        )
    return EvidenceScore(
        key=rule.key,
        metric=rule.metric,
        label_zh=rule.zh,
        label_en=rule.en,
        value=float(obs.value),
        unit=rule.unit,
        points=round(rule.score(float(obs.value)), 1),
        weight=rule.weight,
        benchmark_zh=rule.benchmark_zh,
        benchmark_en=rule.benchmark_en,
        source=rule.source,
        source_zh=rule.source_zh,
        assumption=rule.assumption,
        mapping=[list(p) for p in rule.points],
        details=obs.details,
    )


def score_dimension(rule: DimensionRule, values: dict[str, Value], min_coverage: float) -> Dimension:
    """Weighted mean of the points of the computed items; coverage = computed weight / total weight."""
    scored: list[EvidenceScore] = []
    missing: list[MissingEvidence] = []
    results = {item.key: score_item(item, values.get(item.key)) for item in rule.evidence}
    # An item that stands in for another (evidence instead of a self-assessment answer) counts when it could be
    # computed, and the other does not; otherwise it drops out and the other counts as it would alone.
    dropped = {i.replaces if isinstance(results[i.key], EvidenceScore) else i.key for i in rule.evidence if i.replaces}
    items = [i for i in rule.evidence if i.key not in dropped]
    for item in items:
        res = results[item.key]
        (scored if isinstance(res, EvidenceScore) else missing).append(res)
    total_w = sum(i.weight for i in items)
    have_w = sum(s.weight for s in scored)
    coverage = have_w / total_w if total_w > 0 else 0.0
    score = None
    if scored and have_w > 0 and coverage + 1e-9 >= min_coverage:
        score = round(sum(s.points * s.weight for s in scored) / have_w, 1)
    return Dimension(rule.key, rule.zh, rule.en, rule.what_zh, rule.what_en, score, round(coverage, 3), scored, missing)


def score(values: dict[str, Value], rules: Rules | None = None) -> Scorecard:
    """Score all dimensions from evidence values keyed as in rules.toml (answers as ``self.<question>``)."""
    rules = rules or load_rules()
    dims = [score_dimension(d, values, rules.min_coverage) for d in rules.dimensions]
    scored = [d.score for d in dims if d.score is not None]
    coverage = round(sum(d.coverage for d in dims) / len(dims), 3) if dims else 0.0
    # Below the overall threshold there is no overall score and no level: "insufficient evidence" instead.
    insufficient = coverage + 1e-9 < rules.min_overall_coverage
    overall = round(sum(scored) / len(scored), 1) if scored and not insufficient else None
    flat = {e.key: e.value for d in dims for e in d.evidence}
    return Scorecard(
        dimensions=dims,
        overall=overall,
        coverage=coverage,
        level_zh=rules.level(overall, "zh") if overall is not None else None,
        level_en=rules.level(overall, "en") if overall is not None else None,
        insufficient_evidence=insufficient,
        min_overall_coverage=rules.min_overall_coverage,
        rules_version=rules.version,
        profile=rules.profile,
        values=flat,
    )


# ---- the workspace layer ------------------------------------------------------------------------


def gather_values(
    ws: Any, *, self_assessment: Path | None = None, cache: E.MetricCache | None = None, progress: Any = None
) -> tuple[dict[str, Value], Path | None]:
    """Evidence values from the workspace and the self-assessment file, keyed for ``score``; ``progress`` (a
    ``hudong.progress.Step``) hears of each evidence computed."""
    cache = cache or E.MetricCache(ws, self_assessment=self_assessment)
    if self_assessment is not None:
        cache.self_assessment = self_assessment
    if progress is not None:
        progress("scorecard evidence", total=len(E.EXTRACTORS))
    values: dict[str, Value] = dict(E.collect(cache, progress=progress))
    path = resolve_path(Path(ws.path), ws.setting("scorecard.self_assessment"), self_assessment)
    rules = load_rules()
    if path is None:
        reason = E.requirement_missing("self_assessment")
        values.update({f"self.{q.key}": reason for q in rules.questions})
    else:
        answers = read_answers(path, rules.questions)
        values.update({f"self.{k}": float(v) for k, v in answers.items()})
    return values, path


def build_scorecard(
    ws: Any,
    *,
    self_assessment: Path | None = None,
    start: Any = None,
    end: Any = None,
    cache: E.MetricCache | None = None,
    progress: Any = None,
) -> Scorecard:
    """The scorecard of a workspace for a period (``start``/``end`` filter every metric); ``progress`` (a
    ``hudong.progress.Step``) hears of each evidence computed."""
    cache = cache or E.MetricCache.shared(ws, start=start, end=end)
    values, path = gather_values(ws, self_assessment=self_assessment, cache=cache, progress=progress)
    card = score(values, load_rules(getattr(ws, "profile", "brand")))
    card.context = E.context(cache, values)
    card.brand = str(ws.setting("brand.name", "") or ws.setting("name", "") or "")
    card.start = str(start) if start is not None else None
    card.end = str(end) if end is not None else None
    card.self_assessment = str(path) if path else None
    card.generated_at = dt.datetime.now().replace(microsecond=0).isoformat()
    return card


# ---- the scorecard as an analysis (hudong.analyses; registered through the entry point group) ----------------
@dataclass(frozen=True)
class ScorecardParams:
    start: str | None = None
    end: str | None = None
    self_assessment: str | None = None  # TOML answers (strategy, organization); default: the workspace's


@analysis("scorecard", "成熟度记分卡", "Maturity scorecard", tables=("posts", "interactions", "users", "orders",
          "survey_responses"), params=ScorecardParams, engines=("duckdb", "spark"))  # fmt: skip
def scorecard(ws: Any, p: ScorecardParams, step: Any) -> Result:
    """Frames ``dimensions`` (key, labels, score, coverage), ``evidence`` (per computed evidence: its
    dimension, metric, value, points, weight, benchmark, source) and ``missing`` (what could not be computed and
    why); values ``overall``, ``coverage``, ``level_zh``/``level_en`` and ``scorecard`` (the whole card, which
    the CLI, web and report render)."""
    card = build_scorecard(ws, self_assessment=Path(p.self_assessment) if p.self_assessment else None,
                           start=p.start, end=p.end, progress=step)  # fmt: skip
    dims = [{"key": d.key, "label_zh": d.label_zh, "label_en": d.label_en, "score": d.score, "coverage": d.coverage}
            for d in card.dimensions]  # fmt: skip
    evidence = [{"dimension": d.key, **asdict(e)} for d in card.dimensions for e in d.evidence]
    missing = [{"dimension": d.key, **asdict(m)} for d in card.dimensions for m in d.missing]
    return Result({"dimensions": pd.DataFrame(dims), "evidence": pd.DataFrame(evidence), "missing": pd.DataFrame(missing)},
                  {"overall": card.overall, "coverage": card.coverage, "level_zh": card.level_zh,
                   "level_en": card.level_en, "scorecard": card})  # fmt: skip
