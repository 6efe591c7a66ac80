"""Load the scorecard rules (``rules.toml``) and the self-assessment questions; the piecewise-linear mapping.

The rules are data so that the documentation, the report and the code read the same numbers.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from hudong.errors import HudongError

RULES_FILE = "rules.toml"
TEMPLATE_FILE = "self_assessment_template.toml"
ANSWER_POINTS = 25.0  # a 0–4 answer maps to 0–100 points


def piecewise(value: float, points: list[tuple[float, float]]) -> float:
    """Linear interpolation through ``points`` (sorted by x), clamped to the first/last y outside them."""
    if not points:
        raise ValueError("a mapping needs at least one point")
    xs = [p[0] for p in points]
    if xs != sorted(xs):
        raise ValueError(f"mapping x values must be ascending: {xs}")
    if value <= xs[0]:
        return float(points[0][1])
    if value >= xs[-1]:
        return float(points[-1][1])
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x0 <= value <= x1:
            if x1 == x0:
                return float(y1)
            return float(y0 + (y1 - y0) * (value - x0) / (x1 - x0))
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class EvidenceRule:
    key: str
    dimension: str
    zh: str
    en: str
    metric: str
    unit: str  # percent | index | score | minutes | answer
    weight: float
    points: tuple[tuple[float, float], ...]
    benchmark_zh: str = ""
    benchmark_en: str = ""
    source: str = ""
    source_zh: str = ""
    assumption: bool = False
    note_zh: str = ""
    note_en: str = ""
    min_n: int = 0
    needs: tuple[str, ...] = ()  # keys of Rules.requirements this item cannot be computed without
    replaces: str | None = None  # an item (a self-assessment answer) it stands in for when it can be computed

    def score(self, value: float) -> float:
        return piecewise(value, list(self.points))

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def benchmark(self, lang: str) -> str:
        return self.benchmark_zh if lang == "zh" else self.benchmark_en


@dataclass(frozen=True)
class DimensionRule:
    key: str
    zh: str
    en: str
    what_zh: str
    what_en: str
    evidence: tuple[EvidenceRule, ...]

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class Question:
    key: str
    dimension: str
    weight: float
    zh: str
    en: str

    def as_rule(self) -> EvidenceRule:
        return EvidenceRule(
            key=f"self.{self.key}",
            dimension=self.dimension,
            zh=self.zh,
            en=self.en,
            metric="self_assessment",
            unit="answer",
            weight=self.weight,
            points=((0.0, 0.0), (4.0, 4 * ANSWER_POINTS)),
            benchmark_zh="自评：0 完全没有 … 4 全面且持续",
            benchmark_en="Self-assessment: 0 not at all … 4 fully and consistently",
            source="self-assessment",
            source_zh="自评问卷",
            needs=("self_assessment",),
        )


@dataclass(frozen=True)
class Requirement:
    """Something evidence needs (own accounts, orders, a brand name …), what to say when it is missing and how
    to supply it. ``after``: a requirement that must be met first (then its message is the one shown)."""

    key: str
    zh: str
    en: str
    missing_zh: str
    missing_en: str
    how_zh: str
    how_en: str
    after: str | None = None

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def missing(self, lang: str) -> str:
        return self.missing_zh if lang == "zh" else self.missing_en

    def how(self, lang: str) -> str:
        return self.how_zh if lang == "zh" else self.how_en


@dataclass(frozen=True)
class Rules:
    version: int
    min_coverage: float
    level_bounds: tuple[float, ...]
    level_zh: tuple[str, ...]
    level_en: tuple[str, ...]
    dimensions: tuple[DimensionRule, ...]
    questions: tuple[Question, ...]
    min_overall_coverage: float = 0.0
    requirements: dict[str, Requirement] = field(default_factory=dict)
    profile: str = "brand"

    def chain(self, key: str) -> list[str]:
        """Requirement ``key`` and those it comes ``after``, first to meet first (own_accounts, own_posts)."""
        out = [key]
        while (after := self.requirements[out[-1]].after) is not None and after not in out:
            out.append(after)
        return out[::-1]

    def dimension(self, key: str) -> DimensionRule:
        for d in self.dimensions:
            if d.key == key:
                return d
        raise KeyError(key)

    def evidence_rule(self, key: str) -> EvidenceRule:
        for d in self.dimensions:
            for e in d.evidence:
                if e.key == key:
                    return e
        raise KeyError(key)

    def level(self, score: float, lang: str) -> str:
        labels = self.level_zh if lang == "zh" else self.level_en
        idx = max(i for i, b in enumerate(self.level_bounds) if score >= b) if score >= self.level_bounds[0] else 0
        return labels[idx]


def _read_packaged(name: str) -> str:
    return resources.files("hudong.decide").joinpath(name).read_text(encoding="utf-8")


def template_text() -> str:
    """The self-assessment template shipped with hudong (copy it, fill in the answers)."""
    return _read_packaged(TEMPLATE_FILE)


def parse_questions(data: dict[str, Any], dimension_keys: set[str]) -> tuple[Question, ...]:
    out = []
    for key, q in data.items():
        if not isinstance(q, dict):
            continue
        if q.get("dimension") not in dimension_keys:
            raise HudongError(f"{TEMPLATE_FILE}: question {key!r} has unknown dimension {q.get('dimension')!r}")
        out.append(Question(key, q["dimension"], float(q["weight"]), q["zh"], q["en"]))
    return tuple(out)


def apply_profile(data: dict[str, Any], profile: str) -> dict[str, Any]:
    """The rules as ``profile`` reads them: its ``drop``ped evidence removed, its labels and descriptions in place
    of the defaults (``[profiles.*]`` of rules.toml); ``brand`` (the default) changes nothing."""
    if profile == "brand":
        return data
    prof = data.get("profiles", {}).get(profile)
    if prof is None:
        raise HudongError(f"{RULES_FILE}: no profile {profile!r}; profiles: brand, {', '.join(data.get('profiles', {}))}")
    known = {e for d in data["dimensions"].values() for e in d.get("evidence", {})}
    for key in [*prof.get("drop", ()), *prof.get("evidence", {})]:
        if key not in known:
            raise HudongError(f"{RULES_FILE}: profile {profile!r} names unknown evidence {key!r}")
    dims = {}
    for dkey, d in data["dimensions"].items():
        ev = {k: {**e, **prof.get("evidence", {}).get(k, {})} for k, e in d.get("evidence", {}).items()
              if k not in prof.get("drop", ())}  # fmt: skip
        dims[dkey] = {**d, **prof.get("dimensions", {}).get(dkey, {}), "evidence": ev}
    return {**data, "dimensions": dims}


def parse_rules(data: dict[str, Any], questions: tuple[Question, ...], profile: str = "brand") -> Rules:
    data = apply_profile(data, profile)
    asked = data.get("profiles", {}).get(profile, {}).get("questions", {})
    unknown = sorted(set(asked) - {q.key for q in questions})
    if unknown:
        raise HudongError(f"{RULES_FILE}: profile {profile!r} words unknown question(s) {unknown}")
    questions = tuple(replace(q, **asked[q.key]) if q.key in asked else q for q in questions)
    dims = []
    for dkey, d in data["dimensions"].items():
        ev = []
        for ekey, e in d.get("evidence", {}).items():
            ev.append(
                EvidenceRule(
                    key=ekey,
                    dimension=dkey,
                    zh=e["zh"],
                    en=e["en"],
                    metric=e["metric"],
                    unit=e["unit"],
                    weight=float(e["weight"]),
                    points=tuple((float(x), float(y)) for x, y in e["points"]),
                    benchmark_zh=e.get("benchmark_zh", ""),
                    benchmark_en=e.get("benchmark_en", ""),
                    source=e.get("source", ""),
                    source_zh=e.get("source_zh", e.get("source", "")),
                    assumption=bool(e.get("assumption", False)),
                    note_zh=e.get("note_zh", ""),
                    note_en=e.get("note_en", ""),
                    min_n=int(e.get("min_n", 0)),
                    needs=tuple(e.get("needs", ())),
                    replaces=e.get("replaces"),
                )
            )
        ev.extend(q.as_rule() for q in questions if q.dimension == dkey)
        dims.append(DimensionRule(dkey, d["zh"], d["en"], d.get("what_zh", ""), d.get("what_en", ""), tuple(ev)))
    lv = data["levels"]
    reqs = {
        k: Requirement(k, r["zh"], r["en"], r["missing_zh"], r["missing_en"], r["how_zh"], r["how_en"], r.get("after"))
        for k, r in data.get("requirements", {}).items()
    }
    for d in dims:
        for e in d.evidence:
            unknown = [n for n in e.needs if n not in reqs]
            if unknown:
                raise HudongError(f"{RULES_FILE}: evidence {e.key!r} needs unknown requirement(s) {unknown}")
    for r in reqs.values():
        if r.after is not None and r.after not in reqs:
            raise HudongError(f"{RULES_FILE}: requirement {r.key!r} comes after unknown {r.after!r}")
    return Rules(
        version=int(data["version"]),
        min_coverage=float(data["min_coverage"]),
        level_bounds=tuple(float(b) for b in lv["bounds"]),
        level_zh=tuple(lv["zh"]),
        level_en=tuple(lv["en"]),
        dimensions=tuple(dims),
        questions=questions,
        min_overall_coverage=float(data.get("min_overall_coverage", 0.0)),
        requirements=reqs,
        profile=profile,
    )


@cache
def load_rules(profile: str = "brand") -> Rules:
    """The packaged rules with the self-assessment questions attached to their dimensions, as ``profile`` (brand or
    public: the workspace's ``profile``) reads them."""
    data = tomllib.loads(_read_packaged(RULES_FILE))
    questions = parse_questions(tomllib.loads(template_text()), set(data["dimensions"]))
    return parse_rules(data, questions, profile)
