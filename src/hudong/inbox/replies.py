"""Reply templates (table ``reply_templates``), drafts made from them, and the composer's autosaved drafts
(table ``inbox_drafts``: one per message and operator, saved as they type, cleared when the reply goes out).

A template body may name ``{user}`` (the author of the message), ``{brand}`` (``[brand] name`` in
hudong.toml) and ``{platform}``; anything else in braces stays as written (no ``str.format``: a template is
user text and must not reach Python attributes). A few zh/en defaults are seeded once, on first use.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import duckdb

from hudong.errors import HudongError
from hudong.inbox import items
from hudong.store import schema as S
from hudong.store.workspace import transaction

MAX_NAME = 64
MAX_BODY = 2000
PLACEHOLDER = re.compile(r"\{(user|brand|platform)\}")
SEED_KEY = "web.reply_templates_seeded"

DEFAULTS: tuple[tuple[str, str, str], ...] = (
    ("thanks", "zh", "感谢 {user} 的支持！{brand} 会继续努力，期待您的再次光临。"),
    ("thanks", "en", "Thank you for the kind words, {user}! The {brand} team"),
    ("delivery", "zh", "{user} 您好，很抱歉让您久等了。请私信我们订单号，{brand} 客服会马上为您查询物流。"),
    ("delivery", "en", "Hi {user}, sorry for the wait. Please DM us your order number and we will check the delivery."),
    ("complaint", "zh", "{user} 您好，非常抱歉给您带来不好的体验。我们已记录您的反馈，客服会在一个工作日内联系您。"),
    (
        "complaint",
        "en",
        "Hi {user}, we are sorry about your experience. We noted your feedback and will contact you "
        "within one business day.",
    ),
    ("civility", "zh", "我们欢迎不同的意见，也请大家文明交流。"),
    ("civility", "en", "We welcome every opinion; please keep the conversation civil."),
)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the table if needed and seed the defaults once (a workspace whose templates were all deleted
    stays empty)."""
    con.execute(S.ddl(S.APP_TABLES["reply_templates"]))
    con.execute(S.ddl(S.APP_TABLES["inbox_drafts"]))
    if con.execute("SELECT 1 FROM _meta WHERE key = ?", [SEED_KEY]).fetchone():
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with transaction(con):
        for name, lang, body in DEFAULTS:
            con.execute(
                "INSERT INTO reply_templates VALUES (?, ?, ?, 'hudong', ?) ON CONFLICT DO NOTHING", [name, lang, body, now]
            )
        con.execute("INSERT INTO _meta VALUES (?, '1')", [SEED_KEY])


def list_templates(con: duckdb.DuckDBPyConnection, lang: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT name, lang, body, updated_by, updated_at FROM reply_templates"
    rows = con.execute(sql + (" WHERE lang = ?" if lang else "") + " ORDER BY name, lang", [lang] if lang else [])
    return [dict(name=r[0], lang=r[1], body=r[2], updated_by=r[3], updated_at=r[4]) for r in rows.fetchall()]


def get_template(con: duckdb.DuckDBPyConnection, name: str, lang: str) -> dict[str, Any]:
    for t in list_templates(con, lang):
        if t["name"] == name:
            return t
    raise LookupError(f"no reply template {name!r} in {lang!r}")


def save_template(con: duckdb.DuckDBPyConnection, name: str, lang: str, body: str, by_user: str) -> dict[str, Any]:
    """Create or replace a template."""
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
        raise HudongError(f"template name must be 1–{MAX_NAME} printable characters")
    if lang not in ("zh", "en"):
        raise HudongError("template language must be zh or en")
    if not body.strip() or len(body) > MAX_BODY:
        raise HudongError(f"template body must be 1–{MAX_BODY} characters")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("INSERT OR REPLACE INTO reply_templates VALUES (?, ?, ?, ?, ?)", [name, lang, body, by_user, now])
    return dict(name=name, lang=lang, body=body, updated_by=by_user, updated_at=now)


def delete_template(con: duckdb.DuckDBPyConnection, name: str, lang: str) -> None:
    get_template(con, name, lang)  # LookupError when absent
    con.execute("DELETE FROM reply_templates WHERE name = ? AND lang = ?", [name, lang])


def fill(body: str, *, user: str | None, brand: str | None, platform: str | None) -> str:
    """The template body with its placeholders filled in."""
    values = {"user": user or "", "brand": brand or "", "platform": platform or ""}
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], body)


def draft(ws: Any, item: str, template: str, lang: str) -> str:
    """The body of template ``template`` (in ``lang``) filled in for inbox ``item``'s author, brand and platform."""
    m = items.message(ws, item, inbound=False)
    body = get_template(ws.con, template, lang)["body"]
    return fill(body, user=m["actor_id"], brand=str(ws.setting("brand.name", "") or ""), platform=m["platform"])


def save_autosave(ws: Any, item: str, by_user: str, text: str) -> dict[str, Any]:
    """Keep ``by_user``'s unsent reply to ``item`` (an empty text forgets it). LookupError: no such message."""
    if len(text) > MAX_BODY:
        raise HudongError(f"a reply draft is at most {MAX_BODY} characters")
    m = items.message(ws, item)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if text.strip():
        ws.con.execute("INSERT OR REPLACE INTO inbox_drafts VALUES (?, ?, ?, ?, ?)",
                       [m["platform"], m["interaction_id"], by_user, text, now])  # fmt: skip
    else:
        ws.con.execute("DELETE FROM inbox_drafts WHERE platform = ? AND interaction_id = ? AND by_user = ?",
                       [m["platform"], m["interaction_id"], by_user])  # fmt: skip
    return {"id": item, "by": by_user, "saved_at": now.isoformat(), "chars": len(text)}


def autosaved(ws: Any, item: str, by_user: str) -> str:
    """``by_user``'s autosaved reply to ``item`` ("" when none)."""
    platform, iid = items.split_id(item)
    row = ws.con.execute("SELECT text FROM inbox_drafts WHERE platform = ? AND interaction_id = ? AND by_user = ?",
                         [platform, iid, by_user]).fetchone()  # fmt: skip
    return row[0] if row else ""


def clear_autosaved(ws: Any, item: str) -> None:
    """The reply went out: nobody's draft of it is needed any more."""
    platform, iid = items.split_id(item)
    ws.con.execute(S.ddl(S.APP_TABLES["inbox_drafts"]))  # also outside the web app (the API, the CLI)
    ws.con.execute("DELETE FROM inbox_drafts WHERE platform = ? AND interaction_id = ?", [platform, iid])
