"""Replies that go out from the inbox: an operator's answer to an inbox item becomes an outbox action of the
connector that serves the item's platform, and is sent at once (or waits for an approver).

    sent = sending.send_reply(ws, "bluesky:at://…", "谢谢！", by="ana", role="responder")
    sent["state"]   # sent | draft (waits for approval) | retry (the platform asked to wait) | failed

The item is closed as ``replied`` (its history notes the outbox action and the link) as soon as the platform has
the reply; the next sync brings the reply back as the staff message that stops the response clock, so
``first_response_minutes`` measures when the team really answered. Conflicts are refused with the reason: a
colleague's reply to the same message already queued or sent, no connector for the platform, a message deleted
on the platform or an author who blocks the account (the connector's error, kept on the outbox row).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hudong import connectors, platforms
from hudong.connectors import outbox
from hudong.errors import HudongError
from hudong.i18n import platform_name
from hudong.inbox import replies
from hudong.inbox.items import record_action, split_id

PENDING = ("draft", "approved", "sending", "sent", "unknown")  # a reply in these states answers the message


ITEM_ACTIONS = ("like", "follow", "hide", "elect")  # besides the reply: on the message or its author (follow)


def item_connectors(ws: Any, action: str = "reply") -> dict[str, str]:
    """platform → the first configured connector (hudong.toml order) that can ``action`` there."""
    return connectors.platform_connectors(ws, action)


def reply_connectors(ws: Any) -> dict[str, str]:
    """platform → the first configured connector (hudong.toml order) that answers there: replies to comments or
    direct messages."""
    return item_connectors(ws, "message") | item_connectors(ws, "reply")


def answer_action(ws: Any, item: str) -> str:
    """How ``item`` is answered: ``message`` for a direct message, else ``reply``. LookupError: no such message."""
    platform, iid = split_id(item)
    row = ws.con.execute("SELECT type FROM interactions WHERE platform = ? AND interaction_id = ? AND is_inbound",
                         [platform, iid]).fetchone()  # fmt: skip
    if row is None:
        raise LookupError(f"no inbound message {item!r}")
    return "message" if row[0] == "dm" else "reply"


def _send_now(ws: Any, action_id: str) -> dict[str, Any]:
    """Send a just-queued action at once (unless it waits for approval); the outbox row as it now stands."""
    state, detail = outbox.get(ws, action_id)["state"], ""
    if state == "approved":
        (done,) = outbox.send_due(ws, only=action_id)
        state, detail = done.state, done.detail
    row = outbox.get(ws, action_id)
    return {"action_id": action_id, "connector": row["connector"], "state": state, "detail": detail,
            "url": row.get("url"), "platform_id": row.get("platform_id"), "error": row.get("error")}


def _contact(ws: Any, item: str) -> str | None:
    """The handle of the item's sender (table ``contacts``): whom a platform that addresses people, not messages,
    sends the answer to (WeChat's openid)."""
    platform, iid = split_id(item)
    row = ws.con.execute("SELECT c.handle FROM interactions i JOIN contacts c ON c.platform = i.platform AND "
                         "c.user_id = i.actor_id WHERE i.platform = ? AND i.interaction_id = ?",
                         [platform, iid]).fetchone()  # fmt: skip
    return row[0] if row and row[0] else None


def reply_window(ws: Any, item: str, now: dt.datetime | None = None) -> dict[str, Any] | None:
    """Where the platform limits answers to direct messages (``Platform.reply_window_hours``: WeChat's 48 hours):
    ``{hours, last, closes_at, open, hours_left}`` from the sender's last direct message (times in UTC, as the
    connectors store them); None where there is no limit or the item is not a direct message."""
    platform, iid = split_id(item)
    p = platforms.platform(platform)
    if p is None or p.reply_window_hours is None:
        return None
    row = ws.con.execute("SELECT max(m.created_at) FROM interactions i JOIN interactions m ON m.platform = "
                         "i.platform AND m.actor_id = i.actor_id AND m.type = 'dm' AND m.is_inbound WHERE "
                         "i.platform = ? AND i.interaction_id = ? AND i.type = 'dm'", [platform, iid]).fetchone()  # fmt: skip
    if not row or row[0] is None:
        return None
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    closes = row[0] + dt.timedelta(hours=p.reply_window_hours)
    left = (closes - now).total_seconds() / 3600
    return {"hours": p.reply_window_hours, "last": row[0], "closes_at": closes, "open": left > 0,
            "hours_left": round(max(left, 0.0), 1)}


def act_on_item(ws: Any, item: str, action: str, *, by: str, role: str | None = None) -> dict[str, Any]:
    """Like the message of inbox ``item``, hide it (a reply in a thread the account started, where the platform
    can; on WeChat the comment is deleted from the article), elect it (WeChat 精选: shown to every reader), or
    follow its author back, through the platform's connector (an outbox action linked to the item, sent at
    once unless the role needs approval). Following needs the author's handle (table ``contacts``)."""
    if action not in ITEM_ACTIONS:
        raise HudongError(f"unknown inbox action {action!r}; one of: {', '.join(ITEM_ACTIONS)}")
    platform, iid = split_id(item)
    row = ws.con.execute("SELECT actor_id FROM interactions WHERE platform = ? AND interaction_id = ? AND is_inbound",
                         [platform, iid]).fetchone()  # fmt: skip
    if row is None:
        raise LookupError(f"no inbound message {item!r}")
    name = item_connectors(ws, action).get(platform)
    if name is None:
        raise HudongError(f"no connector in hudong.toml can {action} on {platform} (docs/connectors.md)")
    target = iid
    if action == "follow":
        found = ws.con.execute("SELECT handle FROM contacts WHERE platform = ? AND user_id = ?",
                               [platform, row[0]]).fetchone()  # fmt: skip
        if not found or not found[0]:
            raise HudongError(f"hudong does not know the account of {row[0]} on {platform} (no contact handle: "
                              "[privacy] contacts off, or an export without handles)")
        target = found[0]
    return _send_now(ws, outbox.queue(ws, name, action, by=by, role=role, target=target, item=item))


def undo(ws: Any, action_id: str, *, by: str) -> dict[str, Any]:
    """Take back a sent action (``outbox.undo``: the platform deletes the reply, post or like) and send the delete
    now; an inbox reply taken back reopens its item."""
    original = outbox.get(ws, action_id)
    out = _send_now(ws, outbox.undo(ws, action_id, by=by))
    if out["state"] == "sent" and original["item"] and original["action"] in ("reply", "message"):
        record_action(ws, original["item"], "reopen", by, note=f"reply taken back (outbox {action_id})")
    return out


def pending_reply(ws: Any, item: str) -> dict[str, Any] | None:
    """The outbox reply already answering ``item`` (queued, waiting for approval, sent or unknown), if any."""
    cur = ws.con.execute(
        "SELECT action_id, state, created_by, platform_id, url FROM outbox WHERE item = ? AND action IN "
        "('reply', 'message') AND state IN (" + ", ".join("?" * len(PENDING)) + ") ORDER BY created_at DESC LIMIT 1",
        [item, *PENDING],
    )
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


def send_reply(ws: Any, item: str, text: str, *, by: str, role: str | None = None, force: bool = False,
               ) -> dict[str, Any]:
    """Queue the reply to inbox ``item`` on its platform and send it now (unless it needs approval).

    ``force``: reply even though a colleague's reply to this message is already queued or sent."""
    platform, iid = split_id(item)
    action = answer_action(ws, item)
    name = item_connectors(ws, action).get(platform)
    if name is None:
        raise HudongError(f"no connector in hudong.toml replies on {platform}: reply on the platform and mark the "
                          "message replied, or connect the account (docs/connectors.md)")
    if not (text or "").strip():
        raise HudongError("a reply needs a text")
    other = pending_reply(ws, item)
    if other is not None and not force:
        raise HudongError(f"{other['created_by']} already answered this message (outbox {other['action_id']}, "
                          f"{other['state']}); send anyway only if a second reply is meant")
    if action == "message":
        window = reply_window(ws, item)
        if window is not None and not window["open"]:
            raise HudongError(f"{platform_name(platform, 'en')} lets the account answer a direct message only within "
                              f"{window['hours']:g} hours of the person's last message; that window closed at "
                              f"{window['closes_at']:%Y-%m-%d %H:%M} UTC. Answer when they write again (or by a "
                              "template message)")  # fmt: skip
    extra = {"author": contact} if (contact := _contact(ws, item)) else {}
    out = _send_now(ws, outbox.queue(ws, name, action, by=by, role=role, target=iid, text=text.strip(), item=item,
                                     **extra))
    if out["state"] == "sent":
        record_action(ws, item, "replied", by, note=f"{text.strip()}\n— {out['url'] or out['platform_id']} "
                                                    f"(outbox {out['action_id']})")
    elif out["state"] == "draft":
        record_action(ws, item, "draft", by, note=text.strip())
    if out["state"] in ("sent", "draft", "retry"):  # the reply is on its way: the composers' drafts of it are done
        replies.clear_autosaved(ws, item)
    return out
