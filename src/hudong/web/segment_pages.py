"""The audience page: /segments — the stored segmentations (learned and rules) with each segment's name, size and
traits, and a heatmap of what each segment responds to (lift of its share of engagement against the other
segments', with 90 % intervals; a lift whose interval lies above 1 is marked). Analysts run and keep a new
segmentation from the same page. /api/segments gives the same numbers as JSON. The statistics live in
``hudong.stats.segments`` and ``hudong.analyses.segments``; this module lays them out."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from hudong import analyses
from hudong.analyses import segments as seg
from hudong.errors import HudongError
from hudong.platforms import PLATFORMS

from .auth import User
from .experiment_api import jsonable
from .pages import TEXT, render
from .state import check_csrf, errors, require, state_of

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"])
Reader = Annotated[User, Depends(require("read"))]
Runner = Annotated[User, Depends(require("analyze"))]

TEXT.update({
    "segments": ("人群", "Audience"), "seg_title": ("受众分群与内容偏好", "Audience segments and what they respond to"),
    "seg_note": ("按行为把互动过的人分群,并按最突出的特征命名;热力图是各人群对每类内容的偏好(占其互动的比例相对其他人群的倍数,"
                 "小样本已向整体收缩),★ 表示 90% 区间整体高于 1。",
                 "People who interacted, grouped by behaviour and named from what sets each group apart; the heatmap "
                 "is what each responds to (its share of engagement on the content against the other segments', "
                 "shrunk where data are thin); ★ marks a lift whose 90 % interval lies above 1."),
    "seg_run": ("分群", "Segmentation"), "seg_people": ("人数", "People"), "seg_share": ("占比", "Share"),
    "seg_traits": ("主要特征", "Top traits"), "seg_by": ("按", "By"), "seg_ct": ("内容形式", "content type"),
    "seg_topic": ("话题", "topic"), "seg_new": ("重新分群并保存", "Segment again and keep it"),
    "seg_kind": ("方式", "Kind"), "seg_learned": ("行为聚类", "learned (clusters)"), "seg_rules": ("RFM 规则", "rules (RFM)"),
    "seg_focus": ("依据", "Focus"), "seg_f_all": ("全部行为", "all behaviour"), "seg_f_content": ("内容与时段", "content and time"),
    "seg_f_engagement": ("互动方式", "how they engage"), "seg_f_value": ("活跃与消费", "recency and value"),
    "seg_platform": ("平台", "Platform"), "seg_all": ("全部", "all"), "seg_none": ("还没有保存的分群。", "No stored segmentation yet."),
    "seg_prefs_none": ("还看不出哪个人群对某类内容特别偏好(所有区间都包含 1)。",
                       "No segment responds to any content distinctly more than the others (every interval includes 1)."),
})  # fmt: skip


def _heat(prefs: Any) -> dict[str, Any]:
    """segment × cell: lift, interval, distinctive and a colour (log lift, clipped at ×4 either way)."""
    cells = sorted(prefs["cell"].unique().tolist())
    grid: dict[str, dict[str, Any]] = {}
    for r in prefs.to_dict("records"):
        x = max(-1.0, min(1.0, math.log(max(r["lift"], 1e-9)) / math.log(4)))
        colour = f"rgba(220, 38, 38, {x:.2f})" if x > 0 else f"rgba(37, 99, 235, {-x:.2f})"
        grid.setdefault(r["segment"], {})[r["cell"]] = r | {"colour": colour}
    return {"cells": cells, "grid": grid}


@router.get("/segments")
def segments_page(request: Request, user: Reader, run: str = "latest", by: str = "content_type") -> Response:
    by = by if by in ("content_type", "topic") else "content_type"
    error, res, prefs, runs = None, None, None, []
    with state_of(request).db() as ws:
        runs = seg.runs(ws).head(50).to_dict("records")
        if runs:
            try:
                res = analyses.run(ws, "segments", run=run)
                prefs = analyses.run(ws, "segment_preferences", run=res.values["run"], by=by)
            except HudongError as e:
                error = str(e)
    return render(request, "segments.html", user=user, runs=runs, res=res, by=by, error=error,
                  segs=res.frame("segments").to_dict("records") if res else [],
                  heat=_heat(prefs.frame("preferences")) if prefs is not None else None,
                  platforms=PLATFORMS, can_run=user.can("analyze"))  # fmt: skip


@router.post("/segments/run")
def segments_run(request: Request, user: Runner, kind: Annotated[str, Form()] = "learned",
                 focus: Annotated[str, Form()] = "all", platform: Annotated[str, Form()] = "",
                 csrf: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    check_csrf(request, csrf)
    params = seg.SegmentParams(kind="rules" if kind == "rules" else "learned",
                               focus=focus if focus in seg.FOCUS else "all",  # type: ignore[arg-type]
                               platform=[platform] if platform in PLATFORMS else None)  # fmt: skip
    with state_of(request).db(write=True) as ws:
        definition, labels = seg.compute(ws, params)
        run_id = seg.save(ws, definition, labels, by=user.name)
    return RedirectResponse(f"/segments?run={run_id}", status_code=303)


@api_router.get("/segments", summary="A stored segmentation (its segments with names, sizes and traits) and what each "
                "segment responds to (lift with 90 % intervals)", responses=errors(404, 422))  # fmt: skip
def segments_api(request: Request, user: Reader, run: str = "latest", by: str = "content_type") -> Response:
    with state_of(request).db() as ws:
        try:
            res = analyses.run(ws, "segments", run=run)
            prefs = analyses.run(ws, "segment_preferences", run=res.values["run"],
                                 by=by if by in ("content_type", "topic") else "content_type")  # fmt: skip
        except HudongError as e:
            return JSONResponse({"error": str(e)}, status_code=404)
    return JSONResponse(jsonable({"run": res.values["run"], "kind": res.values["kind"], "criterion": res.values["criterion"],
                                  "people": res.values["people"], "segments": res.frame("segments").to_dict("records"),
                                  "preferences": prefs.frame("preferences").to_dict("records")}))  # fmt: skip
