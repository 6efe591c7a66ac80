"""The statements page: /statements — the organization's announcements and rebuttals with the public's response in
their comments (net sentiment with its 95 % interval) and, for a rebuttal, the posts it answers and its reach ratio.
/api/statements gives the same numbers as JSON. The analysis is ``hudong.analyses.statements``."""

from __future__ import annotations

from typing import Annotated

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
Window = Annotated[int, Query(ge=1, le=90)]

TEXT.update({
    "st_page": ("公告反响与辟谣", "Announcements and rebuttals"),
    "st_none": ("机构发布的内容中还没有公告或辟谣。", "No announcement or rebuttal among the organization's posts yet."),
    "st_days": ("辟谣回应此前天数", "A rebuttal answers the days before it"),
})  # fmt: skip


@router.get("/statements")
def statements_page(request: Request, user: Reader, window_days: Window = 7) -> Response:
    with state_of(request).db() as ws:
        res = analyses.run(ws, "statements", window_days=window_days)
    return render(request, "statements.html", user=user, rows=res.frame("statements").to_dict("records"),
                  v=res.values, window_days=window_days)  # fmt: skip


@api_router.get("/statements", summary="The organization's announcements and rebuttals: the comments' net sentiment "
                "with its 95 % interval and, for a rebuttal, the posts it answers and its reach ratio",
                responses=errors(422))  # fmt: skip
def statements_api(request: Request, user: Reader, window_days: Window = 7) -> Response:
    with state_of(request).db() as ws:
        res = analyses.run(ws, "statements", window_days=window_days)
    return JSONResponse(jsonable({"values": res.values, "statements": res.frame("statements").to_dict("records")}))
