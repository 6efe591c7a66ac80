"""The content calendar (issue #16.1): festivals computed for any year, the platforms' rules counted their way, plan
items through their states with approval by role, recurring slots, the CLI and the API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner

from hudong.cli import cli
from hudong.metrics import testing as T
from hudong.plan import festivals, items, rules
from hudong.plan.items import PlanError
from hudong.platforms import platform


# ---- festivals ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("year,key,date", [
    (2025, "spring_festival", "2025-01-29"), (2026, "spring_festival", "2026-02-17"), (2027, "spring_festival", "2027-02-06"),
    (2026, "new_years_eve", "2026-02-16"), (2025, "lantern", "2025-02-12"), (2025, "qingming", "2025-04-04"),
    (2026, "qingming", "2026-04-05"), (2025, "dragon_boat", "2025-05-31"), (2026, "dragon_boat", "2026-06-19"),
    (2025, "qixi", "2025-08-29"), (2025, "mid_autumn", "2025-10-06"), (2026, "mid_autumn", "2026-09-25"),
    (2030, "mid_autumn", "2030-09-12"), (2026, "mothers_day", "2026-05-10"), (2026, "fathers_day", "2026-06-21"),
    (2031, "double_11", "2031-11-11"), (2026, "618", "2026-06-18"),
    # from the published calendars of those years (not computed here)
    (2024, "qixi", "2024-08-10"), (2026, "qixi", "2026-08-19"), (2027, "qixi", "2027-08-08"),
    (2028, "qixi", "2028-08-26"), (2024, "mid_autumn", "2024-09-17"), (2028, "mid_autumn", "2028-10-03"),
    (2027, "national_day", "2027-10-01"), (2029, "double_12", "2029-12-12"), (2024, "lantern", "2024-02-24"),
    (2028, "spring_festival", "2028-01-26"), (2027, "dragon_boat", "2027-06-09"),
])  # fmt: skip
def test_festivals_fall_on_their_dates_in_any_year(year, key, date):
    assert {d.key: d.date for d in festivals.of_year(year)}[key] == dt.date.fromisoformat(date)


def test_between_spans_years_in_order():
    days = festivals.between(dt.date(2026, 12, 1), dt.date(2027, 2, 28))
    assert [d.key for d in days] == ["double_12", "christmas", "new_year", "new_years_eve", "spring_festival",
                                     "valentines", "lantern"]  # fmt: skip
    assert days[4].name("zh") == "春节" and days[4].name("en") == "Spring Festival"


# ---- rules --------------------------------------------------------------------------------------------------------
def test_lengths_are_counted_the_platforms_way():
    assert rules.length("abcdef中文", platform("weibo")) == 5  # six half-width = 3, two full-width = 2
    assert rules.length("abc", platform("weibo")) == 2  # 1.5 rounds up
    assert rules.length("中文 https://example.com/a/very/long/path?q=1", platform("twitter")) == 4 + 1 + 23
    assert rules.length("👍🏽 ok", platform("twitter")) == 2 + 3
    assert rules.length("👨‍👩‍👧‍👦 e\u0301", platform("bluesky")) == 3  # a family, a space, é as two code points
    assert rules.length("@fan@mastodon.social hi https://x.org", platform("mastodon")) == len("@fan hi ") + 23
    assert rules.length("👨‍👩‍👧‍👦", platform("wechat")) == 7  # code points


def test_check_names_every_problem_in_both_languages():
    probs = rules.check("xiaohongshu", "好茶", title="春" * 21, images=19)
    assert [p.code for p in probs] == ["title_too_long", "too_many_images"]
    assert "20" in probs[0].zh and "20" in probs[0].en
    assert [p.code for p in rules.check("bluesky", "x" * 301)] == ["too_long"]
    assert rules.check("bluesky", "x" * 300) == []
    assert [p.code for p in rules.check("weibo", "上新 #春茶 #山茶社#")] == ["hashtag_form"]
    assert rules.check("weibo", "上新 #春茶# #山茶社#") == []
    assert [p.code for p in rules.check("mastodon", "new #tea#")] == ["hashtag_form"]
    assert [p.code for p in rules.check("weibo", " ")] == ["empty"]


# ---- items --------------------------------------------------------------------------------------------------------
@pytest.fixture
def ws(tmp_path):
    w = T.workspace(tmp_path / "ws")
    yield w
    w.close()


def test_an_item_goes_from_idea_to_published_with_approval_by_role(ws):
    later = (dt.datetime.now() + dt.timedelta(days=3)).replace(microsecond=0, second=0)
    it = items.create(ws, platform="weibo", by="rita", text="春茶上新 #春茶", scheduled_at=later, owner="rita",
                      topics="春茶, 新品")
    iid = it["item_id"]
    assert it["state"] == "idea" and it["topics"] == ["春茶", "新品"] and it["problems"][0]["code"] == "hashtag_form"
    with pytest.raises(PlanError, match="Weibo topics are written #topic#") as refused:
        items.act(ws, iid, "submit", "rita")
    assert refused.value.problems[0].code == "hashtag_form"
    items.edit(ws, iid, "rita", text="春茶上新 #春茶#")
    assert items.act(ws, iid, "submit", "rita")["state"] == "in_review"
    with pytest.raises(PlanError, match="role 'responder' may not approve"):
        items.act(ws, iid, "approve", "rita", role="responder")
    with pytest.raises(PlanError, match="say why"):
        items.act(ws, iid, "reject", "ana", role="analyst")
    assert items.act(ws, iid, "approve", "ana", role="analyst")["state"] == "approved"
    assert items.act(ws, iid, "schedule", "rita")["state"] == "scheduled"
    back = items.edit(ws, iid, "rita", text="春茶上新，限量 #春茶#")  # what was approved is what goes out
    assert back["state"] == "draft" and "needs approval again" in back["events"][-1]["note"]
    items.act(ws, iid, "submit", "rita")
    items.act(ws, iid, "approve", "ana", role="analyst")
    with pytest.raises(PlanError, match="give the published post's link"):
        items.act(ws, iid, "published", "rita")
    done = items.act(ws, iid, "published", "rita", url="https://weibo.com/1/abc")
    assert done["state"] == "published" and done["url"] == "https://weibo.com/1/abc" and done["published_at"]
    with pytest.raises(PlanError, match="cannot be edited"):
        items.edit(ws, iid, "rita", text="x")
    trail = [(e["action"], e["from_state"], e["to_state"], e["by"]) for e in items.get(ws, iid)["events"]]
    assert trail[:4] == [("create", None, "idea", "rita"), ("edit", "idea", "idea", "rita"),
                         ("submit", "idea", "in_review", "rita"), ("approve", "in_review", "approved", "ana")]
    assert trail[-1] == ("published", "approved", "published", "rita")


def test_self_approval_scheduling_in_the_past_and_moves(ws):
    it = items.create(ws, platform="bluesky", by="ana", text="hello", state="draft")
    items.act(ws, it["item_id"], "submit", "ana")
    with pytest.raises(PlanError, match="only as an admin"):
        items.act(ws, it["item_id"], "approve", "ana", role="analyst")
    items.act(ws, it["item_id"], "approve", "ana", role="admin")
    with pytest.raises(PlanError, match="time still ahead"):
        items.act(ws, it["item_id"], "schedule", "ana", at="2020-01-01 10:00")
    ahead = dt.datetime.now() + dt.timedelta(days=1)
    items.act(ws, it["item_id"], "schedule", "ana", at=ahead.isoformat())
    with pytest.raises(PlanError, match="still ahead"):
        items.move(ws, it["item_id"], "ana", "2020-01-01 10:00")
    moved = items.move(ws, it["item_id"], "ana", (ahead + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M"))
    assert moved["events"][-1]["action"] == "move" and moved["state"] == "scheduled"
    with pytest.raises(PlanError, match="cannot read"):
        items.move(ws, it["item_id"], "ana", "next tuesday")
    with pytest.raises(PlanError, match="unknown platform"):
        items.create(ws, platform="myspace", by="ana")


def test_recurring_slots_repeat_and_missed_items_are_marked(ws):
    slot = items.create(ws, platform="weibo", by="ana", text="每周三茶知识", scheduled_at="2026-12-02 12:00",
                        recurrence="weekly")
    monthly = items.create(ws, platform="wechat", by="ana", title="月报", scheduled_at="2026-01-31 09:00",
                           recurrence="monthly")
    rows = items.listing(ws, "2026-12-01", "2026-12-31")
    weekly = [r["scheduled_at"].day for r in rows if r["item_id"] == slot["item_id"]]
    assert weekly == [2, 9, 16, 23, 30] and all(r.get("occurrence_of") == slot["item_id"] for r in rows
                                                if r["item_id"] == slot["item_id"] and r["scheduled_at"].day > 2)
    months = [r["scheduled_at"] for r in items.listing(ws, "2026-01-01", "2026-06-30") if r["item_id"] == monthly["item_id"]]
    assert [m.month for m in months] == [1, 3, 5]  # no 31st in February, April, June
    late = items.create(ws, platform="bluesky", by="ana", text="x", state="draft")
    items.act(ws, late["item_id"], "submit", "ana")
    items.act(ws, late["item_id"], "approve", "ana", role="admin")
    items.act(ws, late["item_id"], "schedule", "ana", at=(dt.datetime.now() + dt.timedelta(minutes=5)).isoformat())
    assert items.mark_missed(ws, dt.datetime.now() + dt.timedelta(hours=2)) == [late["item_id"]]
    assert items.get(ws, late["item_id"])["state"] == "missed"
    assert '"state": "missed"' in items.export(ws)


def test_cli_plans_lists_with_festivals_and_moves_on(tmp_path):
    d = tmp_path / "ws"
    T.workspace(d).close()
    r = CliRunner()
    out = r.invoke(cli, ["-w", str(d), "plan", "add", "--platform", "xiaohongshu", "--title", "春" * 21, "--text",
                         "好茶", "--at", "2027-02-05 20:00", "--images", "3"])
    assert out.exit_code == 0, out.output
    assert "标题 21 字" in out.output and "allows 20" in out.output
    iid = re.search(r"p_[0-9a-f]{12}", out.output).group(0)
    listing = r.invoke(cli, ["-w", str(d), "plan", "list", "--from", "2027-02-01", "--to", "2027-02-10"])
    assert "★ 除夕" in listing.output and "★ 春节" in listing.output and iid in listing.output
    assert listing.output.index("除夕") < listing.output.index(iid) < listing.output.index("春节")
    refused = r.invoke(cli, ["-w", str(d), "plan", "do", iid, "submit"])
    assert refused.exit_code != 0 and "title has 21" in str(refused.exception)
    assert r.invoke(cli, ["-w", str(d), "plan", "edit", iid, "--title", "春茶"]).exit_code == 0
    assert "in_review" in r.invoke(cli, ["-w", str(d), "plan", "do", iid, "submit"]).output
    shown = r.invoke(cli, ["-w", str(d), "plan", "show", iid]).output
    assert "submit" in shown and "edit" in shown
    assert "2027-02-06  春节" in r.invoke(cli, ["plan", "festivals", "--year", "2027"]).output


def test_api_plans_checks_and_enforces_roles(tmp_path):
    from conftest import signed_in
    from hudong.store.workspace import Workspace
    from hudong.web import auth
    from hudong.web.app import create_app

    d = tmp_path / "ws"
    T.workspace(d).close()
    ws = Workspace.open(d)
    for name, role in (("rita", "responder"), ("ana", "analyst"), ("vic", "viewer")):
        auth.add_user(ws.con, name, role, f"pw-{name}-123456")
    ws.close()
    app = create_app(d, warm=False)
    try:
        rita, ana, vic = (signed_in(app, n, f"pw-{n}-123456") for n in ("rita", "ana", "vic"))
        r = rita.post("/api/plan", json={"platform": "bluesky", "text": "x" * 301, "at": "2030-01-01 10:00",
                                         "draft": True}, headers=_csrf(rita))
        assert r.status_code == 200, r.text
        it = r.json()
        assert it["problems"][0]["code"] == "too_long" and it["state"] == "draft"
        assert rita.post(f"/api/plan/{it['item_id']}/submit", json={}, headers=_csrf(rita)).status_code == 400
        assert rita.patch(f"/api/plan/{it['item_id']}", json={"text": "hello"}, headers=_csrf(rita)).status_code == 200
        assert rita.post(f"/api/plan/{it['item_id']}/submit", json={}, headers=_csrf(rita)).json()["state"] == "in_review"
        denied = rita.post(f"/api/plan/{it['item_id']}/approve", json={}, headers=_csrf(rita))
        assert denied.status_code == 400 and "may not approve" in denied.json()["error"]
        assert ana.post(f"/api/plan/{it['item_id']}/approve", json={}, headers=_csrf(ana)).json()["state"] == "approved"
        assert vic.post("/api/plan", json={"platform": "weibo"}, headers=_csrf(vic)).status_code == 403
        listed = vic.get("/api/plan", params={"start": "2029-12-01", "end": "2030-01-31"}).json()
        assert [i["item_id"] for i in listed["items"]] == [it["item_id"]]
        assert {f["key"] for f in listed["festivals"]} >= {"christmas", "new_year"}
        check = vic.get("/api/plan/rules", params={"platform": "weibo", "text": "abc中"}).json()
        assert check["length"] == 3 and check["problems"] == []
        assert vic.get("/api/plan/p_000000000000").status_code == 404
        assert vic.get("/api/plan", params={"start": "2026-01-01", "end": "2030-01-01"}).status_code == 400
    finally:
        app.state.web.ws.close()


def _csrf(client) -> dict[str, str]:
    return {"x-csrf-token": re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)}


def test_the_calendar_page_lays_out_weeks_and_months_with_festivals(tmp_path):
    from conftest import signed_in
    from hudong.store.workspace import Workspace
    from hudong.web import auth
    from hudong.web.app import create_app

    d = tmp_path / "ws"
    T.workspace(d).close()
    ws = Workspace.open(d)
    auth.add_user(ws.con, "rita", "responder", "pw-rita-123456")
    auth.add_user(ws.con, "vic", "viewer", "pw-vic-123456")
    items.create(ws, platform="weibo", by="bo", text="圣诞礼盒 #山茶社#", scheduled_at="2030-12-24 19:00", state="draft")
    items.create(ws, platform="wechat", by="bo", title="每周茶话", scheduled_at="2030-12-02 08:00", recurrence="weekly")
    ws.close()
    app = create_app(d, warm=False)
    try:
        rita = signed_in(app, "rita", "pw-rita-123456")
        week = rita.get("/plan", params={"date": "2030-12-24"}).text
        cells = re.findall(r'<td class="day[^"]*" data-date="([\d-]+)"', week)
        assert cells == [f"2030-12-{d}" for d in range(23, 30)]  # Monday to Sunday
        assert "圣诞礼盒" in week and "★ 圣诞节" in week and 'class="small secondary do-submit"' in week
        assert "do-approve" not in week  # a responder does not approve
        month = rita.get("/plan", params={"view": "month", "date": "2030-12-01", "lang": "en"}).text
        assert len(re.findall(r'data-date="2030-12-\d\d"', month)) == 31 and "Double 12" in month
        assert month.count("每周茶话") == 5  # the weekly slot on each Monday of December 2030
        viewer = signed_in(app, "vic", "pw-vic-123456").get("/plan", params={"date": "2030-12-24"}).text
        assert 'id="plan-add"' not in viewer and 'draggable="true"' not in viewer
        assert rita.get("/plan", params={"date": "24/12/2030"}).status_code == 400
    finally:
        app.state.web.ws.close()


def test_a_busy_day_in_the_month_view_shows_eight_and_links_to_its_week(tmp_path):
    from conftest import signed_in
    from hudong.store.workspace import Workspace
    from hudong.web import auth
    from hudong.web.app import create_app

    d = tmp_path / "ws"
    T.workspace(d).close()
    ws = Workspace.open(d)
    auth.add_user(ws.con, "vic", "viewer", "pw-vic-123456")
    for k in range(12):
        items.create(ws, platform="weibo", by="bo", text=f"第{k}条", scheduled_at=f"2030-05-06 {8 + k:02d}:00")
    ws.close()
    app = create_app(d, warm=False)
    try:
        vic = signed_in(app, "vic", "pw-vic-123456")
        month = vic.get("/plan", params={"view": "month", "date": "2030-05-01"}).text
        assert month.count('class="plan-item') == 8 and "还有 4 条" in month
        assert 'href="/plan?view=week&amp;date=2030-05-06"' in month
        week = vic.get("/plan", params={"date": "2030-05-06"}).text
        assert week.count('class="plan-item') == 12
    finally:
        app.state.web.ws.close()


def test_the_item_page_takes_review_comments_and_a_hand_published_link(tmp_path):
    """#16.1 approval with comments: a reviewer sends an item back saying why, anyone who plans comments, and an
    item published by hand is marked with its link — all from the item's page."""
    from conftest import signed_in
    from hudong.store.workspace import Workspace
    from hudong.web import auth
    from hudong.web.app import create_app

    d = tmp_path / "ws"
    T.workspace(d).close()
    ws = Workspace.open(d)
    for name, role in (("rita", "responder"), ("ana", "analyst")):
        auth.add_user(ws.con, name, role, f"pw-{name}-123456")
    it = items.create(ws, platform="xiaohongshu", by="rita", text="冷泡茶三种做法", title="冷泡茶", state="draft")
    items.act(ws, it["item_id"], "submit", "rita")
    ws.close()
    app = create_app(d, warm=False)
    try:
        rita, ana = (signed_in(app, n, f"pw-{n}-123456") for n in ("rita", "ana"))
        page = ana.get(f"/plan/{it['item_id']}").text
        assert 'id="item-act"' in page and "do-reject" in page and "do-approve" in page
        assert "do-approve" not in rita.get(f"/plan/{it['item_id']}").text  # a responder cannot approve
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)

        def do(client, action: str, **form: str):
            return client.post(f"/plan/{it['item_id']}/do", data={"csrf": token, "action": action,
                                                                  "back": f"/plan/{it['item_id']}", **form},
                               follow_redirects=False)  # fmt: skip

        assert do(ana, "reject", note="首图换成冷泡茶的实拍").status_code == 303
        token = re.search(r'name="csrf" value="([^"]+)"', rita.get("/").text).group(1)
        assert do(rita, "comment", note="好的,明天换图").status_code == 303
        assert do(rita, "comment", note="  ").status_code == 400  # an empty comment says nothing
        shown = rita.get(f"/plan/{it['item_id']}").text
        assert "首图换成冷泡茶的实拍" in shown and "好的,明天换图" in shown
        assert do(rita, "submit").status_code == 303
        token = re.search(r'name="csrf" value="([^"]+)"', ana.get("/").text).group(1)
        assert do(ana, "approve").status_code == 303
        token = re.search(r'name="csrf" value="([^"]+)"', rita.get("/").text).group(1)
        assert "do-published" in rita.get(f"/plan/{it['item_id']}").text
        assert do(rita, "published", url="https://www.xiaohongshu.com/explore/abc123").status_code == 303
        shown = rita.get(f"/plan/{it['item_id']}").text
        assert "已发布" in shown or "Published" in shown
        with app.state.web.db() as ws:
            got = items.get(ws, it["item_id"])
        assert got["state"] == "published" and got["url"] == "https://www.xiaohongshu.com/explore/abc123"
        assert [e["action"] for e in got["events"]][-5:] == ["reject", "comment", "submit", "approve", "published"]
    finally:
        app.state.web.ws.close()


def test_a_rejection_from_the_calendar_says_so_in_the_operators_language(tmp_path):
    """The calendar's step buttons share one form with no note: the server writes the rejection's note, in the
    language the operator reads the page in."""
    from conftest import signed_in
    from hudong.store.workspace import Workspace
    from hudong.web import auth
    from hudong.web.app import create_app

    d = tmp_path / "ws"
    T.workspace(d).close()
    ws = Workspace.open(d)
    auth.add_user(ws.con, "ana", "analyst", "pw-ana-123456")
    made = [items.create(ws, platform="weibo", by="ana", text=f"草稿 {k}", state="draft") for k in range(2)]
    for it in made:
        items.act(ws, it["item_id"], "submit", "ana")
    ws.close()
    app = create_app(d, warm=False)
    try:
        ana = signed_in(app, "ana", "pw-ana-123456")
        token = re.search(r'name="csrf" value="([^"]+)"', ana.get("/plan").text).group(1)
        for it, lang in zip(made, ("zh", "en"), strict=True):
            r = ana.post(f"/plan/{it['item_id']}/do", params={"lang": lang},
                         data={"csrf": token, "action": "reject", "back": "/plan"}, follow_redirects=False)
            assert r.status_code == 303
    finally:
        app.state.web.ws.close()
    ws = Workspace.open(d)
    try:
        notes = [[e["note"] for e in items.get(ws, it["item_id"])["events"] if e["action"] == "reject"] for it in made]
    finally:
        ws.close()
    assert notes == [["退回"], ["Reject"]]
