"""The outbox page (/outbox) and its API: every action hudong took or will take on a platform, the approver's
click for drafts (``[outbox] approval``), cancel, undo of what was sent, and — for admins — the audit log of
every change (``outbox_events``). The rules live in ``hudong.connectors.outbox`` and ``hudong.inbox.sending``;
this module only checks who may press which button.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Query, Request
from fastapi.responses import RedirectResponse, Response

from hudong.connectors import outbox
from hudong.errors import HudongError
from hudong.inbox import sending

from . import sync
from .auth import User
from .pages import TEXT, lang_of, render, tr
from .state import Forbidden, check_csrf, errors, require, state_of

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"])
Responder = Annotated[User, Depends(require("inbox"))]
AUDIT_SHOWN = 200
OPS = ("approve", "cancel", "undo", "sent", "not_sent")  # sent / not_sent: a person settles an unknown action

TEXT.update(
    {
        "outbox_note": (
            "hudong 在平台上执行的每个操作：先记录，再发送。待审批的操作需分析师或管理员批准；已发送的回复可撤回。",
            "Every action hudong takes on a platform: recorded first, then sent. Drafts wait for an analyst's or "
            "admin's approval; a sent reply can be taken back.",
        ),
        "created": ("创建", "Queued"),
        "connector_col": ("连接器", "Connector"),
        "action": ("操作", "Action"),
        "target": ("目标", "Target"),
        "text": ("正文", "Text"),
        "by": ("创建人 / 批准人", "By / approved by"),
        "attempts": ("尝试", "Tries"),
        "approve": ("批准", "Approve"),
        "cancel": ("取消", "Cancel"),
        "op_sent": ("已在平台上", "It went out"),
        "op_not_sent": ("未发出，重发", "It did not: resend"),
        "outbox_audit": ("发件箱审计日志（最近 {n} 条）", "Outbox audit log (latest {n})"),
        "event": ("事件", "Event"),
        "actor": ("执行者", "Who"),
        "detail": ("详情", "Detail"),
        "ob_publish": ("发帖", "post"),
        "ob_repost": ("转发", "repost"),
        "outbox_empty": ("发件箱为空", "The outbox is empty"),
        "op_done": ("已处理", "done"),
    }
)


def _allowed(user: User, row: dict[str, Any], op: str) -> None:
    """Who may press what: approvers approve and settle unknown actions; the author or an approver cancels or
    takes back."""
    if op in ("approve", "sent", "not_sent") and not user.can("approve"):
        raise Forbidden(f"role {user.role!r} may not {op.replace('_', ' ')} outbox actions (analyst, admin)")
    if op in ("cancel", "undo") and row["created_by"] != user.name and not user.can("approve"):
        raise Forbidden(f"only {row['created_by']} or an approver may {op} action {row['action_id']}")


def apply(request: Request, user: User, action_id: str, op: str) -> dict[str, Any]:
    """Apply ``op`` to the outbox action; what it now is (undo: the delete action sent to the platform)."""
    if op not in OPS:
        raise HudongError(f"unknown outbox operation {op!r}; one of: {', '.join(OPS)}")
    st = state_of(request)
    with st.db() as ws:
        _allowed(user, outbox.get(ws, action_id), op)
        if op == "approve":
            outbox.approve(ws, action_id, by=user.name, role=user.role)
        elif op == "cancel":
            outbox.cancel(ws, action_id, by=user.name)
        elif op in ("sent", "not_sent"):
            outbox.resolve(ws, action_id, sent=op == "sent", by=user.name)
    if op == "undo":
        with sync.worker(st) as ws:
            return sending.undo(ws, action_id, by=user.name)
    if op == "approve":  # approved means due: send it now rather than at the next round
        with sync.worker(st) as ws:
            outbox.send_due(ws, only=action_id)
    with st.db() as ws:
        row = outbox.get(ws, action_id)
    return {k: row[k] for k in ("action_id", "state", "platform_id", "url", "error")}


@router.get("/outbox")
def outbox_page(request: Request, user: Responder, state: str | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:  # fmt: skip
    with state_of(request).db() as ws:
        rows = outbox.rows(ws, state=state or None, limit=limit)
        audit = outbox.events(ws, limit=AUDIT_SHOWN) if user.can("users") else []
    return render(request, "outbox.html", user=user, rows=rows, audit=audit, audit_n=AUDIT_SHOWN,
                  states=outbox.STATES, state=state or "", saved=request.query_params.get("saved"))  # fmt: skip


@router.post("/outbox/{op}")
def outbox_op(request: Request, user: Responder, op: str, action_id: Annotated[str, Form()],
              csrf: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    check_csrf(request, csrf)
    out = apply(request, user, action_id, op)
    if out["state"] == "failed":
        raise HudongError(f"{tr('action_failed', lang_of(request))}: {out['error']}")
    return RedirectResponse(f"/outbox?saved={op}", status_code=303)


@api_router.get("/outbox", summary="Outbox actions, newest first (undoable: undo would take it back now)",
                responses=errors(400, 401, 403, 422))  # fmt: skip
def outbox_list(request: Request, user: Responder, state: str | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:  # fmt: skip
    with state_of(request).db() as ws:
        return outbox.rows(ws, state=state or None, limit=limit)


@api_router.get("/outbox/events", summary="The outbox's audit log (admins)", responses=errors(401, 403, 422))
def outbox_events(request: Request, user: Annotated[User, Depends(require("users"))],
                  limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> list[dict[str, Any]]:  # fmt: skip
    with state_of(request).db() as ws:
        return outbox.events(ws, limit=limit)


@api_router.post("/outbox/{action_id}/{op}",
                 summary="approve | cancel | undo (take back a sent action) | sent | not_sent (settle an unknown one)",
                 responses=errors(400, 401, 403, 404, 422))  # fmt: skip
def outbox_api_op(request: Request, action_id: str, op: str, user: Responder,
                  x_csrf_token: Annotated[str | None, Header()] = None) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    return apply(request, user, action_id, op)
