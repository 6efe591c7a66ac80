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
- ``switchback`` — unit = a time window (``windows``: ``2026-06-01T00:00+24h``), for what cannot be split by post or
  person (an auto-reply, a response-time policy, a posting cadence): the windows are randomised within their block
  (weekday), the treatment is on for the whole window, and the window's outcome is counted after a burn-in
  (``BURN_IN_HOURS``: what the previous window's arm carries over is left out); ``engagement_rate`` of own posts
  published in it (ratio: delta method over windows), ``engagements``, ``messages`` (people's messages); a window
  counts once it has ended.
- ``replies`` — unit = the person a reply goes to (``platform:user``, randomised per conversation so one person
  sees one treatment): ``replied_again`` (they wrote again within 7 days), ``ordered`` (an order within 30 days),
  ``messages`` (their messages within 7 days); CUPED with their messages in the 28 days before as covariate; a unit
  counts once its window has passed.

``analyze`` compares each variant with control (frequentist and Bayesian; Holm-corrected across variants), checks
the split (SRM), reads the guardrails (Holm-corrected across guardrails × variants), gives the always-valid p-value of each daily look when the stop rule is
sequential, and says what the data allow: keep running, stop (sequential), a winner, control better, or no
detectable difference. ``conclude`` stores that analysis with the decision and who took it; ``learning_log`` lists
every experiment with its hypothesis, result and decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hudong.analyses.base import Result, analysis
from hudong.errors import HudongError
from hudong.plan import clock
from hudong.plan import items as P
from hudong.stats import experiments as X
from hudong.store import schema as S
from hudong.store.workspace import has_table, transaction

OUTCOMES: dict[str, dict[str, tuple[str, str]]] = {
    "posts": {"engagement_rate": ("ratio", "engagements per impression"),
              "engagements": ("mean", "likes + comments + reposts + saves + clicks per post"),
              "comments": ("mean", "comments per post"),
              "toxic_comments": ("mean", "comments flagged toxic per post (a guardrail: text_signals)")},
    "replies": {"replied_again": ("proportion", "the person wrote again within 7 days"),
                "ordered": ("proportion", "the person ordered within 30 days"),
                "messages": ("mean", "messages the person sent within 7 days"),
                "sentiment_change": ("mean", "the tone of their messages within 7 days minus the tone of their "
                                     "messages before (sentiment score, −1 … 1; people with both)"),
                "toxic_messages": ("proportion", "the person sent a message flagged toxic within 7 days (a guardrail)"),
                "unfollowed": ("proportion", "the person unfollowed within 30 days (a guardrail)")},
    "switchback": {"engagement_rate": ("ratio", "engagements per impression of own posts published in the window"),
                   "engagements": ("mean", "engagements on own posts published in the window"),
                   "messages": ("mean", "messages people sent in the window")},
}  # fmt: skip
WINDOW_DAYS = {"replied_again": 7, "messages": 7, "ordered": 30, "sentiment_change": 7, "toxic_messages": 7,
               "unfollowed": 30}
HARMS = frozenset({"toxic_comments", "toxic_messages", "unfollowed"})  # higher is worse: guardrails, not goals
BURN_IN_HOURS = 2
ABSOLUTE = frozenset({"sentiment_change"})  # effects as differences (a change of tone has no meaningful ratio)
PRE_DAYS = 28
LOCKED = ("hypothesis", "design", "arms", "weights", "primary_metric", "guardrails", "mde", "planned_n", "alpha",
          "window_days",
          "stop_rule")
TAU2 = 0.01  # mSPRT mixing variance in units of the metric's variance: an effect of ~0.1 σ is what it looks for
_COLS = ("experiment_id", "name", "version", "supersedes", "hypothesis", "design", "arms", "weights", "primary_metric",
         "guardrails", "mde", "planned_n", "alpha", "stop_rule", "state", "created_by", "created_at", "started_at",
         "ended_at", "result", "decision", "decided_by", "decided_at", "decision_action", "followed_result", "window_days")


class ExperimentError(HudongError):
    pass


def _now() -> dt.datetime:
    return clock.now()


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
              mde: float, alpha: float, stop_rule: str, window_days: int | None = None) -> None:  # fmt: skip
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
    if window_days is not None:
        if design != "replies":
            raise ExperimentError("an outcome window is for the replies design (posts and windows are measured as "
                                  "the platform reports them)")  # fmt: skip
        if not isinstance(window_days, int) or not 1 <= window_days <= 180:
            raise ExperimentError(f"the outcome window is 1–180 days, got {window_days!r}")


def create(ws: Any, *, name: str, hypothesis: str, design: str, primary_metric: str, by: str,
           arms: Sequence[str] = ("control", "variant"), weights: Sequence[float] | None = None,
           guardrails: Sequence[str] = (), mde: float = 0.1, planned_n: int | None = None, alpha: float = 0.05,
           stop_rule: str = "fixed", window_days: int | None = None, _version: int = 1,
           _supersedes: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Register an experiment (a draft until ``start``); ``planned_n`` defaults to ``suggest_n``; ``window_days``
    (replies design): count every outcome within this many days of the reply instead of ``WINDOW_DAYS``."""
    arms = [a.strip() for a in arms]
    weights = [float(w) for w in (weights or [1.0] * len(arms))]
    if not (hypothesis or "").strip() or not (name or "").strip():
        raise ExperimentError("an experiment needs a name and a hypothesis")
    _validate(design, arms, weights, primary_metric, guardrails, mde, alpha, stop_rule, window_days)
    if planned_n is None:
        planned_n = suggest_n(ws, design, primary_metric, mde, alpha=alpha, window_days=window_days)["units_per_arm"]
    if planned_n is None or planned_n < 2:
        raise ExperimentError("give the planned units per arm (the workspace has no history to suggest one)")
    eid = "x_" + secrets.token_hex(5)
    with transaction(ws.con):
        ws.con.execute(
            f"INSERT INTO experiments ({', '.join(_COLS)}) VALUES ({', '.join('?' * len(_COLS))})",
            [eid, name.strip(), _version, _supersedes, hypothesis.strip(), design, arms, json.dumps(weights),
             primary_metric, list(guardrails), float(mde), int(planned_n), float(alpha), stop_rule, "draft", by,
             _now(), None, None, None, None, None, None, None, None,
             None if window_days is None else int(window_days)])  # fmt: skip
    return get(ws, eid)


def update(ws: Any, experiment_id: str, by: str, **changes: Any) -> dict[str, Any]:
    """Change a draft; once it runs — or a unit is in it, even as a draft: data have arrived — its registration is
    locked (use ``revise``)."""
    exp = get(ws, experiment_id)
    unknown = set(changes) - set(LOCKED) - {"name"}
    if unknown:
        raise ExperimentError(f"unknown field(s) {', '.join(sorted(unknown))}")
    locked = set(changes) & set(LOCKED)
    if locked and (exp["state"] != "draft" or sum(exp["units"].values())):
        why = "runs" if exp["state"] != "draft" else "has units assigned"
        raise ExperimentError(f"experiment {experiment_id} {why}: its registration ({', '.join(sorted(locked))}) "
                              "is locked; `revise` it to register a new version")  # fmt: skip
    merged = {**exp, **changes}
    _validate(merged["design"], merged["arms"], merged["weights"], merged["primary_metric"], merged["guardrails"],
              merged["mde"], merged["alpha"], merged["stop_rule"], merged.get("window_days"))  # fmt: skip
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
                                  "mde", "planned_n", "alpha", "stop_rule", "window_days")} | changes  # fmt: skip
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


def randomise(units: Sequence[tuple[str, str | None]], arms: Sequence[str], weights: Sequence[float],
              seed: int | None = None) -> dict[str, str]:  # fmt: skip
    """unit → arm: shuffled within each block, the arms in the planned proportions (remainders to arms drawn by
    weight), so every block stays balanced. Pure: the same units, arms and seed give the same assignment."""
    rng = random.Random(seed)
    w = np.asarray(weights, dtype=float) / sum(weights)
    blocks: dict[str | None, list[str]] = {}
    for u, b in units:
        blocks.setdefault(b, []).append(u)
    out: dict[str, str] = {}
    for members in blocks.values():
        rng.shuffle(members)
        counts = np.floor(w * len(members)).astype(int)
        for _ in range(len(members) - counts.sum()):
            counts[rng.choices(range(len(counts)), weights=list(w))[0]] += 1
        labels = [a for a, c in zip(arms, counts, strict=True) for _ in range(c)]
        rng.shuffle(labels)
        out.update(zip(members, labels, strict=True))
    return out


def assign(ws: Any, experiment_id: str, units: Iterable[str | tuple[str, str | None]], *,
           at: Any = None, seed: int | None = None) -> dict[str, str]:  # fmt: skip
    """Randomise ``units`` (ids, or (id, block)) into the arms (``randomise``); unit → arm. ``at``: when they
    entered (a time, or unit → time; default now). Refused for a unit already in another open experiment of the
    same design; units already in this one keep their arm."""
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
    out = randomise([(u, b) for u, b in pairs if u not in here], exp["arms"], exp["weights"], seed)
    block_of = dict(pairs)
    when = {u: _time(at.get(u)) for u in out} if isinstance(at, dict) else dict.fromkeys(out, _time(at))
    with transaction(ws.con):
        _insert(ws, experiment_id, out, block_of, when)
    return out


def _insert(ws: Any, experiment_id: str, arms: dict[str, str], blocks: dict[str, str | None],
            when: dict[str, dt.datetime | None]) -> None:  # fmt: skip
    for u, arm in arms.items():
        ws.con.execute("INSERT INTO experiment_units VALUES (?, ?, ?, ?, ?)",
                       [experiment_id, u, arm, blocks.get(u), when.get(u) or _now()])


def hash_arm(experiment_id: str, unit: str, arms: Sequence[str], weights: Sequence[float]) -> str:
    """The arm of ``unit``, a pure function of the experiment and the unit (SHA-256 into [0, 1), then the arms'
    cumulative weights): the inbox shows an operator the treatment before the person is enrolled, and the same
    person always gets the same one."""
    h = int.from_bytes(hashlib.sha256(f"{experiment_id}:{unit}".encode()).digest()[:8], "big") / 2**64
    edges = np.cumsum(np.asarray(weights, dtype=float) / sum(weights))
    return arms[int(min(np.searchsorted(edges, h, side="right"), len(arms) - 1))]


def _inbox_experiments(ws: Any) -> list[dict[str, Any]]:
    """Running replies experiments whose arms are all reply templates: tone experiments of the inbox."""
    if not has_table(ws.con, "reply_templates"):
        return []
    out = []
    for (eid,) in ws.con.execute("SELECT experiment_id FROM experiments WHERE state = 'running' AND design = "
                                 "'replies' ORDER BY started_at").fetchall():  # fmt: skip
        exp = get(ws, eid)
        known = ws.con.execute(f"SELECT count(DISTINCT name) FROM reply_templates WHERE name IN "
                               f"({', '.join('?' * len(exp['arms']))})", exp["arms"]).fetchone()[0]  # fmt: skip
        if known == len(exp["arms"]):
            out.append(exp)
    return out


def inbox_treatment(ws: Any, platform: str, person: str) -> dict[str, Any] | None:
    """The reply template a person is to get under a running inbox experiment (the first that has them or may take
    them): ``experiment_id``, ``name``, ``arm`` (= the template's name); None when no experiment applies."""
    unit = f"{platform}:{person}"
    for exp in _inbox_experiments(ws):
        row = ws.con.execute("SELECT u.experiment_id, u.arm FROM experiment_units u JOIN experiments e USING "
                             "(experiment_id) WHERE u.unit_id = ? AND e.design = 'replies' AND e.state IN ('draft', "
                             "'running')", [unit]).fetchone()  # fmt: skip
        if row and row[0] != exp["experiment_id"]:
            continue  # in another open experiment: not this one's
        arm = row[1] if row else hash_arm(exp["experiment_id"], unit, exp["arms"], exp["weights"])
        return {"experiment_id": exp["experiment_id"], "name": exp["name"], "arm": arm}
    return None


def enroll_replied(ws: Any, experiment_id: str) -> int:
    """Enroll in a running inbox experiment the people the staff answered since it started (a staff reply to their
    message), each with ``hash_arm`` and the time of their first answer; people already in another open replies
    experiment are left out. Intention to treat: a person counts in their arm whichever template was used. Returns
    the people enrolled now."""
    exp = get(ws, experiment_id)
    if exp["state"] != "running" or exp["design"] != "replies":
        return 0
    rows = ws.con.execute("""
        SELECT m.platform || ':' || m.actor_id AS unit, min(r.created_at) AS first_reply
        FROM interactions r JOIN interactions m ON m.platform = r.platform AND m.interaction_id = r.parent_id
        WHERE r.by_staff AND m.is_inbound AND r.created_at >= ? AND NOT coalesce(r.is_automated, FALSE)
        GROUP BY 1
        HAVING unit NOT IN (SELECT u.unit_id FROM experiment_units u JOIN experiments e USING (experiment_id)
                            WHERE e.design = 'replies' AND (e.state IN ('draft', 'running') OR e.experiment_id = ?))
    """, [exp["started_at"], experiment_id]).fetchall()  # fmt: skip
    arms = {u: hash_arm(experiment_id, u, exp["arms"], exp["weights"]) for u, _ in rows}
    with transaction(ws.con):
        _insert(ws, experiment_id, arms, {u: u.split(":", 1)[0] for u in arms}, dict(rows))
    return len(arms)


VARIANT_FIELDS = ("text", "title", "images", "content_type", "time")  # what an arm of a posts experiment may set


def plan_variants(ws: Any, experiment_id: str, *, platform: str, slots: Sequence[Any],
                  texts: dict[str, str] | None = None, variants: dict[str, dict[str, Any]] | None = None, by: str,
                  seed: int | None = None, **fields: Any) -> list[dict[str, Any]]:  # fmt: skip
    """hudong assigns the variants of a posts experiment to calendar slots: the ``slots`` are randomised into the
    arms within blocks of like slots, and one draft plan item per slot carries its arm's variant. Each item enters
    the experiment as the unit ``plan:<item id>``; once it is published and tied to its post, the post's engagement
    is the unit's outcome. Returns the items.

    An arm's variant (``variants``: arm → fields; ``texts``: arm → text, the text-only shorthand) sets any of
    ``VARIANT_FIELDS`` — its text, title, number of images, format (``content_type``: image, video …) or time of
    day (``time``: "21:00"); ``fields`` are what all arms share (any plan item field: text, title, images, owner …).
    Blocks are weekday × 3-hour block (each arm gets as many evenings as the other); when time is the treatment
    every arm sets one, a slot stands for its day, and blocks are weekdays."""
    exp = get(ws, experiment_id)
    if exp["design"] != "posts":
        raise ExperimentError("only a posts experiment places variants on the calendar")
    if exp["state"] not in ("draft", "running"):
        raise ExperimentError(f"experiment {experiment_id} is {exp['state']}: no more units")
    arms_of = _variants(exp["arms"], texts, variants, fields)
    timed = any("time" in v for v in arms_of.values())
    times = [_time(s) for s in slots]
    if None in times:
        raise ExperimentError("a slot has no time")
    days = [t.date() for t in times]
    if len(set(days if timed else times)) != len(times) or len(times) < len(exp["arms"]):
        raise ExperimentError("give distinct slots (distinct days when time is the treatment), at least one per arm")
    keys = [(t.isoformat(), f"{t:%a}" if timed else f"{t:%a}-{t.hour // 3}") for t in times]
    arms = randomise(keys, exp["arms"], exp["weights"], seed)
    made, units, blocks, when = [], {}, {}, {}
    for (key, block), t in zip(keys, times, strict=True):
        arm = arms[key]
        v = dict(arms_of[arm])
        at = dt.datetime.combine(t.date(), v.pop("time")) if timed else t
        item_fields = {**fields, **v}
        text, title = item_fields.pop("text", None), item_fields.pop("title", None)
        it = P.create(ws, platform=platform, by=by, text=text, title=title, state="draft", scheduled_at=at,
                      **item_fields)  # fmt: skip
        P.act(ws, it["item_id"], "comment", by, note=f"experiment {experiment_id} ({exp['name']}): arm {arm}")
        unit = f"plan:{it['item_id']}"
        units[unit], blocks[unit], when[unit] = arm, block, at
        made.append(P.get(ws, it["item_id"]) | {"arm": arm})
    with transaction(ws.con):
        _insert(ws, experiment_id, units, blocks, when)
    return made


def _variants(arms: Sequence[str], texts: dict[str, str] | None, variants: dict[str, dict[str, Any]] | None,
              common: dict[str, Any]) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Each arm's fields (texts and variants merged), checked: every arm named, only ``VARIANT_FIELDS``, a time
    of day in every arm or none, a text for every post, and no two arms alike (that would test nothing)."""
    given: dict[str, dict[str, Any]] = {a: {} for a in arms}
    for name, part in (("texts", {a: {"text": t} for a, t in (texts or {}).items()}), ("variants", variants or {})):
        for arm, v in part.items():
            if arm not in given:
                raise ExperimentError(f"{name}: unknown arm {arm!r}; arms: {', '.join(arms)}")
            bad = sorted(set(v) - set(VARIANT_FIELDS))
            if bad:
                raise ExperimentError(f"arm {arm!r}: unknown field(s) {', '.join(bad)}; an arm sets "
                                      f"{', '.join(VARIANT_FIELDS)}")  # fmt: skip
            given[arm] |= {k: x for k, x in v.items() if x not in (None, "")}
    if not any(given.values()):
        raise ExperimentError(f"give one text per arm (or a variant per arm): {', '.join(arms)}")
    timed = [a for a, v in given.items() if "time" in v]
    if timed and len(timed) != len(arms):
        raise ExperimentError("time is the treatment of some arms only: give every arm its time of day")
    for arm, v in given.items():
        if "time" in v:
            v["time"] = _clock(v["time"], arm)
        if not (v.get("text") or common.get("text")):
            raise ExperimentError(f"give one text per arm: arm {arm!r} has none (nor do all arms share one)")
    seen: dict[str, str] = {}
    for arm, v in given.items():
        key = repr(sorted((k, str(x)) for k, x in v.items()))
        if key in seen:
            raise ExperimentError(f"arms {seen[key]!r} and {arm!r} are alike: the experiment would test nothing")
        seen[key] = arm
    return given


def _clock(value: Any, arm: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        raise ExperimentError(f"arm {arm!r}: time must be a time of day like 21:00, got {value!r}") from None


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
def _post_values(ws: Any, experiment_id: str) -> list[tuple[str, float, float | None, float, float, dt.datetime]]:
    """(arm, engagements, impressions, comments, toxic comments, assigned_at) per stored post; ``post_engagement``'s
    rule: the larger of the reported count and the interactions stored."""
    return ws.con.execute("""
        WITH u0 AS (SELECT arm, assigned_at, unit_id FROM experiment_units WHERE experiment_id = ?),
        u AS (SELECT u0.arm, u0.assigned_at,  -- a plan:<item> unit is its item's post, once published and tied
                     CASE WHEN u0.unit_id LIKE 'plan:%' THEN pi.platform ELSE split_part(u0.unit_id, ':', 1) END AS platform,
                     CASE WHEN u0.unit_id LIKE 'plan:%' THEN pi.post_id
                          ELSE substr(u0.unit_id, strpos(u0.unit_id, ':') + 1) END AS post_id
              FROM u0 LEFT JOIN plan_items pi ON u0.unit_id = 'plan:' || pi.item_id),
        c AS (SELECT i.platform, i.target_post_id AS post_id,
                     count(*) FILTER (WHERE type = 'like') AS lk, count(*) FILTER (WHERE type IN ('comment', 'reply')) AS cm,
                     count(*) FILTER (WHERE type IN ('repost', 'share')) AS rp, count(*) FILTER (WHERE type = 'save') AS sv,
                     count(*) FILTER (WHERE type = 'click') AS ck, count(*) FILTER (WHERE type IN ('view', 'impression')) AS vw,
                     count(*) FILTER (WHERE type IN ('comment', 'reply') AND g.toxic) AS tx
              FROM interactions i JOIN u ON i.platform = u.platform AND i.target_post_id = u.post_id
              LEFT JOIN text_signals g ON g.platform = i.platform AND g.kind = 'interaction' AND g.id = i.interaction_id
              GROUP BY ALL)
        SELECT u.arm,
               greatest(coalesce(p.likes, 0), coalesce(c.lk, 0)) + greatest(coalesce(p.comments, 0), coalesce(c.cm, 0))
               + greatest(coalesce(p.reposts, 0), coalesce(c.rp, 0)) + greatest(coalesce(p.saves, 0), coalesce(c.sv, 0))
               + greatest(coalesce(p.clicks, 0), coalesce(c.ck, 0)) AS engagements,
               nullif(greatest(coalesce(p.impressions, 0), coalesce(c.vw, 0)), 0) AS impressions,
               greatest(coalesce(p.comments, 0), coalesce(c.cm, 0)) AS comments, coalesce(c.tx, 0) AS toxic,
               u.assigned_at
        FROM u JOIN posts p ON p.platform = u.platform AND p.post_id = u.post_id
        LEFT JOIN c ON c.platform = u.platform AND c.post_id = u.post_id""", [experiment_id]).fetchall()


def _reply_values(ws: Any, experiment_id: str, arms: Sequence[str], now: dt.datetime, window_days: int | None = None
                  ) -> dict[str, np.ndarray]:  # fmt: skip
    """Per person (arrays): ``arm`` (its index in ``arms``, −1 for another), ``later`` (messages ≤ 7 d after),
    ``ordered`` (orders ≤ 30 d after), ``before`` (messages in the 28 d before), ``tone`` (mean sentiment after −
    before; NaN without both), ``at`` (assigned), ``done_short`` / ``done_long`` (the 7- / 30-day window has passed;
    both windows are ``window_days`` when the experiment registered one). Set-based: one join each for messages and
    orders, grouped by the unit's row number rather than its strings and with the arm as a number (no Python string
    per person): 100k people in about a tenth of a second."""
    short, long = (window_days, window_days) if window_days else (7, 30)
    return ws.con.execute("""
        WITH u AS MATERIALIZED (
            SELECT row_number() OVER () AS k, list_position(?::VARCHAR[], arm) - 1 AS arm, assigned_at,
                   split_part(unit_id, ':', 1) AS platform, substr(unit_id, strpos(unit_id, ':') + 1) AS person
            FROM experiment_units WHERE experiment_id = ?),
        mc AS (SELECT u.k, count(*) FILTER (WHERE i.created_at > u.assigned_at) AS later,
                      count(*) FILTER (WHERE i.created_at <= u.assigned_at) AS before,
                      count(*) FILTER (WHERE i.created_at > u.assigned_at AND g.toxic) AS toxic,
                      avg(s.score) FILTER (WHERE i.created_at > u.assigned_at) AS tone_after,
                      avg(s.score) FILTER (WHERE i.created_at <= u.assigned_at) AS tone_before
               FROM u JOIN interactions i ON i.platform = u.platform AND i.actor_id = u.person AND i.is_inbound
                AND i.created_at > u.assigned_at - INTERVAL 28 DAY AND i.created_at <= u.assigned_at + to_days(?)
               LEFT JOIN text_sentiment s ON s.platform = i.platform AND s.kind = 'interaction'
                AND s.id = i.interaction_id
               LEFT JOIN text_signals g ON g.platform = i.platform AND g.kind = 'interaction' AND g.id = i.interaction_id
               GROUP BY u.k),
        uf AS (SELECT u.k, count(*) AS unfollowed
               FROM u JOIN interactions i ON i.platform = u.platform AND i.actor_id = u.person AND i.type = 'unfollow'
                AND i.created_at > u.assigned_at AND i.created_at <= u.assigned_at + to_days(?)
               GROUP BY u.k),
        oc AS (SELECT u.k, count(*) AS ordered
               FROM u JOIN orders o ON o.user_id = u.person AND coalesce(o.user_platform, o.platform) = u.platform
                AND o.created_at > u.assigned_at AND o.created_at <= u.assigned_at + to_days(?)
               GROUP BY u.k)
        SELECT coalesce(u.arm, -1) AS arm, coalesce(mc.later, 0)::DOUBLE AS later,
               coalesce(oc.ordered, 0)::DOUBLE AS ordered, coalesce(mc.toxic, 0)::DOUBLE AS toxic,
               coalesce(uf.unfollowed, 0)::DOUBLE AS unfollowed, coalesce(mc.before, 0)::DOUBLE AS before,
               coalesce(mc.tone_after - mc.tone_before, 'NaN')::DOUBLE AS tone, u.assigned_at AS at,
               u.assigned_at + to_days(?) <= ? AS done_short, u.assigned_at + to_days(?) <= ? AS done_long
        FROM u LEFT JOIN mc USING (k) LEFT JOIN oc USING (k) LEFT JOIN uf USING (k)""",
        [list(arms), experiment_id, short, long, long, short, now, long, now]).fetchnumpy()  # fmt: skip


def windows(start: Any, end: Any, hours: int = 24) -> list[tuple[str, str]]:
    """The switchback windows from ``start`` to ``end`` (exclusive), ``hours`` long: (unit, block = weekday)."""
    t0, t1 = _time(start), _time(end)
    if t0 is None or t1 is None or t1 <= t0:
        raise ExperimentError("give a start and a later end for the windows")
    if not 1 <= hours <= 24 * 14:
        raise ExperimentError("a window lasts from 1 hour to 14 days")
    n = int((t1 - t0).total_seconds() // (hours * 3600))
    if n < 4:
        raise ExperimentError("fewer than 4 windows: nothing to compare")
    step = dt.timedelta(hours=hours)
    return [(f"{(t0 + k * step):%Y-%m-%dT%H:%M}+{hours}h", f"{(t0 + k * step):%a}") for k in range(n)]


def _window(unit: str) -> tuple[dt.datetime, int]:
    start, _, hours = unit.partition("+")
    return dt.datetime.fromisoformat(start), int(hours.rstrip("h"))


def _switch_values(ws: Any, experiment_id: str, now: dt.datetime) -> list[tuple]:
    """(arm, engagements, impressions, messages, window start) per ended window, counted after the burn-in."""
    units = ws.con.execute("SELECT unit_id, arm FROM experiment_units WHERE experiment_id = ?", [experiment_id]).fetchall()
    out = []
    for unit, arm in units:
        t0, hours = _window(unit)
        t1 = t0 + dt.timedelta(hours=hours)
        if t1 > now:
            continue
        lo = t0 + dt.timedelta(hours=min(BURN_IN_HOURS, hours // 2))
        eng, imp = ws.con.execute("""
            WITH p AS (SELECT p.* FROM posts p JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id
                       AND a.is_own WHERE p.created_at >= ? AND p.created_at < ?),
            c AS (SELECT i.platform, i.target_post_id AS post_id, count(*) FILTER (WHERE type = 'like') AS lk,
                         count(*) FILTER (WHERE type IN ('comment', 'reply')) AS cm,
                         count(*) FILTER (WHERE type IN ('repost', 'share')) AS rp,
                         count(*) FILTER (WHERE type IN ('view', 'impression')) AS vw
                  FROM interactions i JOIN p ON i.platform = p.platform AND i.target_post_id = p.post_id GROUP BY ALL)
            SELECT coalesce(sum(greatest(coalesce(p.likes, 0), coalesce(c.lk, 0)) + greatest(coalesce(p.comments, 0),
                   coalesce(c.cm, 0)) + greatest(coalesce(p.reposts, 0), coalesce(c.rp, 0)) + coalesce(p.saves, 0)
                   + coalesce(p.clicks, 0)), 0),
                   coalesce(sum(nullif(greatest(coalesce(p.impressions, 0), coalesce(c.vw, 0)), 0)), 0)
            FROM p LEFT JOIN c ON c.platform = p.platform AND c.post_id = p.post_id""", [lo, t1]).fetchone()
        msgs = ws.con.execute("SELECT count(*) FROM interactions WHERE is_inbound AND created_at >= ? AND created_at < ?",
                              [lo, t1]).fetchone()[0]  # fmt: skip
        out.append((arm, float(eng), float(imp), float(msgs), t0))
    return out


def _units(ws: Any, exp: dict[str, Any], metric: str, now: dt.datetime,
           cache: dict[str, Any] | None = None) -> dict[str, dict[str, np.ndarray]]:  # fmt: skip
    """arm → {"y", "x" (denominators, ratio), "z" (pre-period), "t" (assigned, datetime64, for the looks)} of
    measured units; ``cache`` keeps the reply values between the primary metric and the guardrails."""
    if exp["design"] == "replies":
        if cache is None or "replies" not in cache:
            values = _reply_values(ws, exp["experiment_id"], exp["arms"], now, exp.get("window_days"))
            if cache is not None:
                cache["replies"] = values
        else:
            values = cache["replies"]
        done = np.asarray(values["done_long" if WINDOW_DAYS.get(metric) == 30 else "done_short"], dtype=bool)
        y = {"replied_again": (values["later"] > 0).astype(float), "ordered": (values["ordered"] > 0).astype(float),
             "messages": np.asarray(values["later"], dtype=float),
             "sentiment_change": np.asarray(values["tone"], dtype=float),
             "toxic_messages": (values["toxic"] > 0).astype(float),
             "unfollowed": (values["unfollowed"] > 0).astype(float)}[metric]  # fmt: skip
        done = done & ~np.isnan(y)  # sentiment change: people who wrote before and after
        arm_of = np.asarray(values["arm"])
        at = np.asarray(values["at"], dtype="datetime64[s]")
        out_r = {}
        for i, a in enumerate(exp["arms"]):
            sel = done & (arm_of == i)
            out_r[a] = {"y": y[sel], "x": np.zeros(int(sel.sum())), "z": np.asarray(values["before"], float)[sel],
                        "t": at[sel]}  # fmt: skip
        return out_r
    out: dict[str, dict[str, list[Any]]] = {a: {"y": [], "x": [], "z": [], "t": []} for a in exp["arms"]}
    if exp["design"] == "posts":
        for arm, eng, imp, comments, toxic, at in _post_values(ws, exp["experiment_id"]):
            if arm not in out or (metric == "engagement_rate" and not imp):
                continue
            y = {"engagement_rate": eng, "engagements": eng, "comments": comments, "toxic_comments": toxic}[metric]
            out[arm]["y"].append(float(y))
            out[arm]["x"].append(float(imp or 0))
            out[arm]["t"].append(at)
    else:  # switchback
        for arm, eng, imp, msgs, at in _switch_values(ws, exp["experiment_id"], now):
            if arm not in out or (metric == "engagement_rate" and not imp):
                continue
            out[arm]["y"].append({"engagement_rate": eng, "engagements": eng, "messages": msgs}[metric])
            out[arm]["x"].append(imp)
            out[arm]["t"].append(at)
    return {a: {k: np.asarray(v, dtype="datetime64[s]" if k == "t" else float) for k, v in d.items()}
            for a, d in out.items()}


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
    dc, dv = c["t"].astype("datetime64[D]"), v["t"].astype("datetime64[D]")
    days = np.unique(np.concatenate([dc, dv]))
    sigma2 = float(np.nanvar(np.concatenate([yc, yv]), ddof=1)) or 1e-12
    # cumulative sums by day: one pass per arm, not one per day
    ic, iv = np.searchsorted(days, dc), np.searchsorted(days, dv)
    okc, okv = ~np.isnan(yc), ~np.isnan(yv)
    nc = np.cumsum(np.bincount(ic[okc], minlength=len(days)))
    nv = np.cumsum(np.bincount(iv[okv], minlength=len(days)))
    sc = np.cumsum(np.bincount(ic[okc], weights=yc[okc], minlength=len(days)))
    sv = np.cumsum(np.bincount(iv[okv], weights=yv[okv], minlength=len(days)))
    keep = (nc >= 2) & (nv >= 2)
    if not keep.any():
        return []
    diffs = (sv[keep] / nv[keep]) - (sc[keep] / nc[keep])
    ns = np.minimum(nc[keep], nv[keep]).astype(float)
    p = X.msprt_pvalues(diffs, ns, sigma2, TAU2 * sigma2)
    return [{"day": str(d), "n": int(n), "diff": float(x), "p_value": float(pv)}
            for d, n, x, pv in zip(days[keep], ns, diffs, p, strict=True)]


def analyze(ws: Any, experiment_id: str, now: Any = None) -> dict[str, Any]:
    """The experiment's results now (module doc). A running inbox experiment first takes in the people answered
    since (``enroll_replied``)."""
    exp = get(ws, experiment_id)
    if exp["state"] == "running" and exp["design"] == "replies" and any(
            e["experiment_id"] == experiment_id for e in _inbox_experiments(ws)):
        enroll_replied(ws, experiment_id)
        exp = get(ws, experiment_id)
    now = _time(now) or _now()
    arms = exp["arms"]
    kind = OUTCOMES[exp["design"]][exp["primary_metric"]][0]
    cuped = exp["design"] == "replies"
    cache: dict[str, Any] = {}
    data = _units(ws, exp, exp["primary_metric"], now, cache)
    m = {a: _moments(data[a], kind, cuped) for a in arms}
    rel = exp["primary_metric"] not in ABSOLUTE
    variants = {a: X.compare(m[arms[0]], m[a], kind=kind, cuped=cuped and m[a].n > 2, alpha=exp["alpha"], relative=rel)
                for a in arms[1:]}  # fmt: skip
    adjusted = X.holm([c.p_value for c in variants.values()])
    assigned = [int(exp["units"].get(a, 0)) for a in arms]
    srm = X.srm_pvalue(assigned, exp["weights"])
    guards = {}
    for g in exp["guardrails"]:
        gk = OUTCOMES[exp["design"]][g][0]
        gd = _units(ws, exp, g, now, cache)
        gm = {a: _moments(gd[a], gk, cuped) for a in arms}
        guards[g] = {a: _comparison(X.compare(gm[arms[0]], gm[a], kind=gk, alpha=exp["alpha"],  # harms as differences:
                                              relative=g not in ABSOLUTE | HARMS)) for a in arms[1:]}  # control may be 0
    # several guardrails × variants are a family: Holm-adjusted p-values, which the verdict's "got worse" reads
    family = [(g, a) for g in guards for a in guards[g] if guards[g][a]["p_value"] is not None]
    for (g, a), p_adj in zip(family, X.holm([guards[g][a]["p_value"] for g, a in family]), strict=True):
        guards[g][a]["p_adjusted"] = p_adj
    looks = _looks(data, arms, kind) if exp["stop_rule"] == "sequential" else []
    measured = min(c.treatment.n for c in variants.values()) if variants else 0
    measured = min(measured, m[arms[0]].n)
    out = {"experiment_id": experiment_id, "primary_metric": exp["primary_metric"], "kind": kind, "at": now.isoformat(),
           "assigned": dict(zip(arms, assigned, strict=True)), "measured": {a: m[a].n for a in arms},
           "planned_n": exp["planned_n"], "srm_p_value": srm, "srm": srm < 0.001,
           "variants": {a: _comparison(c) | {"p_adjusted": p} for (a, c), p in zip(variants.items(), adjusted, strict=True)},
           "guardrails": guards, "looks": looks, "relative": rel}  # fmt: skip
    out["verdict_key"], out["verdict"], out["verdict_zh"] = _verdict(exp, out, measured)
    return out


# verdict key → (en, zh) templates; analyze() fills both, the key says what kind of answer it is
VERDICTS = {
    "srm": ("srm: the split is not what was planned (p < 0.001): find out why before reading the result",
            "样本比例失衡(SRM,p < 0.001):先查明分组为何偏离计划,再解读结果"),
    "keep_running_sequential": ("keep running: no always-valid p-value at or below {alpha} yet ({looks} looks)",
                                "继续运行:{looks} 次查看中,始终有效的 p 值尚未降到 {alpha} 及以下"),
    "stop": ("stop: {arm} is {direction} than control (sequential p ≤ {alpha} on {day})",
             "可以停止:{arm} {direction_zh}对照组(序贯检验于 {day} 达到 p ≤ {alpha})"),
    "keep_running": ("keep running: {measured} of {planned} units per arm measured",
                     "继续运行:每组已测量 {measured}/{planned} 个单位"),
    "wins": ("{arm} wins: {effect} on {metric}", "{arm} 胜出:{metric} 变化 {effect}"),
    "control_better": ("control is better: {arm} {effect} on {metric}", "对照组更好:{arm} 的 {metric} 变化 {effect}"),
    "no_difference": ("no detectable difference at {size} (MDE {mde})", "在{size_zh}下没有可检测的差异(最小可检测效应 {mde})"),
}  # fmt: skip


def _verdict(exp: dict[str, Any], res: dict[str, Any], measured: int) -> tuple[str, str, str]:
    """(key, en, zh): what the data allow now (module doc)."""
    alpha = exp["alpha"]
    harmed = [f"{g} ({a})" for g, per in res["guardrails"].items() for a, c in per.items()  # worse: down, or up for harms
              if c.get("p_adjusted") is not None and c["p_adjusted"] < alpha
              and (c["effect"] or 0) * (-1 if g in HARMS else 1) < 0]
    guard = (f"; but a guardrail got worse: {', '.join(harmed)}", f";但护栏指标变差:{', '.join(harmed)}")
    tail = ("", "")

    def say(key: str, **kw: Any) -> tuple[str, str, str]:
        en, zh = VERDICTS[key]
        return key, en.format(**kw) + tail[0], zh.format(**kw) + tail[1]

    if res["srm"]:
        return say("srm")
    best = min(res["variants"].items(), key=lambda kv: kv[1]["p_adjusted"] if kv[1]["p_adjusted"] is not None else 1)
    name, c = best
    if harmed:
        tail = guard
    if exp["stop_rule"] == "sequential" and res["looks"]:
        first = next((lk for lk in res["looks"] if lk["p_value"] <= alpha), None)
        if first is None:
            tail = ("", "")
            return say("keep_running_sequential", alpha=alpha, looks=len(res["looks"]))
        better = res["looks"][-1]["diff"] > 0
        return say("stop", arm=name, direction="better" if better else "worse", direction_zh="优于" if better else "差于",
                   alpha=alpha, day=first["day"])  # fmt: skip
    if measured < exp["planned_n"]:
        if exp["state"] in ("draft", "running"):
            tail = ("", "")
            return say("keep_running", measured=measured, planned=exp["planned_n"])
        tail = (tail[0] + f" (stopped at {measured} of {exp['planned_n']} planned units per arm: less power than planned)",
                tail[1] + f"(提前停止:每组 {measured}/{exp['planned_n']} 个单位,检验力低于计划)")
    fmt = "+.2f" if exp["primary_metric"] in ABSOLUTE else "+.1%"
    effect = format(c["effect"], fmt) if c["effect"] is not None else "—"
    if c["p_adjusted"] is not None and c["p_adjusted"] < alpha:
        if (c["effect"] or 0) > 0:
            return say("wins", arm=name, effect=effect, metric=exp["primary_metric"])
        tail = (tail[0].replace(guard[0], ""), tail[1].replace(guard[1], ""))
        return say("control_better", arm=name, effect=effect, metric=exp["primary_metric"])
    short = measured < exp["planned_n"]
    return say("no_difference", size="the size reached" if short else "the planned size",
               size_zh="已达到的样本量" if short else "计划样本量", mde=f"{exp['mde']:.0%}")


def followed(verdict_key: str | None, action: str | None, verdict: str = "") -> bool | None:
    """Whether a decision followed its result: a winner (or a sequential stop in the variant's favour) shipped;
    control better, no difference or a worse variant kept; an SRM or a short read iterated. None: no action given
    or no result."""
    if not action or not verdict_key:
        return None
    if verdict_key == "wins" or (verdict_key == "stop" and " better " in verdict):
        return action == "ship"
    if verdict_key in ("control_better", "no_difference") or verdict_key == "stop":
        return action in ("keep", "abandon")
    return action in ("iterate", "abandon")  # srm, keep running: nothing to act on yet


def conclude(ws: Any, experiment_id: str, by: str, decision: str, now: Any = None,
             action: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Store the analysis with the decision taken, who took it and what it does (``action``: ship, keep, iterate,
    abandon — from which the learning log tells whether the decision followed the result); read-only afterwards."""
    if not (decision or "").strip():
        raise ExperimentError("say what was decided")
    if action is not None and action not in S.DECISION_ACTIONS:
        raise ExperimentError(f"the decision's action is one of {', '.join(S.DECISION_ACTIONS)}, not {action!r}")
    exp = get(ws, experiment_id)
    if exp["state"] == "concluded":
        raise ExperimentError(f"experiment {experiment_id} is already concluded")
    if exp["state"] == "draft":
        raise ExperimentError(f"experiment {experiment_id} never ran")
    res = analyze(ws, experiment_id, now)
    at = _time(now) or _now()
    with transaction(ws.con):
        ws.con.execute("UPDATE experiments SET state = 'concluded', ended_at = coalesce(ended_at, ?), result = ?, "
                       "decision = ?, decided_by = ?, decided_at = ?, decision_action = ?, followed_result = ? "
                       "WHERE experiment_id = ?", [at, json.dumps(res, default=str), decision.strip(), by, at, action,
                                                   followed(res["verdict_key"], action, res["verdict"]),
                                                   experiment_id])  # fmt: skip
    return get(ws, experiment_id)


def state_key(ws: Any) -> tuple[Any, ...]:
    """What the analyses of experiments read beyond the data tables — the registrations, the units, the reply
    templates an inbox experiment's arms name — as one value that changes whenever any of them does (the web keeps an
    analysis in memory under it, the data version and the minute)."""
    rows, units, templates = ws.con.execute("""
        SELECT (SELECT md5(coalesce(string_agg(e::VARCHAR, '|' ORDER BY experiment_id), '')) FROM experiments e),
               (SELECT count(*) FROM experiment_units),
               (SELECT list(estimated_size) FROM duckdb_tables() WHERE table_name = 'reply_templates')""").fetchone()
    return rows, units, tuple(templates or ())


def learning_log(ws: Any, q: str | None = None) -> list[dict[str, Any]]:
    """Every experiment, newest first: hypothesis, design, state, verdict (en, zh) with the primary metric's effect
    and interval of its leading variant — as concluded, or as the data stand now for one not concluded — decision,
    who decided and after how many days; ``q`` searches name, hypothesis and decision."""
    where, args = "", []
    if q:
        where, args = "WHERE strpos(lower(name || ' ' || hypothesis || ' ' || coalesce(decision, '')), lower(?)) > 0", [q]
    rows = ws.con.execute(f"SELECT experiment_id FROM experiments {where} ORDER BY created_at DESC, version DESC",
                          args).fetchall()  # fmt: skip
    out = []
    for (eid,) in rows:
        e = get(ws, eid)
        res = json.loads(e["result"]) if e["result"] else (analyze(ws, eid) if e["state"] != "draft" else None)
        lead = None
        if res and res["variants"]:
            lead = min(res["variants"].items(), key=lambda kv: 1 if kv[1]["p_adjusted"] is None else kv[1]["p_adjusted"])
        out.append({k: e[k] for k in ("experiment_id", "name", "version", "supersedes", "hypothesis", "design",
                                      "primary_metric", "state", "planned_n", "decision", "decided_by", "decided_at",
                                      "decision_action", "started_at", "ended_at")}  # fmt: skip
                   | {"verdict": res["verdict"] if res else None, "verdict_zh": res.get("verdict_zh") if res else None,
                      "verdict_key": res.get("verdict_key") if res else None,
                      "arm": lead[0] if lead else None, "effect": lead[1]["effect"] if lead else None,
                      "ci": lead[1]["ci"] if lead else None, "units": sum(e["units"].values()),
                      "relative": e["primary_metric"] not in ABSOLUTE,
                      "followed": e["followed_result"],
                      "days_to_decision": (e["decided_at"] - e["ended_at"]).days if e["decided_at"] and e["ended_at"]
                      else None})  # fmt: skip
    return out


@dataclass(frozen=True)
class LogParams:
    q: str | None = None  # words in the name, hypothesis or decision


@analysis("learning_log", "学习日志", "Learning log", tables=("experiments", "experiment_units"), params=LogParams)
def learning_log_analysis(ws: Any, p: LogParams, step: Any) -> Result:
    """The learning log (``learning_log``): frame ``experiments``; values ``experiments`` (the rows), ``ran``
    (started), ``concluded``, ``running`` and ``median_days_to_decision``."""
    rows = learning_log(ws, p.q)
    days = [r["days_to_decision"] for r in rows if r["days_to_decision"] is not None]
    return Result({"experiments": pd.DataFrame(rows)}, {
        "experiments": rows, "ran": sum(r["state"] != "draft" for r in rows),
        "concluded": sum(r["state"] == "concluded" for r in rows), "running": sum(r["state"] == "running" for r in rows),
        "followed": sum(r["followed"] is True for r in rows), "judged": sum(r["followed"] is not None for r in rows),
        "median_days_to_decision": float(np.median(days)) if days else None})  # fmt: skip


def suggest_n(ws: Any, design: str, metric: str, mde: float, *, alpha: float = 0.05, power: float = 0.8,
              days: int = 90, window_days: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Units per arm to detect a relative effect ``mde`` on ``metric``, from the workspace's last ``days`` days:
    own posts for the posts design, people who wrote in for the replies design (with what CUPED saves: the share
    of variance their 28 days before explains, ρ², and the units needed with it), days for a switchback design."""
    if design not in OUTCOMES or metric not in OUTCOMES[design]:
        raise ExperimentError(f"unknown metric {metric!r} for design {design!r}")
    extra: dict[str, Any] = {}
    if design == "posts":
        col = {"engagement_rate": "(likes + comments + reposts + coalesce(saves, 0)) / nullif(impressions, 0)",
               "engagements": "likes + comments + reposts + coalesce(saves, 0)", "comments": "comments"}[metric]
        sql = (f"SELECT avg(v), var_samp(v), count(v) FROM (SELECT {col} AS v FROM posts p JOIN accounts a ON "
               "a.platform = p.platform AND a.account_id = p.account_id AND a.is_own WHERE p.created_at >= "
               "(SELECT max(created_at) FROM posts) - to_days(?))")
    elif design == "switchback":  # one window a day
        col = {"engagement_rate": "sum(likes + comments + reposts + coalesce(saves, 0)) / nullif(sum(impressions), 0)",
               "engagements": "sum(likes + comments + reposts + coalesce(saves, 0))"}.get(metric)
        sql = (f"SELECT avg(v), var_samp(v), count(v) FROM (SELECT {col} AS v FROM posts p JOIN accounts a ON "
               "a.platform = p.platform AND a.account_id = p.account_id AND a.is_own WHERE p.created_at >= "
               "(SELECT max(created_at) FROM posts) - to_days(?) GROUP BY p.created_at::DATE)") if col else (
               "SELECT avg(v), var_samp(v), count(v) FROM (SELECT count(*)::DOUBLE AS v FROM interactions WHERE "
               "is_inbound AND created_at >= (SELECT max(created_at) FROM interactions) - to_days(?) "
               "GROUP BY created_at::DATE)")  # fmt: skip
    elif metric == "sentiment_change":  # needs scored messages before and after: no history formula; give the size
        return {"units_per_arm": None, "baseline": None, "variance": None, "history": 0}
    else:
        x = {"replied_again": "(k > 0)::DOUBLE", "ordered": "(o > 0)::DOUBLE", "messages": "k::DOUBLE"}[metric]
        sql = ("WITH m AS (SELECT platform, actor_id, created_at FROM interactions WHERE is_inbound AND created_at >= "
               "(SELECT max(created_at) FROM interactions) - to_days(?)), "
               "f AS (SELECT platform, actor_id, min(created_at) AS t0 FROM m GROUP BY ALL), "
               "v AS (SELECT (SELECT count(*) FROM m WHERE m.platform = f.platform AND m.actor_id = f.actor_id AND "
               "m.created_at > f.t0 AND m.created_at <= f.t0 + to_days(?)) AS k, "
               "(SELECT count(*) FROM orders o WHERE o.user_id = f.actor_id AND coalesce(o.user_platform, o.platform) "
               "= f.platform AND o.created_at > f.t0 AND o.created_at <= f.t0 + to_days(?)) AS o, "
               "(SELECT count(*) FROM interactions i WHERE i.is_inbound AND i.platform = f.platform AND i.actor_id = "
               "f.actor_id AND i.created_at < f.t0 AND i.created_at >= f.t0 - INTERVAL 28 DAY) AS b FROM f) "
               f"SELECT avg(x), var_samp(x), count(*), corr(x, b) FROM (SELECT {x} AS x, b::DOUBLE AS b FROM v)")
        short, long = (window_days, window_days) if window_days else (7, 30)
        mean, var, n, rho = ws.con.execute(sql, [days, short, long]).fetchone()
        rho2 = float(rho) ** 2 if rho is not None and not np.isnan(rho) else 0.0
        extra = {"cuped_variance_reduction": rho2}
        sql = None
    if sql is not None:
        mean, var, n = ws.con.execute(sql, [days]).fetchone()
    if not n or mean in (None, 0) or var in (None, 0):
        return {"units_per_arm": None, "baseline": mean, "variance": var, "history": n or 0} | extra
    units = X.units_per_arm(abs(mean) * mde, var, alpha=alpha, power=power)
    if "cuped_variance_reduction" in extra:
        extra["units_per_arm_cuped"] = X.units_per_arm(abs(mean) * mde, var * (1 - extra["cuped_variance_reduction"]),
                                                       alpha=alpha, power=power)  # fmt: skip
    return {"units_per_arm": units, "baseline": mean, "variance": var, "history": n} | extra
