"""The organization's announcements and rebuttals, and how the public took them (issue #17.6, public-service mode):
a public body (政府部门、医疗机构) is judged on how its notices land and whether its corrections reach the people the
rumour reached; a brand on its statements in a crisis.

- **Which posts.** The organization's own posts that ``text.statements`` reads as an announcement (通知、公告、
  温馨提示, notice, update) or a rebuttal (辟谣、澄清、网传…, a correction).
- **The response.** The comments and replies people wrote on each (staff and automated rows out), with their
  sentiment (``hudong text sentiment``): positive, negative, and the net sentiment (positive − negative) / scored
  with a 95 % normal-approximation interval, ``net ± 1.96·√((p + n − (p − n)²) / N)`` (the NPS interval's form).
- **What a rebuttal answers.** The posts by others on its platform in the ``window_days`` before it that share
  one of its hashtags (#话题#, also as a post's topic) or whose text is similar to it (TF-IDF of characters and
  words, cosine ≥ ``threshold``; ``text.ideas``'s vectorizer): their number, authors, engagements and reach. ``reach_ratio`` = the rebuttal's engagements / theirs — did the correction reach as many
  people as what it corrects (≥ 1: yes)?
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hudong.analyses.base import Filters, Result, analysis
from hudong.metrics import tables_of
from hudong.metrics.common import Query, is_true, own_posts, post_engagement
from hudong.text import ideas as I
from hudong.text import statements as ST

RESPONSE_TYPES = ("comment", "reply")


@dataclass(frozen=True)
class StatementParams(Filters):
    window_days: int = 7  # a rebuttal answers what others said in this many days before it
    threshold: float = 0.15  # the similarity a post must reach to be what a rebuttal answers


def _response(ws: Any, t: Any, posts: pd.DataFrame) -> pd.DataFrame:
    """Per (platform, post_id): responses, scored, positive, negative of the comments and replies on it."""
    i = t["interactions"]
    i = i.filter(i.type.isin(RESPONSE_TYPES), ~is_true(i.by_staff), ~is_true(i.is_automated),
                 i.target_post_id.isin(posts["post_id"].tolist()))  # fmt: skip
    s = t["text_sentiment"]
    s = s.filter(s.kind == "interaction").select(s_platform=s.platform, s_id=s.id, polarity=s.polarity)
    j = i.left_join(s, [i.platform == s.s_platform, i.interaction_id == s.s_id])
    g = j.group_by(platform=j.platform, post_id=j.target_post_id).aggregate(
        responses=j.count(), scored=j.polarity.notnull().sum(), positive=(j.polarity == "positive").sum(),
        negative=(j.polarity == "negative").sum())  # fmt: skip
    return ws.ibis.to_pyarrow(g).to_pandas()


def _net(positive: float, negative: float, n: float) -> tuple[float | None, float | None, float | None]:
    if not n:
        return None, None, None
    p, q = positive / n, negative / n
    half = 1.96 * math.sqrt(max(p + q - (p - q) ** 2, 0.0) / n)
    return p - q, max(p - q - half, -1.0), min(p - q + half, 1.0)


_TAG = re.compile(r"#([^#\s]{1,40})#|#(\w{2,40})")


def hashtags(text: str | None) -> set[str]:
    """The hashtags of a text: Weibo's #话题# and the #word form."""
    return {a or b for a, b in _TAG.findall(text or "")}


def _list(topics: Any) -> list[str]:
    if topics is None or (isinstance(topics, float) and math.isnan(topics)):
        return []
    if isinstance(topics, str):
        try:
            return [str(x) for x in json.loads(topics)]
        except ValueError:
            return []
    return [str(x) for x in topics]


def _spans(times: pd.Series, days: int) -> list[tuple[Any, Any]]:
    """The windows ``[ts − days, ts]`` merged where they overlap: one read of others' posts per span."""
    spans: list[list[Any]] = []
    for ts in sorted(times):
        if spans and ts - dt.timedelta(days=days) <= spans[-1][1]:
            spans[-1][1] = ts
        else:
            spans.append([ts - dt.timedelta(days=days), ts])
    return [(a, b) for a, b in spans]


def _others(ws: Any, t: Any, rebuttals: pd.DataFrame, p: StatementParams) -> pd.DataFrame:
    """Posts with text by others (not an own account) on the rebuttals' platforms within their windows: one query
    per span of overlapping windows (``_spans``), not one per rebuttal."""
    pe = post_engagement(t)
    own = t["accounts"].filter(is_true(t["accounts"].is_own))
    p_ = t["posts"].select(t_platform="platform", t_post="post_id", topics="topics")
    frames = []
    for since, until in _spans(rebuttals["ts"], p.window_days):
        others = pe.filter(pe.ts >= since, pe.ts <= until, pe.text.notnull(),
                           pe.platform.isin(sorted(set(rebuttals["platform"]))))  # fmt: skip
        others = others.anti_join(own, [others.platform == own.platform, others.account == own.account_id])
        others = others.left_join(p_, [others.platform == p_.t_platform, others.post_id == p_.t_post])
        frames.append(ws.ibis.to_pyarrow(others.select("platform", "post_id", "ts", "author", "text", "engagements",
                                                       "reach", "topics")).to_pandas())  # fmt: skip
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _answered(others: pd.DataFrame, r: pd.Series, p: StatementParams) -> dict[str, Any]:
    """What rebuttal ``r`` answers: others' similar posts on its platform in the window before it."""
    out = {"answers_posts": 0, "answers_authors": 0, "answers_engagements": 0, "answers_reach": None,
           "reach_ratio": None, "answers_ids": []}  # fmt: skip
    if others.empty:
        return out
    since = r["ts"] - dt.timedelta(days=p.window_days)
    df = others[(others["platform"] == r["platform"]) & (others["ts"] >= since) & (others["ts"] <= r["ts"])]
    if df.empty:
        return out
    texts = [I.clean(x) for x in df["text"]]
    vec = I.vectorizer().fit([*texts, I.clean(r["text"])])
    x = vec.transform(texts)
    sims = np.asarray((x @ vec.transform([I.clean(r["text"])]).T).todense()).ravel()
    tags = hashtags(r["text"])
    shared = np.array([bool(tags & (hashtags(x) | set(_list(k)))) for x, k in zip(df["text"], df["topics"], strict=True)],
                      dtype=bool)  # fmt: skip
    hit = df[(sims >= p.threshold) | shared]
    if hit.empty:
        return out
    eng = int(hit["engagements"].sum())
    out.update(answers_posts=len(hit), answers_authors=int(hit["author"].nunique()), answers_engagements=eng,
               answers_reach=float(hit["reach"].sum()) if hit["reach"].notna().any() else None,
               reach_ratio=float(r["engagements"]) / eng if eng else None, answers_ids=hit["post_id"].tolist())  # fmt: skip
    return out


@analysis("statements", "公告反响与辟谣", "Announcements and rebuttals", tables=("posts", "interactions",
          "text_sentiment", "accounts"), params=StatementParams, steps=2)  # fmt: skip
def statements(ws: Any, p: StatementParams, step: Any) -> Result:
    """Frame ``statements`` (one row per announcement or rebuttal, newest first: platform, post_id, ts, kind, cue,
    text, engagements, reach, responses, scored, positive, negative, net, net_low, net_high; a rebuttal also
    answers_posts, answers_authors, answers_engagements, answers_reach, reach_ratio, answers_ids); values ``announcements``,
    ``rebuttals``, ``net`` (the announcements' net sentiment over all their scored responses) and
    ``reach_ratio`` (the rebuttals' median)."""
    step("reading the organization's posts")
    t = tables_of(ws)
    q = Query.make((), p.start, p.end, p.platform, p.account, p.campaign, None)
    own = own_posts(t, q).select("platform", "post_id", "ts", "text", "engagements", "reach")
    posts = ws.ibis.to_pyarrow(own.filter(own.text.notnull())).to_pandas()
    kinds = ST.classify(posts["text"])
    posts["kind"], posts["cue"] = [k for k, _ in kinds], [c for _, c in kinds]
    posts = posts[posts["kind"].notna()].sort_values("ts", ascending=False).reset_index(drop=True)
    step("the public's response")
    if not posts.empty:
        resp = _response(ws, t, posts)
        posts = posts.merge(resp, on=["platform", "post_id"], how="left")
    for c in ("responses", "scored", "positive", "negative"):
        posts[c] = posts[c].fillna(0).astype(int) if c in posts else pd.Series(dtype=int)
    nets = [_net(r.positive, r.negative, r.scored) for r in posts.itertuples()]
    posts["net"], posts["net_low"], posts["net_high"] = ([n[k] for n in nets] for k in range(3))
    rebuttals = posts[posts["kind"] == "rebuttal"] if len(posts) else posts
    others = _others(ws, t, rebuttals, p) if len(rebuttals) else pd.DataFrame()
    extra = [_answered(others, r, p) if r["kind"] == "rebuttal" else {} for _, r in posts.iterrows()]
    posts = pd.concat([posts, pd.DataFrame(extra, index=posts.index)], axis=1) if len(posts) else posts
    ann = posts[posts["kind"] == "announcement"]
    reb = posts[posts["kind"] == "rebuttal"]
    net, _, _ = _net(ann["positive"].sum(), ann["negative"].sum(), ann["scored"].sum())
    ratios = reb["reach_ratio"].dropna() if "reach_ratio" in reb else pd.Series(dtype=float)
    values = {"announcements": len(ann), "rebuttals": len(reb), "net": net,
              "reach_ratio": float(ratios.median()) if len(ratios) else None}  # fmt: skip
    return Result({"statements": posts}, values)
