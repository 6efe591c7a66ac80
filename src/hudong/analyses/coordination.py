"""Coordinated co-sharing groups, bot-like timing and the KPIs with and without the accounts they flag
(``hudong.graph.coordination``): ``hudong coordination``, the web's people page and the report.

**Raw vs adjusted KPIs**: the registered metrics computed twice, on the store and on the store without the
flagged accounts (their interactions and posts filtered out, and their interactions subtracted from the
platform-reported counts of the posts they touched), so no metric formula is repeated here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from hudong.analyses import reads
from hudong.analyses.base import Result, analysis
from hudong.errors import HudongError
from hudong.graph import coordination as C
from hudong.metrics import compute
from hudong.store import schema as S

KPIS = (
    "engagements",
    "engagement_rate_impressions",
    "engagement_rate_reach",
    "amplification_rate",
    "applause_rate",
    "ugc_volume",
    "ugc_creators",
)
# platform-reported post count ← the interaction types counted into it (as hudong.metrics.common.post_engagement)
REPORTED_COUNTS = {
    "likes": ("like",),
    "comments": ("comment", "reply"),
    "reposts": ("repost", "share"),
    "saves": ("save",),
    "clicks": ("click",),
    "impressions": ("view", "impression"),
}


@dataclass(frozen=True)
class CoordinationParams:
    platform: list[str] | None = None
    interval: float | None = None  # seconds; None = estimated per kind from the data (CooRnet)
    min_repetition: int = C.MIN_REPETITION
    kinds: list[str] | None = None  # post, url, hashtag (default: post, url)
    adjusted: bool = True  # also bot-like timing, the flagged accounts and the KPIs raw vs adjusted


@analysis("coordination", "协同行为", "Coordinated behaviour", tables=("posts", "interactions"),
          params=CoordinationParams, engines=("duckdb", "spark"), steps=5)  # fmt: skip
def coordination(ws: Any, p: CoordinationParams, step: Any) -> Result:
    """Frames ``groups``, ``evidence``, ``accounts``, ``pairs``; with ``adjusted``: ``bots`` (bot-like timing),
    ``flagged`` and ``kpis`` (raw, adjusted, difference). Values ``interval`` (seconds per kind) and
    ``edge_threshold``."""
    if p.interval is not None and p.interval <= 0:
        raise HudongError(f"the coordination interval must be > 0 seconds, got {p.interval}")
    step("reading shares")
    sh = reads.shares(ws, p.kinds or C.DEFAULT_KINDS, p.platform)
    res = C.detect_coordination(sh, interval=p.interval, min_repetition=p.min_repetition, step=step)
    frames = {"groups": res.groups, "evidence": res.evidence, "accounts": res.accounts, "pairs": res.pairs}
    values: dict[str, Any] = {"interval": res.interval, "edge_threshold": res.edge_threshold}
    if p.adjusted:
        step("bot-like timing")
        bots = C.bot_signals(reads.actions(ws, p.platform))
        flagged = C.flagged_accounts(res, bots)
        step("KPIs raw vs adjusted")
        frames |= {"bots": bots, "flagged": flagged, "kpis": kpis_raw_adjusted(ws, flagged)}
    return Result(frames, values)


def adjusted_tables(source: Any, flagged: pd.DataFrame) -> dict[str, ir.Table]:
    """The store's tables without the ``flagged`` accounts (platform, user_id): their interactions and posts
    filtered out, and their interactions subtracted from the platform-reported counts of the posts they
    touched (a reported count never goes below 0). Every metric computed on these is the adjusted value."""
    t = reads.tables(source)
    out = {name: t[name] for name in S.FACT_TABLES}
    f = ibis.memtable(flagged[["platform", "user_id"]].astype(str), schema={"platform": "string", "user_id": "string"})
    i = t["interactions"]
    by_flagged = [i.platform == f.platform, i.actor_id.cast("string") == f.user_id]
    gone = i.semi_join(f, by_flagged).filter(i.target_post_id.notnull())
    counts = gone.group_by(platform=gone.platform, post_id=gone.target_post_id).aggregate(
        **{f"n_{col}": gone.type.isin(types).sum() for col, types in REPORTED_COUNTS.items()}
    )
    p = t["posts"]
    j = p.left_join(counts, [p.platform == counts.platform, p.post_id == counts.post_id])
    fixed = {c: ibis.greatest(j[c] - j[f"n_{c}"].fill_null(0), 0).cast(p[c].type()) for c in REPORTED_COUNTS}
    posts = j.select(*[fixed.get(c, j[c]).name(c) for c in p.columns])
    out["posts"] = posts.anti_join(f, [posts.platform == f.platform, posts.author_id.cast("string") == f.user_id])
    out["interactions"] = i.anti_join(f, by_flagged)
    return out


def flagged(source: Any, platform: reads.Platforms = None) -> pd.DataFrame:
    """(platform, user_id, reason) of the accounts in a coordinated group or with bot-like timing."""
    res = C.detect_coordination(reads.shares(source, platform=platform))
    return C.flagged_accounts(res, C.bot_signals(reads.actions(source, platform)))


def kpis_raw_adjusted(
    source: Any,
    flagged_accounts: pd.DataFrame | None = None,
    metrics: Sequence[str] = KPIS,
    by: str | Sequence[str] = (),
    **filters: Any,
) -> pd.DataFrame:
    """Each KPI from the metric registry on the store (``raw``) and without the flagged accounts
    (``adjusted``), side by side with ``difference`` = adjusted − raw and ``difference_pct``."""
    flagged_accounts = flagged_accounts if flagged_accounts is not None else flagged(source)
    adj = adjusted_tables(source, flagged_accounts)
    dims = [by] if isinstance(by, str) else list(by)
    settings = getattr(source, "config", None)  # hudong.toml's metric settings, on both sides
    rows = []
    for name in metrics:
        raw = compute(reads.tables(source), name, by=dims, settings=settings, **filters).to_pandas()
        new = compute(adj, name, by=dims, settings=settings, **filters).to_pandas()
        m = (
            raw[[*dims, "value"]].merge(new[[*dims, "value"]], on=dims, how="outer", suffixes=("_raw", "_adj"))
            if dims
            else pd.DataFrame({"value_raw": raw["value"].head(1), "value_adj": new["value"].head(1)})
        )
        m.insert(0, "metric", name)
        rows.append(m)
    out = pd.concat(rows, ignore_index=True).rename(columns={"value_raw": "raw", "value_adj": "adjusted"})
    out["raw"] = out["raw"].astype(np.float64)
    out["adjusted"] = out["adjusted"].astype(np.float64)
    out["difference"] = out["adjusted"] - out["raw"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["difference_pct"] = np.where(out["raw"] != 0, out["difference"] / out["raw"], np.nan)
    out.attrs["flagged_accounts"] = len(flagged_accounts)
    return out
