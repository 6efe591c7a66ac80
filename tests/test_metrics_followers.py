"""Follower growth from the platforms' daily statistics (account_stats), computed by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from hudong.metrics import compute
from hudong.metrics import testing as T


def _day(d: int, account: str, followers: int | None, new: int | None, lost: int | None, platform: str = "wechat"):
    return dict(platform=platform, account_id=account, day=dt.datetime(2026, 3, d), followers=followers,
                new_followers=new, lost_followers=lost)


def test_growth_and_rate_by_hand(tmp_path):
    ws = T.workspace(tmp_path / "ws", account_stats=[
        _day(1, "a", 1000, None, None),  # a total without changes: adds nothing to growth
        _day(2, "a", 1030, 40, 10), _day(3, "a", 1025, 5, 10),
        _day(2, "b", 505, 10, 5, "douyin"), _day(3, "b", 515, 12, 2, "douyin"),
    ])
    try:
        (g,) = compute(ws, "follower_growth").to_pylist()
        assert (g["value"], g["new_followers"], g["lost_followers"]) == (30 + (-5) + 5 + 10, 67, 27)
        rates = {r["platform"]: r for r in compute(ws, "follower_growth_rate", by="platform").to_pylist()}
        # wechat: starts at 1000 (day 1's total, no change that day), grows 25; douyin: 505 − 5 = 500, grows 15
        assert (rates["wechat"]["followers_start"], rates["wechat"]["growth"]) == (1000, 25)
        assert rates["wechat"]["value"] == pytest.approx(0.025)
        assert (rates["douyin"]["followers_start"], rates["douyin"]["growth"]) == (500, 15)
        (both,) = compute(ws, "follower_growth_rate").to_pylist()
        assert both["value"] == pytest.approx(40 / 1500)
        by_day = {r["day"]: r["value"] for r in compute(ws, "follower_growth", by="day").to_pylist()}
        assert by_day == {dt.date(2026, 3, 1): None, dt.date(2026, 3, 2): 35, dt.date(2026, 3, 3): 5}
    finally:
        ws.close()
