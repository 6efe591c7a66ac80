"""The content calendar page (/plan): a week or month of the plan with festivals and shopping days in the day
cells, unscheduled ideas beside it, drag an item to another day to reschedule it (static/plan.js → the API's
move), a form to plan a post and the buttons that move an item on. The rules live in ``hudong.plan``; this module
lays the days out and says who may press what."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from hudong import analyses
from hudong import fmt as F
from hudong.analyses import segments as seg
from hudong.errors import HudongError
from hudong.inbox.items import safe_link
from hudong.plan import festivals, items, publishing
from hudong.platforms import PLATFORMS
from hudong.store.schema import MEDIA_TYPES

from .auth import User
from .pages import TEXT, lang_of, render, tr
from .state import check_csrf, require, state_of

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Planner = Annotated[User, Depends(require("plan"))]

TEXT.update({
    "plan": ("日历", "Plan"),
    "plan_title": ("内容日历", "Content calendar"),
    "plan_note": ("拖动条目到另一天即可改期；★ 为节日与电商节点。草稿送审后由分析师或管理员批准。",
                  "Drag an item to another day to reschedule it; ★ marks festivals and shopping days. Drafts go "
                  "to review and are approved by an analyst or admin."),
    "week": ("周", "Week"), "month": ("月", "Month"), "prev": ("上一页", "Previous"), "next": ("下一页", "Next"),
    "today": ("今天", "Today"), "unscheduled": ("未排期", "Unscheduled"), "plan_add": ("新建计划", "Plan a post"),
    "plan_text": ("正文", "Text"), "plan_title_field": ("标题", "Title"), "plan_time": ("时间", "Time"),
    "owner": ("负责人", "Owner"), "repeat": ("重复", "Repeats"), "weekly": ("每周", "weekly"),
    "monthly": ("每月", "monthly"), "problems": ("问题", "Problems"), "how_out": ("发布方式", "How it goes out"),
    "review_note": ("备注 / 审批意见(退回时写明原因)", "Note / review comment (say why when sending back)"),
    "do_comment": ("只留言", "Comment only"), "do_published": ("标记已发布", "Mark published"),
    "post_link": ("帖子链接", "The post's link"),
    "target_segment": ("目标人群", "Target segment"), "content_type": ("内容形式", "Content type"),
    "aim_likes": ("更爱互动的内容", "responds most to"),
    "aim_misfit": ("提示:这个人群对「{ct}」没有明显偏好,考虑换成它更爱的形式。",
                   "Note: this segment shows no distinct liking for {ct}; consider a format it responds to."),
    "aim_fit": ("这个人群偏爱「{ct}」,形式匹配。", "This segment responds to {ct}: a good match."),
    "st_idea": ("想法", "idea"), "st_draft": ("草稿", "draft"), "st_in_review": ("待审批", "in review"),
    "st_approved": ("已批准", "approved"), "st_scheduled": ("已排期", "scheduled"), "st_published": ("已发布", "published"),
    "st_missed": ("错过", "missed"), "st_failed": ("失败", "failed"),
    "do_submit": ("送审", "Submit"), "do_approve": ("批准", "Approve"), "do_reject": ("退回", "Reject"),
    "do_schedule": ("排期", "Schedule"), "do_reopen": ("重新编辑", "Reopen"),
    "weekdays": ("一 二 三 四 五 六 日", "Mon Tue Wed Thu Fri Sat Sun"),
    "best_times": ("最佳发布时段", "Best times to publish"),
    "best_note": ("来自本工作区自有帖子的互动率(90%区间);数据少时向平台整体规律收缩。",
                  "From your own posts' engagement (90% intervals), shrunk toward the platform's pattern where data "
                  "are thin."),
    "best_thin": ("数据太少,还分不出时段的好坏", "too thin to tell slots apart"),
    "mix_title": ("内容形式", "Content mix"),
    "mix_more": ("多发", "post more"), "mix_less": ("少发", "post less"), "mix_unclear": ("尚不确定", "unclear"),
    "rising_now": ("正在上升的话题", "Rising now"),
    "needs_you": ("需要你处理", "Needs you"),
    "more": ("还有 {n} 条", "{n} more"),
    "results": ("发布效果", "Results"), "not_published": ("尚未发布", "Not published yet"),
    "not_synced": ("帖子还没有同步或导入", "The post has not been synced or imported yet"),
    "res_likes": ("点赞", "Likes"), "res_comments": ("评论", "Comments"), "res_reposts": ("转发", "Reposts"),
    "res_saves": ("收藏", "Saves"), "res_impressions": ("曝光", "Impressions"), "res_reach": ("触达", "Reach"),
    "res_er": ("互动率(按曝光)", "Engagement rate (impressions)"), "res_cascade": ("转发级联", "Cascade (reposts)"),
    "res_tone": ("评论情绪", "Comment tone"), "res_positive": ("正面", "positive"), "res_negative": ("负面", "negative"),
    "log": ("记录", "Log"), "open_post": ("打开帖子", "Open the post"),
    "needs_note": ("发布失败、错过时间或等待手动发布的计划", "Plan items that failed, were missed or wait to be published by hand"),
    "rising_note": ("最近一天对比此前7天(来自已导入的帖子)", "The last day against the 7 before (imported posts)"),
})
MONTH_CELL = 8  # items shown in a month's day cell; the rest behind "n more" (the day's week view shows them all)
NEXT_STEPS = {"idea": ("submit",), "draft": ("submit",), "in_review": ("approve", "reject"), "approved": ("schedule",),
              "missed": ("reopen",), "failed": ("reopen",)}  # fmt: skip


def side_panel(ws: Any) -> dict[str, Any]:
    """What the calendar shows beside the plan: per platform the best slots of its most-posted content type (the
    ``best_times`` analysis) and the rising topics (the ``bursts`` analysis)."""
    best, mix = [], []
    try:
        res = analyses.run(ws, "best_times")
        rec = res.frame("recommended")
        mix = res.frame("mix").to_dict("records")
    except HudongError:
        rec = None
    if rec is not None and not rec.empty:
        for _platform, g in rec.groupby("platform", sort=True):
            best.append(g.sort_values("posts", ascending=False).iloc[0].to_dict())
    try:
        rising = analyses.run(ws, "bursts", grain="day", window=7, to_last_post=True, recent_days=60, top=8,
                              bursts=False).frame("rising").to_dict("records")  # fmt: skip
    except HudongError:
        rising = []
    return {"best": best, "mix": mix, "rising": rising}


def _range(view: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    if view == "month":
        first = anchor.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        return first - dt.timedelta(days=first.weekday()), last + dt.timedelta(days=6 - last.weekday())
    start = anchor - dt.timedelta(days=anchor.weekday())
    return start, start + dt.timedelta(days=6)


@router.get("/plan")
def plan_page(request: Request, user: Reader, view: str = "week", date: str | None = None) -> Response:
    view = "month" if view == "month" else "week"
    try:
        anchor = dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError:
        raise HudongError(f"cannot read {date!r} as a date (YYYY-MM-DD)") from None
    start, end = _range(view, anchor)
    st = state_of(request)
    with st.db() as ws:
        rows = items.listing(ws, start, end)
        needs = items.attention(ws, None if user.role == "admin" else user.name)
        side = st.cached(("plan-side",), side_panel, ws)
        targets = seg.targets(ws)  # not cached: a segmentation kept a minute ago is offered at once
    hints: dict[int, list[tuple[str, str]]] = {}  # weekday → (platform, slot) of separable best slots
    for b in side["best"]:
        if b["separable"]:
            wd, block = b["slots"][0][:2]
            hints.setdefault(wd, []).append((b["platform"], F.slot(wd, block, lang_of(request))))
    marks: dict[dt.date, list[Any]] = {}
    for f in festivals.between(start, end):
        marks.setdefault(f.date, []).append(f)
    by_day: dict[dt.date, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("scheduled_at"):
            by_day.setdefault(r["scheduled_at"].date(), []).append(r)
    days = [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]
    weeks = [days[i:i + 7] for i in range(0, len(days), 7)]
    step = dt.timedelta(days=7) if view == "week" else dt.timedelta(days=31)
    prev_anchor = anchor - step if view == "week" else (anchor.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    next_anchor = anchor + step if view == "week" else (anchor.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return render(request, "plan.html", user=user, view=view, anchor=anchor, weeks=weeks, by_day=by_day, marks=marks,
                  unscheduled=[r for r in rows if not r.get("scheduled_at")], today=dt.date.today(),
                  prev_anchor=prev_anchor, next_anchor=next_anchor, next_steps=NEXT_STEPS,
                  platforms=[p for p in PLATFORMS.values() if p.social], can_plan=user.can("plan"), targets=targets,
                  content_types=MEDIA_TYPES,
                  can_approve=user.can("approve"), side=side, needs=needs, hints=hints, cap=MONTH_CELL if view == "month" else None, slot=F.slot, lift=F.lift)  # fmt: skip


@router.post("/plan/add")
def plan_add(request: Request, user: Planner, platform: Annotated[str, Form()], text: Annotated[str, Form()] = "",
             title: Annotated[str, Form()] = "", at: Annotated[str, Form()] = "", owner: Annotated[str, Form()] = "",
             recurrence: Annotated[str, Form()] = "", content_type: Annotated[str, Form()] = "",
             segment: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        it = items.create(ws, platform=platform, by=user.name, text=text or None, title=title or None,
                          scheduled_at=at or None, owner=owner or None, recurrence=recurrence or None,
                          content_type=content_type or None, segment=segment or None)  # fmt: skip
    when = it["scheduled_at"].date().isoformat() if it["scheduled_at"] else ""
    return RedirectResponse(f"/plan?date={when}&saved={it['item_id']}" if when else "/plan", status_code=303)


@router.get("/plan/{item_id}")
def plan_item_page(request: Request, item_id: str, user: Reader) -> Response:
    """One item: its text and what the platform's rules say, its log, and — once published — the post's results."""
    with state_of(request).db() as ws:
        it = items.get(ws, item_id)
        res = publishing.results(ws, item_id)
        way = publishing.route(ws, it) if it["state"] not in ("published", "missed", "failed") else None
        aim = seg.target(ws, it.get("segment"), it.get("content_type"), lambda run: state_of(request).cached(
            ("segment-prefs", run), lambda w: analyses.run(w, "segment_preferences", run=run).frame("preferences"),
            ws))  # the target segment and what it likes; its run's table computed once per import
    if res and res.get("url"):
        res["url"] = safe_link(res["url"])  # an imported link is shown only if it is http(s)
    return render(request, "plan_item.html", user=user, it=it, res=res, way=way, aim=aim, next_steps=NEXT_STEPS,
                  can_plan=user.can("plan"), can_approve=user.can("approve"), pct=F.percent,
                  num=lambda v: F.number(v, lang_of(request)))  # fmt: skip


@router.post("/plan/{item_id}/do")
def plan_do(request: Request, item_id: str, user: Planner, action: Annotated[str, Form()],
            note: Annotated[str, Form()] = "", csrf: Annotated[str, Form()] = "",
            back: Annotated[str, Form()] = "", url: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        if action == "comment" and not note.strip():
            raise HTTPException(400, "write the comment first")
        extra = {"url": url.strip()} if action == "published" and url.strip() else {}
        items.act(ws, item_id, action, user.name, role=user.role,
                  note=note.strip() or (tr("do_reject", lang_of(request)) if action == "reject" else None),
                  **extra)  # a rejection always says something, in the operator's language
    target = back if back.startswith("/plan") and "//" not in back else "/plan"
    return RedirectResponse(target, status_code=303)
