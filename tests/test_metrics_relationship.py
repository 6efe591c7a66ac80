"""NPS (reference fixture), repurchase rate (equal windows, censoring) and fan loyalty."""

from __future__ import annotations

import datetime as dt

import pytest

from hudong.metrics import compute
from hudong.metrics import testing as T

D = dt.datetime


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    # 60 promoters (9/10), 25 passives (7/8), 15 detractors (0–6) in March; two answers in April: 10 and 6
    scores = [9 + k % 2 for k in range(60)] + [7 + k % 2 for k in range(25)] + [k % 7 for k in range(15)]
    survey = [
        dict(platform="survey", response_id=f"r{k}", survey_id="s1", created_at=D(2024, 3, 1 + k % 28), nps_score=s)
        for k, s in enumerate(scores)
    ]
    survey += [
        dict(platform="survey", response_id="a1", survey_id="s2", created_at=D(2024, 4, 2), nps_score=10),
        dict(platform="survey", response_id="a2", survey_id="s2", created_at=D(2024, 4, 3), nps_score=6),
        dict(platform="survey", response_id="a3", survey_id="s2", created_at=D(2024, 4, 3), nps_score=None),
    ]
    orders = [
        ("x", D(2024, 1, 1)),
        ("x", D(2024, 2, 1)),  # again after 31 days
        ("y", D(2024, 1, 5)),
        ("z", D(2024, 1, 10)),
        ("z", D(2024, 5, 1)),  # again after 112 days: outside 90
        ("w", D(2024, 3, 1)),
        ("w", D(2024, 3, 2)),
        ("v", D(2024, 6, 1)),  # window not complete by the last order (1 Jun): censored
    ]
    orders_rows = [dict(platform="shop", order_id=f"o{k}", user_id=u, created_at=t) for k, (u, t) in enumerate(orders)]
    like = "like"
    inter = [
        dict(interaction_id=f"i{k}", type=ty, actor_id=u, created_at=t)
        for k, (u, ty, t) in enumerate(
            [
                ("a", like, D(2024, 1, 3)),
                ("b", "comment", D(2024, 1, 4)),
                ("c", like, D(2024, 1, 5)),
                ("a", like, D(2024, 2, 3)),
                ("b", like, D(2024, 2, 4)),
                ("f", like, D(2024, 2, 5)),
                ("g", "view", D(2024, 2, 6)),  # views are not engagement
                ("a", "save", D(2024, 3, 3)),
            ]
        )
    ]
    ws = T.workspace(
        tmp_path_factory.mktemp("rel") / "ws", survey_responses=survey, orders=orders_rows, interactions=inter
    )
    yield ws
    ws.close()


def test_nps_reference_fixture(ws):
    r = compute(ws, "nps", end="2024-03-31").to_pylist()[0]
    assert (r["n"], r["promoters"], r["passives"], r["detractors"]) == (100, 60, 25, 15)
    assert r["value"] == pytest.approx(45)
    assert r["ci_low"] == pytest.approx(30.5, abs=0.05)
    assert r["ci_high"] == pytest.approx(59.5, abs=0.05)


def test_nps_by_month(ws):
    r = compute(ws, "nps", by="month").to_pylist()
    assert [(x["month"], x["n"], x["value"]) for x in r] == [
        (dt.date(2024, 3, 1), 100, pytest.approx(45)),
        (dt.date(2024, 4, 1), 2, pytest.approx(0)),
    ]
    # p = d = 0.5, n = 2: Var = (1 − 0)/2 → half-width 1.96·100·√0.5 = 138.6, clipped to the NPS scale
    assert (r[1]["ci_low"], r[1]["ci_high"]) == (-100, 100)


@pytest.mark.parametrize(
    ("start", "end", "n", "expected"),
    [
        ("2024-04-02", "2024-04-02", 1, (100.0, 100.0, 100.0)),  # one promoter: Var 0
        ("2024-04-03", "2024-04-03", 1, (-100.0, -100.0, -100.0)),  # one detractor
        ("2024-04-01", "2024-04-30", 2, (0.0, -100.0, 100.0)),  # 0 ± 138.6 before clipping
    ],
)
def test_nps_interval_is_clipped_to_the_scale_at_tiny_n(ws, start, end, n, expected):
    r = compute(ws, "nps", start=start, end=end).to_pylist()[0]
    assert r["n"] == n
    assert (r["value"], r["ci_low"], r["ci_high"]) == pytest.approx(expected)
    assert -100 <= r["ci_low"] <= r["value"] <= r["ci_high"] <= 100


def test_nps_interval_is_clipped_where_it_is_rendered(ws):
    """The report's and the web page's NPS blocks and the chart spec never show a bound outside [−100, 100]."""
    from hudong.report import charts
    from hudong.report.content import nps_block
    from hudong.web.analytics import Frames
    from hudong.web.analytics import nps_block as web_nps_block
    from hudong.web.filters import Filters

    block = nps_block(ws, "en", "2024-04-01", "2024-04-30")
    assert block["interval"] == "[-100.0, 100.0]"
    info, fig = web_nps_block(Frames(ws, Filters(start=dt.date(2024, 4, 1), end=dt.date(2024, 4, 29)), "en"))
    assert info["interval"] == "[-100.0, 100.0]"
    assert "138" not in str(fig.spec)
    # a frame computed elsewhere (an old lake, another engine) is clipped by the chart too
    spec = charts.nps_interval(0.0, -138.6, 138.6, "en")
    bounds = [(v["lo"], v["hi"]) for layer in spec["layer"] for v in layer["data"]["values"] if "lo" in v]
    assert set(bounds) == {(-100.0, 100.0)}


def test_repurchase_rate(ws):
    r = compute(ws, "repurchase_rate").to_pylist()[0]
    assert (r["repeat_customers"], r["customers"]) == (2, 4)  # x, w of x, y, z, w (v censored)
    r = compute(ws, "repurchase_rate", by="month").to_pylist()
    assert [(x["month"], x["value"]) for x in r] == [
        (dt.date(2024, 1, 1), pytest.approx(1 / 3)),
        (dt.date(2024, 3, 1), 1.0),
    ]
    r = compute(ws, "repurchase_rate", settings={"metrics": {"repurchase_window_days": 30}}).to_pylist()[0]
    assert (r["repeat_customers"], r["customers"]) == (1, 4)  # x's second order is 31 days later
    assert compute(ws, "repurchase_rate", start="2024-02-01").to_pylist()[0]["customers"] == 1


def test_fan_loyalty(ws):
    r = compute(ws, "fan_loyalty", by="month").to_pylist()
    # Feb: engaged {a, b, f}, of whom a, b engaged in Jan → 2/3; Mar: {a}, engaged in Feb → 1
    assert [(x["month"], x["repeat_users"], x["engaged_users"]) for x in r] == [
        (dt.date(2024, 2, 1), 2, 3),
        (dt.date(2024, 3, 1), 1, 1),
    ]
    assert compute(ws, "fan_loyalty").to_pylist()[0]["value"] == pytest.approx((2 / 3 + 1) / 2)
