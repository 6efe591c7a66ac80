"""The report's text sections: sentiment over time, keyword bars, rising topics and crisis alerts.

- sentiment over time: weekly polarity mix of word-of-mouth posts (posts not published by a watched account,
  reposts excluded) scored by ``hudong text sentiment``;
- keywords: TF-IDF terms of the last 30 days of original posts (``hudong.text.keywords.keywords``);
- rising topics: terms of the last 7 days against the 4 weeks before (``hudong.text.bursts.rising`` on weekly
  counts; window = 4);
- crisis alerts: ``hudong.text.alerts.find_alerts`` over the report's period.
Each part that cannot be computed becomes a note with the reason instead of failing the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hudong import fmt as F
from hudong.errors import HudongError
from hudong.i18n import error_text, platform_name, t
from hudong.text.alerts import find_alerts
from hudong.text.bursts import rising, term_series
from hudong.text.keywords import keywords, load_posts

from . import charts

TOP_TERMS = 15
POST_CHARS = 70


@dataclass
class TextSections:
    charts: dict[str, Any] = field(default_factory=dict)  # key → Chart (see content.Chart)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    alerts_note: str = ""


def _weekly_polarity(posts: pd.DataFrame) -> pd.DataFrame:
    wom = posts[posts["account_id"].isna() & posts["parent_id"].isna() & posts["polarity"].notna()]
    week = wom["created_at"].dt.to_period("W").dt.start_time
    return wom.assign(week=week).groupby(["week", "polarity"]).size().rename("texts").reset_index()


def _rising(posts: pd.DataFrame) -> pd.DataFrame:
    orig = posts[posts["parent_id"].isna()]
    last = orig["created_at"].max()
    orig = orig[orig["created_at"] > last.normalize() - pd.Timedelta(days=35)]  # the 5 weeks used: segment less
    # weeks ending at the last post, so "this week" is the latest 7 days, not a calendar week cut short
    shifted = orig.assign(created_at=orig["created_at"] + (pd.Timestamp("2000-01-02") - last.normalize()))
    wide, _ = term_series(shifted, "W")
    up = rising(wide.tail(5), window=4, min_count=3, top=TOP_TERMS)
    return up.assign(docs=up["count"])


def _keywords(posts: pd.DataFrame) -> pd.DataFrame:
    orig = posts[posts["parent_id"].isna()]
    recent = orig[orig["created_at"] > orig["created_at"].max() - pd.Timedelta(days=30)]
    return keywords(recent, top=TOP_TERMS)


def _alerts(ws: Any, lang: str, start: Any, end: Any) -> list[dict[str, Any]]:
    out = []
    for a in find_alerts(ws, start=start, end=end):
        line = t("crisis_line", lang, signal=t(f"crisis_{a.signal}", lang), start=a.start.date(), end=a.end.date(),
                 texts=F.number(a.texts, lang), flagged=F.number(a.flagged, lang), share=F.percent(a.share),
                 base=F.percent(a.baseline_share), z=f"{a.z:.1f}")  # fmt: skip
        posts = [{"platform": platform_name(p.platform, lang), "posted": F.date(p.created_at, "%m-%d %H:%M"),
                  "reach": F.number(p.reach, lang),
                  "text": F.text(p.text)[:POST_CHARS] + ("…" if len(F.text(p.text)) > POST_CHARS else "")}
                 for p in a.posts.itertuples()]  # fmt: skip
        out.append({"line": line, "posts": posts})
    return out


def gather_text(ws: Any, lang: str, start: Any = None, end: Any = None) -> TextSections:
    from .content import Chart

    sec = TextSections()
    s = str(start) if start is not None else None
    e = str(end) if end is not None else None
    posts = load_posts(ws, start=s, end=e)
    parts = [
        ("sentiment_trend", lambda: _weekly_polarity(posts), lambda df: charts.sentiment_trend(df, lang)),
        ("keyword_bars", lambda: _keywords(posts),
         lambda df: charts.term_bars(df, lang, value="score", title_key="keyword_bars", axis_key="tfidf")),
        ("rising_topics", lambda: _rising(posts),
         lambda df: charts.term_bars(df, lang, value="ratio", title_key="rising_topics", axis_key="rising_ratio",
                                     color="#ef4444")),
    ]  # fmt: skip
    for key, data, spec in parts:
        try:
            df = data() if len(posts) else pd.DataFrame()
            sec.charts[key] = (
                Chart(key, svg=charts.to_svg(spec(df))) if len(df) else Chart(key, note=t("no_data", lang))
            )
        except (HudongError, KeyError, ValueError) as err:
            sec.charts[key] = Chart(key, note=error_text(err, lang))
    try:
        sec.alerts = _alerts(ws, lang, s, e)
        sec.alerts_note = "" if sec.alerts else t("crisis_none", lang)
    except HudongError as err:
        sec.alerts_note = error_text(err, lang)
    return sec
