"""The content calendar's items: what is planned, its state, who changed what (tables ``plan_items``, ``plan_events``).

States: idea → draft → in_review → approved → scheduled → published, or missed (its time passed unpublished) or
failed (the platform refused it). The moves (``ACTIONS``):

- ``submit`` (idea/draft → in_review): refused, with the problems, while the text breaks the platform's rules
  (``plan.rules``: length counted the platform's way, title, images, hashtag form);
- ``approve`` / ``reject`` (in_review → approved / draft): by the approving roles (analyst, admin, as the outbox);
  a rejection says why; an author approves their own item only as an admin;
- ``schedule`` (approved → scheduled, at a time still ahead), ``unschedule`` (back to approved);
- ``published`` (approved/scheduled/missed/failed → published): marked by hand with the post's link, for platforms
  without a publishing API; ``missed``, ``failed``; ``reopen`` (→ draft);
- editing the text of an approved or scheduled item sends it back to draft: what was approved is what goes out.

Every move, edit and comment is one row of ``plan_events`` (who, when, from → to, the note).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable
from typing import Any

from hudong.connectors.outbox import APPROVERS
from hudong.errors import HudongError
from hudong.plan import clock, rules
from hudong.platforms import platform as platform_of
from hudong.store import schema as S
from hudong.store.workspace import transaction

ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({"idea", "draft"}), "in_review"),
    "approve": (frozenset({"in_review"}), "approved"),
    "reject": (frozenset({"in_review"}), "draft"),
    "schedule": (frozenset({"approved"}), "scheduled"),
    "unschedule": (frozenset({"scheduled"}), "approved"),
    "published": (frozenset({"approved", "scheduled", "missed", "failed"}), "published"),
    "missed": (frozenset({"scheduled"}), "missed"),
    "failed": (frozenset({"scheduled", "approved"}), "failed"),
    "reopen": (frozenset({"in_review", "approved", "scheduled", "missed", "failed"}), "draft"),
}
EDITABLE = ("title", "text", "images", "owner", "campaign_id", "content_type", "topics", "segment", "account_id",
            "recurrence")
CONTENT = ("title", "text", "images")  # what an approval approved
MISSED_AFTER = dt.timedelta(hours=1)  # a scheduled item this long past its time, unpublished, is missed
_COLUMNS = [c.name for c in S.PLAN_ITEMS.columns]


class PlanError(HudongError):
    def __init__(self, message: str, problems: list[rules.Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


def _now() -> dt.datetime:
    return clock.now()


def _row(ws: Any, item_id: str) -> dict[str, Any]:
    cur = ws.con.execute(f"SELECT {', '.join(_COLUMNS)} FROM plan_items WHERE item_id = ?", [item_id])
    row = cur.fetchone()
    if row is None:
        raise LookupError(f"no plan item {item_id!r}")
    return dict(zip(_COLUMNS, row, strict=True))


def log(ws: Any, item_id: str, by: str, action: str, before: str | None, after: str | None, note: str | None,
         at: dt.datetime | None = None) -> None:  # fmt: skip
    ws.con.execute("INSERT INTO plan_events VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [item_id, at or _now(), by, action, before, after, note])


def _time(value: Any, what: str) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0)
    try:
        return dt.datetime.fromisoformat(str(value).replace("T", " ")).replace(tzinfo=None)
    except ValueError:
        raise PlanError(f"{what}: cannot read {value!r} as a time (YYYY-MM-DD HH:MM)") from None


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "topics" in out and out["topics"] is not None:
        t = out["topics"]
        out["topics"] = [x.strip().strip("#") for x in (t.split(",") if isinstance(t, str) else t) if x.strip()]
    if "images" in out:
        out["images"] = int(out["images"] or 0)
        if out["images"] < 0:
            raise PlanError("images cannot be negative")
    for col, allowed in (("content_type", S.MEDIA_TYPES), ("recurrence", ("weekly", "monthly"))):
        if out.get(col) not in (None, "") and out[col] not in allowed:
            raise PlanError(f"{col} must be one of {', '.join(allowed)}, got {out[col]!r}")
        if out.get(col) == "":
            out[col] = None
    return out


def create(ws: Any, *, platform: str, by: str, text: str | None = None, title: str | None = None,
           scheduled_at: Any = None, state: str = "idea", **fields: Any) -> dict[str, Any]:  # fmt: skip
    """A new plan item (an idea, or a draft) for ``platform``; ``fields``: any of ``EDITABLE``."""
    if platform_of(platform) is None or platform not in S.PLATFORMS:
        raise PlanError(f"unknown platform {platform!r}; one of {', '.join(S.PLATFORMS)}")
    if state not in ("idea", "draft"):
        raise PlanError("a new plan item is an idea or a draft; it moves on by submit, approve, schedule")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise PlanError(f"unknown field(s) {', '.join(sorted(unknown))}; fields: {', '.join(EDITABLE)}")
    now = _now()
    item = {c: None for c in _COLUMNS} | _clean({"images": 0, **fields}) | {
        "item_id": "p_" + secrets.token_hex(6), "platform": platform, "title": title, "text": text, "state": state,
        "scheduled_at": _time(scheduled_at, "scheduled_at"), "created_by": by, "created_at": now, "updated_at": now}
    with transaction(ws.con):
        ws.con.execute(f"INSERT INTO plan_items ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                       [item[c] for c in _COLUMNS])
        log(ws, item["item_id"], by, "create", None, state, title or (text or "")[:80] or None, now)
    return get(ws, item["item_id"])


def get(ws: Any, item_id: str) -> dict[str, Any]:
    """The item with what its platform's rules say about it (``problems``) and its log (``events``)."""
    item = _row(ws, item_id)
    item["problems"] = [p.to_dict() for p in rules.check(item["platform"], item["text"] or "", title=item["title"],
                                                         images=item["images"] or 0)]
    cur = ws.con.execute("SELECT happened_at, actor, action, from_state, to_state, note FROM plan_events "
                         "WHERE item_id = ? ORDER BY happened_at, rowid", [item_id])  # fmt: skip
    item["events"] = [dict(zip(("at", "by", "action", "from_state", "to_state", "note"), r, strict=True))
                      for r in cur.fetchall()]
    return item


def edit(ws: Any, item_id: str, by: str, **fields: Any) -> dict[str, Any]:
    """Change fields of ``EDITABLE``. Changing the content of an approved or scheduled item sends it back to draft."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise PlanError(f"unknown field(s) {', '.join(sorted(unknown))}; fields: {', '.join(EDITABLE)}")
    item = _row(ws, item_id)
    if item["state"] == "published":
        raise PlanError("a published item cannot be edited (plan a follow-up instead)")
    fields = _clean(fields)
    changed = {k: v for k, v in fields.items() if item.get(k) != v}
    if not changed:
        return get(ws, item_id)
    state = item["state"]
    back = state in ("approved", "scheduled") and any(k in CONTENT for k in changed)
    new_state = "draft" if back else state
    sets = ", ".join(f"{k} = ?" for k in changed)
    with transaction(ws.con):
        ws.con.execute(f"UPDATE plan_items SET {sets}, state = ?, updated_at = ? WHERE item_id = ?",
                       [*changed.values(), new_state, _now(), item_id])
        note = "changed: " + ", ".join(sorted(changed)) + ("; back to draft: it needs approval again" if back else "")
        log(ws, item_id, by, "edit", state, new_state, note)
    return get(ws, item_id)


def move(ws: Any, item_id: str, by: str, when: Any) -> dict[str, Any]:
    """Reschedule (the calendar's drag): any item but a published one; a scheduled item must stay in the future."""
    item = _row(ws, item_id)
    at = _time(when, "the new time")
    if item["state"] == "published":
        raise PlanError("a published item cannot be moved")
    if item["state"] == "scheduled" and (at is None or at <= _now()):
        raise PlanError("a scheduled item can only move to a time still ahead (unschedule it first)")
    with transaction(ws.con):
        ws.con.execute("UPDATE plan_items SET scheduled_at = ?, updated_at = ? WHERE item_id = ?", [at, _now(), item_id])
        log(ws, item_id, by, "move", item["state"], item["state"],
             f"{item['scheduled_at'] or '—'} → {at or '—'}")  # fmt: skip
    return get(ws, item_id)


def act(ws: Any, item_id: str, action: str, by: str, *, role: str = "admin", note: str | None = None,
        url: str | None = None, at: Any = None) -> dict[str, Any]:  # fmt: skip
    """Move the item through its states (module doc); ``role``: the actor's web role (the CLI acts as admin)."""
    if action == "comment":
        if not (note or "").strip():
            raise PlanError("a comment needs a text")
        item = _row(ws, item_id)
        with transaction(ws.con):
            log(ws, item_id, by, "comment", item["state"], item["state"], note.strip())
        return get(ws, item_id)
    if action not in ACTIONS:
        raise PlanError(f"unknown action {action!r}; one of: comment, {', '.join(ACTIONS)}")
    item = _row(ws, item_id)
    allowed, target = ACTIONS[action]
    if item["state"] not in allowed:
        raise PlanError(f"cannot {action} an item that is {item['state']} (from: {', '.join(sorted(allowed))})")
    sets: dict[str, Any] = {}
    if action == "submit":
        problems = rules.check(item["platform"], item["text"] or "", title=item["title"], images=item["images"] or 0)
        if problems:
            raise PlanError("fix it first: " + "; ".join(p.en for p in problems), problems=problems)
    if action in ("approve", "reject"):
        if role not in APPROVERS:
            raise PlanError(f"role {role!r} may not {action} (approvers: {', '.join(APPROVERS)})")
        if action == "approve" and item["created_by"] == by and role != "admin":
            raise PlanError("an author approves their own item only as an admin: ask a colleague")
        if action == "reject" and not (note or "").strip():
            raise PlanError("say why it is rejected (a note)")
    if action == "schedule":
        when = _time(at, "the time") or item["scheduled_at"]
        if when is None or when <= _now():
            raise PlanError("schedule it for a time still ahead")
        sets["scheduled_at"] = when
    if action == "published":
        if not (url or item["url"] or item["post_id"]):
            raise PlanError("give the published post's link (url)")
        sets |= {"url": url or item["url"], "published_at": _time(at, "the time") or _now()}
    with transaction(ws.con):
        assign = "".join(f", {k} = ?" for k in sets)
        ws.con.execute(f"UPDATE plan_items SET state = ?, updated_at = ?{assign} WHERE item_id = ?",
                       [target, _now(), *sets.values(), item_id])
        log(ws, item_id, by, action, item["state"], target, (note or "").strip() or url)
    return get(ws, item_id)


def listing(ws: Any, start: Any, end: Any, *, platform: Iterable[str] | None = None,
            state: Iterable[str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Items scheduled in [start, end] (dates inclusive) and unscheduled ideas and drafts, with the occurrences of
    recurring slots inside the range (``occurrence_of``: the slot's id)."""
    lo = _time(start, "start") or dt.datetime.min
    hi = (_time(end, "end") or dt.datetime.max.replace(microsecond=0) - dt.timedelta(days=1)) + dt.timedelta(days=1)
    where, args = ["((scheduled_at >= ? AND scheduled_at < ?) OR scheduled_at IS NULL OR recurrence IS NOT NULL)"], [lo, hi]
    for col, values in (("platform", platform), ("state", state)):
        vals = list(values or [])
        if vals:
            where.append(f"{col} IN ({', '.join('?' * len(vals))})")
            args += vals
    cur = ws.con.execute(f"SELECT {', '.join(_COLUMNS)} FROM plan_items WHERE {' AND '.join(where)} "
                         "ORDER BY scheduled_at NULLS LAST, created_at", args)  # fmt: skip
    out = []
    for r in cur.fetchall():
        item = dict(zip(_COLUMNS, r, strict=True))
        if item["recurrence"] and item["scheduled_at"]:
            out += _occurrences(item, lo, hi)
        else:
            out.append(item)
    return sorted(out, key=lambda i: (i["scheduled_at"] is None, i["scheduled_at"] or dt.datetime.max, i["item_id"]))


def _occurrences(slot: dict[str, Any], lo: dt.datetime, hi: dt.datetime) -> list[dict[str, Any]]:
    """A recurring slot's repeats in [lo, hi), from its first time on (weekly; monthly on the same day — a month
    without that day, the 31st in April, has no repeat)."""
    first: dt.datetime = slot["scheduled_at"]
    out = []
    for k in range(1000):
        if slot["recurrence"] == "weekly":
            t: dt.datetime | None = first + dt.timedelta(weeks=k)
        else:
            month = first.month - 1 + k
            try:
                t = first.replace(year=first.year + month // 12, month=month % 12 + 1)
            except ValueError:
                t = None
        if t is None:
            continue
        if t >= hi:
            break
        if t >= lo:
            out.append(slot | {"scheduled_at": t, "occurrence_of": slot["item_id"]} if k else slot)
    return out


def mark_missed(ws: Any, now: dt.datetime | None = None, *, by: str = "hudong") -> list[str]:
    """Scheduled items ``MISSED_AFTER`` past their time and not published: missed (their owners see it)."""
    now = now or _now()
    ids = [r[0] for r in ws.con.execute("SELECT item_id FROM plan_items WHERE state = 'scheduled' AND recurrence IS "
                                        "NULL AND scheduled_at < ?", [now - MISSED_AFTER]).fetchall()]  # fmt: skip
    for item_id in ids:
        act(ws, item_id, "missed", by, note=f"not published by {now:%Y-%m-%d %H:%M}")
    return ids


def attention(ws: Any, who: str | None = None) -> list[dict[str, Any]]:
    """Items that need a person: failed, missed, or due and waiting to be published by hand (reminded), with the
    reason; ``who``: only the items they own (or planned, when no owner is set)."""
    cur = ws.con.execute("""
        SELECT p.item_id, p.platform, p.title, p.text, p.state, p.scheduled_at, coalesce(p.owner, p.created_by) AS who,
               (SELECT e.note FROM plan_events e WHERE e.item_id = p.item_id AND e.action IN ('failed', 'missed', 'remind')
                ORDER BY e.happened_at DESC LIMIT 1) AS why
        FROM plan_items p
        WHERE (p.state IN ('failed', 'missed') OR (p.state = 'scheduled' AND EXISTS (
                 SELECT 1 FROM plan_events e WHERE e.item_id = p.item_id AND e.action = 'remind')))
          AND (CAST(? AS VARCHAR) IS NULL OR coalesce(p.owner, p.created_by) = ?)
        ORDER BY p.scheduled_at DESC NULLS LAST""", [who, who])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def export(ws: Any) -> str:
    """Every item as JSON lines (the plan leaves hudong whole)."""
    cur = ws.con.execute(f"SELECT {', '.join(_COLUMNS)} FROM plan_items ORDER BY created_at")
    return "".join(json.dumps(dict(zip(_COLUMNS, r, strict=True)), default=str, ensure_ascii=False) + "\n"
                   for r in cur.fetchall())
