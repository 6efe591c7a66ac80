"""The content calendar's API (/api/plan): list the plan with the festivals beside it, create, edit, move and move
on plan items, and check a text against a platform's rules as it is typed. The rules live in ``hudong.plan``; this
module only says who may press which button (planning: responder, analyst, admin; approving: analyst, admin)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from hudong.errors import HudongError
from hudong.plan import festivals, items, rules
from hudong.platforms import platform as platform_of

from .auth import User
from .state import check_csrf, errors, require, state_of

router = APIRouter(prefix="/api", tags=["api"])
Reader = Annotated[User, Depends(require("read"))]
Planner = Annotated[User, Depends(require("plan"))]
MAX_RANGE = dt.timedelta(days=400)


class PlanIn(BaseModel):
    platform: str = Field(description="weibo, wechat, xiaohongshu, douyin, bluesky, mastodon …")
    text: str | None = Field(default=None, max_length=50_000)
    title: str | None = Field(default=None, max_length=500)
    at: str | None = Field(default=None, description="when it should go out: YYYY-MM-DD HH:MM (workspace time)")
    owner: str | None = Field(default=None, max_length=64)
    account_id: str | None = None
    campaign_id: str | None = None
    content_type: str | None = None
    topics: list[str] | None = None
    segment: str | None = None
    images: int = Field(default=0, ge=0, le=100)
    recurrence: str | None = Field(default=None, description="weekly | monthly: a recurring slot")
    draft: bool = Field(default=False, description="start as a draft (default: an idea)")


class PlanEdit(BaseModel):
    text: str | None = Field(default=None, max_length=50_000)
    title: str | None = Field(default=None, max_length=500)
    owner: str | None = Field(default=None, max_length=64)
    account_id: str | None = None
    campaign_id: str | None = None
    content_type: str | None = None
    topics: list[str] | None = None
    segment: str | None = None
    images: int | None = Field(default=None, ge=0, le=100)
    recurrence: str | None = None


class PlanAct(BaseModel):
    note: str | None = Field(default=None, max_length=2000, description="a comment; why it is rejected")
    url: str | None = Field(default=None, max_length=2000, description="the published post's link")
    at: str | None = Field(default=None, description="schedule / published / move: the time")


def _json(it: dict[str, Any]) -> dict[str, Any]:
    out = {k: v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for k, v in it.items() if k != "events"}
    if "events" in it:
        out["events"] = [{k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in e.items()}
                         for e in it["events"]]
    return out


def _date(value: str | None, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise HudongError(f"cannot read {value!r} as a date (YYYY-MM-DD)") from None


@router.get("/plan", summary="The content calendar between two dates, with festivals and shopping days beside it",
            responses=errors(400, 401, 422))
def plan_list(
    request: Request,
    user: Reader,
    start: Annotated[str | None, Query(description="from this date (default: today)")] = None,
    end: Annotated[str | None, Query(description="to this date, inclusive (default: 30 days on; at most 400)")] = None,
    platform: Annotated[str | None, Query(description="only these platforms (comma-separated)")] = None,
    state: Annotated[str | None, Query(description="only these states (comma-separated)")] = None,
) -> dict[str, Any]:
    lo = _date(start, dt.date.today())
    hi = _date(end, lo + dt.timedelta(days=30))
    if hi < lo or hi - lo > MAX_RANGE:
        raise HudongError("end must be on or after start, at most 400 days later")
    split = [v.strip() for v in (platform or "").split(",") if v.strip()]
    states = [v.strip() for v in (state or "").split(",") if v.strip()]
    with state_of(request).db() as ws:
        rows = items.listing(ws, lo, hi, platform=split, state=states)
    return {"start": lo.isoformat(), "end": hi.isoformat(), "items": [_json(r) for r in rows],
            "festivals": [{"date": d.date.isoformat(), "key": d.key, "zh": d.zh, "en": d.en, "kind": d.kind}
                          for d in festivals.between(lo, hi)]}


@router.post("/plan", summary="Plan a post (an idea or a draft); the platform's rules are checked at once",
             responses=errors(400, 401, 403, 422))
def plan_create(request: Request, body: PlanIn, user: Planner,
                x_csrf_token: Annotated[str | None, Header()] = None) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    fields = body.model_dump(exclude={"platform", "text", "title", "at", "draft"}, exclude_none=True)
    with state_of(request).db() as ws:
        it = items.create(ws, platform=body.platform, by=user.name, text=body.text, title=body.title,
                          scheduled_at=body.at, state="draft" if body.draft else "idea", **fields)
    return _json(it)


@router.get("/plan/rules", summary="Check a text against a platform's rules (length counted its way, title, "
            "images, hashtag form)", responses=errors(400, 401, 422))
def plan_rules(
    user: Reader,
    platform: str,
    text: Annotated[str, Query(max_length=50_000)] = "",
    title: Annotated[str | None, Query(max_length=500)] = None,
    images: Annotated[int, Query(ge=0, le=100)] = 0,
) -> dict[str, Any]:
    p = platform_of(platform)
    if p is None:
        raise HudongError(f"unknown platform {platform!r}")
    return {"platform": platform, "length": rules.length(text, p), "max_length": p.max_chars, "count": p.count,
            "problems": [x.to_dict() for x in rules.check(platform, text, title=title, images=images)]}


@router.get("/plan/{item_id}", summary="One plan item with its problems and its log", responses=errors(401, 404, 422))
def plan_get(request: Request, item_id: str, user: Reader) -> dict[str, Any]:
    with state_of(request).db() as ws:
        return _json(items.get(ws, item_id))


@router.patch("/plan/{item_id}", summary="Edit a plan item (changed content of an approved item needs approval "
              "again)", responses=errors(400, 401, 403, 404, 422))
def plan_edit(request: Request, item_id: str, body: PlanEdit, user: Planner,
              x_csrf_token: Annotated[str | None, Header()] = None) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    with state_of(request).db() as ws:
        return _json(items.edit(ws, item_id, user.name, **body.model_dump(exclude_unset=True)))


@router.post("/plan/{item_id}/{action}", summary="Move (reschedule), submit, approve, reject, schedule, unschedule, "
             "mark published / missed / failed, reopen, or comment", responses=errors(400, 401, 403, 404, 422))
def plan_act(request: Request, item_id: str, action: str, body: PlanAct, user: Planner,
             x_csrf_token: Annotated[str | None, Header()] = None) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    with state_of(request).db() as ws:
        if action == "move":
            return _json(items.move(ws, item_id, user.name, body.at))
        return _json(items.act(ws, item_id, action, user.name, role=user.role, note=body.note, url=body.url,
                               at=body.at))
