"""The FastAPI application: ``create_app(ws_dir)`` serves the operator pages, the /api and the plugins' pages of
one workspace. What the requests share (the workspace state, the user, CSRF) is in ``state.py``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from hudong import analyses, plugins
from hudong.errors import HudongError
from hudong.inbox import items as inbox
from hudong.inbox import labels, replies
from hudong.store.workspace import Workspace

from . import (
    analytics,
    api,
    auth,
    campaign_pages,
    experiment_api,
    experiment_pages,
    faq_pages,
    idea_pages,
    inbox_pages,
    outbox_pages,
    pages,
    plan_api,
    plan_pages,
    segment_pages,
    sessions,
    statement_pages,
    sync,
    uploads,
    wechat_hook,
)
from . import warm as W
from .pages import render_error
from .state import (  # noqa: F401 - the names callers import from here (create_app's module)
    CSP,
    HSTS,
    SESSION_COOKIE,
    SHUTDOWN_WAIT,
    Forbidden,
    NotAuthenticated,
    TooManyAttempts,
    WebState,
    require,
    state_of,
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _install_handlers(app: FastAPI) -> None:

    @app.exception_handler(NotAuthenticated)
    async def _unauth(request: Request, exc: NotAuthenticated) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"error": "not authenticated: send 'Authorization: Bearer TOKEN' or sign in"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(nxt, safe='')}", status_code=303)

    @app.exception_handler(TooManyAttempts)
    async def _too_many(request: Request, exc: TooManyAttempts) -> Response:
        headers = {"Retry-After": str(exc.retry_after)}
        msg = f"too many failed sign-ins from this address: try again in {exc.retry_after} s"
        if _is_api(request):
            return JSONResponse({"error": msg}, status_code=429, headers=headers)
        resp = render_error(request, 429, msg)
        resp.headers.update(headers)
        return resp

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
    auth.ensure_tables(ws.con)  # users, sessions, sign-in throttling, security events
    sessions.Settings.of(ws)  # a bad [web] setting stops the start, not the first sign-in
    sync.interval_seconds(ws)  # so does a bad [sync] every_minutes
    inbox.ensure_tables(ws.con)

    labels.ensure_tables(ws.con)
    replies.ensure_tables(ws.con)
    uploads.ensure_tables(ws.con)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        st: WebState = app.state.web
        analyses.registry()  # every analysis imported (numba, igraph …) before the first request, then frozen
        W.freeze_once("started")
        stop = None
        if (W.enabled_by_env() if warm is None else warm) and st.cache.enabled:
            st.warm_thread, stop = W.start_warming(st)
        stop_sync = sync.start(st)
        yield
        for fn in st.on_shutdown:
            fn()
        sync.stop(st, stop_sync, SHUTDOWN_WAIT)
        # Shutdown never waits on the warming: its running query is interrupted; if it is still busy after
        # SHUTDOWN_WAIT (a long step in Python), it closes the workspace itself when it stops (`hudong serve`
        # exits without waiting for it, cli._serve).
        if stop is not None and not W.stop_warming(st, stop, SHUTDOWN_WAIT):
            return
        if st.lock.acquire(timeout=SHUTDOWN_WAIT):  # a request still computing: the process ends anyway
            try:
                ws.close()
            finally:
                st.lock.release()

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
        if request.url.scheme == "https":  # behind a proxy: uvicorn --proxy-headers --forwarded-allow-ips
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if not request.url.path.startswith("/static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(analytics.router)
    app.include_router(inbox_pages.router)
    app.include_router(outbox_pages.router)
    app.include_router(outbox_pages.api_router)
    app.include_router(plan_api.router)
    app.include_router(plan_pages.router)
    app.include_router(experiment_api.router)
    app.include_router(experiment_pages.router)
    app.include_router(segment_pages.router)
    app.include_router(campaign_pages.router)
    app.include_router(campaign_pages.api_router)
    app.include_router(idea_pages.router)
    app.include_router(idea_pages.api_router)
    app.include_router(faq_pages.router)
    app.include_router(faq_pages.api_router)
    app.include_router(statement_pages.router)
    app.include_router(statement_pages.api_router)
    app.include_router(segment_pages.api_router)
    app.include_router(wechat_hook.router)
    app.include_router(uploads.router)
    app.include_router(sync.router)
    for ep in plugins.points("hudong.web"):  # plugin pages: under /plugins/NAME, signed-in readers only
        router = plugins.load(ep)
        if not isinstance(router, APIRouter):
            raise HudongError(f"plugin hudong.web:{ep.name} ({ep.value}) is not a FastAPI APIRouter")
        app.include_router(router, prefix=f"/plugins/{ep.name}", dependencies=[Depends(require("read"))])
    pages.mount_static(app)
    _install_handlers(app)
    return app
