"""The report's text sections: sentiment over time, keyword bars, rising topics and crisis alerts — analyses,
rendered:

- sentiment over time: the ``sentiment_trend`` analysis, weekly (word-of-mouth posts, scored by
  ``hudong text score``);
- keywords: the ``topics`` analysis (TF-IDF keywords) of the last 30 days of original posts;
- rising topics: the ``bursts`` analysis, terms of the last 7 days against the 4 weeks before;
- crisis alerts: the ``alerts`` analysis over the report's period;
- a warning when the sentiment model does not fit the workspace's texts (the ``text_domain`` analysis).
Each part that cannot be computed becomes a note with the reason instead of failing the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hudong import analyses
from hudong import fmt as F
from hudong.errors import HudongError
from hudong.i18n import error_text, platform_name, t

from . import charts
from .charts import Chart

TOP_TERMS = 15
POST_CHARS = 70


@dataclass
class TextSections:
    charts: dict[str, Any] = field(default_factory=dict)  # key → Chart (charts.Chart)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    alerts_note: str = ""
    domain_warnings: list[str] = field(default_factory=list)  # the sentiment model does not fit these texts


def domain_warnings(res: Any, lang: str) -> list[str]:
    """The ``text_domain`` analysis as warnings, one per language whose texts are out of the model's domain."""
    return [
        t("text_domain_warning", lang, language=t(f"lang_{r.lang}", lang), share=F.percent(r.low_share),
          texts=F.number(r.texts, lang))  # fmt: skip
        for r in res.frame("languages").itertuples()
        if r.warn
    ]


def _rising(ws: Any, start: str | None, end: str | None) -> pd.DataFrame:
    """Terms of the last 7 days against the 4 weeks before (weeks ending at the last post)."""
    res = analyses.run(ws, "bursts", grain="week", window=4, top=TOP_TERMS, start=start, end=end, bursts=False,
                       to_last_post=True, recent_days=35)  # fmt: skip
    up = res.frame("rising")
    return up.assign(docs=up["count"])


def _alerts(ws: Any, lang: str, start: Any, end: Any) -> list[dict[str, Any]]:
    out = []
    res = analyses.run(ws, "alerts", start=start, end=end)
    driving = res.frame("posts")
    for a in res.frame("alerts").itertuples():
        line = t("crisis_line", lang, signal=t(f"crisis_{a.signal}", lang), start=a.start.date(), end=a.end.date(),
                 texts=F.number(a.texts, lang), flagged=F.number(a.flagged, lang), share=F.percent(a.share),
                 base=F.percent(a.baseline_share), z=f"{a.z:.1f}")  # fmt: skip
        posts = [{"platform": platform_name(p.platform, lang), "posted": F.date(p.created_at, "%m-%d %H:%M"),
                  "reach": F.number(p.reach, lang),
                  "text": F.text(p.text)[:POST_CHARS] + ("…" if len(F.text(p.text)) > POST_CHARS else "")}
                 for p in driving[driving["alert"] == a.alert].itertuples()]  # fmt: skip
        out.append({"line": line, "posts": posts})
    return out


def gather_text(ws: Any, lang: str, start: Any = None, end: Any = None) -> TextSections:
    sec = TextSections()
    s = str(start) if start is not None else None
    e = str(end) if end is not None else None
    parts = [
        ("sentiment_trend", lambda: analyses.run(ws, "sentiment_trend", start=s, end=e).frame("trend")
         .rename(columns={"period": "week"}), lambda df: charts.sentiment_trend(df, lang)),
        ("keyword_bars", lambda: analyses.run(ws, "topics", days=30, top=TOP_TERMS, start=s, end=e).frame("table"),
         lambda df: charts.term_bars(df, lang, value="score", title_key="keyword_bars", axis_key="tfidf")),
        ("rising_topics", lambda: _rising(ws, s, e),
         lambda df: charts.term_bars(df, lang, value="ratio", title_key="rising_topics", axis_key="rising_ratio",
                                     color="#ef4444")),
    ]  # fmt: skip
    for key, data, spec in parts:
        try:
            df = data()
            sec.charts[key] = (
                Chart(key, svg=charts.to_svg(spec(df))) if len(df) else Chart(key, note=t("no_data", lang))
            )
        except (HudongError, KeyError, ValueError) as err:
            sec.charts[key] = Chart(key, note=error_text(err, lang))
    try:
        sec.domain_warnings = domain_warnings(analyses.run(ws, "text_domain"), lang)
    except HudongError as err:
        sec.domain_warnings = [error_text(err, lang)]
    try:
        sec.alerts = _alerts(ws, lang, s, e)
        sec.alerts_note = "" if sec.alerts else t("crisis_none", lang)
    except HudongError as err:
        sec.alerts_note = error_text(err, lang)
    return sec
