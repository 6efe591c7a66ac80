"""The Reddit connector end to end against a stand-in server (tests/reddit/reddit_api.py): Reddit cannot be installed
or reached here, so a loopback server answers the documented endpoints in Reddit's response shapes (listings,
the inbox, ``{"json": {"errors": …}}``, the rate-limit headers). People post, comment, mention and message through
it; hudong syncs, replies from the inbox and reads the replies back."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import drops
from hudong import connectors
from hudong.connectors import outbox
from hudong.connectors import reddit as R
from hudong.connectors.base import CredentialsRefused
from hudong.connectors.http import Http
from hudong.errors import HudongError
from hudong.inbox import sending
from hudong.metrics import compute
from hudong.store.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parent / "reddit"))
from reddit_api import CLIENT, Reddit  # noqa: E402

BRAND = "acme_official"


@pytest.fixture
def reddit():
    r = Reddit({BRAND: "brand-pw", "fan": "pw", "critic": "pw"})
    yield r
    r.close()


def brand_workspace(tmp_path, reddit: Reddit, extra: str = "") -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    with open(ws.path / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[connectors.rd]\ntype = "reddit"\nusername = "{BRAND}"\napi = "{reddit.url}"\n'
                f'token_url = "{reddit.url}/api/v1/access_token"\nsubreddits = ["acmecoffee"]\n'
                f'publish_to = "acmecoffee"\n{extra}')
    sf = ws.path / "secrets.toml"
    sf.write_text(f'[rd]\nclient_id = "{CLIENT[0]}"\nclient_secret = "{CLIENT[1]}"\npassword = "brand-pw"\n')
    sf.chmod(0o600)
    ws.close()
    return Workspace.open(tmp_path / "ws")


def rows(ws: Workspace, sql: str) -> list[tuple]:
    return ws.con.execute(sql).fetchall()


def test_listen_reply_and_answer_a_message_from_the_inbox(reddit, tmp_path):
    ws = brand_workspace(tmp_path, reddit, 'search = ["acme"]\n')
    try:
        aid = outbox.queue(ws, "rd", "publish", by="ana", text="Winter menu\nThe oat latte is back.")
        assert [x.state for x in outbox.send_due(ws)] == ["sent"]
        post = outbox.get(ws, aid)["platform_id"]
        comment = reddit.comment("fan", post, "Is there a sugar-free one?")
        reddit.comment("critic", comment["name"], f"u/{BRAND} my order never arrived")
        pm = reddit.message("fan", BRAND, "refund", "Where is my refund? order 1234")
        reddit.post("critic", "acmecoffee", "acme latte at the station was cold")

        res = connectors.sync(ws)[0]
        assert res.error is None and res.quarantined == 0, res
        assert rows(ws, "SELECT post_id, comments, is_ugc FROM posts WHERE NOT is_ugc") == [(post, 2, False)]
        kinds = dict(rows(ws, "SELECT type, count(*) FROM interactions GROUP BY type"))
        assert kinds == {"comment": 1, "mention": 1, "dm": 1}, kinds
        assert rows(ws, f"SELECT parent_id, target_post_id FROM interactions WHERE interaction_id = "
                        f"'{comment['name']}'") == [(None, post)]
        assert rows(ws, "SELECT text FROM interactions WHERE type = 'dm'") == [("refund\n\nWhere is my refund? "
                                                                               "order 1234",)]
        ugc = sorted(t for (t,) in rows(ws, "SELECT text FROM posts WHERE is_ugc"))
        assert ugc == ["Is there a sugar-free one?", "acme latte at the station was cold",
                       f"u/{BRAND} my order never arrived"]  # the subreddit's discussion, searched post once
        tree = rows(ws, f"SELECT parent_id, root_id FROM posts WHERE post_id = '{comment['name']}'")
        assert tree == [(post, post)]  # comments keep their place in the discussion tree
        actors = {a for (a,) in rows(ws, "SELECT actor_id FROM interactions")}
        assert "fan" not in actors and all(a.startswith("u_") for a in actors)  # pseudonymised
        assert {h for (h,) in rows(ws, "SELECT handle FROM contacts")} >= {"fan", "critic"}

        out = sending.send_reply(ws, f"reddit:{comment['name']}", "Yes! Ask for the sugar-free syrup.", by="ana")
        assert out["state"] == "sent", out
        made = reddit.things[out["platform_id"]]["data"]
        assert made["parent_id"] == comment["name"] and made["author"] == BRAND
        out = sending.send_reply(ws, f"reddit:{pm['name']}", "Refunded today, sorry for the wait.", by="ana")
        assert out["state"] == "sent", out
        answer = reddit.things[out["platform_id"]]["data"]
        assert answer["dest"] == "fan" and answer["parent_id"] == pm["name"]

        assert connectors.sync(ws)[0].error is None  # the answers come back as staff messages
        assert dict(rows(ws, "SELECT type, count(*) FROM interactions WHERE by_staff GROUP BY type")) == {
            "reply": 1, "dm": 1}
        (rate,) = compute(ws, "response_rate").to_pylist()
        assert (rate["answered"], rate["turns"]) == (2, 3)  # the critic's mention is still unanswered
    finally:
        ws.close()


def test_sync_is_incremental_exactly_once_and_backfills(reddit, tmp_path):
    ws = brand_workspace(tmp_path, reddit)
    try:
        post = reddit.post(BRAND, "acmecoffee", "first post")
        reddit.comment("fan", post["name"], "nice")
        assert connectors.sync(ws)[0].error is None
        counts = rows(ws, "SELECT (SELECT count(*) FROM interactions), (SELECT count(*) FROM posts)")
        assert counts == [(1, 2)]  # the comment: an inbox item and a post in the subreddit's tree
        assert connectors.sync(ws)[0].stored == 0
        for i in range(120):  # more than one page (100)
            reddit.comment("fan", post["name"], f"reply {i}")
        more = connectors.sync(ws)[0]
        assert more.error is None
        assert rows(ws, "SELECT count(*), count(DISTINCT interaction_id) FROM interactions") == [(121, 121)]
        back = connectors.sync(ws, since=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))[0]
        assert back.error is None and back.rows_read >= 243 and back.stored == 0
    finally:
        ws.close()


def quick_retries(monkeypatch, transport: httpx.BaseTransport | None = None) -> None:
    def client(self, base):
        return Http(base, who="test", transport=transport, first_wait=0.01, sleep=lambda s: None)

    monkeypatch.setattr(R.RedditConnector, "_client", client)


def test_500s_429s_and_a_network_gone_mid_sync_lose_and_duplicate_nothing(reddit, tmp_path, monkeypatch):
    ws = brand_workspace(tmp_path, reddit)
    try:
        post = reddit.post(BRAND, "acmecoffee", "hello")
        for i in range(3):
            reddit.comment("fan", post["name"], f"reply {i}")
        quick_retries(monkeypatch)
        reddit.fail("/message/inbox", 500, 2)
        reddit.fail("/user/", 429, 1, headers={"retry-after": "0"})
        res = connectors.sync(ws)[0]
        assert res.error is None, res.error
        assert rows(ws, "SELECT count(*) FROM interactions") == [(3,)]

        reddit.comment("fan", post["name"], "reply 3")
        monkeypatch.undo()
        quick_retries(monkeypatch, drops(down_from=4))  # token, profile, own posts … then the network is gone
        res = connectors.sync(ws)[0]
        assert res.error and "ConnectError" in res.error and res.batches >= 1
        assert rows(ws, "SELECT count(*) FROM interactions") == [(3,)]
        monkeypatch.undo()
        assert connectors.sync(ws)[0].error is None
        assert rows(ws, "SELECT count(*), count(DISTINCT interaction_id) FROM interactions") == [(4, 4)]

        reddit.fail("/api/comment", 200, 1, body={"json": {"errors": [
            ["RATELIMIT", "you are doing that too much. try again in 5 minutes.", "ratelimit"]]}})
        (last,) = rows(ws, "SELECT interaction_id FROM interactions ORDER BY created_at DESC LIMIT 1")
        out = sending.send_reply(ws, f"reddit:{last[0]}", "Thanks!", by="ana")
        assert out["state"] == "retry" and "RATELIMIT" in out["detail"]  # the outbox tries again later
    finally:
        ws.close()


def test_a_malformed_payload_is_quarantined_with_its_raw_json(reddit, tmp_path):
    ws = brand_workspace(tmp_path, reddit)
    try:
        broken = {"kind": "Listing", "data": {"after": None, "children": [{"kind": "t1", "data": {
            "name": "t1_zzz", "type": "post_reply", "was_comment": True, "body": "hi", "created_utc": time.time() - 10}}]}}
        reddit.fail("/message/inbox", 200, 1, body=broken)  # a reply whose author the server lost
        res = connectors.sync(ws)[0]
        assert res.error is None and res.quarantined == 1, res
        ((col, raw),) = rows(ws, "SELECT column_name, raw FROM quarantine")
        assert col == "actor_id" and json.loads(raw)["raw"]["name"] == "t1_zzz"
    finally:
        ws.close()


def test_a_changed_password_pauses_the_connector_until_connect(reddit, tmp_path, monkeypatch):
    ws = brand_workspace(tmp_path, reddit)
    try:
        assert connectors.sync(ws)[0].error is None
        reddit.revoke(BRAND)
        res = connectors.sync(ws)[0]
        assert "Reddit refused the user name or password" in res.error and "hudong connect rd" in res.error
        assert connectors.state(ws)["rd"]["paused"]
        t = drops()
        quick_retries(monkeypatch, t)
        assert connectors.sync(ws)[0].error.startswith("paused:") and t.n == 0
        monkeypatch.undo()
        with pytest.raises(CredentialsRefused):
            connectors.connect(ws, "rd")
        reddit.users[BRAND]["password"] = "new-pw"
        (ws.path / "secrets.toml").write_text(f'[rd]\nclient_id = "{CLIENT[0]}"\nclient_secret = "{CLIENT[1]}"\n'
                                              'password = "new-pw"\n')
        assert f"u/{BRAND}" in connectors.connect(ws, "rd")
        assert connectors.sync(ws)[0].error is None
    finally:
        ws.close()


def test_actions_are_never_sent_twice_and_conflicts_are_clear(reddit, tmp_path):
    ws = brand_workspace(tmp_path, reddit)
    try:
        c = connectors.connector(ws, "rd")
        post = reddit.post("fan", "acmecoffee", "a question")
        one = c.act("reply", idempotency_key="hd-1", target=post["name"], text="an answer")
        assert c.confirm("reply", idempotency_key="hd-1", target=post["name"], text="an answer") == one
        assert c.confirm("reply", idempotency_key="hd-2", target=post["name"], text="never sent") is None
        # the outbox resends a non-idempotent action only after confirm() found nothing: never two answers
        aid = outbox.queue(ws, "rd", "reply", by="ana", target=post["name"], text="an answer")
        ws.con.execute("UPDATE outbox SET state = 'sending' WHERE action_id = ?", [aid])  # a crash after sending
        assert [s.state for s in outbox.send_due(ws)] == ["sent"] and outbox.get(ws, aid)["platform_id"] == \
            one["platform_id"]
        assert sum(t["data"].get("parent_id") == post["name"] for t in reddit.things.values()) == 1

        gone = reddit.comment("fan", post["name"], "deleted soon")
        reddit.delete(gone["name"])
        with pytest.raises(HudongError, match="was deleted or removed on Reddit"):
            c.act("reply", idempotency_key="hd-3", target=gone["name"], text="too late")
        reddit.things[post["name"]]["data"]["locked"] = True
        with pytest.raises(HudongError, match="locked"):
            c.act("reply", idempotency_key="hd-4", target=post["name"], text="hello?")
        other = reddit.post("critic", "acmecoffee", "another")
        reddit.block("critic", BRAND)
        with pytest.raises(HudongError, match="USER_BLOCKED"):
            c.act("reply", idempotency_key="hd-5", target=other["name"], text="hi")
        with pytest.raises(HudongError, match="TOO_LONG"):
            c.act("reply", idempotency_key="hd-6", target=reddit.post("fan", "acmecoffee", "x")["name"],
                  text="x" * 10001)
        c.act("delete", idempotency_key="hd-7", target=one["platform_id"])
        assert reddit.things[one["platform_id"]]["data"]["body"] == "[deleted]"
    finally:
        ws.close()
