"""The report's "传播 / Propagation" section: the largest cascade drawn as a tidy tree, growth curves of the
largest cascades, the structural-virality distribution, the KOC table and the coordination raw/adjusted table.

Positions of the tree drawing are computed here (igraph's Reingold–Tilford tidy tree); charts.py draws them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hudong import fmt as F
from hudong.graph import cascade_metrics, coordination, koc_candidates, load_cascades
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


def tree_layout(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tidy-tree positions (x, y = depth) of one tree given each node's parent (-1 at the single root)."""
    import igraph as ig

    parent = np.asarray(parent, dtype=np.int64)
    roots = np.flatnonzero(parent < 0)
    if len(roots) != 1:
        raise ValueError(f"a tree has one root, got {len(roots)}")
    child = np.flatnonzero(parent >= 0)
    g = ig.Graph(n=len(parent), edges=list(zip(parent[child].tolist(), child.tolist(), strict=True)), directed=True)
    coords = np.asarray(g.layout_reingold_tilford(mode="out", root=[int(roots[0])]).coords, dtype=np.float64)
    return coords[:, 0], coords[:, 1]


def _largest_tree(sc: Any, table: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    f = sc.forest
    c = int(table.index[0])
    nodes = np.flatnonzero((f.cascade == c) & f.kept)
    # the users with the most people below them: a set closed under "parent of", so the drawing shows the
    # backbone of the cascade (how deep it went, where it branched) instead of a fringe of leaves
    nodes = nodes[np.lexsort((f.time[nodes], -f.subtree[nodes]))][:TREE_NODES]
    path: list[int] = []
    tip = np.flatnonzero((f.cascade == c) & (f.depth == f.depth[f.cascade == c].max()))[0]
    while tip >= 0:  # and the path down to the deepest user
        path.append(tip)
        tip = f.parent[tip]
    nodes = np.union1d(nodes, path)
    nodes = nodes[np.lexsort((f.time[nodes], f.depth[nodes]))]
    local = pd.Series(np.arange(len(nodes)), index=nodes)
    parent = np.where(f.parent[nodes] >= 0, local.reindex(f.parent[nodes]).fillna(-1).to_numpy(), -1).astype(np.int64)
    x, y = tree_layout(parent)
    minutes = f.time[nodes] - f.time[f.roots[c]]
    band = np.searchsorted(ARRIVAL_MINUTES, minutes, side="left")
    nd = pd.DataFrame({"x": x, "y": y, "arrived": [t(f"prop_arrived_{b}", lang) for b in band]})
    has = parent >= 0
    ed = pd.DataFrame({"x": x[parent[has]], "y": y[parent[has]], "x2": x[has], "y2": y[has]})
    return nd, ed, {"shown": len(nodes)}


def _growth(sc: Any, table: pd.DataFrame, lang: str) -> pd.DataFrame:
    f = sc.forest
    rows = []
    for rank, c in enumerate(table.index[:GROWTH_CASCADES], start=1):
        nodes = np.flatnonzero((f.cascade == c) & f.kept)
        m = np.sort(f.time[nodes] - f.time[f.roots[c]])
        label = f"#{rank} {platform_name(table.loc[c, 'platform'], lang)} ({int(table.loc[c, 'size']):,})"
        rows.append(pd.DataFrame({"cascade": label, "minutes": np.round(np.maximum(m, 1), 2),
                                  "users": np.arange(1, len(m) + 1)}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def gather_propagation(ws: Any, lang: str) -> Propagation:
    """Everything the section shows; a part whose data is missing is left out with a note."""
    out = Propagation()
    sc = load_cascades(ws)
    if sc.forest.n_cascades:
        m = cascade_metrics(sc.forest, generations=False)
        table = pd.concat([sc.cascades, m], axis=1).sort_values(["size", "structural_virality"], ascending=False,
                                                                  kind="stable")  # fmt: skip
        nd, ed, info = _largest_tree(sc, table, lang)
        top = table.iloc[0]
        out.svgs["tree"] = charts.to_svg(charts.cascade_tree(nd, ed, lang))
        out.tree_note = t("prop_tree_note", lang, platform=platform_name(top["platform"], lang), root=top["root_post_id"],
                          n=f"{int(top['size']):,}", shown=f"{info['shown']:,}", depth=int(top["depth"]),
                          sv=F.decimal(top["structural_virality"]))  # fmt: skip
        out.svgs["growth"] = charts.to_svg(charts.growth_curves(_growth(sc, table, lang), lang))
        sv = table.loc[table["size"] > 1, ["size", "structural_virality"]].head(SV_POINTS)  # largest first
        out.svgs["virality"] = charts.to_svg(charts.virality_distribution(sv, lang))
    else:
        out.note = t("prop_none", lang)
    try:
        out.koc = koc_rows(koc_candidates(ws, top=KOC_ROWS), lang)
    except (KeyError, ValueError) as e:  # e.g. an empty workspace: the table says there is no data
        log.debug("KOC table left out: %s", e)
    res = coordination.detect_coordination(ws)
    bots = coordination.bot_signals(ws)
    flagged = coordination.flagged_accounts(ws, res, bots)
    ivs = t("semi", lang).join(f"{platform_name(k, lang)} {t('seconds_short', lang, n=F.number(v, lang))}"
                               for k, v in res.interval.items()) or "—"
    out.coordination_intro = t("prop_coord_intro", lang, interval=ivs, groups=len(res.groups),
                               accounts=len(res.accounts), bots=int(bots["bot_like"].sum()))  # fmt: skip
    out.groups = [{"group": str(r["group"]), "platform": platform_name(r["platform"], lang),
                   "accounts": F.number(r["n_accounts"], lang), "n_items": F.number(r["items"], lang),
                   "evidence": _group_evidence(r, lang)} for r in res.groups.to_dict(orient="records")]  # fmt: skip
    out.kpis = kpi_rows(coordination.kpis_raw_adjusted(ws, flagged), lang)
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
