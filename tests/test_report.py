"""The report end to end on a small workspace: offline HTML, PDF with Chinese text, evidence and escaping."""

from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest

from hudong import fmt, metrics
from hudong.decide import build_scorecard
from hudong.decide.evidence import RIVAL_IQ_MEDIAN, MetricCache, er_followers_index
from hudong.errors import HudongError
from hudong.i18n import TEXT
from hudong.report import charts, write_report
from test_report_sample import build_sample

ZH_SECTIONS = [
    "成熟度评分",
    "趋势",
    "热门帖子",
    "用户生成内容（UGC）",
    "社群与留存",
    "净推荐值（NPS）",
    "回复速度",
    "最佳发布时段",
    "行动建议",
    "缺失的证据",
]
EN_SECTIONS = [
    "Maturity scorecard",
    "Trends",
    "Top posts",
    "User-generated content (UGC)",
    "Community and retention",
    "Net Promoter Score (NPS)",
    "Response times",
    "Best posting hours",
    "Recommendations",
    "Missing evidence",
]
REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    ws = build_sample(tmp_path_factory.mktemp("sample") / "ws", days=100, users=150)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def reports(sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    return {lang: write_report(sample, out, lang=lang) for lang in ("zh", "en")}


def _pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) is not installed")
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_html_is_self_contained_and_offline(reports):
    html = reports["zh"]["html"].read_text(encoding="utf-8")
    assert "<svg" in html
    assert "<style>" in html
    assert not REMOTE.search(html), REMOTE.search(html)
    assert "<script" not in html.lower().replace("&lt;script", "")  # no scripts at all (user text is escaped)
    assert "<link" not in html


def test_chinese_report_is_in_chinese(reports):
    html = reports["zh"]["html"].read_text(encoding="utf-8")
    assert "<title>社会化媒体运营报告" in html
    assert '<html lang="zh-CN">' in html
    for title in ZH_SECTIONS:
        assert title in html, title
    for title in ("Maturity scorecard", "Recommendations", "Missing evidence"):
        assert title not in html


def test_chinese_report_has_no_english_message_on_a_configured_workspace(reports):
    """The brand's workspace with every section drawn (the unconfigured one: test_report_unconfigured.py)."""
    from test_report_unconfigured import english_lines

    html = reports["zh"]["html"].read_text(encoding="utf-8")
    assert english_lines(html) == []
    assert "95% CI" not in html and "95% 置信区间" in html


def test_english_report_is_in_english(reports):
    html = reports["en"]["html"].read_text(encoding="utf-8")
    assert "<title>Social media report" in html
    for title in EN_SECTIONS:
        assert title in html, title
    for title in ("成熟度评分", "行动建议", "缺失的证据"):
        assert title not in html


def test_user_text_is_escaped(reports):
    html = reports["zh"]["html"].read_text(encoding="utf-8")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html or "&lt;script&gt;alert(&#x27;x&#x27;)" in html
    assert "<b>粗体</b>" not in html


def test_pdf_has_chinese_section_titles(reports):
    pdf = reports["zh"]["pdf"]
    assert pdf.read_bytes()[:4] == b"%PDF"
    text = re.sub(r"\s+", "", _pdf_text(pdf))
    for title in ZH_SECTIONS:
        assert re.sub(r"\s+", "", title) in text, title
    assert "山茶社" in text


def test_english_pdf(reports):
    pdf = reports["en"]["pdf"]
    assert pdf.read_bytes()[:4] == b"%PDF"
    text = _pdf_text(pdf)
    assert "Maturity scorecard" in text and "Missing evidence" in text


def test_report_shows_evidence_benchmarks_recommendations_and_missing(reports):
    html = reports["en"]["html"].read_text(encoding="utf-8")
    assert "Rival IQ" in html and "Sprout Social Index" in html  # benchmarks with sources
    assert "sentiment has not been scored yet" in html and "run `hudong text score`" in html  # missing, with how
    assert "no self-assessment file" in html
    assert "Because" in html and "threshold" in html  # recommendations cite their evidence
    assert "95% CI" in html
    for chart_id in (
        "engagement_trend",
        "active_users",
        "ugc_weekly",
        "orbit",
        "retention",
        "first_response",
        "response_rate",
        "best_hours",
    ):
        assert f'id="chart-{chart_id}"' in html, chart_id


def test_report_on_an_empty_workspace_lists_missing_evidence(workspace, tmp_path):
    paths = write_report(workspace, tmp_path / "out", lang="zh", formats=("html",))
    assert set(paths) == {"html"}
    html = paths["html"].read_text(encoding="utf-8")
    assert TEXT["not_scorable"][0] in html
    assert "证据不足" in html  # no overall grade from no evidence
    assert "没有声明自有账号" in html and "没有互动记录" in html  # what is missing …
    assert "generic-accounts" in html and "generic-interactions" in html  # … and how to supply it
    assert "<svg" not in html or "chart-" not in html  # no chart is drawn from no data


def test_bad_language_and_format_are_user_errors(sample, tmp_path):
    with pytest.raises(HudongError, match="unknown report language 'fr'"):
        write_report(sample, tmp_path, lang="fr")
    with pytest.raises(HudongError, match="unknown report format docx"):
        write_report(sample, tmp_path, formats=("docx",))


# ---- scorecard on real data ----------------------------------------------------------------------


def test_er_index_is_the_posts_weighted_ratio_to_rival_iq(sample):
    obs = er_followers_index(MetricCache(sample))
    posts = metrics.frame(sample, "posts", by=["platform"]).set_index("platform")["value"]
    erf = metrics.frame(sample, "engagement_rate_followers", by=["platform"]).set_index("platform")["value"]
    eri = metrics.frame(sample, "engagement_rate_impressions", by=["platform"]).set_index("platform")["value"]
    idx = {
        "weibo": erf["weibo"] / RIVAL_IQ_MEDIAN["x"],
        "xiaohongshu": erf["xiaohongshu"] / RIVAL_IQ_MEDIAN["instagram"],
        "douyin": eri["douyin"] / RIVAL_IQ_MEDIAN["tiktok"],
    }
    expected = sum(idx[p] * posts[p] for p in idx) / sum(posts[p] for p in idx)
    assert obs.value == pytest.approx(expected)
    assert set(obs.details["platforms"]) == set(idx)


def test_scorecard_on_sample_scores_data_dimensions_and_reports_gaps(sample):
    card = build_scorecard(sample)
    for key in ("engagement", "relationship", "data_driven", "brand"):
        assert card.dimension(key).score is not None, key
    assert card.dimension("strategic_integration").score is None  # no self-assessment: not scorable
    nps = card.evidence("nps")
    assert nps is not None and nps.details["n"] == 80
    assert {m.key for m in card.missing} >= {"net_sentiment", "self.strategy_in_plan"}
    assert card.context["active_platforms"] == 3


def test_repurchase_window_too_short_is_explained(tmp_path):
    ws = build_sample(tmp_path / "ws", days=20, users=40, with_survey=False)
    try:
        card = build_scorecard(ws)
        rep = next(m for m in card.missing if m.key == "repurchase_rate")
        assert "90-day window" in rep.reason_en
        nps = next(m for m in card.missing if m.key == "nps")
        assert "no NPS survey" in nps.reason_en
    finally:
        ws.close()


# ---- charts and formatting -----------------------------------------------------------------------


def test_chart_specs_render_to_svg_with_chinese_labels():
    df = pd.DataFrame({"hour": [9, 20, 9], "weekday": [1, 1, 2], "value": [0.01, 0.03, 0.02]})
    spec = charts.best_hours_heatmap(df, "zh")
    assert spec["data"]["values"][0] == {"hour": 9, "weekday": 1, "value": 0.01, "day_label": "周一"}
    svg = charts.to_svg(spec)
    assert svg.startswith("<svg") and "周一" in svg


def _time_charts(start: str, periods: int, freq: str) -> dict[str, dict]:
    """Every chart of charts.py with a time axis, drawn from data of the given span."""
    t = pd.date_range(start, periods=periods, freq=freq)
    weekly = pd.DataFrame({"platform": "weibo", "week": t, "value": 0.01})
    months = pd.date_range(t[0].normalize().replace(day=1), t[-1], freq="MS")
    return {
        "engagement_trend": charts.engagement_trend(weekly, "zh"),
        "active_users": charts.active_users(pd.DataFrame({"day": t, "value": 10.0}),
                                            pd.DataFrame({"month": months, "value": 100.0}), "zh"),
        "ugc_weekly": charts.ugc_weekly(weekly[["week", "value"]], weekly[["week", "value"]], "zh"),
        "first_response": charts.response_times(weekly, "zh"),
        "sentiment_trend": charts.sentiment_trend(
            pd.DataFrame({"week": t, "polarity": "positive", "texts": 3}), "zh"),
    }  # fmt: skip


def _x_labels(svg: str) -> list[str]:
    """The tick labels of the time axis of a rendered chart (dates: they contain a digit and a dash or 年)."""
    axes = re.findall(r'role-axis-label"[^>]*>(.*?)</g>', svg, re.S)
    labels = [re.findall(r">([^<]+)</text>", a) for a in axes]
    return next((ls for ls in labels if ls and all(re.search(r"\d{2}-\d{2}|^\d{4}", x) for x in ls)), [])


@pytest.mark.parametrize(
    ("start", "periods", "freq", "label"),
    [
        ("2023-01-02", 160, "W-MON", r"^20(23|24|25|26)$"),  # three years of weeks: one label per year
        ("2025-03-03", 70, "W-MON", r"^20(25|26)-\d{2}$"),  # 16 months: year-month
        ("2026-03-02", 10, "W-MON", r"^\d{2}-\d{2}$"),  # ten weeks in one year: month-day
    ],
)
def test_every_time_axis_labels_ticks_by_the_span_of_its_data(start, periods, freq, label):
    for key, spec in _time_charts(start, periods, freq).items():
        ticks = _x_labels(charts.to_svg(spec))
        assert len(ticks) >= 2, (key, ticks)
        assert len(set(ticks)) == len(ticks), (key, ticks)  # never "01-01" under every tick
        assert all(re.match(label, x) for x in ticks), (key, ticks)


def test_number_formatting():
    assert fmt.number(123_456, "zh") == "12.3万"
    assert fmt.number(250_000_000, "zh") == "2.5亿"
    assert fmt.number(123_456, "en") == "123,456"
    assert fmt.percent(0.00035) == "0.035%"
    assert fmt.percent(0.256) == "25.6%"
    assert fmt.minutes(150, "zh") == "2.5 小时"
    assert fmt.minutes(45, "en") == "45 min"
    assert fmt.number(None, "zh") == "—"


@pytest.mark.parametrize("missing", [None, float("nan"), float("inf"), pd.NA, pd.NaT, "nan", "NaT"])
def test_every_formatter_shows_a_missing_value_as_a_dash(missing):
    """No formatter path of the report or the web pages prints "nan", "NaT" or "None"."""
    from hudong.report.propagation import kpi_rows
    from hudong.report.writer import _env
    from hudong.web.pages import _env as web_env

    for text in (
        fmt.number(missing, "zh"), fmt.number(missing, "en"), fmt.percent(missing), fmt.minutes(missing, "zh"),
        fmt.score(missing), fmt.decimal(missing), fmt.signed_percent(missing), fmt.date(missing), fmt.text(missing),
        fmt.nps_interval(missing, 10), *(fmt.evidence_value(missing, u, "en") for u in
                                          ("percent", "index", "minutes", "answer", "score", "count")),
    ):  # fmt: skip
        assert text == "—"
    if not isinstance(missing, str):  # a value a template prints directly
        assert _env().from_string("{{ x }}").render(x=missing) == "—"
        assert web_env.from_string("<b>{{ x }}</b>").render(x=missing) == "<b>—</b>"
    rows = kpi_rows(pd.DataFrame([{"metric": m, "raw": missing, "adjusted": missing, "difference": missing,
                                   "difference_pct": missing} for m in ("amplification_rate", "engagements")]), "en")
    assert {v for r in rows for k, v in r.items() if k != "metric"} == {"—"}


def test_period_filters_reach_every_metric(sample, tmp_path):
    card = build_scorecard(sample, start="2030-01-01", end="2030-01-31")
    assert card.dimension("engagement").score is None  # nothing was posted in that period
    assert card.start == "2030-01-01"
    paths = write_report(sample, tmp_path, lang="en", formats=("html",), start="2030-01-01", end="2030-01-31")
    assert "2030-01-01 — 2030-01-31" in paths["html"].read_text(encoding="utf-8")
