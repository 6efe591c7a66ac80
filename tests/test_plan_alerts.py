"""Publishing failures alert their owner (issue #16.7): the item's "needs you" entry in hudong and the team's group
robot (企业微信 / 钉钉 / 飞书 webhook) — here a real HTTP server on loopback standing in for the robot, answering as
the WeCom robot documents (``{"errcode": 0, "errmsg": "ok"}``, or an error code)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hudong.connectors import notify
from hudong.metrics import testing as T
from hudong.plan import clock, publishing
from hudong.plan import items as P
from hudong.store.workspace import Workspace

T0 = dt.datetime(2026, 5, 4, 20, 0)


class Robot(BaseHTTPRequestHandler):
    received: list[dict] = []
    answer = {"errcode": 0, "errmsg": "ok"}

    def do_POST(self):  # noqa: N802 - http.server's name
        n = int(self.headers.get("content-length", 0))
        type(self).received.append({"path": self.path, "body": json.loads(self.rfile.read(n))})
        data = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def robot():
    Robot.received, Robot.answer = [], {"errcode": 0, "errmsg": "ok"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=SECRETKEY"
    server.shutdown()


def _ws(tmp_path, url: str | None):
    ws = T.workspace(tmp_path / "ws")
    if url:
        secrets = tmp_path / "ws" / "secrets.toml"
        secrets.write_text(f'[notify]\nwebhook = "{url}"\n', encoding="utf-8")
        secrets.chmod(0o600)
    return ws


def _scheduled(ws, owner: str = "lin") -> str:
    with clock.at(T0 - dt.timedelta(days=2)):
        it = P.create(ws, platform="xiaohongshu", by="lin", title="冷泡茶", text="三种做法", state="draft", owner=owner)
        P.act(ws, it["item_id"], "submit", "lin")
        P.act(ws, it["item_id"], "approve", "wang", role="analyst")
        P.act(ws, it["item_id"], "schedule", "lin", at=T0)
    return it["item_id"]


def test_the_robot_body_follows_the_webhook_host():
    assert notify.body("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "hi") == {
        "msgtype": "text", "text": {"content": "hi"}}
    assert notify.body("https://oapi.dingtalk.com/robot/send?access_token=t", "hi")["msgtype"] == "text"
    assert notify.body("https://open.feishu.cn/open-apis/bot/v2/hook/x", "hi") == {
        "msg_type": "text", "content": {"text": "hi"}}
    assert notify.body("https://hooks.example.com/x", "hi") == {"text": "hi"}


def test_a_missed_item_alerts_its_owner_in_hudong_and_in_the_group_chat(tmp_path, robot):
    ws = _ws(tmp_path, robot)
    try:
        item = _scheduled(ws)
        with clock.at(T0 + dt.timedelta(minutes=5)):
            first = publishing.run(ws)
        assert first.reminded == [item] and not Robot.received  # due: the owner is reminded to publish by hand
        assert [a["item_id"] for a in P.attention(ws, "lin")] == [item]
        with clock.at(T0 + dt.timedelta(hours=2)):
            out = publishing.run(ws)
        assert out.missed == [item]
        assert len(Robot.received) == 1
        text = Robot.received[0]["body"]["text"]
        assert item in text and "lin" in text and "错过发布时间" in text and "冷泡茶" in text
        event = [e for e in P.get(ws, item)["events"] if e["action"] == "alert"]
        assert event and "sent to 1 chat(s)" in event[0]["note"] and "SECRETKEY" not in event[0]["note"]
        needs = P.attention(ws, "lin")
        assert needs[0]["state"] == "missed" and "not published by" in needs[0]["why"]
        assert P.attention(ws, "someone-else") == []
    finally:
        ws.close()


def test_an_undeliverable_alert_is_kept_with_the_item_and_publishing_goes_on(tmp_path, robot):
    Robot.answer = {"errcode": 93000, "errmsg": "invalid webhook url"}
    ws = _ws(tmp_path, robot)
    try:
        item = _scheduled(ws)
        with clock.at(T0 + dt.timedelta(hours=2)):
            out = publishing.run(ws)
        assert out.missed == [item]
        note = next(e["note"] for e in P.get(ws, item)["events"] if e["action"] == "alert")
        assert "not delivered: 127.0.0.1: 93000 invalid webhook url" in note
    finally:
        ws.close()


def test_without_a_webhook_the_alert_stays_in_hudong(tmp_path):
    ws = _ws(tmp_path, None)
    try:
        item = _scheduled(ws, owner="mei")
        with clock.at(T0 + dt.timedelta(hours=2)):
            publishing.run(ws)
        note = next(e["note"] for e in P.get(ws, item)["events"] if e["action"] == "alert")
        assert note.startswith("mei: not published by")
    finally:
        ws.close()


def test_the_calendar_page_shows_what_needs_the_user(tmp_path):
    from conftest import signed_in
    from hudong.store.workspace import Workspace
    from hudong.web import auth
    from hudong.web.app import create_app

    ws = _ws(tmp_path, None)
    item = _scheduled(ws, owner="rita")
    with clock.at(T0 + dt.timedelta(hours=2)):
        publishing.run(ws)
    ws.close()
    ws = Workspace.open(tmp_path / "ws")
    auth.add_user(ws.con, "rita", "responder", "pw-rita-123456")
    auth.add_user(ws.con, "vic", "viewer", "pw-vic-123456")
    ws.close()
    app = create_app(tmp_path / "ws", warm=False)
    try:
        page = signed_in(app, "rita", "pw-rita-123456").get("/plan").text
        assert 'id="plan-needs"' in page and "冷泡茶" in page and "错过" in page
        assert 'id="plan-needs"' not in signed_in(app, "vic", "pw-vic-123456").get("/plan").text
        assert item
    finally:
        app.state.web.ws.close()


def test_a_round_of_hudong_serve_alerts_too(tmp_path, robot):
    """`hudong serve` publishes in its sync rounds (web/sync.run_round), not through `hudong plan publish`: a missed
    item alerts its owner there as well."""
    from hudong.web.app import create_app
    from hudong.web.sync import run_round

    ws = _ws(tmp_path, robot)
    item = _scheduled(ws)
    ws.close()
    app = create_app(tmp_path / "ws", warm=False)
    try:
        with clock.at(T0 + dt.timedelta(hours=2)):
            run_round(app.state.web)
        assert app.state.web.sync_last["plan"]["missed"] == [item]
        assert len(Robot.received) == 1 and item in Robot.received[0]["body"]["text"]
    finally:
        app.state.web.ws.close()
    ws = Workspace.open(tmp_path / "ws")
    try:
        assert [e["action"] for e in P.get(ws, item)["events"]][-2:] == ["missed", "alert"]
    finally:
        ws.close()
