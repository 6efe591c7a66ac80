"""Server-rendered pages (Jinja2, autoescape on): login, overview (scorecard), users; the others live in
analytics.py, inbox_pages.py and uploads.py.

Charts are the Vega-Lite specs of ``hudong.report.charts`` rendered to inline SVG on the server (vl-convert,
offline, no JavaScript). The language comes from ``?lang=zh|en`` (remembered in a cookie); Chinese by default.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hudong.decide.recommendations import recommend_for
from hudong.fmt import blank, evidence_value, minutes, number, percent, score
from hudong.i18n import media_name, platform_name
from hudong.i18n import t as report_t
from hudong.report.text_sections import domain_warnings

from . import auth, sessions
from .auth import User
from .state import LANG_COOKIE, SESSION_COOKIE, check_csrf, client_of, current_user, require, state_of

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
    "locked": (
        "登录失败次数过多，此用户名或地址已暂时锁定：请 {wait} 后再试。",
        "Too many failed sign-ins: this user name or address is locked for now. Try again in {wait}.",
    ),
    "seconds": ("{n} 秒", "{n} seconds"),
    "minutes": ("{n} 分钟", "{n} minutes"),
    "account": ("我的账户", "My account"),
    "change_password": ("修改密码", "Change password"),
    "current_password": ("当前密码", "Current password"),
    "new_password": ("新密码（至少 8 个字符）", "New password (at least 8 characters)"),
    "password_changed": (
        "密码已修改；其他设备上的登录已全部退出。",
        "Password changed; every other signed-in browser was signed out.",
    ),
    "state": ("状态", "Status"),
    "enabled": ("启用", "enabled"),
    "disabled": ("已停用", "disabled"),
    "disable": ("停用", "Disable"),
    "enable": ("启用", "Enable"),
    "remove": ("删除", "Remove"),
    "remove_confirm": ("确认删除", "confirm removal"),
    "reset_password": ("重置密码", "Reset password"),
    "change_role": ("更改角色", "Change role"),
    "new_password_once": ("{user} 的新密码（只显示一次）：", "New password of {user} (shown once): "),
    "user_done": ("已完成：{what}", "Done: {what}"),
    "audit": ("安全审计日志（最近 {n} 条）", "Security audit log (latest {n})"),
    "ev_at": ("时间（UTC）", "Time (UTC)"),
    "ev_event": ("事件", "Event"),
    "ev_user": ("用户", "User"),
    "ev_actor": ("操作人", "By"),
    "ev_client": ("地址", "Address"),
    "ev_detail": ("详情", "Detail"),
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
    platform_name=platform_name, media_name=media_name, evidence_value=evidence_value, score=score, business_duration=business_duration,
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
    csrf = csrf_token or st.csrf_of(request)

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
    csrf = st.csrf_of(request)
    if csrf:
        return render(request, "login.html", next=_safe_next(next), error=None)
    # No session yet: the login form's CSRF token lives in a signed cookie of its own.
    token = secrets.token_urlsafe(24)
    resp = render(request, "login.html", csrf_token=token, next=_safe_next(next), error=None)
    st.new_login_csrf(request, resp, token)
    return resp


def wait_text(seconds: int, lang: str) -> str:
    if seconds < 120:
        return tr("seconds", lang, n=seconds)
    return tr("minutes", lang, n=-(-seconds // 60))


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Sign in, throttled per user name and per client address (``web/sessions.py``). The answers are the same
    whether or not the user exists; a locked name or address is refused (429, Retry-After) without checking the
    password."""
    check_csrf(request, csrf)
    st = state_of(request)
    client = client_of(request)
    settings = st.settings()
    user = None
    with st.db() as ws:
        wait = sessions.locked_for(ws.con, username, client)
        if wait > 0:
            auth.record_event(ws.con, "login_failed", username, None, client, "refused: locked")
        else:
            user = auth.authenticate(ws.con, username, password)
            if user is None:
                auth.record_event(ws.con, "login_failed", username, None, client, "wrong user name or password")
                for lock in sessions.failed(ws.con, username, client, settings):
                    who = "user name" if lock.kind == "user" else f"address {lock.subject}"
                    detail = f"{who}: {lock.failures} failures; locked for {lock.seconds:.0f} s"
                    auth.record_event(ws.con, "lockout", username, None, client, detail)
            else:
                sessions.succeeded(ws.con, username)
                auth.record_event(ws.con, "login_ok", user.name, user.name, client)
    lang = lang_of(request)
    if wait > 0:
        seconds = sessions.retry_after(wait)
        resp = render(
            request, "login.html", http_status=429, next=_safe_next(next), error=None,
            locked=tr("locked", lang, wait=wait_text(seconds, lang)),
        )  # fmt: skip
        resp.headers["Retry-After"] = str(seconds)
        return resp
    if user is None:
        return render(request, "login.html", http_status=401, next=_safe_next(next), error=tr("bad_login", lang))
    resp = RedirectResponse(_safe_next(next), status_code=303)
    st.start_session(request, resp, user.name)
    return resp


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """Sign out: the session is deleted on the server, so a copy of the cookie stops working too."""
    st = state_of(request)
    resp = RedirectResponse("/login", status_code=303)
    session = st.session(request)
    if session is None:  # nothing to end (expired or already signed out)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp
    check_csrf(request, csrf)
    st.end_session(request, resp)
    with st.db() as ws:
        auth.record_event(ws.con, "logout", session.user, session.user, client_of(request))
    return resp


# ---- my account (every role) ------------------------------------------------------------------------
@router.get("/account")
def account_page(request: Request, user: Reader) -> Response:
    return render(request, "account.html", user=user, saved=request.query_params.get("saved"))


@router.post("/account/password")
def account_password(
    request: Request,
    user: Reader,
    current: Annotated[str, Form()],
    new: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Change one's own password (the current one is needed). Every session of the user ends; this browser gets
    a fresh one."""
    check_csrf(request, csrf)
    st = state_of(request)
    with st.db() as ws:
        auth.change_own_password(ws.con, user.name, current, new, client=client_of(request))
    resp = RedirectResponse("/account?saved=1", status_code=303)
    st.start_session(request, resp, user.name)
    return resp


# ---- overview -------------------------------------------------------------------------------------
@router.get("/")
def overview(request: Request, user: Reader) -> Response:
    st = state_of(request)
    card = st.scorecard()
    domain = st.text_domain_ready()  # shown once computed (warming, /api/text/domain): a login never waits for it
    warnings = domain_warnings(domain, lang_of(request)) if domain is not None else []
    return render(request, "overview.html", user=user, card=card, recs=recommend_for(card)[:5], status=st.status(),
                  domain_warnings=warnings)  # fmt: skip


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
AUDIT_SHOWN = 100


def _users_page(request: Request, user: User, **extra: Any) -> HTMLResponse:
    with state_of(request).db() as ws:
        users = auth.list_users(ws.con)
        audit = auth.list_events(ws.con, limit=AUDIT_SHOWN)
    ctx: dict[str, Any] = dict(token=None, new_password=None, done=None, error=None)
    ctx.update(extra)
    return render(
        request, "users.html", user=user, users=users, roles=auth.ROLES, audit=audit, audit_n=AUDIT_SHOWN, **ctx
    )


@router.get("/users")
def users_page(request: Request, user: Admin) -> Response:
    return _users_page(request, user)


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
        auth.add_user(ws.con, name, role, password, actor=user.name, client=client_of(request))
    return RedirectResponse("/users", status_code=303)


@router.post("/users/token")
def users_token(
    request: Request, user: Admin, name: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        token = auth.new_token(ws.con, name, actor=user.name, client=client_of(request))
    return _users_page(request, user, token=token, token_user=name)


def _respond(request: Request, user: User, name: str, **extra: Any) -> Response:
    """The users page after an action on ``name``. An admin who acted on themselves (disable, remove, password
    reset: every session of theirs ended) goes to the login page if they can no longer sign in, else gets a fresh
    session for this browser, whose CSRF token the page carries."""
    if name != user.name:
        return _users_page(request, user, **extra)
    st = state_of(request)
    with st.db() as ws:
        still = auth.get_user(ws.con, name)
    if still is None:
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp
    placeholder = HTMLResponse("")
    st.start_session(request, placeholder, name)  # sets request.state.session: the page renders its token
    page = _users_page(request, still, **extra)
    for value in placeholder.headers.getlist("set-cookie"):
        page.headers.append("set-cookie", value)
    return page


def _admin_change(request: Request, user: Any, csrf: str, change: Callable[..., Any]) -> Any:
    """An admin's change to a user: CSRF checked, then ``change(con, actor=…, client=…)`` (audited by auth)."""
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        return change(ws.con, actor=user.name, client=client_of(request))


@router.post("/users/disable")
def users_disable(
    request: Request, user: Admin, name: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> Response:
    _admin_change(request, user, csrf, lambda con, **who: auth.disable_user(con, name, **who))
    return _respond(request, user, name, done=f"{name}: user_disabled")


@router.post("/users/enable")
def users_enable(
    request: Request, user: Admin, name: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> Response:
    _admin_change(request, user, csrf, lambda con, **who: auth.enable_user(con, name, **who))
    return _users_page(request, user, done=f"{name}: user_enabled")


@router.post("/users/remove")
def users_remove(
    request: Request, user: Admin, name: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> Response:
    _admin_change(request, user, csrf, lambda con, **who: auth.remove_user(con, name, **who))
    return _respond(request, user, name, done=f"{name}: user_removed")


@router.post("/users/password")
def users_password(
    request: Request, user: Admin, name: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> Response:
    """Reset a user's password to a generated one, shown once; every session of the user ends."""
    generated = _admin_change(request, user, csrf, lambda con, **who: auth.set_password(con, name, **who))
    return _respond(request, user, name, new_password=generated, password_user=name)


@router.post("/users/role")
def users_role(
    request: Request,
    user: Admin,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        auth.set_role(ws.con, name, role, actor=user.name, client=client_of(request))
    return _users_page(request, user, done=f"{name}: role_changed")
