"""The FastAPI application: ``create_app(ws_dir)`` serves the operator pages and the /api of one workspace.

The workspace DuckDB connection is shared by every request and guarded by one lock (DuckDB connections are
not safe for concurrent use); the server therefore holds the workspace open for writing, so stop it before
running `hudong import` on the same directory.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.exceptions import HTTPException as StarletteHTTPException

from hudong.errors import HudongError
from hudong.store.workspace import Workspace

from . import auth, inbox
from .cache import VersionedCache, data_version

VERSION_TTL = 1.0  # seconds a read data version is trusted (writes through db(write=True) reset it)

SESSION_COOKIE = "hudong_session"
LANG_COOKIE = "hudong_lang"
SESSION_MAX_AGE = 12 * 3600
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class NotAuthenticated(Exception):
    """No valid session or token: pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class WebState:
    """What every request shares: the workspace, its lock, the cookie signer and the result cache."""

    def __init__(self, ws: Workspace, now: dt.datetime | None = None):
        self.ws = ws
        self.lock = threading.RLock()
        self.signer = URLSafeTimedSerializer(auth.session_secret(ws.key), salt="hudong-session")
        self.fixed_now = now
        self.cache = VersionedCache()
        self._version: tuple[Any, ...] = ()
        self._version_at: float | None = None  # monotonic time the data version was read; None: read it again
        self.warmed: list[str] = []  # cache items computed by the start-up warming (web/warm.py)
        self.warm_thread: threading.Thread | None = None

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

    def cached(self, key: Any, compute: Callable[[Workspace], Any]) -> Any:
        """``compute(ws)`` cached under the workspace's current data version (an import invalidates it)."""
        with self.db() as ws:
            return self.cache.get_or_compute(self.data_version(), key, lambda: compute(ws))

    def scorecard(self) -> Any:
        return self.cached(("scorecard",), lambda ws: ws.scorecard())

    def status(self) -> Any:
        """The set-up status (``hudong.decide.status``) around the cached scorecard: what each item still needs."""
        from hudong.decide.status import build_status

        card = self.scorecard()
        return self.cached(("status",), lambda ws: build_status(ws, card=card))

    def now(self) -> dt.datetime:
        return self.fixed_now or inbox.local_now(self.ws)

    # ---- sessions ---------------------------------------------------------------------------------
    def read_session(self, request: Request) -> dict[str, Any]:
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return {}
        try:
            data = self.signer.loads(raw, max_age=SESSION_MAX_AGE)
        except BadSignature:
            return {}
        return data if isinstance(data, dict) else {}

    def write_session(self, request: Request, response: Response, user: str | None, csrf: str | None = None) -> str:
        """Start a session (a new CSRF token unless given, so a login rotates it); returns the CSRF token."""
        csrf = csrf or secrets.token_urlsafe(24)
        response.set_cookie(
            SESSION_COOKIE,
            self.signer.dumps({"u": user, "c": csrf}),
            max_age=SESSION_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
        return csrf


def state_of(request: Request) -> WebState:
    return request.app.state.web


def current_user(request: Request) -> auth.User:
    """The signed-in user, from a Bearer token (API clients) or the session cookie (browsers)."""
    st = state_of(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        with st.db() as ws:
            user = auth.user_for_token(ws.con, header[7:].strip())
        if user is None:
            raise NotAuthenticated()
        request.state.via_token = True
        return user
    name = st.read_session(request).get("u")
    if not name:
        raise NotAuthenticated()
    with st.db() as ws:
        user = auth.get_user(ws.con, name)
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
    expected = state_of(request).read_session(request).get("c")
    if not auth.csrf_ok(expected, given):
        raise Forbidden("missing or wrong CSRF token; reload the page and try again")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _install_handlers(app: FastAPI) -> None:
    from .pages import render_error

    @app.exception_handler(NotAuthenticated)
    async def _unauth(request: Request, exc: NotAuthenticated) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"error": "not authenticated: send 'Authorization: Bearer TOKEN' or sign in"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        from urllib.parse import quote

        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(nxt, safe='')}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        if _is_api(request):
            return JSONResponse({"error": exc.message}, status_code=403)
        return render_error(request, 403, exc.message)

    @app.exception_handler(HudongError)
    async def _bad(request: Request, exc: HudongError) -> Response:
        if _is_api(request):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return render_error(request, 400, str(exc))

    @app.exception_handler(LookupError)
    async def _missing(request: Request, exc: LookupError) -> Response:
        msg = str(exc.args[0]) if exc.args else "not found"
        if _is_api(request):
            return JSONResponse({"error": msg}, status_code=404)
        return render_error(request, 404, msg)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")} for e in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse({"error": "invalid request", "details": details}, status_code=422)
        return render_error(request, 422, "; ".join(f"{d['where']}: {d['problem']}" for d in details))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            body: dict[str, Any] = exc.detail if isinstance(exc.detail, dict) else {"error": str(exc.detail)}
            return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))
        return render_error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        if os.environ.get("HUDONG_DEBUG"):
            raise exc
        msg = f"internal error ({type(exc).__name__}); set HUDONG_DEBUG=1 to see the traceback"
        if _is_api(request):
            return JSONResponse({"error": msg}, status_code=500)
        return render_error(request, 500, msg)


def create_app(ws_dir: str | os.PathLike, *, now: dt.datetime | None = None, warm: bool | None = None) -> FastAPI:
    """The web app for the workspace at ``ws_dir`` (``now`` fixes the SLA clock, for tests). ``warm``: fill the
    cache in a background thread when the app starts (``web/warm.py``); default: ``HUDONG_WEB_WARM``, on."""
    ws = Workspace.open(Path(ws_dir))
    auth.ensure_tables(ws.con)
    inbox.ensure_tables(ws.con)
    from . import labels, replies, uploads

    labels.ensure_tables(ws.con)
    replies.ensure_tables(ws.con)
    uploads.ensure_tables(ws.con)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        from . import warm as W

        st: WebState = app.state.web
        stop = None
        if (W.enabled_by_env() if warm is None else warm) and st.cache.enabled:
            st.warm_thread, stop = W.start_warming(st)
        yield
        if stop is not None:
            stop.set()  # the warming thread ends before its next item
        with st.lock:
            ws.close()

    app = FastAPI(
        title="hudong 互动",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load their assets from a CDN: the app stays offline
        redoc_url=None,
        description="Operator workspace and REST API of a hudong workspace. Authenticate with "
        "`Authorization: Bearer TOKEN` (`hudong user token NAME`).",
    )
    app.state.web = WebState(ws, now=now)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    from . import analytics, api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(analytics.router)
    from . import inbox_pages, uploads

    app.include_router(inbox_pages.router)
    app.include_router(uploads.router)
    pages.mount_static(app)
    _install_handlers(app)
    return app
