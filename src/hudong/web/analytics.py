"""The analytics pages: engagement, content, community, relationships, people and propagation.

Every page takes the same filters (``web/filters.py``: platform, account, campaign, date range), computes its
metrics through ``hudong.metrics`` / ``hudong.graph`` and draws the Vega-Lite specs of
``hudong.report.charts`` — the same functions as the HTML/PDF report. Each chart is sent twice: as SVG
rendered on the server (works without JavaScript) and as its spec in a ``<script type="application/json">``
block that ``/static/charts.js`` turns into an interactive vega-embed view. The Vega bundle is served by the
app (``/assets/vega-<version>.js``), so the pages stay offline and the CSP stays ``script-src 'self'``.

A page's whole context (tables, specs, SVGs) is cached per (data version, page, language, filters); see
``web/cache.py``. A metric that does not support a chosen filter is computed without it and the page says so.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from hudong import analyses
from hudong import fmt as F
from hudong.decide.evidence import MetricCache, Missing, explain_empty, metric_unavailable
from hudong.errors import HudongError
from hudong.i18n import error_text, media_name, platform_name, tier_name
from hudong.i18n import t as tt
from hudong.metrics import frame as metric_frame
from hudong.metrics import tables_of
from hudong.metrics.common import Query, own_posts
from hudong.report import charts
from hudong.report import propagation as P
from hudong.report.content import nps_display, post_cells

from .filters import Filters, cached_choices, parse_filters
from .pages import Reader, lang_of, render
from .state import state_of

router = APIRouter(include_in_schema=False)

TOP_POSTS = 10
TOP_CASCADES = 20
TOP_KOCS = 20
TOP_COMMUNITIES = 20
TOPIC_POSTS = 5000  # topics come from the most recent posts: jieba segments each one (≈0.4 ms a post)
ASSET_CACHE = "public, max-age=31536000, immutable"


# ---- the offline Vega bundle ----------------------------------------------------------------------
class _Bundle:
    """vega + vega-lite + vega-embed (BSD-3-Clause) from vl-convert, built once per process."""

    def __init__(self) -> None:
        self._js: bytes | None = None
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        import vl_convert

        return vl_convert.__version__

    def js(self) -> bytes:
        with self._lock:
            if self._js is None:
                import vl_convert

                # The snippet exposes the embed function to /static/charts.js (no inline script needed).
                self._js = vl_convert.javascript_bundle("window.vegaEmbed = vegaEmbed;").encode()
            return self._js


BUNDLE = _Bundle()


def bundle_url() -> str:
    return f"/assets/vega-{BUNDLE.version}.js"


@router.get("/assets/vega-{version}.js")
def vega_bundle(version: str) -> Response:
    if version != BUNDLE.version:
        raise LookupError(f"no Vega bundle {version!r}; this server has {bundle_url()}")
    return Response(BUNDLE.js(), media_type="text/javascript", headers={"Cache-Control": ASSET_CACHE})


# ---- figures --------------------------------------------------------------------------------------
@dataclass
class Figure:
    """One chart: its spec (for vega-embed), the server-rendered SVG fallback, and a note."""

    key: str
    spec: dict[str, Any] | None = None
    svg: Markup | None = None
    note: str = ""

    @property
    def spec_json(self) -> Markup:
        # Inside <script> only "</" could end the block; escaping <, > and & keeps the JSON inert and parseable.
        s = json.dumps(self.spec, ensure_ascii=False, separators=(",", ":"))
        return Markup(s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def figure(key: str, lang: str, build: Callable[[], dict[str, Any] | None], note: str = "") -> Figure:
    try:
        spec = build()
    except Missing as m:
        return Figure(key, note=" ".join(filter(None, (_missing(m, lang), note))))
    except (KeyError, ValueError) as e:  # a frame of an unexpected shape must not sink the page
        return Figure(key, note=error_text(e, lang))
    if spec is None:
        return Figure(key, note=note)
    return Figure(key, spec=spec, svg=Markup(charts.to_svg(spec)), note=note)  # vl-convert escapes text in SVG


class Frames:
    """Metric frames for one page under one set of filters; failures become ``Missing`` with the reason."""

    def __init__(self, ws: Any, filters: Filters, lang: str):
        self.ws, self.filters, self.lang = ws, filters, lang
        self._cache: MetricCache | None = None

    def get(self, name: str, by: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
        try:
            df = metric_frame(self.ws, name, by=list(by), **self.filters.metric_kwargs(name))
        except HudongError as e:
            raise metric_unavailable(name, e) from e
        if df is None or not len(df) or df["value"].dropna().empty:
            raise self.why_empty(name)
        return df

    def why_empty(self, name: str) -> Missing:
        """What an empty measure lacks (e.g. own accounts), the scorecard's requirements; else the filters."""
        if self._cache is None:
            self._cache = MetricCache(self.ws, start=self.filters.start, end=self.filters.end)
        return explain_empty(self._cache, name, filtered=not self.filters.is_empty())

    def maybe(self, name: str, by: list[str] | tuple[str, ...] = ()) -> pd.DataFrame | None:
        try:
            return self.get(name, by)
        except Missing:
            return None

    def scalar(self, name: str) -> float | None:
        df = self.maybe(name)
        return None if df is None else float(df["value"].iloc[0])

    def note(self, *metrics: str) -> str:
        """Which chosen filters these metrics cannot apply (shown under the chart, never silently dropped)."""
        skipped = {f for m in metrics for f in self.filters.unsupported(m)}
        return not_applied_note(skipped, self.lang)


FILTER_LABEL = {
    "platform": "platform",
    "account": "wa_account",
    "campaign": "wa_campaign",
    "segment": "wa_segment",
    "start": "period",
    "end": "period",
}


def not_applied_note(skipped: set[str] | list[str], lang: str) -> str:
    if not skipped:
        return ""
    names = sorted({tt(FILTER_LABEL[f], lang) for f in skipped})
    return tt("wa_filter_not_applied", lang, filters=", ".join(names))


def _missing(e: Missing, lang: str) -> str:
    """A missing measure's reason and, when known, how to supply what it lacks."""
    how = e.how(lang)
    return e.text(lang) + (f"{tt('colon', lang)}{how}" if how else "")


# ---- page plumbing --------------------------------------------------------------------------------
def page_filters(request: Request) -> Filters:
    choices = cached_choices(state_of(request))
    request.state.filter_choices = choices
    return parse_filters(request.query_params, choices)


def page_context(st: Any, page: str, lang: str, filters: Filters, ws: Any = None) -> dict[str, Any]:
    """The context of analytics page ``page`` (a key of ``PAGE_CONTEXTS``), from the cache or built now; the
    start-up warming (``web/warm.py``) calls this too (with ``ws`` on its own cursor), so it fills exactly the
    entries the pages read."""
    build = PAGE_CONTEXTS[page]
    return st.cached(page_key(page, lang, filters), lambda w: build(Frames(w, filters, lang)), ws)


def page_key(page: str, lang: str, filters: Filters) -> tuple[Any, ...]:
    return ("page", page, lang, filters.key())


def analytics_page(request: Request, user: Any, page: str) -> Response:
    """Parse the filters, build (or fetch from the cache) the page context, render ``analytics_<page>.html``."""
    lang = lang_of(request)
    filters = page_filters(request)
    ctx = page_context(state_of(request), page, lang, filters)
    return render(
        request,
        f"analytics_{page}.html",
        user=user,
        filters=filters,
        choices=request.state.filter_choices,
        vega_js=bundle_url(),
        **ctx,
    )


def kpi(label_key: str, value: str, lang: str) -> tuple[str, str]:
    return tt(label_key, lang), value


# ---- engagement -----------------------------------------------------------------------------------
def engagement_context(fr: Frames) -> dict[str, Any]:
    lang = fr.lang
    sla = float(fr.ws.setting("business_hours.sla_minutes", 240) or 240)
    figs = [
        figure(
            "engagement_trend",
            lang,
            lambda: charts.engagement_trend(fr.get("engagement_rate_followers", ["platform", "week"]), lang),
            fr.note("engagement_rate_followers"),
        ),
        figure(
            "first_response",
            lang,
            lambda: charts.response_times(fr.get("first_response_minutes", ["platform", "week"]), lang, sla),
            fr.note("first_response_minutes"),
        ),
        figure(
            "response_rate",
            lang,
            lambda: charts.response_rate(fr.get("response_rate", ["platform"]), lang),
            fr.note("response_rate"),
        ),
    ]
    kpis = [
        kpi("kpi_posts", F.number(fr.scalar("posts"), lang), lang),
        kpi("kpi_engagements", F.number(fr.scalar("engagements"), lang), lang),
        kpi("er_followers", F.percent(fr.scalar("engagement_rate_followers")), lang),
        kpi("response_rate", F.percent(fr.scalar("response_rate")), lang),
    ]
    return {"figures": figs, "kpis": kpis, "kpi_note": fr.note("posts", "response_rate")}


@router.get("/engagement")
def engagement(request: Request, user: Reader) -> Response:
    return analytics_page(request, user, "engagement")


# ---- content --------------------------------------------------------------------------------------
def top_posts(fr: Frames, limit: int = TOP_POSTS) -> pd.DataFrame:
    """Own posts with the most engagements E_p (the metric layer's per-post rule, same filters as ``posts``)."""
    import ibis

    kw = fr.filters.metric_kwargs("posts")
    q = Query.make((), kw["start"], kw["end"], kw.get("platform"), kw.get("account"), kw.get("campaign"), None)
    p = own_posts(tables_of(fr.ws), q)
    p = p.order_by([ibis.desc("engagements"), "ts", "post_id"]).limit(limit)
    cols = ["platform", "post_id", "ts", "text", "media_type", "likes", "comments", "reposts", "engagements"]
    return fr.ws.ibis.to_pyarrow(p.select(*cols, "followers", "impressions")).to_pandas()


def _post_rows(df: pd.DataFrame, lang: str) -> list[dict[str, str]]:
    return [
        {"post_id": str(r["post_id"])} | post_cells(r, lang, posted=r["ts"], engagements=r["engagements"])
        for r in df.to_dict(orient="records")
    ]


def formats_table(fr: Frames) -> list[dict[str, str]]:
    posts = fr.maybe("posts", ["media_type"])
    if posts is None:
        return []
    er = fr.maybe("engagement_rate_followers", ["media_type"])
    eng = fr.maybe("engagements", ["media_type"])
    df = posts.rename(columns={"value": "posts"})[["media_type", "posts"]]
    for name, frame in (("er", er), ("engagements", eng)):
        if frame is not None:
            df = df.merge(frame[["media_type", "value"]].rename(columns={"value": name}), on="media_type", how="left")
    df = df.sort_values("posts", ascending=False)
    return [
        {
            "format": media_name(r["media_type"], fr.lang) or "—",
            "posts": F.number(r["posts"], fr.lang),
            "engagements": F.number(r.get("engagements"), fr.lang),
            "er": F.percent(r.get("er")),
        }
        for r in df.to_dict(orient="records")
    ]


TOP_TOPICS = 10


def topic_rows(fr: Frames) -> tuple[list[dict[str, str]] | None, str]:
    """The ``topics`` analysis (co-occurrence clusters) of the ``TOPIC_POSTS`` most recent filtered posts, and a
    note saying so when the filter left more."""
    f = fr.filters
    res = analyses.run(fr.ws, "topics", mode="clusters", recent=TOPIC_POSTS, **f.kwargs())
    note = not_applied_note(["segment"] if f.segment else [], fr.lang)  # topics are of posts, not of people
    if not res.values["posts"]:
        return [], note
    if res.values["posts_total"] > res.values["posts"]:
        note += tt("wa_topics_sample", fr.lang, n=F.number(res.values["posts"], fr.lang),
                  total=F.number(res.values["posts_total"], fr.lang))  # fmt: skip
    return [
        {
            "label": F.text(r["label"]),
            "terms": " · ".join(map(str, r["terms"])),
            "docs": F.number(r["docs"], fr.lang),
            "coherence": F.decimal(r["coherence"]),
        }
        for r in res.frame("table").head(TOP_TOPICS).to_dict(orient="records")
    ], note


def content_context(fr: Frames) -> dict[str, Any]:
    lang = fr.lang
    topics, topics_note = topic_rows(fr)
    try:
        posts = _post_rows(top_posts(fr), lang)
    except HudongError as e:
        posts = []
        fr_note = error_text(e, lang)
    else:
        fr_note = ""
    return {
        "top_posts": posts,
        "top_posts_note": fr_note or fr.note("posts"),
        "formats": formats_table(fr),
        "formats_note": fr.note("engagement_rate_followers"),
        "figures": [
            figure(
                "best_hours",
                lang,
                lambda: charts.best_hours_heatmap(fr.get("best_posting_hours", ["hour", "weekday"]), lang),
                fr.note("best_posting_hours"),
            )
        ],
        "topics": topics,
        "topics_note": topics_note,
    }


@router.get("/content")
def content(request: Request, user: Reader) -> Response:
    return analytics_page(request, user, "content")


# ---- community ------------------------------------------------------------------------------------
def _latest(df: pd.DataFrame, col: str) -> pd.DataFrame:
    return df[df[col] == df[col].max()]


def churn_rows(fr: Frames) -> list[dict[str, str]]:
    df = fr.maybe("churned_users", ["month"])
    if df is None:
        return []
    rows = []
    for r in df.sort_values("month", ascending=False).head(12).to_dict(orient="records"):
        prev = r.get("previous_active")
        rate = r["value"] / prev if prev and not pd.isna(prev) and prev > 0 else None
        rows.append(
            {
                "month": F.date(r["month"], "%Y-%m"),
                "previous_active": F.number(prev, fr.lang),
                "churned": F.number(r["value"], fr.lang),
                "rate": F.percent(rate),
            }
        )
    return rows


def community_context(fr: Frames) -> dict[str, Any]:
    lang = fr.lang
    mau = fr.maybe("mau", ["month"])
    latest_mau = float(mau.sort_values("month")["value"].iloc[-1]) if mau is not None else None
    figs = [
        figure("active_users", lang, lambda: charts.active_users(fr.get("dau", ["day"]), mau, lang), fr.note("dau")),
        figure(
            "retention",
            lang,
            lambda: charts.retention_heatmap(fr.get("retention", ["cohort", "period"]), lang),
            fr.note("retention"),
        ),
        figure(
            "orbit",
            lang,
            lambda: charts.orbit_funnel(_latest(fr.get("orbit_levels", ["month", "level"]), "month"), lang),
            fr.note("orbit_levels"),
        ),
    ]
    return {
        "figures": figs,
        "kpis": [
            kpi("kpi_mau", F.number(latest_mau, lang), lang),
            kpi("stickiness", F.percent(fr.scalar("stickiness")), lang),
            kpi("wa_churned", F.number(fr.scalar("churned_users"), lang), lang),
        ],
        "kpi_note": fr.note("mau"),
        "churn": churn_rows(fr),
        "churn_note": fr.note("churned_users"),
    }


@router.get("/community")
def community(request: Request, user: Reader) -> Response:
    return analytics_page(request, user, "community")


# ---- relationships --------------------------------------------------------------------------------
def nps_block(fr: Frames) -> tuple[dict[str, str] | None, Figure]:
    """The ``nps`` analysis under the page's filters, shown as the report shows it (``nps_display``)."""
    lang, f = fr.lang, fr.filters
    values = analyses.run(fr.ws, "nps", **f.kwargs(people=True)).values
    info = nps_display(values, lang)
    if info is None:
        return None, Figure("nps", note=_missing(fr.why_empty("nps"), lang))
    lo, hi = values.get("ci_low"), values.get("ci_high")
    has_ci = lo is not None and hi is not None
    fig = figure(
        "nps",
        lang,
        lambda: charts.nps_interval(values["value"], lo, hi, lang) if has_ci else None,
        fr.note("nps") or ("" if has_ci else tt("no_data", lang)),
    )
    return info, fig


def monthly_rows(fr: Frames, name: str, extra: tuple[str, ...]) -> list[dict[str, str]]:
    df = fr.maybe(name, ["month"])
    if df is None:
        return []
    out = []
    for r in df.sort_values("month", ascending=False).head(12).to_dict(orient="records"):
        row = {"month": F.date(r["month"], "%Y-%m"), "value": F.percent(r["value"])}
        row.update({c: F.number(r.get(c), fr.lang) for c in extra})
        out.append(row)
    return out


def relationships_context(fr: Frames) -> dict[str, Any]:
    lang = fr.lang
    nps, nps_fig = nps_block(fr)
    commerce = getattr(fr.ws, "profile", "brand") != "public"  # a public service has no repurchase to show
    return {
        "nps": nps,
        "figures": [nps_fig],
        "kpis": [
            *([kpi("wa_repurchase", F.percent(fr.scalar("repurchase_rate")), lang)] if commerce else []),
            kpi("wa_loyalty", F.percent(fr.scalar("fan_loyalty")), lang),
        ],
        "kpi_note": fr.note("repurchase_rate" if commerce else "fan_loyalty"),
        "commerce": commerce,
        "repurchase": monthly_rows(fr, "repurchase_rate", ("repeat_customers", "customers")) if commerce else [],
        "loyalty": monthly_rows(fr, "fan_loyalty", ()),
    }


@router.get("/relationships")
def relationships(request: Request, user: Reader) -> Response:
    return analytics_page(request, user, "relationships")


# ---- people and propagation (graph) ---------------------------------------------------------------
def graph_note(filters: Filters, lang: str, supported: tuple[str, ...]) -> str:
    return not_applied_note([f for f in FILTER_LABEL if f not in supported and getattr(filters, f)], lang)


def _platform_arg(filters: Filters) -> list[str] | None:
    return list(filters.platform) or None


def koc_rows(fr: Frames) -> list[dict[str, str]]:
    df = analyses.run(fr.ws, "koc", platform=_platform_arg(fr.filters), top=TOP_KOCS).frame("candidates")
    return [
        {
            "platform": platform_name(r["platform"], fr.lang),
            "name": P._name(r),
            "tier": tier_name(r["tier"], fr.lang),
            "followers": F.number(r["followers"], fr.lang),
            "er": F.percent(r["er_followers"]),
            "peer": F.percent(r["peer_median_er"]),
            "cascades": F.number(r["cascades"], fr.lang),
            "reshares": F.number(r["reshares_sum"], fr.lang),
            "orders": F.number(r["orders"], fr.lang),
            "score": F.number(r["koc_score"], fr.lang),
            "evidence": P.koc_evidence(r, fr.lang),
        }
        for r in df.to_dict(orient="records")
    ]


def coordination_rows(fr: Frames) -> list[dict[str, str]] | None:
    """Coordinated co-sharing groups (the ``coordination`` analysis, CooRnet rule)."""
    groups = analyses.run(fr.ws, "coordination", platform=_platform_arg(fr.filters), adjusted=False).frame("groups")
    return [
        {
            "platform": platform_name(r["platform"], fr.lang),
            "accounts": F.number(r["n_accounts"], fr.lang),
            "edges": F.number(r["edges"], fr.lang),
            "max_co_shares": F.number(r["max_co_shares"], fr.lang),
            "items": F.number(r["items"], fr.lang),
            "period": f"{F.date(r['first'])} – {F.date(r['last'])}",
        }
        for r in groups.head(TOP_KOCS).to_dict(orient="records")
    ]


def community_rows(fr: Frames) -> tuple[list[dict[str, Any]] | None, str]:
    """The largest Leiden communities (the ``communities`` analysis, filtered by platform) and the note on how
    they are defined."""
    table = analyses.run(fr.ws, "communities", platform=_platform_arg(fr.filters)).frame("communities")
    rows = [
        {
            "platform": platform_name(r["platform"], fr.lang),
            "community": int(r["community"]),
            "size": F.number(r["size"], fr.lang),
            "share": F.percent(r["share"]),
            "key_members": [str(u) for u in r["key_members"]],
            "bridges": [str(u) for u in r["bridges"]],
            "modularity": F.decimal(r["modularity"], 3),
        }
        for r in table.head(TOP_COMMUNITIES).to_dict(orient="records")
    ]
    note = tt("wa_communities_how", fr.lang, n=F.number(len(rows), fr.lang), total=F.number(len(table), fr.lang))
    return rows, note


def people_context(fr: Frames) -> dict[str, Any]:
    lang = fr.lang
    orbit = fr.maybe("orbit_levels", ["month", "level"])
    segments = []
    if orbit is not None:
        latest = _latest(orbit, "month").sort_values("level")
        segments = [
            {"level": tt(f"orbit_{int(r['level'])}", lang), "members": F.number(r["value"], lang)}
            for r in latest.to_dict(orient="records")
        ]
    comms, comms_note = community_rows(fr)
    return {
        "segments": segments,
        "segments_note": fr.note("orbit_levels"),
        "kocs": koc_rows(fr),
        "koc_note": graph_note(fr.filters, lang, ("platform",)),
        "communities": comms,
        "communities_note": comms_note,
        "coordination": coordination_rows(fr),
    }


@router.get("/people")
def people(request: Request, user: Reader) -> Response:
    return analytics_page(request, user, "people")


CASCADE_COLUMNS = ("size", "depth", "max_breadth", "structural_virality", "t_users_100", "half_life", "duration")


GROWTH_POINTS = 200
SV_POINTS = 500  # the largest cascades (the report draws 1,500; a page stays light, its SVG and spec both carry them)


def thin(growth: pd.DataFrame, points: int = GROWTH_POINTS) -> pd.DataFrame:
    """At most ``points`` evenly spaced steps per growth curve, always with its last one: the drawn step curve is
    the same at page width, and the page stays small (a 2,000-user cascade is otherwise 2,000 points, twice)."""
    parts = []
    for _, g in growth.groupby("cascade", sort=False):
        idx = np.unique(np.linspace(0, len(g) - 1, min(points, len(g))).round().astype(int))
        parts.append(g.iloc[idx])
    return pd.concat(parts, ignore_index=True) if parts else growth


def propagation_context(fr: Frames) -> dict[str, Any]:
    """The cascades in the filters (platform, account = the root author, dates = the root post's date; no
    campaign), as the report's propagation section shows them."""
    lang = fr.lang
    res = analyses.run(fr.ws, "cascades", growth=P.GROWTH_CASCADES, **fr.filters.kwargs())
    df = res.frame("cascades")
    rows = [
        {
            "platform": platform_name(r["platform"], lang),
            "root": str(r["root_post_id"]),
            "started": F.date(r["root_created_at"], "%Y-%m-%d %H:%M"),
            "size": F.number(r["size"], lang),
            "depth": F.number(r["depth"], lang),
            "max_breadth": F.number(r["max_breadth"], lang),
            "sv": F.decimal(r["structural_virality"]),
            "t_users_100": F.minutes(r["t_users_100"], lang),
            "half_life": F.minutes(r["half_life"], lang),
        }
        for r in df.head(TOP_CASCADES).to_dict(orient="records")
    ]
    figs = []
    if len(df):  # the report's charts of the same cascades: growth of the largest, structural virality
        growth = P.growth_frame(res.frame("growth"), lang)
        figs.append(figure("growth", lang, lambda: charts.growth_curves(thin(growth), lang)))
        sv = df.loc[df["size"] > 1, ["size", "structural_virality"]].head(SV_POINTS)
        figs.append(figure("virality", lang, lambda: charts.virality_distribution(sv, lang) if len(sv) else None))
    return {
        "cascades": rows,
        "n_cascades": F.number(len(df), lang),
        "cascade_note": graph_note(fr.filters, lang, ("platform", "account", "start", "end")),
        "figures": figs,
    }


@router.get("/propagation")
def propagation(request: Request, user: Reader) -> Response:
    return analytics_page(request, user, "propagation")


# In the order of the navigation (the order people open them); web/warm.py warms them in this order.
PAGE_CONTEXTS: dict[str, Callable[[Frames], dict[str, Any]]] = {
    "engagement": engagement_context,
    "content": content_context,
    "community": community_context,
    "relationships": relationships_context,
    "people": people_context,
    "propagation": propagation_context,
}
