"""Issue #14.4: the inbox as operators know it from the best inboxes — a conversation list (counts per status,
the SLA colour) beside one open conversation (its whole thread, the person behind it, a composer that saves its
draft as one types, one-click labels), new messages without a reload, a warning when a colleague has the
conversation open; and from the inbox and the outbox page, the platform actions: like, follow back, undo, the
approver's click, the audit log for admins.

The platform is a ledger file a test connector writes to (the connector contract is hudong's own; the live
connectors are tested against their servers in test_bluesky / test_mastodon / test_reddit). The real browser run
of the same page (keys, autosave, live list, presence) is in test_web_browser.py."""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import signed_in
from hudong import analyses, connectors
from hudong.connectors import Connector
from hudong.connectors import outbox as O
from hudong.errors import HudongError
from hudong.inbox import conversation as C
from hudong.inbox import items as inbox
from hudong.inbox import replies, sending
from hudong.ingest import import_file
from hudong.ingest.erasure import forget
from hudong.store.workspace import Workspace
from hudong.web import auth
from hudong.web.presence import Presence

PASSWORD = "tea-garden-2026"
NOW = dt.datetime(2026, 12, 2, 10, 0)  # a Wednesday, business hours

INTERACTIONS = """platform,interaction_id,type,actor_id,target_post_id,created_at,text,parent_id,is_inbound,by_staff
mastodon,m1,comment,fan1,p1,2026-12-01 10:00:00,any oat milk?,,true,false
mastodon,r1,reply,brand,p1,2026-12-01 10:30:00,Yes we have oat milk!,m1,false,true
mastodon,m2,comment,fan1,p1,2026-12-01 11:00:00,and soy?,r1,true,false
mastodon,d1,dm,fan1,,2026-12-01 12:00:00,where is my order?,,true,false
mastodon,m3,comment,fan2,p1,2026-12-01 10:05:00,hello?,,true,false
mastodon,m4,comment,fan3,p1,2026-12-01 10:06:00,great tea,,true,false
weibo,w1,comment,fan4,p9,2026-12-01 11:00:00,有燕麦奶吗,,true,false
mastodon,old,like,fan1,p0,2026-06-01 09:00:00,,,false,false
"""
CONTACTS = """platform,user_id,handle,display_name,profile_url
mastodon,fan1,fan1@example.social,Fan One,https://example.social/@fan1
"""
ORDERS = """platform,order_id,user_id,user_platform,created_at,amount,currency,product
shop,o1,fan1,mastodon,2026-10-01 12:00:00,58.0,CNY,tea
shop,o2,fan1,mastodon,2026-11-20 12:00:00,42.5,CNY,cups
"""


class Ledger(Connector):
    """Writes every action to a JSON-lines ledger (the platform); can take back replies and likes."""

    kind = "inbox-ledger"
    platform = "mastodon"
    capabilities = frozenset({"reply", "message", "like", "follow", "delete"})
    undoable = frozenset({"reply", "like"})

    def fetch(self, cursor):
        return iter(())

    @property
    def ledger(self) -> Path:
        return self.workspace_dir / f"{self.name}.jsonl"

    def entries(self) -> list[dict]:
        return [json.loads(x) for x in self.ledger.read_text().splitlines()] if self.ledger.exists() else []

    def act(self, action, *, idempotency_key, target=None, text=None, **params):
        if target == "gone":
            raise HudongError("404: the status was deleted")
        entry = {"id": f"s{len(self.entries()) + 1}", "action": action, "target": target, "text": text}
        with open(self.ledger, "a") as f:
            f.write(json.dumps(entry) + "\n")
        return {"platform_id": entry["id"], "url": f"https://example.social/{entry['id']}"}


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("inbox-live") / "ws"
    src = d.parent / "src"
    src.mkdir()
    with Workspace.init(d) as ws:
        for name, text, fmt in (("i.csv", INTERACTIONS, "generic-interactions"), ("c.csv", CONTACTS, "generic-contacts"),
                                ("o.csv", ORDERS, "generic-orders")):  # fmt: skip
            (src / name).write_text(text, encoding="utf-8")
            import_file(ws, src / name, fmt)
        for name, role in (("ana", "analyst"), ("rita", "responder"), ("rui", "responder"), ("vic", "viewer"),
                           ("lee", "admin"), ("old", "responder")):  # fmt: skip
            auth.add_user(ws.con, name, role, PASSWORD)
    cfg = d / "hudong.toml"
    text = cfg.read_text(encoding="utf-8")
    assert re.search(r"(?m)^sla_minutes = \d+", text)
    text = re.sub(r"(?m)^sla_minutes = \d+", "sla_minutes = 60", text)
    cfg.write_text(text + textwrap.dedent("""
        [connectors.toots]
        type = "inbox-ledger"
        """), encoding="utf-8")
    return d


@pytest.fixture(autouse=True)
def ledger_kind(monkeypatch):
    monkeypatch.setitem(connectors.BUILT_IN, Ledger.kind, Ledger)


def ws_of(app) -> Workspace:
    return app.state.web.ws


def login(app, name: str) -> TestClient:
    return signed_in(app, name, PASSWORD)


def csrf(c: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get("/inbox").text).group(1)


def pane(html: str) -> str:
    return re.search(r'<section class="conversation".*?</section>', html, re.S).group(0)


def ledger(app) -> list[dict]:
    return connectors.connector(ws_of(app), "toots").entries()


# ---- the conversation analysis -------------------------------------------------------------------------------
def test_the_conversation_is_its_whole_thread_and_the_person_behind_it(app):
    ws = ws_of(app)
    out = analyses.run(ws, "conversation", item="mastodon:m2", at=NOW).values
    th = out["thread"]["messages"]
    assert [(m["interaction_id"], m["staff"]) for m in th] == [("m1", False), ("r1", True), ("m2", False)]
    assert [m["is_item"] for m in th] == [False, False, True]
    assert out["item"]["id"] == "mastodon:m2" and out["item"]["n_messages"] == 1  # the turn after our reply
    assert out["item"]["over_sla"]  # 23 h later, past a 60-minute SLA
    p = out["person"]
    assert {a["type"]: a["n"] for a in p["activity"]} == {"comment": 2, "dm": 1, "like": 1}
    assert (p["orders"]["n"], p["orders"]["amount"]) == (2, 100.5)
    assert p["segment"] == "champion"  # two orders, active this week
    assert [r["text"] for r in p["replies"]] == ["Yes we have oat milk!"]
    assert [m["id"] for m in p["messages"]] == ["mastodon:d1", "mastodon:m2", "mastodon:m1"]  # newest first
    # An earlier message of a turn opens the item the inbox tracks (its turn's latest message).
    early = analyses.run(ws, "conversation", item="mastodon:m1", at=NOW).values
    assert early["id"] == "mastodon:m2" and [m["is_item"] for m in early["thread"]["messages"]] == [True, False, False]
    # A DM is its own conversation with the same person; a stranger's comment has no orders and is new.
    dm = analyses.run(ws, "conversation", item="mastodon:d1", at=NOW).values
    assert [m["interaction_id"] for m in dm["thread"]["messages"]] == ["d1"]
    other = analyses.run(ws, "conversation", item="mastodon:m3", at=NOW).values["person"]
    assert other["orders"]["n"] == 0 and other["segment"] == "new" and other["replies"] == []
    with pytest.raises(LookupError):
        analyses.run(ws, "conversation", item="mastodon:r1", at=NOW)  # our own reply is no inbox item
    with pytest.raises(HudongError, match="PLATFORM:INTERACTION_ID"):
        analyses.run(ws, "conversation", item="nonsense", at=NOW)


@pytest.mark.parametrize(
    ("first", "last", "recent", "orders", "expected"),
    [
        (400, 3, 5, 2, "champion"),
        (400, 100, 0, 3, "dormant"),  # buyers who went quiet are not champions
        (10, 1, 1, 0, "new"),
        (400, 5, 3, 0, "active"),
        (400, 5, 2, 0, "occasional"),
        (400, 45, 1, 1, "at_risk"),
        (400, 91, 0, 0, "dormant"),
        (None, None, 0, 0, "occasional"),
    ],
)
def test_segment_rule(first, last, recent, orders, expected):
    at = dt.datetime(2026, 12, 1)
    days = lambda n: None if n is None else at - dt.timedelta(days=n)  # noqa: E731
    assert C.segment(first_seen=days(first), last_seen=days(last), recent_90=recent, orders=orders, at=at) == expected


# ---- the page ----------------------------------------------------------------------------------------------
def test_list_beside_the_open_conversation_with_counts_and_live_rows(app):
    c = login(app, "rita")
    html = c.get("/inbox").text
    assert re.findall(r'<tr class="item[^"]*" data-id="([^"]+)"', html) == [
        "mastodon:m3", "mastodon:m4", "mastodon:m2", "weibo:w1", "mastodon:d1"]  # oldest unanswered first
    counts = dict(re.findall(r'data-status="(\w+)">[^<]*<span class="count">(\d+)</span>', html))
    assert counts == {"open": "5", "new": "5", "assigned": "0", "escalated": "0", "closed": "0", "over_sla": "5"}
    assert 'class="item late open" data-id="mastodon:m3"' in html  # the first one is open, past its SLA
    assert 'id="conversation" data-id="mastodon:m3"' in html
    html = c.get("/inbox", params={"open": "mastodon:m1"}).text  # an earlier message opens its turn
    p = pane(html)
    assert 'data-id="mastodon:m2"' in p and 'class="item late open" data-id="mastodon:m2"' in html
    assert p.index("any oat milk?") < p.index("Yes we have oat milk!") < p.index("and soy?")
    assert "Fan One" in p and "@fan1@example.social" in p and "忠实客户" in p and "100.50" in p
    assert c.get("/inbox", params={"open": "mastodon:nope"}).status_code == 404
    # Counts follow the actions; the tabs filter.
    tok = csrf(c)
    c.post("/inbox/action", data={"item": "mastodon:m4", "action": "assign", "assignee": "rui", "csrf": tok})
    c.post("/inbox/action", data={"item": "weibo:w1", "action": "ignore", "csrf": tok})
    html = c.get("/inbox").text
    counts = dict(re.findall(r'data-status="(\w+)">[^<]*<span class="count">(\d+)</span>', html))
    assert (counts["open"], counts["new"], counts["assigned"], counts["closed"]) == ("4", "3", "1", "1")
    assert re.findall(r'data-id="([^"]+)" data-status', c.get("/inbox", params={"status": "assigned"}).text) == [
        "mastodon:m4"]
    # The live refresh: the rows alone, the total in a header; a message imported meanwhile is among them.
    r = c.get("/inbox/rows", params={"open": "mastodon:m3"})
    assert r.status_code == 200 and r.headers["X-Inbox-Total"] == "4" and "<html" not in r.text
    assert 'class="item late open" data-id="mastodon:m3"' in r.text
    new = ws_of(app).path / "new.csv"
    new.write_text("platform,interaction_id,type,actor_id,target_post_id,created_at,text,is_inbound\n"
                   "mastodon,m9,comment,fan9,p1,2026-12-02 09:30:00,just arrived,true\n")  # fmt: skip
    with app.state.web.db(write=True) as ws:
        import_file(ws, new, "generic-interactions")
    r = c.get("/inbox/rows")
    assert r.headers["X-Inbox-Total"] == "5" and 'data-id="mastodon:m9"' in r.text
    # A viewer reads the list and the conversation, without any control.
    v = login(app, "vic")
    html = v.get("/inbox", params={"open": "mastodon:m2"}).text
    assert "and soy?" in pane(html) and "composer" not in pane(html) and "act-label" not in html
    assert v.get("/inbox/rows", params={"status": "bogus"}).status_code == 400


def test_the_api_serves_the_conversation(app):
    token = auth.new_token(ws_of(app).con, "rita")
    c = TestClient(app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
    out = c.get("/api/inbox/mastodon:m1/conversation").json()
    assert out["id"] == "mastodon:m2" and out["person"]["segment"] == "champion"
    assert [m["text"] for m in out["thread"]["messages"]] == ["any oat milk?", "Yes we have oat milk!", "and soy?"]
    assert out["contact"]["handle"] == "fan1@example.social"
    assert c.get("/api/inbox/mastodon:ghost/conversation").status_code == 404
    spec = c.get("/openapi.json").json()["paths"]
    assert "get" in spec["/api/inbox/{item_id}/conversation"] and "put" in spec["/api/inbox/{item_id}/draft"]


# ---- composer -----------------------------------------------------------------------------------------------
def test_the_draft_saves_itself_per_person_and_goes_when_the_reply_is_sent(app):
    rita, rui = login(app, "rita"), login(app, "rui")
    h = {"X-CSRF-Token": csrf(rita)}
    r = rita.put("/api/inbox/mastodon:m2/draft", json={"text": "Soy too, and almond"}, headers=h)
    assert r.status_code == 200 and r.json()["chars"] == 19
    assert ">Soy too, and almond</textarea>" in rita.get("/inbox", params={"open": "mastodon:m2"}).text
    assert "Soy too, and almond" not in rui.get("/inbox", params={"open": "mastodon:m2"}).text  # hers alone
    rui.put("/api/inbox/mastodon:m2/draft", json={"text": "Soy: yes"}, headers={"X-CSRF-Token": csrf(rui)})
    # Bad requests: no CSRF, a viewer, too long, an unknown message.
    assert rita.put("/api/inbox/mastodon:m2/draft", json={"text": "x"}).status_code == 403
    v = login(app, "vic")
    assert v.put("/api/inbox/mastodon:m2/draft", json={"text": "x"}, headers={"X-CSRF-Token": csrf(v)}).status_code == 403
    assert rita.put("/api/inbox/mastodon:m2/draft", json={"text": "x" * 2001}, headers=h).status_code == 422
    assert rita.put("/api/inbox/mastodon:zz/draft", json={"text": "x"}, headers=h).status_code == 404
    # Sending the reply clears every draft of it; the reply is threaded under the message on the platform.
    r = rita.post("/inbox/send", data={"item": "mastodon:m2", "text": "Soy too!", "csrf": h["X-CSRF-Token"]},
                  follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and "saved=reply_sent" in r.headers["location"]
    assert ledger(app)[-1] | {"id": None} == {"id": None, "action": "reply", "target": "m2", "text": "Soy too!"}
    assert replies.autosaved(ws_of(app), "mastodon:m2", "rita") == replies.autosaved(ws_of(app), "mastodon:m2", "rui") == ""
    p = pane(rita.get("/inbox", params={"open": "mastodon:m2", "status": "all"}).text)
    assert "Soy too!" in p and "已发送" in p  # the outbox reply shows in the thread before it syncs back
    # An empty text forgets a draft; forgetting the person erases what was written to them.
    rita.put("/api/inbox/mastodon:d1/draft", json={"text": "Your parcel left"}, headers=h)
    rita.put("/api/inbox/mastodon:m3/draft", json={"text": "Hi"}, headers=h)
    rita.put("/api/inbox/mastodon:m3/draft", json={"text": "  "}, headers=h)
    rows = lambda: ws_of(app).con.execute("SELECT interaction_id FROM inbox_drafts").fetchall()  # noqa: E731
    assert rows() == [("d1",)]
    with app.state.web.db(write=True) as ws:
        fan1 = ws.con.execute("SELECT actor_id FROM interactions WHERE interaction_id = 'd1'").fetchone()[0]
        forget(ws, fan1, "mastodon")
    assert rows() == []


def test_a_colleague_with_the_conversation_open_is_shown(app):
    rita, rui = login(app, "rita"), login(app, "rui")
    rita.get("/inbox", params={"open": "mastodon:m3"})  # opening it counts
    html = rui.get("/inbox", params={"open": "mastodon:m3"}).text
    warn = re.search(r'<p id="presence"[^>]*>(.*?)</p>', html, re.S)
    assert "hidden" not in warn.group(0) and "rita 正在查看此会话" in warn.group(1)
    r = rita.post("/api/inbox/mastodon:m3/presence", json={"typing": True}, headers={"X-CSRF-Token": csrf(rita)})
    assert [(o["name"], o["typing"]) for o in r.json()["others"]] == [("rui", False)]
    r = rui.post("/api/inbox/mastodon:m3/presence", json={}, headers={"X-CSRF-Token": csrf(rui)})
    assert r.json()["others"][0]["name"] == "rita" and r.json()["others"][0]["typing"]
    html = rui.get("/inbox", params={"open": "mastodon:m4"}).text  # nobody else there
    assert re.search(r'<p id="presence"[^>]*\bhidden>\s*</p>', html)
    assert rita.post("/api/inbox/mastodon:nope/presence", json={}, headers={"X-CSRF-Token": csrf(rita)}).status_code == 404


def test_presence_expires():
    now = [0.0]
    p = Presence(clock=lambda: now[0])
    p.ping("x", "a", typing=True)
    now[0] = 20
    assert p.ping("x", "b") == [{"name": "a", "typing": True, "seconds": 20}]
    now[0] = 31
    assert p.others("x", "b") == [] and p.others("x", "a") == [{"name": "b", "typing": False, "seconds": 11}]
    p.leave("x", "b")
    assert p.others("x", "a") == []


# ---- platform actions from the inbox and the outbox page ----------------------------------------------------
def test_like_follow_back_and_undo_from_the_inbox(app):
    rita = login(app, "rita")
    tok = csrf(rita)
    r = rita.post("/inbox/act", data={"item": "mastodon:m2", "action": "like", "csrf": tok}, follow_redirects=False)
    assert r.status_code == 303 and "saved=like_sent" in r.headers["location"]
    r = rita.post("/inbox/act", data={"item": "mastodon:m2", "action": "follow", "csrf": tok}, follow_redirects=False)
    assert "saved=follow_sent" in r.headers["location"]
    assert [(e["action"], e["target"]) for e in ledger(app)] == [("like", "m2"), ("follow", "fan1@example.social")]
    html = rita.get("/inbox", params={"open": "mastodon:m2"}).text
    assert 'class="act-like secondary"' in html and "回关" in pane(html)  # the buttons, and both actions in the thread
    # Following needs the account's handle; a platform without a connector is refused with the reason.
    r = rita.post("/inbox/act", data={"item": "mastodon:m3", "action": "follow", "csrf": tok})
    assert r.status_code == 400 and "no contact handle" in r.text
    r = rita.post("/inbox/act", data={"item": "weibo:w1", "action": "like", "csrf": tok})
    assert r.status_code == 400 and "no connector in hudong.toml can like on weibo" in r.text
    assert rita.post("/inbox/act", data={"item": "mastodon:m2", "action": "hide", "csrf": tok}).status_code == 400
    # Undo a reply: the platform deletes it and the item reopens; only its author or an approver may.
    out = sending.send_reply(ws_of(app), "mastodon:m4", "Thank you!", by="rita", role="responder")
    assert inbox.list_items(ws_of(app), inbox.InboxQuery(item="mastodon:m4", status="all"))["items"][0]["status"] \
        == "replied"
    html = rita.get("/inbox", params={"open": "mastodon:m4", "status": "all"}).text
    assert 'class="link act-undo"' in html
    rui = login(app, "rui")
    r = rui.post("/inbox/undo", data={"action_id": out["action_id"], "csrf": csrf(rui)})
    assert r.status_code == 403 and "only rita or an approver" in r.text
    r = rita.post("/inbox/undo", data={"action_id": out["action_id"], "csrf": tok}, follow_redirects=False)
    assert r.status_code == 303 and "saved=undo_sent" in r.headers["location"]
    assert ledger(app)[-1] | {"id": None} == {"id": None, "action": "delete", "target": out["platform_id"],
                                              "text": None}
    row = inbox.list_items(ws_of(app), inbox.InboxQuery(item="mastodon:m4", status="all"))["items"][0]
    assert row["status"] == "new"  # reopened: the reply is gone from the platform
    assert "act-undo" not in pane(rita.get("/inbox", params={"open": "mastodon:m4"}).text)  # once only
    r = rita.post("/inbox/undo", data={"action_id": out["action_id"], "csrf": tok})
    assert r.status_code == 400 and "already being undone" in r.text
    follow = O.rows(ws_of(app), item="mastodon:m2")[0]
    assert follow["action"] == "follow" and not follow["undoable"]  # the platform cannot take a follow back
    with pytest.raises(HudongError, match="cannot take back a follow"):
        O.undo(ws_of(app), follow["action_id"], by="rita")


def test_outbox_page_approval_and_the_audit_log(app):
    ws_of(app).config["outbox"] = {"approval": ["responder"]}  # as [outbox] in hudong.toml (read at open)
    rita = login(app, "rita")
    out = sending.send_reply(ws_of(app), "mastodon:m3", "Hello to you!", by="rita", role="responder")
    assert out["state"] == "draft"
    html = rita.get("/outbox").text
    row = re.search(rf'<tr class="ob" data-action="{out["action_id"]}".*?</tr>', html, re.S).group(0)
    assert "待审批" in row and "op-approve" not in row and "op-cancel" in row  # she may withdraw, not approve
    r = rita.post("/outbox/approve", data={"action_id": out["action_id"], "csrf": csrf(rita)})
    assert r.status_code == 403 and ledger(app) == []
    assert "outbox-audit" not in html and rita.get("/api/outbox/events").status_code == 403
    ana = login(app, "ana")
    html = ana.get("/outbox").text
    assert "op-approve" in re.search(rf'data-action="{out["action_id"]}".*?</tr>', html, re.S).group(0)
    r = ana.post("/outbox/approve", data={"action_id": out["action_id"], "csrf": csrf(ana)}, follow_redirects=False)
    assert r.status_code == 303 and [e["text"] for e in ledger(app)] == ["Hello to you!"]  # sent on the click
    assert O.get(ws_of(app), out["action_id"])["approved_by"] == "ana"
    lee = login(app, "lee")
    html = lee.get("/outbox").text
    audit = re.search(r'<table id="outbox-audit".*?</table>', html, re.S).group(0)
    assert all(w in audit for w in ("drafted", "approved", "sending", "sent", "rita", "ana", "outbox worker"))
    events = lee.get("/api/outbox/events").json()
    assert [e["event"] for e in events][:4] == ["sent", "sending", "approved", "drafted"]
    assert login(app, "vic").get("/outbox").status_code == 403
    api = ana.post(f"/api/outbox/{out['action_id']}/bogus", headers={"X-CSRF-Token": csrf(ana)})
    assert api.status_code == 400 and "unknown outbox operation" in api.json()["error"]


def test_a_disabled_user_cannot_be_assigned(app):
    ws = ws_of(app)
    ws.con.execute("UPDATE web_users SET disabled = true WHERE name = 'old'")
    with pytest.raises(HudongError, match="old' is disabled"):
        inbox.record_action(ws, "mastodon:m3", "assign", "rita", assignee="old")
    html = login(app, "rita").get("/inbox").text
    assert '<option value="old"' not in html
