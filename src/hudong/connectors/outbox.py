"""The outbox: every action hudong takes on a platform is a row first (table ``outbox``), then sent by a worker.

    action_id = outbox.queue(ws, "bsky", "reply", target=uri, text="谢谢反馈！", item="bluesky:…", by="ana")
    outbox.approve(ws, action_id, by="lee")        # when [outbox] approval asks for it
    outbox.send_due(ws)                            # the worker: one pass over what is due

States: ``draft`` (waits for an approver) → ``approved`` → ``sending`` → ``sent``; a failure worth retrying
(``connectors.base.Retry``: rate limits, the platform's 5xx, timeouts) goes back to ``approved`` with the
attempt counted and ``next_attempt`` backed off (exponential with jitter, or the platform's Retry-After); any
other failure, or ``[outbox] max_attempts`` reached, is ``failed`` with the platform's error. ``cancelled`` by
a person before it is sent.

Exactly once: the row is marked ``sending`` and committed before the platform is called, and ``sent`` after.
A row found ``sending`` when the worker starts had its process stop in between: for an action the platform
deduplicates by key (``Connector.idempotent_actions``; the action id is the key) it is simply sent again; for
the others the worker asks the platform (``Connector.confirm``) whether it went out, and when the connector
cannot tell the row becomes ``unknown`` — a person checks the platform — instead of risking a second reply.

Approval: ``[outbox] approval = ["responder"]`` makes the actions queued by those roles wait in ``draft`` for an
analyst's or admin's approval. Every change is appended to ``outbox_events`` (who, what, when, the error).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hudong.connectors import configured as configured_settings
from hudong.connectors import connector as configured_connector
from hudong.connectors import kinds
from hudong.connectors.base import Connector, Retry
from hudong.errors import HudongError
from hudong.platforms import CAPABILITIES

STATES = ("draft", "approved", "sending", "sent", "failed", "unknown", "cancelled")
ACTIONS = tuple(c for c in CAPABILITIES if not c.startswith("read_"))  # as the outbox table's enum
WORKER = "outbox worker"
BASE_DELAY = 30.0  # seconds before the first retry; doubles each attempt, ± 20 % jitter
MAX_DELAY = 3600.0
DEFAULT_MAX_ATTEMPTS = 5
APPROVERS = ("analyst", "admin")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _event(con: Any, action_id: str, event: str, actor: str, detail: str | None = None) -> None:
    con.execute("INSERT INTO outbox_events VALUES (?, ?, ?, ?, ?)", [action_id, event, actor, detail, _now()])


def needs_approval(ws: Any, role: str | None) -> bool:
    """Whether actions queued by ``role`` wait for an approver (``[outbox] approval``: a list of roles)."""
    roles = ws.setting("outbox.approval", []) or []
    if not isinstance(roles, list):
        raise HudongError(f"hudong.toml: [outbox] approval must be a list of roles, got {roles!r}")
    return role in roles


def queue(ws: Any, connector: str, action: str, *, by: str, role: str | None = None, target: str | None = None,
          text: str | None = None, item: str | None = None, **payload: Any) -> str:
    """Queue ``action`` for ``connector`` (a name in hudong.toml) and return its id. The connector must implement
    the action; ``draft`` when ``role`` needs approval, else ``approved`` (due at once)."""
    c = configured_connector(ws, connector)
    if action not in ACTIONS:
        raise HudongError(f"unknown action {action!r}; actions: {', '.join(ACTIONS)}")
    if not c.can(action, c.settings):
        why = (f"it implements {', '.join(sorted(c.capabilities)) or 'no actions'}" if action not in c.capabilities
               else "its settings do not allow it yet (docs/connectors.md)")
        raise HudongError(f"connector {connector} ({c.kind}) cannot {action}: {why}")
    if action in ("reply", "message", "publish") and not (text or "").strip():
        raise HudongError(f"a {action} needs a text")
    action_id = f"hd-{secrets.token_hex(8)}"
    state = "draft" if needs_approval(ws, role) else "approved"
    with ws.transaction() as con:
        con.execute(
            "INSERT INTO outbox (action_id, connector, platform, action, target, text, payload, item, state, attempts,"
            " next_attempt, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
            [action_id, connector, c.platform or "generic", action, target, text,
             json.dumps(payload, ensure_ascii=False) if payload else None, item, state,
             _now() if state == "approved" else None, by, _now()],
        )  # fmt: skip
        _event(con, action_id, "queued" if state == "approved" else "drafted", by)
    return action_id


def get(ws: Any, action_id: str) -> dict[str, Any]:
    cur = ws.con.execute("SELECT * FROM outbox WHERE action_id = ?", [action_id])
    row = cur.fetchone()
    if row is None:
        raise LookupError(f"no outbox action {action_id!r}")
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def _change(ws: Any, action_id: str, allowed: tuple[str, ...], sets: str, params: list[Any], event: str, by: str,
            detail: str | None = None) -> None:  # fmt: skip
    with ws.transaction() as con:
        state = con.execute("SELECT state FROM outbox WHERE action_id = ?", [action_id]).fetchone()
        if state is None:
            raise LookupError(f"no outbox action {action_id!r}")
        if state[0] not in allowed:
            raise HudongError(f"action {action_id} is {state[0]}: it cannot be {event}")
        con.execute(f"UPDATE outbox SET {sets} WHERE action_id = ?", [*params, action_id])
        _event(con, action_id, event, by, detail)


def approve(ws: Any, action_id: str, *, by: str, role: str = "admin") -> None:
    """Approve a draft (analysts and admins): it is sent on the worker's next pass."""
    if role not in APPROVERS:
        raise HudongError(f"role {role!r} may not approve actions (needs one of: {', '.join(APPROVERS)})")
    _change(ws, action_id, ("draft",), "state = 'approved', approved_by = ?, next_attempt = ?", [by, _now()],
            "approved", by)


def cancel(ws: Any, action_id: str, *, by: str) -> None:
    """Withdraw an action that has not gone out (draft, approved, failed or unknown)."""
    _change(ws, action_id, ("draft", "approved", "failed", "unknown"), "state = 'cancelled', next_attempt = NULL", [],
            "cancelled", by)


def undo(ws: Any, action_id: str, *, by: str) -> str:
    """Take back a sent action where the platform allows it (``Connector.undoable``: a just-sent reply, a post, a
    like on Bluesky): queues the connector's ``delete`` of what it made, linked to the same inbox item, and
    returns its action id (the caller sends it, or the worker does). Taking back needs no approval. The original
    stays ``sent``; its log says ``undo queued``."""
    row = get(ws, action_id)
    if row["state"] != "sent" or not row["platform_id"]:
        raise HudongError(f"action {action_id} is {row['state']}: only a sent action can be undone "
                          "(withdraw one that has not gone out with cancel)")
    c = configured_connector(ws, row["connector"])
    if row["action"] not in c.undoable or "delete" not in c.capabilities:
        raise HudongError(f"{row['platform']} ({c.kind}) cannot take back a {row['action']}: "
                          f"undo works for {', '.join(sorted(c.undoable)) or 'nothing'} there")
    taken = ws.con.execute("SELECT action_id FROM outbox WHERE action = 'delete' AND target = ? AND connector = ? "
                           "AND state NOT IN ('failed', 'cancelled')", [row["platform_id"], row["connector"]]).fetchone()  # fmt: skip
    if taken:
        raise HudongError(f"action {action_id} is already being undone (outbox {taken[0]})")
    undo_id = queue(ws, row["connector"], "delete", by=by, target=row["platform_id"], item=row["item"])
    with ws.transaction() as con:
        _event(con, action_id, "undo queued", by, undo_id)
    return undo_id


def resolve(ws: Any, action_id: str, *, sent: bool, by: str, platform_id: str | None = None) -> None:
    """A person settles an ``unknown`` action after looking at the platform: it went out (``sent``) or it did not
    (back to ``approved``: due again)."""
    if sent:
        _change(ws, action_id, ("unknown",), "state = 'sent', platform_id = coalesce(?, platform_id), sent_at = ?",
                [platform_id, _now()], "confirmed sent", by)
    else:
        _change(ws, action_id, ("unknown",), "state = 'approved', next_attempt = ?", [_now()], "confirmed not sent", by)


def rows(ws: Any, *, state: str | None = None, item: str | None = None, limit: int = 200,
         oldest_first: bool = False) -> list[dict[str, Any]]:
    """Outbox rows (newest first; ``item``: those of one inbox item), each with ``undoable``: ``undo`` would take it
    back now (sent, the connector can delete that kind of action, not already being undone)."""
    if state is not None and state not in STATES:
        raise HudongError(f"unknown state {state!r}; states: {', '.join(STATES)}")
    cur = ws.con.execute(
        "SELECT o.*, EXISTS (SELECT 1 FROM outbox d WHERE d.action = 'delete' AND d.connector = o.connector AND "
        "d.target = o.platform_id AND d.state NOT IN ('failed', 'cancelled')) AS undone FROM outbox o "
        "WHERE (? IS NULL OR o.state = ?) AND (? IS NULL OR o.item = ?) "
        f"ORDER BY o.created_at {'ASC' if oldest_first else 'DESC'}, o.action_id LIMIT ?",
        [state, state, item, item, limit])  # fmt: skip
    names = [d[0] for d in cur.description]
    out = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    types, settings = kinds(), configured_settings(ws)
    for r in out:
        cls = types.get(settings.get(r["connector"], {}).get("type"))
        r["undoable"] = bool(cls is not None and r["state"] == "sent" and r["platform_id"] and not r["undone"]
                             and r["action"] in cls.undoable and "delete" in cls.capabilities)
    return out


def events(ws: Any, *, limit: int = 200) -> list[dict[str, Any]]:
    """The outbox's audit log, newest first: every change of every action (who, what, when, the error)."""
    cur = ws.con.execute("SELECT e.happened_at, e.action_id, o.action, o.connector, e.event, e.actor, e.detail "
                         "FROM outbox_events e LEFT JOIN outbox o USING (action_id) "
                         "ORDER BY e.happened_at DESC, e.rowid DESC LIMIT ?", [limit])  # fmt: skip
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def history(ws: Any, action_id: str) -> list[dict[str, Any]]:
    cur = ws.con.execute("SELECT event, actor, detail, happened_at FROM outbox_events WHERE action_id = ? "
                         "ORDER BY happened_at, rowid", [action_id])  # fmt: skip
    return [dict(zip(("event", "actor", "detail", "at"), r, strict=True)) for r in cur.fetchall()]


def backoff(attempts: int, after: float | None = None, rng: Callable[[], float] = random.random) -> float:
    """Seconds before the next attempt: the platform's Retry-After when it gave one, else BASE_DELAY doubling per
    attempt (capped at MAX_DELAY) with ± 20 % jitter, so many workers do not retry in step."""
    if after is not None and after >= 0:
        return float(after)
    base = min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return base * (0.8 + 0.4 * rng())


@dataclass
class Sent:
    action_id: str
    state: str
    detail: str = ""


def _params(row: dict[str, Any]) -> dict[str, Any]:
    extra = json.loads(row["payload"]) if row["payload"] else {}
    # queued_at: a stable time of the action, for platforms whose record keys are time-based (Bluesky TIDs).
    return {"idempotency_key": row["action_id"], "target": row["target"], "text": row["text"],
            "queued_at": row["created_at"].isoformat() if row.get("created_at") else None, **extra}


def _recover(ws: Any, c: Connector, row: dict[str, Any]) -> Sent | None:
    """A row left ``sending`` by a stopped process: resend only when the platform deduplicates (None: send),
    else ask the platform; ``unknown`` when nobody can tell."""
    if row["action"] in c.idempotent_actions:
        return None
    try:
        made = c.confirm(row["action"], **_params(row))
    except HudongError as e:
        _change(ws, row["action_id"], ("sending",), "state = 'unknown', error = ?", [str(e)], "unknown", WORKER,
                str(e))
        return Sent(row["action_id"], "unknown", str(e))
    if made is None:
        return None
    _mark_sent(ws, row["action_id"], made, "found sent")
    return Sent(row["action_id"], "sent", "it had gone out")


def _mark_sent(ws: Any, action_id: str, made: dict[str, Any], event: str = "sent") -> None:
    with ws.transaction() as con:
        con.execute("UPDATE outbox SET state = 'sent', platform_id = ?, url = ?, sent_at = ?, error = NULL, "
                    "next_attempt = NULL WHERE action_id = ?",
                    [made.get("platform_id"), made.get("url"), _now(), action_id])  # fmt: skip
        _event(con, action_id, event, WORKER, made.get("platform_id"))


def send_due(ws: Any, *, now: dt.datetime | None = None, limit: int = 100, only: str | None = None) -> list[Sent]:
    """One pass of the worker: settle the rows a stopped process left ``sending``, then send what is due
    (``approved`` with ``next_attempt`` ≤ now), oldest first. Returns what happened to each. ``only``: just this
    action (an operator pressed "send" and waits for the answer)."""
    now = now or _now()
    max_attempts = int(ws.setting("outbox.max_attempts", DEFAULT_MAX_ATTEMPTS))
    cur = ws.con.execute("SELECT * FROM outbox WHERE (state = 'sending' OR (state = 'approved' AND next_attempt <= ?)) "
                         "AND (? IS NULL OR action_id = ?) ORDER BY created_at, action_id LIMIT ?",
                         [now, only, only, limit])  # fmt: skip
    cols = [d[0] for d in cur.description]
    rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    out: list[Sent] = []
    for row in rows:
        try:
            c = configured_connector(ws, row["connector"])
        except HudongError as e:  # the connector was removed from hudong.toml: nothing can send it
            _change(ws, row["action_id"], ("approved", "sending"), "state = 'failed', error = ?", [str(e)], "failed",
                    WORKER, str(e))
            out.append(Sent(row["action_id"], "failed", str(e)))
            continue
        if row["state"] == "sending" and (settled := _recover(ws, c, row)) is not None:
            out.append(settled)
            continue
        attempt = int(row["attempts"]) + 1
        _change(ws, row["action_id"], ("approved", "sending"), "state = 'sending', attempts = ?", [attempt],
                "sending", WORKER, f"attempt {attempt}")
        try:
            made = c.act(row["action"], **_params(row))
        except Retry as e:
            final = attempt >= max_attempts
            wait = backoff(attempt, e.after)
            _change(ws, row["action_id"], ("sending",), "state = ?, error = ?, next_attempt = ?",
                    ["failed" if final else "approved", str(e), None if final else now + dt.timedelta(seconds=wait)],
                    "failed" if final else "retry", WORKER, str(e))  # fmt: skip
            out.append(Sent(row["action_id"], "failed" if final else "retry", str(e)))
            continue
        except HudongError as e:
            _change(ws, row["action_id"], ("sending",), "state = 'failed', error = ?, next_attempt = NULL", [str(e)],
                    "failed", WORKER, str(e))
            out.append(Sent(row["action_id"], "failed", str(e)))
            continue
        except Exception as e:  # noqa: BLE001 - the connector did not say: the request may have gone out
            why = f"{type(e).__name__}: {e}"
            settled = _recover(ws, c, {**row, "state": "sending"})  # resend-safe, or asks the platform
            if settled is None:  # it did not go out (or the platform drops a second copy): try again later
                _change(ws, row["action_id"], ("sending",), "state = 'approved', error = ?, next_attempt = ?",
                        [why, now + dt.timedelta(seconds=backoff(attempt))], "retry", WORKER, why)
                settled = Sent(row["action_id"], "retry", why)
            out.append(settled)
            continue
        _mark_sent(ws, row["action_id"], made)
        out.append(Sent(row["action_id"], "sent", str(made.get("platform_id") or "")))
    return out
