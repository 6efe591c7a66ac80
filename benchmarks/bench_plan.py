"""The calendar and the experiments under load (issue #16.8: the calendar page with 5,000 items and the analysis of
an experiment over 100k conversations answer within the web target, p95 < 200 ms warm).

    .venv/bin/python benchmarks/bench_plan.py [--items 5000] [--people 100000] [--requests 30]

Builds a workspace with ``--items`` plan items over a year (every state, some weekly slots) and a replies experiment
over ``--people`` people who wrote in (each assigned, with messages before and after and some orders), then signs in
to the web app in process (FastAPI's TestClient: no network in the figures) and times, per page or call:

- the calendar: the month and week views of the busiest month, ``/api/plan`` for that month;
- the experiment: its page and ``/api/experiments/{id}`` (the analysis: CUPED over the pre-period, guardrails), and
  the learning log.

"cold" is the first request after start (nothing cached), "warm" the following ``--requests`` (the web keeps an
experiment's analysis for the minute: ``WebState.experiments_cached``); the analysis itself, uncached — what the
first read of each minute computes — is timed last. The reference is
the web target (200 ms p95); no peer runs these pages here (Postiz, GrowthBook are not installable offline), so the
experiment's statistics are also timed against GrowthBook's gbstats on the same moments where it is installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from fastapi.testclient import TestClient

from hudong.metrics import testing as T
from hudong.plan import experiments as E
from hudong.store import schema as S
from hudong.store.workspace import Workspace, transaction
from hudong.web import auth
from hudong.web.app import create_app

T0 = dt.datetime(2026, 3, 1, 9, 0)
STATES = ("idea", "draft", "in_review", "approved", "scheduled", "published", "missed", "failed")


def plan_items(ws: Workspace, n: int, rng: random.Random) -> str:
    """``n`` items spread over 2026 with a busy March; returns the busiest month (YYYY-MM-01)."""
    cols = [c.name for c in S.PLAN_ITEMS.columns]
    rows = []
    for k in range(n):
        day = T0 + dt.timedelta(days=rng.choice([rng.randint(-59, 300), rng.randint(0, 30)]), hours=rng.randint(0, 12))
        row = dict.fromkeys(cols) | {
            "item_id": f"p_{k:012d}", "platform": rng.choice(["weibo", "xiaohongshu", "douyin", "bluesky"]),
            "title": f"计划 {k}", "text": f"第{k}条:冲泡小课堂,今天讲水温。#山茶社#", "images": rng.randint(0, 4),
            "state": rng.choice(STATES), "owner": rng.choice(["lin", "mei", "bo"]), "scheduled_at": day,
            "recurrence": "weekly" if k % 500 == 0 else None, "created_by": "lin", "created_at": T0,
            "updated_at": T0}  # fmt: skip
        rows.append(row)
    with transaction(ws.con):
        ws.con.register("items_in", pa.Table.from_pylist(rows))
        ws.con.execute(f"INSERT INTO plan_items SELECT {', '.join(cols)} FROM items_in")
        ws.con.unregister("items_in")
    return "2026-03-01"


def conversations(ws: Workspace, people: int, rng: np.random.Generator) -> str:
    """A running replies experiment over ``people`` people; returns its id."""
    habit = rng.poisson(1.0, people)
    arm = rng.integers(0, 2, people)
    first = T0 + (rng.integers(0, 40 * 24, people)).astype("timedelta64[h]").astype(dt.timedelta)
    ids, actors, times = [], [], []
    for k in range(people):
        t = first[k]
        n_before, n_after = habit[k], rng.poisson(0.4 + 0.5 * habit[k] + 0.1 * arm[k])
        for j in range(n_before):
            ids.append(f"b{k}_{j}"), actors.append(f"u{k}"), times.append(t - dt.timedelta(days=1 + j))
        ids.append(f"f{k}"), actors.append(f"u{k}"), times.append(t)
        for j in range(n_after):
            ids.append(f"a{k}_{j}"), actors.append(f"u{k}"), times.append(t + dt.timedelta(hours=2 + 20 * j))
    inter = T.arrow_rows("interactions", [
        {"platform": "weibo", "interaction_id": i, "type": "dm", "actor_id": a, "is_inbound": True, "created_at": c}
        for i, a, c in zip(ids, actors, times, strict=True)])  # fmt: skip
    buyers = np.flatnonzero(rng.random(people) < 0.05)
    orders = T.arrow_rows("orders", [
        {"order_id": f"o{k}", "platform": "weibo", "user_id": f"u{k}", "user_platform": "weibo",
         "created_at": first[k] + dt.timedelta(days=3), "amount": 99.0} for k in buyers])  # fmt: skip
    T.fill(ws, interactions=inter, orders=orders)
    exp = E.create(ws, name="语气", hypothesis="亲切的回复让人更愿意再来", design="replies",
                   primary_metric="replied_again", guardrails=["ordered"], by="ana", planned_n=people // 2)
    E.start(ws, exp["experiment_id"], "ana")
    with transaction(ws.con):
        ws.con.register("units_in", pa.table({
            "experiment_id": [exp["experiment_id"]] * people, "unit_id": [f"weibo:u{k}" for k in range(people)],
            "arm": np.where(arm == 1, "variant", "control").tolist(), "block": [None] * people,
            "assigned_at": list(first)}))  # fmt: skip
        ws.con.execute("INSERT INTO experiment_units SELECT * FROM units_in")
        ws.con.unregister("units_in")
    return exp["experiment_id"]


def timed(client: TestClient, url: str, requests: int) -> tuple[float, float, float]:
    t = time.perf_counter()
    r = client.get(url)
    cold = time.perf_counter() - t
    if r.status_code != 200:
        raise SystemExit(f"{url}: HTTP {r.status_code} {r.text[:300]}")
    warm = []
    for _ in range(requests):
        t = time.perf_counter()
        client.get(url)
        warm.append(time.perf_counter() - t)
    return cold * 1000, float(np.percentile(warm, 50)) * 1000, float(np.percentile(warm, 95)) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="bench-plan-")) / "ws"
    t = time.perf_counter()
    ws = T.workspace(d)
    month = plan_items(ws, args.items, random.Random(4))
    eid = conversations(ws, args.people, np.random.default_rng(5))
    auth.add_user(ws.con, "bench", "analyst", "bench-password-2026")
    units = ws.con.execute("SELECT count(*) FROM experiment_units").fetchone()[0]
    msgs = ws.con.execute("SELECT count(*) FROM interactions").fetchone()[0]
    ws.close()
    print(f"workspace: {args.items:,} plan items, {units:,} people in one experiment, {msgs:,} messages "
          f"(built in {time.perf_counter() - t:.0f} s)")
    app = create_app(d, warm=False)
    with TestClient(app, base_url="http://testserver") as c:  # runs the app's start-up, as `hudong serve` does
        tok = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"username": "bench", "password": "bench-password-2026", "csrf": tok})
        print(f"{'request':<58} {'cold ms':>9} {'warm p50':>9} {'warm p95':>9}   target p95 200 ms")
        for label, url in (("calendar, month view (busiest month)", f"/plan?view=month&date={month}"),
                           ("calendar, week view", f"/plan?date={month[:8]}10"),
                           ("API: the month's plan", f"/api/plan?start={month}&end={month[:8]}31"),
                           (f"experiment page ({args.people:,} conversations)", f"/experiments/{eid}"),
                           ("API: the experiment's analysis", f"/api/experiments/{eid}"),
                           ("learning log", "/experiments")):  # fmt: skip
            cold, p50, p95 = timed(c, url, args.requests)
            ok = "ok" if p95 < 200 else "SLOWER than the target"
            print(f"{label:<58} {cold:9.0f} {p50:9.1f} {p95:9.1f}   {ok}")
    ws = Workspace.open(d)  # the analysis itself, as the first read of a minute computes it (nothing cached)
    try:
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            E.analyze(ws, eid)
            times.append(time.perf_counter() - t)
    finally:
        ws.close()
    print(f"{'the experiment analysis itself, uncached':<58} {'':>9} {np.percentile(times, 50) * 1000:9.1f} "
          f"{np.percentile(times, 95) * 1000:9.1f}   {'ok' if np.percentile(times, 95) < 0.2 else 'SLOWER'}")
    try:
        from gbstats.frequentist.tests import FrequentistConfig, TwoSidedTTest  # noqa: F401
    except ImportError:
        print("peer: gbstats not installed (pip install --no-deps gbstats==0.8.0)", file=sys.stderr)
    else:
        print("peer: the statistics alone against gbstats on the same moments: benchmarks/bench_experiments.py")


if __name__ == "__main__":
    main()
