"""The Bluesky connector end to end against a real AT Protocol network (the reference PDS + AppView of
@atproto/dev-env, started on loopback by tests/atnet/network.py): accounts post as users, hudong syncs, an operator
replies from the inbox through the outbox, and the reply is read back from the AppView.

On a machine without the network installed (`make atnet`) these tests skip with the reason; in CI they fail.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import httpx
import pytest

from hudong import connectors
from hudong.connectors import bluesky as B
from hudong.connectors import outbox
from hudong.connectors.base import CONNECTED, CredentialsRefused
from hudong.connectors.http import Http
from hudong.metrics import compute
from hudong.store.workspace import Workspace

sys.path.insert(0, str(Path(__file__).parent / "atnet"))
import network as atnet  # noqa: E402
from network import Person, wait_for  # noqa: E402


@pytest.fixture(scope="module")
def net():
    reason = atnet.unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Bluesky end-to-end tests: {reason}")
        pytest.skip(reason)
    n = atnet.Network()
    yield n
    n.stop()


def brand_workspace(tmp_path: Path, net: atnet.Network, brand: Person, *, search: str = "", name: str = "bsky"
                    ) -> Workspace:
    ws = Workspace.init(tmp_path / "ws")
    terms = f"search = [{json.dumps(search)}]\n" if search else ""
    with open(ws.path / "hudong.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[connectors.{name}]\ntype = "bluesky"\nhandle = "{brand.handle}"\nservice = "{net.pds}"\n'
                f'web = "https://bsky.app"\n{terms}')
    wait_for(lambda: brand.get("app.bsky.actor.getProfile", actor=brand.did))  # the AppView knows the account
    sf = ws.path / "secrets.toml"
    sf.write_text(f'[{name}]\napp_password = "{brand.app_password()}"\n')
    sf.chmod(0o600)
    ws.close()
    return Workspace.open(tmp_path / "ws")


def rows(ws: Workspace, sql: str) -> list[tuple]:
    return ws.con.execute(sql).fetchall()


def settle(brand: Person, notifications: int) -> None:
    """Wait until the AppView has indexed what the people did (the sync reads the AppView)."""
    try:
        wait_for(lambda: len(brand.get("app.bsky.notification.listNotifications")["notifications"]) >= notifications)
    except TimeoutError:
        got = brand.get("app.bsky.notification.listNotifications")["notifications"]
        raise TimeoutError(f"{len(got)} of {notifications} notifications: {[n['reason'] for n in got]}") from None


def test_listen_reply_from_the_inbox_and_read_it_back(net, tmp_path):
    brand, fan, critic = Person(net, "brand"), Person(net, "fan"), Person(net, "critic")
    ws = brand_workspace(tmp_path, net, brand, search="oatlatte")
    try:
        # The brand publishes from hudong (the outbox), people react on the platform.
        aid = outbox.queue(ws, "bsky", "publish", by="ana", text="Our new #oatlatte is here https://example.com/menu")
        assert [x.state for x in outbox.send_due(ws)] == ["sent"]
        post_uri = outbox.get(ws, aid)["platform_id"]
        post = wait_for(lambda: brand.get("app.bsky.feed.getPosts", uris=[post_uri])["posts"])[0]
        assert [f["features"][0]["$type"] for f in post["record"]["facets"]] == [
            "app.bsky.richtext.facet#link", "app.bsky.richtext.facet#tag"]
        ref = {"uri": post["uri"], "cid": post["cid"]}
        fan.like(ref)
        fan.follow(brand)
        comment = fan.post("Love it! Is there a sugar-free one?", reply_to=ref)
        critic.post(f"@{brand.handle} my order never arrived, terrible service", mention=brand)
        critic.post("the oatlatte at the station was cold")
        settle(brand, 4)

        res = connectors.sync(ws)[0]
        assert res.error is None, res.error
        assert res.quarantined == 0 and res.stored > 0 and res.scored >= 3

        own = rows(ws, "SELECT post_id, author_id, account_id, likes, comments, is_ugc FROM posts "
                       f"WHERE account_id = '{brand.did}'")
        assert own == [(post_uri, brand.did, brand.did, 1, 1, False)]  # the brand's id is kept: it is watched
        kinds = dict(rows(ws, "SELECT type, count(*) FROM interactions GROUP BY type"))
        assert kinds == {"like": 1, "follow": 1, "comment": 1, "mention": 1}
        inbound = rows(ws, "SELECT interaction_id, type, target_post_id, parent_id, text FROM interactions "
                           "WHERE is_inbound ORDER BY type")
        assert inbound[0][:4] == (comment["uri"], "comment", post_uri, None)
        assert inbound[1][1] == "mention" and "never arrived" in inbound[1][4]
        # People are pseudonymised; their handles are only in contacts (for the inbox).
        actors = {r[0] for r in rows(ws, "SELECT actor_id FROM interactions")}
        assert fan.did not in actors and all(a.startswith("u_") for a in actors)
        assert {r[0] for r in rows(ws, "SELECT handle FROM contacts")} >= {fan.handle, critic.handle}
        assert rows(ws, "SELECT count(*) FROM follows WHERE followee_id = "
                        f"'{brand.did}'") == [(1,)]
        assert rows(ws, f"SELECT followers FROM accounts WHERE account_id = '{brand.did}'") == [(1,)]
        ugc = rows(ws, "SELECT text FROM posts WHERE is_ugc ORDER BY text")
        assert [t for (t,) in ugc] == [f"@{brand.handle} my order never arrived, terrible service",
                                       "the oatlatte at the station was cold"]
        assert not list((ws.path / "connectors" / "bsky" / "incoming").iterdir())  # raw batches are not kept

        # The operator answers the comment from the inbox: the reply goes out through the outbox, threaded.
        aid = outbox.queue(ws, "bsky", "reply", by="ana", target=comment["uri"], text="Yes! Ask for the sugar-free syrup.")
        assert [x.state for x in outbox.send_due(ws)] == ["sent"]
        reply_uri = outbox.get(ws, aid)["platform_id"]
        thread = wait_for(lambda: [r for r in brand.get("app.bsky.feed.getPostThread", uri=comment["uri"])
                                   ["thread"].get("replies", []) if r["post"]["uri"] == reply_uri])
        assert thread[0]["post"]["record"]["text"] == "Yes! Ask for the sugar-free syrup."
        assert thread[0]["post"]["record"]["reply"]["root"]["uri"] == post_uri  # under the brand's post

        # The next sync brings the brand's reply back as the staff reply: the response clock stops at its time.
        wait_for(lambda: any(i["post"]["uri"] == reply_uri for i in brand.get(
            "app.bsky.feed.getAuthorFeed", actor=brand.did, filter="posts_with_replies")["feed"]))
        # The AppView indexes eventually (the PDS shows its own account's new records at once): a later round
        # brings the reply if this one did not.
        staff, t0 = [], time.monotonic()
        while not staff and time.monotonic() - t0 < 60:
            res = connectors.sync(ws)[0]
            assert res.error is None, res.error
            staff = rows(ws, "SELECT interaction_id, parent_id, by_staff FROM interactions WHERE by_staff")
            time.sleep(0 if staff else 1)
        assert staff == [(reply_uri, comment["uri"], True)]
        (rate,) = compute(ws, "response_rate").to_pylist()
        assert (rate["answered"], rate["turns"]) == (1, 2)  # the mention is still unanswered
    finally:
        ws.close()


def test_sync_is_incremental_exactly_once_and_backfills(net, tmp_path):
    brand, fan = Person(net, "brand"), Person(net, "fan")
    ws = brand_workspace(tmp_path, net, brand)
    try:
        first = brand.post("first post")
        fan.post("nice", reply_to=first)
        settle(brand, 1)
        assert connectors.sync(ws)[0].error is None
        counts = rows(ws, "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM interactions)")
        assert counts == [(1, 1)]
        again = connectors.sync(ws)[0]  # nothing new: nothing stored twice
        assert again.error is None and again.stored == 0
        assert rows(ws, "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM interactions)") == counts
        fan.post("another", reply_to=first)
        settle(brand, 2)
        more = connectors.sync(ws)[0]
        assert more.stored == 1 and rows(ws, "SELECT count(*) FROM interactions") == [(2,)]
        back = connectors.sync(ws, since=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))[0]  # a backfill re-reads
        assert back.error is None and back.rows_read >= 3 and back.stored == 0
    finally:
        ws.close()


class Faults(httpx.BaseTransport):
    """The real network behind a transport that fails as asked: ``plan`` maps request numbers to a fault."""

    def __init__(self, plan: dict[int, str], *, every: str | None = None, down_from: int | None = None):
        self.inner, self.plan, self.every, self.down_from, self.n = httpx.HTTPTransport(), plan, every, down_from, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.n += 1
        fault = self.plan.get(self.n) or self.every
        if self.down_from is not None and self.n >= self.down_from:
            fault = "down"
        if fault == "500":
            return httpx.Response(500, json={"error": "InternalServerError"})
        if fault == "429":
            return httpx.Response(429, json={"error": "RateLimitExceeded"}, headers={"retry-after": "0"})
        if fault == "down":
            raise httpx.ConnectError("connection refused", request=request)
        r = self.inner.handle_request(request)
        if fault == "no-author" and "listNotifications" in str(request.url):
            r.read()
            data = r.json()
            for n in data["notifications"]:
                n.pop("author", None)
            return httpx.Response(200, json=data)
        return r


def faulty(monkeypatch, plan: dict, **kw) -> Faults:
    t = Faults(plan, **kw)

    def http(self):
        if self._http is None:
            self._http = Http(self.service, who="test", transport=t, first_wait=0.01, sleep=lambda s: None)
        return self._http

    monkeypatch.setattr(B.BlueskyConnector, "http", property(http))
    return t


def test_500s_429s_and_a_network_gone_mid_sync_lose_and_duplicate_nothing(net, tmp_path, monkeypatch):
    brand, fan = Person(net, "brand"), Person(net, "fan")
    ws = brand_workspace(tmp_path, net, brand)
    try:
        p = brand.post("hello")
        for i in range(3):
            fan.post(f"reply {i}", reply_to=p)
        fan.follow(brand)
        settle(brand, 4)
        t = faulty(monkeypatch, {2: "500", 3: "429", 5: "500"})
        res = connectors.sync(ws)[0]
        assert res.error is None and t.n > 6  # retried through the faults
        assert rows(ws, "SELECT count(*) FROM interactions") == [(4,)]

        fan.post("reply 3", reply_to=p)
        settle(brand, 5)
        faulty(monkeypatch, {}, down_from=3)  # the network goes away after the profile and feed batches
        res = connectors.sync(ws)[0]
        assert res.error and "ConnectError" in res.error and res.batches >= 1
        assert rows(ws, "SELECT count(*) FROM interactions") == [(4,)]

        monkeypatch.undo()  # back up: the next run picks up where the committed batches ended
        res = connectors.sync(ws)[0]
        assert res.error is None
        assert rows(ws, "SELECT count(*), count(DISTINCT interaction_id) FROM interactions") == [(5, 5)]
    finally:
        ws.close()


def test_a_malformed_payload_is_quarantined_with_its_raw_json(net, tmp_path, monkeypatch):
    brand, fan = Person(net, "brand"), Person(net, "fan")
    ws = brand_workspace(tmp_path, net, brand)
    try:
        p = brand.post("hello")
        fan.post("a reply whose author the server forgot", reply_to=p)
        settle(brand, 1)
        faulty(monkeypatch, {}, every="no-author")
        res = connectors.sync(ws)[0]
        assert res.error is None and res.quarantined == 1
        (col, reason, raw), = rows(ws, "SELECT column_name, reason, raw FROM quarantine")
        assert col == "actor_id" and "author whose" not in reason
        assert json.loads(raw)["raw"]["reason"] == "reply"  # the platform's item, as it came
        assert rows(ws, "SELECT count(*) FROM interactions") == [(0,)]
    finally:
        ws.close()


def test_revoked_credentials_pause_the_connector_until_connect(net, tmp_path, monkeypatch):
    brand = Person(net, "brand")
    ws = brand_workspace(tmp_path, net, brand)
    try:
        assert connectors.sync(ws)[0].error is None
        brand.revoke_app_passwords()
        (ws.path / "connectors" / "bsky" / "session.json").unlink()  # the saved session would still work a while
        res = connectors.sync(ws)[0]
        assert "refused the app password" in res.error and "hudong connect bsky" in res.error
        assert connectors.state(ws)["bsky"]["paused"]
        t = faulty(monkeypatch, {})
        res = connectors.sync(ws)[0]
        assert res.error.startswith("paused:") and t.n == 0  # not retried against the platform
        monkeypatch.undo()
        with pytest.raises(CredentialsRefused):
            connectors.connect(ws, "bsky")
        (ws.path / "secrets.toml").write_text(f'[bsky]\napp_password = "{brand.app_password()}"\n')
        assert brand.handle in connectors.connect(ws, "bsky")
        assert connectors.state(ws)["bsky"]["paused"] is None
        assert connectors.sync(ws)[0].error is None
    finally:
        ws.close()


def test_actions_are_never_sent_twice_and_conflicts_are_clear(net, tmp_path):
    brand, fan = Person(net, "brand"), Person(net, "fan")
    ws = brand_workspace(tmp_path, net, brand)
    try:
        c = connectors.connector(ws, "bsky")
        target = fan.post("a question")
        wait_for(lambda: brand.get("app.bsky.feed.getPosts", uris=[target["uri"]])["posts"])
        key, queued = "hd-0123456789abcdef", dt.datetime(2026, 12, 5, 12, 0, 0)
        one = c.act("reply", idempotency_key=key, queued_at=queued.isoformat(), target=target["uri"], text="answer")
        two = c.act("reply", idempotency_key=key, queued_at=queued.isoformat(), target=target["uri"], text="answer")
        assert one == two  # the resend found the record the first attempt made
        assert c.confirm("reply", idempotency_key=key, queued_at=queued.isoformat()) == one
        assert c.confirm("reply", idempotency_key="hd-never-sent", queued_at=queued.isoformat()) is None
        thread = wait_for(lambda: brand.get("app.bsky.feed.getPostThread", uri=target["uri"])["thread"].get("replies"))
        assert len(thread) == 1

        c.act("like", idempotency_key="hd-like", target=target["uri"])
        c.act("like", idempotency_key="hd-like", target=target["uri"])
        likes = wait_for(lambda: brand.get("app.bsky.feed.getLikes", uri=target["uri"])["likes"])
        assert len(likes) == 1

        c.act("delete", idempotency_key="hd-undo", target=one["platform_id"])  # undo the reply
        assert wait_for(lambda: not brand.get("app.bsky.feed.getPosts", uris=[one["platform_id"]])["posts"])
        gone = fan.post("deleted soon")
        # seen first: otherwise "not found" could mean "not indexed yet", and the AppView indexes it a moment later
        wait_for(lambda: brand.get("app.bsky.feed.getPosts", uris=[gone["uri"]])["posts"])
        httpx.post(f"{net.pds}/xrpc/com.atproto.repo.deleteRecord", headers={"authorization": f"Bearer {fan.token}"},
                   json={"repo": fan.did, "collection": "app.bsky.feed.post", "rkey": gone["uri"].rsplit("/", 1)[1]})
        wait_for(lambda: not brand.get("app.bsky.feed.getPosts", uris=[gone["uri"]])["posts"])
        with pytest.raises(B.HudongError, match="was deleted on Bluesky"):
            c.act("reply", idempotency_key="hd-late", target=gone["uri"], text="too late")
        fan.create("app.bsky.graph.block", {"subject": brand.did})
        wait_for(lambda: brand.get("app.bsky.actor.getProfile", actor=fan.did)["viewer"].get("blockedBy"))
        with pytest.raises(B.HudongError, match="block"):
            c.act("reply", idempotency_key="hd-blocked", target=target["uri"], text="hello?")
        with pytest.raises(B.HudongError, match="at most 300 characters"):
            c.act("publish", idempotency_key="hd-long", text="x" * 301)
    finally:
        ws.close()


def test_connect_and_sync_from_the_cli(net, tmp_path):
    from click.testing import CliRunner

    from hudong.cli import cli

    brand = Person(net, "brand")
    ws = brand_workspace(tmp_path, net, brand)
    ws.close()
    runner = CliRunner()
    out = runner.invoke(cli, ["--workspace", str(tmp_path / "ws"), "connect", "bsky"])
    assert out.exit_code == 0 and f"@{brand.handle}" in out.output and "0 followers" in out.output, out.output
    out = runner.invoke(cli, ["--workspace", str(tmp_path / "ws"), "sync", "--since", "2026-01-01"])
    assert out.exit_code == 0 and "bsky (bluesky)" in out.output and "profile" in out.output, out.output
    assert "app_password" not in out.output and "pw-" not in out.output


def test_a_reply_sent_from_the_web_inbox_goes_out_threaded_and_conflicts_are_refused(net, tmp_path):
    from fastapi.testclient import TestClient

    from hudong.web import auth
    from hudong.web.app import create_app
    from hudong.web.sync import run_round
    from test_web_app import csrf_in, login

    brand, fan = Person(net, "brand"), Person(net, "fan")
    ws = brand_workspace(tmp_path, net, brand)
    post = brand.post("Our winter menu is out")
    question = fan.post("Do you deliver to Chengdu?", reply_to=post)
    doomed = fan.post("and to Lhasa?", reply_to=question)
    settle(brand, 2)
    assert connectors.sync(ws)[0].error is None
    ws.close()

    app = create_app(tmp_path / "ws", warm=False)
    try:
        con = app.state.web.ws.con
        pw = "a long password 1"
        auth.add_user(con, "rui", "responder", pw)
        auth.add_user(con, "mei", "responder", pw)
        rui = login(app, "rui", pw)
        page = rui.get("/inbox?lang=en")
        assert page.text.count('class="act-send"') == 1  # the open turn: the fan's latest message
        item = f"bluesky:{doomed['uri']}"
        assert f'data-id="{item}"' in page.text

        # The fan deletes the message before the answer goes out: refused with the platform's reason.
        httpx.post(f"{net.pds}/xrpc/com.atproto.repo.deleteRecord", headers={"authorization": f"Bearer {fan.token}"},
                   json={"repo": fan.did, "collection": "app.bsky.feed.post", "rkey": doomed["uri"].rsplit("/", 1)[1]})
        wait_for(lambda: not brand.get("app.bsky.feed.getPosts", uris=[doomed["uri"]])["posts"])
        r = rui.post("/inbox/send", data={"item": item, "text": "Not yet!", "csrf": csrf_in(page.text)})
        assert r.status_code == 400 and "was deleted on Bluesky" in r.text, r.text

        # The reply to the question goes out from the inbox, threaded under it, and closes the item.
        item = f"bluesky:{question['uri']}"
        r = rui.post("/inbox/send", data={"item": item, "text": "Yes, within two days!", "csrf": csrf_in(page.text),
                                          "back": "/inbox?lang=en"})
        assert r.status_code == 200 and "reply sent on the platform" in r.text, r.text
        replies = wait_for(lambda: brand.get("app.bsky.feed.getPostThread", uri=question["uri"])["thread"]
                           .get("replies"))
        assert [x["post"]["record"]["text"] for x in replies] == ["Yes, within two days!"]
        assert replies[0]["post"]["record"]["reply"]["root"]["uri"] == post["uri"]
        history = rui.get(f"/api/inbox/{item}/history").json()
        assert history[-1]["action"] == "replied" and "bsky.app/profile/" in history[-1]["note"]

        # A colleague answering the same message is told who already did (and may insist).
        token = auth.new_token(con, "mei")
        r = TestClient(app).post(f"/api/inbox/{item}/reply", json={"text": "Hi!"},
                                 headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 400 and "rui already answered" in r.json()["error"], r.text

        # The server's next round brings the reply back: the staff reply stops the response clock.
        wait_for(lambda: any(i["post"]["record"]["text"] == "Yes, within two days!" for i in brand.get(
            "app.bsky.feed.getAuthorFeed", actor=brand.did, filter="posts_with_replies")["feed"]))
        assert run_round(app.state.web)[0].error is None
        with app.state.web.db() as w:
            (rate,) = compute(w, "response_rate").to_pylist()
            assert (rate["answered"], rate["turns"]) == (1, 1)
            assert w.con.execute("SELECT state, created_by FROM outbox ORDER BY created_at").fetchall() == [
                ("failed", "rui"), ("sent", "rui")]
    finally:
        app.state.web.ws.close()


def test_the_firehose_and_a_jetstream_wake_a_sync_within_seconds(net, tmp_path):
    """The PDS's firehose (com.atproto.sync.subscribeRepos: DAG-CBOR frames) wakes a sync for what concerns the
    brand — its own post, a like of it — and not for a stranger's post; a Jetstream (no Go service installs here:
    a stand-in on loopback sends the documented JSON messages) does the same; and `hudong serve`, polling every 10
    minutes, has a reply in the store seconds after it was posted."""
    import threading

    from fastapi.testclient import TestClient
    from websockets.sync.server import serve

    from hudong.web.app import create_app

    brand, fan, pal = Person(net, "brand"), Person(net, "fan"), Person(net, "pal")
    ws = brand_workspace(tmp_path, net, brand)
    c = connectors.connector(ws, "bsky")
    assert c.streams and c.stream_url == "ws" + net.pds[4:] + "/xrpc/com.atproto.sync.subscribeRepos"

    def listen(conn, got: list[str], stop: threading.Event) -> threading.Thread:
        opened = threading.Event()

        def run():
            for why in conn.watch(stop):
                if why == CONNECTED:
                    opened.set()
                else:
                    got.append(why)
        t = threading.Thread(target=run, daemon=True)
        t.start()
        assert opened.wait(10), "the stream did not open"
        return t

    got: list[str] = []
    stop = threading.Event()
    t = listen(c, got, stop)
    pal.post("a thought about the weather")
    post = brand.post("Our oat latte is back")
    fan.like(post)
    wait_for(lambda: len(got) >= 2, timeout=20)
    stop.set()
    t.join(5)
    assert got[:2] == ["own app.bsky.feed.post", f"app.bsky.feed.like by {fan.did}"], got
    assert not any(pal.did in why for why in got)

    # A Jetstream: the same filter on its JSON messages (the stand-in sends what the service documents).
    def jetstream(sock):
        for did, collection, record in (
            (pal.did, "app.bsky.feed.post", {"text": "unrelated"}),
            (fan.did, "app.bsky.feed.repost", {"subject": {"uri": post["uri"], "cid": post["cid"]}}),
            (brand.did, "app.bsky.feed.post", {"text": "from the phone app"}),
        ):
            sock.send(json.dumps({"did": did, "time_us": time.time_ns() // 1000, "kind": "commit", "commit": {
                "rev": "3l", "operation": "create", "collection": collection, "rkey": "3l", "record": record}}))
        time.sleep(3)

    with serve(jetstream, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        c.settings["stream"] = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/subscribe"  # as in hudong.toml
        got, stop = [], threading.Event()
        t = listen(c, got, stop)
        wait_for(lambda: len(got) >= 2, timeout=10)
        stop.set()
        t.join(5)
        server.shutdown()
    assert got == [f"app.bsky.feed.repost by {fan.did}", "own app.bsky.feed.post"]
    connectors.sync(ws)
    ws.close()

    # The server: polling every 10 minutes, the firehose brings a reply in within seconds.
    with open(tmp_path / "ws" / "hudong.toml", "a", encoding="utf-8") as f:
        f.write("\n[sync]\nevery_minutes = 10\n")
    app = create_app(tmp_path / "ws", warm=False)
    with TestClient(app):
        st = app.state.web
        wait_for(lambda: st.sync_streams.get("bsky", {}).get("state") == "open", timeout=20)
        time.sleep(1.0)
        posted = time.monotonic()
        reply = fan.post("Is it sugar-free?", reply_to=post)

        def stored():
            with st.db() as w:
                return w.con.execute("SELECT count(*) FROM interactions WHERE interaction_id = ?",
                                     [reply["uri"]]).fetchone()[0]
        wait_for(stored, timeout=20)
        lag = time.monotonic() - posted
        assert lag < 10, lag
        assert st.sync_streams["bsky"]["events"] >= 1 and st.sync_streams["bsky"]["error"] is None


def test_a_reply_is_hidden_from_the_inbox_under_the_brands_thread(net, tmp_path):
    """Hide (the open conversation's button, `sending.act_on_item`): the reply's uri joins hiddenReplies of the
    thread's gate (app.bsky.feed.threadgate), which the AppView serves with the post so that every app folds the
    reply away; hiding again changes nothing; a reply in someone else's thread is refused with the reason."""
    from hudong.inbox import sending

    brand, fan, critic = Person(net, "brand"), Person(net, "fan"), Person(net, "critic")
    ws = brand_workspace(tmp_path, net, brand)
    try:
        post = brand.post("Our oat latte is back")
        spam = critic.post("cheap followers at example.com", reply_to=post)
        theirs = fan.post("my own thread about tea")
        elsewhere = critic.post("nice", reply_to=theirs)
        settle(brand, 1)
        assert connectors.sync(ws)[0].error is None
        assert sending.item_connectors(ws, "hide") == {"bluesky": "bsky"}
        out = sending.act_on_item(ws, f"bluesky:{spam['uri']}", "hide", by="ana", role="responder")
        assert out["state"] == "sent" and out["platform_id"] == spam["uri"], out

        def hidden() -> list[str]:  # as any app reads it: the gate served with the post
            thread = brand.get("app.bsky.feed.getPostThread", uri=post["uri"])["thread"]
            return (thread["post"].get("threadgate") or {}).get("record", {}).get("hiddenReplies") or []
        assert wait_for(hidden) == [spam["uri"]]
        assert sending.act_on_item(ws, f"bluesky:{spam['uri']}", "hide", by="ana")["state"] == "sent"
        gate = brand.get("com.atproto.repo.getRecord", repo=brand.did, collection="app.bsky.feed.threadgate",
                         rkey=post["uri"].rsplit("/", 1)[1])["value"]
        assert gate["hiddenReplies"] == [spam["uri"]] and gate["post"] == post["uri"] and "allow" not in gate
        aid = outbox.queue(ws, "bsky", "hide", by="ana", target=elsewhere["uri"])
        (done,) = outbox.send_due(ws, only=aid)
        assert done.state == "failed" and "only in threads the account started" in done.detail
    finally:
        ws.close()


def test_a_planned_post_is_published_on_time_synced_back_and_carries_its_results(net, tmp_path):
    """Issue #16.2 end to end: schedule → published at its time through the outbox → people react on the network →
    synced back → the plan item's results are the post's."""
    from hudong.plan import items, publishing

    brand, fan = Person(net, "planner"), Person(net, "planfan")
    ws = brand_workspace(tmp_path, net, brand)
    try:
        soon = dt.datetime.now().replace(microsecond=0) + dt.timedelta(minutes=2)
        it = items.create(ws, platform="bluesky", by="rita", text="Friday tasting at 6pm #teatime", state="draft",
                          owner="rita")
        iid = it["item_id"]
        items.act(ws, iid, "submit", "rita")
        items.act(ws, iid, "approve", "ana", role="analyst")
        items.act(ws, iid, "schedule", "rita", at=soon)
        assert publishing.run(ws, now=soon - dt.timedelta(minutes=1)).queued == []  # not before its time
        done = publishing.run(ws, now=soon)
        assert done.queued == [iid] and done.published == [iid], done
        item = items.get(ws, iid)
        assert item["state"] == "published" and item["post_id"].startswith(f"at://{brand.did}/app.bsky.feed.post/")
        post = wait_for(lambda: brand.get("app.bsky.feed.getPosts", uris=[item["post_id"]])["posts"])[0]
        assert post["record"]["text"] == "Friday tasting at 6pm #teatime"
        ref = {"uri": post["uri"], "cid": post["cid"]}
        fan.like(ref)
        fan.post("See you there!", reply_to=ref)
        settle(brand, 2)
        assert connectors.sync(ws)[0].error is None
        res = publishing.results(ws, iid)
        assert res["synced"] and res["post_id"] == item["post_id"] and res["likes"] == 1 and res["comments"] == 1
        assert res["comments_stored"] == 1
    finally:
        ws.close()
