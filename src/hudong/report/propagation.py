"""The report's "传播 / Propagation" section: the largest cascade drawn as a tidy tree, growth curves of the
largest cascades, the structural-virality distribution, the KOC table and the coordination raw/adjusted table —
the ``cascades``, ``koc`` and ``coordination`` analyses, rendered (charts.py draws them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hudong import analyses
from hudong import fmt as F
from hudong.i18n import TEXT, platform_name, t, tier_name
from hudong.metrics import get

from . import charts

log = logging.getLogger("hudong.report")
TREE_NODES = 250  # users drawn: those with the largest downstream (their parents always come too)
GROWTH_CASCADES = 5
KOC_ROWS = 10
ARRIVAL_MINUTES = (10, 60, 360, 1440)  # colour bands of the tree: ≤10 min, ≤1 h, ≤6 h, ≤1 day, later
SV_POINTS = 1500  # keeps the SVG small; the largest cascades


@dataclass
class Propagation:
    svgs: dict[str, str] = field(default_factory=dict)
    tree_note: str = ""
    koc: list[dict[str, str]] = field(default_factory=list)
    coordination_intro: str = ""
    groups: list[dict[str, str]] = field(default_factory=list)
    kpis: list[dict[str, str]] = field(default_factory=list)
    note: str = ""


def growth_frame(growth: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The ``cascades`` analysis' growth curves with each curve's label (rank, platform, size) in ``lang``."""
    label = [f"#{r} {platform_name(p, lang)} ({int(n):,})" for r, p, n in
             zip(growth["rank"], growth["platform"], growth["size"], strict=True)]  # fmt: skip
    return pd.DataFrame({"cascade": label, "minutes": growth["minutes"], "users": growth["users"]})


def _tree(nodes: pd.DataFrame, lang: str) -> pd.DataFrame:
    band = np.searchsorted(ARRIVAL_MINUTES, nodes["minutes"].to_numpy(), side="left")
    return pd.DataFrame({"x": nodes["x"], "y": nodes["y"], "arrived": [t(f"prop_arrived_{b}", lang) for b in band]})


def gather_propagation(ws: Any, lang: str) -> Propagation:
    """Everything the section shows; a part whose data is missing is left out with a note."""
    out = Propagation()
    res = analyses.run(ws, "cascades", growth=GROWTH_CASCADES, tree=TREE_NODES)
    table = res.frame("cascades")
    if len(table):
        top = table.iloc[0]
        nd = _tree(res.frame("tree_nodes"), lang)
        out.svgs["tree"] = charts.to_svg(charts.cascade_tree(nd, res.frame("tree_edges"), lang))
        out.tree_note = t("prop_tree_note", lang, platform=platform_name(top["platform"], lang), root=top["root_post_id"],
                          n=f"{int(top['size']):,}", shown=f"{res.values['tree_shown']:,}", depth=int(top["depth"]),
                          sv=F.decimal(top["structural_virality"]))  # fmt: skip
        out.svgs["growth"] = charts.to_svg(charts.growth_curves(growth_frame(res.frame("growth"), lang), lang))
        sv = table.loc[table["size"] > 1, ["size", "structural_virality"]].head(SV_POINTS)  # largest first
        out.svgs["virality"] = charts.to_svg(charts.virality_distribution(sv, lang))
    else:
        out.note = t("prop_none", lang)
    try:
        out.koc = koc_rows(analyses.run(ws, "koc", top=KOC_ROWS).frame("candidates"), lang)
    except (KeyError, ValueError) as e:  # e.g. an empty workspace: the table says there is no data
        log.debug("KOC table left out: %s", e)
    co = analyses.run(ws, "coordination")
    groups, bots = co.frame("groups"), co.frame("bots")
    ivs = t("semi", lang).join(f"{platform_name(k, lang)} {t('seconds_short', lang, n=F.number(v, lang))}"
                               for k, v in co.values["interval"].items()) or "—"
    out.coordination_intro = t("prop_coord_intro", lang, interval=ivs, groups=len(groups),
                               accounts=len(co.frame("accounts")), bots=int(bots["bot_like"].sum()))  # fmt: skip
    out.groups = [{"group": str(r["group"]), "platform": platform_name(r["platform"], lang),
                   "accounts": F.number(r["n_accounts"], lang), "n_items": F.number(r["items"], lang),
                   "evidence": _group_evidence(r, lang)} for r in groups.to_dict(orient="records")]  # fmt: skip
    out.kpis = kpi_rows(co.frame("kpis"), lang)
    return out


def _group_evidence(r: dict, lang: str) -> str:
    """The group's evidence sentence in the report's language (graph.coordination writes it in English)."""
    kinds = "、".join if lang == "zh" else ", ".join
    names = [t(f"prop_kind_{k}", lang) if f"prop_kind_{k}" in TEXT else str(k) for k in r["kinds"]]
    return t("prop_group_evidence", lang, n=F.number(r["n_accounts"], lang), items=F.number(r["items"], lang),
             kinds=kinds(names), pair=F.number(r["max_co_shares"], lang),
             delay=F.number(round(r["median_after_first_share_s"]), lang),
             first=F.date(r["first"]), last=F.date(r["last"]))  # fmt: skip


def koc_rows(df: pd.DataFrame, lang: str) -> list[dict[str, str]]:
    return [{"platform": platform_name(r["platform"], lang), "user": _name(r), "tier": tier_name(r["tier"], lang),
             "followers": F.number(r["followers"], lang), "er": F.percent(r["er_followers"]),
             "reshares": F.number(r["reshares_sum"], lang), "reach": F.number(r["reach_sum"], lang),
             "orders": F.number(r["orders"], lang)} for r in df.to_dict(orient="records")]  # fmt: skip


def koc_evidence(r: dict, lang: str) -> str:
    """Why a user is a KOC candidate, in ``lang`` (graph.koc writes the same facts in English)."""
    return t("koc_evidence", lang, tier=tier_name(r["tier"], lang), followers=F.number(r["followers"], lang),
             er=F.percent(r["er_followers"]), peer=F.percent(r["peer_median_er"]), orders=F.number(r["orders"], lang),
             amount=F.number(r["order_amount"], lang), ugc=F.number(r["ugc_posts"], lang),
             reshares=F.number(r["reshares_sum"], lang), reach=F.number(r["reach_sum"], lang))  # fmt: skip


def _name(r: dict) -> str:
    """A person's display name, else their (pseudonymous) id; "—" when neither is known."""
    return F.text(r["name"]) if not F.is_missing(r.get("name")) and str(r["name"]) else F.text(r["user_id"])


def kpi_rows(df: pd.DataFrame, lang: str) -> list[dict[str, str]]:
    """The coordination table: each KPI raw, without the flagged accounts, and the difference; a KPI that cannot be
    computed (e.g. per-post rates with no own posts) reads "—" in every column."""
    def value(v: float, unit: str) -> str:
        return F.percent(v) if unit == "ratio" else (F.decimal(v) if unit.endswith("per post") else F.number(v, lang))

    rows = []
    for r in df.to_dict(orient="records"):
        m = get(r["metric"])
        pct = "" if F.is_missing(r["difference_pct"]) else f" ({F.signed_percent(r['difference_pct'])})"
        rows.append(
            {
                "metric": m.label_zh if lang == "zh" else m.label_en,
                "raw": value(r["raw"], m.unit),
                "adjusted": value(r["adjusted"], m.unit),
                "difference": value(r["difference"], m.unit) + pct,
            }
        )
    return rows
