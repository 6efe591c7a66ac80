"""The FAQ page: /faq — the questions people ask most, grouped, each with the team's best answer (or the gap: no
answer yet, or answers that disagree) and a link to the latest asker's conversation in the inbox. /api/faq gives
the same numbers as JSON. The grouping and the answers live in ``hudong.analyses.faq``; this module lays them out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from hudong import analyses

from .auth import User
from .experiment_api import jsonable
from .pages import TEXT, render
from .state import errors, require, state_of

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"])
Reader = Annotated[User, Depends(require("read"))]
MinCount = Annotated[int, Query(ge=2, le=1000)]

TEXT.update({
    "faq_nav": ("常见问题", "FAQ"),
    "faq_page": ("常见问题与官方答复", "Recurring questions and the official answers"),
    "faq_page_public": ("群众常问的问题与官方答复", "What citizens ask most, and the official answers"),
    "faq_note": ("发给机构的评论、私信与提及中的提问,按内容归并。“最佳答复”是团队答复中最具代表性的一条;答复口径不一或尚无答复的问题,"
                 "就是该补上官方答复的地方。", "Questions in the comments, DMs and mentions addressed to the organization, "
                 "grouped by what they ask. The best answer is the most representative of the team's answers; a question "
                 "whose answers differ, or that has none yet, is where an official answer is missing."),
    "faq_totals": ("{questions} 个提问,其中 {covered} 属于 {recurring} 个反复出现的问题;答复率 {answered}。",
                   "{questions} questions, {covered} of them one of {recurring} recurring questions; {answered} answered."),
    "faq_open": ("在收件箱中查看", "Open in the inbox"), "faq_min": ("至少被问", "Asked at least"),
    "faq_gap_none": ("尚无答复", "no answer yet"), "faq_gap_differ": ("答复口径不一({share} 一致)", "answers differ ({share} agree)"),
    "faq_empty": ("还没有反复出现的问题。", "No question recurs yet."),
})  # fmt: skip


def _rows(res: Any) -> list[dict[str, Any]]:
    return [{**r, "ids": len(r["ids"])} for r in res.frame("faq").to_dict("records")]


@router.get("/faq")
def faq_page(request: Request, user: Reader, min_count: MinCount = 3) -> Response:
    with state_of(request).db() as ws:
        res = analyses.run(ws, "faq", min_count=min_count)
        public = ws.profile == "public"
    return render(request, "faq.html", user=user, rows=_rows(res), v=res.values, min_count=min_count, public=public)


@api_router.get("/faq", summary="The recurring questions (asked at least min_count times), each with how often and by "
                "how many it was asked, the share answered, the median minutes to the answer and the team's best "
                "answer with its agreement", responses=errors(422))  # fmt: skip
def faq_api(request: Request, user: Reader, min_count: MinCount = 3) -> Response:
    with state_of(request).db() as ws:
        res = analyses.run(ws, "faq", min_count=min_count)
    return JSONResponse(jsonable({"values": res.values, "faq": res.frame("faq").to_dict("records")}))
