"""The WeChat Official Account message server inside `hudong serve`: ``/hooks/wechat/NAME`` (the URL to enter in
公众平台 → 设置与开发 → 基本配置). WeChat signs every request with the account's token: that signature is the only
authentication (no session, no CSRF), and anything unsigned — or for a name that is not a WeChat connector — is a
403 that says no more. A message is kept for the connector's next sync, which is asked for at once, and answered
within WeChat's 5 s: a passive reply where a rule applies, else ``success`` (``hudong.connectors.wechat``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from hudong import connectors
from hudong.connectors.wechat import MAX_BODY, SignatureError, WechatConnector
from hudong.errors import HudongError

from .state import WebState, state_of

router = APIRouter(include_in_schema=False)
REFUSED = "not signed by WeChat for a connector of this workspace"


def _connector(st: WebState, name: str) -> WechatConnector:
    with st.lock:
        settings = connectors.configured(st.ws).get(name)
        if not settings or settings.get("type") != WechatConnector.kind:
            raise SignatureError(REFUSED)  # as unsigned: which names exist is nobody's business
        c = connectors.connector(st.ws, name)
    assert isinstance(c, WechatConnector)
    return c


def _sync_soon(st: WebState, name: str) -> None:
    """The message into the store now: the server's sync thread syncs the connector within 0.5 s (a burst of
    messages makes one sync); a sync that fails leaves the message in ``received/`` for the next."""
    if st.sync_schedule is not None:
        st.sync_schedule.nudge(name, follow_up=False)


@router.get("/hooks/wechat/{name}")
def verify(request: Request, name: str) -> Response:
    st = state_of(request)
    try:
        echo = _connector(st, name).verify(dict(request.query_params))
    except SignatureError as e:
        return PlainTextResponse(str(e), status_code=403)
    return PlainTextResponse(echo)


@router.post("/hooks/wechat/{name}")
async def receive(request: Request, name: str) -> Response:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return PlainTextResponse(f"a WeChat message is at most {MAX_BODY} bytes", status_code=413)
    st = state_of(request)

    def work() -> tuple[dict[str, Any], str]:
        return _connector(st, name).receive(dict(request.query_params), body)

    try:
        _, answer = await run_in_threadpool(work)
    except SignatureError as e:
        return PlainTextResponse(str(e), status_code=403)
    except HudongError as e:
        return PlainTextResponse(str(e), status_code=400)
    _sync_soon(st, name)
    return PlainTextResponse(answer) if answer == "success" else Response(answer, media_type="application/xml")
