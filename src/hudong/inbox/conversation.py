"""One inbox conversation, opened: its whole thread and the person behind it (the inbox's right-hand pane).

    out = analyses.run(ws, "conversation", item="weibo:c1").values
    out["thread"]    # every message of the conversation, inbound and staff, oldest first (+ replies still in
                     # the outbox: sent from hudong, not yet synced back)
    out["person"]    # the sender: profile, activity by type, orders, segment, sentiment by month, previous replies

The thread follows the conversation rule of ``hudong.metrics.responsiveness.messages`` (a comment and the replies
under it; a DM pair), so what the pane shows is what the response-time metrics count.

The person's **segment** is a recency-frequency-monetary rule (Hughes, *Strategic Database Marketing*, 1994, the
RFM cells reduced to the five a community team acts on), relative to ``at``:
``champion`` ≥ 2 orders and active in the last 90 days · ``new`` first seen in the last 30 days ·
``active`` active in the last 30 days with ≥ 3 interactions in the last 90 · ``at_risk`` last active 30–90 days
ago · ``dormant`` last active more than 90 days ago · ``occasional`` anyone else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hudong.analyses import Result, analysis
from hudong.connectors import outbox
from hudong.inbox import items as inbox
from hudong.inbox import sending
from hudong.metrics import tables_of
from hudong.metrics.responsiveness import messages
from hudong.store.workspace import has_table

MAX_THREAD = 200  # messages shown (the newest); a longer thread says how many were left out
RECENT = 10  # the person's other messages and previous replies shown
SEGMENTS = ("champion", "new", "active", "at_risk", "dormant", "occasional")


def segment(*, first_seen: dt.datetime | None, last_seen: dt.datetime | None, recent_90: int, orders: int,
            at: dt.datetime) -> str:
    """The RFM rule segment of the module doc (``recent_90``: interactions in the 90 days before ``at``)."""
    if last_seen is None:
        return "occasional"
    idle = (at - last_seen).days
    if orders >= 2 and idle <= 90:
        return "champion"
    if first_seen is not None and (at - first_seen).days <= 30:
        return "new"
    if idle <= 30 and recent_90 >= 3:
        return "active"
    if 30 < idle <= 90:
        return "at_risk"
    if idle > 90:
        return "dormant"
    return "occasional"


def _rows(cur: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def thread(ws: Any, item: str) -> dict[str, Any]:
    """The conversation of ``item``: ``messages`` (oldest first, each with ``staff``, ``sentiment``, ``is_item``),
    ``left_out`` (older messages not shown), ``post`` (what a comment was written under) and ``outbox`` (replies
    queued or sent from hudong for this item). LookupError for an unknown item."""
    msg = inbox.message(ws, item)  # LookupError: no such inbound message
    platform, iid = msg["platform"], msg["interaction_id"]
    m = messages(tables_of(ws))
    conv = ws.ibis.to_pyarrow(m.filter(m.platform == platform, m.interaction_id == iid).select("conv")).to_pylist()
    if not conv:  # an automated or non-conversation message: it is its own thread
        conv_rows = [{"interaction_id": iid}]
    else:
        c = m.filter(m.platform == platform, m.conv == conv[0]["conv"])
        conv_rows = ws.ibis.to_pyarrow(c.select("interaction_id")).to_pylist()
    ids = [r["interaction_id"] for r in conv_rows]
    sentiment = "s.polarity" if has_table(ws.con, "text_sentiment") else "NULL"
    join = ("LEFT JOIN text_sentiment s ON s.platform = i.platform AND s.kind = 'interaction' "
            "AND s.id = i.interaction_id ") if has_table(ws.con, "text_sentiment") else ""
    rows = _rows(ws.con.execute(
        f"SELECT i.interaction_id, i.type, i.actor_id, i.text, i.created_at AS ts, coalesce(i.by_staff, false) AS staff, "
        f"i.url, i.target_post_id AS post_id, {sentiment} AS sentiment FROM interactions i {join}"
        "WHERE i.platform = ? AND list_contains(?, i.interaction_id) ORDER BY i.created_at, i.interaction_id",
        [platform, ids],
    ))
    left_out = max(0, len(rows) - MAX_THREAD)
    rows = rows[left_out:]
    for r in rows:
        r["is_item"] = r["interaction_id"] == iid
        r["url"] = inbox.safe_link(r["url"])
    post = None
    post_id = next((r["post_id"] for r in rows if r["post_id"]), None)
    if post_id:
        found = _rows(ws.con.execute("SELECT post_id, text, url, created_at FROM posts WHERE platform = ? AND post_id = ?",
                                     [platform, post_id]))  # fmt: skip
        post = found[0] if found else {"post_id": post_id, "text": None, "url": None, "created_at": None}
        post["url"] = inbox.safe_link(post["url"])
    sent = outbox.rows(ws, item=item, oldest_first=True) if has_table(ws.con, "outbox") else []
    for r in sent:
        r["url"] = inbox.safe_link(r["url"])
    return {"messages": rows, "left_out": left_out, "post": post, "outbox": sent}


def person(ws: Any, platform: str, actor_id: str, at: dt.datetime) -> dict[str, Any]:
    """Who sent the message, seen from the brand's side: ``profile`` (the users row), ``activity`` (interactions
    by type: n, first, last), ``first_seen`` / ``last_seen``, ``orders`` (n, amount, last, recent) linked by the
    social identity, ``segment`` (the module's RFM rule), ``sentiment`` (by month: n, mean score, negatives),
    ``messages`` (their latest inbound messages, each an inbox item) and ``replies`` (the team's latest replies to
    them)."""
    con = ws.con
    profile = _rows(con.execute(
        "SELECT name, followers, following, verified, location, created_at FROM users WHERE platform = ? AND user_id = ?",
        [platform, actor_id]))  # fmt: skip
    activity = _rows(con.execute(
        "SELECT type, count(*) AS n, min(created_at) AS first, max(created_at) AS last FROM interactions "
        "WHERE platform = ? AND actor_id = ? GROUP BY type ORDER BY n DESC, type", [platform, actor_id]))  # fmt: skip
    first_seen = min((a["first"] for a in activity if a["first"]), default=None)
    last_seen = max((a["last"] for a in activity if a["last"]), default=None)
    (recent_90,) = con.execute(
        "SELECT count(*) FROM interactions WHERE platform = ? AND actor_id = ? AND created_at > ?",
        [platform, actor_id, at - dt.timedelta(days=90)]).fetchone()  # fmt: skip
    orders = {"n": 0, "amount": 0.0, "last": None, "recent": []}
    if has_table(ws.con, "orders"):
        where = "user_id = ? AND coalesce(user_platform, platform) = ?"
        n, amount, last = con.execute(f"SELECT count(*), coalesce(sum(amount), 0), max(created_at) FROM orders "
                                      f"WHERE {where}", [actor_id, platform]).fetchone()  # fmt: skip
        recent = _rows(con.execute(f"SELECT order_id, created_at, amount, currency, product FROM orders WHERE {where} "
                                   "ORDER BY created_at DESC LIMIT 5", [actor_id, platform]))  # fmt: skip
        orders = {"n": int(n), "amount": float(amount), "last": last, "recent": recent}
    sentiment: list[dict[str, Any]] = []
    if has_table(ws.con, "text_sentiment"):
        sentiment = _rows(con.execute(
            "SELECT strftime(date_trunc('month', i.created_at), '%Y-%m') AS month, count(*) AS n, "
            "round(avg(s.score), 2) AS mean_score, count(*) FILTER (WHERE s.polarity = 'negative') AS negative "
            "FROM interactions i JOIN text_sentiment s ON s.platform = i.platform AND s.kind = 'interaction' "
            "AND s.id = i.interaction_id WHERE i.platform = ? AND i.actor_id = ? AND s.polarity IS NOT NULL "
            "GROUP BY 1 ORDER BY 1", [platform, actor_id]))  # fmt: skip
    m = messages(tables_of(ws))
    theirs = m.filter(m.platform == platform, m.actor_id == actor_id, ~m.staff)
    latest = theirs.order_by(theirs.ts.desc()).limit(RECENT).select("interaction_id", "type", "text", "ts")
    mine = ws.ibis.to_pyarrow(latest).to_pylist()
    for r in mine:
        r["id"] = inbox.item_id(platform, r["interaction_id"])
    convs = theirs.select("conv").distinct()
    staff = m.filter(m.platform == platform, m.staff)
    staff = staff.semi_join(convs, staff.conv == convs.conv)
    replies = ws.ibis.to_pyarrow(
        staff.order_by(staff.ts.desc()).limit(RECENT).select("interaction_id", "type", "text", "ts")).to_pylist()
    return {
        "actor_id": actor_id,
        "platform": platform,
        "profile": profile[0] if profile else None,
        "activity": activity,
        "first_seen": first_seen,
        "last_seen": last_seen,
        "orders": orders,
        "segment": segment(first_seen=first_seen, last_seen=last_seen, recent_90=int(recent_90),
                           orders=orders["n"], at=at),
        "sentiment": sentiment,
        "messages": mine,
        "replies": replies,
    }


@dataclass
class ConversationParams:
    item: str = ""  # PLATFORM:INTERACTION_ID, as the inbox lists it; "": the inbox's first (oldest unanswered)
    at: dt.datetime | None = None  # the clock (default: now, in the workspace's timezone)


@analysis("conversation", "会话", "Conversation",
          tables=("interactions", "posts", "users", "orders", "text_sentiment", "outbox", "inbox_actions"),
          params=ConversationParams)  # fmt: skip
def conversation(ws: Any, p: ConversationParams, step: Any) -> Result:
    """One inbox item opened: values ``id`` (the item the inbox tracks: the turn's latest inbound message, which
    an earlier message opens too), ``item`` (its inbox row: status, clock, assignee, draft …; None once the
    conversation is answered), ``thread``, ``person``, ``history`` (the actions recorded on it) and
    ``reply_window`` (where the platform limits answers to DMs: WeChat's 48 hours); frame ``thread``."""
    at = p.at or inbox.local_now(ws)
    if not p.item:
        first = inbox.list_items(ws, inbox.InboxQuery(limit=1), now=at)["items"]
        if not first:
            raise LookupError("the inbox is empty: no conversation to open")
        p = ConversationParams(item=first[0]["id"], at=at)
    th = thread(ws, p.item)
    platform, iid = inbox.split_id(p.item)
    actor = inbox.message(ws, p.item)["actor_id"]
    row = _row(ws, p.item, at)
    if row is None:  # an earlier message of a turn: the inbox tracks the turn by its latest inbound message
        later = [m for m in th["messages"] if not m["staff"] and m["ts"] >= next(
            (x["ts"] for x in th["messages"] if x["is_item"]), m["ts"])]  # fmt: skip
        for m in reversed(later):
            row = _row(ws, inbox.item_id(platform, m["interaction_id"]), at)
            if row is not None:
                break
    item = row["id"] if row else p.item
    return Result(
        {"thread": pd.DataFrame(th["messages"])},
        {"item": row, "id": item, "platform": platform, "interaction_id": inbox.split_id(item)[1], "thread": th,
         "person": person(ws, platform, actor, at), "history": inbox.history(ws, item),
         "reply_window": sending.reply_window(ws, item)},
    )


def _row(ws: Any, item: str, at: dt.datetime) -> dict[str, Any] | None:
    """The inbox row of ``item`` whatever its status (None: not an item — answered, or not its turn's latest)."""
    rows = inbox.list_items(ws, inbox.InboxQuery(status="all", toxicity="any", item=item, limit=1), now=at)["items"]
    return rows[0] if rows else None
