"""Quarantine: rows that failed validation, kept with file, row number, column, reason and the raw row.

The raw row is what someone needs to fix it, and no more personal than the store itself: values of the fields that
feed user-id columns become the workspace's pseudonyms (as in the fact tables), and personal data in every text
value (phone numbers, e-mail addresses, ID and bank-card numbers, street addresses) is redacted. Web viewers see
the reason and the place; only admins see the raw row.

An entry stays while it is useful:
- ``fingerprint`` (the table and the sanitised raw row): importing the same bad row again replaces its entry
  instead of adding a copy;
- ``row_key`` (the row's key, when it could be read): a later import that stores that key resolves the entry;
- entries of batches older than ``[import] quarantine_days`` are removed (their batch keeps the counts).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from hudong.store import schema as S
from hudong.text import pii

if TYPE_CHECKING:
    import duckdb

    from hudong.ingest.mapping import Mapping

RAW_MAX_CHARS = 20_000  # a raw row longer than this is cut (a 5 MB text cell is not needed to fix a row)


@dataclass
class QuarantineEntry:
    row_number: int
    target_table: str
    column: str | None
    reason: str  # full reason, with the offending value
    category: str  # reason without the value: what ImportSummary.reasons counts
    raw: str | None
    row_key: str | None = None


@dataclass
class Quarantine:
    entries: list[QuarantineEntry] = field(default_factory=list)
    _seen: set[tuple[int, str]] = field(default_factory=set)

    def add(
        self,
        row_number: int,
        table: str,
        column: str | None,
        category: str,
        detail: str,
        raw: str | None,
        row_key: str | None = None,
    ) -> None:
        key = (row_number, table)
        if key in self._seen:  # one entry per row and table: the first failure found
            return
        self._seen.add(key)
        reason = f"{category}: {detail}" if detail else category
        self.entries.append(QuarantineEntry(row_number, table, column, reason, category, raw, row_key))

    def rows(self, table: str | None = None) -> int:
        """Distinct input rows quarantined (in one table, or in any)."""
        return len({e.row_number for e in self.entries if table is None or e.target_table == table})

    def reasons(self) -> dict[str, int]:
        return dict(Counter(reason_key(e.column, e.category) for e in self.entries))

    def to_arrow(self, batch_id: str, source_file: str) -> pa.Table:
        n = len(self.entries)
        return pa.table(
            {
                "batch_id": [batch_id] * n,
                "source_file": [source_file] * n,
                "row_number": pa.array([e.row_number for e in self.entries], pa.int64()),
                "column_name": pa.array([e.column for e in self.entries], pa.string()),
                "reason": [e.reason for e in self.entries],
                "raw": pa.array([e.raw for e in self.entries], pa.string()),
                "target_table": [e.target_table for e in self.entries],
                "row_key": pa.array([e.row_key for e in self.entries], pa.string()),
                "fingerprint": pa.array([fingerprint(e.target_table, e.raw) for e in self.entries], pa.string()),
                "category": [reason_key(e.column, e.category) for e in self.entries],
            }
        )


def reason_key(column: str | None, category: str) -> str:
    """What the summary counts: ``column: category`` (the reason without the offending value)."""
    return f"{column}: {category}" if column else category


def fingerprint(table: str, raw: str | None) -> str:
    return hashlib.sha256(f"{table}\x1f{raw or ''}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


# ---- sanitising raw rows -----------------------------------------------------------------------------------


class RawSanitiser:
    """Turns a raw row (as read) into the JSON stored in quarantine: user ids pseudonymised, PII redacted.

    ``pseudonymise(platform, value) -> pseudonym`` is the importer's (same key, same watched-account exceptions);
    it is None when the workspace keeps raw ids. Fields are found through the mapping: every field path that feeds
    a user-id column of any target table.
    """

    def __init__(self, mapping: Mapping, pseudonymise: Callable[[str, str], str] | None, redact: bool = True):
        self.pseudonymise = pseudonymise
        self.redact = redact
        self.platform = mapping.platform
        self.user_fields: list[list[str]] = []
        self.platform_fields: list[str] = []
        for target in mapping.targets:
            table = S.TABLES[target.table]
            spec = target.columns.get("platform")
            if spec is not None and spec.fields:
                self.platform_fields += spec.fields
            for col in table.user_id_columns:
                spec = target.columns.get(col)
                if spec is None:
                    continue
                for f in spec.sources():
                    self.user_fields.append(_resolve_derived(mapping, f))
        self.user_paths = {p for group in self.user_fields for p in group}

    def __call__(self, raw: Any) -> str | None:
        if raw is None:
            return None
        if self.pseudonymise is not None and isinstance(raw, dict):
            platform = self.platform or _first_text(raw, self.platform_fields) or "other"
            raw = _replace_paths(raw, self.user_paths, lambda v: self.pseudonymise(platform, v))
        if self.redact:
            raw = _redact_values(raw)
        return dumps(raw)


def _resolve_derived(mapping: Mapping, name: str) -> list[str]:
    """File field paths behind a (possibly derived) field name."""
    spec = mapping.fields.get(name)
    if spec is None:
        return [name]
    out: list[str] = []
    for f in spec.sources():
        out += [name] if f == name else _resolve_derived(mapping, f)
    return out


def _first_text(raw: dict, paths: list[str]) -> str | None:
    for p in paths:
        v = _get(raw, p.split("."))
        if isinstance(v, str) and v.strip():
            return v.strip().lower()
    return None


def _get(node: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(node, dict):
            return None
        node = node.get(part.removesuffix("[]"))
    return node


def _replace_paths(raw: dict, paths: set[str], fn: Callable[[str], str]) -> dict:
    """A copy of ``raw`` with the values at the dotted ``paths`` (``a.b``, ``items[].id``) replaced by ``fn``."""
    out = dict(raw)
    for path in paths:
        if path in out:  # a flat field name (CSV header) that may contain dots itself
            out[path] = _apply(out[path], fn)
            continue
        parts = path.split(".")
        out = _replace_at(out, parts, fn)
    return out


def _replace_at(node: Any, parts: list[str], fn: Callable[[str], str]) -> Any:
    if not parts or not isinstance(node, dict):
        return node
    head, rest = parts[0], parts[1:]
    name = head.removesuffix("[]").split("[", 1)[0]
    if name not in node:
        return node
    copy = dict(node)
    value = copy[name]
    if head.endswith("[]") and isinstance(value, list):
        copy[name] = [(_replace_at(v, rest, fn) if rest else _apply(v, fn)) for v in value]
    elif rest:
        copy[name] = _replace_at(value, rest, fn)
    else:
        copy[name] = _apply(value, fn)
    return copy


def _apply(value: Any, fn: Callable[[str], str]) -> Any:
    if value is None or isinstance(value, dict | list | bool):
        return value
    text = str(value).strip()
    return fn(text) if text else value


def dumps(raw: Any) -> str:
    """JSON of a raw row that DuckDB can store: bad bytes and lone surrogates escaped, NULs shown, length bounded."""
    try:
        text = json.dumps(raw, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        text = json.dumps({"value": repr(raw)[:RAW_MAX_CHARS]}, ensure_ascii=False)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\u0000")
    if len(text) > RAW_MAX_CHARS:
        text = json.dumps({"truncated": text[:RAW_MAX_CHARS]}, ensure_ascii=False)
    return text


def _redact_values(node: Any, depth: int = 0) -> Any:
    """Every text value (and key) of a raw row with its personal data redacted."""
    if isinstance(node, str):
        try:
            return pii.redact(node)
        except RecursionError:  # pragma: no cover - regexes do not recurse; kept for safety
            return "[REDACTED]"
    if depth > 100:
        return "[…]"
    if isinstance(node, dict):
        return {_redact_values(k, depth + 1): _redact_values(v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_redact_values(v, depth + 1) for v in node]
    return node


# ---- the stored quarantine: merge, resolve, expire ----------------------------------------------------------


def merge(con: duckdb.DuckDBPyConnection, staged: str, batch_id: str) -> None:
    """Move this import's staged entries into ``quarantine`` (inside the import's transaction): an entry for the
    same table and raw row from an earlier batch is replaced, not repeated."""
    cols = ", ".join(f'"{c}"' for c in S.TABLES["quarantine"].column_names)
    con.execute(
        f"DELETE FROM quarantine WHERE batch_id <> ? AND fingerprint IN (SELECT fingerprint FROM {staged})", [batch_id]
    )
    con.execute(f"INSERT INTO quarantine ({cols}) SELECT {cols} FROM {staged}")


def resolve_stored(con: duckdb.DuckDBPyConnection, table: str, staged_keys: str, batch_id: str) -> int:
    """Remove entries of earlier batches whose row key this import stored (``staged_keys``: a relation with the
    table's key columns). Returns how many went."""
    key = S.TABLES[table].key
    joined = " || chr(31) || ".join(f'CAST(s."{k}" AS VARCHAR)' for k in key)
    n = con.execute(
        f"DELETE FROM quarantine WHERE batch_id <> ? AND target_table = ? AND row_key IN "
        f"(SELECT {joined} FROM {staged_keys} s)",
        [batch_id, table],
    ).fetchone()
    return int(n[0]) if n else 0


def expire(con: duckdb.DuckDBPyConnection, days: int) -> int:
    """Remove entries of batches that started more than ``days`` ago (0 keeps them forever)."""
    if days <= 0:
        return 0
    cutoff = dt.datetime.now() - dt.timedelta(days=days)
    n = con.execute(
        "DELETE FROM quarantine WHERE batch_id IN (SELECT batch_id FROM import_batches WHERE started_at < ?)", [cutoff]
    ).fetchone()
    return int(n[0]) if n else 0
