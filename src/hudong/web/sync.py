"""Connectors kept in sync by the server: while `hudong serve` holds the workspace, it runs every connector of
hudong.toml, then sends what the outbox holds due (``hudong.connectors.outbox``), every ``[sync] every_minutes`` (one process owns the DuckDB file; `hudong sync` sent to a running
server runs there too, through ``cli_remote``).

Each round runs ``hudong.connectors.sync`` on a DuckDB cursor of its own, one import at a time with the uploads
(``WebState.import_lock``), so requests keep reading the last committed data meanwhile; a round that fails is
logged and the next one runs as planned. ``GET /api/connectors`` shows each connector's state and the schedule.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from hudong import connectors
from hudong.connectors import outbox
from hudong.errors import HudongError
from hudong.store.workspace import Workspace

from .auth import User
from .state import WebState, check_csrf, errors, require, state_of

log = logging.getLogger("hudong.web.sync")
router = APIRouter()
Importer = Annotated[User, Depends(require("upload"))]  # who may import may see and run the connectors


def interval_seconds(ws: Any) -> float | None:
    """``[sync] every_minutes`` in seconds (None: the server does not sync); a clear error for a bad value."""
    value = ws.setting("sync.every_minutes")
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise HudongError(f"hudong.toml: [sync] every_minutes must be a positive number of minutes, got {value!r}")
    return float(value) * 60


def run_round(st: WebState) -> list[Any]:
    """One sync of every connector, on a cursor of its own; what each did."""
    with st.import_lock:
        with st.lock:
            cursor = st.ws.con.cursor()
        try:
            own = Workspace(st.ws.path, cursor, st.ws.config)
            results = connectors.sync(own)
            sent = outbox.send_due(own)  # what operators queued: replies, posts …
        finally:
            cursor.close()
            st.data_changed()  # the next request re-reads the data version: what came in shows at once
    st.sync_last = {"at": dt.datetime.now().isoformat(timespec="seconds"),
                    "results": [{"name": r.name, "batches": r.batches, "rows_read": r.rows_read, "stored": r.stored,
                                 "error": r.error, "scored": r.scored} for r in results],
                    "outbox": [{"action_id": s.action_id, "state": s.state} for s in sent]}  # fmt: skip
    return results


def _loop(st: WebState, every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        try:
            run_round(st)
        except Exception:  # noqa: BLE001 - a failed round is logged; the schedule goes on
            log.exception("connector sync failed; the next round runs in %.0f s", every)


def start(st: WebState) -> threading.Event | None:
    """Start the schedule when hudong.toml asks for one; the event stops it."""
    every = interval_seconds(st.ws)
    if every is None:
        return None
    stop = threading.Event()
    st.sync_every = every
    st.sync_thread = threading.Thread(target=_loop, args=(st, every, stop), name="hudong-sync", daemon=True)
    st.sync_thread.start()
    return stop


def stop(st: WebState, event: threading.Event | None, wait: float) -> None:
    if event is None:
        return
    event.set()
    if st.sync_thread is not None:
        st.sync_thread.join(wait)  # a round in progress finishes its batch; the process may end first


@router.get("/api/connectors", tags=["api"], summary="Connectors: state, last round, schedule",
            responses=errors(401, 403))  # fmt: skip
def api_connectors(request: Request, user: Importer) -> dict[str, Any]:
    st = state_of(request)
    with st.db() as ws:
        state = connectors.state(ws)
        names = list(connectors.configured(ws))
    rows = []
    for name in names:
        s = state.get(name) or {}
        rows.append({"name": name, "kind": s.get("kind"), "cursor": s.get("cursor"),
                     "last_run": s["last_run"].isoformat() if s.get("last_run") else None,
                     "last_ok": s["last_ok"].isoformat() if s.get("last_ok") else None,
                     "last_error": s.get("last_error"), "batches": s.get("batches", 0),
                     "rows_read": s.get("rows_read", 0)})  # fmt: skip
    return {"connectors": rows, "every_minutes": st.sync_every / 60 if st.sync_every else None,
            "last_round": st.sync_last}


@router.post("/api/connectors/sync", tags=["api"], summary="Run every connector once now",
             responses=errors(400, 401, 403, 422))  # fmt: skip
def api_sync_now(request: Request, user: Importer, x_csrf_token: Annotated[str | None, Header()] = None
                 ) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    run_round(state_of(request))
    return {"last_round": state_of(request).sync_last}
