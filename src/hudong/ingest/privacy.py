"""Privacy at ingest: keyed pseudonyms for user ids, PII redaction of free text, and erasure (`forget`).

Pseudonyms are HMAC-SHA256 over ``platform \\x1f raw_id`` with the workspace's secret key, shortened to
``u_`` + 16 hex characters: deterministic inside one workspace (re-imports and joins work), meaningless
outside it, and not reversible by hashing guessed ids without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from hudong.store import schema as S
from hudong.text import pii

if TYPE_CHECKING:
    from hudong.store.workspace import Workspace

PSEUDONYM_RE = re.compile(r"^u_[0-9a-f]{16}$")


def pseudonymise(key: bytes, platform: str, raw_id: str) -> str:
    """The workspace pseudonym of one platform user id."""
    digest = hmac.new(key, f"{platform}\x1f{raw_id}".encode(), hashlib.sha256).hexdigest()
    return "u_" + digest[:16]


def pseudonymise_array(
    key: bytes,
    platform: pa.Array | str,
    ids: pa.Array,
    keep: set[str] | frozenset[str] = frozenset(),
) -> pa.Array:
    """Vectorised ``pseudonymise``: hashes each distinct (platform, id) once; nulls stay null.

    ``keep`` holds ``platform + "\\x1f" + id`` pairs left as they are: the watched organisation accounts.
    """
    ids = pc.cast(ids, pa.string()) if ids.type != pa.string() else ids
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if isinstance(platform, str):
        combined = ids
        prefix = f"{platform}\x1f".encode()
    else:
        platform = platform.combine_chunks() if isinstance(platform, pa.ChunkedArray) else platform
        combined = pc.binary_join_element_wise(platform, ids, "\x1f")
        prefix = b""
    encoded = combined.dictionary_encode()
    uniques = encoded.dictionary
    digest = hmac.digest
    hashed = pa.array(
        ["u_" + digest(key, prefix + u.encode(), "sha256")[:8].hex() for u in uniques.to_pylist()], pa.string()
    )
    if keep:
        if prefix:  # one platform: the dictionary holds the raw ids
            full, raw = pc.binary_join_element_wise(prefix.decode(), uniques, ""), uniques
        else:  # "platform\x1fid": the raw id is the part after the separator
            full, raw = uniques, pc.struct_field(pc.extract_regex(uniques, "^[^\x1f]*\x1f(?P<id>.*)$"), [0])
        kept = pc.is_in(full, value_set=pa.array(sorted(keep), pa.string()))
        hashed = pc.if_else(kept, raw, hashed)
    return pc.take(hashed, encoded.indices)


def redact_text(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, dict[str, int]]:
    """Replace PII (``hudong.text.pii.KINDS``: e-mail, ID-card, bank-card and phone numbers, street addresses) by
    tokens; return (array, counts per kind: ``email``, ``id_card``, ``bank_card``, ``phone``, ``address``).

    A pyarrow RE2 scan finds candidate rows; only those are redacted in Python (exact patterns, ID check digit).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    counts: dict[str, int] = {}
    if len(values) == 0:
        return values, counts
    mask = pc.fill_null(pc.match_substring_regex(values, pii.CANDIDATE_RE2), False)
    if not pc.any(mask).as_py():
        return values, counts
    candidates = values.filter(mask).to_pylist()
    redacted = [pii.redact(t, counts) for t in candidates]
    if redacted == candidates:
        return values, counts
    return pc.replace_with_mask(values, mask, pa.array(redacted, values.type)), counts


def _user_columns() -> dict[str, list[str]]:
    return {name: S.TABLES[name].user_id_columns for name in S.FACT_TABLES if S.TABLES[name].user_id_columns}


def forget(ws: Workspace, user: str, platform: str | None = None) -> dict[str, int]:
    """Erase one user everywhere; return the number of rows deleted or changed (a link nulled) per table.

    ``user`` is a pseudonym (``u_…``) or a raw platform id (hashed with the workspace key for ``platform``,
    or for every platform when none is given). Deletes the user's rows in users, follows, orders and
    survey_responses, the interactions they made, the posts they wrote, and what was derived from those texts
    (text scores, inbox labels; inbox action notes on their messages are blanked); nulls them where they are only
    the target (interactions.target_user_id), and unlinks rows that pointed at their posts or interactions
    (posts.parent_id/root_id, interactions.target_post_id/parent_id).
    Runs in one transaction.
    """
    candidates: set[str] = set()
    if PSEUDONYM_RE.match(user):
        candidates.add(user)
    else:
        platforms = [platform] if platform else list(S.PLATFORMS)
        candidates.update(pseudonymise(ws.key, p, user) for p in platforms)
        if ws.setting("privacy.raw_ids", False):
            candidates.add(user)  # stored as is in opt-in raw-id workspaces
    ids = sorted(candidates)
    marks = ", ".join("?" for _ in ids)
    plat_sql, plat_args = (" AND platform = ?", [platform]) if platform else ("", [])
    con = ws.con
    counts: dict[str, int] = {}

    def run(table: str, sql: str, args: list, *, derived: bool = False) -> None:
        n = con.execute(sql, args).fetchone()
        if not derived or (n and n[0]):  # derived tables are listed only when something went
            counts[table] = counts.get(table, 0) + (n[0] if n else 0)

    con.execute("BEGIN")
    try:
        # References to the user's posts and interactions go first (they would dangle), then the rows.
        post_keys = f"SELECT platform, post_id FROM posts WHERE author_id IN ({marks}){plat_sql}"
        act_keys = f"SELECT platform, interaction_id FROM interactions WHERE actor_id IN ({marks}){plat_sql}"
        args = ids + plat_args
        run("posts", f"UPDATE posts SET parent_id = NULL WHERE (platform, parent_id) IN ({post_keys})", args)
        run("posts", f"UPDATE posts SET root_id = NULL WHERE (platform, root_id) IN ({post_keys})", args)
        run(
            "interactions",
            f"UPDATE interactions SET target_post_id = NULL WHERE (platform, target_post_id) IN ({post_keys})"
            f" AND actor_id NOT IN ({marks})",
            args + ids,
        )
        run(
            "interactions",
            f"UPDATE interactions SET parent_id = NULL WHERE (platform, parent_id) IN ({act_keys})"
            f" AND actor_id NOT IN ({marks})",
            args + ids,
        )
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        # What was derived from their texts goes with the texts: the scores of `hudong text score`
        # (hudong.text.sentiment: text_sentiment, text_signals) ...
        for derived in ("text_sentiment", "text_signals"):
            if derived in tables:
                run(derived, f"DELETE FROM {derived} WHERE (kind = 'post' AND (platform, id) IN ({post_keys})) "
                             f"OR (kind = 'interaction' AND (platform, id) IN ({act_keys}))", args + args, derived=True)
        # ... inbox labels, which keep a copy of the message text (web/labels.py) ...
        if "text_labels" in tables:
            run("text_labels", f"DELETE FROM text_labels WHERE (platform, interaction_id) IN ({act_keys})", args,
                derived=True)
        # ... and the free-text notes of inbox actions on their messages (a draft reply may quote them; a label
        # action's note only names the task); who did what, when stays in the log.
        if "inbox_actions" in tables:
            run("inbox_actions", f"UPDATE inbox_actions SET note = NULL WHERE note IS NOT NULL AND action <> 'label' "
                                 f"AND (platform, interaction_id) IN ({act_keys})", args, derived=True)
        run("posts", f"DELETE FROM posts WHERE author_id IN ({marks}){plat_sql}", args)
        run("interactions", f"DELETE FROM interactions WHERE actor_id IN ({marks}){plat_sql}", args)
        run(
            "interactions",
            f"UPDATE interactions SET target_user_id = NULL WHERE target_user_id IN ({marks}){plat_sql}",
            args,
        )
        run("users", f"DELETE FROM users WHERE user_id IN ({marks}){plat_sql}", ids + plat_args)
        run(
            "follows",
            f"DELETE FROM follows WHERE (follower_id IN ({marks}) OR followee_id IN ({marks})){plat_sql}",
            ids + ids + plat_args,
        )
        run("orders", f"DELETE FROM orders WHERE user_id IN ({marks}){plat_sql}", ids + plat_args)
        run("survey_responses", f"DELETE FROM survey_responses WHERE user_id IN ({marks}){plat_sql}", ids + plat_args)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return counts
