"""Issue #14.3 (first slice): the outbox — every action a row first, sent by a worker with retries and back-off,
never twice (a crash between the platform's answer and the record is settled by the platform's idempotency or by
asking it), approval by role, cancel, an audit log, and erasure of replies to a forgotten person.

The platform here is a ledger file a test connector writes to (the connector contract is hudong's own; the live
platforms' connectors are tested against their servers)."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest

from hudong import connectors
from hudong.connectors import Connector
from hudong.connectors import outbox as O
from hudong.connectors.base import Retry
from hudong.errors import HudongError
from hudong.store.workspace import Workspace


class Ledger(Connector):
    """Posts to a JSON-lines ledger. ``plan`` (a list in hudong.toml) says how each attempt goes: ok, retry,
    retry-after (Retry-After: 120 s), refuse, lost (the platform takes it, then the connection drops)."""

    kind = "ledger"
    platform = "mastodon"
    capabilities = frozenset({"reply", "publish", "like"})

    def fetch(self, cursor):
        return iter(())  # this platform is only written to here

    @property
    def ledger(self) -> Path:
        return self.workspace_dir / f"{self.name}.jsonl"

    def entries(self) -> list[dict]:
        return [json.loads(x) for x in self.ledger.read_text().splitlines()] if self.ledger.exists() else []

    def _next(self) -> str:
        state = self.workspace_dir / f"{self.name}.attempts"
        n = int(state.read_text()) if state.exists() else 0
        state.write_text(str(n + 1))
        plan = self.setting("plan", [])
        return plan[n] if n < len(plan) else "ok"

    def act(self, action, *, idempotency_key, target=None, text=None, **params):
        how = self._next()
        if how == "retry":
            raise Retry("503 Service Unavailable")
        if how == "retry-after":
            raise Retry("429 Too Many Requests", after=120)
        if how == "refuse":
            raise HudongError("422: the status is a duplicate")
        if self.idempotent_actions and any(e["key"] == idempotency_key for e in self.entries()):
            made = next(e for e in self.entries() if e["key"] == idempotency_key)  # the platform's dedupe
            return {"platform_id": made["id"], "url": None}
        entry = {"key": idempotency_key, "id": f"s{len(self.entries()) + 1}", "action": action, "target": target,
                 "text": text}
        with open(self.ledger, "a") as f:
            f.write(json.dumps(entry) + "\n")
        if how == "lost":
            raise ConnectionResetError("connection reset by peer")
        return {"platform_id": entry["id"], "url": f"https://example.social/{entry['id']}"}

    def confirm(self, action, *, idempotency_key, **params):
        made = [e for e in self.entries() if e["key"] == idempotency_key]
        return {"platform_id": made[0]["id"]} if made else None


class DedupingLedger(Ledger):
    kind = "deduping-ledger"
    idempotent_actions = frozenset({"reply", "publish"})


class BlindLedger(Ledger):
    kind = "blind-ledger"

    def confirm(self, action, **params):
        raise HudongError("this platform cannot be asked")


@pytest.fixture
def ws(tmp_path, monkeypatch):
    for cls in (Ledger, DedupingLedger, BlindLedger):
        monkeypatch.setitem(connectors.BUILT_IN, cls.kind, cls)
    d = tmp_path / "ws"
    Workspace.init(d).close()

    def open_with(toml: str = "") -> Workspace:
        with open(d / "hudong.toml", "a", encoding="utf-8") as f:
            f.write("\n" + textwrap.dedent(toml))
        return Workspace.open(d)

    return open_with


def ledger(w: Workspace, name: str = "toots") -> list[dict]:
    return connectors.connector(w, name).entries()


def test_an_action_is_queued_sent_once_and_logged(ws):
    w = ws('[connectors.toots]\ntype = "ledger"\n')
    a = O.queue(w, "toots", "reply", target="109", text="谢谢反馈！", item="mastodon:109", by="ana")
    assert O.get(w, a)["state"] == "approved"
    assert [s.state for s in O.send_due(w)] == ["sent"]
    assert O.send_due(w) == []  # nothing is due any more
    row = O.get(w, a)
    assert row["state"] == "sent" and row["platform_id"] == "s1" and row["attempts"] == 1 and row["url"]
    assert [(e["key"], e["text"]) for e in ledger(w)] == [(a, "谢谢反馈！")]
    assert [e["event"] for e in O.history(w, a)] == ["queued", "sending", "sent"]
    with pytest.raises(HudongError, match="cannot follow: it implements like, publish, reply"):
        O.queue(w, "toots", "follow", target="u1", by="ana")
    with pytest.raises(HudongError, match="a reply needs a text"):
        O.queue(w, "toots", "reply", target="109", text="  ", by="ana")


def test_retries_back_off_and_honour_retry_after_then_give_up(ws):
    w = ws('[connectors.toots]\ntype = "ledger"\nplan = ["retry-after", "retry", "ok"]\n'
           '[outbox]\nmax_attempts = 5\n')
    a = O.queue(w, "toots", "publish", text="新品上市", by="ana")
    t0 = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert [s.state for s in O.send_due(w, now=t0)] == ["retry"]
    row = O.get(w, a)
    assert row["state"] == "approved" and row["attempts"] == 1 and "429" in row["error"]
    assert row["next_attempt"] == t0 + dt.timedelta(seconds=120)  # the platform's Retry-After
    assert O.send_due(w, now=t0 + dt.timedelta(seconds=119)) == []  # not before
    assert [s.state for s in O.send_due(w, now=t0 + dt.timedelta(seconds=121))] == ["retry"]
    wait = O.get(w, a)["next_attempt"] - (t0 + dt.timedelta(seconds=121))
    assert dt.timedelta(seconds=0.8 * 60) <= wait <= dt.timedelta(seconds=1.2 * 60)  # 2nd attempt: 60 s ± 20 %
    assert [s.state for s in O.send_due(w, now=t0 + dt.timedelta(hours=1))] == ["sent"]
    assert O.get(w, a)["attempts"] == 3 and len(ledger(w)) == 1
    w2 = ws('[connectors.busy]\ntype = "ledger"\nplan = ["retry", "retry", "retry"]\n')
    w.close()
    b = O.queue(w2, "busy", "publish", text="x", by="ana")
    late = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for _ in range(5):
        late += dt.timedelta(hours=2)
        O.send_due(w2, now=late)
    assert O.get(w2, b)["state"] == "sent"  # max_attempts (5) not reached: the 4th attempt went through
    w2.close()


def test_refused_and_max_attempts_fail_with_the_platforms_error(ws):
    w = ws('[connectors.toots]\ntype = "ledger"\nplan = ["refuse", "retry", "retry"]\n[outbox]\nmax_attempts = 2\n')
    a = O.queue(w, "toots", "publish", text="dup", by="ana")
    assert [s.state for s in O.send_due(w)] == ["failed"]
    assert O.get(w, a)["error"] == "422: the status is a duplicate" and O.get(w, a)["next_attempt"] is None
    b = O.queue(w, "toots", "publish", text="later", by="ana")
    O.send_due(w)
    O.send_due(w, now=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1))
    assert O.get(w, b)["state"] == "failed" and O.get(w, b)["attempts"] == 2 and ledger(w) == []
    O.cancel(w, b, by="ana")
    assert O.get(w, b)["state"] == "cancelled"
    with pytest.raises(HudongError, match="is cancelled: it cannot be approved"):
        O.approve(w, b, by="lee")


def test_a_lost_answer_is_settled_without_a_second_reply(ws):
    """The platform took the reply, then the connection dropped: asking the platform finds it (sent, once); a
    platform that deduplicates by key is simply asked again; one that can do neither leaves it to a person."""
    w = ws('[connectors.toots]\ntype = "ledger"\nplan = ["lost"]\n'
           '[connectors.dedupe]\ntype = "deduping-ledger"\nplan = ["lost"]\n'
           '[connectors.blind]\ntype = "blind-ledger"\nplan = ["lost"]\n')
    asked = O.queue(w, "toots", "reply", target="1", text="a", by="ana")
    deduped = O.queue(w, "dedupe", "reply", target="1", text="b", by="ana")
    blind = O.queue(w, "blind", "reply", target="1", text="c", by="ana")
    got = {s.action_id: s.state for s in O.send_due(w)}
    assert got == {asked: "sent", deduped: "retry", blind: "unknown"}
    O.send_due(w, now=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=1))
    assert O.get(w, deduped)["state"] == "sent"
    assert len(ledger(w, "toots")) == len(ledger(w, "dedupe")) == len(ledger(w, "blind")) == 1  # never twice
    assert O.get(w, blind)["state"] == "unknown" and "cannot be asked" in O.get(w, blind)["error"]
    O.resolve(w, blind, sent=True, by="lee", platform_id="s1")
    assert O.get(w, blind)["state"] == "sent"


def test_a_process_stopped_while_sending_is_recovered_on_the_next_pass(ws):
    w = ws('[connectors.toots]\ntype = "ledger"\n')
    a = O.queue(w, "toots", "reply", target="1", text="hi", by="ana")
    c = connectors.connector(w, "toots")
    c.act("reply", idempotency_key=a, target="1", text="hi")  # the platform took it …
    w.con.execute("UPDATE outbox SET state = 'sending', attempts = 1 WHERE action_id = ?", [a])  # … then the crash
    b = O.queue(w, "toots", "reply", target="2", text="yo", by="ana")
    w.con.execute("UPDATE outbox SET state = 'sending', attempts = 1 WHERE action_id = ?", [b])  # crashed before
    got = {s.action_id: s.state for s in O.send_due(w)}
    assert got == {a: "sent", b: "sent"}
    assert sorted(e["key"] for e in ledger(w)) == sorted([a, b])  # a found, b sent: one each


def test_approval_by_role(ws):
    w = ws('[connectors.toots]\ntype = "ledger"\n[outbox]\napproval = ["responder"]\n')
    a = O.queue(w, "toots", "reply", target="1", text="hi", by="rita", role="responder")
    b = O.queue(w, "toots", "reply", target="2", text="ok", by="ana", role="analyst")
    assert O.get(w, a)["state"] == "draft" and O.get(w, b)["state"] == "approved"
    assert [s.action_id for s in O.send_due(w)] == [b]  # the draft waits
    with pytest.raises(HudongError, match="role 'responder' may not approve"):
        O.approve(w, a, by="rita", role="responder")
    O.approve(w, a, by="lee", role="analyst")
    assert [s.state for s in O.send_due(w)] == ["sent"]
    assert O.get(w, a)["approved_by"] == "lee"
    assert [e["event"] for e in O.history(w, a)] == ["drafted", "approved", "sending", "sent"]


def test_forget_blanks_replies_to_the_persons_messages(ws):
    from hudong.ingest.erasure import forget
    from hudong.ingest.privacy import pseudonymise

    w = ws('[connectors.toots]\ntype = "ledger"\n')
    w.con.execute("INSERT INTO interactions (platform, interaction_id, type, actor_id, created_at, text, source_file, "
                  "importer, batch_id) VALUES ('mastodon', 'm1', 'comment', ?, now(), 'hello', 'f', 'i', 'b')",
                  [pseudonymise(w.key, "mastodon", "alice")])
    a = O.queue(w, "toots", "reply", target="m1", text="Hi Alice, thanks!", item="mastodon:m1", by="ana")
    other = O.queue(w, "toots", "publish", text="news", by="ana")
    assert forget(w, "alice", platform="mastodon").tables["outbox"] == 1
    assert (O.get(w, a)["text"], O.get(w, a)["target"]) == (None, None)
    assert O.get(w, a)["created_by"] == "ana" and O.get(w, other)["text"] == "news"


def test_the_cli_lists_approves_and_sends(ws):
    from click.testing import CliRunner

    from hudong.cli import cli

    w = ws('[connectors.toots]\ntype = "ledger"\n[outbox]\napproval = ["responder"]\n')
    a = O.queue(w, "toots", "reply", target="1", text="hi", by="rita", role="responder")
    path = str(w.path)
    w.close()
    run = CliRunner()
    r = run.invoke(cli, ["-w", path, "outbox", "list", "--state", "draft"])
    assert r.exit_code == 0 and a in r.output and "toots:reply 1" in r.output, r.output
    assert "0 action(s) handled" in run.invoke(cli, ["-w", path, "outbox", "send"]).output  # a draft waits
    assert run.invoke(cli, ["-w", path, "outbox", "approve", a, "--by", "lee"]).exit_code == 0
    r = run.invoke(cli, ["-w", path, "outbox", "send"])
    assert r.exit_code == 0 and f"{a}  sent" in r.output, r.output
    with Workspace.open(path) as again:
        assert O.get(again, a)["state"] == "sent" and len(ledger(again)) == 1


def test_a_reply_from_the_inbox_goes_out_through_the_connector_of_its_platform(ws, tmp_path):
    from hudong.inbox import sending
    from hudong.inbox.items import history
    from hudong.ingest import import_file

    w = ws('[connectors.toots]\ntype = "ledger"\nplan = ["ok", "retry", "refuse"]\n\n'
           '[outbox]\napproval = ["responder"]\n')
    csv = tmp_path / "in.csv"
    csv.write_text("platform,interaction_id,type,actor_id,target_post_id,created_at,text,is_inbound\n"
                   "mastodon,m1,comment,u1,p1,2026-12-01 10:00:00,any oat milk?,true\n"
                   "mastodon,m2,comment,u2,p1,2026-12-01 10:05:00,and soy?,true\n"
                   "mastodon,m3,comment,u3,p1,2026-12-01 10:06:00,hello?,true\n"
                   "weibo,w1,comment,u4,p9,2026-12-01 11:00:00,有燕麦奶吗,true\n")
    import_file(w, csv, "generic-interactions")
    assert sending.reply_connectors(w) == {"mastodon": "toots"}

    out = sending.send_reply(w, "mastodon:m1", "  Yes, all day!  ", by="ana", role="analyst")
    assert out["state"] == "sent" and out["connector"] == "toots"
    assert ledger(w)[-1] | {"key": None} == {"key": None, "id": "s1", "action": "reply", "target": "m1",
                                             "text": "Yes, all day!"}
    (last,) = [h for h in history(w, "mastodon:m1") if h["action"] == "replied"]
    assert "https://example.social/s1" in last["note"] and last["by"] == "ana"

    with pytest.raises(HudongError, match="ana already answered this message"):  # a colleague, same message
        sending.send_reply(w, "mastodon:m1", "Yes!", by="lee", role="analyst")
    with pytest.raises(HudongError, match="no connector in hudong.toml replies on weibo"):
        sending.send_reply(w, "weibo:w1", "有的", by="ana", role="analyst")
    with pytest.raises(LookupError):
        sending.send_reply(w, "mastodon:nope", "hi", by="ana", role="analyst")

    draft = sending.send_reply(w, "mastodon:m2", "Soy too.", by="rui", role="responder")  # needs an approver
    assert draft["state"] == "draft" and len(ledger(w)) == 1
    with pytest.raises(HudongError, match="rui already answered"):
        sending.send_reply(w, "mastodon:m2", "Soy too!", by="ana", role="analyst")

    busy = sending.send_reply(w, "mastodon:m3", "Hello!", by="ana", role="analyst")  # the platform: 503
    assert busy["state"] == "retry" and O.get(w, busy["action_id"])["next_attempt"] is not None
    forced = sending.send_reply(w, "mastodon:m3", "Hello again", by="lee", role="analyst", force=True)
    assert forced["state"] == "failed" and "duplicate" in forced["error"]  # the platform's reason is kept
