"""Engagement metrics on a hand-built workspace; every expected value is worked out by hand below."""

from __future__ import annotations

import datetime as dt

import pytest

from hudong.metrics import compute
from hudong.metrics import testing as T

D = dt.datetime


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    likes_p1 = [
        dict(interaction_id=f"l{k}", type="like", actor_id=f"u{k}", target_post_id="p1", created_at=D(2024, 1, 1, 11))
        for k in range(12)
    ]
    other = [
        dict(interaction_id="c1", type="comment", actor_id="u1", target_post_id="p1", created_at=D(2024, 1, 1, 12)),
        dict(interaction_id="s1", type="share", actor_id="u1", target_post_id="p2", created_at=D(2024, 1, 9, 16)),
        dict(interaction_id="s2", type="repost", actor_id="u2", target_post_id="p2", created_at=D(2024, 1, 9, 16)),
        # engagement on a competitor post must not leak into own-post metrics
        dict(interaction_id="x1", type="like", actor_id="u2", target_post_id="r1", created_at=D(2024, 1, 2)),
    ]
    ws = T.workspace(
        tmp_path_factory.mktemp("eng") / "ws",
        accounts=[
            dict(account_id="me", is_own=True, brand="Camellia", followers=1000),
            dict(platform="douyin", account_id="me2", is_own=True, brand="Camellia", followers=200),
            dict(account_id="rival", is_own=False, brand="Rose", followers=5000),
        ],
        posts=[
            # p1: likes = max(10 reported, 12 stored) = 12, comments = max(2, 1) = 2, reposts 3 → E = 17
            dict(
                post_id="p1",
                author_id="me",
                account_id="me",
                created_at=D(2024, 1, 1, 10),
                likes=10,
                comments=2,
                reposts=3,
                saves=0,
                impressions=100,
                reach=50,
                author_followers=1000,
                campaign_id="c1",
                media_type="image",
            ),
            # p2: likes 1, reposts = max(NULL, 2 stored share/repost) = 2 → E = 3
            dict(
                post_id="p2",
                author_id="me",
                account_id="me",
                created_at=D(2024, 1, 9, 15),
                likes=1,
                impressions=1000,
                reach=500,
                author_followers=1100,
                media_type="video",
            ),
            # p3: likes 20 + clicks 5 = 25; no impressions, reach 0 → skipped by those ratios;
            # no author_followers → falls back to the account's 200 followers
            dict(
                platform="douyin",
                post_id="p3",
                author_id="me2",
                account_id="me2",
                created_at=D(2024, 2, 5, 10),
                likes=20,
                clicks=5,
                reach=0,
                media_type="video",
            ),
            dict(
                post_id="r1",
                author_id="rival",
                account_id="rival",
                created_at=D(2024, 1, 2),
                likes=1000,
                impressions=2000,
            ),
            dict(post_id="u1", author_id="fan", created_at=D(2024, 1, 3), is_ugc=True, likes=99, impressions=100),
        ],
        interactions=likes_p1 + other,
    )
    yield ws
    ws.close()


def rows(ws, name, **kw):
    return compute(ws, name, **kw).to_pylist()


def one(ws, name, **kw):
    r = rows(ws, name, **kw)
    assert len(r) == 1, r
    return r[0]


def test_counts(ws):
    assert one(ws, "posts")["value"] == 3
    assert one(ws, "engagements")["value"] == 17 + 3 + 25


def test_engagement_rate_impressions_mean_vs_total(ws):
    mean = one(ws, "engagement_rate_impressions")
    total = one(ws, "engagement_rate_impressions_total")
    assert mean["value"] == pytest.approx((17 / 100 + 3 / 1000) / 2)
    assert mean["posts"] == 2
    assert total["value"] == pytest.approx(20 / 1100)
    assert (total["engagements"], total["impressions"]) == (20, 1100)
    assert mean["value"] > 4 * total["value"]  # mean-of-ratios and ratio-of-sums differ here


def test_engagement_rate_reach(ws):
    assert one(ws, "engagement_rate_reach")["value"] == pytest.approx((17 / 50 + 3 / 500) / 2)
    assert one(ws, "engagement_rate_reach_total")["value"] == pytest.approx(20 / 550)


def test_engagement_rate_followers(ws):
    assert one(ws, "engagement_rate_followers")["value"] == pytest.approx((17 / 1000 + 3 / 1100 + 25 / 200) / 3)
    tot = one(ws, "engagement_rate_followers_total")
    assert tot["value"] == pytest.approx(45 / 2300)
    assert tot["followers"] == 2300


def test_kaushik_rates(ws):
    assert one(ws, "conversation_rate")["value"] == pytest.approx(2 / 3)
    assert one(ws, "amplification_rate")["value"] == pytest.approx(5 / 3)
    assert one(ws, "applause_rate")["value"] == pytest.approx((12 + 1 + 20) / 3)


def test_by_platform(ws):
    r = rows(ws, "engagement_rate_impressions", by="platform")
    assert [x["platform"] for x in r] == ["douyin", "weibo"]
    assert r[0]["value"] is None and r[0]["posts"] == 0  # douyin post has no impressions
    assert r[1]["value"] == pytest.approx(0.0865)


def test_by_week_and_month(ws):
    r = rows(ws, "engagement_rate_impressions", by=["week"])
    assert [(x["week"], x["value"]) for x in r] == [
        (dt.date(2024, 1, 1), pytest.approx(0.17)),
        (dt.date(2024, 1, 8), pytest.approx(0.003)),
        (dt.date(2024, 2, 5), None),
    ]
    r = rows(ws, "engagements", by=["platform", "month"])
    assert [(x["platform"], x["month"], x["value"]) for x in r] == [
        ("douyin", dt.date(2024, 2, 1), 25),
        ("weibo", dt.date(2024, 1, 1), 20),
    ]


def test_by_account_campaign_media_hour_weekday(ws):
    assert [(x["account"], x["value"]) for x in rows(ws, "posts", by="account")] == [("me", 2), ("me2", 1)]
    r = rows(ws, "engagements", by="campaign")
    assert {x["campaign"]: x["value"] for x in r} == {"c1": 17, None: 28}
    assert {x["media_type"]: x["value"] for x in rows(ws, "engagements", by="media_type")} == {"image": 17, "video": 28}
    r = rows(ws, "posts", by=["weekday", "hour"])
    assert [(x["weekday"], x["hour"], x["value"]) for x in r] == [(1, 10, 2), (2, 15, 1)]


def test_filters(ws):
    assert one(ws, "posts", start="2024-01-02")["value"] == 2
    assert one(ws, "posts", end="2024-01-01")["value"] == 1  # a date end includes the whole day
    assert one(ws, "posts", end=D(2024, 1, 1, 10))["value"] == 0  # a datetime end is exclusive
    assert one(ws, "engagements", platform="douyin")["value"] == 25
    assert one(ws, "engagements", platform=["douyin", "weibo"])["value"] == 45
    assert one(ws, "engagements", account="me")["value"] == 20
    assert one(ws, "engagements", campaign="c1")["value"] == 17


def test_daily_engagement_rate(ws):
    # whole period: 1 Jan … 5 Feb = 36 days; F = 1000 (me) + 200 (me2)
    r = one(ws, "daily_engagement_rate")
    assert (r["days"], r["followers"]) == (36, 1200)
    assert r["value"] == pytest.approx(45 / (36 * 1200))
    by_month = rows(ws, "daily_engagement_rate", by="month")
    assert [(x["days"], x["followers"]) for x in by_month] == [(31, 1000), (5, 200)]
    assert by_month[0]["value"] == pytest.approx(20 / (31 * 1000))
    assert by_month[1]["value"] == pytest.approx(25 / (5 * 200))
    r = one(ws, "daily_engagement_rate", start="2024-01-01", end="2024-01-10")
    assert r["value"] == pytest.approx(20 / (10 * 1000))


def test_best_posting_hours(ws):
    r = rows(ws, "best_posting_hours")
    assert [(x["weekday"], x["hour"], x["posts"]) for x in r] == [(1, 10, 1), (2, 15, 1)]
    assert r[0]["value"] == pytest.approx(0.17)
    r = rows(ws, "best_posting_hours", by="platform")
    assert [x["platform"] for x in r] == ["douyin", "weibo", "weibo"]
