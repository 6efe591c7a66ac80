"""Issue #15.1 (first slice): the WeChat Official Account message server. No WeChat server installs here, so the
tests play WeChat's side by the documented protocol (developers.weixin.qq.com/doc/offiaccount: 接入概述, 接收普通消息,
接收事件推送, 被动回复用户消息, 消息加解密说明): they sign each request with the token, build the XML of every
message and event type, and in safe mode encrypt it with their own implementation of the documented algorithm
(not hudong's). hudong's crypto is checked against the known-answer sample of Tencent's WXBizMsgCrypt."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import struct
import sys
import textwrap
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from fastapi.testclient import TestClient

from hudong import analyses, connectors
from hudong.connectors import outbox
from hudong.connectors import wechat as W
from hudong.errors import HudongError
from hudong.metrics import compute
from hudong.plan import items, publishing
from hudong.store.workspace import Workspace
from hudong.web.app import create_app

sys.path.insert(0, str(Path(__file__).parent / "wechat"))
from wechat_api import WeChatAPI  # noqa: E402

# Tencent's WXBizMsgCrypt sample (the URL-verification vector of its Python/Java/C++ samples).
SAMPLE = dict(token="QDG6eK", key="jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", app_id="wx5823bf96d3bd56c7",
              timestamp="1409659589", nonce="263014780", signature="5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
              echostr="P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
              plain="1616140317555161061")  # fmt: skip
TOKEN, KEY, APP = SAMPLE["token"], SAMPLE["key"], SAMPLE["app_id"]
SECRET = "a-secret-of-32-hex-characters-00"
ACCOUNT = "gh_0123456789ab"  # the account's original id (ToUserName)


class WeChat:
    """WeChat's servers as the documentation describes them: sign, build the XML, encrypt in safe mode."""

    def __init__(self, client: TestClient, path: str = "/hooks/wechat/wx", *, safe: bool = False):
        self.client, self.path, self.safe = client, path, safe

    @staticmethod
    def sign(*parts: str) -> str:
        return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()

    @staticmethod
    def seal(xml: str, app_id: str = APP) -> str:
        key = base64.b64decode(KEY + "=")
        raw = secrets.token_bytes(16) + struct.pack(">I", len(xml.encode())) + xml.encode() + app_id.encode()
        pad = 32 - len(raw) % 32
        enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
        return base64.b64encode(enc.update(raw + bytes([pad]) * pad) + enc.finalize()).decode()

    @staticmethod
    def open(encrypted: str) -> str:
        key = base64.b64decode(KEY + "=")
        dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        raw = dec.update(base64.b64decode(encrypted)) + dec.finalize()
        raw = raw[:-raw[-1]]
        (n,) = struct.unpack(">I", raw[16:20])
        assert raw[20 + n:] == APP.encode()
        return raw[20:20 + n].decode()

    def push(self, xml: str, *, timestamp: int | None = None, app_id: str = APP, tamper: bool = False):
        ts, nonce = str(timestamp or int(time.time())), str(secrets.randbelow(10**9))
        params = {"signature": self.sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce,
                  "openid": "o_fan"}  # fmt: skip
        body = xml
        if self.safe:
            enc = self.seal(xml, app_id)
            if tamper:
                enc = enc[:-8] + ("A" * 6 if enc[-8:-2] != "A" * 6 else "B" * 6) + enc[-2:]
            params |= {"encrypt_type": "aes", "msg_signature": self.sign(TOKEN, ts, nonce, enc)}
            body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
        return self.client.post(self.path, params=params, content=body.encode(),
                                headers={"content-type": "text/xml"})  # fmt: skip


def message(kind: str, who: str = "o_fan", at: int = 1764900000, msg_id: str | None = "1", **fields: str) -> str:
    extra = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    mid = f"<MsgId>{msg_id}</MsgId>" if msg_id else ""
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{who}]]></FromUserName>"
            f"<CreateTime>{at}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{extra}{mid}</xml>")


def event(name: str, who: str = "o_fan", at: int = 1764900000, **fields: str) -> str:
    return message("event", who, at, None, Event=name, **fields)


@pytest.fixture
def wxapi():
    api = WeChatAPI(APP, SECRET)
    yield api
    api.close()


@pytest.fixture
def app(tmp_path, wxapi):
    d = tmp_path / "ws"
    Workspace.init(d).close()
    with open(d / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(textwrap.dedent(f"""
            [connectors.wx]
            type = "wechat"
            app_id = "{APP}"
            api = "{wxapi.url}"

            [connectors.wx.auto_reply]
            welcome = "感谢关注山茶社！回复“营业时间”查看门店时间。"
            keywords = {{ "营业时间" = "门店每天 9:00–21:00 营业。" }}
            """))
    (d / "secrets.toml").write_text(f'[wx]\ntoken = "{TOKEN}"\nencoding_aes_key = "{KEY}"\napp_secret = "{SECRET}"\n')
    (d / "secrets.toml").chmod(0o600)
    a = create_app(d, warm=False)
    with TestClient(a) as c:
        a.state.client = c
        yield a
    a.state.web.ws.close()


def stored(app, sql: str, n: int | None = None, timeout: float = 20) -> list[tuple]:
    """The rows once the syncs the messages asked for are in (each message is synced by a thread of its own)."""
    deadline = time.monotonic() + timeout
    while True:
        with app.state.web.db() as ws:
            rows = ws.con.execute(sql).fetchall()
        if n is None or len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


# ---- crypto -----------------------------------------------------------------------------------------------------
def test_crypto_matches_tencents_sample_and_the_documented_algorithm():
    s = SAMPLE
    assert W.signature(s["token"], s["timestamp"], s["nonce"], s["echostr"]) == s["signature"]
    assert W.decrypt(s["key"], s["echostr"], s["app_id"]) == s["plain"]
    with pytest.raises(W.SignatureError, match="not this account"):
        W.decrypt(s["key"], s["echostr"], "wx0000000000000000")
    with pytest.raises(W.SignatureError, match="cannot be read"):
        W.decrypt("A" * 43, s["echostr"], s["app_id"])
    with pytest.raises(HudongError, match="43 characters"):
        W.decrypt("short", s["echostr"], s["app_id"])
    text = "<xml><Content><![CDATA[你好 ]]]]><![CDATA[> hello]]></Content></xml>" * 3  # longer than a block
    assert W.decrypt(KEY, WeChat.seal(text), APP) == text  # what WeChat encrypts, hudong reads
    assert WeChat.open(W.encrypt(KEY, text, APP)) == text  # what hudong encrypts, WeChat reads
    assert W.encrypt(KEY, "x", APP, b"0" * 16) == W.encrypt(KEY, "x", APP, b"0" * 16) != W.encrypt(KEY, "x", APP)


def test_url_verification_in_plain_and_safe_mode(app):
    c = app.state.client
    ts, nonce = str(int(time.time())), "4242"
    ok = c.get("/hooks/wechat/wx", params={"signature": WeChat.sign(TOKEN, ts, nonce), "timestamp": ts,
                                           "nonce": nonce, "echostr": "hello-wechat"})  # fmt: skip
    assert ok.status_code == 200 and ok.text == "hello-wechat"
    enc = WeChat.seal("echo-1234")
    safe = c.get("/hooks/wechat/wx", params={"signature": WeChat.sign(TOKEN, ts, nonce), "timestamp": ts,
                                             "nonce": nonce, "echostr": enc,
                                             "msg_signature": WeChat.sign(TOKEN, ts, nonce, enc)})  # fmt: skip
    assert safe.status_code == 200 and safe.text == "echo-1234"
    old = str(int(time.time()) - 3600)
    for params in (
        {"signature": "0" * 40, "timestamp": ts, "nonce": nonce, "echostr": "x"},  # not WeChat
        {"signature": WeChat.sign(TOKEN, old, nonce), "timestamp": old, "nonce": nonce, "echostr": "x"},  # replay
        {"signature": WeChat.sign("other", ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "x"},
    ):
        r = c.get("/hooks/wechat/wx", params=params)
        assert r.status_code == 403 and r.text != "x"
    for name in ("nope", "%00", "../wx"):  # not a WeChat connector: the same refusal, naming nothing
        assert c.get(f"/hooks/wechat/{name}", params={"echostr": "x"}).status_code in (403, 404)


# ---- messages ---------------------------------------------------------------------------------------------------
def test_every_message_and_event_is_stored_through_the_import_path_and_answered(app):
    wx = WeChat(app.state.client)
    t0 = 1764900000
    sent = [
        (message("text", at=t0, msg_id="101", Content="你好，请问营业时间？"), "reply"),
        (message("image", at=t0 + 1, msg_id="102", PicUrl="https://mmbiz.qpic.cn/x", MediaId="m1"), "success"),
        (message("voice", at=t0 + 2, msg_id="103", MediaId="m2", Format="amr", Recognition="发货了吗"), "success"),
        (message("video", at=t0 + 3, msg_id="104", MediaId="m3", ThumbMediaId="t3"), "success"),
        (message("location", at=t0 + 4, msg_id="105", Location_X="30.27", Location_Y="120.15", Scale="15",
                 Label="杭州市西湖区"), "success"),
        (message("link", at=t0 + 5, msg_id="106", Title="测评", Description="d", Url="https://example.com/a"),
         "success"),
        (event("subscribe", "o_new", t0 + 6, EventKey="qrscene_store42", Ticket="tk"), "reply"),
        (event("unsubscribe", "o_gone", t0 + 7), "success"),
        (event("CLICK", at=t0 + 8, EventKey="MENU_COUPON"), "success"),
        (event("VIEW", at=t0 + 9, EventKey="https://example.com/shop"), "success"),
        (event("TEMPLATESENDJOBFINISH", at=t0 + 10, MsgID="200163836", Status="success"), "success"),
    ]
    for xml, answer in sent:
        t = time.monotonic()
        r = wx.push(xml)
        assert r.status_code == 200 and time.monotonic() - t < 5, r.text  # WeChat waits 5 s, then retries
        if answer == "success":
            assert r.text == "success"
        else:
            reply = W.parse_xml(r.content)
            assert reply["MsgType"] == "text" and reply["FromUserName"] == ACCOUNT
    replies = {W.parse_xml(wx.push(x).content)["Content"] for x, a in sent if a == "reply"}
    assert replies == {"门店每天 9:00–21:00 营业。", "感谢关注山茶社！回复“营业时间”查看门店时间。"}
    # WeChat retries a message it got no answer to: the same MsgId / sender + time is stored once.
    wx.push(sent[1][0])
    rows = stored(app, "SELECT interaction_id, type, text, is_inbound, coalesce(by_staff, false), "
                       "coalesce(is_automated, false) FROM interactions ORDER BY created_at, interaction_id", 13)
    by_id = {r[0]: r[1:] for r in rows}
    assert len(rows) == 13, rows  # 11 messages and events + 2 automated replies
    assert by_id["101"] == ("dm", "你好，请问营业时间？", True, False, False)
    assert by_id["102"][:2] == ("dm", "[图片]") and by_id["103"][:2] == ("dm", "[语音] 发货了吗")
    assert by_id["105"][1] == "[位置] 杭州市西湖区 (30.27, 120.15)" and by_id["106"][1] == "[链接] 测评 https://example.com/a"
    kinds = sorted(t for t, *_ in by_id.values())
    assert kinds == ["click", "click", "dm", "dm", "dm", "dm", "dm", "dm", "dm", "dm", "follow", "impression",
                     "unfollow"]
    auto = [v for k, v in by_id.items() if k.startswith("auto:")]
    assert sorted(a[1] for a in auto) == sorted(replies) and all(a[3:] == (True, True) for a in auto)
    follow = [v for k, v in by_id.items() if v[0] == "follow"]
    assert follow == [("follow", "store42", False, False, False)]  # the QR scene
    with app.state.web.db() as ws:
        assert ws.count("follows") == 1
        actors = {a for (a,) in ws.con.execute("SELECT actor_id FROM interactions").fetchall()}
        assert "o_fan" not in actors and all(a.startswith("u_") for a in actors if a)  # pseudonymised openids
        # The six DMs wait in the reply inbox (an automated reply does not answer a person); one turn per sender.
        items = analyses.run(ws, "inbox").values["items"]
        assert [(i["platform"], i["type"], i["n_messages"]) for i in items] == [("wechat", "dm", 6)]
        received = ws.path / "connectors" / "wx" / "received"
    deadline = time.monotonic() + 20
    while list(received.glob("*.jsonl")) and time.monotonic() < deadline:  # the retries' syncs
        time.sleep(0.1)
    assert not list(received.glob("*.jsonl"))  # every file imported, then deleted
    assert stored(app, "SELECT count(*) FROM interactions") == [(13,)]  # the retries added nothing


def test_safe_mode_messages_and_replies_are_encrypted_and_tampering_is_refused(app):
    wx = WeChat(app.state.client, safe=True)
    r = wx.push(message("text", msg_id="301", Content="营业时间是？"))
    assert r.status_code == 200
    outer = W.parse_xml(r.content)
    assert outer["MsgSignature"] == WeChat.sign(TOKEN, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
    inner = W.parse_xml(WeChat.open(outer["Encrypt"]))
    assert inner["Content"] == "门店每天 9:00–21:00 营业。" and inner["ToUserName"] == "o_fan"
    assert wx.push(message("text", msg_id="302", Content="hi")).text == "success"
    assert wx.push(message("text", msg_id="303", Content="x"), tamper=True).status_code == 403
    assert wx.push(message("text", msg_id="304", Content="x"), app_id="wx0000000000000000").status_code == 403
    assert wx.push(message("text", msg_id="305", Content="x"), timestamp=int(time.time()) - 3600).status_code == 403
    rows = stored(app, "SELECT interaction_id FROM interactions WHERE NOT coalesce(is_automated, false) "
                       "ORDER BY 1", 2)
    time.sleep(0.5)
    assert [r for (r,) in stored(app, "SELECT interaction_id FROM interactions WHERE NOT coalesce(is_automated, "
                                      "false) ORDER BY 1")] == ["301", "302"] == [r for (r,) in rows]


def test_bad_bodies_are_refused_and_odd_events_quarantined(app):
    wx = WeChat(app.state.client)
    assert wx.push("not xml").status_code == 400
    xxe = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           f'<xml><ToUserName>{ACCOUNT}</ToUserName><Content>&e;</Content></xml>')
    r = wx.push(xxe)
    assert r.status_code == 400 and "root:" not in r.text  # defusedxml: no entities
    assert wx.push("<xml>" + "<a>x</a>" * 20000 + "</xml>").status_code == 413
    # An event hudong has no interaction type for (a location report) is kept in quarantine with its XML.
    assert wx.push(event("LOCATION", at=1764900100, Latitude="30.2", Longitude="120.1", Precision="65")).text == \
        "success"
    q = stored(app, "SELECT reason, raw FROM quarantine", 1)
    assert len(q) == 1 and "not one of" in q[0][0] and "'location'" in q[0][0] and "LOCATION" in q[0][1]
    assert stored(app, "SELECT count(*) FROM interactions") == [(0,)]


def test_connect_checks_the_settings(app, wxapi):
    with app.state.web.db() as ws:
        c = connectors.connector(ws, "wx")
        said = c.check()
        assert "/hooks/wechat/wx" in said and "safe or compatible" in said and "answers from the inbox are on" in said
        assert wxapi.tokens_issued == 1
        c.secrets._file = {"token": "bad token!"}
        with pytest.raises(HudongError, match="3–32 letters or digits"):
            c.check()


# ---- answers from the inbox: the customer-service API, its 48-hour window, the access_token --------------------
def test_answers_from_the_inbox_go_out_within_the_window_with_one_token(app, wxapi):
    from hudong.connectors import outbox
    from hudong.inbox import sending

    wx, now = WeChat(app.state.client), int(time.time())
    wx.push(message("text", "o_fan", now - 60, "501", Content="我的快递到哪了？"))
    wx.push(message("text", "o_old", now - 49 * 3600, "502", Content="上周的订单"))
    wx.push(message("text", "o_gone", now - 3600, "503", Content="退款"))
    wxapi.wrote("o_fan", now - 60)
    wxapi.wrote("o_old", now - 49 * 3600)
    wxapi.wrote("o_gone", now - 3600)
    stored(app, "SELECT 1 FROM interactions", 3)
    c = app.state.client
    from hudong.web import auth
    from test_web_app import csrf_in  # the pages' CSRF token
    with app.state.web.db() as ws:
        auth.add_user(ws.con, "ana", "analyst", "tea-garden-2026")
    tok = csrf_in(c.get("/login").text)
    c.post("/login", data={"username": "ana", "password": "tea-garden-2026", "csrf": tok})
    page = c.get("/inbox", params={"open": "wechat:501"}).text
    assert 'id="reply-window"' in page and 'data-open="true"' in page and 'class="act-send"' in page
    closed = c.get("/inbox", params={"open": "wechat:502"}).text
    assert 'data-open="false"' in closed and "回复窗口已关闭" in closed
    csrf = csrf_in(page)
    r = c.post("/inbox/send", data={"item": "wechat:501", "text": "已发出，预计明天送达。", "csrf": csrf},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and "reply_sent" in r.headers["location"], r.text
    assert wxapi.sent == [{"touser": "o_fan", "msgtype": "text", "text": {"content": "已发出，预计明天送达。"}}]
    # Refused before WeChat is asked: the 48-hour window since their last message has closed.
    r = c.post("/inbox/send", data={"item": "wechat:502", "text": "抱歉", "csrf": csrf})
    assert r.status_code == 400 and "within 48 hours" in r.text and len(wxapi.sent) == 1
    with app.state.web.db() as ws:
        # One token for every answer; an expired one is replaced, a stale one (another process) fetched again.
        wxapi.wrote("o_fan")
        for text in ("一", "二"):
            ws.con.execute("DELETE FROM inbox_actions")  # answer the same message again, as a new turn would
            assert sending.send_reply(ws, "wechat:501", text, by="ana", force=True)["state"] == "sent"
        assert wxapi.tokens_issued == 1
        wxapi.expire_tokens()
        assert sending.send_reply(ws, "wechat:501", "三", by="ana", force=True)["state"] == "sent"
        wxapi.fail("/cgi-bin/message/custom/send", 40001)
        assert sending.send_reply(ws, "wechat:501", "四", by="ana", force=True)["state"] == "sent"
        assert wxapi.tokens_issued == 2 and [m["text"]["content"] for m in wxapi.sent][-4:] == ["一", "二", "三", "四"]
        # WeChat's refusals, said clearly: the person unfollowed (window), answers used up, busy, IP whitelist.
        wxapi.fail("/cgi-bin/message/custom/send", 45015)
        out = sending.send_reply(ws, "wechat:503", "好的", by="ana")
        assert out["state"] == "failed" and "48 hours" in out["error"] and "45015" in out["error"]
        wxapi.wrote("o_gone")
        out = sending.send_reply(ws, "wechat:503", "五", by="ana", force=True)
        assert out["state"] == "sent"
        wxapi.answers["o_gone"] = 5
        out = sending.send_reply(ws, "wechat:503", "六", by="ana", force=True)
        assert out["state"] == "failed" and "20 answers per 48-hour window" in out["error"]
        wxapi.fail("/cgi-bin/message/custom/send", -1)
        out = sending.send_reply(ws, "wechat:501", "七", by="ana", force=True)
        assert out["state"] == "retry" and outbox.get(ws, out["action_id"])["next_attempt"] is not None
        wxapi.whitelist(False)
        out = sending.send_reply(ws, "wechat:501", "八", by="ana", force=True)
        assert out["state"] == "failed" and "IP whitelist" in out["error"]
        assert "八" not in [m["text"]["content"] for m in wxapi.sent]


def test_statistics_are_synced_once_a_day_into_accounts_and_posts(app, wxapi):
    import datetime as dt
    from zoneinfo import ZoneInfo

    y = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() - dt.timedelta(days=1)
    wxapi.followers_on(y - dt.timedelta(days=1), 1000)
    wxapi.followers_on(y, 1042)
    wxapi.article(y - dt.timedelta(days=2), "2247483650_1", "春茶上新：明前龙井", [300, 120, 40])
    wxapi.article(y, "2247483651_1", "门店周年活动", [90])
    wxapi.article(y - dt.timedelta(days=12), "2247483601_1", "too old to be re-read", [10])
    wxapi.follow_changes[(y.isoformat(), 1)] = (30, 2)  # from search
    wxapi.follow_changes[(y.isoformat(), 30)] = (20, 6)  # from the QR code
    wxapi.upstream[y.isoformat()] = (17, 25)
    with app.state.web.db() as ws:
        (res,) = connectors.sync(ws, "wx")
        assert res.error is None, res.error
        assert ws.con.execute("SELECT account_id, followers, is_own FROM accounts WHERE platform = 'wechat'"
                              ).fetchall() == [(APP, 1042, True)]
        rows = ws.con.execute("SELECT post_id, text, media_type, impressions, reach, reposts, saves, "
                              "CAST(created_at AS DATE) FROM posts ORDER BY post_id").fetchall()
        assert rows == [("2247483650_1", "春茶上新：明前龙井", "article", 460, 368, 30, 11, y - dt.timedelta(days=2)),
                        ("2247483651_1", "门店周年活动", "article", 90, 72, 6, 2, y)]
        stats = ws.con.execute("SELECT CAST(day AS DATE), followers, new_followers, lost_followers, message_users, "
                               "messages FROM account_stats WHERE platform = 'wechat' ORDER BY day").fetchall()
        assert stats == [(y - dt.timedelta(days=1), 1000, None, None, None, None), (y, 1042, 50, 8, 17, 25)]
        (growth,) = compute(ws, "follower_growth", by="day", start=y.isoformat()).to_pylist()
        assert (growth["value"], growth["new_followers"], growth["lost_followers"]) == (42, 50, 8)
        calls = list(wxapi.datacube_calls)
        assert calls[0] == ("/datacube/getusercumulate", (y - dt.timedelta(days=6)).isoformat(), y.isoformat())
        assert len(calls) == 10  # the follower total, gains and losses, messages, then one call per day for articles
        connectors.sync(ws, "wx")  # the same day again: nothing asked
        assert wxapi.datacube_calls == calls


def test_article_comments_reach_the_inbox_and_are_answered_from_it(app, wxapi):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from hudong.inbox import items as inbox
    from hudong.inbox import sending

    y = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() - dt.timedelta(days=1)
    wxapi.article(y, "2247483660_1", "春茶上新", [200])
    wxapi.article(y, "2247483660_2", "第二篇：冲泡指南", [80])
    first = wxapi.comment("2247483660_1", "o_fan", "明前龙井还有货吗？")
    for i in range(54):  # more than one page of 50
        wxapi.comment("2247483660_2", f"o_reader{i}", f"第 {i} 条留言")
    with app.state.web.db() as ws:
        (res,) = connectors.sync(ws, "wx")
        assert res.error is None, res.error
        n = ws.con.execute("SELECT count(*) FROM interactions WHERE type = 'comment' AND is_inbound").fetchone()[0]
        assert n == 55
        item = f"wechat:2247483660_1:{first}"
        assert ws.con.execute("SELECT target_post_id, text FROM interactions WHERE interaction_id = ?",
                              [item.split(":", 1)[1]]).fetchone() == ("2247483660_1", "明前龙井还有货吗？")
        # Answered from the inbox: the reply goes under the comment (one per comment, as WeChat allows) …
        out = sending.send_reply(ws, item, "有的，今天下单明天发货。", by="ana")
        assert out["state"] == "sent", out
        c = wxapi.comments[(2247483660, 0)][0]
        assert c["reply"]["content"] == "有的，今天下单明天发货。"
        again = sending.send_reply(ws, item, "补充一句", by="lee", force=True)
        assert again["state"] == "failed" and "already has a reply" in again["error"]
        # … and the next sync brings it back as the staff reply that answers the comment.
        (res,) = connectors.sync(ws, "wx")
        assert res.error is None
        assert ws.con.execute("SELECT type, parent_id, by_staff FROM interactions WHERE interaction_id = ?",
                              [f"2247483660_1:{first}:reply"]).fetchone() == ("reply", f"2247483660_1:{first}", True)
        left = {i["id"] for i in inbox.list_items(ws, inbox.InboxQuery(platform="wechat", limit=500))["items"]}
        assert item not in left and len(left) == 54
        wxapi.delete_comment("2247483660_2", 3)  # the commenter deleted it before the answer went out
        out = sending.send_reply(ws, "wechat:2247483660_2:3", "谢谢", by="ana")
        assert out["state"] == "failed" and "deleted the comment" in out["error"]
        # Comment management from the conversation: elect (精选: every reader sees it), hide (deleted from the article).
        assert sending.act_on_item(ws, "wechat:2247483660_2:1", "elect", by="ana")["state"] == "sent"
        assert sending.act_on_item(ws, "wechat:2247483660_2:2", "hide", by="ana")["state"] == "sent"
        listed = {c["user_comment_id"]: c for c in wxapi.comments[(2247483660, 1)] if not c.get("deleted")}
        assert listed[1]["comment_type"] == 1 and 2 not in listed
        assert sending.item_connectors(ws, "elect") == {"wechat": "wx"}


def _publishing_workspace(tmp_path, wxapi, **settings) -> Workspace:
    d = tmp_path / "pub"
    Workspace.init(d).close()
    (d / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(64))
    extra = "".join(f'{k} = "{v}"\n' for k, v in settings.items())
    with open(d / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[connectors.wx]\ntype = "wechat"\napp_id = "{APP}"\napi = "{wxapi.url}"\n{extra}')
    (d / "secrets.toml").write_text(f'[wx]\ntoken = "{TOKEN}"\napp_secret = "{SECRET}"\n')
    (d / "secrets.toml").chmod(0o600)
    return Workspace.open(d)


def _scheduled(ws, text: str, title: str | None, at) -> str:
    it = items.create(ws, platform="wechat", by="rita", text=text, title=title, state="draft", owner="rita")
    items.act(ws, it["item_id"], "submit", "rita")
    items.act(ws, it["item_id"], "approve", "ana", role="analyst")
    items.act(ws, it["item_id"], "schedule", "rita", at=at)
    return it["item_id"]


def test_the_calendar_publishes_an_article_once_even_while_wechat_is_still_publishing(tmp_path, wxapi):
    """#16.2 on WeChat (发布能力): the cover is uploaded once as permanent material, the article saved as a draft and
    submitted; while WeChat says 发布中 the outbox waits and asks again without submitting a second time; then the
    item is published with the article's permanent link. A title-less item goes out by hand (reminded, with why);
    without a cover, publishing is off (the owner is reminded)."""
    ws = _publishing_workspace(tmp_path, wxapi, cover="cover.png", publish_wait_seconds="0.2")
    try:
        at = dt.datetime.now().replace(microsecond=0) + dt.timedelta(minutes=1)
        iid = _scheduled(ws, "立冬喝什么茶?\n红茶、熟普和桂花乌龙,暖胃又回甘。", "立冬喝茶指南", at)
        bare = _scheduled(ws, "没有标题的一条", None, at)
        wxapi.publish_polls = 10**6  # WeChat keeps saying 发布中 for now
        first = publishing.run(ws, now=at)
        assert first.queued == [iid] and first.reminded == [bare]
        assert "needs a title" in items.get(ws, bare)["events"][-1]["note"]
        assert items.get(ws, iid)["state"] == "scheduled" and len(wxapi.jobs) == 1
        row = outbox.get(ws, items.get(ws, iid)["outbox_id"])
        assert row["state"] == "approved" and "still publishing" in row["error"]  # to be asked again
        job = next(iter(wxapi.jobs.values()))
        job["polls_left"] = 0  # the job finishes
        outbox.send_due(ws, now=dt.datetime.now() + dt.timedelta(hours=1))
        publishing.run(ws, now=at + dt.timedelta(minutes=2))
        it = items.get(ws, iid)
        assert it["state"] == "published" and it["url"].startswith("https://mp.weixin.qq.com/s/"), it
        assert len(wxapi.jobs) == 1 and len(wxapi.drafts) == 1 and len(wxapi.materials) == 1  # submitted once
        (article,) = wxapi.published
        assert article["title"] == "立冬喝茶指南" and article["content"].count("<p>") == 2
        assert article["thumb_media_id"] in wxapi.materials and it["post_id"] == article["article_id"]
        # the next article reuses the uploaded cover; WeChat's review refuses it: failed with the reason
        wxapi.publish_polls, wxapi.publish_verdict = 0, 4
        refused = _scheduled(ws, "第二篇", "第二篇文章", at + dt.timedelta(minutes=3))
        out = publishing.run(ws, now=at + dt.timedelta(minutes=3))
        failed = [e["note"] for e in items.get(ws, refused)["events"] if e["action"] == "failed"]
        assert out.failed == [refused] and "审核不通过" in failed[0]
        assert len(wxapi.materials) == 1
    finally:
        ws.close()
    off = _publishing_workspace(tmp_path / "off", wxapi)  # no cover: publishing is not on
    try:
        assert "wechat" not in connectors.platform_connectors(off, "publish")
        with pytest.raises(HudongError, match="settings do not allow"):
            outbox.queue(off, "wx", "publish", by="rita", text="x", title="t")
    finally:
        off.close()
