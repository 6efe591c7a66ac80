"""Inbox pages: the reply inbox (/inbox), the abuse triage queue (/triage) and reply templates (/templates).

Every POST records who and when (``inbox_actions`` for items, ``reply_templates.updated_by`` for templates).
Operators label an item's sentiment / emotion / toxicity next to the model's current prediction (``labels.py``:
the training data of ``hudong text train --from-inbox``); the emotion choices are those of the message
language's emotion model.
The triage queue shows only abusive messages (``inbox.is_abusive`` / the toxicity model), to the roles allowed
to see them, with the text blurred until the reader chooses to show it (CSS only: no script needed).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from hudong import analyses
from hudong.errors import HudongError
from hudong.inbox import items as inbox
from hudong.inbox import labels, replies, sending

from . import auth, sync
from .auth import User
from .pages import TEXT, _platforms, _safe_next, lang_of, render, tr
from .state import check_csrf, require, state_of

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Responder = Annotated[User, Depends(require("inbox"))]
Triager = Annotated[User, Depends(require("triage"))]
Editor = Annotated[User, Depends(require("templates"))]
PAGE = 50
MAX_PAGE = inbox.MAX_OFFSET // PAGE + 1  # a larger page number is a 422, as the API's offset bound

# The inbox's own words (merged into the pages' table, so templates use the usual t()).
TEXT.update(
    {
        "st_new": ("新消息", "new"),
        "st_assigned": ("已指派", "assigned"),
        "st_escalated": ("已升级", "escalated"),
        "st_ignored": ("已忽略", "ignored"),
        "order": ("排序", "Order"),
        "order_oldest": ("最久未回复优先", "Oldest unanswered first"),
        "order_newest": ("最新优先", "Newest first"),
        "sentiment": ("情感", "Sentiment"),
        "any": ("全部", "any"),
        "pol_positive": ("正面", "positive"),
        "pol_neutral": ("中性", "neutral"),
        "pol_negative": ("负面", "negative"),
        "pol_unscored": ("未评分", "unscored"),
        "toxicity": ("辱骂内容", "Abuse"),
        "tox_clean": ("隐藏辱骂", "hide abusive"),
        "tox_abusive": ("仅辱骂", "only abusive"),
        "tox_any": ("全部", "all"),
        "mine": ("指派给我", "Assigned to me"),
        "draft": ("保存草稿", "Save draft"),
        "draft_label": ("回复草稿", "Reply draft"),
        "template": ("模板", "Template"),
        "no_template": ("（自己写）", "(write your own)"),
        "templates": ("回复模板", "Reply templates"),
        "template_name": ("名称", "Name"),
        "template_body": ("正文（可用 {user} {brand} {platform}）", "Body (may use {user} {brand} {platform})"),
        "save": ("保存", "Save"),
        "delete": ("删除", "Delete"),
        "language": ("语言", "Language"),
        "triage": ("辱骂分诊", "Abuse triage"),
        "triage_note": (
            "这些消息被判定为辱骂内容，已从收件箱中隐藏；点击“显示”查看原文。",
            "These messages were judged abusive and are kept out of the inbox; click 'show' to read one.",
        ),
        "show": ("显示", "show"),
        "open_on_platform": ("在平台上查看", "open on the platform"),
        "import_replies": (
            "在平台上回复过？导入平台导出的员工回复（by_staff），对应消息会自动离开收件箱。",
            "Replied on the platform? Import the platform's export of staff replies (by_staff): the messages "
            "leave the inbox by themselves.",
        ),
        "label": ("标注", "Label"),
        "set_label": ("标注", "Label"),
        "lab_sentiment": ("情感", "Sentiment"),
        "lab_toxicity": ("辱骂", "Abuse"),
        "lab_emotion": ("情绪", "Emotion"),
        "lab_happy": ("喜悦", "happy"),
        "lab_angry": ("愤怒", "angry"),
        "lab_sad": ("悲伤", "sad"),
        "lab_fear": ("恐惧", "fear"),
        "lab_surprise": ("惊讶", "surprise"),
        "lab_positive": ("正面", "positive"),
        "lab_neutral": ("中性", "neutral"),
        "lab_negative": ("负面", "negative"),
        "lab_ok": ("非辱骂", "not toxic"),
        "lab_toxic": ("辱骂", "toxic"),
        "model_says": ("模型判断", "model says"),
        "send_reply": ("发送回复", "Send reply"),
        "reply_sent": ("回复已发到平台", "reply sent on the platform"),
        "reply_draft": ("回复待审批后发送", "reply waits for an approver"),
        "reply_retry": ("平台暂时不可用，回复稍后自动重发", "the platform is busy: the reply is retried shortly"),
        "reply_failed": ("回复未发出", "reply not sent"),
        "labelled_by": ("已由 {who} 标注", "labelled by {who}"),
    }
)


def _list(request: Request, user: User, q: inbox.InboxQuery) -> dict[str, Any]:
    st = state_of(request)
    with st.db() as ws:
        result = dict(analyses.run(ws, "inbox", at=st.now(), **asdict(q)).values)
        if inbox.may_see_contacts(ws, user.role):  # whom the message is from: [privacy] show_contacts_to
            inbox.with_contacts(ws, result["items"])
        ctx = dict(
            result=result,
            platforms=_platforms(ws),
            user_names=[u["name"] for u in auth.list_users(ws.con) if not u["disabled"]],
            templates=replies.list_templates(ws.con, lang_of(request)),
            reply_platforms=sending.reply_connectors(ws),  # where "send" posts the reply on the platform
            label_tasks=labels.TASKS,
            item_labels={},
            item_predictions={},
            item_choices={},
        )
        if user.can("inbox"):  # the label controls: the current label and the model's prediction per item
            items = result["items"]
            ctx["item_labels"] = labels.current(ws, [it["id"] for it in items])
            preds = labels.predictions(ws, [it["text"] for it in items])
            ctx["item_predictions"] = {it["id"]: p for it, p in zip(items, preds, strict=True)}
            offers = labels.offered([it["text"] for it in items])  # emotion: the message language's classes
            ctx["item_choices"] = {it["id"]: o for it, o in zip(items, offers, strict=True)}
    return ctx


@router.get("/inbox")
def inbox_page(
    request: Request,
    user: Reader,
    platform: str | None = None,
    over_sla: bool = False,
    status: str = "open",
    order: str = "oldest",
    sentiment: str | None = None,
    toxicity: str = "clean",
    mine: bool = False,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    if toxicity != "clean" and not user.can("triage"):
        toxicity = "clean"  # abusive messages only reach the roles allowed to triage them
    q = inbox.InboxQuery(
        platform=platform or None,
        over_sla=over_sla,
        status=status,
        order=order,
        sentiment=sentiment or None,
        toxicity=toxicity,
        assignee=user.name if mine else None,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    ctx = _list(request, user, q)
    params = {
        k: v
        for k, v in {
            "platform": platform or "",
            "over_sla": "true" if over_sla else "",
            "status": status,
            "order": order,
            "sentiment": sentiment or "",
            "toxicity": toxicity if toxicity != "clean" else "",
            "mine": "true" if mine else "",
        }.items()
        if v
    }
    return render(
        request,
        "inbox.html",
        user=user,
        q=q,
        platform=platform or "",
        mine=mine,
        page=page,
        pages=max(1, -(-ctx["result"]["total"] // PAGE)),
        params=params,
        saved=request.query_params.get("saved"),
        urlencode=urlencode,
        statuses=inbox.STATUSES,
        sentiments=inbox.SENTIMENTS,
        toxicities=inbox.TOXICITY,
        **ctx,
    )


@router.get("/triage")
def triage_page(request: Request, user: Triager, platform: str | None = None, status: str = "open") -> Response:
    q = inbox.InboxQuery(platform=platform or None, status=status, toxicity="abusive", limit=inbox.MAX_LIMIT)
    ctx = _list(request, user, q)
    params = {k: v for k, v in {"platform": platform or "", "status": status}.items() if v}
    return render(
        request,
        "triage.html",
        user=user,
        q=q,
        platform=platform or "",
        params=params,
        urlencode=urlencode,
        statuses=inbox.STATUSES,
        saved=request.query_params.get("saved"),
        **ctx,
    )


def _back(back: str, saved: str) -> RedirectResponse:
    target = _safe_next(back)
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}saved={saved}", status_code=303)


@router.post("/inbox/action")
def inbox_action(
    request: Request,
    user: Responder,
    item: Annotated[str, Form()],
    action: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    assignee: Annotated[str | None, Form()] = None,
    note: Annotated[str | None, Form()] = None,
    back: Annotated[str, Form()] = "/inbox",
) -> Response:
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        inbox.record_action(ws, item, action, user.name, assignee=assignee or None, note=note or None)
    return _back(back, action)


@router.post("/inbox/label")
def inbox_label(
    request: Request,
    user: Responder,
    item: Annotated[str, Form()],
    label: Annotated[str, Form()],
    task: Annotated[str, Form()] = "sentiment",
    csrf: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/inbox",
) -> Response:
    """Set (or replace) the item's sentiment, emotion or toxicity label; recorded in its history."""
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        labels.set_label(ws, item, task, label, user.name)
    return _back(back, "label")


@router.post("/inbox/draft")
def inbox_draft(
    request: Request,
    user: Responder,
    item: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    template: Annotated[str | None, Form()] = None,
    text: Annotated[str | None, Form()] = None,
    back: Annotated[str, Form()] = "/inbox",
) -> Response:
    """Save a reply draft: the text written, else the chosen template filled in."""
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        body = (text or "").strip() or (replies.draft(ws, item, template, lang_of(request)) if template else "")
        inbox.record_action(ws, item, "draft", user.name, note=body)
    return _back(back, "draft")


@router.post("/inbox/send")
def inbox_send(
    request: Request,
    user: Responder,
    item: Annotated[str, Form()],
    text: Annotated[str, Form()] = "",
    force: Annotated[bool, Form()] = False,
    csrf: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/inbox",
) -> Response:
    """Send the reply on the platform through the item's connector (the outbox); the item closes as replied."""
    check_csrf(request, csrf)
    with sync.worker(state_of(request)) as ws:  # the platform call must not hold up the other requests
        out = sending.send_reply(ws, item, text, by=user.name, role=user.role, force=force)
    if out["state"] == "failed":
        raise HudongError(f"{tr('reply_failed', lang_of(request))}: {out['error']}")
    return _back(back, f"reply_{out['state']}")


# ---- reply templates --------------------------------------------------------------------------------
@router.get("/templates")
def templates_page(request: Request, user: Reader) -> Response:
    with state_of(request).db() as ws:
        rows = replies.list_templates(ws.con)
    return render(request, "inbox_templates.html", user=user, rows=rows, saved=request.query_params.get("saved"))


@router.post("/templates")
def templates_save(
    request: Request,
    user: Editor,
    name: Annotated[str, Form()],
    lang: Annotated[str, Form()],
    body: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    delete: Annotated[str | None, Form()] = None,
) -> Response:
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        if delete:
            replies.delete_template(ws.con, name, lang)
        else:
            replies.save_template(ws.con, name, lang, body, user.name)
    return RedirectResponse("/templates?saved=1", status_code=303)
