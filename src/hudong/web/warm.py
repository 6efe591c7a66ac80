"""Cache warming at server start: compute what the first visitors will ask for before they ask.

A cold `/content` on the 1M-interaction demo takes tens of seconds, and every other request queues behind it
(one workspace connection, one lock). The app's lifespan starts ``start_warming`` in a daemon thread: it fills
the cache (``web/cache.py``) for the current data version with, in the order of likely use, the scorecard and the
set-up status (the overview page, where a login lands), the filter choices, then every analytics page's unfiltered context in
Chinese (the default language) and then in English. Each item takes the workspace lock on its own, so requests
interleave between items; an item that fails is logged and skipped. Shutdown sets the stop event and the
thread ends before its next item.

``HUDONG_WEB_WARM=0`` disables it; the test suite sets that by default (``tests/conftest.py``), a test asks for
warming with ``create_app(..., warm=True)``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("hudong.web.warm")

WARM_LANGS = ("zh", "en")


def enabled_by_env() -> bool:
    return os.environ.get("HUDONG_WEB_WARM", "1").strip().lower() not in ("0", "false", "no", "off")


def plan(langs: tuple[str, ...] = WARM_LANGS) -> list[tuple[str, Callable[[Any], Any]]]:
    """(label, compute(state)) in warming order; each fills the same cache entry a request would."""
    from .analytics import PAGE_CONTEXTS, page_context
    from .filters import Filters, cached_choices

    items: list[tuple[str, Callable[[Any], Any]]] = [
        ("scorecard", lambda st: st.scorecard()),
        ("status", lambda st: st.status()),  # the overview's next-steps panel and /status
        ("filter-choices", cached_choices),
    ]
    for lang in langs:
        for page in PAGE_CONTEXTS:
            items.append((f"/{page}?lang={lang}", lambda st, p=page, lg=lang: page_context(st, p, lg, Filters())))
    return items


def warm(st: Any, stop: threading.Event, langs: tuple[str, ...] = WARM_LANGS) -> list[str]:
    """Compute every item of ``plan`` into ``st.cache`` unless ``stop`` is set; the labels done are appended
    to ``st.warmed`` as they finish (and returned)."""
    done = st.warmed
    for label, compute in plan(langs):
        with st.lock:  # checked under the lock: shutdown sets ``stop`` before taking it to close the workspace
            if stop.is_set():
                break
            try:
                compute(st)
            except Exception:  # one broken page must not keep the others cold
                log.exception("cache warming: %s failed", label)
                continue
        done.append(label)
    log.info("cache warming: %d items done", len(done))
    return done


def start_warming(st: Any) -> tuple[threading.Thread, threading.Event]:
    """Start ``warm`` in a daemon thread (startup does not wait for it)."""
    stop = threading.Event()
    thread = threading.Thread(target=warm, args=(st, stop), name="hudong-cache-warm", daemon=True)
    thread.start()
    return thread, stop
