"""Response rate and response times: reference fixtures (Sparkcentral, ZoomSphere) and the conversation rule."""

from __future__ import annotations

import datetime as dt

import pytest

from hudong.metrics import compute
from hudong.metrics import testing as T

D = dt.datetime
NINE_TO_FIVE = {"business_hours": {"start": "09:00", "end": "17:00", "days": [1, 2, 3, 4, 5], "sla_minutes": 60}}


def msg(
    iid,
    when,
    *,
    type="comment",
    actor="fan",
    target_post="P",
    target_user=None,
    parent=None,
    staff=False,
    auto=False,
    inbound=None,
):
    return dict(
        interaction_id=iid,
        type=type,
        actor_id=actor,
        target_post_id=target_post,
        target_user_id=target_user,
        parent_id=parent,
        created_at=when,
        by_staff=staff,
        is_automated=auto,
        is_inbound=(not staff) if inbound is None else inbound,
    )


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    rows = [
        # A (Sparkcentral, verified): Mon 5 Aug 2024, message 08:00, reply 09:20 → 20 business min, 80 wall
        msg("a1", D(2024, 8, 5, 8, 0), actor="fa"),
        msg("a2", D(2024, 8, 5, 9, 20), type="reply", actor="me", parent="a1", staff=True),
        # B (ZoomSphere): DMs Thu 10 Aug 2023 12:00 and Fri 11 Aug 12:00, reply Fri 20:00 → 480 wall,
        # 300 business (12:00–17:00)
        msg("b1", D(2023, 8, 10, 12), type="dm", actor="fb", target_post=None, target_user="me"),
        msg("b2", D(2023, 8, 11, 12), type="dm", actor="fb", target_post=None, target_user="me"),
        msg("b3", D(2023, 8, 11, 20), type="dm", actor="me", target_post=None, target_user="fb", staff=True),
        # C: Fri 9 Aug 2024 16:00 → Mon 12 Aug 10:00: 60 + 60 business min; 66 h wall
        msg("c1", D(2024, 8, 9, 16), actor="fc"),
        msg("c2", D(2024, 8, 12, 10), type="reply", actor="me", parent="c1", staff=True),
        # D: an automatic reply does not count; the human reply 1 h later does
        msg("d1", D(2024, 8, 6, 10), actor="fd"),
        msg("d2", D(2024, 8, 6, 10, 1), type="reply", actor="me", parent="d1", staff=True, auto=True),
        msg("d3", D(2024, 8, 6, 11), type="reply", actor="me", parent="d1", staff=True),
        # E: never answered
        msg("e1", D(2024, 8, 7, 10), actor="fe"),
        # F: follow-up reply in the thread; staff answers the follow-up (reply to a reply) → 30 min from 10:00
        msg("f1", D(2024, 8, 8, 9), actor="ff"),
        msg("f2", D(2024, 8, 8, 10), type="reply", actor="ff", parent="f1"),
        msg("f3", D(2024, 8, 8, 10, 30), type="reply", actor="me", parent="f2", staff=True),
        # not inbound (a like) and a non-inbound comment: not eligible
        msg("g1", D(2024, 8, 8, 9), type="like", actor="fg"),
        msg("g2", D(2024, 8, 8, 9), actor="fg", inbound=False),
    ]
    ws = T.workspace(
        tmp_path_factory.mktemp("resp") / "ws", interactions=rows, accounts=[dict(account_id="me", is_own=True)]
    )
    yield ws
    ws.close()


def one(ws, name, **kw):
    r = compute(ws, name, settings=kw.pop("settings", NINE_TO_FIVE), **kw).to_pylist()
    assert len(r) == 1, r
    return r[0]


def test_sparkcentral_clock_starts_at_opening(ws):
    day = dict(start="2024-08-05", end="2024-08-05")
    assert one(ws, "first_response_minutes", **day)["value"] == pytest.approx(20)
    assert one(ws, "first_response_minutes_all_hours", **day)["value"] == pytest.approx(80)


def test_zoomsphere_clock_from_latest_unanswered_message(ws):
    aug = dict(start="2023-08-01", end="2023-08-31")
    assert one(ws, "first_response_minutes_all_hours", **aug)["value"] == pytest.approx(8 * 60)  # not 32 h
    assert one(ws, "first_response_minutes", **aug)["value"] == pytest.approx(300)
    assert one(ws, "response_rate", **aug)["turns"] == 1  # two messages, one turn


def test_weekend_is_skipped(ws):
    r = one(ws, "first_response_minutes", start="2024-08-09", end="2024-08-09")
    assert r["value"] == pytest.approx(120)
    assert one(ws, "first_response_minutes_all_hours", start="2024-08-09", end="2024-08-09")["value"] == 66 * 60


def test_response_rate(ws):
    r = one(ws, "response_rate")
    assert (r["answered"], r["turns"]) == (5, 6)
    assert r["value"] == pytest.approx(5 / 6)


def test_median_and_mean(ws):
    # business minutes: A 20, B 300, C 120, D 60, F 30; wall: 80, 480, 3960, 60, 30
    assert one(ws, "first_response_minutes")["value"] == pytest.approx(60)
    assert one(ws, "first_response_minutes_mean")["value"] == pytest.approx((20 + 300 + 120 + 60 + 30) / 5)
    assert one(ws, "first_response_minutes_all_hours")["value"] == pytest.approx(80)


def test_sla(ws):
    r = one(ws, "responses_within_sla")  # ≤ 60 business min: A, D, F; denominator: all 6 turns
    assert (r["within_sla"], r["turns"]) == (3, 6)
    assert r["value"] == pytest.approx(0.5)


def test_workspace_default_business_hours(ws):
    # hudong.toml default: 09:00–18:00 Mon–Fri → B = 12:00–18:00 = 360 min
    r = compute(ws, "first_response_minutes", start="2023-08-01", end="2023-08-31").to_pylist()
    assert r[0]["value"] == pytest.approx(360)


def test_by_day_and_weekday(ws):
    r = compute(ws, "response_rate", by="day", start="2024-08-05", end="2024-08-09").to_pylist()
    assert [(x["day"], x["answered"], x["turns"]) for x in r] == [
        (dt.date(2024, 8, 5), 1, 1),
        (dt.date(2024, 8, 6), 1, 1),
        (dt.date(2024, 8, 7), 0, 1),
        (dt.date(2024, 8, 8), 1, 1),
        (dt.date(2024, 8, 9), 1, 1),
    ]
    r = compute(ws, "first_response_minutes", by=["weekday"], settings=NINE_TO_FIVE).to_pylist()
    # Thu: F 30; Fri: B (clock starts Fri 11 Aug 2023) 300 and C 120 → median 210
    assert {x["weekday"]: x["value"] for x in r} == {1: 20, 2: 60, 4: 30, 5: pytest.approx(210)}


def test_business_hours_errors(ws):
    from hudong.errors import HudongError

    with pytest.raises(HudongError, match="after"):
        compute(ws, "first_response_minutes", settings={"business_hours": {"start": "18:00", "end": "09:00"}})
