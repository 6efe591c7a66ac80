"""Cache warming at server start: compute what the first visitors will ask for before they ask.

A cold `/content` on the 1M-interaction demo takes tens of seconds. The app's lifespan starts ``start_warming``
in a daemon thread: it fills the cache (``web/cache.py``) for the current data version with, in the order of
likely use, the scorecard (the overview page, where a login lands), the filter choices, then every analytics
page's unfiltered context in Chinese (the default language) and then in English; an item that fails is logged
and skipped.

It never holds up a request or the shutdown:
- it works on a DuckDB cursor of its own (``ws.con.cursor()``: a separate connection to the same database, which
  DuckDB allows one per thread) and never takes the request lock, so a login or a page computes while a warming
  item runs, however long that item takes (issue #19: one item took minutes and every login waited for it);
- shutdown (``stop_warming``) sets the stop event, interrupts the cursor's running query and waits at most a
  couple of seconds; a thread still busy in Python code then closes the workspace itself when its item ends,
  and `hudong serve` exits without waiting for it (``cli._serve``).
The set-up status (the overview's next-steps panel, `/status`) is warmed right after the scorecard.

``HUDONG_WEB_WARM=0`` disables it; the test suite sets that by default (``tests/conftest.py``), a test asks for
warming with ``create_app(..., warm=True)``.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from hudong.store.workspace import Workspace

from .analytics import PAGE_CONTEXTS, page_context
from .filters import Filters, cached_choices

log = logging.getLogger("hudong.web.warm")

WARM_LANGS = ("zh", "en")
_HANDOFF = threading.Lock()  # who closes the workspace at shutdown: the app, or the warming thread as it ends


_FROZEN: set[str] = set()


def freeze_once(stage: str) -> None:
    """Take what is alive now out of the cyclic garbage collector's walks (``gc.freeze``), once per process and
    stage ("started", "warmed"): a full collection otherwise walks the long-lived modules, models and cached frames
    on a request's time — ≈0.2 s, measured as the p95 of a busy calendar page — where frozen it takes ≈1 ms. Once:
    a process that makes many apps (the tests) does not keep every later app's garbage frozen."""
    if stage not in _FROZEN:
        _FROZEN.add(stage)
        gc.freeze()


def enabled_by_env() -> bool:
    return os.environ.get("HUDONG_WEB_WARM", "1").strip().lower() not in ("0", "false", "no", "off")


def plan(langs: tuple[str, ...] = WARM_LANGS) -> list[tuple[str, Callable[[Any, Any], Any]]]:
    """(label, compute(state, ws)) in warming order; each fills the same cache entry a request would, computed
    on ``ws`` (the warming's workspace on its own cursor)."""
    items: list[tuple[str, Callable[[Any, Any], Any]]] = [
        ("scorecard", lambda st, ws: st.scorecard(ws)),
        ("filter-choices", lambda st, ws: cached_choices(st, ws)),
        ("status", lambda st, ws: st.status(ws)),  # the overview's next-steps panel and /status
        ("text-domain", lambda st, ws: st.text_domain(ws)),  # the overview's model-fit warning
    ]
    for lang in langs:
        for page in PAGE_CONTEXTS:
            items.append(
                (f"/{page}?lang={lang}", lambda st, ws, p=page, lg=lang: page_context(st, p, lg, Filters(), ws))
            )
    return items


def _own_workspace(st: Any) -> Any:
    """The server's workspace on a new DuckDB cursor (taken under the request lock, for an instant)."""
    with st.lock:
        con = st.ws.con.cursor()
    return Workspace(st.ws.path, con, st.ws.config)


def warm(st: Any, stop: threading.Event, langs: tuple[str, ...] = WARM_LANGS) -> list[str]:
    """Compute every item of ``plan`` into ``st.cache`` unless ``stop`` is set; the labels done are appended
    to ``st.warmed`` as they finish (and returned)."""
    done = st.warmed
    try:
        ws = _own_workspace(st)
    except Exception:  # the workspace closed under us (shutdown right at start-up)
        log.warning("cache warming: no workspace cursor; not warming")
        return done
    st.warm_con = ws.con
    try:
        for label, compute in plan(langs):
            if stop.is_set():
                break
            try:
                compute(st, ws)
            except Exception:  # one broken page must not keep the others cold
                if stop.is_set():  # interrupted by the shutdown
                    break
                log.exception("cache warming: %s failed", label)
                continue
            done.append(label)
    finally:
        st.warm_con = None
        with contextlib.suppress(Exception):  # closing at shutdown; nothing left to do with it
            ws.con.close()
        with _HANDOFF:
            st.warm_finished = True
            close = st.close_after_warming
        if close:  # shutdown did not wait for this thread: the workspace is closed here
            with st.lock:
                st.ws.close()
    freeze_once("warmed")  # what warming loaded and cached lives as long as the app
    log.info("cache warming: %d items done", len(done))
    return done


def start_warming(st: Any) -> tuple[threading.Thread, threading.Event]:
    """Start ``warm`` in a daemon thread (startup does not wait for it)."""
    stop = threading.Event()
    thread = threading.Thread(target=warm, args=(st, stop), name="hudong-cache-warm", daemon=True)
    thread.start()
    return thread, stop


def stop_warming(st: Any, stop: threading.Event, wait: float = 2.0) -> bool:
    """Stop the warming: set ``stop``, interrupt its running query (again every 0.1 s: the next one too) and
    wait up to ``wait`` seconds. True when the thread has ended; else it is busy in Python code and will close
    the workspace itself when its item ends (``st.close_after_warming``)."""
    stop.set()
    thread = st.warm_thread
    deadline = time.monotonic() + wait
    while thread is not None and thread.is_alive() and time.monotonic() < deadline:
        con = st.warm_con
        if con is not None:
            with contextlib.suppress(Exception):  # already closed by the thread
                con.interrupt()
        thread.join(0.1)
    if thread is None:
        return True
    with _HANDOFF:
        if getattr(st, "warm_finished", False) or not thread.is_alive():
            return True
        st.close_after_warming = True
    log.warning("cache warming: still busy at shutdown; not waiting for it")
    return False
