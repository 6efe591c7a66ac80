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

from typing import Any

from hudong import connectors
from hudong.connectors import outbox
from hudong.errors import HudongError
from hudong.inbox import replies
from hudong.inbox.items import record_action, split_id

PENDING = ("draft", "approved", "sending", "sent", "unknown")  # a reply in these states answers the message


ITEM_ACTIONS = ("like", "follow", "hide")  # besides the reply: on the message (like, hide) or its author (follow)


def item_connectors(ws: Any, action: str = "reply") -> dict[str, str]:
    """platform → the first configured connector (hudong.toml order) that can ``action`` there."""
    out: dict[str, str] = {}
    kinds = connectors.kinds()
    for name, settings in connectors.configured(ws).items():
        cls = kinds.get(settings.get("type"))
        if cls is not None and cls.platform and action in cls.capabilities:
            out.setdefault(cls.platform, name)
    return out


def reply_connectors(ws: Any) -> dict[str, str]:
    """platform → the first configured connector (hudong.toml order) that can reply there."""
    return item_connectors(ws, "reply")


def _send_now(ws: Any, action_id: str) -> dict[str, Any]:
    """Send a just-queued action at once (unless it waits for approval); the outbox row as it now stands."""
    state, detail = outbox.get(ws, action_id)["state"], ""
    if state == "approved":
        (done,) = outbox.send_due(ws, only=action_id)
        state, detail = done.state, done.detail
    row = outbox.get(ws, action_id)
    return {"action_id": action_id, "connector": row["connector"], "state": state, "detail": detail,
            "url": row.get("url"), "platform_id": row.get("platform_id"), "error": row.get("error")}


def act_on_item(ws: Any, item: str, action: str, *, by: str, role: str | None = None) -> dict[str, Any]:
    """Like the message of inbox ``item``, hide it (a reply in a thread the account started, where the platform
    can), or follow its author back, through the platform's connector (an outbox action linked to the item, sent at
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
    row = ws.con.execute("SELECT type FROM interactions WHERE platform = ? AND interaction_id = ? AND is_inbound",
                         [platform, iid]).fetchone()  # fmt: skip
    if row is None:
        raise LookupError(f"no inbound message {item!r}")
    name = reply_connectors(ws).get(platform)
    if name is None:
        raise HudongError(f"no connector in hudong.toml replies on {platform}: reply on the platform and mark the "
                          "message replied, or connect the account (docs/connectors.md)")
    if not (text or "").strip():
        raise HudongError("a reply needs a text")
    other = pending_reply(ws, item)
    if other is not None and not force:
        raise HudongError(f"{other['created_by']} already answered this message (outbox {other['action_id']}, "
                          f"{other['state']}); send anyway only if a second reply is meant")
    action = "message" if row[0] == "dm" else "reply"
    out = _send_now(ws, outbox.queue(ws, name, action, by=by, role=role, target=iid, text=text.strip(), item=item))
    if out["state"] == "sent":
        record_action(ws, item, "replied", by, note=f"{text.strip()}\n— {out['url'] or out['platform_id']} "
                                                    f"(outbox {out['action_id']})")
    elif out["state"] == "draft":
        record_action(ws, item, "draft", by, note=text.strip())
    if out["state"] in ("sent", "draft", "retry"):  # the reply is on its way: the composers' drafts of it are done
        replies.clear_autosaved(ws, item)
    return out
