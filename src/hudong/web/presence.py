"""Who has which inbox conversation open right now: the collision warning ("小王 is replying to this").

Each open conversation page pings ``POST /api/inbox/{id}/presence`` every few seconds (``typing`` while its
composer holds unsent text); a colleague seen within ``TTL`` seconds is shown. Memory only: one server process
owns the workspace, and presence is worthless after a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

TTL = 30.0  # seconds a ping keeps someone "here" (the page pings every 10 s)


@dataclass
class Seen:
    at: float
    typing: bool


class Presence:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._by_item: dict[str, dict[str, Seen]] = {}
        self._clock = clock

    def ping(self, item: str, user: str, *, typing: bool = False) -> list[dict[str, object]]:
        """Record that ``user`` has ``item`` open; the others who have it open (name, typing, seconds ago)."""
        now = self._clock()
        with self._lock:
            here = self._by_item.setdefault(item, {})
            here[user] = Seen(now, typing)
            for name in [n for n, s in here.items() if now - s.at > TTL]:
                del here[name]
            return [{"name": n, "typing": s.typing, "seconds": round(now - s.at)}
                    for n, s in sorted(here.items()) if n != user]

    def leave(self, item: str, user: str) -> None:
        with self._lock:
            self._by_item.get(item, {}).pop(user, None)

    def others(self, item: str, user: str) -> list[dict[str, object]]:
        """Who else has ``item`` open (without recording ``user``)."""
        now = self._clock()
        with self._lock:
            here = self._by_item.get(item, {})
            return [{"name": n, "typing": s.typing, "seconds": round(now - s.at)}
                    for n, s in sorted(here.items()) if n != user and now - s.at <= TTL]
