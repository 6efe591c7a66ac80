"""The campaigns page: /campaigns — each campaign's spend, reach, engagement, new followers, UGC, orders and the
revenue an attribution model gives it, with cost per engagement / order and ROI; the orders every model attributes
to each channel side by side; and one campaign's lift over its counterfactual, drawn. /api/campaigns and
/api/campaigns/{id}/lift give the same numbers as JSON. The measures live in ``hudong.analyses.campaigns``; this
module lays them out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from hudong import analyses
from hudong.errors import HudongError
from hudong.report import charts
from hudong.report.content import ugc_summary

from .analytics import bundle_url, figure
from .auth import User
from .experiment_api import jsonable
from .pages import TEXT, lang_of, render
from .state import errors, require, state_of

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"])
Reader = Annotated[User, Depends(require("read"))]

MODELS = ("markov", "first", "last", "linear", "time_decay")
TEXT.update({
    "campaigns_nav": ("活动", "Campaigns"),
    "cmp_model": ("归因模型", "Attribution model"), "cmp_lookback": ("回溯天数", "Lookback (days)"),
    "cmp_by_model": ("各模型归因的订单数", "Orders attributed to each channel, by model"),
    "cmp_channel": ("触点", "Channel"), "cmp_show_lift": ("查看增量", "Show lift"),
    "cmp_none": ("还没有活动:导入 campaigns 表(campaign_id、name、start_at、end_at、budget)。",
                 "No campaigns yet: import a campaigns table (campaign_id, name, start_at, end_at, budget)."),
    "m_markov": ("马尔可夫移除效应", "Markov removal effect"), "m_first": ("首次触点", "first touch"),
    "m_last": ("末次触点", "last touch"), "m_linear": ("线性", "linear"), "m_time_decay": ("时间衰减", "time decay"),
})  # fmt: skip


def _model(model: str) -> str:
    return model if model in MODELS else "markov"


def _lookback(days: int) -> int:
    return min(max(days, 1), 365)


def _run(request: Request, name: str, **params: Any) -> Any:
    """The analysis, cached until the data change: a lift simulates 2,000 paths (about a second), the same for
    every viewer until the next import."""
    key = ("analysis", name, tuple(sorted((k, str(v)) for k, v in params.items())))
    return state_of(request).cached(key, lambda ws: analyses.run(ws, name, **params))


def _by_model(attr: Any) -> dict[str, Any]:
    """channel → model → attributed orders (the table of every model side by side)."""
    if attr.empty:
        return {"channels": [], "rows": {}}
    wide = attr.pivot_table(index="channel", columns="model", values="conversions", fill_value=0.0)
    return {"channels": wide.index.tolist(), "rows": {c: {m: float(wide.at[c, m]) if m in wide.columns else 0.0
                                                          for m in MODELS} for c in wide.index}}  # fmt: skip


@router.get("/campaigns")
def campaigns_page(request: Request, user: Reader, model: str = "markov", lookback: int = 30,
                   campaign: str = "") -> Response:  # fmt: skip
    lang = lang_of(request)
    model, lookback = _model(model), _lookback(lookback)
    error, roi, lift, fig, ugc = None, None, None, None, None
    try:
        roi = _run(request, "campaign_roi", model=model, lookback_days=lookback)
        lift = _run(request, "campaign_lift", campaign=campaign)
    except HudongError as e:
        error = str(e)
    if lift is not None:
        ugc = _run(request, "ugc_campaign", campaign=lift.values["campaign"])
        ugc = ugc if ugc.values["ugc_posts"] else None  # a challenge's section only where users answered
    if lift is not None:
        v = lift.values
        fig = figure("campaign-lift", lang, lambda: charts.campaign_lift(lift.frame("daily"), v["name"] or v["campaign"],
                                                                          v["metric"], lang))  # fmt: skip
    funnel = None if ugc is None else figure("ugc-funnel", lang, lambda: charts.ugc_funnel(ugc.frame("funnel"), lang))
    return render(request, "campaigns.html", user=user, roi=roi, lift=lift, fig=fig, ugc=ugc, funnel=funnel,
                  ugc_text=ugc_summary(ugc.values, lang) if ugc else "",
                  error=error, model=model,
                  lookback=lookback, models=MODELS, vega_js=bundle_url(),
                  rows=roi.frame("campaigns").to_dict("records") if roi else [],
                  by_model=_by_model(roi.frame("attribution")) if roi else None)  # fmt: skip


@api_router.get("/campaigns", summary="Every campaign's return (spend, engagement, followers, UGC, orders, attributed "
                "revenue, cost per engagement / order, ROI) and the orders each attribution model gives each channel",
                responses=errors(404, 422))  # fmt: skip
def campaigns_api(request: Request, user: Reader, model: str = "markov", lookback: int = 30) -> Response:
    try:
        res = _run(request, "campaign_roi", model=_model(model), lookback_days=_lookback(lookback))
    except HudongError as e:
        return JSONResponse({"error": str(e)}, status_code=404)
    return JSONResponse(jsonable({**res.values, "notes": res.notes,
                                  "campaigns": res.frame("campaigns").to_dict("records"),
                                  "attribution": res.frame("attribution").to_dict("records")}))  # fmt: skip


@api_router.get("/campaigns/{campaign_id}/lift", summary="What a campaign added over its counterfactual (structural "
                "time series fitted to the days before it): daily actual and expected, total effect with its 95 % "
                "interval", responses=errors(404, 422))  # fmt: skip
def campaign_lift_api(request: Request, user: Reader, campaign_id: str, metric: str = "auto",
                      pre_days: int = 56) -> Response:  # fmt: skip
    try:
        res = _run(request, "campaign_lift", campaign=campaign_id,
                   metric=metric if metric in ("auto", "orders", "revenue", "engagement", "followers", "ugc") else "auto",
                   pre_days=min(max(pre_days, 21), 730))  # fmt: skip
    except HudongError as e:
        return JSONResponse({"error": str(e)}, status_code=404)
    return JSONResponse(jsonable({**res.values, "notes": res.notes, "daily": res.frame("daily").to_dict("records")}))


@api_router.get("/campaigns/{campaign_id}/ugc", summary="A UGC challenge from launch: participants, first-time and "
                "repeat creators, buyers, reach, cascades, tone, the span before it, and the funnel",
                responses=errors(404, 422))  # fmt: skip
def campaign_ugc_api(request: Request, user: Reader, campaign_id: str) -> Response:
    try:
        res = _run(request, "ugc_campaign", campaign=campaign_id)
    except HudongError as e:
        return JSONResponse({"error": str(e)}, status_code=404)
    return JSONResponse(jsonable({**res.values, "notes": res.notes, "funnel": res.frame("funnel").to_dict("records"),
                                  "daily": res.frame("daily").to_dict("records")}))
