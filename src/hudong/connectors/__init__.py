"""Connectors: one module per source (docs/architecture.md "Add a connector"); ``sync`` runs them.

Built in: ``folder`` (a drop folder of exports). Plugins add more through the entry point group
``hudong.connectors`` (name → a ``Connector`` subclass).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hudong import plugins
from hudong.analyses.scoring import score_workspace, texts_changed
from hudong.connectors.base import Batch, Connector, Secret, Secrets, SyncResult
from hudong.connectors.folder import FolderConnector
from hudong.errors import HudongError
from hudong.ingest import import_file

BUILT_IN: dict[str, type[Connector]] = {c.kind: c for c in (FolderConnector,)}
ENTRY_POINTS = "hudong.connectors"


def kinds() -> dict[str, type[Connector]]:
    """Every connector type: the built-in ones and those plugins declare (a plugin cannot replace a built-in)."""
    found = dict(BUILT_IN)
    for ep in plugins.points(ENTRY_POINTS):
        if ep.name in found:
            continue
        cls = plugins.load(ep)
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise HudongError(f"plugin entry point {ENTRY_POINTS}:{ep.name} ({ep.value}) is not a Connector class")
        found[ep.name] = cls
    return found


def configured(ws: Any) -> dict[str, dict[str, Any]]:
    """``[connectors.NAME]`` tables of hudong.toml."""
    table = ws.setting("connectors", {}) or {}
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise HudongError("hudong.toml: [connectors] must hold one table per connector, e.g. [connectors.drop]")
    return table


def connector(ws: Any, name: str) -> Connector:
    """The configured connector ``name``, ready to run."""
    settings = configured(ws).get(name)
    if settings is None:
        raise HudongError(f"no connector {name!r} in hudong.toml; configured: {', '.join(configured(ws)) or 'none'}")
    kind = settings.get("type")
    available = kinds()
    if kind not in available:
        raise HudongError(f"hudong.toml [connectors.{name}]: type {kind!r} is not one of {', '.join(available)}")
    return available[kind](name, settings, Secrets(Path(ws.path), name), Path(ws.path))


def state(ws: Any) -> dict[str, dict[str, Any]]:
    """The stored state of every connector that has run: cursor, last run, last error, totals."""
    cur = ws.con.execute("SELECT * FROM connector_state")
    cols = [d[0] for d in cur.description]
    return {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def _save(ws: Any, res: SyncResult, ok: bool) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ws.con.execute(
        "INSERT INTO connector_state AS s VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "kind = excluded.kind, cursor = coalesce(excluded.cursor, s.cursor), last_run = excluded.last_run, "
        "last_ok = coalesce(excluded.last_ok, s.last_ok), last_error = excluded.last_error, "
        "batches = s.batches + excluded.batches, rows_read = s.rows_read + excluded.rows_read",
        [res.name, res.kind, res.cursor, now, now if ok else None, res.error, res.batches, res.rows_read],
    )


def sync(ws: Any, name: str | None = None, *, score: bool = True) -> list[SyncResult]:
    """Run every configured connector (or ``name``) once: fetch after its stored cursor, import each batch, store the
    cursor after each committed batch, then (``score``) score the texts its batches brought, as every import does
    (``hudong.analyses.scoring``). A failing connector records its error and the others still run."""
    names = [name] if name else list(configured(ws))
    results = []
    for n in names:
        c = connector(ws, n)
        cursor = (state(ws).get(n) or {}).get("cursor")
        res = SyncResult(n, c.kind, cursor=cursor, started=dt.datetime.now(), labels=[])
        changed = False
        try:
            for batch in c.fetch(cursor):
                s = import_file(ws, batch.path, batch.format)
                changed = changed or texts_changed(s)
                res.batches += 1
                res.rows_read += s.rows_read
                res.stored += sum(t.stored for t in s.tables.values())
                res.updated += sum(t.updated for t in s.tables.values())
                res.quarantined += s.quarantined
                res.cursor = batch.cursor
                res.labels.append(batch.label or str(batch.path))
                _save(ws, SyncResult(n, c.kind, batches=1, rows_read=s.rows_read, cursor=batch.cursor), ok=True)
        except HudongError as e:
            res.error = str(e)
            _save(ws, SyncResult(n, c.kind, error=res.error), ok=False)
        else:
            _save(ws, SyncResult(n, c.kind), ok=True)
        if score and changed:  # what was imported stays imported; a scoring failure is reported, not raised
            try:
                res.scored = score_workspace(ws).rows
            except HudongError as e:
                res.score_error = str(e)
        results.append(res)
    return results


__all__ = [
    "BUILT_IN", "Batch", "Connector", "FolderConnector", "Secret", "Secrets", "SyncResult", "configured",
    "connector", "kinds", "state", "sync",
]  # fmt: skip
