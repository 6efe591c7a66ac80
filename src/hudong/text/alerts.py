"""Crisis alerts: a sudden rise in negative (or toxic) talk about the brand, with the posts that drove it.

Brand texts = posts that mention the own brand (``hudong.text.mentions``; the brand's own accounts' posts
and reposts of them excluded) and, with ``interactions=True``, the comments, replies, mentions and DMs people
address to the brand (where complaints often start): interactions with text on one of the brand's posts or sent to one of its accounts,
or naming the brand (not written by staff or by the brand's own accounts); ``kind`` says which. Their polarity
comes from ``text_sentiment`` (run ``hudong text score`` first) and, when available, toxicity (the ``toxic`` flag
of the ``text_signals`` table written by ``hudong text score``, else ``hudong.text.toxicity.predict`` on the brand
texts; without either, sentiment only).

Rule, per day t and signal (``negative``, ``toxic``), with n_t brand texts and k_t flagged ones; the
baseline is the ``window`` days before t (default 28; at least ``min_baseline_days`` with texts):
- share test: p̂ = (Σk + 1) / (Σn + 2) over the baseline (Laplace-smoothed), z = (k_t − n_t·p̂) / √(n_t·p̂(1 − p̂));
- count test: μ, σ² = mean and variance of the baseline's daily k, z_count = (k_t − μ) / √(σ² + μ + 1);
- the day alerts when k_t ≥ ``min_count`` (default 8), max(z, z_count) ≥ ``z_min`` (default 4) and the share
  itself is up, z ≥ ``z_share_min`` (default 2): more flagged talk that is *also* a larger share — a day when
  everybody talks more about the brand in the usual mix is not a crisis.
Consecutive alert days (gaps ≤ 1 day) form one alert; its driving posts are the flagged posts of those days
ranked by reach (then likes + comments + reposts). A Kleinberg two-state burst on k_t of n_t is reported
alongside (``kleinberg_burst``) as a second opinion, not as the trigger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hudong.errors import HudongError
from hudong.text.bursts import kleinberg

__all__ = ["Alert", "detect_alerts"]


@dataclass
class Alert:
    signal: str  # negative | toxic
    start: pd.Timestamp
    end: pd.Timestamp
    peak: pd.Timestamp
    flagged: int  # flagged texts over the alert days
    texts: int
    share: float  # flagged / texts on the peak day
    baseline_share: float
    z: float  # max of the share and count z on the peak day
    kleinberg_burst: bool
    posts: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def to_dict(self) -> dict[str, Any]:
        return {"signal": self.signal, "start": str(self.start.date()), "end": str(self.end.date()),
                "peak": str(self.peak.date()), "flagged": self.flagged, "texts": self.texts,
                "share": round(self.share, 4), "baseline_share": round(self.baseline_share, 4), "z": round(self.z, 2),
                "kleinberg_burst": self.kleinberg_burst,
                "posts": self.posts.to_dict("records")}  # fmt: skip


def detect_alerts(
    frame: pd.DataFrame, signal: str = "negative", *, window: int = 28, min_count: int = 8, z_min: float = 4.0,
    z_share_min: float = 2.0, min_baseline_days: int = 7, top_posts: int = 5,
) -> tuple[list[Alert], pd.DataFrame]:  # fmt: skip
    """Alerts on one boolean column ``signal`` of ``frame`` (needs created_at), and the daily table used."""
    if signal not in frame.columns:
        raise HudongError(f"no {signal!r} column in the brand texts (columns: {', '.join(frame.columns)})")
    if frame.empty:
        return [], pd.DataFrame(columns=["day", "texts", "flagged", "share", "baseline_share", "z", "z_count", "alert"])
    day = pd.to_datetime(frame["created_at"]).dt.floor("D")
    g = frame.assign(day=day).groupby("day").agg(texts=(signal, "size"), flagged=(signal, "sum"))
    g = g.reindex(pd.date_range(g.index.min(), g.index.max(), freq="D"), fill_value=0)
    n, k = g["texts"].to_numpy(float), g["flagged"].to_numpy(float)
    cn = np.concatenate([[0.0], np.cumsum(n)])
    ck = np.concatenate([[0.0], np.cumsum(k)])
    ck2 = np.concatenate([[0.0], np.cumsum(k * k)])
    t = np.arange(len(g))
    lo = np.maximum(t - window, 0)
    days = t - lo
    bn, bk = cn[t] - cn[lo], ck[t] - ck[lo]
    p = (bk + 1.0) / (bn + 2.0)
    z = (k - n * p) / np.sqrt(np.maximum(n * p * (1 - p), 1e-9))
    mu = np.where(days > 0, bk / np.maximum(days, 1), 0.0)
    var = np.where(days > 0, (ck2[t] - ck2[lo]) / np.maximum(days, 1) - mu**2, 0.0)
    zc = (k - mu) / np.sqrt(np.maximum(var, 0) + mu + 1.0)
    share = np.divide(k, n, out=np.zeros_like(k), where=n > 0)
    active = np.concatenate([[0], np.cumsum(n > 0)])
    enough = (active[t] - active[lo]) >= min_baseline_days
    alert = enough & (k >= min_count) & (np.maximum(z, zc) >= z_min) & (z >= z_share_min)
    burst = kleinberg(k, n).states[0] > 0 if n.sum() > 0 else np.zeros(len(g), bool)
    daily = pd.DataFrame({"day": g.index, "texts": n.astype(int), "flagged": k.astype(int), "share": share,
                          "baseline_share": p, "z": z, "z_count": zc, "alert": alert,
                          "kleinberg_burst": burst})  # fmt: skip
    alerts = []
    idx = np.flatnonzero(alert)
    groups = np.split(idx, np.flatnonzero(np.diff(idx) > 2) + 1) if len(idx) else []
    frame = frame.assign(day=day)
    for run in groups:
        first, last = run[0], run[-1]
        peak = run[np.argmax(np.maximum(z[run], zc[run]))]
        inside = frame[(frame["day"] >= g.index[first]) & (frame["day"] <= g.index[last]) & frame[signal].astype(bool)]
        eng = inside.reindex(columns=["likes", "comments", "reposts"]).fillna(0).sum(axis=1)
        ranked = inside.reindex(columns=[*inside.columns.drop("reach", errors="ignore"), "reach"]).assign(
            engagement=eng).sort_values(["reach", "engagement"], ascending=False, na_position="last")
        cols = [c for c in ("platform", "kind", "post_id", "created_at", "reach", "engagement", "score", "text")
                if c in ranked]
        alerts.append(Alert(signal, g.index[first], g.index[last], g.index[peak], int(k[first : last + 1].sum()),
                            int(n[first : last + 1].sum()), float(share[peak]), float(p[peak]),
                            float(max(z[peak], zc[peak])), bool(burst[first : last + 1].any()),
                            ranked.head(top_posts)[cols].reset_index(drop=True)))  # fmt: skip
    return alerts, daily
