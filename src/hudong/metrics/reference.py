"""Independent re-implementations of key metrics, for cross-checks (tests) and benchmarks.

Written from the definitions in docs/metrics.md, not from the Ibis code: once in pandas and once as
hand-written DuckDB SQL. Each function returns a pandas DataFrame with the same columns as
``hudong.metrics.compute`` (dimensions, then ``value``). Not used by the product.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

Frames = Mapping[str, pd.DataFrame]

CONV_TYPES = ("comment", "reply", "dm", "mention")


def _b(s: pd.Series) -> pd.Series:
    return s.astype("boolean").fillna(False).astype(bool)


def _f(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype(float)


# ---- pandas ------------------------------------------------------------------------------------
def pd_engagement_rate_impressions(f: Frames) -> pd.DataFrame:
    """Mean per-post E/impressions of own posts by platform and ISO week."""
    acc, posts, inter = f["accounts"], f["posts"], f["interactions"]
    own = acc.loc[_b(acc.is_own), ["platform", "account_id"]]
    p = posts.merge(own, on=["platform", "account_id"])
    i = inter.loc[inter.target_post_id.notna(), ["platform", "target_post_id", "type"]]
    c = i.groupby(["platform", "target_post_id", "type"]).size().unstack(fill_value=0)
    c = c.reindex(columns=["like", "comment", "reply", "repost", "share", "save", "click", "view", "impression"],
                  fill_value=0).reset_index().rename(columns={"target_post_id": "post_id"})
    p = p.merge(c, on=["platform", "post_id"], how="left").fillna({k: 0 for k in c.columns[2:]})

    def best(rep: str, counted: pd.Series) -> np.ndarray:
        return np.maximum(_f(p[rep]).fillna(0).to_numpy(), counted.to_numpy(dtype=float))

    e = (best("likes", p.like) + best("comments", p.comment + p.reply) + best("reposts", p.repost + p.share)
         + best("saves", p.save) + best("clicks", p.click))
    imp = best("impressions", p.view + p.impression)
    p["r"] = np.where(imp > 0, e / np.where(imp > 0, imp, 1), np.nan)
    ts = p.created_at
    p["week"] = (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")).dt.date
    return p.groupby(["platform", "week"]).r.mean().rename("value").reset_index()


def pd_activity(f: Frames) -> pd.DataFrame:
    i, posts, users, acc = f["interactions"], f["posts"], f["users"], f["accounts"]
    keep = ~_b(i.by_staff) & ~_b(i.is_automated)
    ev = pd.concat([
        i.loc[keep, ["platform", "actor_id", "created_at"]].set_axis(["platform", "user", "ts"], axis=1),
        posts.loc[_b(posts.is_ugc) & posts.author_id.notna(), ["platform", "author_id", "created_at"]].set_axis(
            ["platform", "user", "ts"], axis=1),
    ], ignore_index=True)
    excluded = pd.concat([
        users.loc[_b(users.is_staff), ["platform", "user_id"]].set_axis(["platform", "user"], axis=1),
        acc.loc[_b(acc.is_own), ["platform", "account_id"]].set_axis(["platform", "user"], axis=1),
    ])
    key = pd.MultiIndex.from_frame(ev[["platform", "user"]])
    return ev[~key.isin(pd.MultiIndex.from_frame(excluded))]


def pd_dau(f: Frames) -> pd.DataFrame:
    ev = pd_activity(f)
    ev = ev.assign(day=ev.ts.dt.normalize().dt.date)
    return ev.drop_duplicates(["platform", "user", "day"]).groupby("day").size().rename("value").reset_index()


def pd_mau(f: Frames) -> pd.DataFrame:
    ev = pd_activity(f)
    ev = ev.assign(month=ev.ts.dt.to_period("M").dt.start_time.dt.date)
    return ev.drop_duplicates(["platform", "user", "month"]).groupby("month").size().rename("value").reset_index()


def pd_retention(f: Frames) -> pd.DataFrame:
    ev = pd_activity(f)
    first = ev.groupby(["platform", "user"]).ts.min().rename("first").reset_index()
    e = ev.merge(first, on=["platform", "user"])
    fd = e["first"].dt.normalize()
    e["cohort"] = fd - pd.to_timedelta(fd.dt.day_of_week, unit="D")
    e["period"] = (e.ts.dt.normalize() - fd).dt.days // 7
    active = e.drop_duplicates(["platform", "user", "period"]).groupby(["cohort", "period"]).size().rename("active")
    fd0 = first["first"].dt.normalize()
    first["cohort"] = fd0 - pd.to_timedelta(fd0.dt.day_of_week, unit="D")
    size = first.groupby("cohort").size().rename("cohort_size")
    last_day = ev.ts.max().normalize()
    rows = []
    for cohort, n in size.items():
        top = max(((last_day - cohort).days - 12) // 7, 0)
        for k in range(top + 1):
            a = int(active.get((cohort, k), 0))
            rows.append((cohort.date(), k, a / n))
    return pd.DataFrame(rows, columns=["cohort", "period", "value"])


def pd_turns(f: Frames) -> pd.DataFrame:
    i = f["interactions"]
    par = i[["platform", "interaction_id", "parent_id"]].rename(
        columns={"interaction_id": "parent_id", "parent_id": "grandparent_id"})
    m = i[i.type.isin(CONV_TYPES) & ~_b(i.is_automated)].copy()
    m["staff"] = _b(m.by_staff)
    m = m[m.staff | _b(m.is_inbound)]
    m = m.merge(par, on=["platform", "parent_id"], how="left")
    thread = m.grandparent_id.fillna(m.parent_id).fillna(m.interaction_id)
    lo = np.minimum(m.actor_id.fillna(""), m.target_user_id.fillna(""))
    hi = np.maximum(m.actor_id.fillna(""), m.target_user_id.fillna(""))
    m["conv"] = np.where(m.type == "dm", "dm:" + lo + "|" + hi, "thread:" + thread)
    m = m.sort_values(["platform", "conv", "created_at", "staff"], ascending=[True, True, True, False])
    big = np.iinfo(np.int64).max
    staff_ns = np.where(m.staff, m.created_at.astype("datetime64[ns]").astype("int64"), big)
    m["s_ns"] = staff_ns
    nxt = m.iloc[::-1].groupby(["platform", "conv"], sort=False).s_ns.cummin().iloc[::-1]
    m["answered_ns"] = nxt.where(nxt != big)
    inbound = m[~m.staff]
    t = inbound.groupby(["platform", "conv", "answered_ns"], dropna=False).created_at.max().reset_index()
    t["ts_ns"] = t.created_at.astype("datetime64[ns]").astype("int64")
    t["wall_minutes"] = (t.answered_ns - t.ts_ns) / 60e9
    return t


def pd_first_response_minutes_all_hours(f: Frames) -> pd.DataFrame:
    t = pd_turns(f)
    return pd.DataFrame({"value": [t.wall_minutes.dropna().median()]})


def pd_nps(f: Frames) -> pd.DataFrame:
    s = _f(f["survey_responses"].nps_score).dropna()
    return pd.DataFrame({"value": [100 * ((s >= 9).mean() - (s <= 6).mean())], "n": [len(s)]})


def pd_repurchase_rate(f: Frames, window_days: int = 90) -> pd.DataFrame:
    o = f["orders"][["platform", "user_id", "created_at"]]
    first = o.groupby(["platform", "user_id"]).created_at.min().rename("first").reset_index()
    j = o.merge(first, on=["platform", "user_id"])
    w = pd.Timedelta(days=window_days)
    j["again"] = (j.created_at > j["first"]) & (j.created_at < j["first"] + w)
    per = j.groupby(["platform", "user_id", "first"]).again.any().reset_index()
    per = per[per["first"] + w <= o.created_at.max()]
    return pd.DataFrame({"value": [per.again.mean()]})


PANDAS: dict[str, tuple[Callable[[Frames], pd.DataFrame], tuple[str, ...]]] = {
    "engagement_rate_impressions": (pd_engagement_rate_impressions, ("platform", "week")),
    "dau": (pd_dau, ("day",)),
    "mau": (pd_mau, ("month",)),
    "retention": (pd_retention, ()),
    "first_response_minutes_all_hours": (pd_first_response_minutes_all_hours, ()),
    "nps": (pd_nps, ()),
    "repurchase_rate": (pd_repurchase_rate, ()),
}

# ---- hand-written DuckDB SQL -------------------------------------------------------------------
_ACTIVITY = """
WITH ev AS (
  SELECT platform, actor_id AS "user", created_at AS ts FROM interactions
  WHERE NOT coalesce(by_staff, false) AND NOT coalesce(is_automated, false)
  UNION ALL
  SELECT platform, author_id, created_at FROM posts WHERE coalesce(is_ugc, false) AND author_id IS NOT NULL
), act AS (
  SELECT * FROM ev
  WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.is_staff AND u.platform = ev.platform AND u.user_id = ev."user")
    AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.is_own AND a.platform = ev.platform
                    AND a.account_id = ev."user")
)"""

SQL: dict[str, str] = {
    "engagement_rate_impressions": """
WITH c AS (
  SELECT platform, target_post_id AS post_id,
    count(*) FILTER (WHERE type = 'like') AS n_like,
    count(*) FILTER (WHERE type IN ('comment', 'reply')) AS n_comment,
    count(*) FILTER (WHERE type IN ('repost', 'share')) AS n_repost,
    count(*) FILTER (WHERE type = 'save') AS n_save,
    count(*) FILTER (WHERE type = 'click') AS n_click,
    count(*) FILTER (WHERE type IN ('view', 'impression')) AS n_view
  FROM interactions WHERE target_post_id IS NOT NULL GROUP BY ALL
), p AS (
  SELECT p.platform, CAST(date_trunc('week', p.created_at) AS DATE) AS week,
    greatest(coalesce(p.likes, 0), coalesce(n_like, 0)) + greatest(coalesce(p.comments, 0), coalesce(n_comment, 0))
    + greatest(coalesce(p.reposts, 0), coalesce(n_repost, 0)) + greatest(coalesce(p.saves, 0), coalesce(n_save, 0))
    + greatest(coalesce(p.clicks, 0), coalesce(n_click, 0)) AS e,
    nullif(greatest(coalesce(p.impressions, 0), coalesce(n_view, 0)), 0) AS imp
  FROM posts p JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id AND a.is_own
  LEFT JOIN c ON c.platform = p.platform AND c.post_id = p.post_id
)
SELECT platform, week, avg(e / imp) AS value FROM p GROUP BY ALL ORDER BY ALL""",
    "dau": _ACTIVITY + """
SELECT day, count(*) AS value
FROM (SELECT DISTINCT CAST(ts AS DATE) AS day, platform, "user" FROM act) GROUP BY 1 ORDER BY 1""",
    "mau": _ACTIVITY + """
SELECT month, count(*) AS value
FROM (SELECT DISTINCT CAST(date_trunc('month', ts) AS DATE) AS month, platform, "user" FROM act) GROUP BY 1 ORDER BY 1""",
    "retention": _ACTIVITY + """,
f AS (SELECT platform, "user", min(ts) AS first FROM act GROUP BY ALL),
e AS (SELECT DISTINCT CAST(date_trunc('week', f.first) AS DATE) AS cohort,
        date_diff('day', CAST(f.first AS DATE), CAST(act.ts AS DATE)) // 7 AS period, act.platform, act."user"
      FROM act JOIN f USING (platform, "user")),
n AS (SELECT cohort, period, count(*) AS active FROM e GROUP BY ALL),
s AS (SELECT CAST(date_trunc('week', first) AS DATE) AS cohort, count(*) AS size FROM f GROUP BY ALL),
g AS (SELECT s.*, unnest(range(0, greatest((date_diff('day', cohort, (SELECT max(ts)::DATE FROM act)) - 12) // 7,
        0) + 1)) AS period FROM s)
SELECT g.cohort, g.period, coalesce(n.active, 0) / g.size AS value
FROM g LEFT JOIN n USING (cohort, period) ORDER BY 1, 2""",
    "first_response_minutes_all_hours": """
WITH m AS (
  SELECT i.platform, i.created_at AS ts, coalesce(i.by_staff, false) AS staff,
    CASE WHEN i.type = 'dm'
      THEN 'dm:' || least(coalesce(i.actor_id, ''), coalesce(i.target_user_id, '')) || '|'
                 || greatest(coalesce(i.actor_id, ''), coalesce(i.target_user_id, ''))
      ELSE 'thread:' || coalesce(p.parent_id, i.parent_id, i.interaction_id) END AS conv
  FROM interactions i LEFT JOIN interactions p ON p.platform = i.platform AND p.interaction_id = i.parent_id
  WHERE i.type IN ('comment', 'reply', 'dm', 'mention') AND NOT coalesce(i.is_automated, false)
    AND (coalesce(i.by_staff, false) OR coalesce(i.is_inbound, false))
), w AS (
  SELECT *, min(CASE WHEN staff THEN ts END) OVER (PARTITION BY platform, conv ORDER BY ts, staff DESC
         ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS answered_at FROM m
), t AS (SELECT platform, conv, answered_at, max(ts) AS ts FROM w WHERE NOT staff GROUP BY ALL)
SELECT median(epoch(answered_at) - epoch(ts)) / 60 AS value FROM t WHERE answered_at IS NOT NULL""",
    "nps": """
SELECT 100.0 * (count(*) FILTER (WHERE nps_score >= 9) - count(*) FILTER (WHERE nps_score <= 6)) / count(*) AS value,
       count(*) AS n
FROM survey_responses WHERE nps_score IS NOT NULL""",
    "repurchase_rate": """
WITH f AS (SELECT platform, user_id, min(created_at) AS first FROM orders GROUP BY ALL),
per AS (
  SELECT f.platform, f.user_id, f.first,
    bool_or(o.created_at > f.first AND o.created_at < f.first + INTERVAL 90 DAY) AS again
  FROM f JOIN orders o USING (platform, user_id) GROUP BY ALL
)
SELECT avg(CASE WHEN again THEN 1.0 ELSE 0.0 END) AS value FROM per
WHERE first + INTERVAL 90 DAY <= (SELECT max(created_at) FROM orders)""",
}

# The Ibis call each reference reproduces: metric name → ``by``.
SUBSET: dict[str, tuple[str, ...]] = {name: by for name, (_fn, by) in PANDAS.items()}
