"""What was imported: the batches (``import_batches``) and the rows each one quarantined — what ``hudong imports``,
``hudong quarantine`` and the web's /imports page list. A file uploaded in the browser is shown under the name it
had there (``web_uploads``, when the web app has created that table)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BATCH_COLUMNS = ("batch_id", "started_at", "importer", "source_file", "status", "rows_read", "rows_stored",
                 "rows_updated", "rows_unchanged", "rows_quarantined", "message")  # fmt: skip
QUARANTINE_COLUMNS = ("batch_id", "row", "column", "reason", "raw", "table", "file")


def _has_uploads(con: Any) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'web_uploads' "
                            "AND table_schema = current_schema()").fetchone()[0])  # fmt: skip


def batches(con: Any, *, limit: int | None = None, newest_first: bool = False) -> list[dict[str, Any]]:
    """Import batches with their counts and status, oldest first (``newest_first``: the other way), each with
    ``file`` (the upload's original name, else the file name) and, for uploads, ``upload_id``/``uploaded_by``."""
    cols = ", ".join(f"b.{c}" for c in BATCH_COLUMNS)
    up = _has_uploads(con)
    sql = (f"SELECT {cols}, " + ("u.original_name, u.upload_id, u.uploaded_by FROM import_batches b "
                                 "LEFT JOIN web_uploads u ON u.stored_path = b.source_file"
                                 if up else "NULL, NULL, NULL FROM import_batches b")
           + f" ORDER BY b.started_at {'DESC' if newest_first else 'ASC'}, b.batch_id"
           + (" LIMIT ?" if limit is not None else ""))  # fmt: skip
    rows = con.execute(sql, [limit] if limit is not None else []).fetchall()
    out = [dict(zip((*BATCH_COLUMNS, "original_name", "upload_id", "uploaded_by"), r, strict=True)) for r in rows]
    for r in out:
        r["file"] = r["original_name"] or Path(r["source_file"]).name
    return out


def batch_exists(con: Any, batch_id: str) -> bool:
    return con.execute("SELECT 1 FROM import_batches WHERE batch_id = ?", [batch_id]).fetchone() is not None


def quarantined(con: Any, batch_id: str | None = None, *, limit: int = 50) -> tuple[int, list[dict[str, Any]]]:
    """(how many rows are quarantined — of ``batch_id``, or of every batch —, the first ``limit`` of them by file
    and row: batch_id, row, column, reason, raw, table, file)."""
    where, params = (" WHERE q.batch_id = ?", [batch_id]) if batch_id else ("", [])
    total = con.execute(f"SELECT count(*) FROM quarantine q{where}", params).fetchone()[0]
    file = "coalesce(u.original_name, q.source_file)" if _has_uploads(con) else "q.source_file"
    join = " LEFT JOIN web_uploads u ON u.stored_path = q.source_file" if _has_uploads(con) else ""
    rows = con.execute(
        f"SELECT q.batch_id, q.row_number, q.column_name, q.reason, q.raw, q.target_table, {file} "
        f"FROM quarantine q{join}{where} ORDER BY q.source_file, q.row_number, q.column_name LIMIT ?",
        [*params, limit],
    ).fetchall()
    return int(total), [dict(zip(QUARANTINE_COLUMNS, r, strict=True)) for r in rows]
