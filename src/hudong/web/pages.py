"""Server-rendered pages (Jinja2, autoescape on): login, overview (scorecard), users; the others live in
analytics.py, inbox_pages.py and uploads.py.

Charts are the Vega-Lite specs of ``hudong.report.charts`` rendered to inline SVG on the server (vl-convert,
offline, no JavaScript). The language comes from ``?lang=zh|en`` (remembered in a cookie); Chinese by default.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hudong.report.fmt import blank, evidence_value, minutes, number, percent, score
from hudong.report.i18n import platform_name
from hudong.report.i18n import t as report_t

from . import auth
from .app import LANG_COOKIE, check_csrf, current_user, require, state_of
from .auth import User

HERE = Path(__file__).parent
router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Admin = Annotated[User, Depends(require("users"))]

TEXT: dict[str, tuple[str, str]] = {
    "app": ("互动 hudong", "hudong 互动"),
    "login": ("登录", "Sign in"),
    "logout": ("退出", "Sign out"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "bad_login": ("用户名或密码错误", "Wrong user name or password"),
    "overview": ("概览", "Overview"),
    "engagement": ("互动分析", "Engagement"),
    "inbox": ("待回复", "Inbox"),
    "users": ("用户管理", "Users"),
    "role": ("角色", "Role"),
    "filter": ("筛选", "Filter"),
    "all_platforms": ("全部平台", "All platforms"),
    "start": ("开始日期", "From"),
    "end": ("结束日期", "To"),
    "over_sla": ("仅显示超出 SLA", "Only past SLA"),
    "status": ("状态", "Status"),
    "st_open": ("待处理", "open"),
    "st_closed": ("已关闭", "closed"),
    "st_all": ("全部", "all"),
    "st_replied": ("已回复", "replied"),
    "st_ignore": ("已忽略", "ignored"),
    "received": ("收到时间", "Received"),
    "from": ("来自", "From"),
    "message": ("内容", "Message"),
    "waiting": ("等待（工作时间）", "Waiting (business hours)"),
    "actions": ("操作", "Actions"),
    "assign": ("指派", "Assign"),
    "replied": ("标记已回复", "Mark replied"),
    "ignore": ("忽略", "Ignore"),
    "escalate": ("升级", "Escalate"),
    "reopen": ("重新打开", "Reopen"),
    "assignee": ("负责人", "Assignee"),
    "escalated": ("已升级", "escalated"),
    "n_waiting": ("共 {n} 条待回复", "{n} waiting"),
    "sla": ("SLA：{m} 分钟（工作时间）", "SLA: {m} business minutes"),
    "messages_in_turn": ("{n} 条消息", "{n} messages"),
    "add_user": ("添加用户", "Add user"),
    "new_token": ("生成 API 令牌", "New API token"),
    "token_once": ("API 令牌（只显示一次）：", "API token (shown once): "),
    "has_token": ("有令牌", "has token"),
    "read_only": ("只读角色：不能操作", "read-only role: no actions"),
    "error": ("出错了", "Something went wrong"),
    "back": ("返回", "Back"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "type_comment": ("评论", "comment"),
    "type_reply": ("回复", "reply"),
    "type_dm": ("私信", "DM"),
    "type_mention": ("提及", "mention"),
    "saved": ("已记录", "Saved"),
    "setup": ("数据与设置", "Setup"),
}


def tr(key: str, lang: str, **kw: Any) -> str:
    if key in TEXT:
        s = TEXT[key][0 if lang == "zh" else 1]
        return s.format(**kw) if kw else s
    return report_t(key, lang, **kw)


def business_duration(minutes: float | None, lang: str) -> str:
    if minutes is None:
        return "—"
    h, m = divmod(int(round(max(minutes, 0.0))), 60)
    if lang == "zh":
        return f"{h} 小时 {m} 分" if h else f"{m} 分钟"
    return f"{h} h {m} min" if h else f"{m} min"


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True,
    finalize=blank,  # a None or NaN a template prints directly reads "—", never "None"/"nan"
)
_env.globals.update(
    platform_name=platform_name, evidence_value=evidence_value, score=score, business_duration=business_duration,
    number=number, percent=percent, minutes=minutes,
)


def lang_of(request: Request) -> str:
    q = request.query_params.get("lang")
    if q in ("zh", "en"):
        return q
    c = request.cookies.get(LANG_COOKIE)
    return c if c in ("zh", "en") else "zh"


def render(
    request: Request,
    template: str,
    http_status: int = 200,
    user: User | None = None,
    csrf_token: str | None = None,
    **ctx: Any,
) -> HTMLResponse:
    lang = lang_of(request)
    st = state_of(request)
    csrf = csrf_token or st.read_session(request).get("c", "")

    def switch(to: str) -> str:
        params = dict(request.query_params)
        params["lang"] = to
        return request.url.path + "?" + urlencode(params)

    html = _env.get_template(template).render(
        request=request,
        lang=lang,
        t=lambda k, **kw: tr(k, lang, **kw),
        user=user,
        csrf=csrf,
        switch=switch,
        workspace=str(st.ws.setting("name", "")),
        path=request.url.path,
        **ctx,
    )
    resp = HTMLResponse(html, status_code=http_status)
    if request.query_params.get("lang") in ("zh", "en"):
        resp.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax", secure=request.url.scheme == "https"
        )
    return resp


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    try:
        user = current_user(request)
    except Exception:  # noqa: BLE001 - an error page must render without a user
        user = None
    return render(request, "error.html", http_status=status, user=user, status_code=status, message=message)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


def _safe_next(nxt: str | None) -> str:
    # Only local paths: "/x" but not "//evil.example" or "/\\evil" (open-redirect).
    if nxt and nxt.startswith("/") and not nxt.startswith("//") and "\\" not in nxt:
        return nxt
    return "/"


# ---- login ----------------------------------------------------------------------------------------
@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    st = state_of(request)
    csrf = st.read_session(request).get("c")
    if csrf:
        return render(request, "login.html", next=_safe_next(next), error=None)
    # No session yet: start an anonymous one so the login form carries a CSRF token too.
    csrf = secrets.token_urlsafe(24)
    resp = render(request, "login.html", csrf_token=csrf, next=_safe_next(next), error=None)
    st.write_session(request, resp, None, csrf=csrf)
    return resp


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf)
    st = state_of(request)
    with st.db() as ws:
        user = auth.authenticate(ws.con, username, password)
    if user is None:
        return render(
            request, "login.html", http_status=401, next=_safe_next(next), error=tr("bad_login", lang_of(request))
        )
    resp = RedirectResponse(_safe_next(next), status_code=303)
    st.write_session(request, resp, user.name)
    return resp


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    resp = RedirectResponse("/login", status_code=303)
    state_of(request).write_session(request, resp, None)
    return resp


# ---- overview -------------------------------------------------------------------------------------
@router.get("/")
def overview(request: Request, user: Reader) -> Response:
    from hudong.decide.recommendations import recommend_for

    st = state_of(request)
    card = st.scorecard()
    return render(request, "overview.html", user=user, card=card, recs=recommend_for(card)[:5], status=st.status())


@router.get("/status")
def status_page(request: Request, user: Reader) -> Response:
    """The set-up checklist: rows per table, what is configured, what each scorecard item needs and how to supply it."""
    return render(request, "status.html", user=user, status=state_of(request).status())


# ---- engagement -----------------------------------------------------------------------------------
def _platforms(ws: Any) -> list[str]:
    return [r[0] for r in ws.con.execute("SELECT DISTINCT platform FROM posts ORDER BY 1").fetchall()]


# /engagement and the other analytics pages live in web/analytics.py (shared filters, cache).


# ---- inbox: /inbox, /triage, /templates live in web/inbox_pages.py ---------------------------------


# ---- users (admin) --------------------------------------------------------------------------------
@router.get("/users")
def users_page(request: Request, user: Admin) -> Response:
    with state_of(request).db() as ws:
        users = auth.list_users(ws.con)
    return render(request, "users.html", user=user, users=users, roles=auth.ROLES, token=None, error=None)


@router.post("/users")
def users_add(
    request: Request,
    user: Admin,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        auth.add_user(ws.con, name, role, password)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/token")
def users_token(
    request: Request, user: Admin, name: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        token = auth.new_token(ws.con, name)
        users = auth.list_users(ws.con)
    return render(
        request, "users.html", user=user, users=users, roles=auth.ROLES, token=token, token_user=name, error=None
    )
