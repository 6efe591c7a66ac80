"""Quarantine: rows that failed validation, kept with file, row number, column, reason and the raw row."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa


@dataclass
class QuarantineEntry:
    row_number: int
    target_table: str
    column: str | None
    reason: str  # full reason, with the offending value
    category: str  # reason without the value: what ImportSummary.reasons counts
    raw: str | None


@dataclass
class Quarantine:
    entries: list[QuarantineEntry] = field(default_factory=list)
    _seen: set[tuple[int, str]] = field(default_factory=set)

    def add(self, row_number: int, table: str, column: str | None, category: str, detail: str, raw: str | None) -> None:
        key = (row_number, table)
        if key in self._seen:  # one entry per row and table: the first failure found
            return
        self._seen.add(key)
        reason = f"{category}: {detail}" if detail else category
        self.entries.append(QuarantineEntry(row_number, table, column, reason, category, raw))

    def rows(self, table: str | None = None) -> int:
        """Distinct input rows quarantined (in one table, or in any)."""
        return len({e.row_number for e in self.entries if table is None or e.target_table == table})

    def reasons(self) -> dict[str, int]:
        return dict(Counter((f"{e.column}: {e.category}" if e.column else e.category) for e in self.entries))

    def to_arrow(self, batch_id: str, source_file: str) -> pa.Table:
        n = len(self.entries)
        return pa.table(
            {
                "batch_id": [batch_id] * n,
                "source_file": [source_file] * n,
                "row_number": [e.row_number for e in self.entries],
                "column_name": [e.column for e in self.entries],
                "reason": [e.reason for e in self.entries],
                "raw": [e.raw for e in self.entries],
                "target_table": [e.target_table for e in self.entries],
            }
        )
