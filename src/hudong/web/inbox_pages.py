"""Inbox pages: the reply inbox (/inbox), the abuse triage queue (/triage) and reply templates (/templates).

Every POST records who and when (``inbox_actions`` for items, ``reply_templates.updated_by`` for templates).
Operators label an item's sentiment / emotion / toxicity next to the model's current prediction (``labels.py``:
the training data of ``hudong text train --from-inbox``); the emotion choices are those of the message
language's emotion model.
The triage queue shows only abusive messages (``inbox.is_abusive`` / the toxicity model), to the roles allowed
to see them, with the text blurred until the reader chooses to show it (CSS only: no script needed).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from hudong import analyses
from hudong.connectors import outbox
from hudong.errors import HudongError
from hudong.inbox import items as inbox
from hudong.inbox import labels, replies, sending
from hudong.plan import experiments

from . import auth, sync
from .auth import User
from .pages import TEXT, _platforms, _safe_next, lang_of, render, tr
from .state import Forbidden, check_csrf, require, state_of

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
        "exp_treatment": ("实验「{name}」进行中:请用模板「{arm}」回复此人(按人随机分配,以便比较各模板的效果)。",
                          "Experiment “{name}” is running: answer this person with the template “{arm}” (assigned "
                          "at random per person, so the templates can be compared)."),
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
        "unfamiliar": ("模型不熟悉这类文本", "unfamiliar text"),
        "unfamiliar_hint": ("模型认识的词只占 {share}:判断仅供参考。`hudong text adapt` 可让模型学习本工作区的文本",
                            "the model knows only {share} of its words: take its call with caution. "
                            "`hudong text adapt` teaches it this workspace's texts"),
        "send_reply": ("发送回复", "Send reply"),
        "reply_sent": ("回复已发到平台", "reply sent on the platform"),
        "reply_draft": ("回复待审批后发送", "reply waits for an approver"),
        "reply_retry": ("平台暂时不可用，回复稍后自动重发", "the platform is busy: the reply is retried shortly"),
        "reply_failed": ("回复未发出", "reply not sent"),
        "labelled_by": ("已由 {who} 标注", "labelled by {who}"),
        # the conversation list and the open conversation
        "conversations": ("会话列表", "Conversations"),
        "over_sla_tab": ("超时", "past SLA"),
        "n_new": ("{n} 条新消息已到达", "{n} new messages arrived"),
        "outbox": ("发件箱", "Outbox"),
        "keys_help": ("快捷键：j / k 下一条 / 上一条 · r 回复 · e 标记已回复 · a 指派 · 1–3 情感标注 · Esc 离开输入框",
                      "Keys: j / k next / previous · r reply · e mark replied · a assign · 1–3 sentiment label · "
                      "Esc leave the text box"),
        "presence_viewing": ("{who} 正在查看此会话", "{who} has this conversation open"),
        "presence_typing": ("{who} 正在回复此会话，注意不要重复回复", "{who} is replying to this conversation: avoid a "
                            "second reply"),
        "autosaved": ("草稿已自动保存", "draft saved"),
        "answered": ("已答复", "answered"),
        "on_post": ("评论的帖子", "On the post"),
        "left_out": ("较早的 {n} 条消息未显示", "{n} older messages not shown"),
        "our_reply": ("我们的回复", "our reply"),
        "ob_reply": ("回复", "reply"),
        "ob_message": ("私信回复", "DM reply"),
        "ob_like": ("点赞", "like"),
        "ob_follow": ("回关", "follow back"),
        "ob_delete": ("撤回", "taken back"),
        "obs_draft": ("待审批", "waits for approval"),
        "obs_approved": ("待发送", "queued"),
        "obs_sending": ("发送中", "sending"),
        "obs_sent": ("已发送", "sent"),
        "obs_failed": ("失败", "failed"),
        "obs_unknown": ("状态未知，请到平台确认", "unknown: check on the platform"),
        "obs_cancelled": ("已取消", "cancelled"),
        "undo": ("撤回", "Undo"),
        "do_like": ("点赞", "Like"),
        "do_follow": ("回关", "Follow back"),
        "do_hide": ("隐藏回复", "Hide reply"),
        "window_left": ("回复窗口还剩 {h} 小时（平台只允许在对方最后一条私信后 {total} 小时内回复）",
                        "reply window: {h} h left (the platform allows answers within {total} h of their last message)"),
        "window_closed": ("回复窗口已关闭：平台只允许在对方最后一条私信后 {total} 小时内回复",
                          "reply window closed: the platform allows answers only within {total} h of their last message"),
        "ob_hide": ("隐藏", "hidden"),
        "do_elect": ("精选", "Feature (elect)"),
        "ob_elect": ("精选", "featured"),
        "elect_sent": ("已设为精选留言", "comment featured on the platform"),
        "elect_draft": ("待审批", "waits for an approver"),
        "elect_retry": ("平台暂时不可用，稍后自动重试", "the platform is busy: retried shortly"),
        "hide_sent": ("已在平台隐藏该回复", "reply hidden on the platform"),
        "hide_draft": ("待审批", "waits for an approver"),
        "hide_retry": ("平台暂时不可用，稍后自动重试", "the platform is busy: retried shortly"),
        "compose_hint": ("写回复……（r 聚焦，草稿自动保存）", "Write a reply… (r to focus; the draft saves itself)"),
        "no_connector": ("此平台未连接：在平台上回复后标记已回复", "platform not connected: reply there, then mark "
                         "replied"),
        "person": ("用户画像", "The person"),
        "first_seen": ("首次互动", "First seen"),
        "last_seen": ("最近互动", "Last seen"),
        "followers": ("粉丝数", "Followers"),
        "location": ("地区", "Location"),
        "orders": ("订单", "Orders"),
        "last_order": ("最近下单", "last"),
        "activity": ("互动记录", "Activity"),
        "month": ("月份", "Month"),
        "their_messages": ("TA 的其他消息", "Their messages"),
        "our_replies": ("我们之前的回复", "Our earlier replies"),
        "item_history": ("处理记录", "History"),
        "seg_champion": ("忠实客户", "champion"),
        "seg_new": ("新用户", "new"),
        "seg_active": ("活跃", "active"),
        "seg_at_risk": ("流失风险", "at risk"),
        "seg_dormant": ("沉睡", "dormant"),
        "seg_occasional": ("偶尔互动", "occasional"),
        "type_like": ("点赞", "like"),
        "type_repost": ("转发", "repost"),
        "type_share": ("分享", "share"),
        "type_click": ("点击", "click"),
        "type_view": ("浏览", "view"),
        "type_impression": ("曝光", "impression"),
        "type_follow": ("关注", "follow"),
        "type_unfollow": ("取关", "unfollow"),
        "type_save": ("收藏", "save"),
        "action_failed": ("操作未完成", "action not done"),
        "like_sent": ("已在平台点赞", "liked on the platform"),
        "follow_sent": ("已在平台回关", "followed back on the platform"),
        "undo_sent": ("已在平台撤回", "taken back on the platform"),
        "like_draft": ("待审批", "waits for an approver"),
        "follow_draft": ("待审批", "waits for an approver"),
        "like_retry": ("平台暂时不可用，稍后自动重试", "the platform is busy: retried shortly"),
        "follow_retry": ("平台暂时不可用，稍后自动重试", "the platform is busy: retried shortly"),
        "undo_retry": ("平台暂时不可用，稍后自动重试", "the platform is busy: retried shortly"),
    }
)


def _list(request: Request, user: User, q: inbox.InboxQuery, *, controls: bool = True) -> dict[str, Any]:
    """One page of a queue, with the senders' contacts for the roles that may see them; ``controls``: also the
    per-row label controls (the triage queue keeps them on each row)."""
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
        if controls and user.can("inbox"):  # the label controls: the current label and the model's prediction
            items = result["items"]
            ctx["item_labels"] = labels.current(ws, [it["id"] for it in items])
            preds = labels.predictions(ws, [it["text"] for it in items])
            ctx["item_predictions"] = {it["id"]: p for it, p in zip(items, preds, strict=True)}
            offers = labels.offered([it["text"] for it in items])  # emotion: the message language's classes
            ctx["item_choices"] = {it["id"]: o for it, o in zip(items, offers, strict=True)}
    return ctx


def _conversation(request: Request, user: User, item: str) -> dict[str, Any]:
    """The open conversation (the ``conversation`` analysis) and what its pane offers this user: templates filled
    in for its author, their autosaved draft, labels, the actions the connectors can take, who else has it open."""
    st = state_of(request)
    lang = lang_of(request)
    with st.db() as ws:
        conv = dict(analyses.run(ws, "conversation", item=item, at=st.now()).values)
        if inbox.may_see_contacts(ws, user.role):
            rows = [{"platform": conv["platform"], "interaction_id": conv["interaction_id"],
                     "actor_id": conv["person"]["actor_id"]}]  # fmt: skip
            inbox.with_contacts(ws, rows)
            conv["contact"] = rows[0]
        else:
            conv["contact"] = {}
        text = conv["thread"]["messages"][-1]["text"] if conv["thread"]["messages"] else ""
        mine = [m for m in conv["thread"]["messages"] if m["is_item"]]
        text = mine[0]["text"] if mine else text
        ctx: dict[str, Any] = dict(
            conv=conv,
            filled=[dict(name=tp["name"], body=replies.draft(ws, item, tp["name"], lang))
                    for tp in replies.list_templates(ws.con, lang)],
            autosaved=replies.autosaved(ws, item, user.name),
            can={a: conv["platform"] in sending.item_connectors(ws, a) for a in sending.ITEM_ACTIONS}
            | {"reply": conv["platform"] in sending.item_connectors(ws, sending.answer_action(ws, conv["id"]))},
            labs=labels.current(ws, [item]).get(item, {}),
            preds=labels.predictions(ws, [text])[0],
            offers=labels.offered([text])[0],
            treatment=experiments.inbox_treatment(ws, conv["platform"], conv["person"]["actor_id"]),
        )
        if ctx["treatment"]:  # the experiment's template first, and chosen
            arm = ctx["treatment"]["arm"]
            ctx["filled"].sort(key=lambda tp: tp["name"] != arm)
    # Opening it counts as being here for those who may answer (the page pings on); readers only see who is.
    ctx["others"] = st.presence.ping(item, user.name) if user.can("inbox") else st.presence.others(item, user.name)
    return ctx


@dataclass
class ListView:
    """The inbox list's request: its query, the query string links keep, the page and the open conversation."""

    q: inbox.InboxQuery
    params: dict[str, str]
    page: int
    open: str | None

    @property
    def list_params(self) -> dict[str, str]:
        return dict(self.params, page=str(self.page)) if self.page > 1 else self.params


def list_view(
    user: Reader,
    platform: str | None = None,
    over_sla: bool = False,
    status: str = "open",
    order: str = "oldest",
    sentiment: str | None = None,
    toxicity: str = "clean",
    mine: bool = False,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    open: str | None = None,  # noqa: A002 - the conversation shown beside the list (default: the first)
) -> ListView:
    """The list's query parameters (the page and its live refresh take the same ones)."""
    if toxicity != "clean" and not user.can("triage"):
        toxicity = "clean"  # abusive messages only reach the roles allowed to triage them
    q = inbox.InboxQuery(platform=platform or None, over_sla=over_sla, status=status, order=order,
                         sentiment=sentiment or None, toxicity=toxicity, assignee=user.name if mine else None,
                         limit=PAGE, offset=(page - 1) * PAGE)  # fmt: skip
    given = {"platform": platform, "over_sla": "true" if over_sla else "", "status": status, "order": order,
             "sentiment": sentiment, "toxicity": toxicity if toxicity != "clean" else "", "mine": "true" if mine else ""}
    return ListView(q, {k: str(v) for k, v in given.items() if v}, page, open or None)


List = Annotated[ListView, Depends(list_view)]


@router.get("/inbox")
def inbox_page(request: Request, user: Reader, view: List) -> Response:
    """The inbox: the conversation list (filters, counts per status, the SLA colour) beside one open conversation
    (its thread, the person, the composer). New messages appear without a reload (``inbox.js`` polls
    ``/inbox/rows``)."""
    q = view.q
    ctx = _list(request, user, q, controls=False)
    st = state_of(request)
    with st.db() as ws:
        counts = inbox.counts(ws, q, st.now())
    items = ctx["result"]["items"]
    open_id = view.open or (items[0]["id"] if items else None)
    ids = [it["id"] for it in items]
    pane: dict[str, Any] = {"conv": None}
    # Where "mark replied" / "ignore" lead: the next conversation of the list (the previous one at its end).
    at = ids.index(open_id) if open_id in ids else -1
    rest = ids[at + 1:] + ids[:max(at, 0)][::-1] if at >= 0 else ids
    pane["next_id"] = rest[0] if rest else None
    if open_id:
        try:
            pane.update(_conversation(request, user, open_id))
            open_id = pane["conv"]["id"]  # an earlier message of a turn opens the turn's item
        except LookupError:
            if view.open:  # asked for by name: say so (404); a default that vanished just shows no conversation
                raise
    return render(
        request,
        "inbox.html",
        user=user,
        q=q,
        platform=q.platform or "",
        mine=q.assignee is not None,
        page=view.page,
        pages=max(1, -(-ctx["result"]["total"] // PAGE)),
        params=view.params,
        list_params=view.list_params,
        open_id=open_id,
        counts=counts,
        saved=request.query_params.get("saved"),
        urlencode=urlencode,
        statuses=inbox.STATUSES,
        sentiments=inbox.SENTIMENTS,
        toxicities=inbox.TOXICITY,
        **ctx,
        **pane,
    )


@router.get("/inbox/rows")
def inbox_rows(request: Request, user: Reader, view: List) -> Response:
    """The list's rows alone (what the page's live refresh swaps in); the total in ``X-Inbox-Total``."""
    ctx = _list(request, user, view.q, controls=False)
    resp = render(request, "inbox_rows.html", user=user, open_id=view.open, urlencode=urlencode,
                  list_params=view.list_params, **ctx)  # fmt: skip
    resp.headers["X-Inbox-Total"] = str(ctx["result"]["total"])
    resp.headers["Cache-Control"] = "no-store"
    return resp


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


@router.post("/inbox/act")
def inbox_act(
    request: Request,
    user: Responder,
    item: Annotated[str, Form()],
    action: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/inbox",
) -> Response:
    """Like the message, or follow its author back, on the platform (an outbox action linked to the item)."""
    check_csrf(request, csrf)
    with sync.worker(state_of(request)) as ws:
        out = sending.act_on_item(ws, item, action, by=user.name, role=user.role)
    if out["state"] == "failed":
        raise HudongError(f"{tr('action_failed', lang_of(request))}: {out['error']}")
    return _back(back, f"{action}_{out['state']}")


@router.post("/inbox/undo")
def inbox_undo(
    request: Request,
    user: Responder,
    action_id: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/inbox",
) -> Response:
    """Take back a reply (or a like) just sent from hudong: the platform deletes it; the item reopens."""
    check_csrf(request, csrf)
    st = state_of(request)
    with st.db() as ws:
        row = outbox.get(ws, action_id)
    if row["created_by"] != user.name and not user.can("approve"):
        raise Forbidden(f"only {row['created_by']} or an approver may take back action {action_id}")
    with sync.worker(st) as ws:
        out = sending.undo(ws, action_id, by=user.name)
    if out["state"] == "failed":
        raise HudongError(f"{tr('action_failed', lang_of(request))}: {out['error']}")
    return _back(back, f"undo_{out['state']}")


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
