"""The co-creation board: /ideas — the ideas in one column per status (new, considering, planned, shipped,
declined), each with its kind, supporters, trend and their segments; /ideas/{id} — its messages (with the phrase
that made each one feedback) and, for analysts and admins, the form that moves it (shipping it drafts the answer to
every supporter in the inbox). /api/ideas gives the same numbers. Grouping, counts and the loop's rules live in
``hudong.analyses.ideas`` and ``hudong.inbox.ideas``; this module lays them out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from hudong import analyses
from hudong.analyses import ideas as board
from hudong.errors import HudongError
from hudong.inbox import ideas as actions
from hudong.store.schema import IDEA_STATUSES

from .auth import User
from .experiment_api import jsonable
from .pages import TEXT, lang_of, render  # statuses, kinds and the summary line: hudong.i18n (the report's too)
from .state import check_csrf, errors, require, state_of

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"])
Reader = Annotated[User, Depends(require("read"))]
Runner = Annotated[User, Depends(require("analyze"))]
KINDS = ("bug", "request", "suggestion", "complaint")

TEXT.update({
    "ideas_title": ("用户共创看板", "Co-creation board"),
    "ideas_note": ("评论、私信、群聊与问卷中的建议、需求、抱怨和故障反馈,按内容归并为“想法”;至少两人提出才上板。上线(shipped)"
                   "后,会在收件箱里为每位提出者起草“你提的我们做到了”的回复,阅后发送。",
                   "Suggestions, requests, complaints and bug reports from comments, DMs, group chats and survey answers, "
                   "grouped into ideas; an idea is on the board once two people have raised it. Shipping one drafts "
                   "\u201cyou asked, we built it\u201d to every supporter in the inbox, sent after a read."),
    "ideas_refresh": ("收录新消息", "Add new messages"), "ideas_none": ("还没有想法:点“收录新消息”。",
                                                               "No ideas yet: press \u201cAdd new messages\u201d."),
    "ideas_supporters": ("人", "people"), "ideas_messages": ("条", "messages"), "ideas_trend": ("近30天", "last 30 days"),
    "ideas_move": ("更新状态", "Move"), "ideas_note_field": ("备注", "Note"), "ideas_rename": ("改名", "Rename"),
    "ideas_answered": ("已答复", "answered"),
    "ideas_confirm_ship": ("标为“已上线”会在收件箱为每位提出者起草一条答复。继续?",
                           "Marking it shipped drafts an answer to every supporter in the inbox. Go on?"),
    "ideas_drafted": ("已在收件箱起草 {drafted} 条回复;{elsewhere} 位在别处提出(问卷、群聊、帖子)。",
                      "Drafted {drafted} answers in the inbox; {elsewhere} supporters wrote elsewhere (survey, group chat, posts)."),
})  # fmt: skip


def _board(request: Request, **params: Any) -> Any:
    """The board, computed per request: a few grouped counts (milliseconds), and a status moved a moment ago
    must show (the data-version cache follows imports, not the board's own edits)."""
    with state_of(request).db() as ws:
        return analyses.run(ws, "ideas", **params)


@router.get("/ideas")
def ideas_page(request: Request, user: Reader, kind: str = "") -> Response:
    kinds = [k for k in kind.split(",") if k in KINDS] or None
    try:
        res = _board(request, kind=kinds)
    except HudongError:
        res = None
    cols = {s: [] for s in IDEA_STATUSES}
    if res is not None:
        for r in res.frame("ideas").to_dict("records"):
            cols[r["status"]].append(r)
    return render(request, "ideas.html", user=user, res=res, cols=cols, kinds=KINDS, kind=kind,
                  can_run=user.can("analyze"), can_move=user.can("analyze"))  # fmt: skip


@router.post("/ideas/refresh")
def ideas_refresh(request: Request, user: Runner, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    with state_of(request).db(write=True) as ws:
        board.refresh(ws)
    return RedirectResponse("/ideas", status_code=303)


@router.get("/ideas/{idea_id}")
def idea_page(request: Request, user: Reader, idea_id: str, drafted: int | None = None,
              elsewhere: int | None = None) -> Response:  # fmt: skip
    with state_of(request).db() as ws:
        try:
            res = analyses.run(ws, "ideas", idea=idea_id, min_supporters=1)
        except HudongError as e:
            raise LookupError(str(e)) from e
    idea = res.frame("ideas").iloc[0].to_dict()
    return render(request, "idea.html", user=user, idea=idea, messages=res.frame("messages").head(200).to_dict("records"),
                  statuses=IDEA_STATUSES, can_run=user.can("analyze"), drafted=drafted, elsewhere=elsewhere)  # fmt: skip


@router.post("/ideas/{idea_id}/status")
def idea_move(request: Request, user: Runner, idea_id: str, status: Annotated[str, Form()],
              note: Annotated[str, Form()] = "", title: Annotated[str, Form()] = "",
              csrf: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    check_csrf(request, csrf)
    with state_of(request).db(write=True) as ws:
        out = actions.set_status(ws, idea_id, status, user.name, note=note.strip() or None,
                                 title=title.strip() or None, lang=lang_of(request))  # type: ignore[arg-type]
    a = out.get("answers")
    tail = f"?drafted={a['drafted']}&elsewhere={a['elsewhere']}" if a else ""
    return RedirectResponse(f"/ideas/{idea_id}{tail}", status_code=303)


@api_router.get("/ideas", summary="The co-creation board: ideas with their kind, status, supporters, messages, trend, "
                "sentiment and segments", responses=errors(404, 422))  # fmt: skip
def ideas_api(request: Request, user: Reader, min_supporters: int = 2) -> Response:
    try:
        res = _board(request, min_supporters=min(max(min_supporters, 1), 1_000_000))
    except HudongError as e:
        return JSONResponse({"error": str(e)}, status_code=404)
    return JSONResponse(jsonable({**res.values, "ideas": res.frame("ideas").to_dict("records")}))


class StatusIn(BaseModel):
    status: str = Field(description="new, considering, planned, shipped (drafts the answers to its supporters) or "
                        "declined")  # fmt: skip
    note: str | None = Field(default=None, max_length=2000)
    title: str | None = Field(default=None, max_length=200)
    lang: str = Field(default="zh", pattern="^(zh|en)$", description="language of the drafted answers")


@api_router.post("/ideas/{idea_id}/status", summary="Move an idea; shipping it drafts the answer to every supporter "
                 "in the inbox", responses=errors(400, 403, 404, 422))  # fmt: skip
def idea_status_api(request: Request, user: Runner, idea_id: str, body: StatusIn,
                    x_csrf_token: Annotated[str | None, Header()] = None) -> Response:  # fmt: skip
    check_csrf(request, x_csrf_token)
    with state_of(request).db(write=True) as ws:
        if not ws.con.execute("SELECT count(*) FROM ideas WHERE idea_id = ?", [idea_id]).fetchone()[0]:
            return JSONResponse({"error": f"no idea {idea_id!r}"}, status_code=404)
        out = actions.set_status(ws, idea_id, body.status, user.name, note=body.note, title=body.title,
                                 lang=body.lang)  # type: ignore[arg-type]
    return JSONResponse(jsonable(out))
