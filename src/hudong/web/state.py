"""What every request of the web app shares and checks: the workspace state (``WebState``, reached through
``state_of(request)``), the signed-in user (``current_user``, ``require``), CSRF, the cookies and the error
shapes. The page modules import this; ``app.py`` builds the application from them.

The workspace DuckDB connection is shared by every request and guarded by one lock (DuckDB connections are
not safe for concurrent use); the server therefore holds the workspace open for writing, so stop it before
running `hudong import` on the same directory. The start-up cache warming works on a cursor of its own, without
that lock (web/warm.py).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel, Field

from hudong import analyses
from hudong.decide.scorecard import build_scorecard
from hudong.decide.status import build_status
from hudong.inbox import items as inbox
from hudong.plan import clock, experiments
from hudong.store.workspace import Workspace

from . import auth, sessions
from .cache import VersionedCache, data_version
from .presence import Presence

VERSION_TTL = 1.0  # seconds a read data version is trusted (writes through db(write=True) reset it)
SHUTDOWN_WAIT = 2.0  # seconds shutdown waits for the cache warming to stop and for a request to let go

SESSION_COOKIE = "hudong_session"  # a random session id (web/sessions.py); the server keeps its hash
LOGIN_COOKIE = "hudong_login"  # before sign-in: the login form's CSRF token, signed (no server state)
LANG_COOKIE = "hudong_lang"
LOGIN_CSRF_MAX_AGE = 12 * 3600
HSTS = "max-age=31536000; includeSubDomains"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class ErrorOut(BaseModel):
    """Every API error: ``{"error": "..."}``; a 422 adds ``details`` (where, problem) per invalid field."""

    error: str = Field(description="what went wrong, in words")
    details: list[dict[str, str]] | None = Field(default=None, description="422: one {where, problem} per field")


ERROR_MEANING = {
    400: "Bad parameter: an unknown filter value, status, dimension, action or label, a malformed item id, a date "
    "outside 1970-01-01 – 2100-12-31 or start after end (the message names the parameter)",
    401: "Not authenticated: no or a wrong Bearer token, or no session (a signed-out, expired or revoked one)",
    403: "Forbidden: the role may not do this (the message names the roles that may), or a missing/wrong CSRF "
    "token on a cookie-authenticated POST",
    404: "Not found: unknown metric, inbox item, import job or batch",
    422: "Malformed request: a parameter of the wrong type or out of its bounds (e.g. offset, limit), or a body "
    "that does not match its schema",
    429: "Too many failed sign-ins (wrong passwords or API tokens) from this address: wait the Retry-After "
    "seconds",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an API route: these error statuses with the ``ErrorOut`` body, in /openapi.json.
    Every API route can answer 401 and 429 (authentication), so they are always included."""
    return {code: {"model": ErrorOut, "description": ERROR_MEANING[code]} for code in sorted({*codes, 401, 429})}


class NotAuthenticated(Exception):
    """No valid session or token: pages redirect to the login page, the API answers 401."""


class TooManyAttempts(Exception):
    """Too many failed sign-ins from this address (or as this name): 429 with Retry-After."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.retry_after = sessions.retry_after(seconds)


class Forbidden(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class WebState:
    """What every request shares: the workspace, its lock, the cookie signer, the result cache, the warming and
    the import jobs. Declared here, all of it: ``__slots__`` refuses an attribute set anywhere else."""

    __slots__ = ("ws", "lock", "signer", "fixed_now", "cache", "_version", "_version_at", "warmed", "warm_thread",
                 "on_shutdown", "warm_con", "close_after_warming", "warm_finished", "import_jobs", "import_lock",
                 "sync_thread", "sync_every", "sync_last", "sync_schedule", "sync_streams", "presence")

    def __init__(self, ws: Workspace, now: dt.datetime | None = None):
        self.ws = ws
        self.lock = threading.RLock()
        self.signer = URLSafeTimedSerializer(auth.session_secret(ws.key), salt="hudong-login-csrf")
        self.fixed_now = now
        self.cache = VersionedCache()
        self._version: tuple[Any, ...] = ()
        self._version_at: float | None = None  # monotonic time the data version was read; None: read it again
        self.warmed: list[str] = []  # cache items computed by the start-up warming (web/warm.py)
        self.warm_thread: threading.Thread | None = None
        self.on_shutdown: list[Callable[[], None]] = []  # run first when the app stops (e.g. the CLI socket)
        self.warm_con: Any = None  # the warming thread's DuckDB cursor while it runs
        self.close_after_warming = False  # shutdown left closing the workspace to the warming thread
        self.warm_finished = False
        self.import_jobs: dict[str, Any] = {}  # upload import jobs by id (web/uploads.py), newest last
        self.import_lock = threading.Lock()  # imports run one at a time
        self.sync_thread: threading.Thread | None = None  # the connectors' schedule (web/sync.py)
        self.sync_every: float | None = None  # seconds between its rounds
        self.sync_last: dict[str, Any] | None = None  # what the last round did
        self.sync_schedule: Any = None  # when the next sync is due (web/sync.py Schedule)
        self.sync_streams: dict[str, dict[str, Any]] = {}  # each streaming connector's stream: state, events, error
        self.presence = Presence()  # who has which inbox conversation open (web/presence.py)

    @contextmanager
    def db(self, write: bool = False) -> Iterator[Workspace]:
        """The workspace, one request at a time; ``write=True`` for anything that changes its data (imports), so
        the next read re-reads the data version at once."""
        with self.lock:
            try:
                yield self.ws
            finally:
                if write:
                    self._version_at = None

    def data_changed(self) -> None:
        """Data was written outside ``db(write=True)`` (an import on its own cursor): re-read the version."""
        with self.lock:
            self._version_at = None

    def data_version(self) -> tuple[Any, ...]:
        """The workspace's data version (cache.data_version), re-read at most every VERSION_TTL seconds and after
        every ``db(write=True)``. While the server runs it holds the DuckDB file for writing, so its own writes
        are the only ones; the query cost ≈3 ms, half of a cached page's time. Call with the lock held."""
        now = time.monotonic()
        if self._version_at is None or now - self._version_at > VERSION_TTL:
            self._version, self._version_at = data_version(self.ws.con), now
        return self._version

    def cached(self, key: Any, compute: Callable[[Workspace], Any], ws: Workspace | None = None) -> Any:
        """``compute(ws)`` cached under the workspace's current data version (an import invalidates it).

        Requests compute on the shared connection under the lock. ``ws`` — a workspace on a DuckDB cursor of its
        own (the cache warming's, ``web/warm.py``) — computes without the lock: a long item never holds up a
        request (each cursor is a connection of its own, safe to use from its one thread)."""
        if ws is not None:
            return self.cache.get_or_compute(data_version(ws.con), key, lambda: compute(ws))
        with self.db() as shared:
            return self.cache.get_or_compute(self.data_version(), key, lambda: compute(shared))

    def scorecard(self, ws: Workspace | None = None) -> Any:
        return self.cached(("scorecard",), build_scorecard, ws)

    def text_domain(self, ws: Workspace | None = None) -> Any:
        """Whether the sentiment models fit the workspace's texts (the ``text_domain`` analysis)."""
        return self.cached(("text_domain",), lambda w: analyses.run(w, "text_domain"), ws)

    def text_domain_ready(self) -> Any:
        """``text_domain`` if it is already computed for the current data (by the cache warming or the API), else
        None: the overview, where a login lands, never waits for it (loading the text models takes seconds)."""
        if not self.cache.enabled:
            return self.text_domain()
        with self.db():
            version = self.data_version()
        return self.cache.peek(version, ("text_domain",))

    def status(self, ws: Workspace | None = None) -> Any:
        """The set-up status (``hudong.decide.status``) around the cached scorecard: what each item still needs."""
        card = self.scorecard(ws)
        return self.cached(("status",), lambda w: build_status(w, card=card), ws)

    def now(self) -> dt.datetime:
        return self.fixed_now or inbox.local_now(self.ws)

    def experiments_cached(self, key: tuple[Any, ...], compute: Callable[[Workspace, dt.datetime], Any]) -> Any:
        """``compute(ws, minute)`` — an analysis of experiments as of this minute — cached under the data version, the
        experiments' own state (``experiments.state_key``: a registration, a conclusion or new units make it new)
        and the minute: results move on with the clock as windows pass, so reads within one minute share one
        computation (100k conversations take ≈0.15 s to analyse)."""
        with self.db() as ws:
            minute = clock.now().replace(second=0)
            return self.cached((*key, experiments.state_key(ws), minute), lambda w: compute(w, minute))

    def experiment_analysis(self, experiment_id: str) -> dict[str, Any]:
        """``experiments.analyze`` as of this minute (cached: ``experiments_cached``)."""
        return self.experiments_cached(("experiment", experiment_id),
                                       lambda ws, now: experiments.analyze(ws, experiment_id, now))

    def learning_log(self, q: str | None = None) -> Any:
        """The ``learning_log`` analysis as of this minute (cached: ``experiments_cached``)."""
        return self.experiments_cached(("learning_log", q or None),
                                       lambda ws, _: analyses.run(ws, "learning_log", q=q or None))

    # ---- sessions (server side: web/sessions.py) ------------------------------------------------------
    def settings(self) -> sessions.Settings:
        return sessions.Settings.of(self.ws)

    def session(self, request: Request) -> sessions.Session | None:
        """The request's valid session (looked up once per request), else None."""
        try:
            return request.state.session
        except AttributeError:
            pass
        sid = request.cookies.get(SESSION_COOKIE, "")
        found = None
        if sid:
            with self.db() as ws:
                found = sessions.lookup(ws.con, sid, self.settings())
        request.state.session = found
        return found

    def start_session(self, request: Request, response: Response, user: str) -> str:
        """Sign ``user`` in on this browser: a new session (a new id and CSRF token: a sign-in never reuses one,
        so a planted id is worthless), the previous one of this browser ended. Returns the CSRF token."""
        st = self.settings()
        with self.db() as ws:
            old = request.cookies.get(SESSION_COOKIE)
            if old:
                sessions.end(ws.con, old)
            sid, session = sessions.start(ws.con, user, client_of(request), st)
        request.state.session = session
        response.set_cookie(
            SESSION_COOKIE,
            sid,
            max_age=max(1, math.ceil(st.session.total_seconds())),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return session.csrf

    def end_session(self, request: Request, response: Response) -> None:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            with self.db() as ws:
                sessions.end(ws.con, sid)
        request.state.session = None
        response.delete_cookie(SESSION_COOKIE, path="/")

    def login_csrf(self, request: Request) -> str | None:
        """The CSRF token of the login form (before a session exists), from its signed cookie."""
        raw = request.cookies.get(LOGIN_COOKIE)
        if not raw:
            return None
        try:
            value = self.signer.loads(raw, max_age=LOGIN_CSRF_MAX_AGE)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def new_login_csrf(self, request: Request, response: Response, csrf: str) -> str:
        response.set_cookie(
            LOGIN_COOKIE,
            self.signer.dumps(csrf),
            max_age=LOGIN_CSRF_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        return csrf

    def csrf_of(self, request: Request) -> str:
        """The token a form on this page must carry: the session's, else the login form's."""
        s = self.session(request)
        return s.csrf if s is not None else (self.login_csrf(request) or "")


def client_of(request: Request) -> str:
    """The client address (behind a proxy: the one it forwards, when uvicorn trusts it; see docs/web.md)."""
    return request.client.host if request.client else ""


def state_of(request: Request) -> WebState:
    return request.app.state.web


def current_user(request: Request) -> auth.User:
    """The signed-in user, from a Bearer token (API clients) or the session cookie (browsers)."""
    st = state_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        # Wrong tokens count as failed sign-ins of the client address (web/sessions.py): an address that sent
        # too many is refused (429) for a while, right token or not.
        client = client_of(request)
        with st.db() as ws:
            wait = sessions.locked_for(ws.con, "", client, kinds=("client",))
            if wait > 0:
                raise TooManyAttempts(wait)
            user = auth.user_for_token(ws.con, header[7:].strip())
            if user is None:
                auth.record_event(ws.con, "login_failed", None, None, client, "wrong API token")
                for lock in sessions.failed(ws.con, "", client, st.settings(), kinds=("client",)):
                    detail = f"address {lock.subject}: {lock.failures} failures; locked for {lock.seconds:.0f} s"
                    auth.record_event(ws.con, "lockout", None, None, client, detail)
        if user is None:
            raise NotAuthenticated()
        request.state.via_token = True
        return user
    session = st.session(request)
    if session is None:
        raise NotAuthenticated()
    with st.db() as ws:
        user = auth.get_user(ws.con, session.user)
    if user is None:
        raise NotAuthenticated()
    request.state.via_token = False
    return user


def require(permission: str):
    """A dependency: the current user, who must hold ``permission`` (403 otherwise)."""

    def dep(request: Request) -> auth.User:
        user = current_user(request)
        if not user.can(permission):
            raise Forbidden(
                f"role {user.role!r} may not do this (needs one of: "
                f"{', '.join(r for r in auth.ROLES if r in auth.PERMISSIONS[permission])})"
            )
        return user

    return dep


def check_csrf(request: Request, given: str | None) -> None:
    """POSTs authenticated by the session cookie must carry the session's CSRF token."""
    if getattr(request.state, "via_token", False):
        return
    if not auth.csrf_ok(state_of(request).csrf_of(request), given):
        raise Forbidden("missing or wrong CSRF token; reload the page and try again")


