"""Campaign ROI, attribution and incrementality (issue #17.3): the attribution models against a hand-worked chain
and the independent ChannelAttribution package, the lift against the demo's planted truth (the shop's campaign
bumps, drawn with and without), and the same numbers from the analysis, the CLI, the web API and the report."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from hudong import analyses
from hudong.cli import cli
from hudong.demo import commerce
from hudong.demo.draw import stage_rng
from hudong.demo.people import make_people
from hudong.errors import HudongError
from hudong.report.content import campaigns_block
from hudong.stats import attribution as A
from hudong.stats import incrementality as I
from hudong.store import schema as S
from hudong.store.workspace import Workspace

# Paths with their conversions and non-converting journeys (ChannelAttribution's own format)
PATHS = pd.DataFrame({"path": ["a > b", "a", "b > c", "c", "a > c > b"], "conversions": [3, 1, 2, 0, 1],
                      "nulls": [1, 2, 2, 3, 0]})  # fmt: skip


def _journeys(paths: pd.DataFrame) -> pd.DataFrame:
    return paths.assign(channels=[p.split(" > ") for p in paths["path"]])


def test_markov_removal_effect_on_a_hand_worked_chain():
    # start → a (½) → b, start → b (½); b converts half its journeys. P(conv) = ½·½ + ½·½ = ½. Without a, its half
    # of the starts is lost: P = ¼, RE_a = ½. Without b nothing converts: RE_b = 1. Shares ⅓ and ⅔.
    j = pd.DataFrame({"channels": [["a", "b"], ["b"]], "conversions": [1, 0]})
    mk, p = A.markov(j)
    assert p == pytest.approx(0.5)
    assert dict(zip(mk["channel"], mk["removal_effect"], strict=True)) == pytest.approx({"a": 0.5, "b": 1.0})
    assert dict(zip(mk["channel"], mk["conversions"], strict=True)) == pytest.approx({"a": 1 / 3, "b": 2 / 3})
    # a repeated touch is one step: the same chain
    again, _ = A.markov(pd.DataFrame({"channels": [["a", "a", "b", "b"], ["b"]], "conversions": [1, 0]}))
    assert again["conversions"].tolist() == pytest.approx(mk["conversions"].tolist())


def test_heuristic_models_and_time_decay():
    h = A.heuristic(_journeys(PATHS)).set_index(["model", "channel"])["conversions"]
    # first / last / linear as ChannelAttribution's heuristic_models gives them on these paths
    assert h["first"].to_dict() == pytest.approx({"a": 5, "b": 2})
    assert h["last"].to_dict() == pytest.approx({"a": 1, "b": 4, "c": 2})
    assert h["linear"].to_dict() == pytest.approx({"a": 17 / 6, "b": 17 / 6, "c": 4 / 3})
    # a touch two half-lives before the order counts a quarter of the last one
    td = A.heuristic(pd.DataFrame({"channels": [["x", "y"]], "ages": [[14.0, 0.0]], "conversions": [1],
                                   "value": [100.0]}), half_life_days=7)  # fmt: skip
    td = td[td["model"] == "time_decay"].set_index("channel")
    assert td["conversions"].to_dict() == pytest.approx({"x": 0.2, "y": 0.8})
    assert td["value"].to_dict() == pytest.approx({"x": 20.0, "y": 80.0})
    frame, _ = A.attribute(_journeys(PATHS))
    assert frame.groupby("model")["conversions"].sum().to_dict() == pytest.approx({m: 7.0 for m in A.MODELS})


def test_markov_agrees_with_the_channelattribution_package(capsys):
    ca = pytest.importorskip("ChannelAttribution", reason="ChannelAttribution (GPL, test-only) is installed by make setup")
    out = ca.markov_model(PATHS, "path", "conversions", var_null="nulls", out_more=True, nsim_start=1e7,
                          conv_par=0.01, max_step=100, seed=0, verbose=False, flg_pro=False)  # fmt: skip
    theirs = out["result"].set_index("channel_name")["total_conversions"]
    theirs_re = out["removal_effects"].set_index("channel_name")["removal_effect"]
    mine, p = A.markov(_journeys(PATHS))
    mine = mine.set_index("channel")
    assert p == pytest.approx(7 / 15)
    for c in ("a", "b", "c"):  # the package simulates; hudong solves the chain exactly
        assert mine.at[c, "conversions"] == pytest.approx(theirs[c], abs=0.01)
        assert mine.at[c, "removal_effect"] == pytest.approx(theirs_re[c], abs=0.005)
    heur = ca.heuristic_models(PATHS, "path", "conversions", flg_pro=False).set_index("channel_name")
    h = A.heuristic(_journeys(PATHS)).set_index(["model", "channel"])["conversions"]
    for model, col in (("first", "first_touch"), ("last", "last_touch"),
                       ("linear", "linear_touch")):  # fmt: skip
        assert h[model].reindex(heur.index, fill_value=0).to_numpy() == pytest.approx(heur[col].to_numpy())


@pytest.fixture(scope="module")
def shop():
    """The demo shop's orders at full scale (only people and orders are drawn: a second)."""
    people = make_people(stage_rng(7, "people"), 1.0)
    return commerce.orders(stage_rng(7, "orders"), people, 1.0)


def _daily(shop) -> pd.Series:
    return pd.Series(1.0, index=pd.to_datetime(shop.time, unit="s")).resample("D").sum()


@pytest.mark.parametrize("campaign, pre, strong", [("cmp-2026-618", ("2026-04-21", "2026-05-31"), True),
                                                   ("cmp-2026-springtea", ("2026-02-15", "2026-03-19"), False)])  # fmt: skip
def test_lift_recovers_the_planted_incremental_orders(shop, campaign, pre, strong):
    """618 more than doubles the orders: found beyond doubt. The spring tea festival adds about a fifth: bracketed
    and pointed the right way, but a month of baseline cannot rule out chance (docs/campaigns.md, power)."""
    _, added = commerce.planted_lift(shop, campaign)
    c = next(x for x in commerce.CAMPAIGNS if x.campaign_id == campaign)
    r = I.impact(_daily(shop), (pd.Timestamp(pre[0]), pd.Timestamp(pre[1])), (pd.Timestamp(c.start), pd.Timestamp(c.end)))
    assert r.effect_lower <= added <= r.effect_upper, (added, r.effect, r.effect_lower, r.effect_upper)
    assert abs(r.effect - added) / added < 0.35 and r.p < 0.1
    assert (r.effect_lower > 0 and r.p < 0.01) if strong else r.effect_lower < 0


def test_no_lift_is_found_where_nothing_happened():
    """A shop where no campaign ever happened (every bump left out): placebo windows show no effect."""
    people = make_people(stage_rng(7, "people"), 1.0)
    calm = commerce.orders(stage_rng(7, "orders"), people, 1.0, without=tuple(commerce.BUMPS))
    for pre, post in ((("2026-04-21", "2026-05-31"), ("2026-06-01", "2026-06-18")),
                      (("2026-02-15", "2026-03-19"), ("2026-03-20", "2026-04-20"))):  # fmt: skip
        r = I.impact(_daily(calm), (pd.Timestamp(pre[0]), pd.Timestamp(pre[1])),
                     (pd.Timestamp(post[0]), pd.Timestamp(post[1])))  # fmt: skip
        assert r.effect_lower < 0 < r.effect_upper and r.p > 0.05, (pre, r.effect, r.effect_lower, r.effect_upper)
    with pytest.raises(ValueError, match="pre-period has 10 usable days"):
        I.impact(_daily(calm), (pd.Timestamp("2026-04-21"), pd.Timestamp("2026-05-11")),
                 (pd.Timestamp("2026-05-12"), pd.Timestamp("2026-05-28")),
                 masked=[(pd.Timestamp("2026-04-21"), pd.Timestamp("2026-05-01"))])  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_workspaces):
    return demo_workspaces.copy(tmp_path_factory.mktemp("campaigns") / "ws")


def test_roi_is_computed_from_its_parts_and_every_model_shares_the_same_orders(demo):
    with Workspace.open(demo, read_only=True) as ws:
        res = analyses.run(ws, "campaign_roi")
        linear = analyses.run(ws, "campaign_roi", model="linear", campaign=["cmp-2026-618"])
        spring = ws.con.execute("SELECT count(*) FROM posts WHERE campaign_id = 'cmp-2026-springtea' AND is_ugc").fetchone()[0]
        budget = ws.con.execute("SELECT sum(budget) FROM campaigns WHERE campaign_id = 'cmp-2026-618'").fetchone()[0]
    df = res.frame("campaigns").set_index("campaign_id")
    assert set(df.index) >= {"cmp-2026-618", "cmp-2026-springtea", "cmp-2026-newyear"}
    assert df.at["cmp-2026-618", "spend"] == budget and df.at["cmp-2026-springtea", "ugc_posts"] == spring > 0
    roi = (df["attributed_revenue"] - df["spend"]) / df["spend"]
    assert np.allclose(df["roi"], roi, equal_nan=True)
    assert np.allclose(df["cost_per_engagement"], df["spend"] / df["engagement"].where(df["engagement"] > 0), equal_nan=True)
    attr = res.frame("attribution")
    cov = res.values["coverage"]
    assert cov["orders"] > cov["linked_orders"] >= cov["touched_orders"] > 0
    totals = attr.groupby("model")["conversions"].sum()
    assert totals.to_numpy() == pytest.approx(np.full(len(A.MODELS), cov["touched_orders"]))  # every order, once
    assert attr.groupby("model")["share"].sum().to_numpy() == pytest.approx(np.ones(len(A.MODELS)))
    assert any("no social identity" in n for n in res.notes)
    assert list(linear.frame("campaigns")["campaign_id"]) == ["cmp-2026-618"]
    lin = attr[(attr["model"] == "linear") & (attr["channel"] == "cmp-2026-618")]["conversions"].sum()
    assert linear.frame("campaigns")["attributed_orders"].iloc[0] == pytest.approx(lin)


def test_lift_on_the_demo_workspace_and_its_errors(demo):
    with Workspace.open(demo, read_only=True) as ws:
        sale = analyses.run(ws, "campaign_lift", campaign="cmp-2026-618")
        ugc = analyses.run(ws, "campaign_lift", campaign="cmp-2026-springtea")
        with pytest.raises(HudongError, match="unknown campaign 'nope'"):
            analyses.run(ws, "campaign_lift", campaign="nope")
        with pytest.raises(HudongError, match="unknown campaign"):
            analyses.run(ws, "campaign_roi", campaign=["nope"])
        with pytest.raises(HudongError, match="lookback_days must be at least 1"):
            analyses.run(ws, "campaign_roi", lookback_days=0)
        with pytest.raises(HudongError, match="usable days"):  # the first campaign has no baseline before it
            analyses.run(ws, "campaign_lift", campaign="cmp-2026-newyear")
    assert sale.values["metric"] == "orders" and ugc.values["metric"] == "ugc"  # chosen by the goal
    for r in (sale, ugc):
        v = r.values
        assert v["effect_lower"] > 0 and v["p"] < 0.05, v
        assert v["actual"] == pytest.approx(r.frame("daily")["actual"].sum())


def test_cli_api_and_report_show_the_analysis_numbers(demo):
    from conftest import signed_in
    from hudong.web import auth
    from hudong.web.app import create_app

    with Workspace.open(demo) as ws:
        auth.add_user(ws.con, "vic", "viewer", "pw-vic-123456")
        res = analyses.run(ws, "campaign_roi")
        lift = analyses.run(ws, "campaign_lift", campaign="cmp-2026-618")
        ugc = analyses.run(ws, "ugc_campaign", campaign="cmp-2026-springtea")
        block = campaigns_block(ws, "en")
    df = res.frame("campaigns")
    runner = CliRunner()
    out = runner.invoke(cli, ["-w", str(demo), "campaigns", "--json"])
    assert out.exit_code == 0, out.output
    cli_rows = json.loads(out.output)
    assert [r["roi"] for r in cli_rows] == pytest.approx(df["roi"].tolist(), nan_ok=True)
    table = runner.invoke(cli, ["-w", str(demo), "campaigns", "--lang", "en"]).output
    assert "cmp-2026-618" in table and f"{df.set_index('campaign_id').at['cmp-2026-618', 'roi']:.0%}" in table
    attributed = runner.invoke(cli, ["-w", str(demo), "campaigns", "attribution"]).output
    assert "markov" in attributed and "organic · wechat" in attributed
    shown = runner.invoke(cli, ["-w", str(demo), "campaigns", "lift", "cmp-2026-618", "--json"])
    assert json.loads(shown.output)["effect"] == pytest.approx(lift.values["effect"])
    bad = runner.invoke(cli, ["-w", str(demo), "campaigns", "lift", "nope"])
    assert bad.exit_code != 0 and "unknown campaign 'nope'" in str(bad.exception)
    assert [r["roi"] for r in block["rows"]] == [f"{x:.0%}" if x == x else "—" for x in df["roi"]]
    assert any(r["lift"].startswith("+") for r in block["rows"])
    assert any(f"{ugc.values['participants']:,} participants" in c["summary"] for c in block["challenges"])
    u = ugc.values  # the demo's spring challenge: users answered it, and the brand's voice grew while it ran
    assert u["ugc_posts"] > 5 * max(u["before_posts"], 1) and u["sov_during"] > u["sov_before"]
    assert 0 < u["first_time"] <= u["participants"] and u["repost_reach"] == u["repost_reach"]  # never NaN
    told = json.loads(runner.invoke(cli, ["-w", str(demo), "campaigns", "ugc", "cmp-2026-springtea", "--json"]).output)
    assert told["participants"] == ugc.values["participants"] and told["funnel"][1]["people"] == told["participants"]
    app = create_app(demo, warm=False)
    try:
        vic = signed_in(app, "vic", "pw-vic-123456")
        api = vic.get("/api/campaigns").json()
        assert [r["roi"] for r in api["campaigns"]] == pytest.approx(df["roi"].tolist(), nan_ok=True)
        assert api["coverage"] == res.values["coverage"]
        lifted = vic.get("/api/campaigns/cmp-2026-618/lift").json()
        assert lifted["effect"] == pytest.approx(lift.values["effect"]) and len(lifted["daily"]) == len(lift.frame("daily"))
        assert vic.get("/api/campaigns/nope/lift").status_code == 404
        page = vic.get("/campaigns", params={"lang": "en", "campaign": "cmp-2026-618"}).text
        assert 'id="cmp-roi"' in page and 'id="cmp-models"' in page and 'id="fig-campaign-lift"' in page
        assert re.search(r"Lift \+[\d,.]+ \[\+", page), page[-3000:]
        assert "cmp-2026-springtea" in page and "<svg" in page
        spring = vic.get("/campaigns", params={"lang": "en", "campaign": "cmp-2026-springtea"}).text
        assert 'id="ugc-summary"' in spring and 'id="fig-ugc-funnel"' in spring
        assert f"{ugc.values['participants']:,} participants" in spring
        assert vic.get("/api/campaigns/cmp-2026-springtea/ugc").json()["participants"] == ugc.values["participants"]
    finally:
        app.state.web.ws.close()


def _rows(table: str, records: list[dict]) -> pa.Table:
    cols = {c: [r.get(c) for r in records] for c in S.TABLES[table].column_names}
    cols.update(source_file=["hand.csv"] * len(records), importer=["hand"] * len(records),
                batch_id=["b1"] * len(records))  # fmt: skip
    return pa.table(cols)


@pytest.fixture
def small(tmp_path):
    """A brand small enough to count by hand: one UGC challenge (c1, 3/1–3/10, budget 1,000) and a sale (c2)."""
    d = dt.datetime
    ws = Workspace.init(tmp_path / "w")
    posts = [
        dict(platform="weibo", post_id="p0", author_id="brand", account_id="brand", created_at=d(2026, 2, 20), likes=5),
        dict(platform="weibo", post_id="p1", author_id="brand", account_id="brand", created_at=d(2026, 3, 1),
             campaign_id="c1", likes=10, comments=2, reposts=1, saves=0, reach=300),
        dict(platform="weibo", post_id="u0", author_id="bob", created_at=d(2026, 2, 1), is_ugc=True, text="早就爱喝"),
        dict(platform="weibo", post_id="u1", author_id="alice", created_at=d(2026, 3, 2), is_ugc=True,
             text="#春茶节# 好喝", likes=4, reach=80),
        dict(platform="weibo", post_id="u2", author_id="bob", created_at=d(2026, 3, 3), is_ugc=True, campaign_id="c1",
             text="打卡", likes=1, reach=20),
        dict(platform="weibo", post_id="u3", author_id="alice", created_at=d(2026, 3, 15), is_ugc=True, text="又来了"),
        dict(platform="weibo", post_id="r1", author_id="carol", created_at=d(2026, 3, 4), parent_id="u1", root_id="u1",
             reach=50),
    ]  # fmt: skip
    touches = [("i1", "carol", "like", "p0", d(2026, 2, 21)), ("i2", "carol", "like", "p1", d(2026, 3, 2)),
               ("i3", "dave", "like", "p1", d(2026, 3, 5)), ("i4", "alice", "comment", "p1", d(2026, 3, 2))]  # fmt: skip
    inter = [dict(platform="weibo", interaction_id=i, actor_id=a, type=k, target_post_id=p, created_at=t)
             for i, a, k, p, t in touches]  # fmt: skip
    inter.append(dict(platform="weibo", interaction_id="f1", actor_id="dave", type="follow", target_user_id="brand",
                      created_at=d(2026, 3, 6)))  # fmt: skip
    orders = [dict(platform="shop", order_id="o1", user_id="carol", user_platform="weibo", created_at=d(2026, 3, 6),
                   amount=100.0),
              dict(platform="shop", order_id="o2", user_id="alice", user_platform="weibo", created_at=d(2026, 3, 20),
                   amount=50.0),
              dict(platform="shop", order_id="o3", user_id="2099", created_at=d(2026, 3, 7), amount=70.0)]  # fmt: skip
    campaigns = [dict(platform="weibo", campaign_id="c1", name="春茶节 #春茶节#", start_at=d(2026, 3, 1),
                      end_at=d(2026, 3, 10), budget=1000.0, goal="ugc"),
                 dict(platform="weibo", campaign_id="c2", name="sale", start_at=d(2026, 2, 1), end_at=d(2026, 2, 5),
                      budget=500.0, goal="sales")]  # fmt: skip
    accounts = [dict(platform="weibo", account_id="brand", name="山茶社", brand="山茶社", is_own=True),
                dict(platform="weibo", account_id="rival", name="对手", brand="对手", is_own=False)]  # fmt: skip
    with ws.transaction():
        for table, rows in (("posts", posts), ("interactions", inter), ("orders", orders), ("campaigns", campaigns),
                            ("accounts", accounts)):  # fmt: skip
            ws.upsert(table, _rows(table, rows))
    yield ws
    ws.close()


def test_journeys_attribution_and_roi_counted_by_hand(small):
    from hudong.analyses.campaigns import journeys

    jr, cov = journeys(small, 30)
    got = {u: (list(c), [round(a, 3) for a in ag], n, v) for u, c, ag, n, v in
           jr[["user_id", "channels", "ages", "conversions", "value"]].itertuples(index=False)}  # fmt: skip
    # carol: an organic like, then the challenge, then her order; alice: the challenge, an order 18 days later;
    # dave: the challenge and no order
    assert got == {"carol": (["organic · weibo", "c1"], [13.0, 4.0], 1, 100.0), "alice": (["c1"], [18.0], 1, 50.0),
                   "dave": (["c1"], [0.0], 0, 0.0)}  # fmt: skip
    assert cov == {"orders": 3, "linked_orders": 2, "platforms": 1}
    res = analyses.run(small, "campaign_roi")
    c1 = res.frame("campaigns").set_index("campaign_id").loc["c1"]
    # Markov: P = ⅔; without the organic post ⁴⁄₉ (RE ⅓), without c1 nothing (RE 1): shares ¼ and ¾ of 2 orders
    assert res.values["p_conversion"] == pytest.approx(2 / 3)
    assert c1["attributed_orders"] == pytest.approx(1.5) and c1["attributed_revenue"] == pytest.approx(112.5)
    assert c1["roi"] == pytest.approx((112.5 - 1000) / 1000) and c1["cost_per_order"] == pytest.approx(1000 / 1.5)
    assert (c1["touched_orders"], c1["touched_revenue"], c1["buyers"]) == (2, 150.0, 2)
    # engagement: the counters of its post (13) and of the UGC tagged with it (1)
    assert (c1["engagement"], c1["engaged_people"], c1["new_followers"], c1["ugc_posts"]) == (14, 3, 1, 1)
    decay = res.frame("attribution").query("model == 'time_decay'").set_index("channel")["conversions"]
    w = 2 ** (-4 / 7) / (2 ** (-13 / 7) + 2 ** (-4 / 7))  # carol's c1 touch, 4 days before, against 13
    assert decay["c1"] == pytest.approx(1 + w)
    assert any("1 of 3 orders have no social identity" in n for n in res.notes)
    shorter = analyses.run(small, "campaign_roi", lookback_days=10).frame("campaigns").set_index("campaign_id")
    assert shorter.at["c1", "touched_orders"] == 1  # alice ordered 18 days after her touch


def test_ugc_challenge_counted_by_hand(small):
    res = analyses.run(small, "ugc_campaign")  # the latest campaign whose goal is UGC: c1
    v = res.values
    assert v["campaign"] == "c1" and v["keywords"] == ["春茶节"]
    # u1 names the hashtag, u2 carries the campaign; bob had written before, alice had not and wrote again after
    assert (v["ugc_posts"], v["participants"], v["first_time"], v["repeat_creators"], v["buyers"]) == (2, 2, 1, 1, 1)
    assert (v["reposts"], v["repost_reach"], v["reach"], v["engagement"]) == (1, 50.0, 100.0, 5.0)
    assert v["before_posts"] == 0
    assert res.frame("funnel")["people"].tolist() == [3, 2, 1, 1, 1]
    assert res.frame("daily")["posts"].tolist() == [1, 1] and res.frame("top")["post_id"].tolist() == ["u1", "u2"]
    only_tag = analyses.run(small, "ugc_campaign", campaign="c1", keywords=[]).values
    assert only_tag["ugc_posts"] == 1 and only_tag["participants"] == 1
    with pytest.raises(HudongError, match="unknown campaign 'x'"):
        analyses.run(small, "ugc_campaign", campaign="x")
