"""Share of voice / engagement and UGC metrics on a hand-built brand landscape."""

from __future__ import annotations

import datetime as dt

import pytest

from hudong.metrics import compute
from hudong.metrics import testing as T

D = dt.datetime


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    accounts = [
        dict(account_id="me", is_own=True, brand="Camellia", aliases=["山茶", "CML"]),
        dict(account_id="rival", is_own=False, brand="Rose", aliases=["玫瑰"]),
    ]
    long_text = "山茶 and 玫瑰 both nice, truly lovely flowers"
    posts = [
        dict(post_id="u1", author_id="fan1", created_at=D(2024, 1, 2), is_ugc=True, text="I love camellia", likes=50),
        dict(post_id="u2", author_id="fan2", created_at=D(2024, 1, 3), is_ugc=True, text=long_text, likes=25),
        dict(post_id="u3", author_id="fan1", created_at=D(2024, 2, 3), is_ugc=True, text="cml cml CML", likes=40),
        dict(
            post_id="u5",
            author_id="fan3",
            created_at=D(2024, 2, 4),
            is_ugc=True,
            campaign_id="spring",
            text="a long enough text about Camellia flowers",
            likes=5,
        ),
        dict(post_id="n1", author_id="x", created_at=D(2024, 1, 5), text="nothing to see"),
        # by the brand itself: not a mention of Camellia
        dict(post_id="m1", author_id="me", account_id="me", created_at=D(2024, 1, 6), text="Camellia launch", likes=30),
        dict(post_id="m2", author_id="me", account_id="me", created_at=D(2024, 2, 6), text="hello", likes=10),
        # a competitor post naming Camellia counts for Camellia, not for Rose
        dict(
            post_id="r1",
            author_id="rival",
            account_id="rival",
            created_at=D(2024, 1, 7),
            text="Rose beats camellia?",
            likes=10,
        ),
    ]
    inter = [
        dict(interaction_id="mm", type="mention", actor_id="fan9", target_user_id="rival", created_at=D(2024, 2, 8))
    ]
    ws = T.workspace(tmp_path_factory.mktemp("voice") / "ws", accounts=accounts, posts=posts, interactions=inter)
    yield ws
    ws.close()


def rows(ws, name, **kw):
    return compute(ws, name, **kw).to_pylist()


def test_share_of_voice(ws):
    r = rows(ws, "share_of_voice")
    # Camellia: u1, u2, u3 (alias, case-insensitive, once), u5, r1 = 5; Rose: u2 + the @-mention = 2
    assert [(x["brand"], x["mentions"], x["total"]) for x in r] == [("Camellia", 5, 7), ("Rose", 2, 7)]
    assert r[0]["value"] == pytest.approx(5 / 7)
    r = rows(ws, "share_of_voice", by="month")
    assert [(x["month"].month, x["brand"], x["mentions"]) for x in r] == [
        (1, "Camellia", 3),
        (1, "Rose", 1),
        (2, "Camellia", 2),
        (2, "Rose", 1),
    ]
    assert r[1]["value"] == pytest.approx(1 / 4)


def test_share_of_engagement(ws):
    r = rows(ws, "share_of_engagement")
    assert [(x["brand"], x["engagements"]) for x in r] == [("Camellia", 40), ("Rose", 10)]
    assert r[0]["value"] == pytest.approx(0.8)


def test_ugc(ws):
    assert rows(ws, "ugc_volume")[0]["value"] == 4
    assert [x["value"] for x in rows(ws, "ugc_volume", by="month")] == [2, 2]
    assert rows(ws, "ugc_volume", campaign="spring")[0]["value"] == 1
    r = rows(ws, "ugc_share")[0]
    assert (r["ugc_posts"], r["own_posts"]) == (4, 2)
    assert r["value"] == pytest.approx(4 / 6)
    assert rows(ws, "ugc_creators")[0]["value"] == 3


def test_ugc_quality(ws):
    # own median E = (30 + 10)/2 = 20; long text (≥ 20 chars) and E ≥ 20: only u2
    r = rows(ws, "ugc_quality")[0]
    assert (r["quality_posts"], r["ugc_posts"]) == (1, 4)
    r = rows(ws, "ugc_quality", settings={"metrics": {"ugc_min_chars": 5}})[0]
    assert r["quality_posts"] == 3  # u1 (50), u2 (25), u3 (40) pass; u5 (5) does not
