"""The co-creation board (用户共创): what people propose, ask for, complain about or report broken, grouped into
ideas the team can act on, and the loop closed when an idea ships.

- ``refresh`` reads the messages not yet on the board — comments and DMs addressed to the organization, UGC
  posts, group-chat messages, survey answers — keeps those ``text.feedback`` labels as feedback, and groups them
  (``text.ideas``): a message joins a stored idea of its family when similar enough, the rest form new ideas.
  Families: bugs; requests and suggestions (both ask for a change); complaints.
- The ``ideas`` analysis is the board: each idea with its supporters (people), messages, first and last seen, its
  trend (messages in the last 30 days of data against the 30 before), mean sentiment of its messages, the
  segments its supporters belong to (the latest stored learned segmentation) and its status.
- Moving an idea (new → considering → planned → shipped / declined) and answering its supporters through the
  inbox when it ships are the inbox's actions: ``hudong.inbox.ideas``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hudong.analyses.base import Result, analysis
from hudong.errors import HudongError
from hudong.store.schema import IDEA_STATUSES
from hudong.store.workspace import has_table
from hudong.text import feedback as FB
from hudong.text import ideas as I

FAMILIES = {"bug": "bug", "request": "ask", "suggestion": "ask", "complaint": "complaint"}
MESSAGE_TYPES = ("comment", "reply", "dm", "mention")
TREND_DAYS = 30
MAX_NEW = 50_000  # messages classified in one refresh (the most recent first when more wait)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _candidates(ws: Any, limit: int) -> pd.DataFrame:
    """Messages not yet on the board, oldest first: platform, source, message_id, user_id, created_at, text."""
    kinds = ", ".join(f"'{k}'" for k in MESSAGE_TYPES)
    have = {r[0] for r in ws.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    parts = [f"""SELECT i.platform, 'interaction' AS source, i.interaction_id AS message_id, i.actor_id AS user_id,
                        i.created_at, i.text FROM interactions i
                 WHERE i.type IN ({kinds}) AND i.text IS NOT NULL AND NOT coalesce(i.by_staff, false)
                   AND NOT coalesce(i.is_automated, false)
                   AND (i.is_inbound OR i.target_post_id IN (SELECT p.post_id FROM posts p JOIN accounts a
                        ON a.platform = p.platform AND a.account_id = p.account_id AND a.is_own))""",
             """SELECT platform, 'post', post_id, author_id, created_at, text FROM posts
                WHERE coalesce(is_ugc, false) AND parent_id IS NULL AND text IS NOT NULL""",
             """SELECT platform, 'survey', response_id, user_id, created_at, comment FROM survey_responses
                WHERE comment IS NOT NULL AND trim(comment) <> ''"""]  # fmt: skip
    if "chat_messages" in have:
        parts.append("""SELECT platform, 'chat', message_id, sender_id, created_at, text FROM chat_messages
                        WHERE text IS NOT NULL AND NOT coalesce(by_staff, false)""")
    sql = f"""WITH c AS ({' UNION ALL '.join(parts)})
              SELECT c.* FROM c ANTI JOIN idea_messages m
                ON m.platform = c.platform AND m.source = c.source AND m.message_id = c.message_id
              ORDER BY c.created_at DESC LIMIT {int(limit)}"""
    df = ws.con.execute(sql).df()
    df.columns = ["platform", "source", "message_id", "user_id", "created_at", "text"]
    return df.iloc[::-1].reset_index(drop=True)


def refresh(ws: Any, *, threshold: float = I.THRESHOLD, limit: int = MAX_NEW) -> dict[str, int]:
    """Put the messages not yet on the board on it (module doc); returns counts: read, feedback, joined (stored
    ideas), new_ideas."""
    msgs = _candidates(ws, limit)
    out = {"read": len(msgs), "feedback": 0, "joined": 0, "new_ideas": 0}
    if msgs.empty:
        return out
    found = FB.classify(msgs["text"])
    msgs["label"] = [f.label for f in found]
    msgs["cue"] = [f.cue for f in found]
    fb = msgs[msgs["label"] != "other"].copy()
    out["feedback"] = len(fb)
    if fb.empty:
        return out
    fb["family"] = fb["label"].map(FAMILIES)
    stored = ws.con.execute("""SELECT i.idea_id, i.kind, list(m.message_id ORDER BY m.created_at) AS ids,
                                      list(m.source ORDER BY m.created_at) AS sources,
                                      list(m.platform ORDER BY m.created_at) AS platforms
                               FROM ideas i JOIN idea_messages m USING (idea_id) GROUP BY ALL""").df()  # fmt: skip
    texts = _texts(ws, stored)
    now = _now()
    new_ideas, links = [], []
    for family, rows in fb.groupby("family", sort=True):
        seeds = stored[stored["kind"].map(FAMILIES) == family].reset_index(drop=True)
        seed_texts = [texts.get(r.idea_id, []) for r in seeds.itertuples()]
        g = I.group(rows["text"].tolist(), threshold, seeds=seed_texts)
        ids = list(seeds["idea_id"])
        for k in range(len(seeds), len(g.titles)):
            members = rows.iloc[np.flatnonzero(g.labels == k)]
            if members.empty:
                continue
            kind = members["label"].value_counts().index[0]
            medoid = rows.iloc[g.medoids[k]]
            idea_id = "idea_" + secrets.token_hex(5)
            new_ideas.append((idea_id, kind, g.titles[k] or str(medoid["text"])[: I.TITLE_CHARS],
                              f"{medoid['platform']}:{medoid['source']}:{medoid['message_id']}", now))  # fmt: skip
            ids.append(idea_id)
        ids += [None] * (len(g.titles) - len(ids))
        for (_, r), lab in zip(rows.iterrows(), g.labels, strict=True):
            if lab >= 0 and ids[lab] is not None:
                links.append((ids[lab], r["platform"], r["source"], r["message_id"], r["user_id"], r["created_at"],
                              r["label"], r["cue"]))  # fmt: skip
                out["joined"] += int(lab < len(seeds))
    out["new_ideas"] = len(new_ideas)
    with ws.transaction() as con:
        for idea_id, kind, title, source, at in new_ideas:
            con.execute("INSERT INTO ideas (idea_id, kind, title, title_source, status, created_at) "
                        "VALUES (?, ?, ?, ?, 'new', ?)", [idea_id, kind, title, source, at])  # fmt: skip
        if links:
            con.executemany("INSERT OR IGNORE INTO idea_messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)", links)
    return out


def _with_text(ws: Any) -> str:
    """SQL: the rows of ``idea_messages`` with each message's ``text``, from the table its source names."""
    chat = has_table(ws.con, "chat_messages")
    return f"""
        SELECT m.*, coalesce(i.text, p.text, {'c.text, ' if chat else ''}s.comment) AS text FROM idea_messages m
        LEFT JOIN interactions i ON m.source = 'interaction' AND i.platform = m.platform AND i.interaction_id = m.message_id
        LEFT JOIN posts p ON m.source = 'post' AND p.platform = m.platform AND p.post_id = m.message_id
        {"LEFT JOIN chat_messages c ON m.source = 'chat' AND c.platform = m.platform AND c.message_id = m.message_id"
         if chat else ""}
        LEFT JOIN survey_responses s ON m.source = 'survey' AND s.platform = m.platform AND s.response_id = m.message_id"""


def _texts(ws: Any, stored: pd.DataFrame) -> dict[str, list[str]]:
    """The texts of each stored idea's messages (what new messages are compared with)."""
    if stored.empty:
        return {}
    out: dict[str, list[str]] = {}
    for idea_id, text in ws.con.execute(f"SELECT idea_id, text FROM ({_with_text(ws)}) ORDER BY created_at").fetchall():
        if text:
            out.setdefault(idea_id, []).append(text)
    return out


@dataclass(frozen=True)
class IdeaParams:
    status: list[str] | None = None  # only these statuses (default: every one)
    kind: list[str] | None = None  # only these kinds (bug, request, suggestion, complaint)
    min_supporters: int = 2  # an idea one person had stays off the board until someone else joins it
    idea: str = ""  # one idea: its messages too
    top: int = 100


@analysis("ideas", "用户共创看板", "Co-creation board", tables=("ideas", "idea_messages", "text_sentiment",
          "segment_members", "segment_runs"), params=IdeaParams, steps=2)  # fmt: skip
def ideas(ws: Any, p: IdeaParams, step: Any) -> Result:
    """Frame ``ideas`` (idea_id, kind, title, status, supporters, messages, first_seen, last_seen, recent and
    previous (messages in the last 30 days of data and the 30 before), trend (recent / previous − 1; null without
    a previous month), sentiment (mean score of its scored messages), segments (the supporters' segments, most
    first), answered_at, note), most supporters first; with ``idea``, frame ``messages`` (its messages with text,
    label and the cue that made them feedback). Values: ``ideas`` (on the board), ``acted`` (ideas of at least
    ``min_supporters`` the team moved past new), ``shipped``, ``answered``."""
    for name, values, allowed in (("status", p.status, IDEA_STATUSES), ("kind", p.kind, FB.FEEDBACK)):
        bad = sorted(set(values or ()) - set(allowed))
        if bad:
            raise HudongError(f"{name} must be among {', '.join(allowed)}; not {', '.join(bad)}")
    if p.min_supporters < 1 or p.top < 1:
        raise HudongError("min_supporters and top must be at least 1")
    step("counting supporters")
    if not has_table(ws.con, "ideas"):
        raise HudongError("no co-creation board yet: `hudong ideas refresh` builds it")
    latest = ws.con.execute("SELECT max(created_at) FROM idea_messages").fetchone()[0] or _now()
    board = ws.con.execute(f"""
        WITH m AS (SELECT m.*, s.score FROM idea_messages m LEFT JOIN text_sentiment s
                     ON s.platform = m.platform AND s.id = m.message_id
                    AND s.kind = CASE m.source WHEN 'post' THEN 'post' ELSE 'interaction' END),
        agg AS (SELECT idea_id, count(DISTINCT (platform, user_id)) AS supporters, count(*) AS messages,
                       min(created_at) AS first_seen, max(created_at) AS last_seen,
                       count(*) FILTER (WHERE created_at > ? - INTERVAL {TREND_DAYS} DAY) AS recent,
                       count(*) FILTER (WHERE created_at <= ? - INTERVAL {TREND_DAYS} DAY
                                          AND created_at > ? - INTERVAL {2 * TREND_DAYS} DAY) AS previous,
                       avg(score) AS sentiment FROM m GROUP BY idea_id)
        SELECT i.idea_id, i.kind, i.title, i.status, a.supporters, a.messages, a.first_seen, a.last_seen, a.recent,
               a.previous, a.sentiment, i.answered_at, i.note, i.updated_by, i.updated_at
        FROM ideas i JOIN agg a USING (idea_id)
        ORDER BY a.supporters DESC, a.last_seen DESC, i.idea_id""", [latest, latest, latest]).df()  # fmt: skip
    acted = board[(board["supporters"] >= p.min_supporters)]
    values = {"ideas": int((board["supporters"] >= p.min_supporters).sum()),
              "acted": int((acted["status"] != "new").sum()), "shipped": int((acted["status"] == "shipped").sum()),
              "answered": int(acted["answered_at"].notna().sum()), "as_of": latest}  # fmt: skip
    shown = board[board["supporters"] >= p.min_supporters]
    if p.status:
        shown = shown[shown["status"].isin(p.status)]
    if p.kind:
        shown = shown[shown["kind"].isin(p.kind)]
    if p.idea:
        shown = board[board["idea_id"] == p.idea]
        if shown.empty:
            raise HudongError(f"no idea {p.idea!r}")
    shown = shown.head(p.top).copy()
    shown["trend"] = np.where(shown["previous"] > 0, shown["recent"] / shown["previous"].where(shown["previous"] > 0) - 1,
                              np.nan)  # fmt: skip
    step("their segments")
    shown["segments"] = [_segments(ws, i) for i in shown["idea_id"]] if len(shown) <= 200 else [[]] * len(shown)
    frames = {"ideas": shown.reset_index(drop=True)}
    if p.idea:
        frames["messages"] = messages(ws, p.idea)
    return Result(frames, values)


def _segments(ws: Any, idea_id: str) -> list[dict[str, Any]]:
    """The supporters' segments in the latest learned segmentation: [{segment, name_zh, name_en, people}]."""
    if not has_table(ws.con, "segment_runs"):
        return []
    row = ws.con.execute("SELECT run_id, definition FROM segment_runs WHERE kind = 'learned' ORDER BY created_at DESC "
                         "LIMIT 1").fetchone()  # fmt: skip
    if row is None:
        return []
    names = {str(s["segment"]): s for s in json.loads(row[1]).get("segments", [])}
    counts = ws.con.execute("""SELECT s.segment, count(DISTINCT (m.platform, m.user_id)) FROM idea_messages m
                               JOIN segment_members s ON s.run_id = ? AND s.platform = m.platform AND s.user_id = m.user_id
                               WHERE m.idea_id = ? GROUP BY 1 ORDER BY 2 DESC, 1""", [row[0], idea_id]).fetchall()  # fmt: skip
    return [{"segment": seg, "name_zh": names.get(str(seg), {}).get("name_zh", seg),
             "name_en": names.get(str(seg), {}).get("name_en", seg), "people": int(n)} for seg, n in counts]


def messages(ws: Any, idea_id: str) -> pd.DataFrame:
    """An idea's messages, newest first: platform, source, message_id, user_id, created_at, label, cue, text."""
    return ws.con.execute(f"""
        SELECT platform, source, message_id, user_id, created_at, label, cue, text FROM ({_with_text(ws)})
        WHERE idea_id = ? ORDER BY created_at DESC""", [idea_id]).df()  # fmt: skip
