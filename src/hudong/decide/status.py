"""What a workspace has and what it still needs: `hudong status` and the web status page (/status).

Everything here is derived from the scorecard's own definitions — the evidence items of ``rules.toml`` with the
requirements each ``needs``, checked by ``hudong.decide.evidence.REQUIREMENT_CHECKS`` — so the checklist and the
scorecard's "missing evidence" never disagree. For each dimension and evidence item: computed (with its value)
or missing, with what is missing and how to supply it; plus the rows of every table and what is configured
(brand, own accounts, competitors, business hours, self-assessment).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hudong import fmt as F
from hudong.i18n import platform_name, t
from hudong.store import schema as S

from . import evidence as E
from .rules import load_rules
from .scorecard import _jsonable, build_scorecard
from .self_assessment import resolve_path

OWN_ACCOUNTS_SHOWN = 20


@dataclass
class RequirementState:
    key: str
    label_zh: str
    label_en: str
    count: int  # rows / accounts / names found (0 = missing)
    met: bool  # count > 0 and the requirements it comes after are met
    missing_zh: str
    missing_en: str
    how_zh: str
    how_en: str
    needed_by: list[str] = field(default_factory=list)  # evidence keys that need it

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class EvidenceState:
    key: str
    label_zh: str
    label_en: str
    unit: str
    weight: float
    needs: list[str]
    state: str  # computed | missing | ready (needs met; not computed: --quick)
    value: float | None = None
    reason_zh: str = ""
    reason_en: str = ""
    how_zh: str = ""
    how_en: str = ""
    requirement: str | None = None  # the unmet requirement, when that is why it is missing

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class DimensionState:
    key: str
    label_zh: str
    label_en: str
    score: float | None
    coverage: float | None  # None with --quick (nothing computed)
    evidence: list[EvidenceState]

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class Status:
    workspace: str
    path: str
    tables: dict[str, int]
    config: dict[str, Any]
    requirements: list[RequirementState]
    dimensions: list[DimensionState]
    computed: bool  # the scorecard was computed (else: requirements only)
    overall: float | None = None
    coverage: float | None = None
    insufficient_evidence: bool | None = None
    min_overall_coverage: float = 0.0

    @property
    def unmet(self) -> list[RequirementState]:
        """The next things to supply: unmet requirements some evidence needs whose earlier requirements (``after``)
        are met — own accounts before their posts."""
        rules = load_rules()
        met = {r.key: r.met for r in self.requirements}
        return [r for r in self.requirements
                if not r.met and r.needed_by and all(met[k] for k in rules.chain(r.key)[:-1])]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_text(self, lang: str = "zh") -> str:
        return status_text(self, lang)


def _config(ws: Any, cache: E.MetricCache) -> dict[str, Any]:
    own: list[dict[str, Any]] = []
    try:
        rows = ws.con.execute(
            "SELECT platform, account_id, name, brand FROM accounts WHERE is_own ORDER BY platform, account_id"
        ).fetchall()
        own = [{"platform": p, "account_id": a, "name": n, "brand": b} for p, a, n, b in rows]
    except Exception:  # noqa: BLE001 - a store without the table: nothing declared
        pass
    comps = ws.setting("competitors", []) or []
    competitor_accounts = E.REQUIREMENT_CHECKS["competitors"](cache) - (len(comps) if isinstance(comps, list) else 0)
    sa = resolve_path(Path(ws.path), ws.setting("scorecard.self_assessment"), cache.self_assessment)
    bh = ws.config.get("business_hours") if isinstance(ws.config.get("business_hours"), dict) else None
    return {
        "brand": str(ws.setting("brand.name", "") or ""),
        "aliases": [str(a) for a in (ws.setting("brand.aliases", []) or [])],
        "own_brands": sorted(E.own_brands(ws)),
        "own_accounts": own,
        "competitors": [str(c.get("name", "")) for c in comps if isinstance(c, dict)] if isinstance(comps, list)
        else [],
        "competitor_accounts": max(competitor_accounts, 0),
        "business_hours": {
            "configured": bh is not None,
            "start": str(ws.setting("business_hours.start", "09:00")),
            "end": str(ws.setting("business_hours.end", "18:00")),
            "days": list(ws.setting("business_hours.days", [1, 2, 3, 4, 5]) or []),
            "sla_minutes": ws.setting("business_hours.sla_minutes", 240),
        },
        "self_assessment": str(sa) if sa is not None else None,
        "self_assessment_exists": bool(sa is not None and sa.exists()),
        "language": str(ws.setting("language", "zh")),
    }


def table_counts(ws: Any) -> dict[str, int]:
    out = {}
    for name in S.TABLES:
        try:
            out[name] = int(ws.count(name))
        except Exception:  # noqa: BLE001 - a table this store lacks
            out[name] = 0
    return out


def build_status(ws: Any, *, compute: bool = True, card: Any = None, self_assessment: Path | None = None) -> Status:
    """The workspace's status. ``compute``: run the scorecard (each item computed or missing with the reason);
    else only the requirements are checked (fast: an item whose needs are met is "ready"). ``card``: a scorecard
    already computed (the web app's cached one)."""
    rules = load_rules()
    cache = E.MetricCache(ws, self_assessment=self_assessment)
    counts = E.requirement_counts(cache)
    met = E.requirements_met(cache)
    if card is None and compute:
        card = build_scorecard(ws, cache=cache, self_assessment=self_assessment)
    needed_by: dict[str, list[str]] = {k: [] for k in rules.requirements}
    dims = []
    for d in rules.dimensions:
        cd = card.dimension(d.key) if card is not None else None
        items = []
        for e in d.evidence:
            for n in e.needs:
                for k in rules.chain(n):
                    if e.key not in needed_by[k]:
                        needed_by[k].append(e.key)
            st = EvidenceState(e.key, e.zh, e.en, e.unit, e.weight, list(e.needs), "ready")
            first = E.first_unmet(e.needs, met, rules)
            scored = next((x for x in cd.evidence if x.key == e.key), None) if cd is not None else None
            missing = next((x for x in cd.missing if x.key == e.key), None) if cd is not None else None
            if scored is not None:
                st.state, st.value = "computed", scored.value
            elif missing is not None:
                st.state = "missing"
                st.reason_zh, st.reason_en = missing.reason_zh, missing.reason_en
                st.how_zh, st.how_en, st.requirement = missing.how_zh, missing.how_en, missing.requirement
            elif first is not None:
                r = rules.requirements[first]
                st.state, st.requirement = "missing", first
                st.reason_zh, st.reason_en, st.how_zh, st.how_en = r.missing_zh, r.missing_en, r.how_zh, r.how_en
            items.append(st)
        dims.append(DimensionState(d.key, d.zh, d.en, cd.score if cd else None, cd.coverage if cd else None, items))
    reqs = [
        RequirementState(k, r.zh, r.en, counts.get(k, 0), met[k], r.missing_zh, r.missing_en, r.how_zh, r.how_en,
                         needed_by[k])
        for k, r in rules.requirements.items()
    ]  # fmt: skip
    return Status(
        workspace=str(ws.setting("name", "") or Path(ws.path).name),
        path=str(ws.path),
        tables=table_counts(ws),
        config=_config(ws, cache),
        requirements=reqs,
        dimensions=dims,
        computed=card is not None,
        overall=card.overall if card is not None else None,
        coverage=card.coverage if card is not None else None,
        insufficient_evidence=card.insufficient_evidence if card is not None else None,
        min_overall_coverage=rules.min_overall_coverage,
    )


# ---- the terminal text ------------------------------------------------------------------------------------------
def status_text(st: Status, lang: str) -> str:
    zh = lang == "zh"
    colon = t("colon", lang)
    lines = [f"{t('st_title', lang)}{colon}{st.workspace} ({st.path})"]
    lines.append(t("st_tables", lang) + colon + " · ".join(f"{k} {F.number(v, 'en')}" for k, v in st.tables.items()))
    c = st.config
    lines.append(t("st_config", lang))
    brand = c["brand"] or t("st_not_set", lang)
    aliases = ("、" if zh else ", ").join(c["aliases"])
    lines.append(f"  {t('st_brand', lang)}{colon}{brand}" + (f" ({t('st_aliases', lang)} {aliases})" if aliases else ""))
    own = c["own_accounts"]
    shown = ("、" if zh else ", ").join(f"{platform_name(a['platform'], lang)}:{a['account_id']}"
                                        + (f" {a['name']}" if a["name"] else "") for a in own[:OWN_ACCOUNTS_SHOWN])
    more = f" …(+{len(own) - OWN_ACCOUNTS_SHOWN})" if len(own) > OWN_ACCOUNTS_SHOWN else ""
    lines.append(f"  {t('st_own_accounts', lang)}{colon}{len(own)}" + (f" — {shown}{more}" if own else ""))
    comps = c["competitors"]
    lines.append(f"  {t('st_competitors', lang)}{colon}{t('st_competitor_counts', lang, accounts=c['competitor_accounts'], names=len(comps))}")
    bh = c["business_hours"]
    days = ("、" if zh else ", ").join(t(f"wd_{d}", lang) for d in bh["days"] if 1 <= int(d) <= 7)
    lines.append(f"  {t('st_business_hours', lang)}{colon}{bh['start']}–{bh['end']} {days} · SLA "
                 f"{F.minutes(bh['sla_minutes'], lang)}" + ("" if bh["configured"] else f" ({t('st_default', lang)})"))
    sa = c["self_assessment"]
    sa_text = t("st_not_set", lang) if sa is None else sa + ("" if c["self_assessment_exists"] else f" ({t('st_file_missing', lang)})")
    lines.append(f"  {t('self_assessment', lang)}{colon}{sa_text}")
    lines.append(t("st_requirements", lang))
    rules = load_rules()
    by_key = {r.key: r for r in st.requirements}
    for r in st.requirements:
        blocked = next((by_key[k] for k in rules.chain(r.key)[:-1] if not by_key[k].met), None)
        if r.met:
            lines.append(f"  ✓ {r.label(lang)}{colon}{F.number(r.count, lang)}")
        elif blocked is not None:
            lines.append(f"  ✗ {r.label(lang)}{colon}{t('st_after', lang, first=blocked.label(lang))}")
        else:
            lines.append(f"  ✗ {r.label(lang)}{colon}{r.missing_zh if zh else r.missing_en}")
            lines.append(f"      → {r.how_zh if zh else r.how_en}")
    if st.computed:
        if st.insufficient_evidence:
            head = t("insufficient", lang) + " · " + t("insufficient_note", lang, cov=F.percent(st.coverage, 0),
                                                          min=F.percent(st.min_overall_coverage, 0))
        else:
            head = f"{t('overall', lang)} {F.score(st.overall)}/100 · {t('coverage', lang)} {F.percent(st.coverage, 0)}"
        lines.append(f"{t('scorecard', lang)}{colon}{head}")
    else:
        lines.append(t("scorecard", lang) + colon + t("st_quick", lang))
    for d in st.dimensions:
        cov = "" if d.coverage is None else f" · {t('coverage', lang)} {F.percent(d.coverage, 0)}"
        score = "" if d.coverage is None else f" · {t('score', lang)} {F.score(d.score)}"
        lines.append(f"  {d.label(lang)}{score}{cov}")
        for e in d.evidence:
            if e.state == "computed":
                lines.append(f"    ✓ {e.label(lang)}{colon}{F.evidence_value(e.value, e.unit, lang)}")
            elif e.state == "ready":
                lines.append(f"    · {e.label(lang)}{colon}{t('st_ready', lang)}")
            else:
                see = f" → {t('st_see', lang, what=by_key[e.requirement].label(lang))}" if e.requirement else ""
                lines.append(f"    ✗ {e.label(lang)}{colon}{e.reason_zh if zh else e.reason_en}{see}")
                if not e.requirement and (e.how_zh or e.how_en):
                    lines.append(f"      → {e.how_zh if zh else e.how_en}")
    if st.unmet:
        lines.append(t("st_next", lang))
        for i, r in enumerate(st.unmet, 1):
            lines.append(f"  {i}. {r.how_zh if zh else r.how_en}")
    return "\n".join(lines)
