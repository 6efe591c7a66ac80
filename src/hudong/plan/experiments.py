"""Experiments on organic content and the learning log (tables ``experiments``, ``experiment_units``; statistics in
``hudong.stats.experiments``; docs/experiments.md).

An experiment is registered before it runs: hypothesis, design, arms and planned split, primary metric and
guardrails, minimal detectable effect, planned size per arm (from the workspace's own variance when not given:
``suggest_n``) and stop rule. ``start`` locks the registration; changing a locked field afterwards is refused —
``revise`` makes a new version that supersedes it (the old one stops). Units enter by ``assign``: randomised within
their block (platform, weekday, hour …), in the planned proportions; a unit already in another open experiment of
the same design is refused with the experiment it is in.

Designs and their metrics (``OUTCOMES``):
- ``posts`` — unit = a post (``platform:post_id``): ``engagement_rate`` (engagements per impression, a ratio metric:
  delta method), ``engagements``, ``comments`` (means); a post counts once it is stored.
- ``replies`` — unit = the person a reply goes to (``platform:user``, randomised per conversation so one person
  sees one treatment): ``replied_again`` (they wrote again within 7 days), ``ordered`` (an order within 30 days),
  ``messages`` (their messages within 7 days); CUPED with their messages in the 28 days before as covariate; a unit
  counts once its window has passed.

``analyze`` compares each variant with control (frequentist and Bayesian; Holm-corrected across variants), checks
the split (SRM), reads the guardrails, gives the always-valid p-value of each daily look when the stop rule is
sequential, and says what the data allow: keep running, stop (sequential), a winner, control better, or no
detectable difference. ``conclude`` stores that analysis with the decision and who took it; ``learning_log`` lists
every experiment with its hypothesis, result and decision.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from hudong.errors import HudongError
from hudong.stats import experiments as X
from hudong.store.workspace import transaction

OUTCOMES: dict[str, dict[str, tuple[str, str]]] = {
    "posts": {"engagement_rate": ("ratio", "engagements per impression"),
              "engagements": ("mean", "likes + comments + reposts + saves + clicks per post"),
              "comments": ("mean", "comments per post")},
    "replies": {"replied_again": ("proportion", "the person wrote again within 7 days"),
                "ordered": ("proportion", "the person ordered within 30 days"),
                "messages": ("mean", "messages the person sent within 7 days")},
}  # fmt: skip
WINDOW_DAYS = {"replied_again": 7, "messages": 7, "ordered": 30}
PRE_DAYS = 28
LOCKED = ("hypothesis", "design", "arms", "weights", "primary_metric", "guardrails", "mde", "planned_n", "alpha",
          "stop_rule")
TAU2 = 0.01  # mSPRT mixing variance in units of the metric's variance: an effect of ~0.1 σ is what it looks for
_COLS = ("experiment_id", "name", "version", "supersedes", "hypothesis", "design", "arms", "weights", "primary_metric",
         "guardrails", "mde", "planned_n", "alpha", "stop_rule", "state", "created_by", "created_at", "started_at",
         "ended_at", "result", "decision", "decided_by", "decided_at")


class ExperimentError(HudongError):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def get(ws: Any, experiment_id: str) -> dict[str, Any]:
    row = ws.con.execute(f"SELECT {', '.join(_COLS)} FROM experiments WHERE experiment_id = ?",
                         [experiment_id]).fetchone()  # fmt: skip
    if row is None:
        raise LookupError(f"no experiment {experiment_id!r}")
    exp = dict(zip(_COLS, row, strict=True))
    exp["weights"] = json.loads(exp["weights"])
    exp["guardrails"] = list(exp["guardrails"] or [])
    exp["units"] = dict(ws.con.execute("SELECT arm, count(*) FROM experiment_units WHERE experiment_id = ? GROUP BY 1",
                                       [experiment_id]).fetchall())  # fmt: skip
    return exp


def _validate(design: str, arms: Sequence[str], weights: Sequence[float], primary: str, guardrails: Sequence[str],
              mde: float, alpha: float, stop_rule: str) -> None:  # fmt: skip
    if design not in OUTCOMES:
        raise ExperimentError(f"design must be one of {', '.join(OUTCOMES)}, got {design!r}")
    known = OUTCOMES[design]
    for m in (primary, *guardrails):
        if m not in known:
            raise ExperimentError(f"{design} experiments measure {', '.join(known)}; not {m!r}")
    if len(arms) < 2 or len(set(arms)) != len(arms) or any(":" in a or not a.strip() for a in arms):
        raise ExperimentError("give at least two distinct arms (control first), without ':'")
    if len(weights) != len(arms) or any(w <= 0 for w in weights):
        raise ExperimentError("give one positive weight per arm")
    if not 0 < mde < 10:
        raise ExperimentError("the minimal detectable effect is relative: e.g. 0.1 for +10 %")
    if not 0 < alpha < 0.5:
        raise ExperimentError("alpha must be between 0 and 0.5")
    if stop_rule not in ("fixed", "sequential"):
        raise ExperimentError("stop rule: fixed or sequential")


def create(ws: Any, *, name: str, hypothesis: str, design: str, primary_metric: str, by: str,
           arms: Sequence[str] = ("control", "variant"), weights: Sequence[float] | None = None,
           guardrails: Sequence[str] = (), mde: float = 0.1, planned_n: int | None = None, alpha: float = 0.05,
           stop_rule: str = "fixed", _version: int = 1, _supersedes: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Register an experiment (a draft until ``start``); ``planned_n`` defaults to ``suggest_n``."""
    arms = [a.strip() for a in arms]
    weights = [float(w) for w in (weights or [1.0] * len(arms))]
    if not (hypothesis or "").strip() or not (name or "").strip():
        raise ExperimentError("an experiment needs a name and a hypothesis")
    _validate(design, arms, weights, primary_metric, guardrails, mde, alpha, stop_rule)
    if planned_n is None:
        planned_n = suggest_n(ws, design, primary_metric, mde, alpha=alpha)["units_per_arm"]
    if planned_n is None or planned_n < 2:
        raise ExperimentError("give the planned units per arm (the workspace has no history to suggest one)")
    eid = "x_" + secrets.token_hex(5)
    with transaction(ws.con):
        ws.con.execute(
            f"INSERT INTO experiments ({', '.join(_COLS)}) VALUES ({', '.join('?' * len(_COLS))})",
            [eid, name.strip(), _version, _supersedes, hypothesis.strip(), design, arms, json.dumps(weights),
             primary_metric, list(guardrails), float(mde), int(planned_n), float(alpha), stop_rule, "draft", by,
             _now(), None, None, None, None, None, None])  # fmt: skip
    return get(ws, eid)


def update(ws: Any, experiment_id: str, by: str, **changes: Any) -> dict[str, Any]:
    """Change a draft; once it runs its registration is locked (use ``revise``)."""
    exp = get(ws, experiment_id)
    unknown = set(changes) - set(LOCKED) - {"name"}
    if unknown:
        raise ExperimentError(f"unknown field(s) {', '.join(sorted(unknown))}")
    if exp["state"] != "draft" and set(changes) & set(LOCKED):
        raise ExperimentError(f"experiment {experiment_id} runs: its registration ({', '.join(sorted(set(changes) & set(LOCKED)))}) "
                              "is locked; `revise` it to register a new version")  # fmt: skip
    merged = {**exp, **changes}
    _validate(merged["design"], merged["arms"], merged["weights"], merged["primary_metric"], merged["guardrails"],
              merged["mde"], merged["alpha"], merged["stop_rule"])  # fmt: skip
    values = {k: (json.dumps(v) if k == "weights" else v) for k, v in changes.items()}
    with transaction(ws.con):
        ws.con.execute(f"UPDATE experiments SET {', '.join(f'{k} = ?' for k in values)} WHERE experiment_id = ?",
                       [*values.values(), experiment_id])
    return get(ws, experiment_id)


def revise(ws: Any, experiment_id: str, by: str, **changes: Any) -> dict[str, Any]:
    """A new version with ``changes``, superseding ``experiment_id`` (which stops if it ran). Its units stay with
    the old version: the new one starts counting afresh."""
    old = get(ws, experiment_id)
    fields = {k: old[k] for k in ("name", "hypothesis", "design", "primary_metric", "arms", "weights", "guardrails",
                                  "mde", "planned_n", "alpha", "stop_rule")} | changes  # fmt: skip
    new = create(ws, by=by, _version=int(old["version"]) + 1, _supersedes=experiment_id, **fields)
    if old["state"] in ("draft", "running"):
        with transaction(ws.con):
            ws.con.execute("UPDATE experiments SET state = 'stopped', ended_at = ?, decision = coalesce(decision, ?) "
                           "WHERE experiment_id = ?", [_now(), f"superseded by version {new['version']} "
                                                       f"({new['experiment_id']})", experiment_id])  # fmt: skip
    return new


def _move(ws: Any, experiment_id: str, before: str, after: str, stamp: str) -> dict[str, Any]:
    exp = get(ws, experiment_id)
    if exp["state"] != before:
        raise ExperimentError(f"experiment {experiment_id} is {exp['state']}, not {before}")
    with transaction(ws.con):
        ws.con.execute(f"UPDATE experiments SET state = ?, {stamp} = ? WHERE experiment_id = ?",
                       [after, _now(), experiment_id])
    return get(ws, experiment_id)


def start(ws: Any, experiment_id: str, by: str) -> dict[str, Any]:
    """Launch a draft: its registration is locked from now on."""
    return _move(ws, experiment_id, "draft", "running", "started_at")


def stop(ws: Any, experiment_id: str, by: str) -> dict[str, Any]:
    return _move(ws, experiment_id, "running", "stopped", "ended_at")


def assign(ws: Any, experiment_id: str, units: Iterable[str | tuple[str, str | None]], *, at: Any = None,
           seed: int | None = None) -> dict[str, str]:  # fmt: skip
    """Randomise ``units`` (ids, or (id, block)) into the arms, within each block in the planned proportions;
    unit → arm. Refused for a unit already in another open experiment of the same design."""
    exp = get(ws, experiment_id)
    if exp["state"] not in ("draft", "running"):
        raise ExperimentError(f"experiment {experiment_id} is {exp['state']}: no more units")
    pairs = [(u, None) if isinstance(u, str) else (u[0], u[1]) for u in units]
    ids = [u for u, _ in pairs]
    if len(set(ids)) != len(ids):
        raise ExperimentError("a unit is listed twice")
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    taken = ws.con.execute(
        f"SELECT u.unit_id, u.experiment_id FROM experiment_units u JOIN experiments e USING (experiment_id) WHERE "
        f"u.unit_id IN ({marks}) AND e.state IN ('draft', 'running') AND e.design = ? AND u.experiment_id <> ?",
        [*ids, exp["design"], experiment_id]).fetchall()  # fmt: skip
    if taken:
        shown = ", ".join(f"{u} (in {e})" for u, e in taken[:5])
        raise ExperimentError(f"{len(taken)} unit(s) are already in another open experiment: {shown}; overlapping "
                              "experiments on the same units would confound each other")  # fmt: skip
    here = {r[0] for r in ws.con.execute(f"SELECT unit_id FROM experiment_units WHERE experiment_id = ? AND unit_id IN "
                                         f"({marks})", [experiment_id, *ids]).fetchall()}  # fmt: skip
    rng = random.Random(seed)
    weights = np.asarray(exp["weights"], dtype=float) / sum(exp["weights"])
    blocks: dict[str | None, list[str]] = {}
    for u, b in pairs:
        if u not in here:
            blocks.setdefault(b, []).append(u)
    out: dict[str, str] = {}
    for members in blocks.values():
        rng.shuffle(members)
        # the arms in proportion, remainders to random arms: blocks stay balanced
        counts = np.floor(weights * len(members)).astype(int)
        for _ in range(len(members) - counts.sum()):
            counts[rng.choices(range(len(counts)), weights=list(weights))[0]] += 1
        labels = [a for a, c in zip(exp["arms"], counts, strict=True) for _ in range(c)]
        rng.shuffle(labels)
        out.update(zip(members, labels, strict=True))
    when = _time(at) or _now()
    block_of = dict(pairs)
    with transaction(ws.con):
        for u, arm in out.items():
            ws.con.execute("INSERT INTO experiment_units VALUES (?, ?, ?, ?, ?)",
                           [experiment_id, u, arm, block_of[u], when])
    return out


def _time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ExperimentError(f"cannot read {value!r} as a time") from None


# ---- outcomes -------------------------------------------------------------------------------------------------------
def _post_values(ws: Any, experiment_id: str) -> list[tuple[str, float, float | None, None, dt.datetime]]:
    """(arm, engagements, impressions, —, assigned_at) per stored post; ``post_engagement``'s rule: the larger of
    the reported count and the interactions stored."""
    return ws.con.execute("""
        WITH u AS (SELECT arm, assigned_at, split_part(unit_id, ':', 1) AS platform,
                          substr(unit_id, strpos(unit_id, ':') + 1) AS post_id
                   FROM experiment_units WHERE experiment_id = ?),
        c AS (SELECT i.platform, i.target_post_id AS post_id,
                     count(*) FILTER (WHERE type = 'like') AS lk, count(*) FILTER (WHERE type IN ('comment', 'reply')) AS cm,
                     count(*) FILTER (WHERE type IN ('repost', 'share')) AS rp, count(*) FILTER (WHERE type = 'save') AS sv,
                     count(*) FILTER (WHERE type = 'click') AS ck, count(*) FILTER (WHERE type IN ('view', 'impression')) AS vw
              FROM interactions i JOIN u ON i.platform = u.platform AND i.target_post_id = u.post_id GROUP BY ALL)
        SELECT u.arm,
               greatest(coalesce(p.likes, 0), coalesce(c.lk, 0)) + greatest(coalesce(p.comments, 0), coalesce(c.cm, 0))
               + greatest(coalesce(p.reposts, 0), coalesce(c.rp, 0)) + greatest(coalesce(p.saves, 0), coalesce(c.sv, 0))
               + greatest(coalesce(p.clicks, 0), coalesce(c.ck, 0)) AS engagements,
               nullif(greatest(coalesce(p.impressions, 0), coalesce(c.vw, 0)), 0) AS impressions,
               greatest(coalesce(p.comments, 0), coalesce(c.cm, 0)) AS comments, u.assigned_at
        FROM u JOIN posts p ON p.platform = u.platform AND p.post_id = u.post_id
        LEFT JOIN c ON c.platform = u.platform AND c.post_id = u.post_id""", [experiment_id]).fetchall()


def _reply_values(ws: Any, experiment_id: str, now: dt.datetime) -> list[tuple]:
    """(arm, wrote again ≤7 d, ordered ≤30 d, messages ≤7 d, messages in the 28 d before, assigned_at, window
    passed 7 d, window passed 30 d) per person."""
    return ws.con.execute("""
        WITH u AS (SELECT arm, assigned_at, split_part(unit_id, ':', 1) AS platform,
                          substr(unit_id, strpos(unit_id, ':') + 1) AS person
                   FROM experiment_units WHERE experiment_id = ?)
        SELECT u.arm,
          (SELECT count(*) FROM interactions i WHERE i.platform = u.platform AND i.actor_id = u.person AND i.is_inbound
             AND i.created_at > u.assigned_at AND i.created_at <= u.assigned_at + INTERVAL 7 DAY) AS later,
          (SELECT count(*) FROM orders o WHERE o.user_id = u.person AND coalesce(o.user_platform, o.platform) = u.platform
             AND o.created_at > u.assigned_at AND o.created_at <= u.assigned_at + INTERVAL 30 DAY) AS ordered,
          (SELECT count(*) FROM interactions i WHERE i.platform = u.platform AND i.actor_id = u.person AND i.is_inbound
             AND i.created_at <= u.assigned_at AND i.created_at > u.assigned_at - INTERVAL 28 DAY) AS before,
          u.assigned_at, u.assigned_at + INTERVAL 7 DAY <= ? AS done7, u.assigned_at + INTERVAL 30 DAY <= ? AS done30
        FROM u""", [experiment_id, now, now]).fetchall()


def _units(ws: Any, exp: dict[str, Any], metric: str, now: dt.datetime) -> dict[str, dict[str, np.ndarray]]:
    """arm → {"y", "x" (denominators, ratio), "z" (pre-period), "t" (assigned, for the looks)} of measured units."""
    out: dict[str, dict[str, list[Any]]] = {a: {"y": [], "x": [], "z": [], "t": []} for a in exp["arms"]}
    if exp["design"] == "posts":
        for arm, eng, imp, comments, at in _post_values(ws, exp["experiment_id"]):
            if arm not in out or (metric == "engagement_rate" and not imp):
                continue
            y = {"engagement_rate": eng, "engagements": eng, "comments": comments}[metric]
            out[arm]["y"].append(float(y))
            out[arm]["x"].append(float(imp or 0))
            out[arm]["t"].append(at)
    else:
        for arm, later, ordered, before, at, done7, done30 in _reply_values(ws, exp["experiment_id"], now):
            if arm not in out or not (done30 if metric == "ordered" else done7):
                continue
            y = {"replied_again": float(later > 0), "ordered": float(ordered > 0), "messages": float(later)}[metric]
            out[arm]["y"].append(y)
            out[arm]["z"].append(float(before))
            out[arm]["t"].append(at)
    return {a: {k: np.asarray(v) for k, v in d.items()} for a, d in out.items()}


def _moments(d: dict[str, np.ndarray], kind: str, cuped: bool) -> X.Moments:
    if kind == "ratio":
        return X.Moments.of(d["y"], denominator=d["x"])
    return X.Moments.of(d["y"], pre=d["z"] if cuped else None)


def _comparison(c: X.Comparison) -> dict[str, Any]:
    def f(x: float) -> float | None:
        return None if x is None or np.isnan(x) else float(x)

    return {"effect": f(c.effect), "ci": [f(c.ci[0]), f(c.ci[1])], "p_value": f(c.p_value),
            "chance_to_win": f(c.chance_to_win), "risk_control": f(c.risk_control),
            "risk_treatment": f(c.risk_treatment), "control_mean": f(c.control.unadjusted),
            "mean": f(c.treatment.unadjusted),
            "n_control": c.control.n, "n": c.treatment.n, "cuped_theta": f(c.theta) if c.theta is not None else None,
            "error": c.error}  # fmt: skip


def _looks(data: dict[str, dict[str, np.ndarray]], arms: Sequence[str], kind: str) -> list[dict[str, Any]]:
    """The always-valid p-value after each day (control vs the first variant), on unit values."""
    c, v = data[arms[0]], data[arms[1]]
    yc = c["y"] / np.where(c["x"] > 0, c["x"], np.nan) if kind == "ratio" else c["y"]
    yv = v["y"] / np.where(v["x"] > 0, v["x"], np.nan) if kind == "ratio" else v["y"]
    if len(yc) < 2 or len(yv) < 2:
        return []
    days = sorted({t.date() for t in np.concatenate([c["t"], v["t"]])})
    sigma2 = float(np.nanvar(np.concatenate([yc, yv]), ddof=1)) or 1e-12
    out, diffs, ns = [], [], []
    for d in days:
        mc = np.array([t.date() <= d for t in c["t"]])
        mv = np.array([t.date() <= d for t in v["t"]])
        if mc.sum() < 2 or mv.sum() < 2:
            continue
        diffs.append(float(np.nanmean(yv[mv]) - np.nanmean(yc[mc])))
        ns.append(float(min(mc.sum(), mv.sum())))
        out.append({"day": d.isoformat(), "n": int(ns[-1]), "diff": diffs[-1]})
    if not out:
        return []
    p = X.msprt_pvalues(np.asarray(diffs), np.asarray(ns), sigma2, TAU2 * sigma2)
    for o, pv in zip(out, p, strict=True):
        o["p_value"] = float(pv)
    return out


def analyze(ws: Any, experiment_id: str, now: Any = None) -> dict[str, Any]:
    """The experiment's results now (module doc)."""
    exp = get(ws, experiment_id)
    now = _time(now) or _now()
    arms = exp["arms"]
    kind = OUTCOMES[exp["design"]][exp["primary_metric"]][0]
    cuped = exp["design"] == "replies"
    data = _units(ws, exp, exp["primary_metric"], now)
    m = {a: _moments(data[a], kind, cuped) for a in arms}
    variants = {a: X.compare(m[arms[0]], m[a], kind=kind, cuped=cuped and m[a].n > 2, alpha=exp["alpha"])
                for a in arms[1:]}  # fmt: skip
    adjusted = X.holm([c.p_value for c in variants.values()])
    assigned = [int(exp["units"].get(a, 0)) for a in arms]
    srm = X.srm_pvalue(assigned, exp["weights"])
    guards = {}
    for g in exp["guardrails"]:
        gk = OUTCOMES[exp["design"]][g][0]
        gd = _units(ws, exp, g, now)
        gm = {a: _moments(gd[a], gk, cuped) for a in arms}
        guards[g] = {a: _comparison(X.compare(gm[arms[0]], gm[a], kind=gk, alpha=exp["alpha"])) for a in arms[1:]}
    looks = _looks(data, arms, kind) if exp["stop_rule"] == "sequential" else []
    measured = min(c.treatment.n for c in variants.values()) if variants else 0
    measured = min(measured, m[arms[0]].n)
    out = {"experiment_id": experiment_id, "primary_metric": exp["primary_metric"], "kind": kind, "at": now.isoformat(),
           "assigned": dict(zip(arms, assigned, strict=True)), "measured": {a: m[a].n for a in arms},
           "planned_n": exp["planned_n"], "srm_p_value": srm, "srm": srm < 0.001,
           "variants": {a: _comparison(c) | {"p_adjusted": p} for (a, c), p in zip(variants.items(), adjusted, strict=True)},
           "guardrails": guards, "looks": looks}  # fmt: skip
    out["verdict"] = _verdict(exp, out, measured)
    return out


def _verdict(exp: dict[str, Any], res: dict[str, Any], measured: int) -> str:
    if res["srm"]:
        return "srm: the split is not what was planned (p < 0.001): find out why before reading the result"
    alpha = exp["alpha"]
    harmed = [f"{g} ({a})" for g, per in res["guardrails"].items() for a, c in per.items()
              if c["p_value"] is not None and c["p_value"] < alpha and (c["effect"] or 0) < 0]  # fmt: skip
    best = min(res["variants"].items(), key=lambda kv: kv[1]["p_adjusted"] if kv[1]["p_adjusted"] is not None else 1)
    name, c = best
    if exp["stop_rule"] == "sequential" and res["looks"]:
        first = next((lk for lk in res["looks"] if lk["p_value"] <= alpha), None)
        if first is None:
            return f"keep running: no always-valid p-value at or below {alpha} yet ({len(res['looks'])} looks)"
        direction = "better" if res["looks"][-1]["diff"] > 0 else "worse"
        guard = f"; but a guardrail got worse: {', '.join(harmed)}" if harmed else ""
        return f"stop: {name} is {direction} than control (sequential p ≤ {alpha} on {first['day']}){guard}"
    if measured < exp["planned_n"]:
        return f"keep running: {measured} of {exp['planned_n']} units per arm measured"
    if c["p_adjusted"] is not None and c["p_adjusted"] < alpha:
        if (c["effect"] or 0) > 0:
            return f"{name} wins: {c['effect']:+.1%} on {exp['primary_metric']}" + (
                f"; but a guardrail got worse: {', '.join(harmed)}" if harmed else "")
        return f"control is better: {name} {c['effect']:+.1%} on {exp['primary_metric']}"
    return f"no detectable difference at the planned size (MDE {exp['mde']:.0%})"


def conclude(ws: Any, experiment_id: str, by: str, decision: str, now: Any = None) -> dict[str, Any]:
    """Store the analysis with the decision taken and who took it; the experiment is then read-only."""
    if not (decision or "").strip():
        raise ExperimentError("say what was decided")
    exp = get(ws, experiment_id)
    if exp["state"] == "concluded":
        raise ExperimentError(f"experiment {experiment_id} is already concluded")
    if exp["state"] == "draft":
        raise ExperimentError(f"experiment {experiment_id} never ran")
    res = analyze(ws, experiment_id, now)
    at = _time(now) or _now()
    with transaction(ws.con):
        ws.con.execute("UPDATE experiments SET state = 'concluded', ended_at = coalesce(ended_at, ?), result = ?, "
                       "decision = ?, decided_by = ?, decided_at = ? WHERE experiment_id = ?",
                       [at, json.dumps(res, default=str), decision.strip(), by, at, experiment_id])  # fmt: skip
    return get(ws, experiment_id)


def learning_log(ws: Any, q: str | None = None) -> list[dict[str, Any]]:
    """Every experiment, newest first: hypothesis, design, state, verdict, decision, who decided and after how many
    days; ``q`` searches name, hypothesis and decision."""
    where, args = "", []
    if q:
        where, args = "WHERE strpos(lower(name || ' ' || hypothesis || ' ' || coalesce(decision, '')), lower(?)) > 0", [q]
    rows = ws.con.execute(f"SELECT experiment_id FROM experiments {where} ORDER BY created_at DESC, version DESC",
                          args).fetchall()  # fmt: skip
    out = []
    for (eid,) in rows:
        e = get(ws, eid)
        res = json.loads(e["result"]) if e["result"] else None
        out.append({k: e[k] for k in ("experiment_id", "name", "version", "supersedes", "hypothesis", "design",
                                      "primary_metric", "state", "decision", "decided_by", "decided_at", "started_at",
                                      "ended_at")}  # fmt: skip
                   | {"verdict": res["verdict"] if res else None,
                      "days_to_decision": (e["decided_at"] - e["ended_at"]).days if e["decided_at"] and e["ended_at"]
                      else None})
    return out


def suggest_n(ws: Any, design: str, metric: str, mde: float, *, alpha: float = 0.05, power: float = 0.8,
              days: int = 90) -> dict[str, Any]:  # fmt: skip
    """Units per arm to detect a relative effect ``mde`` on ``metric``, from the workspace's last ``days`` days:
    own posts for the posts design, people who wrote in for the replies design."""
    if design not in OUTCOMES or metric not in OUTCOMES[design]:
        raise ExperimentError(f"unknown metric {metric!r} for design {design!r}")
    if design == "posts":
        col = {"engagement_rate": "(likes + comments + reposts + coalesce(saves, 0)) / nullif(impressions, 0)",
               "engagements": "likes + comments + reposts + coalesce(saves, 0)", "comments": "comments"}[metric]
        sql = (f"SELECT avg(v), var_samp(v), count(v) FROM (SELECT {col} AS v FROM posts p JOIN accounts a ON "
               "a.platform = p.platform AND a.account_id = p.account_id AND a.is_own WHERE p.created_at >= "
               "(SELECT max(created_at) FROM posts) - to_days(?))")
    else:
        sql = ("WITH m AS (SELECT platform, actor_id, created_at FROM interactions WHERE is_inbound AND created_at >= "
               "(SELECT max(created_at) FROM interactions) - to_days(?)), "
               "f AS (SELECT platform, actor_id, min(created_at) AS t0 FROM m GROUP BY ALL), "
               "v AS (SELECT (SELECT count(*) FROM m WHERE m.platform = f.platform AND m.actor_id = f.actor_id AND "
               "m.created_at > f.t0 AND m.created_at <= f.t0 + INTERVAL 7 DAY) AS k, "
               "(SELECT count(*) FROM orders o WHERE o.user_id = f.actor_id AND coalesce(o.user_platform, o.platform) "
               "= f.platform AND o.created_at > f.t0 AND o.created_at <= f.t0 + INTERVAL 30 DAY) AS o FROM f) "
               "SELECT avg(x), var_samp(x), count(*) FROM (SELECT "
               + {"replied_again": "(k > 0)::DOUBLE", "ordered": "(o > 0)::DOUBLE", "messages": "k::DOUBLE"}[metric]
               + " AS x FROM v)")
    mean, var, n = ws.con.execute(sql, [days]).fetchone()
    if not n or mean in (None, 0) or var in (None, 0):
        return {"units_per_arm": None, "baseline": mean, "variance": var, "history": n or 0}
    return {"units_per_arm": X.units_per_arm(abs(mean) * mde, var, alpha=alpha, power=power), "baseline": mean,
            "variance": var, "history": n}
