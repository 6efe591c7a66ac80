"""Connectors kept in sync by the server: while `hudong serve` holds the workspace, it runs every connector of
hudong.toml, then sends what the outbox holds due (``hudong.connectors.outbox``), every ``[sync] every_minutes`` (one process owns the DuckDB file; `hudong sync` sent to a running
server runs there too, through ``cli_remote``). A connector with a stream (``Connector.watch``: Bluesky's
firehose or a Jetstream, Mastodon's streaming API) is also synced as soon as its stream says something concerns
the account — and once more a few seconds later, for platforms whose read side indexes after the event.

Each round runs ``hudong.connectors.sync`` on a DuckDB cursor of its own, one import at a time with the uploads
(``WebState.import_lock``), so requests keep reading the last committed data meanwhile; a round that fails is
logged and the next one runs as planned. ``GET /api/connectors`` shows each connector's state and the schedule.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import RedirectResponse, Response

from hudong import connectors
from hudong.connectors import outbox
from hudong.connectors.base import CONNECTED
from hudong.errors import HudongError
from hudong.plan import publishing
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
    "stream": ("实时推送", "stream"),
    "stream_connecting": ("连接中", "connecting"),
    "stream_open": ("已连接", "open"),
    "stream_reconnecting": ("重连中（期间按计划轮询）", "reconnecting (polling meanwhile)"),
    "stream_stopped": ("已停止", "stopped"),
    "stream_events": ("{n} 个事件", "{n} events"),
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


STREAM_DEBOUNCE = 0.5  # seconds: the events of a burst make one sync
STREAM_FOLLOW_UP = 3.0  # seconds: a second sync, for a platform whose read side indexes after its stream speaks
STREAM_MAX_BACKOFF = 300.0  # seconds between reconnections of a stream that keeps failing


def run_round(st: WebState, names: list[str] | None = None) -> list[Any]:
    """One sync of every connector (or of ``names``: those whose stream spoke), then the outbox; what each did."""
    with worker(st) as own:
        results = connectors.sync(own) if names is None else [r for n in names for r in connectors.sync(own, n)]
        planned = publishing.queue_due(own)  # the calendar's items whose time has come (hudong.plan.publishing)
        sent = outbox.send_due(own)  # what operators queued: replies, posts …
        publishing.finish(own, planned)  # settle, reconcile, mark missed, alert the owners
    st.sync_last = {"at": dt.datetime.now().isoformat(timespec="seconds"),
                    "trigger": "schedule" if names is None else "stream",
                    "results": [{"name": r.name, "batches": r.batches, "rows_read": r.rows_read, "stored": r.stored,
                                 "error": r.error, "scored": r.scored} for r in results],
                    "outbox": [{"action_id": s.action_id, "state": s.state} for s in sent],
                    "plan": {"queued": planned.queued, "reminded": planned.reminded, "published": planned.published,
                             "failed": planned.failed, "missed": planned.missed}}  # fmt: skip
    return results


class Schedule:
    """When the next sync is due: the whole round every ``every`` seconds, and one connector soon after its stream
    spoke (``nudge``: once after ``STREAM_DEBOUNCE``, again after ``STREAM_FOLLOW_UP``)."""

    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic):
        self.every, self.clock = every, clock
        self.cond = threading.Condition()
        self.next_round = clock() + every  # every = inf: no schedule, only nudges
        self.due: dict[str, list[float | None]] = {}  # name → [the debounced sync, the follow-up]

    def nudge(self, name: str, *, follow_up: bool = True) -> None:
        """Sync ``name`` soon (and once more later, unless the event itself carried the data: a pushed message)."""
        with self.cond:
            now = self.clock()
            first, follow = self.due.get(name, [None, None])
            self.due[name] = [min(first or now + STREAM_DEBOUNCE, now + STREAM_DEBOUNCE),
                              max(follow or 0.0, now + STREAM_FOLLOW_UP) if follow_up else follow]  # fmt: skip
            self.cond.notify_all()

    def wake(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def next(self, stop: threading.Event) -> tuple[bool, list[str]]:
        """Wait until something is due: (True, []) for the whole round, (False, names) for streamed connectors,
        (False, []) when ``stop`` is set."""
        with self.cond:
            while not stop.is_set():
                now = self.clock()
                if self.next_round <= now:
                    self.next_round = now + self.every
                    self.due.clear()  # the round syncs them all
                    return True, []
                names = [n for n, times in self.due.items() if any(t is not None and t <= now for t in times)]
                if names:
                    for n in names:
                        self.due[n] = [t if t is not None and t > now else None for t in self.due[n]]
                    return False, names
                pending = [t for times in self.due.values() for t in times if t is not None]
                soonest = min([self.next_round, *pending])
                self.cond.wait(None if soonest == math.inf else soonest - now)  # no schedule: until nudged
            return False, []


def _loop(st: WebState, sched: Schedule, stop: threading.Event) -> None:
    while True:
        whole, names = sched.next(stop)
        if stop.is_set():
            return
        try:
            run_round(st, None if whole else names)
        except Exception:  # noqa: BLE001 - a failed round is logged; the schedule goes on
            log.exception("connector sync failed; the schedule goes on")


def _watch(st: WebState, name: str, sched: Schedule, stop: threading.Event) -> None:
    """Keep ``name``'s stream open; each event nudges the schedule. A failing stream is reopened after 1 s,
    doubling up to ``STREAM_MAX_BACKOFF``; the schedule's polling goes on meanwhile."""
    info = st.sync_streams[name]
    delay = 1.0
    while not stop.is_set():
        try:
            with st.lock:
                c = connectors.connector(st.ws, name)
            for why in c.watch(stop):
                if why == CONNECTED:  # open (again): catch up with what happened while it was not
                    info.update(state="open", error=None)
                    sched.nudge(name, follow_up=False)
                    continue
                sched.nudge(name)
                info.update(events=info["events"] + 1, last_event=why,
                            last_event_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))  # fmt: skip
                delay = 1.0
        except Exception as e:  # noqa: BLE001 - any failure of a stream only means polling until it is back
            info.update(state="reconnecting", error=str(e) or type(e).__name__, drops=info["drops"] + 1)
            log.warning("stream of connector %s: %s; reconnecting in %.0f s", name, info["error"], delay)
        if stop.wait(delay):
            break
        delay = min(delay * 2, STREAM_MAX_BACKOFF)
    info["state"] = "stopped"


def start(st: WebState) -> threading.Event:
    """Start the sync thread: the schedule when hudong.toml asks for one, and the streams of the connectors that
    have one (unless ``[sync] stream = false``); without a schedule it only syncs what is nudged (a pushed WeChat
    message). The event stops them."""
    every = interval_seconds(st.ws)
    stop = threading.Event()
    st.sync_every = every
    st.sync_schedule = sched = Schedule(every if every is not None else math.inf)
    st.sync_thread = threading.Thread(target=_loop, args=(st, sched, stop), name="hudong-sync", daemon=True)
    st.sync_thread.start()
    if every is not None and st.ws.setting("sync.stream", True):
        kinds = connectors.kinds()
        for name, settings in connectors.configured(st.ws).items():
            cls = kinds.get(settings.get("type"))
            if cls is not None and cls.streams:
                st.sync_streams[name] = {"state": "connecting", "events": 0, "drops": 0, "last_event": None,
                                         "last_event_at": None, "error": None}  # fmt: skip
                threading.Thread(target=_watch, args=(st, name, sched, stop), name=f"hudong-stream-{name}",
                                 daemon=True).start()  # fmt: skip
    return stop


def stop(st: WebState, event: threading.Event, wait: float) -> None:
    event.set()
    if st.sync_schedule is not None:
        st.sync_schedule.wake()
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
            "last_round": st.sync_last, "streams": st.sync_streams}


@router.get("/connectors", include_in_schema=False)
def connectors_page(request: Request, user: Importer) -> Response:
    st = state_of(request)
    with st.db() as ws:
        rows = connectors.status(ws)
    return render(request, "connectors.html", user=user, connectors=rows, last_round=st.sync_last,
                  every_minutes=st.sync_every / 60 if st.sync_every else None, streams=st.sync_streams)


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
