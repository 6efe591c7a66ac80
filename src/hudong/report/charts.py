"""Every chart of hudong as a Vega-Lite spec built from a metric DataFrame (one module: the report and the
web dashboard draw the same specs). ``to_svg`` renders a spec offline with vl-convert (no browser).

Each function takes the DataFrame ``ws.metric(...)`` returns (dimension columns, then ``value``) and a
language; labels come from ``hudong.i18n``. Data is inlined in the spec, so a spec is self-contained.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hudong.fmt import clip_nps
from hudong.i18n import media_name, platform_name, t

FONT = "Noto Sans CJK SC, Noto Sans SC, PingFang SC, Microsoft YaHei, Helvetica Neue, Arial, sans-serif"
INK = "#1f2937"
MUTED = "#6b7280"
GRID = "#eef0f3"
ACCENT = "#4f46e5"
PALETTE = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#64748b"]
WIDTH = 560

CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "view": {"stroke": None},
    "axis": {
        "labelColor": MUTED,
        "titleColor": MUTED,
        "titleFontWeight": "normal",
        "labelFontSize": 10,
        "titleFontSize": 11,
        "gridColor": GRID,
        "domainColor": "#d1d5db",
        "tickColor": "#d1d5db",
    },
    "legend": {"labelColor": INK, "titleColor": MUTED, "titleFontWeight": "normal", "orient": "bottom"},
    "title": {"color": INK, "fontSize": 13, "fontWeight": 600, "anchor": "start"},
    "range": {"category": PALETTE},
    "line": {"strokeWidth": 2},
}


@dataclass
class Chart:
    """A drawn chart for a report: its SVG, or the note saying why there is none."""

    key: str
    svg: str | None = None
    note: str = ""  # why there is no chart


def _json_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, pd.Timestamp | dt.datetime | dt.date):
        return v.isoformat()[:10] if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else v.isoformat()
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-safe dicts (dates as ISO strings, NaN as null)."""
    return [{k: _json_value(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def _base(title: str, data: pd.DataFrame, **kw: Any) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": WIDTH,
        "height": 200,
        "config": CONFIG,
        "data": {"values": records(data)},
        **kw,
    }


def _with_platform_names(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    df = df.copy()
    df["platform"] = [platform_name(p, lang) for p in df["platform"]]
    return df


MAX_TIME_TICKS = 12


def time_ticks(values: Any) -> dict[str, Any]:
    """The x axis of a time chart, chosen from the span of its data (one rule for every time axis):

    - within one calendar year and ≤ 4 months: month-day ticks ("03-02");
    - ≤ 2 years: one tick per month (or every k months, ≤ 12 ticks) labelled year-month ("2026-03");
    - longer: one tick per year (or every k years) labelled with the year ("2026").

    So multi-year data never gets "01-01" under every tick, and a short series keeps its days."""
    ts = pd.to_datetime(pd.Series(list(values)), errors="coerce").dropna()
    if ts.empty:
        return {"format": "%m-%d"}
    lo, hi = ts.min(), ts.max()
    days = (hi - lo).days
    if days <= 122 and lo.year == hi.year:
        return {"format": "%m-%d"}
    if days <= 731:
        months = (hi.year - lo.year) * 12 + hi.month - lo.month + 1
        return {"format": "%Y-%m", "tickCount": {"interval": "month", "step": math.ceil(months / MAX_TIME_TICKS)}}
    years = hi.year - lo.year + 1
    return {"format": "%Y", "tickCount": {"interval": "year", "step": math.ceil(years / MAX_TIME_TICKS)}}


def _date_axis(field: str, title: str | None, values: Any, unit: str = "yearmonthdate") -> dict[str, Any]:
    """A temporal x encoding whose tick labels follow the span of ``values`` (``time_ticks``)."""
    return {"field": field, "type": "temporal", "timeUnit": unit, "title": title, "axis": time_ticks(values)}


def engagement_trend(df: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Weekly engagement rate per platform (``engagement_rate_followers`` by platform, week)."""
    data = _with_platform_names(df.dropna(subset=["value"]), lang)
    return _base(
        t("er_trend", lang),
        data,
        mark={"type": "line", "point": {"size": 18}},
        encoding={
            "x": _date_axis("week", t("week", lang), data["week"]),
            "y": {
                "field": "value",
                "type": "quantitative",
                "title": t("er_followers", lang),
                "axis": {"format": ".2%"},
            },
            "color": {"field": "platform", "type": "nominal", "title": t("platform", lang)},
            "tooltip": [{"field": "platform"}, {"field": "week"}, {"field": "value", "format": ".3%"}],
        },
    )


def active_users(dau: pd.DataFrame, mau: pd.DataFrame | None, lang: str) -> dict[str, Any]:
    """DAU per day (line, left axis) and MAU per month (steps, right axis): their scales differ tenfold."""
    days = list(dau["day"]) + (list(mau["month"]) if mau is not None else [])
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": records(dau[["day", "value"]])},
            "mark": {"type": "line", "color": ACCENT, "strokeWidth": 1.5},
            "encoding": {
                "x": _date_axis("day", t("day", lang), days),
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": t("dau", lang),
                    "axis": {"titleColor": ACCENT},
                },
            },
        }
    ]
    if mau is not None and len(mau):
        layers.append(
            {
                "data": {"values": records(mau[["month", "value"]])},
                "mark": {"type": "bar", "color": "#0ea5e9", "opacity": 0.18},
                "encoding": {
                    "x": _date_axis("month", t("day", lang), days, unit="yearmonth"),
                    "y": {
                        "field": "value",
                        "type": "quantitative",
                        "title": t("mau", lang),
                        "axis": {"titleColor": "#0ea5e9", "orient": "right"},
                    },
                },
            }
        )
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": t("active_users", lang),
        "width": WIDTH,
        "height": 200,
        "config": CONFIG,
        "layer": layers[::-1],  # bars behind the line
    }
    if len(layers) > 1:
        spec["resolve"] = {"scale": {"y": "independent"}}
    return spec


def ugc_weekly(volume: pd.DataFrame, share: pd.DataFrame | None, lang: str) -> dict[str, Any]:
    """UGC posts per week (bars) and UGC share of brand-related posts (line, right axis)."""
    data = volume[["week", "value"]].rename(columns={"value": "volume"})
    if share is not None and len(share):
        data = data.merge(share[["week", "value"]].rename(columns={"value": "share"}), on="week", how="outer")
    layers: list[dict[str, Any]] = [
        {
            # A fixed bar width: bars on a time axis are otherwise one day wide.
            "mark": {"type": "bar", "color": "#c7d2fe", "size": max(2, int(WIDTH / max(len(data), 1) * 0.6))},
            "encoding": {"y": {"field": "volume", "type": "quantitative", "title": t("ugc_volume", lang)}},
        }
    ]
    if "share" in data.columns:
        layers.append(
            {
                "mark": {"type": "line", "color": ACCENT, "point": {"size": 16, "color": ACCENT}},
                "encoding": {
                    "y": {
                        "field": "share",
                        "type": "quantitative",
                        "title": t("ugc_share", lang),
                        "axis": {"format": ".0%"},
                    },
                },
            }
        )
    spec = _base(
        t("ugc_weekly", lang),
        data,
        encoding={"x": _date_axis("week", t("week", lang), data["week"])},
        layer=layers,
    )
    if len(layers) > 1:
        spec["resolve"] = {"scale": {"y": "independent"}}
    return spec


ORBIT_ORDER = (4, 3, 2, 1)  # widest (Exploring) at the top of the funnel


def orbit_funnel(df: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Members per Orbit level (``orbit_levels`` by level): a horizontal funnel from Exploring to Leading."""
    data = df.copy()
    data["label"] = [t(f"orbit_{int(lv)}", lang) if _is_level(lv) else str(lv) for lv in data["level"]]
    order = [t(f"orbit_{lv}", lang) for lv in ORBIT_ORDER]
    return _base(
        t("orbit", lang),
        data,
        height=140,
        mark={"type": "bar", "cornerRadiusEnd": 3, "color": ACCENT},
        encoding={
            "y": {"field": "label", "type": "nominal", "sort": order, "title": None},
            "x": {"field": "value", "type": "quantitative", "title": t("members", lang)},
            "tooltip": [{"field": "label"}, {"field": "value"}],
        },
    )


def _is_level(v: Any) -> bool:
    try:
        return int(v) in ORBIT_ORDER
    except (TypeError, ValueError):
        return False


MAX_COHORTS = 16
MAX_PERIODS = 12


def retention_heatmap(df: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Cohort × period retention (``retention`` by cohort, period) as a heatmap with the rate in each cell.

    Shows the latest ``MAX_COHORTS`` cohorts and periods 0…``MAX_PERIODS`` so the chart fits a page.
    """
    data = df.dropna(subset=["value"])
    recent = sorted(data["cohort"].unique())[-MAX_COHORTS:]
    data = data[data["cohort"].isin(recent) & (data["period"] <= MAX_PERIODS)].copy()
    data["cohort"] = [str(_json_value(c))[:10] for c in data["cohort"]]
    enc_x = {"field": "period", "type": "ordinal", "title": t("period_n", lang), "axis": {"labelAngle": 0}}
    enc_y = {"field": "cohort", "type": "ordinal", "title": t("cohort", lang)}
    n_cohorts = data["cohort"].nunique()
    return _base(
        t("retention", lang),
        data,
        height=max(120, min(16 * n_cohorts, 420)),
        encoding={"x": enc_x, "y": enc_y},
        layer=[
            {
                "mark": {"type": "rect"},
                "encoding": {
                    "color": {
                        "field": "value",
                        "type": "quantitative",
                        "title": t("retained", lang),
                        "scale": {
                            "type": "threshold",
                            "domain": [0.05, 0.1, 0.2, 0.3, 0.5],
                            "range": ["#eff6ff", "#dbeafe", "#bfdbfe", "#93c5fd", "#60a5fa", "#2563eb"],
                        },
                        "legend": {"format": ".0%"},
                    },
                    "tooltip": [{"field": "cohort"}, {"field": "period"}, {"field": "value", "format": ".1%"}],
                },
            },
            {
                "mark": {"type": "text", "fontSize": 8},
                "encoding": {
                    "text": {"field": "value", "type": "quantitative", "format": ".0%"},
                    "color": {"condition": {"test": "datum.value > 0.5", "value": "white"}, "value": INK},
                },
            },
        ],
    )


def nps_interval(nps: float, ci_low: float, ci_high: float, lang: str) -> dict[str, Any]:
    """NPS as a point with its 95% interval on the −100…100 scale, over the 0/30/50 reference bands."""
    bands = pd.DataFrame(
        [
            {"from": -100, "to": 0, "band": "#fde2e2"},
            {"from": 0, "to": 30, "band": "#fef3c7"},
            {"from": 30, "to": 50, "band": "#dcfce7"},
            {"from": 50, "to": 100, "band": "#bbf7d0"},
        ]
    )

    point = pd.DataFrame([{"nps": clip_nps(nps), "lo": clip_nps(ci_low), "hi": clip_nps(ci_high)}])
    x = {"type": "quantitative", "scale": {"domain": [-100, 100]}, "title": "NPS"}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": t("nps_interval", lang),
        "width": WIDTH,
        "height": 50,
        "config": CONFIG,
        "layer": [
            {
                "data": {"values": records(bands)},
                "mark": {"type": "rect", "opacity": 0.9},
                "encoding": {
                    "x": {"field": "from", **x},
                    "x2": {"field": "to"},
                    "color": {"field": "band", "type": "nominal", "scale": None},
                },
            },
            {
                "data": {"values": records(point)},
                "mark": {"type": "rule", "strokeWidth": 3, "color": INK},
                "encoding": {"x": {"field": "lo", **x}, "x2": {"field": "hi"}},
            },
            {
                "data": {"values": records(point)},
                "mark": {"type": "point", "filled": True, "size": 140, "color": ACCENT, "opacity": 1},
                "encoding": {"x": {"field": "nps", **x}},
            },
            {
                "data": {"values": records(point)},
                "mark": {"type": "text", "dy": -18, "fontSize": 12, "fontWeight": 600, "color": INK},
                "encoding": {"x": {"field": "nps", **x}, "text": {"field": "nps", "format": ".1f"}},
            },
        ],
    }


def response_times(df: pd.DataFrame, lang: str, sla_minutes: float = 240) -> dict[str, Any]:
    """Median first-response minutes (business hours) per platform and week, with the 4 h reference line."""
    data = _with_platform_names(df.dropna(subset=["value"]), lang)
    return _base(
        t("first_response", lang),
        data,
        layer=[
            {
                "mark": {"type": "line", "point": {"size": 18}},
                "encoding": {
                    "x": _date_axis("week", t("week", lang), data["week"]),
                    "y": {"field": "value", "type": "quantitative", "title": t("minutes", lang)},
                    "color": {"field": "platform", "type": "nominal", "title": t("platform", lang)},
                },
            },
            {
                "data": {"values": [{"sla": sla_minutes, "label": t("sla_line", lang)}]},
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#ef4444"},
                "encoding": {"y": {"field": "sla", "type": "quantitative"}},
            },
        ],
    )


def response_rate(df: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Response rate per platform (``response_rate`` by platform)."""
    data = _with_platform_names(df.dropna(subset=["value"]), lang)
    return _base(
        t("response_rate", lang),
        data,
        height=max(60, 26 * len(data)),
        mark={"type": "bar", "cornerRadiusEnd": 3, "color": ACCENT},
        encoding={
            "y": {"field": "platform", "type": "nominal", "title": None, "sort": "-x"},
            "x": {
                "field": "value",
                "type": "quantitative",
                "title": t("response_rate", lang),
                "scale": {"domain": [0, 1]},
                "axis": {"format": ".0%"},
            },
        },
    )


def best_hours_heatmap(df: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Engagement rate by weekday × hour (``best_posting_hours`` by hour, weekday)."""
    data = df.dropna(subset=["value"]).copy()
    data["day_label"] = [t(f"wd_{int(w)}", lang) for w in data["weekday"]]
    order = [t(f"wd_{i}", lang) for i in range(1, 8)]
    return _base(
        t("best_hours_heat", lang),
        data,
        height=170,
        mark={"type": "rect", "cornerRadius": 2},
        encoding={
            "x": {
                "field": "hour",
                "type": "ordinal",
                "title": t("hour", lang),
                "axis": {"labelAngle": 0},
                "scale": {"domain": list(range(24))},
            },
            "y": {"field": "day_label", "type": "ordinal", "title": None, "sort": order},
            # Quantile classes: a slot with one lucky post must not wash out the rest of the map.
            "color": {
                "field": "value",
                "type": "quantitative",
                "title": t("er", lang),
                "scale": {"type": "quantile", "scheme": "purples"},
                "legend": {"type": "symbol", "symbolType": "square", "format": ".2%", "orient": "right"},
            },
            "tooltip": [{"field": "day_label"}, {"field": "hour"}, {"field": "value", "format": ".3%"}],
        },
    )


def segment_preferences_heatmap(prefs: pd.DataFrame, lang: str) -> dict[str, Any]:
    """What each segment responds to: segment × content type (or topic), coloured by the lift of its share of
    engagement against the other segments' on a log scale (red above 1, blue below; clipped at ×4 either way), ★
    where the 90 % interval lies above 1 (``segment_preferences``' preferences frame)."""
    data = prefs.copy()
    data["name"] = data["name_zh" if lang == "zh" else "name_en"]
    data["lift_shown"] = data["lift"].clip(0.25, 4.0)
    data["star"] = ["★" if d else "" for d in data["distinctive"]]
    data["cell"] = [media_name(c, lang) or c for c in data["cell"]]  # a content type in words (a topic stays)
    order = list(dict.fromkeys(data["name"]))
    enc_xy = {"x": {"field": "cell", "type": "nominal", "title": None, "axis": {"labelAngle": 0}},
              "y": {"field": "name", "type": "nominal", "title": None, "sort": order}}  # fmt: skip
    return _base(
        t("aud_heat", lang),
        data[["name", "cell", "lift", "lift_lo", "lift_hi", "lift_shown", "star"]],
        height=max(80, 26 * len(order)),
        layer=[
            {"mark": {"type": "rect", "cornerRadius": 2}, "encoding": {
                **enc_xy,
                "color": {"field": "lift_shown", "type": "quantitative", "title": t("aud_lift", lang),
                          "scale": {"type": "log", "domain": [0.25, 4], "scheme": "redblue", "reverse": True},
                          "legend": {"orient": "right", "values": [0.25, 0.5, 1, 2, 4]}},
                "tooltip": [{"field": "name"}, {"field": "cell"}, {"field": "lift", "format": ".2f"},
                            {"field": "lift_lo", "format": ".2f"}, {"field": "lift_hi", "format": ".2f"}]}},
            {"mark": {"type": "text", "fontSize": 12}, "encoding": {**enc_xy, "text": {"field": "star"}}},
        ],
    )  # fmt: skip


def share_of_voice(df: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Share of voice by brand (``share_of_voice`` by brand)."""
    data = df.dropna(subset=["value"])
    return _base(
        t("share_of_voice", lang),
        data,
        height=max(60, 24 * len(data)),
        mark={"type": "bar", "cornerRadiusEnd": 3, "color": "#0ea5e9"},
        encoding={
            "y": {"field": "brand", "type": "nominal", "title": None, "sort": "-x"},
            "x": {
                "field": "value",
                "type": "quantitative",
                "title": t("share_of_voice", lang),
                "axis": {"format": ".0%"},
            },
        },
    )


def campaign_lift(daily: pd.DataFrame, name: str, metric: str, lang: str) -> dict[str, Any]:
    """A campaign's days: the actual series (line) against the counterfactual (dashed) and its 95 % band."""
    actual, expected = t("cmp_actual", lang), t("cmp_expected", lang)
    data = daily.assign(day=pd.to_datetime(daily["day"]).dt.strftime("%Y-%m-%d"))
    long = pd.concat([data.assign(series=actual, value=data["actual"]), data.assign(series=expected, value=data["predicted"])])
    x = _date_axis("day", t("day", lang), data["day"])
    y_title = t(f"cmp_metric_{metric}", lang)
    return _base(t("cmp_lift_title", lang, name=name, metric=y_title), long[["day", "series", "value", "lower", "upper"]],
                 layer=[
                     {"transform": [{"filter": {"field": "series", "equal": expected}}],
                      "mark": {"type": "area", "opacity": 0.2, "color": "#6b7280"},
                      "encoding": {"x": x, "y": {"field": "lower", "type": "quantitative", "title": y_title},
                                   "y2": {"field": "upper"}}},
                     {"mark": {"type": "line", "point": {"size": 16}},
                      "encoding": {"x": x, "y": {"field": "value", "type": "quantitative", "title": y_title},
                                   "color": {"field": "series", "type": "nominal", "title": None},
                                   "strokeDash": {"field": "series", "type": "nominal", "legend": None,
                                                  "scale": {"domain": [actual, expected], "range": [[1, 0], [4, 3]]}},
                                   "tooltip": [{"field": "day"}, {"field": "series"},
                                               {"field": "value", "format": ",.1f"}]}},
                 ])  # fmt: skip


def ugc_funnel(funnel: pd.DataFrame, lang: str) -> dict[str, Any]:
    """A UGC challenge's funnel: people at each stage, as horizontal bars in stage order."""
    data = funnel.assign(label=[t(f"ugc_{s}", lang) for s in funnel["stage"]])
    return _base(t("ugc_funnel", lang), data, height=140, mark={"type": "bar"},
                 encoding={"y": {"field": "label", "type": "nominal", "sort": None, "title": None},
                           "x": {"field": "people", "type": "quantitative", "title": t("ugc_people", lang)},
                           "tooltip": [{"field": "label"}, {"field": "people", "format": ","}]})  # fmt: skip


def to_svg(spec: dict[str, Any]) -> str:
    """Render a spec to a standalone SVG string (offline; fonts from the system, e.g. Noto Sans CJK)."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(spec)
    # Drop the XML prolog so the SVG can be inlined in HTML.
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2 :].lstrip()
    return svg


# ---- propagation (issue #3): cascade tree, growth curves, structural virality --------------------------------
def cascade_tree(nodes: pd.DataFrame, edges: pd.DataFrame, lang: str) -> dict[str, Any]:
    """A tidy tree drawing: ``nodes`` (x, y = depth, arrived = time band label) and ``edges`` (x, y, x2, y2), positions
    computed beforehand (hudong.graph.layout.tree_layout, in the cascades analysis); rules for the edges, points for the users."""
    rules = edges.assign(layer="edge")
    points = nodes.assign(layer="node")
    data = pd.concat([rules, points], ignore_index=True)
    depth = int(nodes["y"].max()) if len(nodes) else 0
    bands = [t(f"prop_arrived_{i}", lang) for i in range(5)]
    x = {"field": "x", "type": "quantitative", "axis": None}
    y = {"field": "y", "type": "quantitative", "title": t("prop_depth", lang), "scale": {"reverse": True},
         "axis": {"tickMinStep": 1, "values": list(range(depth + 1))}}
    return _base(t("prop_tree", lang), data, height=max(160, 28 * (depth + 1)), layer=[
        {"transform": [{"filter": "datum.layer == 'edge'"}], "mark": {"type": "rule", "color": "#cbd5e1"},
         "encoding": {"x": x, "y": y, "x2": {"field": "x2"}, "y2": {"field": "y2"}}},
        {"transform": [{"filter": "datum.layer == 'node'"}], "mark": {"type": "circle", "size": 18, "opacity": 0.9},
         "encoding": {"x": x, "y": y, "color": {"field": "arrived", "type": "ordinal", "sort": bands,
                                                  "scale": {"scheme": "purples", "reverse": True},
                                                  "title": t("prop_arrived", lang)}}},
    ])  # fmt: skip


def growth_curves(df: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Cumulative users vs minutes since the root post (log; ≥ 1), one line per cascade (cascade, minutes, users)."""
    return _base(t("prop_growth", lang), df, mark={"type": "line", "interpolate": "step-after"}, encoding={
        "x": {"field": "minutes", "type": "quantitative", "scale": {"type": "log"}, "title": t("prop_minutes_log", lang)},
        "y": {"field": "users", "type": "quantitative", "title": t("prop_users", lang)},
        "color": {"field": "cascade", "type": "nominal", "title": None},
    })  # fmt: skip


def virality_distribution(df: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Structural virality: histogram, and log size vs SV scatter (columns size, structural_virality)."""
    sv = {"field": "structural_virality", "type": "quantitative", "title": t("prop_sv", lang)}
    spec = _base(t("prop_sv_title", lang), df)
    spec.pop("width"), spec.pop("height")
    spec["hconcat"] = [
        {"width": WIDTH // 2 - 30, "height": 180, "mark": {"type": "bar", "color": ACCENT},
         "encoding": {"x": {**sv, "bin": {"maxbins": 30}}, "y": {"aggregate": "count", "title": t("prop_cascades", lang)}}},
        {"width": WIDTH // 2 - 30, "height": 180, "mark": {"type": "circle", "size": 14, "opacity": 0.5, "color": ACCENT},
         "encoding": {"x": {"field": "size", "type": "quantitative", "scale": {"type": "log"}, "title": t("prop_size", lang)},
                      "y": sv}},
    ]  # fmt: skip
    return spec


# ---- text intelligence (issue #4): emotion mix -----------------------------------------------------------------
EMOTION_COLORS = {"neutral": "#94a3b8", "happy": "#10b981", "angry": "#ef4444", "sad": "#3b82f6",
                  "fear": "#8b5cf6", "surprise": "#f59e0b"}  # fmt: skip


def emotion_mix(df: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Share of each emotion in word of mouth, one stacked bar per platform (``emotion_mix`` by platform)."""
    data = _with_platform_names(df.dropna(subset=["value"]), lang)
    order = [e for e in EMOTION_COLORS if e in set(data["emotion"])]
    data["emotion_label"] = [t(f"emo_{e}", lang) for e in data["emotion"]]
    data["order"] = [order.index(e) for e in data["emotion"]]
    return _base(
        t("emotion_mix", lang),
        data,
        height=max(60, 28 * data["platform"].nunique()),
        mark={"type": "bar"},
        encoding={
            "y": {"field": "platform", "type": "nominal", "title": None},
            "x": {"field": "value", "type": "quantitative", "stack": "normalize", "title": t("emotion_share", lang),
                  "axis": {"format": ".0%"}},
            "color": {"field": "emotion_label", "type": "nominal", "title": None,
                      "scale": {"domain": [t(f"emo_{e}", lang) for e in order],
                                "range": [EMOTION_COLORS[e] for e in order]}},
            "order": {"field": "order"},
            "tooltip": [{"field": "platform"}, {"field": "emotion_label"}, {"field": "value", "format": ".1%"},
                        {"field": "texts"}],
        },
    )  # fmt: skip


# ---- text intelligence (issue #4): sentiment over time, keyword bars, rising topics ---------------------------
POLARITY_COLORS = {"positive": "#10b981", "neutral": "#94a3b8", "negative": "#ef4444"}


def sentiment_trend(df: pd.DataFrame, lang: str) -> dict[str, Any]:
    """Weekly polarity mix of word-of-mouth posts (columns week, polarity, texts), stacked to 100%."""
    order = [p for p in POLARITY_COLORS if p in set(df["polarity"])]
    data = df.assign(
        label=[t(f"pol_{p}", lang) for p in df["polarity"]], order=[order.index(p) for p in df["polarity"]]
    )
    return _base(
        t("sentiment_trend", lang),
        data,
        mark={"type": "area", "interpolate": "monotone"},
        encoding={
            "x": _date_axis("week", t("week", lang), data["week"]),
            "y": {"field": "texts", "type": "quantitative", "stack": "normalize", "title": t("emotion_share", lang),
                  "axis": {"format": ".0%"}},
            "color": {"field": "label", "type": "nominal", "title": None,
                      "scale": {"domain": [t(f"pol_{p}", lang) for p in order],
                                "range": [POLARITY_COLORS[p] for p in order]}},
            "order": {"field": "order"},
            "tooltip": [{"field": "week", "type": "temporal"}, {"field": "label"}, {"field": "texts"}],
        },
    )  # fmt: skip


def term_bars(df: pd.DataFrame, lang: str, *, value: str, title_key: str, axis_key: str,
              color: str = "#4f46e5") -> dict[str, Any]:  # fmt: skip
    """Horizontal bars of terms (keywords by TF-IDF, rising topics by their ratio to the baseline)."""
    return _base(
        t(title_key, lang),
        df,
        height=max(60, 18 * len(df)),
        mark={"type": "bar", "cornerRadiusEnd": 3, "color": color},
        encoding={
            "y": {"field": "term", "type": "nominal", "title": None, "sort": "-x"},
            "x": {"field": value, "type": "quantitative", "title": t(axis_key, lang)},
            "tooltip": [{"field": "term"}, {"field": value, "format": ".2f"}, {"field": "docs"}],
        },
    )
