"""Campaigns: what each returned (``campaign_roi``), which touches earned the orders (``attribution``) and what a
campaign added over its baseline (``campaign_lift``).

Who touched a campaign: people who liked, commented, reposted, shared, saved or clicked one of its posts (posts
carry ``campaign_id``; UGC tagged with the campaign counts too). Orders link to those people where the shop knows
the buyer's social identity (``orders.user_id`` + ``user_platform``); only such orders can be attributed, and the
analyses say how many orders that leaves out. A journey is a person's touches before an order (at most
``lookback_days`` earlier and after their previous order) or, with no order following, before the data end; the
channels are campaigns and, for the organization's own posts outside any campaign, "organic · platform".
Attribution models and the Markov removal effect: ``hudong.stats.attribution``; the counterfactual of a lift:
``hudong.stats.incrementality``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from hudong.analyses.base import Result, analysis
from hudong.errors import HudongError
from hudong.metrics import frame as metric_frame
from hudong.stats import attribution as A
from hudong.stats import incrementality as I

TOUCHES = ("like", "comment", "reply", "repost", "share", "save", "click")
ORGANIC = "organic · "
FOLLOW_DAYS = 7  # a follow this soon after a person's first touch of a campaign counts as the campaign's
PRE_DAYS = 56  # the baseline a lift is measured against: up to eight weeks before the campaign


@dataclass(frozen=True)
class CampaignParams:
    campaign: list[str] | None = None  # only these campaigns (default: every one)
    model: Literal["markov", "first", "last", "linear", "time_decay"] = "markov"  # whose revenue ROI counts
    lookback_days: int = 30  # a touch counts for an order at most this many days later
    half_life_days: float = A.HALF_LIFE_DAYS  # time_decay's half-life


def _check(p: Any) -> None:
    if p.lookback_days < 1:
        raise HudongError(f"lookback_days must be at least 1, got {p.lookback_days}")
    if getattr(p, "half_life_days", 1) <= 0:
        raise HudongError("half_life_days must be positive")


def campaigns(ws: Any, only: list[str] | None = None) -> pd.DataFrame:
    """One row per campaign id: name, platforms, start, end, spend (the budgets of its rows), goal."""
    df = ws.con.execute("""
        SELECT campaign_id, any_value(name ORDER BY platform) AS name, string_agg(DISTINCT platform, ', ') AS platforms,
               min(start_at) AS start_at, max(end_at) AS end_at, sum(budget) AS spend, any_value(goal) AS goal
        FROM campaigns GROUP BY campaign_id ORDER BY min(start_at), campaign_id""").df()
    if only:
        unknown = sorted(set(only) - set(df["campaign_id"]))
        if unknown:
            raise HudongError(f"unknown campaign(s) {', '.join(unknown)}; campaigns: {', '.join(df['campaign_id'])}")
        df = df[df["campaign_id"].isin(only)].reset_index(drop=True)
    return df


def _touches_sql() -> str:
    """Each engagement with a campaign post or an own post: platform, person, time, channel."""
    kinds = ", ".join(f"'{k}'" for k in TOUCHES)
    return f"""
        SELECT i.platform, i.actor_id AS user_id, i.created_at AS t,
               coalesce(p.campaign_id, '{ORGANIC}' || p.platform) AS channel
        FROM interactions i
        JOIN posts p ON p.platform = i.platform AND p.post_id = i.target_post_id
        LEFT JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id AND a.is_own
        LEFT JOIN users u ON u.platform = i.platform AND u.user_id = i.actor_id
        WHERE i.type IN ({kinds}) AND NOT coalesce(i.by_staff, false) AND NOT coalesce(u.is_staff, false)
          AND (p.campaign_id IS NOT NULL OR a.account_id IS NOT NULL)"""


def journeys(ws: Any, lookback_days: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """People's journeys on the platforms whose buyers the shop can link (``stats.attribution`` format, one row
    per journey: platform, user_id, channels, ages in days, conversions, value) and counts of what is covered."""
    linked = [r[0] for r in ws.con.execute(
        "SELECT DISTINCT user_platform FROM orders WHERE user_platform IS NOT NULL ORDER BY 1").fetchall()]  # fmt: skip
    total = ws.con.execute("SELECT count(*) FROM orders").fetchone()[0]
    coverage = {"orders": int(total), "linked_orders": 0, "platforms": len(linked)}
    cols = ["platform", "user_id", "channels", "ages", "conversions", "value"]
    if not linked:
        return pd.DataFrame(columns=cols), coverage
    coverage["linked_orders"] = int(ws.con.execute(
        "SELECT count(*) FROM orders WHERE user_platform IS NOT NULL").fetchone()[0])  # fmt: skip
    marks = ", ".join("?" for _ in linked)
    # each touch finds the next order of the same person (ASOF: the earliest order at or after it); it belongs to
    # that order's journey when within the lookback, otherwise to a journey that ends without an order
    df = ws.con.execute(f"""
        WITH t AS ({_touches_sql()} AND i.platform IN ({marks})),
        o AS (SELECT user_platform AS platform, user_id, created_at AS ot, order_id, coalesce(amount, 0) AS amount
              FROM orders WHERE user_platform IN ({marks})),
        j AS (SELECT t.platform, t.user_id, t.t, t.channel, o.ot, o.order_id, o.amount
              FROM t ASOF LEFT JOIN o ON t.platform = o.platform AND t.user_id = o.user_id AND t.t <= o.ot),
        k AS (SELECT *, coalesce(ot <= t + INTERVAL ({int(lookback_days)}) DAY, false) AS converts FROM j),
        a AS (SELECT *, CASE WHEN converts THEN order_id ELSE 'none:' || coalesce(order_id, 'end') END AS journey FROM k),
        b AS (SELECT *, date_diff('second', t, CASE WHEN converts THEN ot
                                                    ELSE max(t) OVER (PARTITION BY platform, user_id, journey) END)
                        / 86400.0 AS age FROM a)
        SELECT platform, user_id, journey, list(channel ORDER BY t) AS channels, list(age ORDER BY t) AS ages,
               bool_or(converts)::INT AS conversions, coalesce(max(amount) FILTER (WHERE converts), 0) AS value
        FROM b GROUP BY platform, user_id, journey""", [*linked, *linked]).df()  # fmt: skip
    return df[cols], coverage


def _post_measures(ws: Any) -> pd.DataFrame:
    """Per campaign: own posts, UGC posts, reach, impressions, engagement (the platforms' counters) and the
    people who engaged."""
    kinds = ", ".join(f"'{k}'" for k in TOUCHES)
    return ws.con.execute(f"""
        WITH p AS (SELECT * FROM posts WHERE campaign_id IS NOT NULL),
        people AS (SELECT p.campaign_id, count(DISTINCT (i.platform, i.actor_id)) AS engaged_people
                   FROM interactions i JOIN p ON p.platform = i.platform AND p.post_id = i.target_post_id
                   WHERE i.type IN ({kinds}) AND NOT coalesce(i.by_staff, false) GROUP BY 1)
        SELECT p.campaign_id, count(*) FILTER (WHERE NOT coalesce(is_ugc, false)) AS posts,
               count(*) FILTER (WHERE is_ugc) AS ugc_posts,
               count(DISTINCT (p.platform, p.author_id)) FILTER (WHERE is_ugc) AS ugc_creators,
               sum(coalesce(reach, impressions)) AS reach, sum(impressions) AS impressions,
               sum(coalesce(likes, 0) + coalesce(comments, 0) + coalesce(reposts, 0) + coalesce(saves, 0)) AS engagement,
               any_value(people.engaged_people) AS engaged_people
        FROM p LEFT JOIN people USING (campaign_id) GROUP BY p.campaign_id""").df()  # fmt: skip


def _followers_and_orders(ws: Any, lookback_days: int) -> pd.DataFrame:
    """Per campaign: people who followed an own account within ``FOLLOW_DAYS`` of their first touch of it, and the
    orders (and revenue) of people who had touched it at most ``lookback_days`` before ordering."""
    return ws.con.execute(f"""
        WITH t AS ({_touches_sql()}),
        first_touch AS (SELECT channel AS campaign_id, platform, user_id, min(t) AS t FROM t
                        WHERE NOT starts_with(channel, '{ORGANIC}') GROUP BY ALL),
        follows AS (SELECT i.platform, i.actor_id AS user_id, i.created_at FROM interactions i
                    JOIN accounts a ON a.platform = i.platform AND a.account_id = i.target_user_id AND a.is_own
                    WHERE i.type = 'follow'),
        f AS (SELECT campaign_id, count(DISTINCT (ft.platform, ft.user_id)) AS new_followers FROM first_touch ft
              JOIN follows USING (platform, user_id)
              WHERE follows.created_at BETWEEN ft.t AND ft.t + INTERVAL ({FOLLOW_DAYS}) DAY GROUP BY 1),
        touched AS (SELECT channel AS campaign_id, platform, user_id, t FROM t WHERE NOT starts_with(channel, '{ORGANIC}')),
        o AS (SELECT DISTINCT tc.campaign_id, o.order_id, coalesce(o.amount, 0) AS amount, o.user_platform, o.user_id
              FROM orders o JOIN touched tc ON tc.platform = o.user_platform AND tc.user_id = o.user_id
              WHERE tc.t <= o.created_at AND o.created_at <= tc.t + INTERVAL ({int(lookback_days)}) DAY),
        oo AS (SELECT campaign_id, count(*) AS touched_orders, sum(amount) AS touched_revenue,
                      count(DISTINCT (user_platform, user_id)) AS buyers FROM o GROUP BY 1),
        tagged AS (SELECT campaign_id, count(*) AS tagged_orders, sum(coalesce(amount, 0)) AS tagged_revenue
                   FROM orders WHERE campaign_id IS NOT NULL GROUP BY 1)
        SELECT c.campaign_id, coalesce(f.new_followers, 0) AS new_followers,
               coalesce(oo.touched_orders, 0) AS touched_orders, coalesce(oo.touched_revenue, 0) AS touched_revenue,
               coalesce(oo.buyers, 0) AS buyers, coalesce(tagged.tagged_orders, 0) AS tagged_orders,
               coalesce(tagged.tagged_revenue, 0) AS tagged_revenue
        FROM (SELECT DISTINCT campaign_id FROM campaigns) c LEFT JOIN f USING (campaign_id)
        LEFT JOIN oo USING (campaign_id) LEFT JOIN tagged USING (campaign_id)""").df()  # fmt: skip


def _per(spend: pd.Series, n: pd.Series) -> pd.Series:
    return (spend / n.where(n > 0)).astype(float)


@analysis("campaign_roi", "活动投入产出", "Campaign ROI", tables=("campaigns", "posts", "interactions", "orders",
          "accounts", "users"), params=CampaignParams, steps=3)  # fmt: skip
def campaign_roi(ws: Any, p: CampaignParams, step: Any) -> Result:
    """Frames ``campaigns`` (one row per campaign: spend, posts, reach, engagement, engaged people, new followers,
    UGC posts and creators, orders and revenue of people who touched it, the shop's own tagged orders, the
    revenue the chosen model attributes to it, cost per engagement / follower / order, ROI) and ``attribution``
    (model × channel: conversions, value, share); values ``model``, ``coverage`` (orders, linked orders, orders
    with a touch) and ``p_conversion``.

    ROI = (attributed revenue − spend) / spend; spend is the campaign's budget (the sum over its rows)."""
    _check(p)
    step("campaigns and their posts")
    camp = campaigns(ws, p.campaign)
    if camp.empty:
        raise HudongError("no campaigns: import a campaigns table (campaign_id, name, start_at, end_at, budget)")
    posts = _post_measures(ws)
    step("followers and orders of the people they reached")
    more = _followers_and_orders(ws, p.lookback_days)
    step("attributing orders")
    jr, coverage = journeys(ws, p.lookback_days)
    attr, p_conv = A.attribute(jr, p.half_life_days) if len(jr) else (pd.DataFrame(
        columns=["model", "channel", "conversions", "value", "share"]), 0.0)  # fmt: skip
    coverage["touched_orders"] = int(jr["conversions"].sum()) if len(jr) else 0
    chosen = attr[attr["model"] == p.model].rename(columns={"channel": "campaign_id", "conversions": "attributed_orders",
                                                            "value": "attributed_revenue"})  # fmt: skip
    df = camp.merge(posts, on="campaign_id", how="left").merge(more, on="campaign_id", how="left")
    df = df.merge(chosen[["campaign_id", "attributed_orders", "attributed_revenue"]], on="campaign_id", how="left")
    counts = ["posts", "ugc_posts", "ugc_creators", "reach", "impressions", "engagement", "engaged_people",
              "new_followers", "touched_orders", "touched_revenue", "buyers", "tagged_orders", "tagged_revenue",
              "attributed_orders", "attributed_revenue"]  # fmt: skip
    df[counts] = df[counts].astype(float).fillna(0.0)
    df["cost_per_engagement"] = _per(df["spend"], df["engagement"])
    df["cost_per_follower"] = _per(df["spend"], df["new_followers"])
    df["cost_per_order"] = _per(df["spend"], df["attributed_orders"])
    df["roi"] = ((df["attributed_revenue"] - df["spend"]) / df["spend"].where(df["spend"] > 0)).astype(float)
    notes = []
    if coverage["linked_orders"] < coverage["orders"]:
        notes.append(f"{coverage['orders'] - coverage['linked_orders']} of {coverage['orders']} orders have no social "
                     "identity and cannot be attributed; the revenue columns count the linked ones only")  # fmt: skip
    return Result({"campaigns": df, "attribution": attr},
                  {"model": p.model, "coverage": coverage, "p_conversion": p_conv,
                   "lookback_days": p.lookback_days}, notes)  # fmt: skip


SERIES = {  # what a lift is measured on: the daily series, by SQL over the whole workspace
    "orders": "SELECT created_at::DATE AS day, count(*) AS v FROM orders GROUP BY 1",
    "revenue": "SELECT created_at::DATE AS day, sum(coalesce(amount, 0)) AS v FROM orders GROUP BY 1",
    "engagement": f"""SELECT i.created_at::DATE AS day, count(*) AS v FROM interactions i
                      JOIN posts p ON p.platform = i.platform AND p.post_id = i.target_post_id
                      JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id AND a.is_own
                      WHERE i.type IN ({", ".join(f"'{k}'" for k in TOUCHES)}) AND NOT coalesce(i.by_staff, false)
                      GROUP BY 1""",
    "followers": """SELECT i.created_at::DATE AS day, count(*) AS v FROM interactions i
                    JOIN accounts a ON a.platform = i.platform AND a.account_id = i.target_user_id AND a.is_own
                    WHERE i.type = 'follow' GROUP BY 1""",
    "ugc": "SELECT created_at::DATE AS day, count(*) AS v FROM posts WHERE is_ugc GROUP BY 1",
}
GOAL_SERIES = {"sales": "orders", "ugc": "ugc", "awareness": "engagement"}


def _metric_of(goal: Any) -> str:
    return GOAL_SERIES.get(str(goal or "").strip().lower(), "engagement")


@dataclass(frozen=True)
class LiftParams:
    campaign: str = ""  # the campaign (default: the latest that has a full baseline before it)
    metric: Literal["auto", "orders", "revenue", "engagement", "followers", "ugc"] = "auto"  # auto: by its goal
    pre_days: int = PRE_DAYS  # the baseline: this many days before the campaign (other campaigns' days masked)
    seed: int = 0


def _series(ws: Any, metric: str) -> pd.Series:
    df = ws.con.execute(SERIES[metric]).df()
    if df.empty:
        return pd.Series(dtype=float)
    return pd.Series(df["v"].to_numpy(dtype=float), index=pd.to_datetime(df["day"])).sort_index()


@analysis("campaign_lift", "活动增量效果", "Campaign lift (incrementality)", tables=("campaigns", "orders",
          "interactions", "posts", "accounts"), params=LiftParams, steps=2)  # fmt: skip
def campaign_lift(ws: Any, p: LiftParams, step: Any) -> Result:
    """Frame ``daily`` (day, actual, predicted with its interval, effect) over the campaign; values ``campaign``,
    ``metric``, ``actual``, ``predicted``, ``effect`` with ``effect_lower``/``effect_upper``, ``relative`` with its
    interval, ``p`` (the chance of a total this high without the campaign) and ``pre_days`` (baseline days used).
    The counterfactual: ``hudong.stats.incrementality``."""
    if p.pre_days < I.MIN_PRE_DAYS:
        raise HudongError(f"pre_days must be at least {I.MIN_PRE_DAYS}, got {p.pre_days}")
    step("the campaign and its baseline")
    camp = campaigns(ws)
    if camp.empty:
        raise HudongError("no campaigns: import a campaigns table (campaign_id, name, start_at, end_at, budget)")
    camp = camp.dropna(subset=["start_at", "end_at"])
    if p.campaign:
        row = camp[camp["campaign_id"] == p.campaign]
        if row.empty:
            raise HudongError(f"unknown campaign {p.campaign!r} (or it has no start and end); campaigns: "
                              f"{', '.join(camp['campaign_id'])}")
        c = row.iloc[0]
    else:
        c = camp.sort_values("start_at").iloc[-1]
    metric = _metric_of(c["goal"]) if p.metric == "auto" else p.metric
    y = _series(ws, metric)
    if y.empty:
        raise HudongError(f"no {metric} data to measure {c['campaign_id']}'s lift on")
    start, end = pd.Timestamp(c["start_at"]), pd.Timestamp(c["end_at"])
    if end > y.index.max():
        end = y.index.max() + pd.Timedelta(hours=23, minutes=59)
    pre = (max(start.normalize() - pd.Timedelta(days=p.pre_days), y.index.min()),
           start.normalize() - pd.Timedelta(days=1))  # fmt: skip
    # other campaigns aimed at the same measure are left out of the baseline (their bumps are not the usual level)
    others = [(pd.Timestamp(r.start_at), pd.Timestamp(r.end_at)) for r in camp.itertuples()
              if r.campaign_id != c["campaign_id"] and _metric_of(r.goal) == metric]  # fmt: skip
    step("fitting the counterfactual")
    try:
        r = I.impact(y, pre, (start, end), masked=others, seed=p.seed)
    except ValueError as e:
        raise HudongError(f"{c['campaign_id']}: {e} (the baseline is the {p.pre_days} days before it, without other "
                          "campaigns' days)") from e  # fmt: skip
    values = {"campaign": c["campaign_id"], "name": c["name"], "metric": metric, "start": start.isoformat(),
              "end": end.isoformat(), **{k: getattr(r, k) for k in ("actual", "predicted", "effect", "effect_lower",
              "effect_upper", "relative", "relative_lower", "relative_upper", "p", "pre_days")}}  # fmt: skip
    return Result({"daily": r.daily}, values, r.notes)


@dataclass(frozen=True)
class UGCParams:
    campaign: str = ""  # the challenge (default: the latest campaign whose goal is UGC, else the latest)
    keywords: list[str] | None = None  # what marks its UGC besides the campaign tag (default: its name's #话题#)
    after_days: int = 60  # how long after the end a participant's next post or order still counts


def _hashtags(name: str) -> list[str]:
    """The #话题# (Weibo) and #tag (elsewhere) words in a campaign's name."""
    return sorted(set(re.findall(r"#([^#\s]+)#", name or "")) | set(re.findall(r"(?<![#\w])#(\w++)(?!#)", name or "")))


def _pick(camp: pd.DataFrame, campaign: str) -> Any:
    camp = camp.dropna(subset=["start_at", "end_at"])
    if campaign:
        row = camp[camp["campaign_id"] == campaign]
        if row.empty:
            raise HudongError(f"unknown campaign {campaign!r} (or it has no start and end); campaigns: "
                              f"{', '.join(camp['campaign_id'])}")  # fmt: skip
        return row.iloc[0]
    ugc = camp[camp["goal"].fillna("").str.lower() == "ugc"]
    return (ugc if len(ugc) else camp).sort_values("start_at").iloc[-1]


@analysis("ugc_campaign", "话题挑战与有奖征集", "UGC challenge", tables=("campaigns", "posts", "interactions", "orders",
          "text_sentiment", "accounts"), params=UGCParams, steps=3)  # fmt: skip
def ugc_campaign(ws: Any, p: UGCParams, step: Any) -> Result:
    """A UGC challenge from launch: its UGC is user posts in the campaign window tagged with the campaign or
    naming one of its keywords (default: the #话题# of its name). Values: participants, UGC posts, first-time
    creators (no UGC before the launch), repeat creators (UGC again within ``after_days`` of the end), buyers
    (an order after their first challenge post), reposts and reach of the cascades the UGC started, engagement,
    the UGC's tone (positive / negative share, mean sentiment score), and the same window before launch (UGC
    posts, participants, share of voice). Frames ``funnel`` (stage, people), ``daily`` (day, posts,
    new participants) and ``top`` (the challenge posts with the most engagement)."""
    if p.after_days < 0:
        raise HudongError("after_days must not be negative")
    step("the challenge's UGC")
    camp = campaigns(ws)
    if camp.empty:
        raise HudongError("no campaigns: import a campaigns table (campaign_id, name, start_at, end_at, budget)")
    c = _pick(camp, p.campaign)
    keywords = [k for k in (p.keywords if p.keywords is not None else _hashtags(c["name"])) if k]
    start, end = pd.Timestamp(c["start_at"]), pd.Timestamp(c["end_at"])
    span = end - start
    before = start - span
    like = " OR ".join(["text ILIKE ?"] * len(keywords) + ["list_contains(topics, ?)"] * len(keywords))
    match = f"(campaign_id = ? {'OR ' + like if keywords else ''})"
    kw_args = [f"%{k}%" for k in keywords] + keywords
    cur = ws.con.cursor()
    cur.execute(f"""CREATE TEMP TABLE _ugc AS SELECT platform, post_id, author_id, created_at, text,
                         coalesce(likes, 0) + coalesce(comments, 0) + coalesce(reposts, 0) + coalesce(saves, 0) AS engagement,
                         coalesce(reach, impressions) AS reach
                    FROM posts WHERE coalesce(is_ugc, false) AND parent_id IS NULL AND created_at BETWEEN ? AND ?
                      AND {match}""", [start, end, c["campaign_id"], *kw_args])  # fmt: skip
    try:
        step("creators, cascades and buyers")
        people = cur.execute(f"""
            WITH who AS (SELECT platform, author_id, min(created_at) AS first_at FROM _ugc GROUP BY ALL),
            earlier AS (SELECT DISTINCT w.platform, w.author_id FROM who w JOIN posts p
                        ON p.platform = w.platform AND p.author_id = w.author_id AND coalesce(p.is_ugc, false)
                        AND p.created_at < ?),
            again AS (SELECT DISTINCT w.platform, w.author_id FROM who w JOIN posts p
                      ON p.platform = w.platform AND p.author_id = w.author_id AND coalesce(p.is_ugc, false)
                      AND p.created_at > ? AND p.created_at <= ? + INTERVAL ({int(p.after_days)}) DAY),
            bought AS (SELECT DISTINCT w.platform, w.author_id FROM who w JOIN orders o
                       ON o.user_platform = w.platform AND o.user_id = w.author_id AND o.created_at >= w.first_at
                       AND o.created_at <= ? + INTERVAL ({int(p.after_days)}) DAY),
            engaged AS (SELECT count(DISTINCT (i.platform, i.actor_id)) AS n FROM interactions i
                        JOIN posts q ON q.platform = i.platform AND q.post_id = i.target_post_id
                        WHERE q.campaign_id = ? AND NOT coalesce(q.is_ugc, false)
                          AND i.type IN ({", ".join(f"'{k}'" for k in TOUCHES)}))
            SELECT (SELECT n FROM engaged) AS engaged, (SELECT count(*) FROM who) AS participants,
                   (SELECT count(*) FROM who) - (SELECT count(*) FROM earlier) AS first_time,
                   (SELECT count(*) FROM again) AS repeat_creators, (SELECT count(*) FROM bought) AS buyers""",
                             [start, end, end, end, c["campaign_id"]]).df().iloc[0]  # fmt: skip
        spread = cur.execute("""
            SELECT count(*) AS reposts, sum(coalesce(r.reach, r.impressions)) AS repost_reach FROM posts r
            JOIN _ugc u ON u.platform = r.platform AND u.post_id = r.root_id WHERE r.post_id <> u.post_id""").df().iloc[0]
        tone = cur.execute("""
            SELECT count(s.polarity) AS scored, avg((s.polarity = 'positive')::INT) AS positive,
                   avg((s.polarity = 'negative')::INT) AS negative, avg(s.score) AS score
            FROM _ugc u JOIN text_sentiment s ON s.kind = 'post' AND s.platform = u.platform AND s.id = u.post_id""").df().iloc[0]
        totals = cur.execute("SELECT count(*) AS posts, sum(engagement) AS engagement, sum(reach) AS reach FROM _ugc").df().iloc[0]
        daily = cur.execute("""
            WITH f AS (SELECT platform, author_id, min(created_at)::DATE AS d FROM _ugc GROUP BY ALL)
            SELECT u.created_at::DATE AS day, count(*) AS posts,
                   (SELECT count(*) FROM f WHERE f.d = u.created_at::DATE) AS new_participants
            FROM _ugc u GROUP BY 1 ORDER BY 1""").df()  # fmt: skip
        top = cur.execute("SELECT platform, post_id, author_id, created_at, text, engagement, reach FROM _ugc "
                          "ORDER BY engagement DESC, created_at LIMIT 10").df()  # fmt: skip
        prior = cur.execute(f"""SELECT count(*) AS posts, count(DISTINCT (platform, author_id)) AS participants FROM posts
                                WHERE coalesce(is_ugc, false) AND parent_id IS NULL AND created_at >= ? AND created_at < ?
                                  AND {match}""", [before, start, c["campaign_id"], *kw_args]).df().iloc[0]  # fmt: skip
    finally:
        cur.execute("DROP TABLE IF EXISTS _ugc")
        cur.close()
    step("share of voice before and during")
    sov_before, sov_during = _own_share(ws, before, start), _own_share(ws, start, end)
    funnel = pd.DataFrame({"stage": ["engaged", "participants", "first_time", "repeat_creators", "buyers"],
                           "people": [int(people[k] or 0) for k in ("engaged", "participants", "first_time",
                                                                    "repeat_creators", "buyers")]})  # fmt: skip
    values = {"campaign": c["campaign_id"], "name": c["name"], "keywords": keywords, "start": start.isoformat(),
              "end": end.isoformat(), "ugc_posts": int(totals["posts"]), "participants": int(people["participants"]),
              "first_time": int(people["first_time"]), "repeat_creators": int(people["repeat_creators"]),
              "buyers": int(people["buyers"]), "engagement": _num(totals["engagement"]) or 0.0,
              "reach": _num(totals["reach"]) or 0.0, "reposts": int(spread["reposts"]),
              "repost_reach": _num(spread["repost_reach"]) or 0.0, "scored": int(tone["scored"]),
              "positive": _num(tone["positive"]), "negative": _num(tone["negative"]), "sentiment": _num(tone["score"]),
              "before_posts": int(prior["posts"]), "before_participants": int(prior["participants"]),
              "sov_before": sov_before, "sov_during": sov_during}  # fmt: skip
    notes = [] if keywords else ["the campaign's name has no #话题#: only posts tagged with the campaign count "
                                 "(give keywords to match more)"]  # fmt: skip
    return Result({"funnel": funnel, "daily": daily, "top": top}, values, notes)


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def _own_share(ws: Any, start: pd.Timestamp, end: pd.Timestamp) -> float | None:
    """The organization's share of voice (``share_of_voice`` metric) over [start, end); None without rivals."""
    own = {r[0] for r in ws.con.execute("SELECT DISTINCT brand FROM accounts WHERE is_own AND brand IS NOT NULL").fetchall()}
    try:
        sov = metric_frame(ws, "share_of_voice", (), start=start.date().isoformat(), end=end.date().isoformat())
    except HudongError:
        return None
    mine = sov[sov["brand"].isin(own)]
    return float(mine["value"].sum()) if len(mine) and len(sov) > 1 else None
