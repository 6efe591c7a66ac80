"""Publishing the plan: scheduled items go out through the outbox at their time, or remind their owner where no
connector publishes; what went out is tied back to its plan item and to the post hudong later syncs or imports.

One pass (``run``: `hudong plan publish`, and every sync round of `hudong serve`):

1. ``queue_due`` — each scheduled item whose time has come: on a platform where a configured connector publishes
   (Bluesky, Mastodon, Reddit; Weibo and WeChat once set up for it) a ``publish`` action is queued in the outbox
   (its id kept on the item); elsewhere (小红书, 抖音 …), or when the post breaks the publishing API's own rules
   (``Connector.publish_problems``: Weibo's share API refuses #话题#), its owner is reminded once (a ``remind``
   event, with the reason) and marks it published with the link.
2. ``settle`` — the outbox's answer reaches the item: sent → published (link, the platform's id as the post, the
   time it went out); failed → failed with the platform's reason (``failed`` event: the owner sees it).
3. ``reconcile`` — a published item without its post is matched to a stored post: by link, else by text and time
   (same platform, own account, within ``MATCH_HOURS``; the text similarity is the confidence, kept in the
   event; below ``MIN_CONFIDENCE`` no match is made).
4. ``mark_missed`` (``plan.items``) — a scheduled item an hour late and not published is missed.
5. ``alert`` — the owner of each item that failed or was missed in this pass is told: an ``alert`` event (the
   calendar's "needs you" list) and the team's group chat when a webhook is set (``connectors.notify``).

The item's results are then the post's: engagement, comments, reposts (``results``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from hudong.connectors import connector as configured_connector
from hudong.connectors import notify, outbox, platform_connectors
from hudong.errors import HudongError
from hudong.plan import clock, items
from hudong.store.workspace import transaction

MATCH_HOURS = 6
MIN_CONFIDENCE = 0.6
WORKER = "hudong"


@dataclass
class Pass:
    queued: list[str] = field(default_factory=list)  # plan items handed to the outbox
    reminded: list[str] = field(default_factory=list)  # owners reminded (no publishing connector)
    published: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    reconciled: list[tuple[str, str, float]] = field(default_factory=list)  # (item, post, confidence)
    missed: list[str] = field(default_factory=list)


def _due(ws: Any, now: dt.datetime) -> list[dict[str, Any]]:
    cur = ws.con.execute("SELECT item_id, platform, text, title, owner, created_by, outbox_id FROM plan_items "
                         "WHERE state = 'scheduled' AND recurrence IS NULL AND scheduled_at <= ?", [now])  # fmt: skip
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def route(ws: Any, item: dict[str, Any], publishers: dict[str, str] | None = None) -> dict[str, Any]:
    """How ``item`` will go out: ``connector`` (the name in hudong.toml that publishes it) or None — by hand —
    with why (zh, en): no connector publishes on its platform, or the post breaks the publishing API's own rules
    (``Connector.publish_problems``; Weibo's share API refuses #话题#)."""
    publishers = platform_connectors(ws, "publish") if publishers is None else publishers
    name = publishers.get(item["platform"])
    if name is None:
        return {"connector": None, "zh": "这个平台没有可发布的连接器:到时提醒负责人手动发布",
                "en": "no connector publishes on this platform: its owner is reminded to publish it by hand",
                "reason": "no connector publishes on this platform"}
    problems = configured_connector(ws, name).publish_problems(item["text"] or "", item["title"])
    if problems:
        why = "; ".join(en for _, en in problems)
        return {"connector": None, "zh": ";".join(zh for zh, _ in problems), "en": why, "reason": why}
    return {"connector": name, "zh": f"到时由 hudong 通过 {name} 自动发布",
            "en": f"hudong publishes it at its time through {name}", "reason": None}


def queue_due(ws: Any, now: dt.datetime | None = None, out: Pass | None = None) -> Pass:
    out = out or Pass()
    now = now or clock.now()
    publishers = platform_connectors(ws, "publish")
    for it in _due(ws, now):
        if it["outbox_id"]:
            continue
        way = route(ws, it, publishers)
        name, why = way["connector"], way["reason"]
        if name is None:
            reminded = ws.con.execute("SELECT count(*) FROM plan_events WHERE item_id = ? AND action = 'remind'",
                                      [it["item_id"]]).fetchone()[0]  # fmt: skip
            if not reminded:
                with transaction(ws.con):
                    items.log(ws, it["item_id"], WORKER, "remind", "scheduled", "scheduled",
                              f"time to publish by hand for {it['owner'] or it['created_by']}, then mark it published "
                              f"with the link ({why})")
                out.reminded.append(it["item_id"])
            continue
        text = "\n".join(x for x in (it["title"], it["text"]) if x) if it["platform"] == "reddit" else it["text"]
        try:
            action_id = outbox.queue(ws, name, "publish", by=it["owner"] or it["created_by"], role="admin", text=text,
                                     plan_item=it["item_id"], title=it["title"])
        except HudongError as e:
            items.act(ws, it["item_id"], "failed", WORKER, note=str(e))
            out.failed.append(it["item_id"])
            continue
        with transaction(ws.con):
            ws.con.execute("UPDATE plan_items SET outbox_id = ? WHERE item_id = ?", [action_id, it["item_id"]])
            items.log(ws, it["item_id"], WORKER, "queue", "scheduled", "scheduled", f"outbox {action_id} ({name})")
        out.queued.append(it["item_id"])
    return out


def settle(ws: Any, out: Pass | None = None) -> Pass:
    """Sent or failed outbox actions of scheduled items: the item follows."""
    out = out or Pass()
    rows = ws.con.execute(
        "SELECT p.item_id, o.state, o.platform_id, o.url, o.error, o.sent_at FROM plan_items p JOIN outbox o "
        "ON o.action_id = p.outbox_id WHERE p.state = 'scheduled' AND o.state IN ('sent', 'failed', 'cancelled')"
    ).fetchall()
    for item_id, state, platform_id, url, error, sent_at in rows:
        if state == "sent":
            items.act(ws, item_id, "published", WORKER, url=url or platform_id, at=sent_at)
            with transaction(ws.con):
                ws.con.execute("UPDATE plan_items SET post_id = ? WHERE item_id = ?", [platform_id, item_id])
            out.published.append(item_id)
        else:
            items.act(ws, item_id, "failed", WORKER, note=error or f"the outbox action was {state}")
            out.failed.append(item_id)
    return out


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, " ".join(a.split()), " ".join(b.split())).ratio()


def reconcile(ws: Any, out: Pass | None = None) -> Pass:
    """Published items without their post: matched by link, else by text and time (module doc)."""
    out = out or Pass()
    rows = ws.con.execute("SELECT item_id, platform, account_id, text, url, published_at, scheduled_at FROM "
                          "plan_items WHERE state = 'published' AND post_id IS NULL").fetchall()  # fmt: skip
    for item_id, platform, account, text, url, published_at, scheduled_at in rows:
        found = None
        if url:
            hit = ws.con.execute("SELECT post_id FROM posts WHERE platform = ? AND (url = ? OR post_id = ?) LIMIT 1",
                                 [platform, url, url]).fetchone()  # fmt: skip
            found = (hit[0], 1.0) if hit else None
        when = published_at or scheduled_at
        if found is None and text and when is not None:
            own = ("AND account_id = ?", [account]) if account else (
                "AND account_id IN (SELECT account_id FROM accounts WHERE is_own AND platform = posts.platform)", [])
            cands = ws.con.execute(
                f"SELECT post_id, text FROM posts WHERE platform = ? {own[0]} AND text IS NOT NULL AND created_at "
                "BETWEEN ? AND ? AND post_id NOT IN (SELECT post_id FROM plan_items WHERE post_id IS NOT NULL)",
                [platform, *own[1], when - dt.timedelta(hours=MATCH_HOURS), when + dt.timedelta(hours=MATCH_HOURS)],
            ).fetchall()
            scored = sorted(((_similarity(text, t), pid) for pid, t in cands), reverse=True)
            if scored and scored[0][0] >= MIN_CONFIDENCE:
                found = (scored[0][1], scored[0][0])
        if found is None:
            continue
        with transaction(ws.con):
            ws.con.execute("UPDATE plan_items SET post_id = ? WHERE item_id = ?", [found[0], item_id])
            items.log(ws, item_id, WORKER, "reconcile", "published", "published",
                      json.dumps({"post_id": found[0], "confidence": round(found[1], 3)}))
        out.reconciled.append((item_id, found[0], found[1]))
    return out


def run(ws: Any, now: dt.datetime | None = None, *, send: bool = True) -> Pass:
    """One pass (module doc); ``send``: also send the queued actions now (the CLI; `hudong serve`'s round sends)."""
    now = now or clock.now()
    out = queue_due(ws, now)
    if send and out.queued:
        outbox.send_due(ws, now=now)
    return finish(ws, out, now)


def finish(ws: Any, out: Pass, now: dt.datetime | None = None) -> Pass:
    """The pass after the outbox has sent (``run``, and every round of `hudong serve` after its own send): settle,
    reconcile, mark the missed, alert the owners of what failed or was missed."""
    settle(ws, out)
    reconcile(ws, out)
    out.missed = items.mark_missed(ws, now or clock.now())
    alert(ws, [*out.failed, *out.missed])
    return out


def alert(ws: Any, item_ids: list[str]) -> None:
    """Tell each item's owner that it failed or was missed: in hudong (an ``alert`` event, the calendar's "needs
    you" list) and in the team's chat when a webhook is configured (``connectors.notify``)."""
    for item_id in item_ids:
        it = items.get(ws, item_id)
        who = it["owner"] or it["created_by"]
        why = next((e["note"] for e in reversed(it["events"]) if e["action"] in ("failed", "missed")), "") or ""
        what = (it["title"] or it["text"] or "")[:40]
        state = "发布失败" if it["state"] == "failed" else "错过发布时间"
        text = f"【hudong】{it['platform']} 计划{state}:「{what}」 {why}(负责人 {who},{item_id})"
        delivered, problems = notify.send(ws.path, text)
        note = f"{who}: {why}" + (f"; sent to {delivered} chat(s)" if delivered else "") + (
            f"; not delivered: {', '.join(problems)}" if problems else "")
        with transaction(ws.con):
            items.log(ws, item_id, WORKER, "alert", it["state"], it["state"], note)


def results(ws: Any, item_id: str) -> dict[str, Any] | None:
    """The published post's counts as the platform reported them, the comments stored for it with their tone
    (scored comments, the share positive and negative, the mean score), the size of its cascade (reposts of it),
    and the engagement rate by impressions; None while the item has no post."""
    it = items.get(ws, item_id)
    if not it["post_id"]:
        return None
    row = ws.con.execute(
        "SELECT p.created_at, p.likes, p.comments, p.reposts, p.saves, p.impressions, p.reach, p.url, "
        "(SELECT count(*) FROM interactions i WHERE i.platform = p.platform AND i.target_post_id = p.post_id "
        "AND i.type IN ('comment', 'reply')) AS comments_stored, "
        "(SELECT count(*) FROM posts r WHERE r.platform = p.platform AND r.root_id = p.post_id) AS cascade "
        "FROM posts p WHERE p.platform = ? AND p.post_id = ?", [it["platform"], it["post_id"]]).fetchone()
    if row is None:
        return {"post_id": it["post_id"], "synced": False}
    keys = ("created_at", "likes", "comments", "reposts", "saves", "impressions", "reach", "url", "comments_stored",
            "cascade")
    out = {"post_id": it["post_id"], "synced": True, **dict(zip(keys, row, strict=True))}
    tone = ws.con.execute(
        "SELECT count(s.polarity), avg((s.polarity = 'positive')::INT), avg((s.polarity = 'negative')::INT), "
        "avg(s.score) FROM interactions i JOIN text_sentiment s ON s.platform = i.platform AND s.kind = 'interaction' "
        "AND s.id = i.interaction_id WHERE i.platform = ? AND i.target_post_id = ? AND i.type IN ('comment', 'reply') "
        "AND s.polarity IS NOT NULL", [it["platform"], it["post_id"]]).fetchone()  # fmt: skip
    out |= dict(zip(("comments_scored", "positive_share", "negative_share", "mean_sentiment"), tone, strict=True))
    engaged = sum(int(out[k] or 0) for k in ("likes", "comments", "reposts", "saves"))
    out["engagement_rate"] = engaged / out["impressions"] if out["impressions"] else None
    return out
