"""The co-creation board's actions: moving an idea (new → considering → planned → shipped / declined) and, when
it ships, answering every supporter through the inbox — the loop of 用户共创 closed where replies are written.
The board itself (grouping, supporters, trends) is the ``ideas`` analysis, ``hudong.analyses.ideas``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from hudong.errors import HudongError
from hudong.inbox import items as inbox
from hudong.store.schema import IDEA_STATUSES

ANSWER_ZH = "谢谢你的建议!你提到的「{title}」我们已经做到了,欢迎体验,也欢迎继续告诉我们你的想法~"
ANSWER_EN = "Thank you for the idea! You asked for \u201c{title}\u201d and it is here now. Tell us what you think."


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def set_status(ws: Any, idea_id: str, status: str, by: str, *, note: str | None = None,
               title: str | None = None, lang: Literal["zh", "en"] = "zh") -> dict[str, Any]:  # fmt: skip
    """Move an idea to ``status`` (and rename it / note why). Shipping it drafts the answer to its supporters
    (``answer_supporters``); the result says how many."""
    if status not in IDEA_STATUSES:
        raise HudongError(f"status must be one of {', '.join(IDEA_STATUSES)}, got {status!r}")
    row = ws.con.execute("SELECT status, title FROM ideas WHERE idea_id = ?", [idea_id]).fetchone()
    if row is None:
        raise HudongError(f"no idea {idea_id!r}")
    if note is not None and len(note) > 2000:
        raise HudongError("a note is at most 2,000 characters")
    if title is not None and not 0 < len(title.strip()) <= 200:
        raise HudongError("a title is 1–200 characters")
    with ws.transaction() as con:
        con.execute("UPDATE ideas SET status = ?, updated_at = ?, updated_by = ?, note = coalesce(?, note), "
                    "title = coalesce(?, title), title_source = CASE WHEN ? IS NULL THEN title_source END "
                    "WHERE idea_id = ?", [status, _now(), by, note, title and title.strip(), title, idea_id])  # fmt: skip
    out: dict[str, Any] = {"idea_id": idea_id, "from": row[0], "status": status}
    if status == "shipped" and row[0] != "shipped":
        out["answers"] = answer_supporters(ws, idea_id, by, lang=lang)
    return out


def answer_supporters(ws: Any, idea_id: str, by: str, *, lang: Literal["zh", "en"] = "zh") -> dict[str, int]:
    """Close the loop: for every supporter whose message is in the inbox (a comment or DM addressed to the
    organization), save the "you asked, we built it" reply as ``by``'s draft and reopen the conversation, so it
    is sent from the inbox after a read (nothing goes out by itself). Counts: drafted, elsewhere (survey answers,
    group chats, posts: no inbox conversation to answer in)."""
    title = ws.con.execute("SELECT title FROM ideas WHERE idea_id = ?", [idea_id]).fetchone()[0]
    rows = ws.con.execute("""
        SELECT m.platform, m.message_id, m.source, coalesce(i.is_inbound, false) AS inbound FROM idea_messages m
        LEFT JOIN interactions i ON m.source = 'interaction' AND i.platform = m.platform AND i.interaction_id = m.message_id
        WHERE m.idea_id = ?""", [idea_id]).fetchall()  # fmt: skip
    text = (ANSWER_ZH if lang == "zh" else ANSWER_EN).format(title=title)
    drafted = elsewhere = 0
    now = _now()
    for platform, message_id, source, inbound in rows:
        if source != "interaction" or not inbound:
            elsewhere += 1
            continue
        item = inbox.item_id(platform, message_id)
        ws.con.execute("INSERT OR REPLACE INTO inbox_drafts VALUES (?, ?, ?, ?, ?)", [platform, message_id, by, text, now])
        inbox.record_action(ws, item, "reopen", by, note=f"idea {idea_id} shipped", at=now)
        drafted += 1
    ws.con.execute("UPDATE ideas SET answered_at = coalesce(answered_at, ?) WHERE idea_id = ?", [now, idea_id])
    return {"drafted": drafted, "elsewhere": elsewhere}
