"""The texts the analyses read from a workspace: posts with their stored scores, the texts about the brand,
the watched brands. SQL on the workspace's DuckDB file (the text analyses run there: ``engines=("duckdb",)``);
filters are bound parameters, never SQL text. Each text is read cut to the analysed length in force
(``hudong.analyses.context.workspace_text``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from hudong.analyses.context import brands, reads_workspace_text
from hudong.i18n import translated_error
from hudong.progress import callback
from hudong.store.workspace import has_table
from hudong.text import toxicity
from hudong.text.mentions import mentions_frame
from hudong.text.tokenize import max_chars


def sql_filters(alias: str, start: str | None, end: str | None, **columns: str | list[str] | None
                ) -> tuple[list[str], list[Any]]:  # fmt: skip
    """(WHERE conditions, parameters) for rows of table ``alias`` created from ``start`` to ``end`` (dates,
    inclusive) whose ``columns`` take one of the given values (a value or a list; None = any)."""
    where: list[str] = []
    params: list[Any] = []
    for col, val in columns.items():
        if val:
            vals = [val] if isinstance(val, str) else list(val)
            where.append(f"{alias}.{col} IN ({', '.join('?' * len(vals))})")
            params += vals
    if start:
        where.append(f"{alias}.created_at >= CAST(? AS TIMESTAMP)")
        params.append(start)
    if end:
        where.append(f"{alias}.created_at < CAST(? AS TIMESTAMP) + INTERVAL 1 DAY")
        params.append(end)
    return where, params


def _post_where(start: str | None, end: str | None, roots_only: bool, **columns: Any) -> tuple[list[str], list[Any]]:
    where, params = sql_filters("p", start, end, **columns)
    where = ["p.text IS NOT NULL", "length(trim(p.text)) > 0", *where]
    if roots_only:
        where.append("p.parent_id IS NULL")
    return where, params


def last_post_time(ws: Any, *, platform: str | list[str] | None = None, start: str | None = None,
                   end: str | None = None, campaign: str | list[str] | None = None,
                   account: str | list[str] | None = None, roots_only: bool = True) -> pd.Timestamp | None:  # fmt: skip
    """When the last post with text in the filters was published (None: no such post)."""
    where, params = _post_where(start, end, roots_only, platform=platform, campaign_id=campaign, account_id=account)
    last = ws.con.execute(f"SELECT max(p.created_at) FROM posts p WHERE {' AND '.join(where)}", params).fetchone()[0]
    return None if last is None else pd.Timestamp(last)


@reads_workspace_text
def posts(
    ws: Any, *, platform: str | list[str] | None = None, start: str | None = None, end: str | None = None,
    campaign: str | list[str] | None = None, account: str | list[str] | None = None, roots_only: bool = False,
) -> pd.DataFrame:  # fmt: skip
    """Posts with text (and their sentiment when scored) as a DataFrame: platform, post_id, account_id,
    author_id, created_at, text, campaign_id, parent_id, root_id, likes, comments, reposts, reach, polarity,
    score, coverage (``hudong.text.domain``: below ``LOW_COVERAGE`` the score is outside its model's domain), and
    for segments: is_ugc, own_account (posted by one of the organization's accounts) and
    author_followers (at posting, else the author's latest count). ``text`` is the analysed part only (its
    first ``max_chars()`` characters: a 5 MB cell is not read whole); ``roots_only`` leaves out
    reposts and replies (posts with a parent), in the query."""
    where, params = _post_where(start, end, roots_only, platform=platform, campaign_id=campaign, account_id=account)
    has_sent = has_table(ws.con, "text_sentiment")
    sent = ("LEFT JOIN text_sentiment s ON s.platform = p.platform AND s.kind = 'post' AND s.id = p.post_id"
            if has_sent else "")  # fmt: skip
    pol = ("s.polarity, s.score, s.coverage" if has_sent else
           "CAST(NULL AS VARCHAR) AS polarity, CAST(NULL AS DOUBLE) AS score, CAST(NULL AS DOUBLE) AS coverage")
    sql = f"""SELECT p.platform, p.post_id, p.account_id, p.author_id, p.created_at,
                     left(p.text, {int(max_chars())}) AS text, p.campaign_id,
                     p.parent_id, p.root_id, p.likes, p.comments, p.reposts, p.reach, {pol},
                     coalesce(p.is_ugc, false) AS is_ugc, coalesce(a.is_own, false) AS own_account,
                     coalesce(p.author_followers, u.followers) AS author_followers
              FROM posts p {sent}
              LEFT JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id
              LEFT JOIN users u ON u.platform = p.platform AND u.user_id = p.author_id
              WHERE {" AND ".join(where)} ORDER BY p.created_at, p.platform, p.post_id"""
    return ws.con.execute(sql, params).df()


@reads_workspace_text
def post_texts(
    ws: Any, *, platform: str | list[str] | None = None, start: str | None = None, end: str | None = None,
    campaign: str | list[str] | None = None, account: str | list[str] | None = None, roots_only: bool = True,
    batch_rows: int = 50_000,
) -> tuple[int, Iterator[pd.DataFrame]]:  # fmt: skip
    """(number of posts, batches of ``batch_rows`` posts as DataFrames with created_at and text) in time order:
    the posts with text (``roots_only``: without reposts and replies), their text cut to the analysed part, read
    from DuckDB a batch at a time — for analyses that count as they go (``bursts.TermCounter``) and need not hold
    every post in memory. Uses a cursor of its own (``ws.con.cursor()``), closed when the batches are done."""
    where, params = _post_where(start, end, roots_only, platform=platform, campaign_id=campaign, account_id=account)
    cond = " AND ".join(where)
    n = int(ws.con.execute(f"SELECT count(*) FROM posts p WHERE {cond}", params).fetchone()[0])
    sql = (f"SELECT p.created_at, left(p.text, {int(max_chars())}) AS text FROM posts p WHERE {cond} "
           "ORDER BY p.created_at, p.platform, p.post_id")  # fmt: skip

    def batches() -> Iterator[pd.DataFrame]:
        cur = ws.con.cursor()
        try:
            reader = cur.execute(sql, params).to_arrow_reader(batch_rows)
            for batch in reader:
                yield batch.to_pandas()
        finally:
            cur.close()

    return n, batches()


def table_names(ws: Any) -> set[str]:
    return {r[0] for r in ws.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def toxic_flags(ws: Any, frame: pd.DataFrame) -> pd.Series | None:
    tables = table_names(ws)
    for name in ("text_signals", "text_toxicity"):  # stored by `hudong text score`
        if name not in tables:
            continue
        cols = {r[0] for r in ws.con.execute(f"DESCRIBE {name}").fetchall()}
        if {"platform", "kind", "id", "toxic"} <= cols:
            t = ws.con.execute(f"SELECT platform, CASE kind WHEN 'post' THEN 'post' ELSE 'interaction' END AS src, "
                               f"id AS post_id, toxic FROM {name}").df()  # fmt: skip
            if len(t):
                src = np.where(frame["kind"].eq("post"), "post", "interaction")
                m = frame[["platform", "post_id"]].assign(src=src).merge(t, on=["platform", "src", "post_id"],
                                                                          how="left")
                return m["toxic"].astype("boolean").set_axis(frame.index)
    try:
        res = toxicity.predict(frame["text"].tolist())
    except (FileNotFoundError, OSError):  # models not shipped in this build
        return None
    return pd.Series([r.toxic for r in res], index=frame.index, dtype="boolean")


ADDRESSED = ("comment", "reply", "mention", "dm")


def addressed_interactions(ws: Any, brands: list, *, platform: str | list[str] | None, start: str | None,
                            end: str | None) -> pd.DataFrame:  # fmt: skip
    """Comments, replies, mentions and DMs with text addressed to the own brand: on one of its accounts' posts,
    sent to one of its accounts, or naming it; not by staff or the brand's own accounts. Columns as the brand
    posts (``post_id`` = the interaction id, ``kind`` = its type; no reach or engagement counts)."""
    where, params = sql_filters("i", start, end, type=list(ADDRESSED), platform=platform)
    where += ["i.text IS NOT NULL", "length(trim(i.text)) > 0", "NOT coalesce(i.by_staff, false)",
              "coalesce(i.is_inbound, true)", "own_actor.account_id IS NULL"]  # fmt: skip
    sent = ("LEFT JOIN text_sentiment s ON s.platform = i.platform AND s.kind = 'interaction' "
            "AND s.id = i.interaction_id" if "text_sentiment" in table_names(ws) else "")  # fmt: skip
    pol = "s.polarity, s.score" if sent else "CAST(NULL AS VARCHAR) AS polarity, CAST(NULL AS DOUBLE) AS score"
    sql = f"""SELECT i.platform, i.interaction_id AS post_id, i.type AS kind, i.actor_id AS author_id,
                     i.created_at, i.text, {pol},
                     (own_post.post_id IS NOT NULL OR own_target.account_id IS NOT NULL) AS addressed
              FROM interactions i {sent}
              LEFT JOIN (SELECT p.platform, p.post_id FROM posts p JOIN accounts a
                         ON a.platform = p.platform AND a.account_id = p.account_id WHERE a.is_own) own_post
                ON own_post.platform = i.platform AND own_post.post_id = i.target_post_id
              LEFT JOIN (SELECT platform, account_id FROM accounts WHERE is_own) own_target
                ON own_target.platform = i.platform AND own_target.account_id = i.target_user_id
              LEFT JOIN (SELECT platform, account_id FROM accounts WHERE is_own) own_actor
                ON own_actor.platform = i.platform AND own_actor.account_id = i.actor_id
              WHERE {" AND ".join(where)} ORDER BY i.created_at, i.platform, i.interaction_id"""
    rows = ws.con.execute(sql, params).df()
    if rows.empty:
        return rows.drop(columns="addressed")
    named = mentions_frame(rows.assign(account_id=None), brands)
    named = set(named.loc[named["is_own_brand"], "post_id"])
    keep = rows["addressed"].astype(bool) | rows["post_id"].isin(named)
    return rows[keep].drop(columns="addressed").reset_index(drop=True)




@reads_workspace_text
def brand_texts(ws: Any, *, platform: str | list[str] | None = None, start: str | None = None,
                end: str | None = None, toxicity: bool = True, interactions: bool = False,
                progress: Any = None) -> pd.DataFrame:  # fmt: skip
    """Texts about the own brand — posts mentioning it and (``interactions``) the comments, replies, mentions
    and DMs addressed to it — with ``kind`` and ``negative`` and (when available) ``toxic`` flags."""
    step = callback(progress)
    brand_list = brands(ws)
    if not any(b.is_own for b in brand_list):
        raise translated_error("err_no_own_brand")
    step("reading posts")
    frame = posts(ws, platform=platform, start=start, end=end)
    if frame["polarity"].isna().all() and len(frame):
        raise translated_error("err_no_sentiment")
    # reposts of the brand's own posts carry its @handle but are amplification, not talk about the brand
    own_roots = {r[0] for r in ws.con.execute(
        "SELECT p.post_id FROM posts p JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id "
        "WHERE a.is_own").fetchall()}  # fmt: skip
    frame = frame[~frame["root_id"].isin(own_roots)]
    step("finding brand mentions")
    m = mentions_frame(frame, brand_list)
    m = m[m["is_own_brand"]].drop(columns=["brand", "is_own_brand"]).assign(kind="post")
    if interactions:
        step("reading comments and messages to the brand")
        talk = addressed_interactions(ws, brand_list, platform=platform, start=start, end=end)
        m = pd.concat([m, talk], ignore_index=True) if len(talk) else m
    m = m.sort_values(["created_at", "kind", "platform", "post_id"], kind="stable").reset_index(drop=True)
    m["negative"] = m["polarity"].eq("negative")
    if toxicity and len(m):
        step("toxicity")
        tox = toxic_flags(ws, m)
        if tox is not None:
            m["toxic"] = tox.fillna(False).astype(bool)
    return m
