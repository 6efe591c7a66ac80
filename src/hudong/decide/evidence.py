"""Fetch the scorecard's evidence from the workspace's metrics: the thin layer between data and scoring.

Every extractor returns an ``Observation`` (a number plus the details a reader needs) or raises
``Missing`` with the reason in both languages. Nothing is estimated when the data is not there.
``MetricCache`` computes each (metric, grouping) once so the scorecard and the report share results.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# Rival IQ 2023 medians (ER by follower per post; TikTok by views), see rules.toml.
RIVAL_IQ_MEDIAN = {"facebook": 0.0006, "instagram": 0.0047, "x": 0.00035, "tiktok": 0.0569}
# hudong's assumption: which Rival IQ platform each of ours is compared with, and on which ER metric.
PLATFORM_BENCHMARK = {
    "weibo": ("x", "engagement_rate_followers"),
    "twitter": ("x", "engagement_rate_followers"),
    "mastodon": ("x", "engagement_rate_followers"),
    "bluesky": ("x", "engagement_rate_followers"),
    "xiaohongshu": ("instagram", "engagement_rate_followers"),
    "wechat": ("facebook", "engagement_rate_followers"),
    "douyin": ("tiktok", "engagement_rate_impressions"),
}
BEST_HOURS_QUANTILE = 0.75  # the top quarter of weekday×hour slots are the "best hours"


class Missing(Exception):  # noqa: N818 - it is a state ("evidence missing"), not a failure
    """Evidence that cannot be computed, with the reason in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass
class Observation:
    value: float
    details: dict[str, Any] = field(default_factory=dict)  # e.g. per-platform values, n, CI


def metric_unavailable(name: str, err: Exception | str) -> Missing:
    """A metric that failed: its label and, in Chinese, the error's Chinese text when it has one."""
    from hudong.report.i18n import t

    try:
        from hudong.metrics.registry import REGISTRY

        label = REGISTRY[name].label_zh if name in REGISTRY else name
    except ImportError:  # pragma: no cover - the metrics package is part of hudong
        label = name
    detail_en = _short(err) if isinstance(err, Exception) else str(err)
    zh = "：" + t(err.key, "zh", **err.params) if isinstance(err, Exception) and getattr(err, "key", None) else ""
    return Missing(t("metric_unavailable", "zh", label=label, detail=zh),
                   t("metric_unavailable", "en", name=name, detail=detail_en))


class MetricCache:
    """Compute each ``ws.metric(name, by)`` once for a period; failures are remembered as ``Missing``."""

    def __init__(self, ws: Any, *, start: Any = None, end: Any = None):
        self.ws = ws
        self.filters = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
        self._results: dict[tuple[str, tuple[str, ...]], pd.DataFrame | Missing] = {}
        self.timings: dict[str, float] = {}

    def available(self) -> set[str] | None:
        try:
            from hudong.metrics import list_metrics
        except ImportError:
            return None
        try:
            return {m if isinstance(m, str) else getattr(m, "name", str(m)) for m in list_metrics()}
        except Exception:  # noqa: BLE001 - a broken registry only means "unknown"
            return None

    def get(self, name: str, by: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
        import time

        key = (name, tuple(by))
        if key not in self._results:
            t0 = time.perf_counter()
            try:
                df = self.ws.metric(name, by=list(by), output="pandas", **self.filters)
                self._results[key] = df
            except Exception as e:  # noqa: BLE001 - any failure is reported as missing evidence, with its message
                self._results[key] = metric_unavailable(name, e)
            self.timings[f"{name}{list(by) if by else ''}"] = time.perf_counter() - t0
        result = self._results[key]
        if isinstance(result, Missing):
            raise result
        return result

    def frame(self, name: str, by: tuple[str, ...] | list[str] = ()) -> pd.DataFrame | None:
        """Like ``get`` but None instead of raising (for charts)."""
        try:
            df = self.get(name, by)
        except Missing:
            return None
        return df if len(df) else None


def _short(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:160]


def _finite(x: Any) -> bool:
    try:
        return x is not None and not pd.isna(x) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def no_data(what_zh: str, what_en: str) -> Missing:
    return Missing(f"没有数据：{what_zh}", f"no data: {what_en}")


def scalar(cache: MetricCache, name: str, *, what_zh: str, what_en: str) -> Observation:
    df = cache.get(name)
    if df is None or len(df) == 0 or not _finite(df["value"].iloc[0]):
        raise no_data(what_zh, what_en)
    row = df.iloc[0].to_dict()
    details = {k: (float(v) if _finite(v) else v) for k, v in row.items() if k != "value"}
    return Observation(float(row["value"]), details)


# ---- extractors: one per evidence key of rules.toml (self-assessment answers are handled elsewhere) ----


def er_followers_index(cache: MetricCache) -> Observation:
    """Posts-weighted mean over platforms of (ER / Rival IQ median of the matching platform)."""
    posts = cache.get("posts", ["platform"])
    counts = {r["platform"]: float(r["value"]) for _, r in posts.iterrows() if _finite(r["value"])}
    per_platform: dict[str, dict[str, Any]] = {}
    for metric in sorted({m for _, m in PLATFORM_BENCHMARK.values()}):
        try:
            df = cache.get(metric, ["platform"])
        except Missing:
            continue
        for _, r in df.iterrows():
            p = r["platform"]
            if p not in PLATFORM_BENCHMARK or PLATFORM_BENCHMARK[p][1] != metric or not _finite(r["value"]):
                continue
            ref = PLATFORM_BENCHMARK[p][0]
            median = RIVAL_IQ_MEDIAN[ref]
            per_platform[p] = {
                "er": float(r["value"]),
                "benchmark": median,
                "benchmark_platform": ref,
                "index": float(r["value"]) / median,
                "posts": counts.get(p, 0.0),
            }
    total = sum(v["posts"] for v in per_platform.values())
    if not per_platform or total <= 0:
        raise Missing(
            "没有可与 Rival IQ 基准对比的平台帖子（需要粉丝数或播放量）",
            "no posts on a platform comparable with Rival IQ benchmarks (needs followers or views)",
        )
    value = sum(v["index"] * v["posts"] for v in per_platform.values()) / total
    return Observation(value, {"platforms": per_platform})


def er_reach(cache: MetricCache) -> Observation:
    return scalar(cache, "engagement_rate_reach", what_zh="帖子没有触达人数", what_en="posts have no reach")


def ugc_share(cache: MetricCache) -> Observation:
    return scalar(cache, "ugc_share", what_zh="没有品牌相关帖子", what_en="no brand-related posts")


def ugc_quality(cache: MetricCache) -> Observation:
    return scalar(cache, "ugc_quality", what_zh="没有 UGC 帖子", what_en="no UGC posts")


def stickiness(cache: MetricCache) -> Observation:
    return scalar(cache, "stickiness", what_zh="没有用户活跃记录", what_en="no user activity")


def repurchase_rate(cache: MetricCache) -> Observation:
    try:
        return scalar(cache, "repurchase_rate", what_zh="未导入订单", what_en="no orders imported")
    except Missing:
        if cache.ws.count("orders") == 0:
            raise
        days = cache.ws.setting("metrics.repurchase_window_days", 90)
        raise Missing(
            f"订单跨度不足：没有顾客的首单之后已观察满 {days} 天的复购窗口",
            f"orders do not span long enough: no customer has been observed for the full {days}-day window after "
            "their first order",
        ) from None


def nps(cache: MetricCache) -> Observation:
    obs = scalar(cache, "nps", what_zh="未导入 NPS 问卷", what_en="no NPS survey imported")
    return obs


def fan_loyalty(cache: MetricCache) -> Observation:
    return scalar(cache, "fan_loyalty", what_zh="没有粉丝互动记录", what_en="no fan interactions")


def response_rate(cache: MetricCache) -> Observation:
    return scalar(cache, "response_rate", what_zh="没有需回复的来信", what_en="no inbound messages to answer")


def first_response_minutes(cache: MetricCache) -> Observation:
    return scalar(cache, "first_response_minutes", what_zh="没有官方回复记录", what_en="no replies by staff")


def responses_within_sla(cache: MetricCache) -> Observation:
    obs = scalar(cache, "responses_within_sla", what_zh="没有官方回复记录", what_en="no replies by staff")
    obs.details.setdefault("sla_minutes", cache.ws.setting("business_hours.sla_minutes", 240))
    return obs


def posting_alignment(cache: MetricCache) -> Observation:
    """Share of own posts published in the top quarter of weekday×hour slots by engagement rate."""
    best = cache.get("best_posting_hours", ["hour", "weekday"])
    posts = cache.get("posts", ["hour", "weekday"])
    best = best[best["value"].map(_finite)]
    if len(best) < 4 or len(posts) == 0:
        raise no_data("发帖时段太少，无法判断最佳时段", "too few posting slots to tell the best hours")
    threshold = float(best["value"].quantile(BEST_HOURS_QUANTILE))
    top = best[best["value"] >= threshold]
    top_slots = {(int(h), int(w)) for h, w in zip(top["hour"], top["weekday"], strict=True)}
    total = float(posts["value"].sum())
    if total <= 0:
        raise no_data("没有自有帖子", "no own posts")
    in_best = float(
        sum(
            v
            for h, w, v in zip(posts["hour"], posts["weekday"], posts["value"], strict=True)
            if (int(h), int(w)) in top_slots
        )
    )
    best_hours = sorted(top.sort_values("value", ascending=False)["hour"].astype(int).unique().tolist()[:3])
    return Observation(in_best / total, {"best_slots": len(top_slots), "posts": total, "best_hours": best_hours})


def campaign_tracking(cache: MetricCache) -> Observation:
    df = cache.get("posts", ["campaign"])
    total = float(df["value"].sum())
    if total <= 0:
        raise no_data("没有自有帖子", "no own posts")
    tagged = float(df.loc[df["campaign"].notna() & (df["campaign"].astype(str) != ""), "value"].sum())
    return Observation(tagged / total, {"posts": total, "tagged": tagged})


def _relative_share(cache: MetricCache, name: str) -> Observation:
    df = cache.get(name, ["brand"])
    if len(df) == 0:
        raise no_data("没有提及或互动", "no mentions or engagements")
    df = df[df["value"].map(_finite)]
    own = own_brands(cache.ws)
    brands = [b for b in df["brand"].dropna().astype(str)]
    if len(set(brands)) < 2:
        raise Missing(
            "未导入竞品账号或提及，无法比较份额", "no competitor accounts or mentions imported to compare with"
        )
    mine = df[df["brand"].astype(str).isin(own)] if own else df.iloc[0:0]
    if mine.empty:
        raise Missing(
            "无法识别自有品牌（请在 hudong.toml 设置 brand.name 或标记自有账号）",
            "cannot tell which brand is yours (set brand.name in hudong.toml or mark own accounts)",
        )
    share = float(mine["value"].sum())
    fair = 1.0 / len(set(brands))
    return Observation(share / fair, {"share": share, "brands": len(set(brands)), "equal_share": fair})


def share_of_voice(cache: MetricCache) -> Observation:
    return _relative_share(cache, "share_of_voice")


def share_of_engagement(cache: MetricCache) -> Observation:
    return _relative_share(cache, "share_of_engagement")


def net_sentiment(cache: MetricCache) -> Observation:
    names = cache.available()
    if names is not None and "net_sentiment" not in names:
        raise Missing(
            "情感分析（文本智能）尚未实现，口碑暂无法计算",
            "sentiment analysis (text intelligence) is not available yet, so word of mouth cannot be computed",
        )
    try:
        from hudong.text.sentiment import has_scores

        scored = has_scores(cache.ws.con)
    except Exception:  # noqa: BLE001 - no DuckDB connection (e.g. another engine): let the metric decide
        scored = True
    if not scored:
        raise Missing(
            "尚未计算情感：请先运行 `hudong text sentiment`",
            "sentiment has not been scored yet: run `hudong text sentiment` first",
        )
    return scalar(cache, "net_sentiment", what_zh="没有评论文本", what_en="no comment text")


def own_brands(ws: Any) -> set[str]:
    names = {str(ws.setting("brand.name", "") or "")} | {str(a) for a in ws.setting("brand.aliases", []) or []}
    try:
        # Same rule as hudong.metrics.voice: an own account's brand, else brand.name, else the account name.
        rows = ws.con.execute(
            "SELECT DISTINCT coalesce(nullif(brand, ''), nullif(?, ''), name, account_id) FROM accounts WHERE is_own",
            [str(ws.setting("brand.name", "") or "")],
        ).fetchall()
        names |= {r[0] for r in rows}
    except Exception:  # noqa: BLE001 - accounts table absent in odd stores: fall back to the config
        pass
    return {n for n in names if n}


EXTRACTORS: dict[str, Callable[[MetricCache], Observation]] = {
    "er_followers_index": er_followers_index,
    "er_reach": er_reach,
    "ugc_share": ugc_share,
    "ugc_quality": ugc_quality,
    "stickiness": stickiness,
    "repurchase_rate": repurchase_rate,
    "nps": nps,
    "fan_loyalty": fan_loyalty,
    "response_rate": response_rate,
    "first_response_minutes": first_response_minutes,
    "posting_alignment": posting_alignment,
    "campaign_tracking": campaign_tracking,
    "responses_within_sla": responses_within_sla,
    "share_of_voice": share_of_voice,
    "share_of_engagement": share_of_engagement,
    "net_sentiment": net_sentiment,
}


def collect(cache: MetricCache, keys: list[str] | None = None) -> dict[str, Observation | Missing]:
    """Observations (or Missing) for every data evidence key."""
    out: dict[str, Observation | Missing] = {}
    for key in keys or list(EXTRACTORS):
        try:
            out[key] = EXTRACTORS[key](cache)
        except Missing as m:
            out[key] = m
    return out


def context(cache: MetricCache, values: dict[str, Observation | Missing]) -> dict[str, Any]:
    """Facts recommendations quote but the scorecard does not score: active platforms, top platforms, best hours."""
    ctx: dict[str, Any] = {}
    try:
        posts = cache.get("posts", ["platform"])
        active = posts[posts["value"].map(_finite) & (posts["value"] > 0)]
        ctx["active_platforms"] = float(active["platform"].nunique())
    except Missing:
        pass  # unknown: recommendations that need it do not fire
    er = values.get("er_followers_index")
    if isinstance(er, Observation):
        ranked = sorted(er.details["platforms"].items(), key=lambda kv: kv[1]["index"], reverse=True)
        ctx["top_platforms"] = [p for p, _ in ranked[:2]]
    align = values.get("posting_alignment")
    if isinstance(align, Observation):
        ctx["best_hours"] = align.details.get("best_hours", [])
    return ctx
