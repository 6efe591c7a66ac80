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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import RedirectResponse, Response

from hudong import connectors
from hudong.connectors import outbox
from hudong.errors import HudongError
from hudong.store.workspace import Workspace

from .auth import User
from .pages import TEXT, render
from .state import WebState, check_csrf, errors, require, state_of

log = logging.getLogger("hudong.web.sync")
TEXT.update({
    "connectors": ("平台连接", "Connectors"),
    "connector_type": ("类型", "Type"),
    "last_ok": ("最近成功", "Last success"),
    "lag": ("数据延迟", "Lag"),
    "batches": ("批次", "Batches"),
    "paused": ("已暂停", "Paused"),
    "paused_hint": ("凭证被平台拒绝：更新凭证后运行 hudong connect {name}",
                    "the platform refused the credentials: set new ones, then run hudong connect {name}"),
    "never": ("从未", "never"),
    "sync_now": ("立即同步", "Sync now"),
    "sync_every": ("服务器每 {minutes} 分钟同步一次", "The server syncs every {minutes} minutes"),
    "sync_on_demand": ("未设置定时同步（hudong.toml [sync] every_minutes）",
                       "No schedule: sync on demand ([sync] every_minutes in hudong.toml)"),
    "no_connectors": ("尚未配置连接：见 docs/connectors.md", "No connectors configured: see docs/connectors.md"),
    "last_round": ("最近一轮", "Last round"),
})  # fmt: skip
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


@contextmanager
def worker(st: WebState) -> Iterator[Workspace]:
    """The workspace on a DuckDB cursor of its own, for work that waits on a platform (a sync round, sending a
    reply): requests keep reading meanwhile. One worker at a time (``import_lock``, shared with the uploads), so
    the outbox has a single sender and an action is never picked up twice."""
    with st.import_lock:
        with st.lock:
            cursor = st.ws.con.cursor()
        try:
            yield Workspace(st.ws.path, cursor, st.ws.config)
        finally:
            cursor.close()
            st.data_changed()  # the next request re-reads the data version: what came in shows at once


def run_round(st: WebState) -> list[Any]:
    """One sync of every connector, then the outbox; what each did."""
    with worker(st) as own:
        results = connectors.sync(own)
        sent = outbox.send_due(own)  # what operators queued: replies, posts …
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
        rows = connectors.status(ws)
    for r in rows:
        r["last_run"] = r["last_run"].isoformat() if r["last_run"] else None
        r["last_ok"] = r["last_ok"].isoformat() if r["last_ok"] else None
    return {"connectors": rows, "every_minutes": st.sync_every / 60 if st.sync_every else None,
            "last_round": st.sync_last}


@router.get("/connectors", include_in_schema=False)
def connectors_page(request: Request, user: Importer) -> Response:
    st = state_of(request)
    with st.db() as ws:
        rows = connectors.status(ws)
    return render(request, "connectors.html", user=user, connectors=rows, last_round=st.sync_last,
                  every_minutes=st.sync_every / 60 if st.sync_every else None)


@router.post("/connectors/sync", include_in_schema=False)
def sync_form(request: Request, user: Importer, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    run_round(state_of(request))
    return RedirectResponse("/connectors", status_code=303)


@router.post("/api/connectors/sync", tags=["api"], summary="Run every connector once now",
             responses=errors(400, 401, 403, 422))  # fmt: skip
def api_sync_now(request: Request, user: Importer, x_csrf_token: Annotated[str | None, Header()] = None
                 ) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    run_round(state_of(request))
    return {"last_round": state_of(request).sync_last}
