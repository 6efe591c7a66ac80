"""Community metrics on a hand-built activity log; expected values worked out in the comments."""

from __future__ import annotations

import datetime as dt

import pytest

from hudong.metrics import compute
from hudong.metrics import testing as T

D = dt.datetime
d = dt.date


def act(iid, actor, when, type="like", platform="weibo", **kw):
    return dict(interaction_id=iid, type=type, actor_id=actor, created_at=when, platform=platform, **kw)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    # a: 1 Jan, 2 Jan, 15 Jan, 5 Feb; b: 1 Jan, 6 Feb; c: UGC post 3 Jan; e (douyin): view 7 Feb; f: like 10 Feb (Sat)
    inter = [
        act("a1", "a", D(2024, 1, 1, 9)),
        act("a2", "a", D(2024, 1, 2, 9)),
        act("a3", "a", D(2024, 1, 15, 9)),
        act("a4", "a", D(2024, 2, 5, 9)),
        act("b1", "b", D(2024, 1, 1, 10), type="comment"),
        act("b2", "b", D(2024, 2, 6, 10), type="comment"),
        act("e1", "e", D(2024, 2, 7), type="view", platform="douyin"),
        act("f1", "f", D(2024, 2, 10)),
        # excluded: a staff user, a row written by staff, the own account acting, an automated row
        act("s1", "staffer", D(2024, 1, 1)),
        act("s2", "d", D(2024, 1, 1), by_staff=True),
        act("s3", "me", D(2024, 1, 2)),
        act("s4", "bot", D(2024, 1, 2), is_automated=True),
    ]
    ws = T.workspace(
        tmp_path_factory.mktemp("comm") / "ws",
        interactions=inter,
        posts=[
            dict(post_id="u1", author_id="c", created_at=D(2024, 1, 3), is_ugc=True),
            dict(post_id="n1", author_id="zz", created_at=D(2024, 1, 3), is_ugc=False),
        ],
        users=[dict(user_id="staffer", is_staff=True)],
        accounts=[dict(account_id="me", is_own=True)],
    )
    yield ws
    ws.close()


def rows(ws, name, **kw):
    return compute(ws, name, **kw).to_pylist()


def test_dau(ws):
    r = rows(ws, "dau", by="day")
    assert [(x["day"], x["value"]) for x in r] == [
        (d(2024, 1, 1), 2),
        (d(2024, 1, 2), 1),
        (d(2024, 1, 3), 1),
        (d(2024, 1, 15), 1),
        (d(2024, 2, 5), 1),
        (d(2024, 2, 6), 1),
        (d(2024, 2, 7), 1),
        (d(2024, 2, 10), 1),
    ]
    assert rows(ws, "dau")[0]["value"] == pytest.approx(9 / 8)  # mean over active days
    assert [x["value"] for x in rows(ws, "dau", by="month")] == [pytest.approx(5 / 4), 1.0]


def test_wau_mau(ws):
    r = rows(ws, "wau", by="week")
    assert [(x["week"], x["value"]) for x in r] == [(d(2024, 1, 1), 3), (d(2024, 1, 15), 1), (d(2024, 2, 5), 4)]
    assert [(x["month"], x["value"]) for x in rows(ws, "mau", by="month")] == [(d(2024, 1, 1), 3), (d(2024, 2, 1), 4)]
    r = rows(ws, "mau", by=["platform", "month"])
    assert [(x["platform"], x["month"], x["value"]) for x in r] == [
        ("douyin", d(2024, 2, 1), 1),
        ("weibo", d(2024, 1, 1), 3),
        ("weibo", d(2024, 2, 1), 3),
    ]
    assert rows(ws, "mau", platform="douyin")[0]["value"] == 1
    assert rows(ws, "mau", start="2024-02-01")[0]["value"] == 4


def test_stickiness_and_wau_mau(ws):
    r = rows(ws, "stickiness", by="month")
    assert [x["value"] for x in r] == [pytest.approx(1.25 / 3), pytest.approx(1 / 4)]
    r = rows(ws, "wau_mau", by="month")  # Jan: weeks 1 Jan (3) and 15 Jan (1) → 2 / 3; Feb: 4 / 4
    assert [x["value"] for x in r] == [pytest.approx(2 / 3), pytest.approx(1.0)]
    assert rows(ws, "stickiness")[0]["value"] == pytest.approx((1.25 / 3 + 1 / 4) / 2)


def test_new_returning_churned(ws):
    assert [x["value"] for x in rows(ws, "new_users", by="month")] == [3, 2]
    r = rows(ws, "returning_users", by="month")
    assert [(x["value"], x["active"]) for x in r] == [(0, 3), (2, 4)]
    assert rows(ws, "returning_users", start="2024-02-01")[0]["value"] == 2
    r = rows(ws, "churned_users", by="month")  # Jan has no previous month; Feb: c churned of {a, b, c}
    assert [(x["month"], x["value"], x["previous_active"]) for x in r] == [(d(2024, 2, 1), 1, 3)]
    r = rows(ws, "churned_users", by="day", end="2024-01-03")
    # 2 Jan: {a,b} → {a}: b churned; 3 Jan: {a} → {c}: a churned
    assert [(x["day"], x["value"]) for x in r] == [(d(2024, 1, 2), 1), (d(2024, 1, 3), 1)]


def test_retention(ws):
    r = rows(ws, "retention")
    # cohort 1 Jan = {a, b, c}; a back on day 14 (period 2); last day 10 Feb → periods 0..4 observable
    got = [(x["cohort"], x["period"], x["active"], x["cohort_size"]) for x in r]
    assert got == [
        (d(2024, 1, 1), 0, 3, 3),
        (d(2024, 1, 1), 1, 0, 3),
        (d(2024, 1, 1), 2, 1, 3),
        (d(2024, 1, 1), 3, 0, 3),
        (d(2024, 1, 1), 4, 0, 3),
        (d(2024, 2, 5), 0, 2, 2),
    ]
    assert r[2]["value"] == pytest.approx(1 / 3)
    r = rows(ws, "retention", start="2024-02-01")
    assert [(x["cohort"], x["period"]) for x in r] == [(d(2024, 2, 5), 0)]
    r = rows(ws, "retention", by="platform")
    assert {(x["platform"], x["cohort"], x["cohort_size"]) for x in r if x["period"] == 0} == {
        ("douyin", d(2024, 2, 5), 1),
        ("weibo", d(2024, 1, 1), 3),
        ("weibo", d(2024, 2, 5), 1),
    }


def test_orbit_gravity_reference_fixture(tmp_path):
    """Orbit verified fixture: (Expl, Part, Contr, Lead) (17,8,4,1) → (15,9,5,1) → (12,10,6,2)."""
    # Love thresholds: Exploring ≥ 1, Participating ≥ 8, Contributing ≥ 30, Leading ≥ 100; a like weighs 1.
    plan: dict[str, list[int]] = {"L0": [100, 0, 0]}  # likes in Jan, Feb, Mar
    plan |= {f"C{k}": [30, 0, 70 if k == 0 else 0] for k in range(4)}  # C0 → Leading in Mar
    plan |= {f"P{k}": [8, 22 if k == 0 else 0, 22 if k in (1, 2) else 0] for k in range(8)}
    plan |= {f"E{k}": [1, 7 if k < 2 else 0, 7 if k in (2, 3, 4) else 0] for k in range(17)}
    rows_ = []
    for user, counts in plan.items():
        for month, n in enumerate(counts, start=1):
            rows_ += [act(f"{user}-{month}-{j}", user, D(2024, month, 10) + dt.timedelta(seconds=j)) for j in range(n)]
    ws = T.workspace(tmp_path / "orbit", interactions=rows_)
    lv = compute(ws, "orbit_levels", by="month").to_pylist()
    counts = {(x["month"].month, x["level_name"]): x["value"] for x in lv}
    assert [counts[(m, "Exploring")] for m in (1, 2, 3)] == [17, 15, 12]
    assert [counts[(m, "Participating")] for m in (1, 2, 3)] == [8, 9, 10]
    assert [counts[(m, "Contributing")] for m in (1, 2, 3)] == [4, 5, 6]
    assert [counts[(m, "Leading")] for m in (1, 2, 3)] == [1, 1, 2]
    g = compute(ws, "orbit_gravity", by="month").to_pylist()
    assert [x["mass"] for x in g] == [441, 504, 666]
    assert [x["members"] for x in g] == [30, 30, 30]
    assert g[0]["value"] is None
    assert g[1]["value"] == pytest.approx(2.1)
    assert g[2]["value"] == pytest.approx(5.4)
    ws.close()


def test_orbit_lookback(ws):
    # 30-day look-back. As of 1 Feb: [2 Jan, 1 Feb) → a (likes 2, 15 Jan), c (UGC post) = 2 members;
    # as of 1 Mar: a (like), b (comment), f (like); e only viewed (weight 0) → 3 members, all Exploring
    r = compute(ws, "orbit_levels", by="month", settings={"metrics": {"orbit_lookback_days": 30}}).to_pylist()
    got = {(x["month"].month, x["level_name"]): x["value"] for x in r}
    assert got == {
        (1, "Leading"): 0,
        (1, "Contributing"): 0,
        (1, "Participating"): 0,
        (1, "Exploring"): 2,
        (2, "Leading"): 0,
        (2, "Contributing"): 0,
        (2, "Participating"): 0,
        (2, "Exploring"): 3,
    }
    assert [x["level"] for x in r[:4]] == [1, 2, 3, 4]
