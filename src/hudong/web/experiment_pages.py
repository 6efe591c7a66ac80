"""The experiments pages: /experiments (the learning log — search, export, register a new experiment with the size
it needs) and /experiments/{id} (the registration, the analysis now per variant with intervals, chance to win,
guardrails, the split check, the sequential looks and the verdict; start, stop and conclude with the decision).
The statistics live in ``hudong.plan.experiments``; this module lays them out."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hudong.plan import experiments as E
from hudong.platforms import PLATFORMS
from hudong.store import schema as S

from .auth import User
from .experiment_api import jsonable
from .pages import TEXT, render
from .state import check_csrf, require, state_of

router = APIRouter(include_in_schema=False)
Reader = Annotated[User, Depends(require("read"))]
Runner = Annotated[User, Depends(require("analyze"))]

TEXT.update({
    "experiments": ("实验", "Experiments"),
    "exp_title": ("实验与学习日志", "Experiments and the learning log"),
    "exp_note": ("实验开始前登记假设、主要指标与计划样本量,开始后锁定;结束时记录结果与决定。效应为相对对照组的变化。",
                 "An experiment registers its hypothesis, primary metric and planned size before it starts (locked "
                 "from then on) and ends with its result and the decision. Effects are relative to control."),
    "exp_search": ("搜索", "Search"), "exp_export": ("导出 JSON", "Export JSON"),
    "exp_new": ("登记新实验", "Register an experiment"), "exp_name": ("名称", "Name"),
    "exp_hypothesis": ("假设", "Hypothesis"), "exp_design": ("设计", "Design"), "exp_metric": ("主要指标", "Primary metric"),
    "exp_mde": ("最小可检测效应", "Minimal detectable effect"), "exp_stop": ("停止规则", "Stop rule"),
    "exp_fixed": ("固定样本", "fixed size"), "exp_sequential": ("序贯(可每天查看)", "sequential (look daily)"),
    "exp_state": ("状态", "State"), "exp_effect": ("效应 [95%区间]", "Effect [95% interval]"),
    "exp_verdict": ("结果", "Result"), "exp_decision": ("决定", "Decision"), "exp_units": ("单位", "Units"),
    "exp_planned": ("计划每组", "Planned per arm"), "exp_arm": ("组", "Arm"), "exp_p": ("p 值(Holm)", "p (Holm)"),
    "exp_win": ("胜出概率", "Chance to win"), "exp_mean": ("均值", "Mean"), "exp_n": ("样本", "n"),
    "exp_srm": ("分组比例检验 p", "Split check p"), "exp_guardrails": ("护栏指标", "Guardrails"),
    "exp_looks": ("每日查看(始终有效的 p 值)", "Daily looks (always-valid p)"), "exp_day": ("日期", "Day"),
    "exp_do_start": ("开始(锁定登记)", "Start (locks the registration)"), "exp_do_stop": ("停止", "Stop"),
    "exp_do_conclude": ("得出结论", "Conclude"), "exp_summary": ("运行 {ran} · 已结论 {concluded} · 进行中 {running}",
                                                              "{ran} ran · {concluded} concluded · {running} running"),
    "exp_st_draft": ("草稿", "draft"), "exp_st_running": ("进行中", "running"), "exp_st_stopped": ("已停止", "stopped"),
    "exp_st_concluded": ("已结论", "concluded"), "exp_by": ("决策人", "Decided by"),
    "exp_place": ("把各组内容排进日历", "Place the variants on the calendar"),
    "exp_place_note": ("每行一个发布时间(YYYY-MM-DD HH:MM);互动率相近的时段会被均匀分给各组,每个时段生成一条草稿。",
                       "One time a line (YYYY-MM-DD HH:MM); like slots are split evenly between the arms, one draft "
                       "plan item per slot."),
    "exp_shared_text": ("各组共用的文案(各组只在形式、图片数或时间上不同时)", "Text all arms share (when they differ only in format, images or time)"),
    "exp_v_text": ("文案", "Text"), "exp_v_format": ("形式", "Format"), "exp_v_images": ("图片数", "Images"),
    "exp_v_time": ("发布时刻(以时间为变量时)", "Time of day (when time is the treatment)"),
    "exp_slots": ("发布时间", "Slots"), "exp_placed": ("已排进日历:{n} 条草稿", "Placed on the calendar: {n} drafts"),
    "exp_action": ("决策行动", "Action"), "act_ship": ("采用变体", "ship the variant"),
    "act_keep": ("保持对照", "keep control"), "act_iterate": ("再测一次", "iterate"), "act_abandon": ("放弃", "abandon"),
    "exp_followed": ("与结果一致", "follows the result"), "exp_against": ("与结果相悖", "against the result"),
    "exp_arms": ("分组(对照组在前,逗号分隔)", "Arms (control first, comma-separated)"),
    "exp_guard_pick": ("护栏指标(不能变差)", "Guardrails (must not get worse)"),
    "exp_planned_blank": ("留空:按历史数据建议", "blank: suggested from your history"),
    "exp_window": ("结果窗口(天,仅回复实验)", "Outcome window (days, replies only)"),
    "exp_window_blank": ("留空:回复 7 天、订单 30 天", "blank: 7 for answers, 30 for orders"),
    "design_posts": ("帖子变体", "post variants"), "design_replies": ("回复(按人随机)", "replies (per person)"),
    "design_switchback": ("时段轮换", "switchback (time windows)"),
})  # fmt: skip


def _pct(x: Any, relative: bool = True) -> str:
    """An effect: relative as a percentage, absolute (a change of tone) as a difference."""
    return "—" if x is None else f"{x:+.1%}" if relative is not False else f"{x:+.2f}"


@router.get("/experiments")
def experiments_page(request: Request, user: Reader, q: str | None = None) -> Response:
    res = state_of(request).learning_log(q)
    return render(request, "experiments.html", user=user, log=res.values, q=q or "", pct=_pct,
                  outcomes=E.OUTCOMES, can_run=user.can("analyze"))


@router.get("/experiments/log.json")
def experiments_export(request: Request, user: Reader, q: str | None = None) -> Response:
    rows = state_of(request).learning_log(q).values["experiments"]
    body = json.dumps(jsonable(rows), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="learning-log.json"'})


@router.post("/experiments/new")
async def experiments_new(request: Request, user: Runner) -> Response:
    """Register from the form: ``metric`` as ``design:metric`` (the design follows), arms (comma-separated, control
    first), guardrails (checkboxes ``guardrail`` = ``design:metric``, those of another design ignored), MDE, planned
    units per arm (blank: suggested from the workspace's history), stop rule."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    design, _, metric = str(form.get("metric", "")).partition(":")
    if not metric:  # a bare metric name: the first design that has it
        metric, design = design, next((d for d, ms in E.OUTCOMES.items() if design in ms), "posts")
    arms = [a.strip() for a in str(form.get("arms") or "control, variant").replace("，", ",").split(",") if a.strip()]
    guardrails = [g.partition(":")[2] for g in form.getlist("guardrail") if str(g).startswith(f"{design}:")]
    planned = str(form.get("planned_n") or "").strip()
    window = str(form.get("window_days") or "").strip()
    with state_of(request).db() as ws:
        exp = E.create(ws, name=str(form.get("name", "")), hypothesis=str(form.get("hypothesis", "")), design=design,
                       primary_metric=metric, arms=arms, guardrails=[g for g in guardrails if g != metric],
                       mde=float(form.get("mde") or 0.1), planned_n=int(planned) if planned else None,
                       stop_rule=str(form.get("stop_rule") or "fixed"), by=user.name,
                       window_days=int(window) if window.isdigit() and design == "replies" else None)  # fmt: skip
    return RedirectResponse(f"/experiments/{exp['experiment_id']}", status_code=303)


@router.get("/experiments/{experiment_id}")
def experiment_page(request: Request, experiment_id: str, user: Reader) -> Response:
    st = state_of(request)
    with st.db() as ws:
        exp = E.get(ws, experiment_id)
        res = json.loads(exp["result"]) if exp["result"] else (
            st.experiment_analysis(experiment_id) if exp["state"] != "draft" else None)
    return render(request, "experiment.html", user=user, exp=exp, res=res, pct=_pct, can_run=user.can("analyze"),
                  placed=request.query_params.get("placed"), media_types=S.MEDIA_TYPES,
                  platforms=[p for p in PLATFORMS.values() if p.social])  # fmt: skip


@router.post("/experiments/{experiment_id}/plan")
async def experiment_plan(request: Request, experiment_id: str, user: Runner) -> Response:
    """Place the variants on the calendar: the form's platform, slots (one time a line) and a text per arm."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    slots = [line.strip() for line in str(form.get("slots", "")).splitlines() if line.strip()]
    variants: dict[str, dict[str, str]] = {}
    for k, v in form.items():  # FIELD:ARM — text, title, images, content_type, time
        field, sep, arm = k.partition(":")
        if sep and field in E.VARIANT_FIELDS and str(v).strip():
            variants.setdefault(arm, {})[field] = str(v).strip()
    shared = str(form.get("shared_text", "")).strip()
    with state_of(request).db() as ws:
        E.plan_variants(ws, experiment_id, platform=str(form.get("platform", "")), slots=slots, variants=variants,
                        by=user.name, **({"text": shared} if shared else {}))  # fmt: skip
    return RedirectResponse(f"/experiments/{experiment_id}?placed={len(slots)}", status_code=303)


@router.post("/experiments/{experiment_id}/do")
def experiment_do(request: Request, experiment_id: str, user: Runner, action: Annotated[str, Form()],
                  decision: Annotated[str, Form()] = "", decision_action: Annotated[str, Form()] = "",
                  csrf: Annotated[str, Form()] = "") -> Response:  # fmt: skip
    check_csrf(request, csrf)
    with state_of(request).db() as ws:
        if action == "start":
            E.start(ws, experiment_id, user.name)
        elif action == "stop":
            E.stop(ws, experiment_id, user.name)
        elif action == "conclude":
            E.conclude(ws, experiment_id, user.name, decision, action=decision_action or None)
        else:
            raise E.ExperimentError(f"unknown action {action!r}")
    return RedirectResponse(f"/experiments/{experiment_id}", status_code=303)
