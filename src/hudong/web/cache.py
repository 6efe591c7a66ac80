"""An in-process cache for expensive web results (metric frames, the scorecard, cascade and KOC tables).

Entries are keyed by (workspace data version, key). The data version is the ``import_batches`` bookkeeping
(every import, from the CLI or the web upload, appends a row in the same transaction as its data) plus the row
counts of the data tables, so an import makes every older entry unreachable; stale entries fall out of the LRU.
The web app re-reads it at most once a second and at once after its own writes (``WebState.data_version``):
while it runs it holds the DuckDB file for writing, so no other process can change the data.

``HUDONG_WEB_CACHE=0`` disables the cache (the benchmark's baseline).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

DATA_TABLES = (
    "accounts",
    "users",
    "campaigns",
    "posts",
    "interactions",
    "follows",
    "orders",
    "survey_responses",
    "text_sentiment",
)
# Row counts from DuckDB's catalog (duckdb_tables().estimated_size: no scan, ≈1 ms where count(*) subqueries
# over 1M rows took ≈80 ms), plus the import bookkeeping: max(batch_id) changes on every import, even one that
# only updates existing rows.
_NAMES = ", ".join(f"'{t}'" for t in DATA_TABLES)
VERSION_SQL = (
    "SELECT (SELECT count(*) FROM import_batches), (SELECT max(batch_id) FROM import_batches), "
    f"(SELECT list(estimated_size ORDER BY table_name) FROM duckdb_tables() WHERE table_name IN ({_NAMES}))"
)


def data_version(con: Any) -> tuple[Any, ...]:
    """A value that changes whenever the workspace's data changes through an import."""
    count, last, sizes = con.execute(VERSION_SQL).fetchone()
    return count, last, tuple(sizes or ())


def enabled_by_env() -> bool:
    return os.environ.get("HUDONG_WEB_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


class VersionedCache:
    """A thread-safe LRU of computed values keyed by (data version, key)."""

    def __init__(self, maxsize: int = 512, enabled: bool | None = None):
        self.maxsize = maxsize
        self.enabled = enabled_by_env() if enabled is None else enabled
        self._data: OrderedDict[tuple[Any, Hashable], Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, version: Hashable, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value, or ``compute()`` stored under (version, key). Exceptions are not cached."""
        if not self.enabled:
            return compute()
        full = (version, key)
        with self._lock:
            if full in self._data:
                self._data.move_to_end(full)
                self.hits += 1
                return self._data[full]
        value = compute()  # outside the cache lock: the caller holds the workspace lock while computing
        with self._lock:
            self.misses += 1
            self._data[full] = value
            self._data.move_to_end(full)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def peek(self, version: Hashable, key: Hashable) -> Any:
        """The cached value of (version, key) (a hit), or None when it is not held — never computed."""
        with self._lock:
            full = (version, key)
            if full not in self._data:
                return None
            self._data.move_to_end(full)
            self.hits += 1
            return self._data[full]

    def __contains__(self, full: tuple[Any, Hashable]) -> bool:
        """``(version, key) in cache``: whether that entry is held (no hit counted)."""
        with self._lock:
            return full in self._data

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)
