"""The demo's calendar and experiments (issue #16.6): four experiments generated with known true effects — hudong's
own analysis recovers them (a clear win, a null, one stopped early by the sequential rule, one still running) — and
a calendar whose published items are tied to the posts they became."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import hudong
from hudong.demo import calendar, experiments
from hudong.demo.tables import accounts_table
from hudong.metrics import testing as T
from hudong.plan import clock, publishing
from hudong.plan import experiments as E


@pytest.fixture(scope="module")
def demo(demo_workspaces, tmp_path_factory):
    ws = hudong.open(demo_workspaces.copy(tmp_path_factory.mktemp("plan") / "ws"))
    yield ws
    ws.close()


def _by_name(ws) -> dict[str, dict]:
    return {e["name"]: e for e in E.learning_log(ws)}


def _within(c: dict, truth: float, z: float) -> bool:
    se = (c["ci"][1] - c["ci"][0]) / (2 * 1.959964)
    return abs(c["effect"] - truth) <= z * se


def test_the_demo_experiments_recover_their_true_effects(demo):
    log = _by_name(demo)
    seen = {}
    for trial in experiments.TRIALS:
        entry = log[trial.name]
        res = E.analyze(demo, entry["experiment_id"])
        c = res["variants"][trial.arms[1]]
        assert _within(c, trial.effect, 2.576), (trial.key, c)  # the truth inside the 99 % interval
        assert res["srm"] is False
        seen[trial.key] = (entry, res, c)
    entry, res, c = seen["question"]
    assert entry["state"] == "concluded" and res["verdict"].startswith("question wins") and c["ci"][0] > 0
    assert entry["decision"] and entry["decided_by"] == experiments.MANAGER and entry["days_to_decision"] == 2
    entry, res, c = seen["evening"]
    assert res["verdict"].startswith("no detectable difference") and c["ci"][0] <= 0 <= c["ci"][1]
    entry, res, c = seen["subtitles"]
    assert res["verdict"].startswith("stop: subtitles is better")
    stopped = E.get(demo, entry["experiment_id"])
    assert sum(stopped["units"].values()) < 2 * stopped["planned_n"]  # early: before the planned size
    assert stopped["ended_at"] < dt.datetime.fromisoformat(experiments.TRIALS[2].start) + dt.timedelta(days=50)
    entry, res, c = seen["numbers"]
    assert entry["state"] == "running" and res["verdict"].startswith("keep running")


def test_the_demo_scorecard_reads_the_learning_log(demo):
    card = demo.scorecard()
    keys = [e.key for e in card.dimension("data_driven").evidence]
    assert "experiment_practice" in keys and "self.data_experiments" not in keys


def test_the_demo_calendar_ties_published_items_to_their_posts(demo):
    rows = demo.con.execute("SELECT i.state, i.url, i.post_id, p.url FROM plan_items i LEFT JOIN posts p "
                            "ON p.platform = i.platform AND p.post_id = i.post_id").fetchall()  # fmt: skip
    published = [r for r in rows if r[0] == "published"]
    assert published and all(r[2] is not None and r[1] == r[3] for r in published)
    states = {r[0] for r in rows}
    assert {"missed", "failed", "scheduled", "approved", "in_review", "draft", "idea"} <= states
    item = demo.con.execute("SELECT item_id FROM plan_items WHERE state = 'published' LIMIT 1").fetchone()[0]
    got = publishing.results(demo, item)
    assert got["synced"] and got["impressions"] is not None
    ahead = demo.con.execute("SELECT min(scheduled_at) FROM plan_items WHERE state = 'scheduled'").fetchone()[0]
    assert ahead.date() > dt.date.today() - dt.timedelta(days=1)  # the weeks ahead start from the build day
    assert demo.con.execute("SELECT count(*) FROM plan_items WHERE recurrence = 'weekly'").fetchone()[0] == 1
    failed = demo.con.execute("SELECT e.note FROM plan_events e JOIN plan_items i USING (item_id) "
                              "WHERE i.state = 'failed' AND e.action = 'failed'").fetchone()[0]  # fmt: skip
    assert "20019" in failed


def test_calendar_ahead_plans_the_next_shopping_day(tmp_path):
    ws = T.workspace(tmp_path / "ws")
    with clock.at(dt.datetime(2026, 12, 6, 8, 0)):  # "ahead" of that day whatever the date the test runs on
        calendar.ahead(ws, dt.date(2026, 12, 6))
    titles = [r[0] for r in ws.con.execute("SELECT title FROM plan_items WHERE title IS NOT NULL").fetchall()]
    assert "双12囤茶攻略" in titles


def test_the_intervals_cover_the_true_effects_across_seeds(tmp_path):
    """Coverage: over 12 demo seeds × 4 experiments, the 95 % intervals hold the true effect about 95 % of the
    time; fewer than 40 of 48 would happen with probability < 0.002 if they were right."""
    covered, total = 0, 0
    for seed in range(12):
        ws = T.workspace(tmp_path / f"ws{seed}")
        T.fill(ws, accounts=accounts_table().to_pylist(), posts=experiments.posts(seed).drop_columns(["topics"]).to_pylist())
        for exp in experiments.register(ws, seed):
            trial = next(t for t in experiments.TRIALS if t.name == exp["name"])
            c = E.analyze(ws, exp["experiment_id"])["variants"][trial.arms[1]]
            covered += int(c["ci"][0] <= trial.effect <= c["ci"][1])
            total += 1
        ws.close()
    assert total == 48 and covered >= 40, covered
    assert np.isclose(covered / total, 0.95, atol=0.12)


def test_a_published_items_page_shows_its_results_and_log(demo_workspaces, tmp_path):
    from conftest import signed_in
    from hudong.store.workspace import Workspace
    from hudong.web import auth
    from hudong.web.app import create_app

    d = demo_workspaces.copy(tmp_path / "ws")
    ws = Workspace.open(d)
    auth.add_user(ws.con, "vic", "viewer", "pw-vic-123456")
    item, likes = ws.con.execute("SELECT i.item_id, p.likes FROM plan_items i JOIN posts p ON p.platform = i.platform "
                                 "AND p.post_id = i.post_id WHERE i.state = 'published' LIMIT 1").fetchone()  # fmt: skip
    idea = ws.con.execute("SELECT item_id FROM plan_items WHERE state = 'idea' LIMIT 1").fetchone()[0]
    ws.close()
    app = create_app(d, warm=False)
    try:
        vic = signed_in(app, "vic", "pw-vic-123456")
        page = vic.get(f"/plan/{item}", params={"lang": "en"}).text
        results = page[page.index('id="item-results"'):page.index('id="item-log"')]
        assert "Likes" in results and f">{likes:,}<" in results and "Engagement rate" in results
        assert "reconcile" in page and "Open the post" in page
        idea_page = vic.get(f"/plan/{idea}", params={"lang": "en"}).text
        assert "Not published yet" in idea_page
        # the demo's platforms have no publishing connector: the page says it goes out by hand
        assert 'id="item-route">no connector publishes on this platform' in idea_page
        assert 'id="item-route"' not in page  # published: nothing left to route
        assert vic.get("/plan/p_000000000000").status_code == 404
    finally:
        app.state.web.ws.close()
