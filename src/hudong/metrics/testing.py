"""Helpers to build small workspaces from plain rows (tests, benchmarks, examples).

Rows are dicts with only the columns that matter; the rest (provenance, optional columns) are filled
with NULL / defaults, so fixtures read like the hand calculations they are checked against.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from hudong.store import schema as S
from hudong.store.workspace import Workspace

_DEFAULTS = {"source_file": "fixture", "importer": "fixture", "batch_id": "fixture", "platform": "weibo"}


def arrow_rows(table: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """An Arrow table in the schema of ``table`` from partial row dicts (missing columns → NULL/defaults)."""
    t = S.TABLES[table]
    rows = list(rows)
    cols = {}
    for c in t.all_columns:
        default = _DEFAULTS.get(c.name)
        cols[c.name] = [r.get(c.name, default) for r in rows]
    return pa.table(cols, schema=S.arrow_schema(t))


def fill(ws: Workspace, **tables: Iterable[Mapping[str, Any]] | pa.Table) -> Workspace:
    """Upsert rows into the workspace in one transaction: ``fill(ws, posts=[...], interactions=[...])``."""
    with ws.transaction():
        for name, rows in tables.items():
            data = rows if isinstance(rows, pa.Table) else arrow_rows(name, rows)
            ws.upsert(name, data)
    return ws


def workspace(path: str | os.PathLike, config: str = "", **tables: Iterable[Mapping[str, Any]]) -> Workspace:
    """A fresh workspace at ``path`` holding ``tables``; ``config`` is appended to hudong.toml."""
    ws = Workspace.init(path, name="fixture", language="en")
    if config:
        ws.close()
        cfg = os.path.join(os.fspath(path), "hudong.toml")
        with open(cfg, "a", encoding="utf-8") as f:
            f.write("\n" + config)
        ws = Workspace.open(path)
    return fill(ws, **tables) if tables else ws
