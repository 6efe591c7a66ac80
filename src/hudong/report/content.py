"""Gather what the report shows: the scorecard, recommendations, charts (as SVG) and tables.

Every metric goes through one ``MetricCache`` so it is computed once even when the scorecard and a
chart both need it. A chart whose metric is unavailable becomes a note with the reason instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hudong import analyses
from hudong import fmt as F
from hudong.analyses.statements import StatementParams
from hudong.decide.evidence import MetricCache, Missing, explain_empty
from hudong.decide.recommendations import Recommendation, recommend_for
from hudong.decide.scorecard import Scorecard, build_scorecard
from hudong.errors import HudongError
from hudong.i18n import error_text, media_name, platform_name, t
from hudong.metrics.common import _parse_time
from hudong.progress import callback
from hudong.store.workspace import has_table

from . import charts
from .charts import Chart
from .propagation import gather_propagation
from .text_sections import gather_text

TOP_POSTS = 10
TEXT_CHARS = 80


@dataclass
class ReportContent:
    lang: str
    scorecard: Scorecard
    recommendations: list[Recommendation]
    charts: dict[str, Chart] = field(default_factory=dict)
    kpis: list[tuple[str, str]] = field(default_factory=list)
    top_posts: list[dict[str, str]] = field(default_factory=list)
    nps: dict[str, Any] | None = None
    groups: dict[str, Any] | None = None  # group chats: rows per group and community KOCs (None: none imported)
    learning: dict[str, Any] | None = None  # the learning log: experiments and decisions (None: none registered)
    audience: dict[str, Any] | None = None  # the latest stored segmentation and what each segment responds to
    campaigns: dict[str, Any] | None = None  # each campaign's return, attribution and lift
    ideas: dict[str, Any] | None = None  # the co-creation board: what people asked for, and what became of it
    faq: dict[str, Any] | None = None  # recurring questions and the official answers
    statements: dict[str, Any] | None = None  # announcements and rebuttals, and the public's response
    profile: str = "brand"  # brand, or public: citizens instead of customers, no commerce measures
    propagation: Any = None  # hudong.report.propagation.Propagation
    text: Any = None  # hudong.report.text_sections.TextSections
    timings: dict[str, float] = field(default_factory=dict)
    engine: str = "duckdb"  # what the metrics and the scorecard were computed on
    file_sections: tuple[str, ...] = ()  # sections read from the DuckDB file although engine is not duckdb


# The analyses each section beyond the metrics shows: a section one of whose analyses cannot run on the selected
# engine reads the workspace's DuckDB file, and the report says so, before and in the report (docs/spark.md).
SECTION_ANALYSES = {
    "propagation": ("cascades", "koc", "coordination"),
    "text": ("sentiment_trend", "topics", "bursts", "alerts"),
}


def sections_on_file(ws: Any) -> tuple[str, ...]:
    """The sections of ``ws``'s report that will read the DuckDB file rather than ``ws.engine``; () on DuckDB."""
    return tuple(section for section, names in SECTION_ANALYSES.items()
                 if any(analyses.get(n).engine_note(ws) for n in names))  # fmt: skip


def _reason(cache: MetricCache, name: str, by: list[str], lang: str) -> str:
    """Why a chart's metric has nothing to draw: its failure, else what it needs and lacks (explain_empty)."""
    try:
        df = cache.get(name, by)
    except Missing as m:
        return m.text(lang)
    if len(df) and not df["value"].dropna().empty:
        return ""
    why = explain_empty(cache, name)
    how = why.how(lang)
    return why.text(lang) + (f"{t('colon', lang)}{how}" if how else "")


def _chart(
    cache: MetricCache, key: str, lang: str, needs: list[tuple[str, list[str]]], build: Callable[..., dict[str, Any]]
) -> Chart:
    frames = [cache.frame(name, by) for name, by in needs]
    if frames[0] is None:
        return Chart(key, note=_reason(cache, *needs[0], lang) or t("no_data", lang))
    try:
        return Chart(key, svg=charts.to_svg(build(*frames)))
    except (KeyError, ValueError) as e:  # a metric with an unexpected shape must not sink the whole report
        return Chart(key, note=error_text(e, lang))


def _latest(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """Rows of the latest period (e.g. the Orbit levels as of the last month)."""
    return df[df[col] == df[col].max()]


def build_charts(cache: MetricCache, lang: str, sla_minutes: float) -> dict[str, Chart]:
    specs: list[tuple[str, list[tuple[str, list[str]]], Callable[..., dict[str, Any]]]] = [
        (
            "engagement_trend",
            [("engagement_rate_followers", ["platform", "week"])],
            lambda df: charts.engagement_trend(df, lang),
        ),
        ("active_users", [("dau", ["day"]), ("mau", ["month"])], lambda d, m: charts.active_users(d, m, lang)),
        ("share_of_voice", [("share_of_voice", ["brand"])], lambda df: charts.share_of_voice(df, lang)),
        ("ugc_weekly", [("ugc_volume", ["week"]), ("ugc_share", ["week"])], lambda v, s: charts.ugc_weekly(v, s, lang)),
        ("orbit", [("orbit_levels", ["month", "level"])], lambda df: charts.orbit_funnel(_latest(df, "month"), lang)),
        ("retention", [("retention", ["cohort", "period"])], lambda df: charts.retention_heatmap(df, lang)),
        (
            "first_response",
            [("first_response_minutes", ["platform", "week"])],
            lambda df: charts.response_times(df, lang, sla_minutes),
        ),
        ("response_rate", [("response_rate", ["platform"])], lambda df: charts.response_rate(df, lang)),
        ("best_hours", [("best_posting_hours", ["hour", "weekday"])], lambda df: charts.best_hours_heatmap(df, lang)),
        ("emotion_mix", [("emotion_mix", ["platform"])], lambda df: charts.emotion_mix(df, lang)),
    ]
    return {key: _chart(cache, key, lang, needs, build) for key, needs, build in specs}


def _scalar(cache: MetricCache, name: str) -> float | None:
    df = cache.frame(name)
    if df is None or pd.isna(df["value"].iloc[0]):
        return None
    return float(df["value"].iloc[0])


def kpis(cache: MetricCache, card: Scorecard, lang: str) -> list[tuple[str, str]]:
    mau = cache.frame("mau", ["month"])
    latest_mau = float(mau.sort_values("month")["value"].iloc[-1]) if mau is not None else None
    nps_value = _scalar(cache, "nps")
    return [
        (t("kpi_posts", lang), F.number(_scalar(cache, "posts"), lang)),
        (t("kpi_engagements", lang), F.number(_scalar(cache, "engagements"), lang)),
        (t("kpi_er", lang), F.percent(card.values.get("er_reach"))),
        (t("kpi_ugc", lang), F.number(_scalar(cache, "ugc_volume"), lang)),
        (t("kpi_mau", lang), F.number(latest_mau, lang)),
        (t("kpi_nps", lang), f"{nps_value:+.0f}" if nps_value is not None else "—"),
        (t("kpi_response", lang), F.minutes(card.values.get("first_response_minutes"), lang)),
    ]


def nps_display(values: dict[str, Any], lang: str) -> dict[str, str] | None:
    """The NPS block's text from the ``nps`` analysis: value, interval and counts; None without responses.
    The report and the web page both show this."""
    if values.get("value") is None:
        return None
    lo, hi = values.get("ci_low"), values.get("ci_high")
    counts = t("nps_counts", lang, p=F.number(values.get("promoters"), lang), pa=F.number(values.get("passives"), lang),
               d=F.number(values.get("detractors"), lang), n=F.number(values.get("n"), lang))  # fmt: skip
    interval = F.nps_interval(lo, hi) if lo is not None and hi is not None else "—"
    return {"value": f"{values['value']:+.1f}", "interval": interval, "counts": counts}


def nps_block(ws: Any, lang: str, start: Any = None, end: Any = None) -> dict[str, Any] | None:
    values = analyses.run(ws, "nps", start=_iso(start), end=_iso(end)).values
    block = nps_display(values, lang)
    if block is None:
        return None
    lo, hi = values.get("ci_low"), values.get("ci_high")
    has_ci = lo is not None and hi is not None
    block["svg"] = charts.to_svg(charts.nps_interval(values["value"], lo, hi, lang)) if has_ci else None
    return block


def groups_block(ws: Any, lang: str, start: Any = None, end: Any = None) -> dict[str, Any] | None:
    """The group-chat part of the community section, from the ``groups`` analysis: a row per group with its
    light-community measures and the members who answer others most; None when no group chat is imported."""
    res = analyses.run(ws, "groups", start=_iso(start), end=_iso(end), top=5)
    table = res.frame("groups")
    if table.empty:
        return None

    def num(v: Any, digits: int = 0) -> str:
        return F.number(v, lang, digits)

    def pct(v: Any) -> str:
        return F.percent(v, 0)

    rows = [{
        "name": r["name"] if isinstance(r.get("name"), str) else r["group"],
        "platform": platform_name(r["platform"], lang),
        "members": num(r["members"]), "active": num(r["active_weekly"], 1), "top10": pct(r["top10_share"]),
        "peer": pct(r["peer_answers"]), "newcomer_minutes": num(r["newcomer_minutes"]),
        "answered": f"{num(r['newcomer_answered'])}/{num(r['newcomer_questions'])}",
        "retention": pct(r["newcomer_retention"]), "dormant": num(r["dormant"]),
    } for r in table.to_dict("records")]  # fmt: skip
    names = dict(zip(zip(table["platform"], table["group"], strict=True), (x["name"] for x in rows), strict=True))
    kocs = [{"group": names.get((k["platform"], k["group"]), k["group"]), "member": k["member"],
             "answers": num(k["answers"]), "helped": num(k["helped"])}
            for k in res.frame("answerers").to_dict("records")]  # fmt: skip
    return {"rows": rows, "kocs": kocs}


def learning_block(ws: Any, lang: str) -> dict[str, Any] | None:
    """The learning log section, from the ``learning_log`` analysis: a row per experiment — hypothesis, state,
    result with its interval, the decision and who took it; None when no experiment is registered."""
    res = analyses.run(ws, "learning_log")
    rows = res.values["experiments"]
    if not rows:
        return None

    def effect(r: dict[str, Any]) -> str:
        if r["effect"] is None:
            return F.MISSING
        lo, hi = r["ci"] or (None, None)
        short, full = ("+.0%", "+.1%") if r["relative"] else ("+.2f", "+.2f")
        ci = f" [{lo:{short}}, {hi:{short}}]" if lo is not None and hi is not None else ""
        return f"{r['arm']} {r['effect']:{full}}{ci}"

    out = [{
        "name": r["name"] + (f" v{r['version']}" if r["version"] > 1 else ""), "hypothesis": r["hypothesis"],
        "state": t(f"exp_{r['state']}", lang), "effect": effect(r),
        "verdict": (r["verdict_zh"] if lang == "zh" else None) or r["verdict"] or F.MISSING,
        "decision": (r["decision"] or F.MISSING) + (
            t("exp_followed" if r["followed"] else "exp_against", lang) if r["followed"] is not None else ""),
        "decided_by": r["decided_by"] or "",
        "days": F.number(r["days_to_decision"], lang) if r["days_to_decision"] is not None else F.MISSING,
    } for r in rows]  # fmt: skip
    v = res.values
    days = F.number(v["median_days_to_decision"], lang, 1) if v["median_days_to_decision"] is not None else F.MISSING
    return {"rows": out, "summary": t("learning_summary", lang, ran=v["ran"], concluded=v["concluded"],
                                      running=v["running"], days=days, followed=v["followed"],
                                      judged=v["judged"])}  # fmt: skip


def audience_block(ws: Any, lang: str) -> dict[str, Any] | None:
    """The audience section, from the ``segments`` and ``segment_preferences`` analyses on the latest stored
    learned segmentation: a row per segment — name, size, share, top traits, and the content types it responds to
    distinctly more than the others (lift with its 90 % interval); None when no segmentation is stored."""
    if not has_table(ws.con, "segment_runs"):
        return None
    try:
        res = analyses.run(ws, "segments", run="latest", kind="learned")
        pref_res = analyses.run(ws, "segment_preferences", run=res.values["run"])
    except HudongError:
        return None
    prefs = pref_res.frame("top")
    try:
        heat = Chart("audience_heat", svg=charts.to_svg(charts.segment_preferences_heatmap(pref_res.frame("preferences"),
                                                                                         lang)))  # fmt: skip
    except (KeyError, ValueError) as e:
        heat = Chart("audience_heat", note=error_text(e, lang))
    likes = {seg: "; ".join(f"{r.cell} {F.lift(r.lift, r.lift_lo, r.lift_hi)}" for r in rows.itertuples())
             for seg, rows in prefs.groupby("segment")}  # fmt: skip
    rows = [{"name": r["name_zh"] if lang == "zh" else r["name_en"], "size": F.number(r["size"], lang),
             "share": F.percent(r["share"], 0),
             "traits": " · ".join(x.get(lang, x["feature"]) for x in r["traits"][:3] if "z" in x),
             "likes": likes.get(r["segment"], F.MISSING)} for r in res.frame("segments").to_dict("records")]  # fmt: skip
    return {"rows": rows, "heat": heat, "summary": t("audience_summary", lang, people=F.number(res.values["people"], lang),
                                                     k=res.values["k"], criterion=res.values["criterion"])}  # fmt: skip


def ugc_summary(v: dict[str, Any], lang: str) -> str:
    """One sentence on a UGC challenge (the ``ugc_campaign`` analysis' values), for the report and the web page."""
    sov = (F.MISSING if v["sov_during"] is None else
           f"{F.percent(v['sov_before'], 0)} → {F.percent(v['sov_during'], 0)}")  # fmt: skip
    return t("ugc_summary", lang, posts=F.number(v["ugc_posts"], lang), before=F.number(v["before_posts"], lang),
             people=F.number(v["participants"], lang), first=F.number(v["first_time"], lang),
             repeat=F.number(v["repeat_creators"], lang), buyers=F.number(v["buyers"], lang),
             reach=F.number(v["reach"], lang), reposts=F.number(v["reposts"], lang), pos=F.percent(v["positive"], 0),
             neg=F.percent(v["negative"], 0), sov=sov)  # fmt: skip


def campaigns_block(ws: Any, lang: str) -> dict[str, Any] | None:
    """The campaigns section, from the ``campaign_roi`` analysis (Markov attribution, 30-day lookback) and each
    campaign's ``campaign_lift`` where it has a baseline; None when the workspace has no campaigns."""
    try:
        res = analyses.run(ws, "campaign_roi")
    except HudongError:
        return None
    rows = []
    for r in res.frame("campaigns").to_dict("records"):
        try:
            lift = analyses.run(ws, "campaign_lift", campaign=r["campaign_id"]).values
            lift_text = (f"{F.signed_percent(lift['relative'], 0)} [{F.signed_percent(lift['relative_lower'], 0)}, "
                         f"{F.signed_percent(lift['relative_upper'], 0)}] · {t('cmp_metric_' + lift['metric'], lang)}")  # fmt: skip
        except HudongError:
            lift_text = F.MISSING
        rows.append({"campaign": r["name"] or r["campaign_id"], "spend": F.number(r["spend"], lang),
                     "engagement": F.number(r["engagement"], lang), "followers": F.number(r["new_followers"], lang),
                     "ugc": F.number(r["ugc_posts"], lang), "touched": F.number(r["touched_orders"], lang),
                     "attributed": F.number(r["attributed_orders"], lang, 1),
                     "revenue": F.number(r["attributed_revenue"], lang), "cpo": F.number(r["cost_per_order"], lang),
                     "roi": F.percent(r["roi"], 0), "lift": lift_text})  # fmt: skip
    challenges = []
    for cid in res.frame("campaigns").query("ugc_posts > 0")["campaign_id"]:
        ugc = analyses.run(ws, "ugc_campaign", campaign=cid).values
        challenges.append({"title": t("ugc_title", lang, name=ugc["name"] or cid), "summary": ugc_summary(ugc, lang)})
    cov = res.values["coverage"]
    if getattr(ws, "profile", "brand") == "public":  # no commerce: the orders, revenue and return columns go
        return {"rows": rows, "challenges": challenges, "commerce": False, "summary": "",
                "title": t("campaigns_public", lang), "intro": t("campaigns_intro_public", lang)}  # fmt: skip
    return {"rows": rows, "challenges": challenges, "commerce": True, "title": t("campaigns", lang),
            "intro": t("campaigns_intro", lang),
            "summary": t("campaigns_summary", lang, orders=F.number(cov["orders"], lang),
                                       linked=F.number(cov["linked_orders"], lang),
                                       touched=F.number(cov["touched_orders"], lang), days=res.values["lookback_days"],
                                       model=res.values["model"])}  # fmt: skip


def _official(r: dict[str, Any], lang: str) -> str:
    if not r["best_answer"]:
        return t("faq_none", lang)
    if not r["official"]:
        return t("faq_differ", lang, share=F.percent(r["agreement"], 0))
    return r["best_answer"]


def faq_block(ws: Any, lang: str, top: int = 15, min_count: int = 3) -> dict[str, Any] | None:
    """The recurring questions section, from the ``faq`` analysis (the ``top`` most asked, each with its best
    official answer); None when no question recurs."""
    try:
        res = analyses.run(ws, "faq", min_count=min_count)
    except HudongError:
        return None
    v = res.values
    if not v["recurring"]:
        return None
    rows = [{"question": r["question"], "asked": F.number(r["asked"], lang), "askers": F.number(r["askers"], lang),
             "answered": F.percent(r["answered"], 0), "minutes": F.minutes(r["median_minutes"], lang),
             "best": _official(r, lang)} for r in res.frame("faq").head(top).to_dict("records")]  # fmt: skip
    public = getattr(ws, "profile", "brand") == "public"
    return {"rows": rows, "title": t("faq_public" if public else "faq", lang), "intro": t("faq_intro", lang, min=min_count),
            "summary": t("faq_summary", lang, questions=F.number(v["questions"], lang), covered=F.percent(v["covered"], 0),
                         recurring=F.number(v["recurring"], lang), answered=F.percent(v["answered"], 0),
                         minutes=F.minutes(v["median_minutes"], lang))}  # fmt: skip


def statements_block(ws: Any, lang: str, top: int = 12, start: Any = None, end: Any = None) -> dict[str, Any] | None:
    """The announcements-and-rebuttals section, from the ``statements`` analysis (the ``top`` most recent); None
    when the organization published neither."""
    try:
        res = analyses.run(ws, "statements", start=_iso(start), end=_iso(end))
    except HudongError:
        return None
    df = res.frame("statements").head(top)
    if df.empty:
        return None

    def net(r: dict[str, Any]) -> str:
        if r["net"] is None or pd.isna(r["net"]):
            return F.MISSING
        return f"{F.signed_percent(r['net'], 0)} [{F.signed_percent(r['net_low'], 0)}, {F.signed_percent(r['net_high'], 0)}]"

    rows = []
    for r in df.to_dict("records"):
        rebuttal = r["kind"] == "rebuttal"
        rows.append({"date": F.date(r["ts"]), "kind": t(f"st_kind_{r['kind']}", lang), "text": str(r["text"])[:60],
                     "responses": F.number(r["responses"], lang), "net": net(r),
                     "answers": (f"{F.number(r.get('answers_posts'), lang)} ({F.number(r.get('answers_authors'), lang)})"
                                 if rebuttal else ""),
                     "ratio": (F.MISSING if r.get("reach_ratio") is None or pd.isna(r.get("reach_ratio"))
                               else f"{r['reach_ratio']:.2f}×") if rebuttal else ""})  # fmt: skip
    return {"rows": rows, "intro": t("statements_intro", lang, days=StatementParams.window_days)}


def ideas_block(ws: Any, lang: str, top: int = 10) -> dict[str, Any] | None:
    """The co-creation section, from the ``ideas`` analysis (ideas of at least two supporters, most supported
    first, ``top`` of them) and its summary counts; None when the board was never built or holds no idea."""
    try:
        res = analyses.run(ws, "ideas", top=top)
    except HudongError:
        return None
    if not res.values["ideas"]:
        return None
    name = "name_zh" if lang == "zh" else "name_en"
    rows = [{"title": r["title"], "kind": t(f"k_{r['kind']}", lang), "status": t(f"st_{r['status']}", lang),
             "supporters": F.number(r["supporters"], lang),
             "trend": F.MISSING if pd.isna(r["trend"]) else F.signed_percent(r["trend"], 0),
             "sentiment": F.MISSING if pd.isna(r["sentiment"]) else f"{r['sentiment']:+.2f}",
             "segments": " · ".join(f"{s[name]} {s['people']}" for s in r["segments"][:2]) or F.MISSING,
             "last": F.date(r["last_seen"])} for r in res.frame("ideas").to_dict("records")]  # fmt: skip
    v = res.values
    return {"rows": rows, "summary": t("ideas_summary", lang, ideas=v["ideas"], acted=v["acted"], shipped=v["shipped"],
                                       answered=v["answered"])}  # fmt: skip


def _iso(x: Any) -> str | None:
    return None if x is None else x.isoformat() if hasattr(x, "isoformat") else str(x)


def top_posts(ws: Any, lang: str, start: Any = None, end: Any = None, limit: int = TOP_POSTS) -> list[dict[str, str]]:
    """The organization's own posts with the most engagements (likes + comments + reposts + saves)."""
    import ibis

    posts = ws.table("posts")
    own = ws.table("accounts").filter(lambda a: a.is_own)
    p = posts.semi_join(own, [posts.platform == own.platform, posts.account_id == own.account_id])
    lo, hi = _parse_time(start, end=False), _parse_time(end, end=True)
    if lo is not None:
        p = p.filter(p.created_at >= ibis.timestamp(lo))
    if hi is not None:
        p = p.filter(p.created_at < ibis.timestamp(hi))
    eng = sum(p[c].fill_null(0) for c in ("likes", "comments", "reposts", "saves"))
    p = p.mutate(eng=eng)
    p = p.order_by([ibis.desc("eng"), "created_at"]).limit(limit)
    df = ws.ibis.to_pyarrow(
        p.select(
            "platform",
            "created_at",
            "text",
            "media_type",
            "likes",
            "comments",
            "reposts",
            "impressions",
            "author_followers",
            "eng",
        )
    ).to_pandas()
    rows = []
    for r in df.to_dict(orient="records"):
        denom = r["impressions"] if r["platform"] == "douyin" else r["author_followers"]
        er = r["eng"] / denom if denom and not pd.isna(denom) and denom > 0 else None
        rows.append(
            post_cells(r, lang, posted=r["created_at"], engagements=r["eng"])
            | {"impressions": F.number(r["impressions"], lang), "er": F.percent(er)}
        )
    return rows


def post_cells(r: dict[str, Any], lang: str, *, posted: Any, engagements: Any) -> dict[str, str]:
    """The display cells of a top-post row (report table and web page alike): time, platform, shortened text,
    format and the interaction counts, formatted for ``lang``."""
    text = ("" if F.is_missing(r["text"]) else str(r["text"])).replace("\n", " ")
    return {
        "posted": F.date(posted, "%Y-%m-%d %H:%M"),
        "platform": platform_name(r["platform"], lang),
        "text": text[:TEXT_CHARS] + ("…" if len(text) > TEXT_CHARS else ""),
        "format": media_name(r["media_type"], lang),
        "engagements": F.number(engagements, lang),
        "likes": F.number(r["likes"], lang),
        "comments": F.number(r["comments"], lang),
        "reposts": F.number(r["reposts"], lang),
    }


def gather(ws: Any, lang: str, *, start: Any = None, end: Any = None, self_assessment: Any = None,
           progress: Any = None) -> ReportContent:  # fmt: skip
    """The report's content; ``progress`` (a ``hudong.progress.Step``) hears of each section."""
    step = callback(progress)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    cache = MetricCache.shared(ws, start=start, end=end)
    card = build_scorecard(ws, self_assessment=self_assessment, start=start, end=end, cache=cache, progress=step)
    timings["scorecard"] = time.perf_counter() - t0
    recs = recommend_for(card)
    step("charts")
    t1 = time.perf_counter()
    sla = float(ws.setting("business_hours.sla_minutes", 240) or 240)
    content = ReportContent(lang, card, recs, charts=build_charts(cache, lang, sla), engine=ws.engine,
                            file_sections=sections_on_file(ws))
    timings["charts"] = time.perf_counter() - t1
    content.kpis = kpis(cache, card, lang)
    content.nps = nps_block(ws, lang, start, end)
    content.groups = groups_block(ws, lang, start, end)
    content.learning = learning_block(ws, lang)
    content.audience = audience_block(ws, lang)
    if content.audience:
        content.charts["audience_heat"] = content.audience["heat"]
    content.campaigns = campaigns_block(ws, lang)
    content.ideas = ideas_block(ws, lang)
    content.faq = faq_block(ws, lang)
    content.statements = statements_block(ws, lang, start=start, end=end)
    content.profile = getattr(ws, "profile", "brand")
    step("top posts")
    t2 = time.perf_counter()
    content.top_posts = top_posts(ws, lang, start, end)
    timings["top_posts"] = time.perf_counter() - t2
    step("propagation: cascades and KOC")
    t3 = time.perf_counter()
    content.propagation = gather_propagation(ws, lang)
    timings["propagation"] = time.perf_counter() - t3
    step("text: sentiment, keywords, rising topics, alerts")
    t4 = time.perf_counter()
    content.text = gather_text(ws, lang, start, end)
    content.charts.update(content.text.charts)
    timings["text"] = time.perf_counter() - t4
    timings.update({f"metric:{k}": v for k, v in cache.timings.items()})
    content.timings = timings
    return content
