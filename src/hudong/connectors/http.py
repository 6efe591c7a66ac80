"""HTTP for live connectors: one request policy (timeouts, retries with jitter, the platform's rate-limit headers).

Every platform API call of a connector goes through ``Http.request``:

- a timeout, a dropped connection, 429 and 5xx are retried up to ``tries`` times, waiting exponentially longer
  with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"), or what the platform asked for:
  ``Retry-After`` (RFC 9110 §10.2.3, seconds or a date) or a rate-limit reset (``ratelimit-reset`` /
  ``x-ratelimit-reset``: Bluesky sends an epoch time, Mastodon an ISO 8601 time, Reddit seconds to wait);
- when a response says no requests are left in the window (``ratelimit-remaining: 0``) the next request waits
  for the reset instead of being refused;
- a wait longer than ``max_wait`` is not slept through: ``Retry`` is raised with ``after`` so the caller (the
  sync round or the outbox worker) comes back later; nothing is lost, the cursor was not moved.

Other statuses are returned to the connector, which knows what its platform's errors mean.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from hudong.connectors.base import Retry

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_RESET_HEADERS = ("ratelimit-reset", "x-ratelimit-reset")
_REMAINING_HEADERS = ("ratelimit-remaining", "x-ratelimit-remaining")


def wait_asked(headers: httpx.Headers, now: float | None = None, *, rate_limited: bool = True) -> float | None:
    """Seconds the platform asked to wait: ``Retry-After``, else — when the request was rate limited (a 429, or
    no requests left in the window) — the rate-limit reset header. A reset header on an ordinary error says only
    when the window ends (Reddit sends it on every response): it is no reason to wait. None: it did not say."""
    now = time.time() if now is None else now
    value = headers.get("retry-after")
    if value:
        return _seconds(value, now)
    if not (rate_limited or exhausted(headers)):
        return None
    for h in _RESET_HEADERS:
        if headers.get(h):
            return _seconds(headers[h], now)
    return None


def _seconds(value: str, now: float) -> float | None:
    value = value.strip()
    try:
        n = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)  # an HTTP date
        except (TypeError, ValueError):
            try:  # an ISO 8601 time (Mastodon's X-RateLimit-Reset)
                when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, when.timestamp() - now)
    # A number is a delay in seconds, or an epoch time when it is larger than any sensible delay (Bluesky).
    return max(0.0, n - now) if n > 1e9 else max(0.0, n)


def exhausted(headers: httpx.Headers) -> bool:
    for h in _REMAINING_HEADERS:
        v = headers.get(h)
        if v is not None:
            try:
                return float(v) <= 0
            except ValueError:
                return False
    return False


class Http:
    """A platform's HTTP client with hudong's request policy (see the module doc)."""

    def __init__(self, base_url: str, *, who: str, timeout: float = 20.0, tries: int = 5, first_wait: float = 0.5,
                 max_wait: float = 60.0, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep, headers: dict[str, str] | None = None):
        self.who, self.tries, self.first_wait, self.max_wait, self.sleep = who, tries, first_wait, max_wait, sleep
        self.client = httpx.Client(base_url=base_url, timeout=timeout, transport=transport,
                                   headers={"user-agent": "hudong (+https://github.com/hudong)", **(headers or {})})
        self._not_before = 0.0  # monotonic time before which the rate-limit window is exhausted
        self.requests = 0

    def close(self) -> None:
        self.client.close()

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > self.max_wait:
            raise Retry(f"{self.who}: {why}; asked to wait {seconds:.0f} s", after=seconds)
        if seconds > 0:
            self.sleep(seconds)

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        """Send with retries; the response of the first attempt that is not retried (any status but 429/5xx)."""
        last = ""
        for attempt in range(1, self.tries + 1):
            self._wait(self._not_before - time.monotonic(), "rate limit reached")
            asked: float | None = None
            try:
                self.requests += 1
                r = self.client.request(method, url, **kw)
            except (httpx.TimeoutException, httpx.TransportError) as e:
                last = f"{type(e).__name__}: {e}"
            else:
                if exhausted(r.headers):
                    reset = wait_asked(r.headers)
                    if reset:
                        self._not_before = time.monotonic() + reset
                if r.status_code not in RETRY_STATUSES:
                    return r
                last = f"HTTP {r.status_code} {r.text[:200]}"
                asked = wait_asked(r.headers, rate_limited=r.status_code == 429)
            if attempt == self.tries:
                break
            backoff = random.uniform(0, self.first_wait * 2 ** (attempt - 1))  # full jitter
            self._wait(asked if asked is not None else backoff, f"{method} {url}: {last}")
        raise Retry(f"{self.who}: {method} {url} failed {self.tries} times: {last}")
