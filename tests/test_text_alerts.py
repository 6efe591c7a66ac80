"""Crisis alerts: a planted rise in negative talk about the brand is found with the posts that drove it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hudong.text.alerts import detect_alerts


def _days(rng, start, days, per_day, neg_share):
    rows = []
    for d in range(days):
        n = rng.poisson(per_day)
        for _ in range(n):
            rows.append({"created_at": pd.Timestamp(start) + pd.Timedelta(days=d, hours=int(rng.integers(0, 24))),
                         "negative": bool(rng.random() < neg_share), "reach": int(rng.integers(10, 1000)),
                         "likes": 1, "comments": 0, "reposts": 0, "text": "calm", "platform": "weibo",
                         "post_id": f"c{d}-{len(rows)}"})  # fmt: skip
    return rows


def _calm(seed=0, days=60):
    return pd.DataFrame(_days(np.random.default_rng(seed), "2026-01-01", days, 30, 0.15))


def test_no_alert_on_a_calm_series():
    for seed in range(5):
        alerts, daily = detect_alerts(_calm(seed))
        assert alerts == [] and not daily["alert"].any()


def test_more_talk_in_the_usual_mix_is_not_a_crisis():
    rng = np.random.default_rng(9)
    busy = pd.DataFrame(_days(rng, "2026-03-01", 3, 150, 0.15))  # five times the volume, same share
    alerts, _ = detect_alerts(pd.concat([_calm(1), busy], ignore_index=True))
    assert alerts == []


def test_planted_crisis_is_found_with_its_driving_posts():
    calm = _calm(2)
    crisis = pd.DataFrame([{"created_at": pd.Timestamp("2026-03-02 10:00") + pd.Timedelta(hours=i % 12),
                            "negative": True, "reach": 100_000 + i, "likes": 5, "comments": 5, "reposts": 5,
                            "text": f"发霉了 {i}", "platform": "weibo", "post_id": f"x{i}"} for i in range(25)])  # fmt: skip
    alerts, daily = detect_alerts(pd.concat([calm, crisis], ignore_index=True))
    assert len(alerts) == 1
    a = alerts[0]
    assert a.start == a.end == pd.Timestamp("2026-03-02") and a.flagged >= 25
    assert a.share > a.baseline_share * 2 and a.z >= 4 and a.kleinberg_burst
    assert a.posts["post_id"].tolist() == [f"x{i}" for i in range(24, 19, -1)]  # top 5 by reach
    assert daily.set_index("day").loc["2026-03-02", "alert"]


def test_missing_signal_column_is_a_clear_error():
    from hudong.errors import HudongError

    with pytest.raises(HudongError, match="no 'toxic' column"):
        detect_alerts(_calm(), "toxic")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_workspaces):
    return demo_workspaces.copy(tmp_path_factory.mktemp("demo") / "ws")


def test_demo_workspace_shows_the_planted_crisis(demo):
    import hudong
    from hudong import analyses
    from hudong.analyses.alerts import records

    ws = hudong.open(demo, read_only=True)
    try:
        res = analyses.run(ws, "alerts")
    finally:
        ws.close()
    alerts, posts = res.frame("alerts"), res.frame("posts")
    neg = alerts[alerts["signal"] == "negative"]
    assert len(neg) == 1, records(res)
    a = neg.iloc[0]
    assert pd.Timestamp("2026-06-20") <= a["peak"] <= pd.Timestamp("2026-06-22")
    driving = posts[posts["alert"] == a["alert"]]
    assert driving["text"].str.contains("山茶社茶叶发霉").all() and len(driving) == 5


def test_comments_and_dms_addressed_to_the_brand(demo):
    """--with-comments: interactions with text on the brand's posts, sent to its accounts or naming it, not by
    staff or outbound; the planted crisis is still found."""
    import hudong
    from hudong import analyses
    from hudong.analyses.context import brands
    from hudong.analyses.texts import brand_texts
    from hudong.text.mentions import BrandMatcher

    ws = hudong.open(demo, read_only=True)
    try:
        posts_only = brand_texts(ws)
        both = brand_texts(ws, interactions=True)
        meta = ws.con.execute(
            """SELECT i.platform, i.interaction_id AS post_id, i.type, coalesce(i.by_staff, false) AS by_staff,
                      coalesce(i.is_inbound, true) AS inbound,
                      i.target_post_id IN (SELECT p.post_id FROM posts p JOIN accounts a ON a.platform = p.platform
                                           AND a.account_id = p.account_id WHERE a.is_own) AS on_own_post,
                      i.target_user_id IN (SELECT account_id FROM accounts WHERE is_own) AS to_own_account,
                      s.polarity AS stored
               FROM interactions i LEFT JOIN text_sentiment s ON s.platform = i.platform AND s.kind = 'interaction'
                    AND s.id = i.interaction_id""").df()
        res = analyses.run(ws, "alerts", interactions=True)
        matcher = BrandMatcher(brands(ws))
        own = next(b.name for b in brands(ws) if b.is_own)
    finally:
        ws.close()
    assert set(posts_only["kind"]) == {"post"}
    talk = both[both["kind"] != "post"].merge(meta, on=["platform", "post_id"], how="left", validate="1:1")
    assert len(talk) > 100 and set(talk["kind"]) <= {"comment", "reply", "mention", "dm"}
    assert (talk["kind"] == talk["type"]).all() and not talk["by_staff"].any() and talk["inbound"].all()
    names = talk["text"].map(lambda t: own in matcher.brands_in(t))
    assert (talk["on_own_post"].fillna(False) | talk["to_own_account"].fillna(False) | names).all()
    assert talk["polarity"].equals(talk["stored"]) and talk["negative"].eq(talk["polarity"].eq("negative")).all()
    assert len(both) - len(talk) == len(posts_only)
    alerts, posts = res.frame("alerts"), res.frame("posts")
    neg = alerts[alerts["signal"] == "negative"]
    assert neg["peak"].between(pd.Timestamp("2026-06-20"), pd.Timestamp("2026-06-22")).any()
    assert "kind" in posts.columns and posts.loc[posts["alert"].isin(neg["alert"]), "kind"].notna().all()


def test_cli_text_commands_on_the_demo(demo):
    import json

    from click.testing import CliRunner

    import hudong
    from hudong.cli import cli

    run = CliRunner()
    out = run.invoke(cli, ["-w", str(demo), "text", "alerts", "--format", "json"])
    assert out.exit_code == 0, out.output
    alerts = json.loads(out.output)
    assert [a["signal"] for a in alerts] == ["negative"] and alerts[0]["peak"].startswith("2026-06-2")
    out = run.invoke(cli, ["-w", str(demo), "text", "mentions", "--grain", "month", "--format", "csv"])
    assert out.exit_code == 0, out.output
    sov = pd.read_csv(__import__("io").StringIO(out.output))
    assert set(sov["brand"]) == {"山茶社", "茶颜小筑", "青山茶铺"}
    assert sov.groupby("period")["share"].sum().round(6).eq(1).all()
    may = sov[sov["period"].str.startswith("2026-05")].set_index("brand")["share"]
    assert may.idxmax() == "茶颜小筑"  # the competitor's May promotion
    out = run.invoke(cli, ["-w", str(demo), "text", "bursts", "--end", "2026-06-21", "--format", "json"])
    assert out.exit_code == 0, out.output
    rising = json.loads(out.output)["rising"]
    assert "#山茶社茶叶发霉#" in [r["term"] for r in rising[:5]]
    out = run.invoke(cli, ["-w", str(demo), "text", "topics", "--by", "campaign", "--distinctive", "--format", "json"])
    assert out.exit_code == 0, out.output
    spring = [r["term"] for r in json.loads(out.output) if r["group"] == "cmp-2026-springtea"]
    assert "#春茶节#" in spring
    # segments: keywords of own posts / UGC / others, document counts checked against the posts themselves
    from hudong.analyses import texts
    from hudong.analyses.context import workspace_text
    from hudong.text.keywords import doc_terms, segment_of

    out = run.invoke(cli, ["-w", str(demo), "text", "topics", "--by", "source", "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert {r["group"] for r in rows} == {"own", "ugc", "other"}
    ws = hudong.open(demo, read_only=True)
    try:
        posts = texts.posts(ws)
        posts = posts[posts["parent_id"].isna()]
        seg = segment_of(posts, "source")
        with workspace_text(ws):  # the brand names segmented whole, as the analysis does
            for r in rows[:3] + rows[-3:]:
                docs = sum(r["term"] in doc_terms(t) for t in posts.loc[seg == r["group"], "text"])
                assert r["docs"] == docs, r
    finally:
        ws.close()


def test_report_text_sections_render_chinese(demo):
    import hudong
    from hudong.report.text_sections import gather_text

    ws = hudong.open(demo, read_only=True)
    try:
        sec = gather_text(ws, "zh")
        # "rising now" is the last week of the period: ending two days after the planted crisis, it is the crisis
        # (the demo's own last week may hold nothing that rises, which the chart then says)
        crisis = gather_text(ws, "zh", end="2026-06-24").charts["rising_topics"]
    finally:
        ws.close()
    assert sec.charts["sentiment_trend"].svg and sec.charts["keyword_bars"].svg
    assert sec.charts["rising_topics"].svg or sec.charts["rising_topics"].note
    assert "发霉" in crisis.svg, crisis.note
    assert "口碑情感走势" in sec.charts["sentiment_trend"].svg and "负面" in sec.charts["sentiment_trend"].svg
    assert len(sec.alerts) == 1 and sec.alerts[0]["line"].startswith("负面情感")
    assert all("发霉" in p["text"] for p in sec.alerts[0]["posts"])
