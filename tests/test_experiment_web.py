"""Experiments on the web and in the report (issue #16.5): the learning log page (search, export, register), one
experiment's page (variants with intervals, looks, verdict in zh/en, start/stop/conclude by role), the API, and the
report's learning-log section — all over the demo's experiments."""

from __future__ import annotations

import json
import re

import pytest

from hudong.demo.experiments import TRIALS, plan


def _csrf(client) -> dict[str, str]:
    return {"x-csrf-token": re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)}


@pytest.fixture(scope="module")
def app(demo_workspaces, tmp_path_factory):
    from hudong.store.workspace import Workspace
    from hudong.web import auth
    from hudong.web.app import create_app

    d = demo_workspaces.copy(tmp_path_factory.mktemp("expweb") / "ws")
    ws = Workspace.open(d)
    auth.add_user(ws.con, "ana", "analyst", "pw-ana-123456")
    auth.add_user(ws.con, "rita", "responder", "pw-rita-123456")
    ws.close()
    a = create_app(d, warm=False)
    yield a
    a.state.web.ws.close()


def test_the_learning_log_page_lists_searches_and_exports(app):
    from conftest import signed_in

    rita = signed_in(app, "rita", "pw-rita-123456")
    page = rita.get("/experiments").text
    for trial in TRIALS:
        assert trial.name in page
    assert "question 胜出" in page and "可以停止:subtitles 优于对照组" in page  # verdicts in Chinese by default
    assert 'id="exp-new"' not in page  # a responder reads, does not run experiments
    en = rita.get("/experiments", params={"lang": "en"}).text
    assert "question wins" in en and "no detectable difference" in en
    hits = rita.get("/experiments", params={"q": "字幕"}).text
    assert TRIALS[2].name in hits and TRIALS[0].name not in hits
    exported = rita.get("/experiments/log.json")
    rows = json.loads(exported.text)
    assert exported.headers["content-disposition"].startswith("attachment") and len(rows) == len(TRIALS)
    assert {r["decided_by"] for r in rows if r["state"] == "concluded"} == {"市场部-王经理"}


def test_one_experiment_page_shows_the_analysis_and_the_looks(app):
    from conftest import signed_in

    ana = signed_in(app, "ana", "pw-ana-123456")
    log = ana.get("/api/experiments").json()
    by_name = {r["name"]: r for r in log["experiments"]}
    assert log["ran"] == 4 and log["concluded"] == 3 and log["running"] == 1
    seq = ana.get(f"/experiments/{by_name[TRIALS[2].name]['experiment_id']}").text
    assert 'id="exp-looks"' in seq and 'class="hit"' in seq and 'id="exp-decision"' in seq
    assert 'id="exp-actions"' not in seq  # concluded: read-only
    running = by_name[TRIALS[3].name]["experiment_id"]
    page = ana.get(f"/experiments/{running}").text
    assert "继续运行" in page and 'value="conclude"' in page
    got = ana.get(f"/api/experiments/{running}").json()
    assert got["analysis"]["verdict_key"] == "keep_running" and got["state"] == "running"


def test_the_api_runs_an_experiment_and_enforces_roles(app):
    from conftest import signed_in

    ana, rita = signed_in(app, "ana", "pw-ana-123456"), signed_in(app, "rita", "pw-rita-123456")
    body = {"name": "表情符号", "hypothesis": "带表情的帖子评论更多", "design": "posts", "primary_metric": "comments",
            "planned_n": 20}
    assert rita.post("/api/experiments", json=body, headers=_csrf(rita)).status_code == 403
    exp = ana.post("/api/experiments", json=body, headers=_csrf(ana)).json()
    eid = exp["experiment_id"]
    assert exp["state"] == "draft"
    power = ana.get("/api/experiments/power", params={"design": "posts", "metric": "comments", "mde": 0.2}).json()
    assert power["units_per_arm"] > 2 and power["history"] > 0
    assert ana.post(f"/api/experiments/{eid}/start", headers=_csrf(ana)).json()["state"] == "running"
    r = ana.post(f"/api/experiments/{eid}/assign", json={"units": ["weibo:a@Mon", "weibo:b@Mon"], "seed": 1},
                 headers=_csrf(ana))  # fmt: skip
    assert r.status_code == 200 and sorted(r.json()["assigned"]) == ["weibo:a", "weibo:b"]
    busy = plan(7, TRIALS[3])[0]["unit"]  # a post in the demo's running experiment
    clash = ana.post(f"/api/experiments/{eid}/assign", json={"units": [busy]}, headers=_csrf(ana))
    assert clash.status_code == 400 and "already in another open experiment" in clash.json()["error"]
    placed = ana.post(f"/api/experiments/{eid}/plan", json={"platform": "weibo", "seed": 2,
                      "slots": [f"2030-01-0{d} 20:00" for d in range(1, 5)],
                      "texts": {"control": "今天的龙井", "variant": "今天的龙井 🍵"}}, headers=_csrf(ana))  # fmt: skip
    assert placed.status_code == 200, placed.text
    assert sorted(i["arm"] for i in placed.json()["items"]) == ["control", "control", "variant", "variant"]
    page = ana.get(f"/experiments/{eid}").text
    assert 'id="exp-place"' in page and 'name="text:variant"' in page
    form = {"csrf": _csrf(ana)["x-csrf-token"], "platform": "weibo", "slots": "2030-02-01 20:00\n2030-02-02 20:00",
            "text:control": "龙井", "text:variant": "龙井 🍵"}
    r = ana.post(f"/experiments/{eid}/plan", data=form, follow_redirects=True)
    assert r.status_code == 200 and "已排进日历:2 条草稿" in r.text
    # the arms may differ in format and time instead: the shared text, each arm's format and time of day
    form = {"csrf": _csrf(ana)["x-csrf-token"], "platform": "weibo", "slots": "2030-03-01 09:00\n2030-03-02 09:00",
            "shared_text": "春茶上新", "content_type:control": "image", "content_type:variant": "video",
            "time:control": "12:00", "time:variant": "21:00"}
    r = ana.post(f"/experiments/{eid}/plan", data=form, follow_redirects=True)
    assert r.status_code == 200 and "已排进日历:2 条草稿" in r.text
    api = ana.post(f"/api/experiments/{eid}/plan", json={"platform": "weibo", "seed": 1, "text": "春茶上新",
                   "slots": ["2030-04-01 09:00", "2030-04-02 09:00"],
                   "variants": {"control": {"images": 1}, "variant": {"images": 9}}}, headers=_csrf(ana))  # fmt: skip
    assert api.status_code == 200, api.text
    alike = ana.post(f"/api/experiments/{eid}/plan", json={"platform": "weibo", "text": "x", "slots": [
        "2030-05-01 09:00", "2030-05-02 09:00"], "variants": {"control": {"images": 1}, "variant": {"images": 1}}},
        headers=_csrf(ana))  # fmt: skip
    assert alike.status_code == 400 and "alike" in alike.json()["error"]
    no = ana.post(f"/api/experiments/{eid}/conclude", json={"decision": ""}, headers=_csrf(ana))
    assert no.status_code == 422
    done = ana.post(f"/api/experiments/{eid}/conclude", json={"decision": "不采用"}, headers=_csrf(ana)).json()
    assert done["state"] == "concluded" and done["result"]["experiment_id"] == eid
    assert ana.post(f"/api/experiments/{eid}/rewind", headers=_csrf(ana)).status_code == 400
    assert ana.get("/api/experiments/x_nothere").status_code == 404


def test_the_report_has_the_learning_log(demo_workspaces, tmp_path):
    import hudong
    from hudong.report.content import learning_block

    ws = hudong.open(demo_workspaces.copy(tmp_path / "ws"))
    try:
        zh, en = learning_block(ws, "zh"), learning_block(ws, "en")
    finally:
        ws.close()
    assert len(zh["rows"]) == len(TRIALS) and "共运行 4 个实验" in zh["summary"]
    win = next(r for r in en["rows"] if r["name"] == TRIALS[0].name)
    assert win["verdict"].startswith("question wins") and re.match(r"question \+\d+\.\d% \[\+\d+%, \+\d+%\]", win["effect"])
    assert win["decision"] == TRIALS[0].decision + " (follows the result)" and win["days"] == "2"
    assert "3/3 与实验结果一致" in zh["summary"]


def test_the_inbox_shows_the_template_of_a_running_tone_experiment(app):
    from conftest import signed_in

    ana = signed_in(app, "ana", "pw-ana-123456")
    body = {"name": "回复语气", "hypothesis": "道歉让人回来", "design": "replies", "primary_metric": "replied_again",
            "arms": ["thanks", "complaint"], "planned_n": 100}
    eid = ana.post("/api/experiments", json=body, headers=_csrf(ana)).json()["experiment_id"]
    item = ana.get("/api/inbox", params={"limit": 1}).json()["items"][0]["id"]
    before = ana.get("/inbox", params={"open": item}).text
    assert 'id="experiment-treatment"' not in before  # a draft experiment changes nothing
    assert ana.post(f"/api/experiments/{eid}/start", headers=_csrf(ana)).status_code == 200
    page = ana.get("/inbox", params={"open": item}).text
    note = page[page.index('id="experiment-treatment"'):][:300]
    assert "回复语气" in note and ("「thanks」" in note or "「complaint」" in note)
    arm = "thanks" if "「thanks」" in note else "complaint"
    assert re.search(rf'<option value="{arm}" data-body="[^"]*" selected>', page)
    assert ana.post(f"/api/experiments/{eid}/stop", headers=_csrf(ana)).status_code == 200


def test_the_register_form_takes_design_arms_guardrails_and_size(app):
    """#16.4 from the web: a switchback (chosen by its metric's design), three arms, a guardrail of the replies
    design and a planned size; a guardrail of another design is ignored, a blank size is suggested from history."""
    import re

    from conftest import signed_in
    from hudong.plan import experiments as E

    ana = signed_in(app, "ana", "pw-ana-123456")
    page = ana.get("/experiments", params={"lang": "en"}).text
    assert 'value="switchback:messages"' in page and 'name="guardrail" value="replies:unfollowed"' in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    made = ana.post("/experiments/new", data={
        "csrf": token, "name": "auto-reply", "hypothesis": "夜间自动回复让更多人留言", "metric": "switchback:messages",
        "arms": "off, short, long", "guardrail": ["switchback:engagements", "replies:unfollowed"], "mde": "0.2",
        "planned_n": "14", "stop_rule": "fixed"}, follow_redirects=False)  # fmt: skip
    assert made.status_code == 303, made.text
    eid = made.headers["location"].rsplit("/", 1)[1]
    with app.state.web.db() as ws:
        exp = E.get(ws, eid)
    assert exp["design"] == "switchback" and exp["arms"] == ["off", "short", "long"]
    assert exp["guardrails"] == ["engagements"] and exp["planned_n"] == 14 and exp["mde"] == 0.2
    suggested = ana.post("/experiments/new", data={
        "csrf": token, "name": "title", "hypothesis": "问句标题", "metric": "posts:engagement_rate", "planned_n": ""},
        follow_redirects=False)  # fmt: skip
    with app.state.web.db() as ws:
        exp = E.get(ws, suggested.headers["location"].rsplit("/", 1)[1])
    assert exp["design"] == "posts" and exp["planned_n"] > 2  # from the demo's own posts


def test_the_kept_analysis_follows_every_change_within_the_minute(app):
    """The web keeps an experiment's analysis and the learning log for the minute (WebState.experiments_cached);
    units assigned, a stop and a conclusion must show at once, not a minute later."""
    from conftest import signed_in

    ana = signed_in(app, "ana", "pw-ana-123456")
    body = {"name": "缓存", "hypothesis": "新分配立刻可见", "design": "posts", "primary_metric": "comments",
            "planned_n": 20}
    eid = ana.post("/api/experiments", json=body, headers=_csrf(ana)).json()["experiment_id"]
    ana.post(f"/api/experiments/{eid}/start", headers=_csrf(ana))
    before = ana.get(f"/api/experiments/{eid}").json()["analysis"]
    assert sum(before["assigned"].values()) == 0
    assert ana.get(f"/api/experiments/{eid}").json()["analysis"] == before  # read twice: the kept one
    ana.post(f"/api/experiments/{eid}/assign", json={"units": ["weibo:c1", "weibo:c2", "weibo:c3"], "seed": 3},
             headers=_csrf(ana))  # fmt: skip
    assert sum(ana.get(f"/api/experiments/{eid}").json()["analysis"]["assigned"].values()) == 3
    row = next(r for r in ana.get("/api/experiments").json()["experiments"] if r["experiment_id"] == eid)
    assert row["state"] == "running" and row["units"] == 3
    ana.post(f"/api/experiments/{eid}/stop", headers=_csrf(ana))
    r = ana.post(f"/api/experiments/{eid}/conclude", json={"decision": "样本太少,不下结论"}, headers=_csrf(ana))
    assert r.status_code == 200, r.text
    row = next(r for r in ana.get("/api/experiments").json()["experiments"] if r["experiment_id"] == eid)
    assert row["state"] == "concluded" and row["decision"] == "样本太少,不下结论"
