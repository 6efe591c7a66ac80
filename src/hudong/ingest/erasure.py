"""Erasure: ``forget`` one person everywhere hudong keeps them (the right to be forgotten, PIPL art. 47 / GDPR art. 17).

Where a person can be, and what happens there (``POLICY`` names every table of the schema; a test fails when a new
table is declared without a policy):

- their own rows — users, follows (either end), orders and survey answers (with the NPS comment; found through
  ``user_platform`` too: a shop order placed by a Weibo fan is forgotten with ``--platform weibo``), the posts they
  wrote, the interactions they made and their group-chat messages — are deleted; where they are only the target
  (``interactions.target_user_id``, ``chat_messages.reply_to_user_id``) the value is nulled; rows that pointed at
  their posts, interactions or messages lose that link;
- what hudong derived from their texts: text scores, inbox labels (which copy the text), free-text notes of inbox
  actions on their messages (a draft reply may quote them; who did what, when stays in the log);
- quarantined rows that hold their pseudonym (or their raw id, for rows kept before raw rows were sanitised);
- files hudong made: web uploads that held their rows (the stored copy is deleted; the upload record says so),
  reports under ``reports/`` that show their pseudonym, id or posts (HTML and its PDF: regenerate them), and the
  Parquet lake (their rows are pruned from it).

Files hudong did not make (the exports you imported from your own disk) are listed, not touched. Adapted text models
trained while the person had inbox labels are listed too: retrain them (``hudong text train --from-inbox``).

``forget(..., dry_run=True)`` counts everything without changing anything. The database part is one transaction.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hudong.errors import HudongError
from hudong.ingest.privacy import PSEUDONYM_RE, pseudonymise
from hudong.store import schema as S
from hudong.store.lake import LakeWriter, export_lake, lake_path
from hudong.store.workspace import transaction
from hudong.text.adapt import manifest

if TYPE_CHECKING:
    import duckdb

    from hudong.store.workspace import Workspace

# How each table is treated (see the module doc). "none": it holds no data about the people in the data.
POLICY: dict[str, str] = {
    "accounts": "none: organisations (own and competitors' accounts), not people",
    "users": "deleted",
    "contacts": "deleted (handle, display name, profile link)",
    "posts": "their posts deleted; links to them nulled",
    "interactions": "theirs deleted; targets nulled; links to them nulled",
    "follows": "deleted (either end)",
    "orders": "deleted (by user id of the row's or the linked social platform)",
    "survey_responses": "deleted, with the comment",
    "campaigns": "none: the organisation's campaigns",
    "chat_groups": "none: the groups themselves",
    "account_stats": "none: the organisation's own daily counts",
    "plan_items": "none: the organisation's own plan (staff names as owners)",
    "plan_events": "none: the organisation's own plan log",
    "experiments": "none: the organisation's experiments and decisions",
    "experiment_units": "their units deleted (replies experiments assign people by pseudonym)",
    "segment_runs": "none: the segments' definitions and sizes",
    "segment_members": "their memberships deleted",
    "ideas": "a title taken from their message blanked",
    "idea_messages": "their support deleted",
    "chat_messages": "their messages and member events deleted; answers to them unlinked; 'answers them' nulled",
    "import_batches": "none: counts and file names",
    "quarantine": "entries holding their pseudonym or raw id deleted",
    "text_sentiment": "scores of their texts deleted",
    "text_signals": "scores of their texts deleted",
    "web_users": "none: staff accounts",
    "inbox_actions": "notes on their messages blanked",
    "reply_templates": "none: the organisation's templates",
    "web_uploads": "the stored copy of an upload holding their rows deleted; the record marked erased",
    "text_labels": "labels on their messages deleted (they copy the text)",
    "inbox_drafts": "unsent reply drafts to their messages deleted (they may quote them)",
    "web_sessions": "none: staff sign-in sessions",
    "web_login_throttle": "none: failed staff sign-ins (names tried, client addresses)",
    "security_events": "none: the staff security audit log",
    "connector_state": "none: connector cursors (file names, positions; no person)",
    "outbox": "replies to their messages: text, target and parameters (their handle) blanked (who sent what when "
              "stays)",
    "outbox_events": "none: the outbox's audit log (states, staff, platform errors)",
}


@dataclass
class Erasure:
    """What ``forget`` did (or would do, with ``dry_run``)."""

    user: str
    platform: str | None
    dry_run: bool
    tables: dict[str, int] = field(default_factory=dict)  # rows deleted or changed per table
    files: list[str] = field(default_factory=list)  # files removed (uploads, reports)
    lake_rows: int = 0  # rows pruned from the Parquet lake
    your_files: list[str] = field(default_factory=list)  # imported files outside the workspace that held their rows
    models: list[str] = field(default_factory=list)  # adapted models that may have learned from their labels

    @property
    def total(self) -> int:
        return sum(self.tables.values())

    def lines(self) -> list[str]:
        verb = "would erase" if self.dry_run else "erased"
        detail = ", ".join(f"{t}={n}" for t, n in self.tables.items() if n)
        out = [f"{verb} {self.total} row(s) for {self.user}" + (f": {detail}" if detail else "")]
        for f in self.files:
            out.append(f"  {'would remove' if self.dry_run else 'removed'} {f}")
        if self.lake_rows:
            out.append(f"  lake: {self.lake_rows} row(s) {'to prune' if self.dry_run else 'pruned'}")
        for f in self.your_files:
            out.append(f"  note: {f} (imported from outside the workspace) still holds their rows: delete or edit it")
        for m in self.models:
            out.append(f"  note: adapted model {m} may have learned from their labels: hudong text train --from-inbox")
        return out


def candidates(ws: Workspace, user: str, platform: str | None) -> list[str]:
    """The stored ids that may be this person: a pseudonym as given, or the pseudonyms of a raw id (on
    ``platform`` or every platform), plus the raw id itself in workspaces that keep raw ids."""
    if PSEUDONYM_RE.match(user):
        return [user]
    if platform is not None and platform not in S.PLATFORMS:
        raise HudongError(f"unknown platform {platform!r}; one of {', '.join(S.PLATFORMS)}")
    ids = {pseudonymise(ws.key, p, user) for p in ([platform] if platform else S.PLATFORMS)}
    if ws.setting("privacy.raw_ids", False):
        ids.add(user)
    return sorted(ids)


class _Plan:
    """Runs each step as a count (dry run) or as the change, accumulating rows per table."""

    def __init__(self, con: duckdb.DuckDBPyConnection, dry_run: bool, result: Erasure):
        self.con, self.dry_run, self.result = con, dry_run, result

    def delete(self, table: str, where: str, args: list[Any], *, derived: bool = False) -> None:
        self._run(table, f'FROM "{table}" WHERE {where}', f'DELETE FROM "{table}" WHERE {where}', args, derived)

    def update(self, table: str, sets: str, where: str, args: list[Any], *, derived: bool = False) -> None:
        self._run(table, f'FROM "{table}" WHERE {where}', f'UPDATE "{table}" SET {sets} WHERE {where}', args, derived)

    def _run(self, table: str, count_from: str, change: str, args: list[Any], derived: bool) -> None:
        if self.dry_run:
            n = self.con.execute(f"SELECT count(*) {count_from}", args).fetchone()[0]
        else:
            row = self.con.execute(change, args).fetchone()
            n = row[0] if row else 0
        if not derived or n:  # derived tables are listed only when something went
            self.result.tables[table] = self.result.tables.get(table, 0) + int(n)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def forget(ws: Workspace, user: str, platform: str | None = None, *, dry_run: bool = False) -> Erasure:
    """Erase one person everywhere (see the module doc); ``dry_run`` only counts. ``user`` is a pseudonym
    (``u_…``) or a raw platform id (hashed with the workspace key for ``platform``, or for every platform)."""
    result = Erasure(user, platform, dry_run)
    ids = candidates(ws, user, platform)
    marks = ", ".join("?" for _ in ids)
    con = ws.con
    present = _tables(con)
    # A row's own platform, or — for orders and surveys — the platform of the social id that bought or answered.
    plat = (" AND platform = ?", [platform]) if platform else ("", [])
    linked = (" AND coalesce(user_platform, platform) = ?", [platform]) if platform else ("", [])
    post_keys = f"SELECT platform, post_id FROM posts WHERE author_id IN ({marks}){plat[0]}"
    act_keys = f"SELECT platform, interaction_id FROM interactions WHERE actor_id IN ({marks}){plat[0]}"
    args = ids + plat[1]
    sources = _sources(con, ids, plat, linked)
    report_ids = _report_needles(con, ids, user, post_keys, args)
    had_labels = "text_labels" in present and con.execute(
        f"SELECT count(*) FROM text_labels WHERE (platform, interaction_id) IN ({act_keys})", args
    ).fetchone()[0]
    step = _Plan(con, dry_run, result)
    with contextlib.nullcontext() if dry_run else transaction(con):
        # References to their posts and interactions first (they would dangle), then the rows.
        step.update("posts", "parent_id = NULL", f"(platform, parent_id) IN ({post_keys})", args)
        step.update("posts", "root_id = NULL", f"(platform, root_id) IN ({post_keys})", args)
        step.update("interactions", "target_post_id = NULL",
                    f"(platform, target_post_id) IN ({post_keys}) AND actor_id NOT IN ({marks})", args + ids)
        step.update("interactions", "parent_id = NULL",
                    f"(platform, parent_id) IN ({act_keys}) AND actor_id NOT IN ({marks})", args + ids)
        # What was derived from their texts goes with the texts.
        for derived in ("text_sentiment", "text_signals"):
            if derived in present:
                step.delete(derived, f"(kind = 'post' AND (platform, id) IN ({post_keys})) "
                                     f"OR (kind = 'interaction' AND (platform, id) IN ({act_keys}))", args + args,
                            derived=True)
        if "text_labels" in present:
            step.delete("text_labels", f"(platform, interaction_id) IN ({act_keys})", args, derived=True)
        if "inbox_drafts" in present:
            step.delete("inbox_drafts", f"(platform, interaction_id) IN ({act_keys})", args, derived=True)
        if "inbox_actions" in present:
            step.update("inbox_actions", "note = NULL", f"note IS NOT NULL AND action <> 'label' "
                        f"AND (platform, interaction_id) IN ({act_keys})", args, derived=True)
        if "outbox" in present:
            step.update("outbox", "text = NULL, target = NULL, payload = NULL", "(text IS NOT NULL OR target IS NOT NULL "
                        "OR payload IS NOT NULL) AND item IN "
                        f"(SELECT platform || ':' || interaction_id FROM ({act_keys}))", args, derived=True)
        if "chat_messages" in present:  # group chats: their messages and member events; answers to them unlink
            mine = f"SELECT platform, message_id FROM chat_messages WHERE sender_id IN ({marks}){plat[0]}"
            step.update("chat_messages", "reply_to_id = NULL",
                        f"(platform, reply_to_id) IN ({mine}) AND sender_id NOT IN ({marks})", args + ids)
            step.update("chat_messages", "reply_to_user_id = NULL", f"reply_to_user_id IN ({marks}){plat[0]}", args)
            step.delete("chat_messages", f"sender_id IN ({marks}){plat[0]}", args)
        step.delete("posts", f"author_id IN ({marks}){plat[0]}", args)
        step.delete("interactions", f"actor_id IN ({marks}){plat[0]}", args)
        step.update("interactions", "target_user_id = NULL", f"target_user_id IN ({marks}){plat[0]}", args)
        step.delete("users", f"user_id IN ({marks}){plat[0]}", args)
        step.delete("contacts", f"user_id IN ({marks}){plat[0]}", args)
        if "experiment_units" in present:  # a replies experiment's unit is the person: platform:pseudonym
            unit_plat = (" AND split_part(unit_id, ':', 1) = ?", [platform]) if platform else ("", [])
            step.delete("experiment_units", f"substr(unit_id, strpos(unit_id, ':') + 1) IN ({marks}){unit_plat[0]}",
                        ids + unit_plat[1], derived=True)
        if "segment_members" in present:
            step.delete("segment_members", f"user_id IN ({marks}){plat[0]}", args, derived=True)
        if "idea_messages" in present:  # a title quoting them goes first, while their support still names it
            theirs = f"SELECT platform || ':' || source || ':' || message_id FROM idea_messages WHERE user_id IN ({marks}){plat[0]}"
            step.update("ideas", "title = '(erased)', title_source = NULL", f"title_source IN ({theirs})", args,
                        derived=True)
            step.delete("idea_messages", f"user_id IN ({marks}){plat[0]}", args, derived=True)
        step.delete("follows", f"(follower_id IN ({marks}) OR followee_id IN ({marks})){plat[0]}", ids + ids + plat[1])
        step.delete("orders", f"user_id IN ({marks}){linked[0]}", ids + linked[1])
        step.delete("survey_responses", f"user_id IN ({marks}){linked[0]}", ids + linked[1])
        needles, needle_args = _quarantine_needles(ids, user)
        step.delete("quarantine", needles, needle_args, derived=True)
        uploads = _uploads(ws, sources, present)
        if uploads and "web_uploads" in present:
            up_marks = ", ".join("?" for _ in uploads)
            step.update("web_uploads", "erased_at = now()::TIMESTAMP",
                        f"stored_path IN ({up_marks}) AND erased_at IS NULL", list(uploads), derived=True)
    # Files: the stored uploads that held their rows, reports that show them, the lake.
    for path in uploads:
        result.files.append(path)
        if not dry_run:
            Path(path).unlink(missing_ok=True)
    for path in _reports(ws, report_ids):
        result.files.append(str(path))
        if not dry_run:
            path.unlink(missing_ok=True)
    result.your_files = sorted(s for s in sources if s not in uploads and Path(s).exists())
    result.lake_rows = _lake(ws, dry_run, result)
    if had_labels:
        # models that learnt from labels (an ONNX model is the user's own, never trained on them)
        result.models = sorted(k for k, e in manifest(ws.models_dir).items() if e.get("path") and e.get("kind") != "onnx")
    return result


def _sources(con: duckdb.DuckDBPyConnection, ids: list[str], plat: tuple, linked: tuple) -> set[str]:
    """Files their rows came from (provenance): uploads to remove, or the user's own files to mention."""
    marks = ", ".join("?" for _ in ids)
    parts = [
        (f"SELECT source_file FROM posts WHERE author_id IN ({marks}){plat[0]}", ids + plat[1]),
        (f"SELECT source_file FROM interactions WHERE actor_id IN ({marks}){plat[0]}", ids + plat[1]),
        (f"SELECT source_file FROM chat_messages WHERE sender_id IN ({marks}){plat[0]}", ids + plat[1]),
        (f"SELECT source_file FROM users WHERE user_id IN ({marks}){plat[0]}", ids + plat[1]),
        (f"SELECT source_file FROM contacts WHERE user_id IN ({marks}){plat[0]}", ids + plat[1]),
        (f"SELECT source_file FROM follows WHERE (follower_id IN ({marks}) OR followee_id IN ({marks})){plat[0]}",
         ids + ids + plat[1]),
        (f"SELECT source_file FROM orders WHERE user_id IN ({marks}){linked[0]}", ids + linked[1]),
        (f"SELECT source_file FROM survey_responses WHERE user_id IN ({marks}){linked[0]}", ids + linked[1]),
    ]
    sql = " UNION ".join(p[0] for p in parts)
    return {r[0] for r in con.execute(sql, [a for p in parts for a in p[1]]).fetchall() if r[0]}


def _uploads(ws: Workspace, sources: set[str], present: set[str]) -> list[str]:
    if "web_uploads" not in present or not sources:
        return []
    marks = ", ".join("?" for _ in sources)
    rows = ws.con.execute(
        f"SELECT stored_path FROM web_uploads WHERE stored_path IN ({marks})", sorted(sources)
    ).fetchall()
    return sorted(r[0] for r in rows)


def _quarantine_needles(ids: list[str], user: str) -> tuple[str, list[Any]]:
    """Quarantine rows mentioning the person: their pseudonyms anywhere in the raw row or key, or the raw id as a
    JSON value (rows quarantined before raw rows were pseudonymised, broken lines)."""
    needles = [*ids] + ([] if PSEUDONYM_RE.match(user) else [f'"{user}"', f",{user},"])
    cond = " OR ".join("strpos(coalesce(raw, ''), ?) > 0 OR strpos(coalesce(row_key, ''), ?) > 0" for _ in needles)
    return f"({cond})", [n for n in needles for _ in (0, 1)]


def _report_needles(
    con: duckdb.DuckDBPyConnection, ids: list[str], user: str, post_keys: str, args: list[Any]
) -> list[str]:
    posts = [r[0] for r in con.execute(f"SELECT post_id FROM ({post_keys}) LIMIT 10000", args).fetchall()]
    texts = [
        r[0][:40]
        for r in con.execute(
            f"SELECT text FROM posts WHERE (platform, post_id) IN ({post_keys}) AND length(text) >= 12 LIMIT 2000", args
        ).fetchall()
    ]
    raw = [] if PSEUDONYM_RE.match(user) else [user]
    return [*ids, *raw, *posts, *texts]


def _reports(ws: Workspace, needles: list[str]) -> list[Path]:
    """Report files under ``reports/`` that show the person (an HTML report naming them, with its PDF)."""
    folder = Path(ws.path) / "reports"
    if not folder.is_dir() or not needles:
        return []
    pattern = re.compile("|".join(re.escape(n) for n in sorted(set(needles), key=len, reverse=True)))
    hits: list[Path] = []
    for html in sorted(folder.glob("*.html")):
        if pattern.search(html.read_text(encoding="utf-8", errors="replace")):
            hits.append(html)
            pdf = html.with_suffix(".pdf")
            if pdf.exists():
                hits.append(pdf)
    return hits


def _lake(ws: Workspace, dry_run: bool, result: Erasure) -> int:
    """Prune the person's rows from the workspace's lake, and refresh the rows whose links were nulled."""
    path = lake_path(ws)
    if not path or dry_run or not result.total:
        return 0
    before = _lake_rows(path)
    export_lake(ws, path, prune=tuple(t for t, n in result.tables.items() if n and t in S.TABLES))
    return max(before - _lake_rows(path), 0)


def _lake_rows(path: str) -> int:
    with LakeWriter(path, create=False) as lake:
        return sum(lake.count(t) for t in S.TABLES)

