"""Server-side sessions and sign-in throttling of the web workspace (tables in ``store/schema.py`` APP_TABLES).

Sessions (``web_sessions``): the browser's cookie carries only a random session id (256 bits); the table keeps its
SHA-256, the user, the session's CSRF token and three times: signed in, last request, absolute end. A session is
valid while it is in the table, before its absolute end (``[web] session_hours``, 12), within the idle timeout
(``[web] session_idle_minutes``, 120) of its last request and while its user exists and is enabled. Signing out
deletes it; a password change or reset, disabling or removing the user deletes all of the user's sessions, so a
copied cookie stops working at once.

Throttling (``web_login_throttle``): failed sign-ins are counted per user name tried (whether or not it exists,
so the answers do not tell) and per client address, in a window (``[web] login_window_minutes``, 15). At
``login_max_failures`` (5) for a name or ``login_max_failures_per_address`` (20) for an address, that name or
address is locked for ``login_lock_minutes`` (15), doubled for each further lockout in a row, at most
``login_lock_max_minutes`` (1440). While locked, sign-ins are refused without checking the password (HTTP 429 with
Retry-After); a successful sign-in clears the name's count. Times are UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass
from typing import Any

import duckdb

from hudong.errors import HudongError
from hudong.store import schema as S

DDL = tuple(S.ddl(S.APP_TABLES[t]) for t in ("web_sessions", "web_login_throttle"))

DEFAULTS: dict[str, float] = {
    "session_hours": 12,
    "session_idle_minutes": 120,
    "login_max_failures": 5,
    "login_max_failures_per_address": 20,
    "login_window_minutes": 15,
    "login_lock_minutes": 15,
    "login_lock_max_minutes": 24 * 60,
}
MAX_SUBJECT = 200  # a tried user name is stored truncated (names are at most 64 characters)


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Settings:
    session: dt.timedelta
    idle: dt.timedelta
    max_failures: int
    max_failures_per_address: int
    window: dt.timedelta
    lock: dt.timedelta
    lock_max: dt.timedelta

    @classmethod
    def of(cls, ws: Any) -> Settings:
        """The ``[web]`` settings of workspace ``ws`` (read on every use: an edit of the config applies at once
        in tests; the server reads hudong.toml when it starts)."""

        def get(key: str) -> float:
            value = float(ws.setting(f"web.{key}", DEFAULTS[key]))
            if not value > 0:
                raise HudongError(f"[web] {key} must be a positive number, got {value}")
            return value

        return cls(
            session=dt.timedelta(hours=get("session_hours")),
            idle=dt.timedelta(minutes=get("session_idle_minutes")),
            max_failures=max(1, int(get("login_max_failures"))),
            max_failures_per_address=max(1, int(get("login_max_failures_per_address"))),
            window=dt.timedelta(minutes=get("login_window_minutes")),
            lock=dt.timedelta(minutes=get("login_lock_minutes")),
            lock_max=dt.timedelta(minutes=get("login_lock_max_minutes")),
        )


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


# ---- sessions ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    user: str
    csrf: str
    expires_at: dt.datetime


def start(con: duckdb.DuckDBPyConnection, user: str, client: str, settings: Settings,
          now: dt.datetime | None = None) -> tuple[str, Session]:  # fmt: skip
    """A new session for ``user``: (the id for the cookie, the session). Only the id's hash is stored."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    s = Session(user, secrets.token_urlsafe(24), now + settings.session)
    con.execute(
        "INSERT INTO web_sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
        [_hash(session_id), user, s.csrf, now, now, s.expires_at, client[:MAX_SUBJECT]],
    )
    # Expired sessions are removed here (sign-ins are rare enough; nothing else needs a sweeper).
    con.execute(
        "DELETE FROM web_sessions WHERE expires_at <= ? OR last_seen < ?", [now, now - settings.idle]
    )
    return session_id, s


def lookup(con: duckdb.DuckDBPyConnection, session_id: str, settings: Settings,
           now: dt.datetime | None = None) -> Session | None:  # fmt: skip
    """The valid session with this id, else None (an expired one is deleted). Refreshes its last request time
    (at most every tenth of the idle timeout, and at least every minute)."""
    if not session_id or len(session_id) > 100:
        return None
    now = now or utcnow()
    h = _hash(session_id)
    row = con.execute(
        "SELECT s.user_name, s.csrf, s.expires_at, s.last_seen, u.name IS NOT NULL FROM web_sessions s "
        "LEFT JOIN web_users u ON u.name = s.user_name AND NOT u.disabled WHERE s.session_hash = ?",
        [h],
    ).fetchone()
    if row is None:
        return None
    user, csrf, expires_at, last_seen, enabled = row
    if not enabled or now >= expires_at or now - last_seen > settings.idle:
        con.execute("DELETE FROM web_sessions WHERE session_hash = ?", [h])
        return None
    if now - last_seen > min(settings.idle / 10, dt.timedelta(minutes=1)):
        con.execute("UPDATE web_sessions SET last_seen = ? WHERE session_hash = ?", [now, h])
    return Session(user, csrf, expires_at)


def end(con: duckdb.DuckDBPyConnection, session_id: str) -> None:
    con.execute("DELETE FROM web_sessions WHERE session_hash = ?", [_hash(session_id)])


def end_all(con: duckdb.DuckDBPyConnection, user: str) -> int:
    """Delete every session of ``user``; returns how many there were."""
    ensure_tables(con)
    n = con.execute("SELECT count(*) FROM web_sessions WHERE user_name = ?", [user]).fetchone()[0]
    con.execute("DELETE FROM web_sessions WHERE user_name = ?", [user])
    return int(n)


# ---- throttling -------------------------------------------------------------------------------------------
KINDS = ("user", "client")


def _subjects(name: str, client: str, kinds: tuple[str, ...]) -> list[tuple[str, str]]:
    subjects = {"user": name.strip()[:MAX_SUBJECT], "client": client[:MAX_SUBJECT]}
    return [(k, subjects[k]) for k in kinds]


def locked_for(con: duckdb.DuckDBPyConnection, name: str, client: str, now: dt.datetime | None = None,
               kinds: tuple[str, ...] = KINDS) -> float:  # fmt: skip
    """Seconds until a sign-in as ``name`` from ``client`` is allowed again (0: allowed now); ``kinds``: check
    only the address (API tokens have no name)."""
    now = now or utcnow()
    waits = [0.0]
    for kind, subject in _subjects(name, client, kinds):
        row = con.execute(
            "SELECT locked_until FROM web_login_throttle WHERE kind = ? AND subject = ?", [kind, subject]
        ).fetchone()
        if row and row[0] is not None and row[0] > now:
            waits.append((row[0] - now).total_seconds())
    return max(waits)


@dataclass(frozen=True)
class Lockout:
    kind: str  # user | client
    subject: str
    seconds: float
    failures: int


def failed(con: duckdb.DuckDBPyConnection, name: str, client: str, settings: Settings,
           now: dt.datetime | None = None, kinds: tuple[str, ...] = KINDS) -> list[Lockout]:  # fmt: skip
    """Count one failed sign-in for the name and the address (``kinds``: only the address, for a wrong API
    token); returns the lockouts it started."""
    now = now or utcnow()
    started = []
    for kind, subject in _subjects(name, client, kinds):
        limit = settings.max_failures if kind == "user" else settings.max_failures_per_address
        row = con.execute(
            "SELECT failures, window_start, lockouts, locked_until FROM web_login_throttle "
            "WHERE kind = ? AND subject = ?",
            [kind, subject],
        ).fetchone()
        failures, window_start, lockouts, locked_until = row if row else (0, now, 0, None)
        if now - window_start > settings.window:
            failures, window_start = 0, now
        if locked_until is not None and now - locked_until > settings.lock_max:
            lockouts = 0  # a quiet day after the last lock: the next one is short again
        failures += 1
        if failures >= limit:
            seconds = min(settings.lock.total_seconds() * 2**lockouts, settings.lock_max.total_seconds())
            locked_until, lockouts = now + dt.timedelta(seconds=seconds), lockouts + 1
            started.append(Lockout(kind, subject, seconds, failures))
            failures, window_start = 0, now
        con.execute(
            "INSERT OR REPLACE INTO web_login_throttle VALUES (?, ?, ?, ?, ?, ?, ?)",
            [kind, subject, failures, window_start, locked_until, lockouts, now],
        )
    # Rows with nothing left to remember go (a spray of made-up names must not grow the table for ever).
    con.execute(
        "DELETE FROM web_login_throttle WHERE last_failure < ? AND coalesce(locked_until, last_failure) < ?",
        [now - max(settings.window, settings.lock_max), now - settings.lock_max],
    )
    return started


def succeeded(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """A successful sign-in clears the name's count and lockouts (not the address's: one good password must not
    reset a spray from that address)."""
    con.execute("DELETE FROM web_login_throttle WHERE kind = 'user' AND subject = ?", [name.strip()[:MAX_SUBJECT]])


def retry_after(seconds: float) -> int:
    return max(1, math.ceil(seconds))
