"""The experiments API (/api/experiments): the learning log, one experiment with its analysis now, the power
calculator, and register → start → assign → stop → conclude. The statistics and the rules (locked registration,
overlap refused) live in ``hudong.plan.experiments``; this module says who may do what: analysts and admins run
experiments (they decide), every role reads them."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from hudong.plan import experiments as E

from .auth import User
from .state import check_csrf, errors, require, state_of

router = APIRouter(prefix="/api", tags=["api"])
Reader = Annotated[User, Depends(require("read"))]
Runner = Annotated[User, Depends(require("analyze"))]


class ExperimentIn(BaseModel):
    name: str = Field(max_length=200)
    hypothesis: str = Field(max_length=2000)
    design: str = Field(description="posts (unit: a post) or replies (unit: the person replied to)")
    primary_metric: str = Field(description="posts: engagement_rate, engagements, comments; replies: replied_again, "
                                "ordered, messages")
    arms: list[str] = Field(default=["control", "variant"], min_length=2, max_length=10)
    weights: list[float] | None = None
    guardrails: list[str] = Field(default=[], max_length=5)
    mde: float = Field(default=0.1, gt=0, lt=10, description="minimal detectable effect, relative (0.1 = +10 %)")
    planned_n: int | None = Field(default=None, ge=2, le=10_000_000, description="units per arm (default: from the "
                                  "workspace's own variance)")
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    stop_rule: str = Field(default="fixed", description="fixed (read at the planned size) or sequential (look daily)")
    window_days: int | None = Field(default=None, ge=1, le=180, description="replies: every outcome counted within "
                                    "this many days of the reply (default: 7 for answers, 30 for orders)")


class Assign(BaseModel):
    units: list[str] = Field(min_length=1, max_length=100_000, description="platform:post_id or platform:user; "
                             "UNIT@BLOCK randomises within a block")
    seed: int | None = None


class Variants(BaseModel):
    platform: str
    slots: list[str] = Field(min_length=2, max_length=1000, description="times to publish: YYYY-MM-DD HH:MM")
    texts: dict[str, str] = Field(default_factory=dict, description="arm → the text its posts carry")
    variants: dict[str, dict[str, str | int]] = Field(
        default_factory=dict, description="arm → what else it varies: title, images (a count), content_type (image, "
        "video …), time (of day, e.g. 21:00: then each slot stands for its day)")
    text: str | None = Field(default=None, max_length=50000, description="the text every arm shares")
    seed: int | None = None


class Conclude(BaseModel):
    decision: str = Field(min_length=1, max_length=2000)
    action: str | None = Field(default=None, description="ship, keep, iterate or abandon: what the decision does")


def jsonable(value: Any) -> Any:
    """Timestamps as ISO text, the stored result as an object, NaN and NaT as null, numpy scalars as Python's."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NaT or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, dict):
        return {k: (json.loads(v) if k == "result" and isinstance(v, str) else jsonable(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


@router.get("/experiments", summary="The learning log: every experiment with its hypothesis, result and decision",
            responses=errors(401, 422))
def experiment_log(request: Request, user: Reader,
                   q: Annotated[str | None, Query(max_length=200, description="words in name, hypothesis or decision")]
                   = None) -> dict[str, Any]:  # fmt: skip
    return jsonable(state_of(request).learning_log(q).values)


@router.get("/experiments/power", summary="Units per arm to detect a relative effect, from the workspace's own "
            "variance", responses=errors(400, 401, 422))
def experiment_power(request: Request, user: Reader, design: str, metric: str,
                     mde: Annotated[float, Query(gt=0, lt=10)] = 0.1,
                     alpha: Annotated[float, Query(gt=0, lt=0.5)] = 0.05,
                     power: Annotated[float, Query(gt=0.5, lt=1)] = 0.8) -> dict[str, Any]:  # fmt: skip
    with state_of(request).db() as ws:
        return jsonable(E.suggest_n(ws, design, metric, mde, alpha=alpha, power=power))


@router.post("/experiments", summary="Register an experiment (a draft until it starts)",
             responses=errors(400, 401, 403, 422))
def experiment_create(request: Request, body: ExperimentIn, user: Runner,
                      x_csrf_token: Annotated[str | None, Header()] = None) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    with state_of(request).db() as ws:
        return jsonable(E.create(ws, by=user.name, **body.model_dump()))


@router.get("/experiments/{experiment_id}", summary="One experiment: its registration and the analysis now",
            responses=errors(401, 404, 422))
def experiment_get(request: Request, experiment_id: str, user: Reader) -> dict[str, Any]:
    st = state_of(request)
    with st.db() as ws:
        exp = E.get(ws, experiment_id)
        res = st.experiment_analysis(experiment_id) if exp["state"] in ("running", "stopped") else None
    return jsonable(exp | {"analysis": res})


@router.post("/experiments/{experiment_id}/assign", summary="Randomise units into the arms (refused for units in "
             "another open experiment)", responses=errors(400, 401, 403, 404, 422))
def experiment_assign(request: Request, experiment_id: str, body: Assign, user: Runner,
                      x_csrf_token: Annotated[str | None, Header()] = None) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    units = [tuple(u.split("@", 1)) if "@" in u else u for u in body.units]
    with state_of(request).db() as ws:
        return {"assigned": E.assign(ws, experiment_id, units, seed=body.seed)}


@router.post("/experiments/{experiment_id}/plan", summary="Place a posts experiment's variants on the calendar: "
             "slots randomised within like slots, one draft plan item each", responses=errors(400, 401, 403, 404, 422))
def experiment_plan(request: Request, experiment_id: str, body: Variants, user: Runner,
                    x_csrf_token: Annotated[str | None, Header()] = None) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    with state_of(request).db() as ws:
        made = E.plan_variants(ws, experiment_id, platform=body.platform, slots=body.slots, texts=body.texts,
                               variants=body.variants, by=user.name, seed=body.seed,
                               **({"text": body.text} if body.text else {}))  # fmt: skip
    return {"items": [{"item_id": m["item_id"], "arm": m["arm"], "scheduled_at": m["scheduled_at"].isoformat()}
                      for m in made]}


@router.post("/experiments/{experiment_id}/{action}", summary="start (locks the registration), stop, or conclude "
             "(with the decision)", responses=errors(400, 401, 403, 404, 422))
def experiment_act(request: Request, experiment_id: str, action: str, user: Runner, body: Conclude | None = None,
                   x_csrf_token: Annotated[str | None, Header()] = None) -> dict[str, Any]:  # fmt: skip
    check_csrf(request, x_csrf_token)
    with state_of(request).db() as ws:
        if action == "start":
            return jsonable(E.start(ws, experiment_id, user.name))
        if action == "stop":
            return jsonable(E.stop(ws, experiment_id, user.name))
        if action == "conclude":
            if body is None:
                raise E.ExperimentError("say what was decided (decision)")
            return jsonable(E.conclude(ws, experiment_id, user.name, body.decision, action=body.action))
    raise E.ExperimentError(f"unknown action {action!r}: start, stop or conclude")
