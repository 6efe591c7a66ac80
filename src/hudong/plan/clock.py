"""The calendar's and the experiments' notion of "now": the wall clock, or a time put in force for one block.

``with clock.at(when):`` replays history at the time it happened (the demo builds six past months of plans and
experiments that way; tests pin a moment). A context variable, so threads and tasks do not see each other's time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_AT: ContextVar[dt.datetime | None] = ContextVar("hudong_plan_clock", default=None)


def now() -> dt.datetime:
    """Local time without microseconds (what the tables store)."""
    return (_AT.get() or dt.datetime.now()).replace(microsecond=0, tzinfo=None)


@contextmanager
def at(when: dt.datetime) -> Iterator[dt.datetime]:
    token = _AT.set(when)
    try:
        yield when
    finally:
        _AT.reset(token)
