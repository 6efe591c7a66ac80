"""Crisis alerts for the workspace's brand (``hudong.text.alerts``): ``hudong text alerts`` and the report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from hudong.analyses import texts
from hudong.analyses.base import Result, analysis
from hudong.text.alerts import Alert, detect_alerts

ALERT_COLUMNS = ["alert", "signal", "start", "end", "peak", "flagged", "texts", "share", "baseline_share", "z",
                 "kleinberg_burst"]


@dataclass(frozen=True)
class AlertParams:
    platform: list[str] | None = None
    start: str | None = None
    end: str | None = None
    interactions: bool = False  # the comments, replies, mentions and DMs addressed to the brand count too
    top_posts: int = 5  # driving posts per alert
    window: int = 28
    min_count: int = 8
    z_min: float = 4.0


@analysis("alerts", "危机预警", "Crisis alerts", tables=("posts", "interactions", "accounts", "text_sentiment"),
          params=AlertParams, steps=5)  # fmt: skip
def alerts(ws: Any, p: AlertParams, step: Any) -> Result:
    """Negative sentiment, and toxicity when available, about the own brand against its own baseline. Frames
    ``alerts`` (one row per alert, by start) and ``posts`` (the texts that drove each, by reach; ``alert`` is the
    row it belongs to)."""
    frame = texts.brand_texts(ws, platform=p.platform, start=p.start, end=p.end, interactions=p.interactions,
                              progress=step)  # fmt: skip
    step("detecting alerts")
    found: list[Alert] = []
    for signal in ("negative", "toxic"):
        if signal in frame.columns:
            found += detect_alerts(frame, signal, window=p.window, min_count=p.min_count, z_min=p.z_min,
                                   top_posts=p.top_posts)[0]  # fmt: skip
    found.sort(key=lambda a: (a.start, a.signal))
    rows = [{"alert": i, **{k: getattr(a, k) for k in ALERT_COLUMNS[1:]}} for i, a in enumerate(found)]
    posts = [a.posts.assign(alert=i) for i, a in enumerate(found)]
    return Result({"alerts": pd.DataFrame(rows, columns=ALERT_COLUMNS),
                   "posts": pd.concat(posts, ignore_index=True) if posts else pd.DataFrame(columns=["alert"])},
                  {"alerts": len(found), "brand_texts": len(frame)})  # fmt: skip


def records(res: Result) -> list[dict[str, Any]]:
    """Each alert with its driving posts, as JSON-ready records (the CLI's and the API's shape)."""
    posts = res.frame("posts")
    out = []
    for a in res.frame("alerts").to_dict(orient="records"):
        mine = posts[posts["alert"] == a["alert"]].drop(columns="alert")
        out.append({**{k: str(v.date()) if isinstance(v, pd.Timestamp) else v for k, v in a.items() if k != "alert"},
                    "share": round(a["share"], 4), "baseline_share": round(a["baseline_share"], 4),
                    "z": round(a["z"], 2), "posts": mine.to_dict("records")})  # fmt: skip
    return out
