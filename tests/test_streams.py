"""Issue #14.1–2: streams wake a sync. What the platforms push (Bluesky's firehose frames, Jetstream messages) is
read only to decide whether it concerns the account; the server's schedule then syncs that connector at once and
once more a few seconds later. The streams themselves are tested against the platforms' servers in test_bluesky
(the PDS's firehose; a Jetstream stand-in) and test_mastodon (the stand-in's streaming API)."""

from __future__ import annotations

import json
import threading

import cbor2
import pytest

from hudong.connectors.bluesky import firehose_wake, jetstream_wake
from hudong.errors import HudongError
from hudong.web.sync import STREAM_DEBOUNCE, STREAM_FOLLOW_UP, Schedule

BRAND = "did:plc:brand0000000000000000000"
FAN = "did:plc:fan00000000000000000000000"


def frame(header: dict, body: dict) -> bytes:
    """A subscribeRepos frame as the PDS writes it: two DAG-CBOR objects back to back."""
    return cbor2.dumps(header) + cbor2.dumps(body)


def commit(repo: str, path: str, record: dict) -> bytes:
    # The record is stored in the commit's CAR blocks as DAG-CBOR: the DID of a subject is in there as text.
    return frame({"op": 1, "t": "#commit"}, {"seq": 7, "repo": repo, "ops": [{"action": "create", "path": path}],
                                              "blocks": b"\x0a\xa2" + cbor2.dumps(record), "time": "2026-12-06"})


def test_firehose_frames_that_concern_the_account():
    like = {"$type": "app.bsky.feed.like", "subject": {"uri": f"at://{BRAND}/app.bsky.feed.post/3k"}}
    assert firehose_wake(commit(FAN, "app.bsky.feed.like/3l", like), BRAND) == f"app.bsky.feed.like by {FAN}"
    assert firehose_wake(commit(BRAND, "app.bsky.feed.post/3m", {"text": "hi"}), BRAND) == "own app.bsky.feed.post"
    other = {"$type": "app.bsky.feed.like", "subject": {"uri": f"at://{FAN}/app.bsky.feed.post/3k"}}
    assert firehose_wake(commit(FAN, "app.bsky.feed.like/3n", other), BRAND) is None
    assert firehose_wake(frame({"op": 1, "t": "#identity"}, {"did": BRAND, "seq": 8}), BRAND) is None
    assert firehose_wake("a text frame", BRAND) is None
    with pytest.raises(HudongError, match="FutureCursor"):
        firehose_wake(frame({"op": -1}, {"error": "FutureCursor", "message": "cursor in the future"}), BRAND)


def test_jetstream_messages_that_concern_the_account():
    def msg(did, collection, record):
        return json.dumps({"did": did, "time_us": 1, "kind": "commit",
                           "commit": {"operation": "create", "collection": collection, "rkey": "3k", "record": record}})

    reply = {"text": "@brand hi", "reply": {"parent": {"uri": f"at://{BRAND}/app.bsky.feed.post/1"}}}
    assert jetstream_wake(msg(FAN, "app.bsky.feed.post", reply), BRAND) == f"app.bsky.feed.post by {FAN}"
    assert jetstream_wake(msg(BRAND, "app.bsky.feed.post", {"text": "x"}), BRAND) == "own app.bsky.feed.post"
    assert jetstream_wake(msg(FAN, "app.bsky.feed.post", {"text": "unrelated"}), BRAND) is None
    assert jetstream_wake(json.dumps({"did": BRAND, "kind": "identity"}), BRAND) is None
    assert jetstream_wake("not json", BRAND) is None


def test_the_schedule_syncs_a_streamed_connector_soon_and_again_then_the_whole_round():
    now = [0.0]
    s = Schedule(600, clock=lambda: now[0])
    stop = threading.Event()
    waits: list[float] = []
    real_wait = s.cond.wait

    def wait(timeout):  # the schedule's sleep: move the clock instead of sleeping
        waits.append(timeout)
        now[0] += timeout
        return real_wait(0)

    s.cond.wait = wait
    s.nudge("bsky")
    s.nudge("bsky")  # a burst: still one sync, then one follow-up
    assert s.next(stop) == (False, ["bsky"]) and now[0] == pytest.approx(STREAM_DEBOUNCE)
    assert s.next(stop) == (False, ["bsky"]) and now[0] == pytest.approx(STREAM_FOLLOW_UP)
    assert s.next(stop) == (True, []) and now[0] == pytest.approx(600)  # nothing more until the round
    s.nudge("masto")
    now[0] += 600  # the round is due before the nudge's sync: the round covers it
    assert s.next(stop) == (True, []) and s.due == {}
    stop.set()
    assert s.next(stop) == (False, [])
