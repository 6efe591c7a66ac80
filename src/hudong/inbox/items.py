"""The reply inbox: inbound messages still waiting for a human staff reply, and the actions taken on them.

An item is the latest inbound message of an unanswered turn (conversation rule and business-hours clock of
``hudong.metrics.responsiveness``: the same ``messages`` table the response-time metrics are built on).
Actions (assign, replied, ignore, escalate, reopen, draft) are appended to ``inbox_actions`` (who, when,
what); ``replied`` and ``ignore`` close an item until ``reopen``, or until a new inbound message starts a new
item. An item's status is new / assigned / escalated (open) or replied / ignored (closed), from its latest
action other than ``draft`` and ``label`` (an operator's sentiment/toxicity label, ``inbox/labels.py``: recorded
here too, note ``task=label``).

Abusive messages (``is_abusive``) are kept out of the main inbox and listed in a separate triage queue.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import ibis
import pandas as pd
import pyarrow as pa

from hudong.analyses import Result, analysis
from hudong.errors import HudongError
from hudong.metrics import tables_of
from hudong.metrics.common import bound_isin, business_clock
from hudong.metrics.responsiveness import messages
from hudong.store import schema as S
from hudong.store.workspace import has_table
from hudong.text.toxicity import INSULTS_ZH

ACTIONS = ("assign", "replied", "ignore", "escalate", "reopen", "draft")
LABEL_ACTION = "label"  # recorded by hudong.inbox.labels.set_label (not one of the generic ACTIONS)
NO_STATUS = ("draft", LABEL_ACTION)  # actions that leave an item's status as it was
ITEM_STATUSES = ("new", "assigned", "escalated", "replied", "ignored")
STATUSES = ("open", "closed", "all", *ITEM_STATUSES)
CLOSING = ("replied", "ignore")
ORDERS = ("oldest", "newest")  # oldest-unanswered first (default) or newest first
SENTIMENTS = ("positive", "neutral", "negative", "unscored")
TOXICITY = ("clean", "abusive", "any")  # the main inbox shows "clean"; the triage queue "abusive"
MAX_LIMIT = 500
MAX_OFFSET = 10_000_000  # far past any inbox; request values above it are refused (400/422), never sent to SQL
MAX_NOTE = 2000

# Word rule, beside the toxicity model: insults and threats that are abusive in any context (not merely negative).
# Chinese: the toxicity module's insult lexicon (one list) plus "你妈", which COLD labels either way but which,
# aimed at staff, is abuse; they match as substrings. English terms match as whole words.
ABUSE_TERMS_ZH = (*INSULTS_ZH, "你妈")
ABUSE_TERMS_EN = ("idiot", "moron", "stupid", "fuck", "fucking", "shit", "bitch", "asshole", "retard", "kill yourself")
TOXICITY_TABLE = "text_signals"  # toxicity model output (hudong.text.toxicity), when the workspace was scored
LABELS_TABLE = "text_labels"  # operators' labels (inbox/labels.py); declared in store/schema.py
ABUSE_PATTERN = "(?i)(" + "|".join(ABUSE_TERMS_ZH) + r"|\b(" + "|".join(ABUSE_TERMS_EN) + r")\b)"

DDL = (S.ddl(S.APP_TABLES["inbox_actions"]),)  # declared in store/schema.py


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


@dataclass
class InboxQuery:
    platform: str | None = None
    over_sla: bool = False
    status: str = "open"
    limit: int = 100
    offset: int = 0
    order: str = "oldest"
    sentiment: str | None = None
    toxicity: str = "clean"
    assignee: str | None = None  # "assigned to me": the signed-in user's name
    item: str | None = None  # just this item (PLATFORM:INTERACTION_ID): the open conversation's row

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("status", self.status, STATUSES),
            ("order", self.order, ORDERS),
            ("toxicity", self.toxicity, TOXICITY),
            ("sentiment", self.sentiment or SENTIMENTS[0], SENTIMENTS),
        ):
            if value not in allowed:
                raise HudongError(f"unknown {name} {value!r}; {name} must be one of: {', '.join(allowed)}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise HudongError(f"limit must be between 1 and {MAX_LIMIT}")
        if not 0 <= self.offset <= MAX_OFFSET:
            raise HudongError(f"offset must be between 0 and {MAX_OFFSET}")


def item_id(platform: str, interaction_id: str) -> str:
    return f"{platform}:{interaction_id}"


def message(ws: Any, item: str, *, inbound: bool = True) -> dict[str, Any]:
    """The message an inbox item stands for (``inbound``: only one people sent in): platform, interaction_id,
    text (stripped) and actor_id; LookupError when there is none."""
    platform, iid = split_id(item)
    row = ws.con.execute(
        "SELECT text, actor_id FROM interactions WHERE platform = ? AND interaction_id = ?"
        + (" AND is_inbound" if inbound else ""),
        [platform, iid],
    ).fetchone()
    if row is None:
        raise LookupError(f"no inbound message {item!r}")
    return {"platform": platform, "interaction_id": iid, "text": (row[0] or "").strip(), "actor_id": row[1]}


def split_id(item: str) -> tuple[str, str]:
    platform, sep, iid = item.partition(":")
    if not sep or not platform or not iid:
        raise HudongError(f"bad inbox item id {item!r}: expected PLATFORM:INTERACTION_ID")
    return platform, iid


def _business_settings(ws: Any) -> dict[str, Any]:
    return dict(
        start=str(ws.setting("business_hours.start", "09:00")),
        end=str(ws.setting("business_hours.end", "18:00")),
        days=list(ws.setting("business_hours.days", [1, 2, 3, 4, 5])),
    )


def local_now(ws: Any) -> dt.datetime:
    """Now in the workspace time zone, naive (stored timestamps are naive local times)."""
    return dt.datetime.now(ZoneInfo(str(ws.setting("timezone", "Asia/Shanghai")))).replace(tzinfo=None)


def _items_expr(ws: Any, q: InboxQuery, now: dt.datetime):
    m = messages(tables_of(ws))
    waiting = m.filter(~m.staff, m.answered_at.isnull())
    if q.platform is not None:  # request values are bound (data, not SQL text): any string is safe, NUL included
        waiting = waiting.filter(bound_isin(waiting.platform, [q.platform]))
    # One item per unanswered turn: its latest inbound message (the clock start), with the turn's size.
    w_last = ibis.window(
        group_by=[waiting.platform, waiting.conv], order_by=[waiting.ts.desc(), waiting.interaction_id.desc()]
    )
    w_all = ibis.window(group_by=[waiting.platform, waiting.conv])
    waiting = waiting.mutate(
        rank=ibis.row_number().over(w_last),
        first_ts=waiting.ts.min().over(w_all),
        n_messages=waiting.ts.count().over(w_all),
    )
    items = waiting.filter(waiting.rank == 0)
    if q.item is not None:
        platform, iid = split_id(q.item)
        items = items.filter(bound_isin(items.platform, [platform]), bound_isin(items.interaction_id, [iid]))
    bh = _business_settings(ws)
    items = items.mutate(business_minutes=business_clock(ibis.timestamp(now), **bh) - business_clock(items.ts, **bh))
    items = _with_signals(ws, items)
    if q.sentiment is not None:
        items = items.filter(items.sentiment.isnull() if q.sentiment == "unscored" else items.sentiment == q.sentiment)
    if q.toxicity != "any":
        items = items.filter(items.abusive == (q.toxicity == "abusive"))
    a = ws.ibis.table("inbox_actions")
    drafting = a.action == "draft"
    no_status = a.action.isin(NO_STATUS)
    acts = (
        a.group_by(["platform", "interaction_id"])
        .aggregate(
            last_state=a.action.argmax(a.acted_at, where=a.action.isin([*CLOSING, "reopen"])),
            last_action=a.action.argmax(a.acted_at, where=~no_status),
            assignee=a.assignee.argmax(a.acted_at, where=a.action == "assign"),
            escalated=(a.action == "escalate").any(),
            draft=a.note.argmax(a.acted_at, where=drafting),
            draft_by=a.by_user.argmax(a.acted_at, where=drafting),
            draft_at=a.acted_at.max(where=drafting),
            n_actions=a.action.count(),
        )
        .rename(a_platform="platform", a_id="interaction_id")
    )
    j = items.left_join(acts, [items.platform == acts.a_platform, items.interaction_id == acts.a_id])
    closed = j.last_state.fill_null("reopen").isin(CLOSING)
    status = ibis.cases(
        (closed & (j.last_state == "replied"), "replied"),
        (closed, "ignored"),
        (j.last_action == "escalate", "escalated"),
        (j.assignee.notnull(), "assigned"),
        else_="new",
    )
    j = j.mutate(status=status, closed=closed, escalated=j.escalated.fill_null(False))
    if q.status == "open":
        j = j.filter(~j.closed)
    elif q.status == "closed":
        j = j.filter(j.closed)
    elif q.status != "all":
        j = j.filter(j.status == q.status)
    if q.assignee is not None:
        j = j.filter(bound_isin(j.assignee, [q.assignee]))
    sla = float(ws.setting("business_hours.sla_minutes", 240))
    j = j.mutate(over_sla=j.business_minutes > sla)
    if q.over_sla:
        j = j.filter(j.over_sla)
    return j.select(
        "platform",
        "interaction_id",
        "type",
        "actor_id",
        "text",
        "ts",
        "first_ts",
        "n_messages",
        "business_minutes",
        "over_sla",
        "status",
        "assignee",
        "escalated",
        "sentiment",
        "abusive",
        "draft",
        "draft_by",
        "draft_at",
    )


def _with_signals(ws: Any, items: Any) -> Any:
    """Add ``sentiment`` (text_sentiment polarity, null when unscored) and ``abusive``.

    ``abusive``: the toxicity model flagged the message (``text_signals.toxic``, written by ``hudong text
    score``) or the word-list rule ``is_abusive`` matches (the rule alone where nothing was scored). Either
    suffices: the queue protects staff, so a model miss on an outright insult must not reach the inbox. An
    operator's toxicity label (``text_labels``: toxic / ok) decides over both: toxic moves the message to the
    triage queue, ok brings a false alarm back to the inbox.
    """
    if has_table(ws.con, "text_sentiment"):
        ts = ws.ibis.table("text_sentiment")
        ts = ts.filter(ts.kind == "interaction").select(s_platform="platform", s_id="id", sentiment="polarity")
        items = items.left_join(ts, [items.platform == ts.s_platform, items.interaction_id == ts.s_id]).drop(
            "s_platform", "s_id"
        )
    else:
        items = items.mutate(sentiment=ibis.null("string"))
    rule = items.text.fill_null("").re_search(ABUSE_PATTERN)
    if has_table(ws.con, TOXICITY_TABLE):
        tx = ws.ibis.table(TOXICITY_TABLE)
        tx = tx.filter(tx.kind == "interaction").select(t_platform="platform", t_id="id", toxic="toxic")
        items = items.left_join(tx, [items.platform == tx.t_platform, items.interaction_id == tx.t_id])
        items = items.mutate(abusive=items.toxic.fill_null(False) | rule).drop("t_platform", "t_id", "toxic")
    else:
        items = items.mutate(abusive=rule)
    if has_table(ws.con, LABELS_TABLE):  # an operator's toxicity label overrides model and rule, both ways
        lb = ws.ibis.table(LABELS_TABLE)
        lb = lb.filter(lb.task == "toxicity").select(l_platform="platform", l_id="interaction_id", l_label="label")
        items = items.left_join(lb, [items.platform == lb.l_platform, items.interaction_id == lb.l_id])
        items = items.mutate(abusive=ibis.coalesce(items.l_label == "toxic", items.abusive))
        items = items.drop("l_platform", "l_id", "l_label")
    return items


def is_abusive(text: str | None) -> bool:
    """The triage rule for one message (the same rule ``list_items`` applies in SQL)."""
    return bool(text) and re.search(ABUSE_PATTERN, text) is not None


def list_items(ws: Any, q: InboxQuery, now: dt.datetime | None = None) -> dict[str, Any]:
    """Inbox items, oldest clock start first: ``{"total", "items", "sla_minutes", "now"}``."""
    now = now or local_now(ws)
    e = _items_expr(ws, q, now)
    # One query: the total rides along as a window count (compiling an Ibis query costs more than running it).
    e = e.mutate(total=e.interaction_id.count().over(ibis.window()))
    keys = [e.ts, e.platform, e.interaction_id]
    page = e.order_by(keys if q.order == "oldest" else [k.desc() for k in keys]).limit(q.limit, offset=q.offset)
    rows = ws.ibis.to_pyarrow(page).to_pylist()
    total = int(rows[0]["total"]) if rows else 0
    if not rows and q.offset:  # a page past the end: count on its own
        total = int(ws.ibis.to_pyarrow(e.count()).as_py())
    for r in rows:
        del r["total"]
        r["id"] = item_id(r["platform"], r["interaction_id"])
        r["business_minutes"] = round(float(r["business_minutes"]), 1)
    return {
        "total": total,
        "items": rows,
        "sla_minutes": float(ws.setting("business_hours.sla_minutes", 240)),
        "now": now,
    }


def counts(ws: Any, q: InboxQuery, now: dt.datetime | None = None) -> dict[str, int]:
    """How many items each status holds under ``q``'s other filters (the inbox's tabs): every item status, plus
    ``open``, ``closed``, ``all`` and ``over_sla`` (open items past the SLA)."""
    e = _items_expr(ws, InboxQuery(**{**asdict(q), "status": "all", "over_sla": False, "limit": 1, "offset": 0}),
                    now or local_now(ws))
    rows = ws.ibis.to_pyarrow(e.group_by("status").aggregate(n=e.count(), late=e.over_sla.sum())).to_pylist()
    out = dict.fromkeys((*ITEM_STATUSES, "open", "closed", "all", "over_sla"), 0)
    for r in rows:
        n, closed = int(r["n"]), r["status"] in ("replied", "ignored")
        out[r["status"]] = n
        out["all"] += n
        out["closed" if closed else "open"] += n
        out["over_sla"] += 0 if closed else int(r["late"] or 0)
    return out


@dataclass
class QueueParams(InboxQuery):
    at: dt.datetime | None = None  # the clock (default: now, in the workspace's timezone)


@analysis("inbox", "回复收件箱", "Reply inbox", tables=("interactions", "posts", "accounts", "inbox_actions"),
          params=QueueParams)  # fmt: skip
def queue(ws: Any, p: QueueParams, step: Any) -> Result:
    """One page of an inbox queue (the main inbox, the triage queue, "assigned to me" …: ``InboxQuery``), oldest
    unanswered first. Frame ``items``; values ``items`` (the same rows as dicts, JSON-ready but for the
    timestamps), ``total`` (in the queue), ``sla_minutes`` and ``now``."""
    out = list_items(ws, p, now=p.at)
    return Result({"items": pd.DataFrame(out["items"])}, out)


def may_see_contacts(ws: Any, role: str) -> bool:
    """Whether a web role sees whom a message is from (handle, name, links): ``[privacy] show_contacts_to``."""
    if not ws.setting("privacy.contacts", True):
        return False
    return role in ws.setting("privacy.show_contacts_to", ["responder", "analyst", "admin"])


def with_contacts(ws: Any, items: list[dict[str, Any]]) -> None:
    """Add ``handle``, ``display_name``, ``profile_url`` (table ``contacts``, by the sender's pseudonym) and ``url``
    (the message on the platform) to inbox items, for the roles that answer people (``may_see_contacts``). The
    analytics stay pseudonymous: only these fields, only here."""
    for it in items:
        it.update(handle=None, display_name=None, profile_url=None, url=None)
    if not items:
        return
    keys = pa.table({
        "platform": [it["platform"] for it in items],
        "actor_id": [it["actor_id"] for it in items],
        "interaction_id": [it["interaction_id"] for it in items],
    })  # fmt: skip
    rel = ws.con.from_arrow(keys)
    rows = rel.query(
        "k",
        "SELECT k.platform, k.interaction_id, c.handle, c.display_name, c.profile_url, i.url FROM k "
        "LEFT JOIN contacts c ON c.platform = k.platform AND c.user_id = k.actor_id "
        "LEFT JOIN interactions i ON i.platform = k.platform AND i.interaction_id = k.interaction_id",
    ).fetchall()
    found = {(r[0], r[1]): r[2:] for r in rows}
    for it in items:
        handle, name, profile, url = found.get((it["platform"], it["interaction_id"]), (None,) * 4)
        it.update(handle=handle, display_name=name, profile_url=safe_link(profile), url=safe_link(url))


def safe_link(url: str | None) -> str | None:
    """Only http(s) links reach a page (a javascript: URL from an import must never be clickable)."""
    return url if isinstance(url, str) and url.lower().startswith(("https://", "http://")) else None


def record_action(
    ws: Any,
    item: str,
    action: str,
    by_user: str,
    *,
    assignee: str | None = None,
    note: str | None = None,
    at: dt.datetime | None = None,
    label: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Append one action on an inbound message; HudongError if the action or the message is unknown.
    ``label`` = (task, label) is only for the ``label`` action (``hudong.inbox.labels.set_label``, which also stores the
    label); its note is ``task=label``."""
    if action == LABEL_ACTION and label is not None:
        note = f"{label[0]}={label[1]}"
    elif action == LABEL_ACTION:
        raise HudongError("labels are set with POST /inbox/label or /api/inbox/{id}/label (task and label)")
    elif action not in ACTIONS:
        raise HudongError(f"unknown action {action!r}; actions: {', '.join(ACTIONS)}")
    platform, iid = split_id(item)
    found = ws.con.execute(
        "SELECT 1 FROM interactions WHERE platform = ? AND interaction_id = ? AND is_inbound", [platform, iid]
    ).fetchone()
    if not found:
        raise LookupError(f"no inbound message {item!r}")
    if action == "assign":
        if not assignee:
            raise HudongError("assign needs an assignee (a user name)")
        found = ws.con.execute("SELECT disabled FROM web_users WHERE name = ?", [assignee]).fetchone()
        if not found:
            raise HudongError(f"no user {assignee!r} to assign to")
        if found[0]:
            raise HudongError(f"user {assignee!r} is disabled: assign the message to an active colleague")
    else:
        assignee = None
    if action == "draft" and not (note or "").strip():
        raise HudongError("a draft needs its text (the note)")
    if note is not None and len(note) > MAX_NOTE:
        raise HudongError(f"note is longer than {MAX_NOTE} characters")
    at = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ws.con.execute(
        "INSERT INTO inbox_actions VALUES (?, ?, ?, ?, ?, ?, ?)", [platform, iid, action, assignee, note, by_user, at]
    )
    return {"id": item, "action": action, "assignee": assignee, "note": note, "by": by_user, "at": at.isoformat()}


def history(ws: Any, item: str) -> list[dict[str, Any]]:
    platform, iid = split_id(item)
    rows = ws.con.execute(
        "SELECT action, assignee, note, by_user, acted_at FROM inbox_actions WHERE platform = ? AND interaction_id = ? "
        "ORDER BY acted_at",
        [platform, iid],
    ).fetchall()
    return [dict(action=r[0], assignee=r[1], note=r[2], by=r[3], at=r[4].isoformat()) for r in rows]
