"""Audience segments and what each responds to (``hudong.stats.segments``): `hudong segments`, the web's
/segments page and the report's audience section.

- ``segments``: people clustered from their behaviour (kind ``learned``) or put in RFM-style rule segments (kind
  ``rules``) — per segment its names (zh, en), size and top traits. A stored run (``run``) is read back as it was;
  without one the segmentation is computed now, the same for the same data and parameters (fixed seed).
  ``save`` keeps a computed one (``segment_runs``, ``segment_members``) so it can be compared over time and used as a
  filter (the calendar's target segment).
- ``segment_preferences``: per segment × content type (or topic) the engagement rate and the lift of its share
  against the other segments', empirical-Bayes shrunk, with 90 % intervals; what each segment responds to that
  others do not comes first.

A person is a platform identity (``platform``, pseudonymous ``user_id``) with at least ``min_interactions``
interactions (likes, comments, reposts, shares, saves, clicks, views, DMs, mentions) in the last ``days`` days
before the workspace's last interaction; staff and automated replies are left out.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from hudong.analyses.base import Result, analysis
from hudong.errors import HudongError
from hudong.platforms import PLATFORMS
from hudong.stats import segments as S
from hudong.store.segment_runs import SEP as TARGET_SEP
from hudong.store.segment_runs import runs, stored_run  # noqa: F401  (runs: `seg.runs` for the front ends)
from hudong.store.workspace import has_table

ACTS = ("like", "comment", "reply", "repost", "share", "save", "click", "view", "impression", "dm", "mention")
ENGAGEMENTS = ("like", "comment", "reply", "repost", "share", "save", "click")  # what a preference counts
MEDIA = {"video": ("video", "live"), "image": ("image",), "article": ("article", "link"), "text": ("text",)}
# The features a learned segmentation uses (prefixes): every one, or one question at a time — "what content, and
# when" separates tastes that recency and volume would otherwise drown.
FOCUS = {"all": None, "content": ("media_", "hour_"), "engagement": ("share_", "frequency", "active_days"),
         "value": ("recency_days", "frequency", "active_days", "orders", "revenue")}


@dataclass(frozen=True)
class SegmentParams:
    kind: Literal["learned", "rules"] = "learned"
    run: str | None = None  # a stored run to read back (its id, or "latest")
    platform: list[str] | None = None  # only the people of these platforms (segments within one platform's audience)
    focus: Literal["all", "content", "engagement", "value"] = "all"  # which behaviour sets people apart (FOCUS)
    days: int = 180  # behaviour of the last N days before the last interaction
    min_interactions: int = 3
    ks: list[int] | None = None  # the k tried (default 2–8)
    seed: int = 0


def _as_of(ws: Any) -> dt.datetime:
    t = ws.con.execute("SELECT max(created_at) FROM interactions WHERE NOT coalesce(by_staff, false)").fetchone()[0]
    if t is None:
        raise HudongError("no interactions to segment people by: import interactions first")
    return t


def features(ws: Any, days: int, min_interactions: int, platform: list[str] | None = None
             ) -> tuple[pd.DataFrame, dt.datetime]:  # fmt: skip
    """One row per person (index platform, user_id): the features ``stats.segments.FEATURES`` names, one-hot
    platforms (when there are several), and ``first_days`` (for the rules); and the time recency is counted from."""
    as_of = _as_of(ws)
    since = as_of - dt.timedelta(days=days)
    acts = ", ".join(f"'{a}'" for a in ACTS)
    engaged = ", ".join(f"'{a}'" for a in ENGAGEMENTS)
    media = ", ".join(  # the formats they engage with (views and impressions say what they were shown)
        f"avg((p.media_type IN ({', '.join(repr(m) for m in kinds)}))::INT) FILTER (WHERE p.media_type IS NOT NULL "
        f"AND i.type IN ({engaged})) AS media_{name}" for name, kinds in MEDIA.items())  # fmt: skip
    share = {"like": "('like')", "comment": "('comment', 'reply')", "share": "('repost', 'share')", "save": "('save')",
             "click": "('click')", "view": "('view', 'impression')", "dm": "('dm', 'mention')"}  # fmt: skip
    shares = ", ".join(f"avg((i.type IN {v})::INT) AS share_{k}" for k, v in share.items())
    platforms = list(platform or [])
    only = f" AND i.platform IN ({', '.join('?' for _ in platforms)})" if platforms else ""
    sql = f"""
        WITH i AS (
            SELECT i.platform, i.actor_id AS user_id, i.type, i.created_at, i.interaction_id, i.target_post_id
            FROM interactions i
            LEFT JOIN users u ON u.platform = i.platform AND u.user_id = i.actor_id
            WHERE i.type IN ({acts}) AND NOT coalesce(i.by_staff, false) AND NOT coalesce(i.is_automated, false)
              AND NOT coalesce(u.is_staff, false) AND i.created_at > ? AND i.created_at <= ?{only}),
        f AS (
            SELECT i.platform, i.user_id,
                   date_diff('second', max(i.created_at), ?::TIMESTAMP) / 86400.0 AS recency_days,
                   date_diff('second', min(i.created_at), ?::TIMESTAMP) / 86400.0 AS first_days,
                   count(*) AS frequency, count(DISTINCT i.created_at::DATE) AS active_days,
                   {shares}, {media},
                   avg((hour(i.created_at) >= 18)::INT) AS hour_evening,
                   avg((hour(i.created_at) BETWEEN 9 AND 17)::INT) AS hour_work,
                   avg(s.score) AS sentiment
            FROM i
            LEFT JOIN posts p ON p.platform = i.platform AND p.post_id = i.target_post_id
            LEFT JOIN text_sentiment s ON s.kind = 'interaction' AND s.platform = i.platform AND s.id = i.interaction_id
            GROUP BY ALL HAVING count(*) >= ?),
        o AS (
            SELECT coalesce(user_platform, platform) AS platform, user_id, count(*) AS orders,
                   coalesce(sum(amount), 0) AS revenue
            FROM orders WHERE created_at <= ? GROUP BY ALL)
        SELECT f.*, coalesce(o.orders, 0) AS orders, coalesce(o.revenue, 0) AS revenue,
               coalesce(u.followers, 0) AS followers
        FROM f LEFT JOIN o USING (platform, user_id)
        LEFT JOIN users u ON u.platform = f.platform AND u.user_id = f.user_id
        ORDER BY f.platform, f.user_id"""
    has_scores = has_table(ws.con, "text_sentiment")
    if not has_scores:
        sql = sql.replace("LEFT JOIN text_sentiment s ON s.kind = 'interaction' AND s.platform = i.platform AND "
                          "s.id = i.interaction_id", "").replace("avg(s.score)", "NULL::DOUBLE")
    cur = ws.con.cursor()
    try:
        df = cur.execute(sql, [since, as_of, *platforms, as_of, as_of, min_interactions, as_of]).df()
    finally:
        cur.close()
    if df.empty:
        raise HudongError(f"no one has {min_interactions}+ interactions in the {days} days before {as_of:%Y-%m-%d}")
    df = df.set_index(["platform", "user_id"])
    present = df.index.get_level_values("platform").unique()
    for pid in present if len(present) > 1 else ():
        df[f"{S.PLATFORM_PREFIX}{pid}"] = (df.index.get_level_values("platform") == pid).astype(float)
    return df, as_of


def _platform_names() -> dict[str, tuple[str, str]]:
    return {pid: (p.name_zh, p.name_en) for pid, p in PLATFORMS.items()}


def compute(ws: Any, p: SegmentParams) -> tuple[dict[str, Any], pd.Series]:
    """(definition, segment per person) of a new segmentation — nothing stored."""
    feats, as_of = features(ws, p.days, p.min_interactions, p.platform)
    if p.kind == "rules":
        labels = S.rfm(feats["recency_days"], feats["first_days"], feats["frequency"], feats["orders"])
        segs = []
        for rule in S.RULES:
            rows = feats[labels == rule]
            segs.append({"segment": rule, "name_zh": S.RULE_NAMES[rule][0], "name_en": S.RULE_NAMES[rule][1],
                         "size": len(rows), "traits": [
                             {"feature": "recency_days", "value": round(float(rows["recency_days"].median()), 1)
                              if len(rows) else None},
                             {"feature": "frequency", "value": float(rows["frequency"].median()) if len(rows) else None},
                             {"feature": "orders", "value": round(float(rows["orders"].mean()), 2) if len(rows)
                              else None}]})
        definition = {"kind": "rules", "k": len(S.RULES), "criterion": f"rules: active ≤ {S.ACTIVE_DAYS} d, "
                      f"dormant > {S.DORMANT_DAYS} d, champions = top fifth by interactions who ordered",
                      "segments": segs}  # fmt: skip
        return definition | _common(p, feats, as_of), labels
    prefixes = FOCUS[p.focus]
    cols = [c for c in feats.columns if c != "first_days" and (prefixes is None or c.startswith(prefixes))]
    ks = tuple(p.ks) if p.ks else (2, 3, 4, 5, 6, 7, 8)
    try:
        c = S.cluster(feats[cols], ks=ks, seed=p.seed)
    except ValueError as e:
        raise HudongError(f"cannot segment: {e}") from None
    named = S.names(c.centroids, _platform_names())
    sizes = np.bincount(c.labels, minlength=c.k)
    for seg in named:
        seg["size"] = int(sizes[int(seg["segment"])])  # type: ignore[call-overload]
        seg["segment"] = str(seg["segment"])
    definition = {"kind": "learned", "k": c.k, "segments": named, "features": c.features,
                  "criterion": f"k-means on {p.focus} features, k = {c.k} of {min(ks)}–{max(ks)} by the best mean "
                               f"silhouette ({c.silhouette:.3f}); seed {p.seed}",
                  "silhouette": {str(k): round(v, 4) for k, v in c.tried.items()}}  # fmt: skip
    return definition | _common(p, feats, as_of), pd.Series(c.labels.astype(str), index=feats.index)


def _common(p: SegmentParams, feats: pd.DataFrame, as_of: dt.datetime) -> dict[str, Any]:
    return {"as_of": as_of.isoformat(), "people": len(feats),
            "params": {"days": p.days, "min_interactions": p.min_interactions, "seed": p.seed, "ks": p.ks,
                       "platform": p.platform, "focus": p.focus}}


def save(ws: Any, definition: dict[str, Any], labels: pd.Series, by: str | None = None) -> str:
    """Keep a segmentation: its definition and every person's segment. Returns the run id."""
    run_id = f"seg_{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}_{secrets.token_hex(3)}"
    members = pd.DataFrame({"run_id": run_id, "platform": labels.index.get_level_values("platform"),
                            "user_id": labels.index.get_level_values("user_id"), "segment": labels.to_numpy()})
    with ws.transaction() as con:
        con.execute("INSERT INTO segment_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, definition["kind"], dt.datetime.now(dt.UTC).replace(tzinfo=None), by,
                     dt.datetime.fromisoformat(definition["as_of"]), definition["people"], definition["k"],
                     definition["criterion"], json.dumps(definition, ensure_ascii=False)])  # fmt: skip
        con.register("_segment_members_new", members)
        try:
            con.execute("INSERT INTO segment_members SELECT run_id, platform, user_id, segment FROM _segment_members_new")
        finally:
            con.unregister("_segment_members_new")
    return run_id


def _frame(definition: dict[str, Any]) -> pd.DataFrame:
    total = max(int(definition["people"]), 1)
    rows = [{"segment": s["segment"], "name_zh": s["name_zh"], "name_en": s["name_en"], "size": s["size"],
             "share": s["size"] / total, "traits": s["traits"]} for s in definition["segments"]]
    return pd.DataFrame(rows, columns=["segment", "name_zh", "name_en", "size", "share", "traits"])


@analysis("segments", "受众分群", "Audience segments", tables=("interactions", "posts", "users", "orders",
          "text_sentiment", "segment_runs"), params=SegmentParams, steps=2)  # fmt: skip
def segments(ws: Any, p: SegmentParams, step: Any) -> Result:
    """Frame ``segments`` (segment, name_zh, name_en, size, share, traits); values ``definition`` (what a run
    stores), ``run`` (the stored run read back, else None), ``kind``, ``k``, ``people``, ``criterion``."""
    step("segmenting")
    if p.run:
        if not has_table(ws.con, "segment_runs"):
            raise HudongError("no stored segmentation: `hudong segments --save` keeps one")
        definition, run_id = stored_run(ws, p.run, p.kind)
    else:
        definition, _ = compute(ws, p)
        run_id = None
    step("naming")
    return Result({"segments": _frame(definition)},
                  {"definition": definition, "run": run_id, "kind": definition["kind"], "k": definition["k"],
                   "people": definition["people"], "criterion": definition["criterion"]})


@dataclass(frozen=True)
class PreferenceParams:
    run: str = "latest"  # the stored segmentation whose segments are compared ("latest": the newest learned one)
    by: Literal["content_type", "topic"] = "content_type"
    days: int = 180
    top: int = 3  # per segment, the cells it responds to most distinctively


def _members(ws: Any, p: PreferenceParams) -> tuple[dict[str, Any], str | None, pd.DataFrame]:
    """(definition, run id, members: platform, user_id, segment) of the stored run ``p.run``; with none stored
    (``latest``), a learned segmentation computed now with the default parameters (run id None)."""
    has_runs = ws.con.execute("SELECT count(*) FROM segment_runs").fetchone()[0] if has_table(ws.con, "segment_runs") else 0
    if p.run == "latest" and not has_runs:
        definition, labels = compute(ws, SegmentParams(days=p.days))
        members = pd.DataFrame({"platform": labels.index.get_level_values("platform"),
                                "user_id": labels.index.get_level_values("user_id"), "segment": labels.to_numpy()})
        return definition, None, members
    definition, run_id = stored_run(ws, p.run, "learned" if p.run == "latest" else None)
    members = ws.con.execute("SELECT platform, user_id, segment FROM segment_members WHERE run_id = ?", [run_id]).df()
    return definition, run_id, members


@analysis("segment_preferences", "人群内容偏好", "What each segment responds to",
          tables=("segment_members", "interactions", "posts"), params=PreferenceParams, steps=2)  # fmt: skip
def segment_preferences(ws: Any, p: PreferenceParams, step: Any) -> Result:
    """Frames ``preferences`` (segment, name_zh, name_en, cell, engagements, rate with its interval, share, lift
    with its interval, distinctive; ``stats.segments.preferences``) and ``top`` (per segment its ``top`` distinctive
    cells); values ``run``, ``by`` and ``cells``."""
    step("counting engagements")
    definition, run_id, members_of = _members(ws, p)
    since = dt.datetime.fromisoformat(definition["as_of"]) - dt.timedelta(days=p.days)
    cell = "coalesce(p.media_type, 'other')" if p.by == "content_type" else "t.topic"
    topics = "" if p.by == "content_type" else ", unnest(p.topics) AS t(topic)"
    eng = ", ".join(f"'{a}'" for a in ENGAGEMENTS)
    sql = f"""
        SELECT m.segment, {cell} AS cell, count(*) AS n, count(DISTINCT p.post_id) AS posts
        FROM _segment_members m
        JOIN interactions i ON i.platform = m.platform AND i.actor_id = m.user_id
        JOIN posts p ON p.platform = i.platform AND p.post_id = i.target_post_id{topics}
        WHERE i.type IN ({eng}) AND i.created_at > ? AND NOT coalesce(i.by_staff, false)
        GROUP BY ALL"""
    cur = ws.con.cursor()
    try:
        cur.register("_segment_members", members_of)
        counts = cur.execute(sql, [since]).df()
    finally:
        cur.close()
    members = members_of.groupby("segment").size()
    if counts.empty:
        raise HudongError(f"the segments engaged with no {p.by.replace('_', ' ')} in the last {p.days} days")
    step("shrinking and ranking")
    posts = counts.groupby("cell")["posts"].max()  # a cell's posts any segment engaged with (largest count seen)
    prefs = S.preferences(counts[["segment", "cell", "n"]], members, posts)
    names = _frame(definition).set_index("segment")[["name_zh", "name_en"]]
    prefs = prefs.join(names, on="segment")
    top = prefs[prefs["distinctive"]].groupby("segment", sort=False).head(p.top)
    notes = [] if run_id else ["no stored segmentation: the segments were computed now (`hudong segments --save` "
                               "keeps them)"]
    return Result({"preferences": prefs, "top": top.reset_index(drop=True)},
                  {"run": run_id, "by": p.by, "cells": sorted(prefs["cell"].unique().tolist())}, notes)


def targets(ws: Any) -> list[dict[str, Any]]:
    """The segments a plan item can target: those of the latest stored learned run (value ``RUN#SEGMENT``)."""
    if not has_table(ws.con, "segment_runs"):
        return []
    try:
        definition, run_id = stored_run(ws, "latest", "learned")
    except HudongError:
        return []
    return [{"value": f"{run_id}{TARGET_SEP}{s['segment']}", "name_zh": s["name_zh"], "name_en": s["name_en"],
             "size": s["size"]} for s in definition["segments"]]  # fmt: skip


def target(ws: Any, value: str | None, content_type: str | None = None,
           prefs: Any = None) -> dict[str, Any] | None:  # fmt: skip
    """What a plan item's target segment is and what it responds to: its names, its distinctive content types (lift
    with interval) and whether the item's ``content_type`` is one of them (None: not a stored segment). ``prefs``:
    ``run_id → the run's preference frame``, for a caller that caches it (the web: until the next import)."""
    run_id, sep, segment = (value or "").partition(TARGET_SEP)
    if not sep or not has_table(ws.con, "segment_runs"):
        return None
    try:
        definition, _ = stored_run(ws, run_id)
        prefs = prefs(run_id) if prefs else segment_preferences(ws, run=run_id).frame("preferences")
    except HudongError:
        return None
    named = next((s for s in definition["segments"] if str(s["segment"]) == segment), None)
    if named is None:
        return None
    mine = prefs[(prefs["segment"] == segment) & prefs["distinctive"]]
    likes = [{"cell": r.cell, "lift": r.lift, "lo": r.lift_lo, "hi": r.lift_hi} for r in mine.head(3).itertuples()]
    fits = None if not content_type or not likes else content_type in set(mine["cell"])
    return {"name_zh": named["name_zh"], "name_en": named["name_en"], "size": named["size"], "likes": likes,
            "fits": fits}
