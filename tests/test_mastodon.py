"""The Mastodon connector end to end against a stand-in server: no real Mastodon installs here (Ruby, Postgres,
Redis, Sidekiq), so the tests run `mastodon_mock` (PyPI, a stateful FastAPI server of the documented REST API,
started in-process on loopback). People post, reply, favourite, boost, follow and write direct messages through
its HTTP API; hudong syncs, replies from the inbox and reads the replies back. What the stand-in does not do as
a real server would (it enforces no blocks, accepts replies to deleted statuses) is in tests/mastodon/README.md;
the connector checks those itself before acting, and these tests exercise those checks.
"""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from conftest import drops
from hudong import connectors
from hudong.connectors import mastodon as M
from hudong.connectors import outbox
from hudong.connectors.base import CONNECTED, CredentialsRefused
from hudong.connectors.http import Http
from hudong.inbox import sending
from hudong.metrics import compute
from hudong.store.workspace import Workspace

mock = pytest.importorskip("mastodon_mock.testing", reason="mastodon-mock is a test dependency (pip install -e .[test])")
from mastodon_mock.config import SeedAccount, SeedConfig  # noqa: E402

PEOPLE = ("brand", "fan", "critic", "pal")


class Person:
    """An account on the stand-in server, acting through its REST API as a person would in an app."""

    def __init__(self, base: str, name: str):
        self.base, self.name, self.token = base, name, f"{name}_tok"
        self.id = self.get("/api/v1/accounts/verify_credentials")["id"]

    def _h(self) -> dict:
        return {"authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params):
        r = httpx.get(self.base + path, params=params, headers=self._h(), timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, text: str, reply_to: str | None = None, visibility: str = "public") -> str:
        data = {"status": text, "visibility": visibility, **({"in_reply_to_id": reply_to} if reply_to else {})}
        r = httpx.post(self.base + "/api/v1/statuses", data=data, headers=self._h(), timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["id"]

    def do(self, path: str, method: str = "POST", **kw) -> dict:
        r = httpx.request(method, self.base + path, headers=self._h(), timeout=10, **kw)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def server():
    seed = SeedConfig(accounts=[SeedAccount(username=u, display_name=u.title(), access_token=f"{u}_tok")
                                for u in PEOPLE])
    with mock.MockServer(seed=seed) as srv:
        yield srv


@pytest.fixture
def people(server):
    return {u: Person(server.base_url, u) for u in PEOPLE}


def brand_workspace(tmp_path, server, extra: str = "") -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    with open(ws.path / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[connectors.masto]\ntype = "mastodon"\ninstance = "{server.base_url}"\n{extra}')
    sf = ws.path / "secrets.toml"
    sf.write_text('[masto]\ntoken = "brand_tok"\n')
    sf.chmod(0o600)
    ws.close()
    return Workspace.open(tmp_path / "ws")


def rows(ws: Workspace, sql: str) -> list[tuple]:
    return ws.con.execute(sql).fetchall()


def test_listen_reply_and_answer_a_dm_from_the_inbox(server, people, tmp_path):
    brand, fan, critic, pal = (people[u] for u in PEOPLE)
    ws = brand_workspace(tmp_path, server, 'hashtags = ["oatlatte"]\n')
    try:
        aid = outbox.queue(ws, "masto", "publish", by="ana", text="Our new #oatlatte is here")
        assert [x.state for x in outbox.send_due(ws)] == ["sent"]
        post = outbox.get(ws, aid)["platform_id"]
        comment = fan.post("@brand Love it! Is there a sugar-free one?", reply_to=post)
        fan.do(f"/api/v1/statuses/{post}/favourite")
        fan.do(f"/api/v1/statuses/{post}/reblog")
        fan.do(f"/api/v1/accounts/{brand.id}/follow")
        critic.post("@brand my order never arrived, terrible service")
        dm = fan.post("@brand where is my refund? order 1234", visibility="direct")
        pal.post("the #oatlatte at the station was cold")

        res = connectors.sync(ws)[0]
        assert res.error is None and res.quarantined == 0, res
        assert rows(ws, "SELECT post_id, likes, comments, reposts, is_ugc FROM posts WHERE NOT is_ugc") == [
            (post, 1, 1, 1, False)]
        kinds = dict(rows(ws, "SELECT type, count(*) FROM interactions GROUP BY type"))
        assert kinds == {"like": 1, "repost": 1, "follow": 1, "comment": 1, "mention": 1, "dm": 1}, kinds
        assert rows(ws, f"SELECT type, parent_id, target_post_id FROM interactions WHERE interaction_id = '{comment}'"
                    ) == [("comment", None, post)]
        assert [t for (t,) in rows(ws, "SELECT text FROM interactions WHERE type = 'dm'")] == [
            "@brand where is my refund? order 1234"]  # HTML made plain text
        ugc = sorted(t for (t,) in rows(ws, "SELECT text FROM posts WHERE is_ugc"))
        assert ugc == ["@brand my order never arrived, terrible service", "the #oatlatte at the station was cold"]
        actors = {a for (a,) in rows(ws, "SELECT actor_id FROM interactions")}
        assert fan.id not in actors and all(a.startswith("u_") for a in actors)  # pseudonymised
        assert {h for (h,) in rows(ws, "SELECT handle FROM contacts")} >= {"fan", "critic"}

        # From the inbox: the comment is answered in its thread, the DM with a direct message.
        out = sending.send_reply(ws, f"mastodon:{comment}", "Yes! Ask for the sugar-free syrup.", by="ana")
        assert out["state"] == "sent", out
        (reply,) = fan.get(f"/api/v1/statuses/{comment}/context")["descendants"]
        assert reply["in_reply_to_id"] == comment and reply["visibility"] == "public"
        assert M.plain_text(reply["content"]) == "@fan Yes! Ask for the sugar-free syrup."  # the author is notified
        out = sending.send_reply(ws, f"mastodon:{dm}", "Refunded today, sorry for the wait.", by="ana")
        assert out["state"] == "sent", out
        answer = fan.get(f"/api/v1/statuses/{out['platform_id']}")
        assert answer["visibility"] == "direct" and answer["in_reply_to_id"] == dm

        # The next sync brings both answers back as staff messages: the clock stops at their time.
        assert connectors.sync(ws)[0].error is None
        staff = dict(rows(ws, "SELECT type, count(*) FROM interactions WHERE by_staff GROUP BY type"))
        assert staff == {"reply": 1, "dm": 1}
        (rate,) = compute(ws, "response_rate").to_pylist()
        assert (rate["answered"], rate["turns"]) == (2, 3)  # the critic's mention is still unanswered
    finally:
        ws.close()


def test_sync_is_incremental_exactly_once_and_backfills(server, people, tmp_path):
    brand, fan = people["brand"], people["fan"]
    ws = brand_workspace(tmp_path, server)
    try:
        first = brand.post("first post")
        fan.post("@brand nice", reply_to=first)
        assert connectors.sync(ws)[0].error is None
        counts = rows(ws, "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM interactions)")
        assert counts == [(1, 1)]
        again = connectors.sync(ws)[0]
        assert again.error is None and again.stored == 0
        for i in range(45):  # more than one page (40) of notifications
            fan.post(f"@brand reply {i}", reply_to=first)
        more = connectors.sync(ws)[0]
        assert more.error is None and more.stored == 45
        assert rows(ws, "SELECT count(*), count(DISTINCT interaction_id) FROM interactions") == [(46, 46)]
        back = connectors.sync(ws, since=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))[0]
        assert back.error is None and back.rows_read >= 47 and back.stored == 0
    finally:
        ws.close()


def quick_retries(monkeypatch, transport: httpx.BaseTransport | None = None, timeout: float = 20) -> None:
    def http(self):
        if self._http is None:
            self._http = Http(self.instance, who="test", transport=transport, timeout=timeout, first_wait=0.01,
                              sleep=lambda s: None)
        return self._http

    monkeypatch.setattr(M.MastodonConnector, "http", property(http))


def fault(server, path: str, effect: dict, count: int, methods=("GET",)) -> None:
    r = httpx.post(server.base_url + "/api/v1/_mock/faults",
                   json={"match": {"methods": list(methods), "path": path}, "effect": effect, "count": count})
    assert r.status_code == 200, r.text


def test_500s_429s_timeouts_and_a_network_gone_mid_sync_lose_and_duplicate_nothing(server, people, tmp_path,
                                                                                     monkeypatch):
    brand, fan = people["brand"], people["fan"]
    ws = brand_workspace(tmp_path, server)
    try:
        p = brand.post("hello")
        for i in range(3):
            fan.post(f"@brand reply {i}", reply_to=p)
        fan.do(f"/api/v1/accounts/{brand.id}/follow")
        quick_retries(monkeypatch, timeout=1.0)
        fault(server, "/api/v1/notifications", {"type": "status", "status": 500}, 2)
        fault(server, f"/api/v1/accounts/{brand.id}/statuses",
              {"type": "status", "status": 429, "headers": {"Retry-After": "0"}}, 1)
        fault(server, "/api/v1/conversations", {"type": "timeout"}, 1)  # held past the client's 1 s timeout
        res = connectors.sync(ws)[0]
        assert res.error is None, res.error
        assert rows(ws, "SELECT count(*) FROM interactions") == [(4,)]

        fan.post("@brand reply 3", reply_to=p)
        monkeypatch.undo()
        quick_retries(monkeypatch, drops(down_from=3))  # the account, its statuses … then the network is gone
        res = connectors.sync(ws)[0]
        assert res.error and "ConnectError" in res.error and res.batches >= 1
        assert rows(ws, "SELECT count(*) FROM interactions") == [(4,)]
        monkeypatch.undo()
        res = connectors.sync(ws)[0]  # back: the run picks up after the last committed batch
        assert res.error is None
        assert rows(ws, "SELECT count(*), count(DISTINCT interaction_id) FROM interactions") == [(5, 5)]
    finally:
        ws.close()


def test_a_malformed_payload_is_quarantined_with_its_raw_json(server, people, tmp_path):
    brand = people["brand"]
    ws = brand_workspace(tmp_path, server)
    try:
        p = brand.post("hello")
        broken = [{"id": "9999999999999", "type": "favourite", "created_at": "2026-12-05T10:00:00.000Z",
                   "account": None, "status": {"id": p}}]  # a favourite whose account the server lost
        fault(server, "/api/v1/notifications", {"type": "status", "status": 200, "body": broken}, 1)
        res = connectors.sync(ws)[0]
        assert res.error is None and res.quarantined == 1, res
        ((col, raw),) = rows(ws, "SELECT column_name, raw FROM quarantine")
        assert col == "actor_id" and json.loads(raw)["raw"]["id"] == "9999999999999"
        assert rows(ws, "SELECT count(*) FROM interactions") == [(0,)]
    finally:
        ws.close()


def test_a_revoked_token_pauses_the_connector_until_connect(server, people, tmp_path, monkeypatch):
    ws = brand_workspace(tmp_path, server)
    try:
        assert connectors.sync(ws)[0].error is None
        r = httpx.post(server.base_url + "/oauth/revoke", data={"token": "brand_tok"})
        assert r.status_code == 200
        res = connectors.sync(ws)[0]
        assert "refused the access token" in res.error and "hudong connect masto" in res.error
        assert connectors.state(ws)["masto"]["paused"]
        t = drops()
        quick_retries(monkeypatch, t)
        assert connectors.sync(ws)[0].error.startswith("paused:") and t.n == 0  # not retried
        monkeypatch.undo()
        with pytest.raises(CredentialsRefused):
            connectors.connect(ws, "masto")
        token = httpx.post(server.base_url + "/api/v1/_mock/login", json={"username": "brand"}).json()["access_token"]
        (ws.path / "secrets.toml").write_text(f'[masto]\ntoken = "{token}"\n')
        assert "@brand" in connectors.connect(ws, "masto")
        assert connectors.state(ws)["masto"]["paused"] is None and connectors.sync(ws)[0].error is None
    finally:
        ws.close()


def test_actions_are_never_sent_twice_and_conflicts_are_clear(server, people, tmp_path):
    brand, fan = people["brand"], people["fan"]
    ws = brand_workspace(tmp_path, server)
    try:
        c = connectors.connector(ws, "masto")
        q = fan.post("@brand a question")
        queued = dt.datetime.now(dt.UTC).isoformat()
        one = c.act("reply", idempotency_key="hd-0123456789abcdef", queued_at=queued, target=q, text="answer")
        two = c.act("reply", idempotency_key="hd-0123456789abcdef", queued_at=queued, target=q, text="answer")
        assert one == two  # the server kept the Idempotency-Key
        assert len(fan.get(f"/api/v1/statuses/{q}/context")["descendants"]) == 1
        assert c.confirm("reply", idempotency_key="hd-0123456789abcdef", queued_at=queued, target=q,
                         text="answer")["platform_id"] == one["platform_id"]  # a resend would find it
        assert c.confirm("reply", idempotency_key="hd-x", queued_at=queued, target=q, text="never sent") is None

        c.act("like", idempotency_key="hd-like", target=q)
        c.act("like", idempotency_key="hd-like", target=q)
        assert fan.get(f"/api/v1/statuses/{q}")["favourites_count"] == 1

        c.act("delete", idempotency_key="hd-undo", target=one["platform_id"])  # undo the reply
        assert fan.get(f"/api/v1/statuses/{q}/context")["descendants"] == []
        c.act("delete", idempotency_key="hd-undo", target=one["platform_id"])  # again: already gone, no error

        gone = fan.post("@brand deleted soon")
        fan.do(f"/api/v1/statuses/{gone}", method="DELETE")
        with pytest.raises(M.HudongError, match="was deleted on Mastodon"):
            c.act("reply", idempotency_key="hd-late", target=gone, text="too late")
        fan.do(f"/api/v1/accounts/{brand.id}/block")
        with pytest.raises(M.HudongError, match="block each other"):
            c.act("reply", idempotency_key="hd-blocked", target=q, text="hello?")
        with pytest.raises(M.HudongError, match="at most 500 characters"):
            c.act("publish", idempotency_key="hd-long", text="x" * 501)
    finally:
        ws.close()


def test_the_streaming_api_wakes_a_sync_that_brings_a_mention_in_seconds(server, people, tmp_path):
    """The user stream (SSE, found through /api/v2/instance) says a mention arrived; `hudong serve`, polling only
    every 10 minutes, syncs the connector at once: the mention is in the inbox within seconds."""
    import threading
    import time

    from fastapi.testclient import TestClient

    from hudong.web.app import create_app

    fan = people["fan"]
    ws = brand_workspace(tmp_path, server, "\n[sync]\nevery_minutes = 10\n")
    c = connectors.connector(ws, "masto")
    assert c.streams and c.streaming_base() == server.base_url  # ws://… from the instance, read as http://…
    got: list[str] = []
    stop, opened = threading.Event(), threading.Event()

    def listen():
        for why in c.watch(stop):
            if why == CONNECTED:  # the stream is open: what comes now is pushed
                opened.set()
                continue
            got.append(why)
            return  # closing the generator closes the stream

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert opened.wait(10)
    fan.post("@brand is the shop open on Sunday?")
    t.join(15)
    assert got == ["notification"] or got == ["update"], got
    connectors.sync(ws)  # what the stream announced, and the backlog, are in
    ws.close()

    fault(server, "/api/v1/streaming/user", {"type": "status", "status": 502}, 1)  # the first connection fails: reopened after 1 s
    app = create_app(tmp_path / "ws", warm=False)
    with TestClient(app) as client:
        st = app.state.web
        deadline = time.monotonic() + 20
        while st.sync_streams.get("masto", {}).get("state") != "open" and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # the server's stream is subscribed
        posted = time.monotonic()
        mention = fan.post("@brand my parcel is damaged")
        found = None
        while time.monotonic() < deadline:
            with st.db() as w:
                found = w.con.execute("SELECT count(*) FROM interactions WHERE interaction_id = ?", [mention]
                                      ).fetchone()[0]
            if found:
                break
            time.sleep(0.1)
        lag = time.monotonic() - posted
        assert found == 1, st.sync_streams
        assert lag < 10, lag  # a poll every 10 minutes could not have brought it
        while st.sync_last is None and time.monotonic() < deadline + 10:
            time.sleep(0.1)  # the round records itself after the outbox pass
        assert st.sync_streams["masto"]["events"] >= 1 and st.sync_last["trigger"] == "stream"
        from hudong.web import auth

        with st.db() as w:
            auth.add_user(w.con, "ana", "analyst", "tea-garden-2026")
            token = auth.new_token(w.con, "ana")
        body = client.get("/api/connectors", headers={"Authorization": f"Bearer {token}"}).json()
        assert body["streams"]["masto"]["state"] == "open" and body["streams"]["masto"]["events"] >= 1
        assert body["streams"]["masto"]["drops"] == 1 and body["streams"]["masto"]["error"] is None
