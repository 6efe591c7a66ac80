"""Fetch the scorecard's evidence from the workspace's metrics: the thin layer between data and scoring.

Every extractor returns an ``Observation`` (a number plus the details a reader needs) or raises
``Missing`` with the reason in both languages. Nothing is estimated when the data is not there.
``MetricCache`` computes each (metric, grouping) once so the scorecard and the report share results.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hudong.analyses import memoized
from hudong.analyses.scoring import has_scores
from hudong.i18n import t
from hudong.metrics import frame as metric_frame
from hudong.metrics import list_metrics
from hudong.metrics.registry import REGISTRY
from hudong.platforms import RIVAL_IQ_MEDIAN, benchmarks

from .rules import load_rules
from .self_assessment import resolve_path

# Which Rival IQ platform each of ours is compared with, on which ER metric (hudong's assumption): hudong/platforms.py.
PLATFORM_BENCHMARK = benchmarks()
BEST_HOURS_QUANTILE = 0.75  # the top quarter of weekday×hour slots are the "best hours"


class Missing(Exception):  # noqa: N818 - it is a state ("evidence missing"), not a failure
    """Evidence that cannot be computed, with the reason in Chinese and English; when a requirement of
    rules.toml is what is missing, also how to supply it (``how_zh``/``how_en``) and its key."""

    def __init__(self, zh: str, en: str, *, how_zh: str = "", how_en: str = "", requirement: str | None = None):
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.how_zh = how_zh
        self.how_en = how_en
        self.requirement = requirement

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def how(self, lang: str) -> str:
        return self.how_zh if lang == "zh" else self.how_en


@dataclass
class Observation:
    value: float
    details: dict[str, Any] = field(default_factory=dict)  # e.g. per-platform values, n, CI


Value = float | int | Observation | Missing | None  # one piece of evidence: a number, an observation or why it is missing


def metric_unavailable(name: str, err: Exception | str) -> Missing:
    """A metric that failed: its label and, in Chinese, the error's Chinese text when it has one."""
    try:
        label = REGISTRY[name].label_zh if name in REGISTRY else name
    except ImportError:  # pragma: no cover - the metrics package is part of hudong
        label = name
    detail_en = _short(err) if isinstance(err, Exception) else str(err)
    zh = "：" + t(err.key, "zh", **err.params) if isinstance(err, Exception) and getattr(err, "key", None) else ""
    return Missing(t("metric_unavailable", "zh", label=label, detail=zh),
                   t("metric_unavailable", "en", name=name, detail=detail_en))


class MetricCache:
    """Compute each ``ws.metric(name, by)`` once for a period; failures are remembered as ``Missing``."""

    def __init__(self, ws: Any, *, start: Any = None, end: Any = None, self_assessment: Any = None):
        self.ws = ws
        self.filters = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
        self.self_assessment = self_assessment  # a file passed in, instead of scorecard.self_assessment
        self.requirement_counts: dict[str, int] | None = None
        self._results: dict[tuple[str, tuple[str, ...]], pd.DataFrame | Missing] = {}
        self.timings: dict[str, float] = {}

    @classmethod
    def shared(cls, ws: Any, *, start: Any = None, end: Any = None) -> MetricCache:
        """A new cache, or inside ``analyses.memo()`` the one for this workspace and period (the demo's scorecard
        and its reports in two languages compute each metric once)."""
        return memoized(("metric_cache", str(start), str(end)), ws, lambda: cls(ws, start=start, end=end))

    def available(self) -> set[str] | None:
        try:
            return {m if isinstance(m, str) else getattr(m, "name", str(m)) for m in list_metrics()}
        except Exception:  # noqa: BLE001 - a broken registry only means "unknown"
            return None

    def get(self, name: str, by: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
        key = (name, tuple(by))
        if key not in self._results:
            t0 = time.perf_counter()
            try:
                df = metric_frame(self.ws, name, by=list(by), **self.filters)
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


# ---- requirements (rules.toml [requirements]): what evidence needs, checked before it is computed -----------------


def _count(sql: str) -> Callable[[MetricCache], int]:
    def check(cache: MetricCache) -> int:
        try:
            return int(cache.ws.con.execute(sql).fetchone()[0])
        except Exception:  # noqa: BLE001 - a table a store lacks (an odd engine) counts as empty
            return 0

    check.__doc__ = sql
    return check


def _own_posts(cache: MetricCache) -> int:
    """Posts by the own accounts in the period: the ``posts`` metric (start/end of the scorecard apply)."""
    try:
        df = cache.get("posts")
    except Missing:
        return 0
    return int(df["value"].iloc[0]) if len(df) and _finite(df["value"].iloc[0]) else 0


def _competitors(cache: MetricCache) -> int:
    """Competitors' accounts (is_own = false) plus the [[competitors]] of hudong.toml."""
    comps = cache.ws.setting("competitors", []) or []
    return _count("SELECT count(*) FROM accounts WHERE NOT is_own")(cache) + (len(comps) if isinstance(comps, list)
                                                                              else 0)  # fmt: skip


def _self_assessment(cache: MetricCache) -> int:

    path = resolve_path(Path(cache.ws.path), cache.ws.setting("scorecard.self_assessment"), cache.self_assessment)
    return int(path is not None and path.exists())


_OWN = "FROM posts p JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id WHERE a.is_own"
REQUIREMENT_CHECKS: dict[str, Callable[[MetricCache], int]] = {
    "posts": _count("SELECT count(*) FROM posts"),
    "own_accounts": _count("SELECT count(*) FROM accounts WHERE is_own"),
    "own_posts": _own_posts,
    "ugc_posts": _count("SELECT count(*) FROM posts WHERE is_ugc"),
    "reach": _count(f"SELECT count(*) {_OWN} AND p.reach > 0"),
    "interactions": _count("SELECT count(*) FROM interactions"),
    "inbound": _count("SELECT count(*) FROM interactions WHERE is_inbound AND NOT coalesce(by_staff, false)"),
    "staff_replies": _count("SELECT count(*) FROM interactions WHERE by_staff AND NOT coalesce(is_automated, false)"),
    "orders": _count("SELECT count(*) FROM orders"),
    "survey": _count("SELECT count(*) FROM survey_responses WHERE nps_score IS NOT NULL"),
    "brand": lambda cache: len(own_brands(cache.ws)),
    "competitors": _competitors,
    "text_scores": _count("SELECT count(*) FROM text_sentiment"),
    "group_chats": _count("SELECT count(*) FROM chat_messages"),
    "experiments": _count("SELECT count(*) FROM experiments WHERE state <> 'draft'"),
    "ideas": _count("SELECT count(*) FROM ideas"),
    "self_assessment": _self_assessment,
}


def requirement_counts(cache: MetricCache) -> dict[str, int]:
    """How much of each requirement the workspace has (rows, accounts, brand names …; 0 = missing), once per cache."""
    if cache.requirement_counts is None:
        cache.requirement_counts = {k: check(cache) for k, check in REQUIREMENT_CHECKS.items()}
    return cache.requirement_counts


def requirements_met(cache: MetricCache) -> dict[str, bool]:
    """Whether each requirement is met: its count is positive and the requirements it comes after are met."""
    rules = load_rules()
    counts = requirement_counts(cache)
    return {k: all(counts.get(c, 0) > 0 for c in rules.chain(k)) for k in rules.requirements}


def first_unmet(needs: tuple[str, ...] | list[str], met: dict[str, bool], rules: Any = None) -> str | None:
    """The first requirement to supply for ``needs`` (own_accounts before own_posts), or None when all are met."""
    rules = rules or load_rules()
    for need in needs:
        for key in rules.chain(need):
            if not met.get(key, False):
                return key
    return None


def requirement_missing(key: str) -> Missing:
    """The Missing reason of an unmet requirement: what is missing and how to supply it (rules.toml)."""
    r = load_rules().requirements[key]
    return Missing(r.missing_zh, r.missing_en, how_zh=r.how_zh, how_en=r.how_en, requirement=key)


# What a metric needs when it is not evidence itself: from the tables it reads (accounts: to tell own posts).
TABLE_NEEDS = (("accounts", "own_posts"), ("posts", "posts"), ("interactions", "interactions"), ("orders", "orders"),
               ("survey_responses", "survey"), ("text_sentiment", "text_scores"), ("text_signals", "text_scores"),
               ("chat_messages", "group_chats"))  # fmt: skip


def metric_needs(name: str) -> tuple[str, ...]:
    """The requirements of metric ``name``: those of the rules.toml evidence computed from it, else derived from
    the tables it reads (``TABLE_NEEDS``). One source: the empty-state message of a measure says the same as the
    scorecard's missing evidence."""
    needs: list[str] = []
    for d in load_rules().dimensions:
        for e in d.evidence:
            if e.metric == name:
                needs += [n for n in e.needs if n not in needs]
    if needs:
        return tuple(needs)
    try:
        tables = set(REGISTRY[name].tables) if name in REGISTRY else set()
    except ImportError:  # pragma: no cover
        tables = set()
    return tuple(dict.fromkeys(req for table, req in TABLE_NEEDS if table in tables))


def explain_empty(cache: MetricCache, name: str, *, filtered: bool = False) -> Missing:
    """Why metric ``name`` has no rows: the first unmet requirement it needs (e.g. "no own accounts declared"
    when posts exist but no account is marked own), else the filters, else plain "no data"."""
    first = first_unmet(metric_needs(name), requirements_met(cache))
    if first is not None:
        return requirement_missing(first)
    if filtered or cache.filters:
        return Missing("所选条件下没有数据：请放宽筛选条件或日期范围", "no data matches the filters: widen them or the dates")
    return Missing("暂无数据", "no data")


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


def group_peer_answers(cache: MetricCache) -> Observation:
    obs = scalar(cache, "group_peer_answers", what_zh="群聊中没有识别出回答", what_en="no answers found in the group chats")
    obs.details["n"] = obs.details.get("member_answers", 0) + obs.details.get("brand_answers", 0)
    return obs


def newcomer_answer_minutes(cache: MetricCache) -> Observation:
    obs = scalar(cache, "newcomer_answer_minutes", what_zh="没有新人提问得到回答",
                 what_en="no newcomer question was answered")
    obs.details["n"] = obs.details.get("answered", 0)
    return obs


def _last_year(cache: MetricCache) -> tuple[dt.datetime, dt.datetime]:
    """The 365 days before the period's end (its last day included), or before now without an end."""
    given = cache.filters.get("end")
    end = dt.datetime.fromisoformat(str(given)) + dt.timedelta(days=1) if given else dt.datetime.now()
    return end - dt.timedelta(days=365), end


def experiment_practice(cache: MetricCache) -> Observation:
    """Experiments concluded with a decision in the 365 days before the period's end (or now) — not counting a
    decision whose action went against its result (a winner not shipped, a loser shipped) — from the learning
    log; details: how many ran, the share concluded, the median days from the end of an experiment to its
    decision, and the share of decisions (with an action) that followed their result."""
    start, end = _last_year(cache)
    ran, concluded, days, judged, followed = cache.ws.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE state = 'concluded' AND decision IS NOT NULL AND followed_result IS "
        "DISTINCT FROM FALSE), median(date_diff('day', ended_at, decided_at)) FILTER (WHERE state = 'concluded'), "
        "count(followed_result), count(*) FILTER (WHERE followed_result) FROM experiments "
        "WHERE state <> 'draft' AND started_at BETWEEN ? AND ?", [start, end]).fetchone()
    if not ran:
        raise no_data("近一年没有运行过的实验", "no experiment ran in the last year")
    return Observation(float(concluded), {"ran": float(ran), "concluded_share": concluded / ran,
                                          "median_days_to_decision": float(days) if days is not None else None,
                                          "followed_share": followed / judged if judged else None})


def co_creation(cache: MetricCache) -> Observation:
    """Share of the co-creation board's ideas (first raised by users in the 365 days before the period's end, or
    now) that entered the product: status planned or shipped. Details: ideas, the share with any decision
    (considering, planned, shipped, declined), shipped, and the share of shipped ideas whose supporters were
    answered ("you asked, we built it")."""
    start, end = _last_year(cache)
    ideas, adopted, decided, shipped, answered = cache.ws.con.execute(
        "SELECT count(*), count(*) FILTER (WHERE i.status IN ('planned', 'shipped')), "
        "count(*) FILTER (WHERE i.status <> 'new'), count(*) FILTER (WHERE i.status = 'shipped'), "
        "count(*) FILTER (WHERE i.status = 'shipped' AND i.answered_at IS NOT NULL) FROM ideas i "
        "JOIN (SELECT idea_id, min(created_at) AS first_seen FROM idea_messages GROUP BY idea_id) m USING (idea_id) "
        "WHERE m.first_seen BETWEEN ? AND ?", [start, end]).fetchone()
    if not ideas:
        raise no_data("近一年用户没有提出想法", "no idea raised by users in the last year")
    return Observation(adopted / ideas, {"n": float(ideas), "decided_share": decided / ideas, "shipped": float(shipped),
                                         "answered_share": answered / shipped if shipped else None})


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
        scored = has_scores(cache.ws.con)
    except Exception:  # noqa: BLE001 - no DuckDB connection (e.g. another engine): let the metric decide
        scored = True
    if not scored:
        raise Missing(
            "尚未计算情感：请先运行 `hudong text score`",
            "sentiment has not been scored yet: run `hudong text score` first",
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
    "group_peer_answers": group_peer_answers,
    "newcomer_answer_minutes": newcomer_answer_minutes,
    "experiment_practice": experiment_practice,
    "co_creation": co_creation,
}


def collect(cache: MetricCache, keys: list[str] | None = None, progress: Any = None) -> dict[str, Observation | Missing]:
    """Observations (or Missing) for every data evidence key; ``progress(advance=1)`` after each. An item whose
    ``needs`` (rules.toml) are not all met is not computed: it is Missing with the first unmet requirement (what is
    missing, how to supply it)."""
    rules = load_rules()
    met = requirements_met(cache)
    out: dict[str, Observation | Missing] = {}
    for key in keys or list(EXTRACTORS):
        first = first_unmet(rules.evidence_rule(key).needs, met, rules)
        if first is not None:
            out[key] = requirement_missing(first)
        else:
            try:
                out[key] = EXTRACTORS[key](cache)
            except Missing as m:
                out[key] = m
        if progress is not None:
            progress(advance=1)
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
