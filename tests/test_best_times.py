"""Best times to publish with uncertainty (issue #16.3): empirical-Bayes slot lifts whose intervals cover the truth,
a planted best slot found, thin data said to be thin and shrunk toward the platform's pattern; the analysis, the CLI
and the calendar's panel over a workspace."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from hudong.metrics import testing as T
from hudong.stats.slots import recommend, slot_lifts


def _posts(rng: np.random.Generator, n: int, effect: dict[tuple[int, int], float], base: float = 0.03,
           platform: str = "weibo", content: str = "image") -> pd.DataFrame:  # fmt: skip
    wd = rng.integers(0, 7, n)
    hour = rng.integers(0, 24, n)
    mult = np.array([np.exp(effect.get((w, h // 3), 0.0)) for w, h in zip(wd, hour, strict=True)])
    imp = np.ceil(rng.lognormal(8, 0.6, n)).astype(int)
    rate = rng.beta(base * mult * 80, (1 - base * mult) * 80)
    return pd.DataFrame({"platform": platform, "content_type": content, "weekday": wd, "hour": hour,
                         "engagements": rng.binomial(imp, rate), "impressions": imp})


def test_the_intervals_cover_slot_effects_drawn_as_the_model_assumes():
    rng = np.random.default_rng(3)
    covered = total = 0
    for _ in range(6):
        truth = {(w, b): rng.normal(0, 0.15) for w in range(7) for b in range(8)}
        lifts = slot_lifts(_posts(rng, 1500, truth))
        # the lift is relative to the group's typical post: compare effects centred the same way
        centre = np.log(lifts["lift"]).mean() - np.mean([truth[(r.weekday, r.block)] for r in lifts.itertuples()])
        for r in lifts.itertuples():
            t = truth[(r.weekday, r.block)] + centre
            covered += int(np.log(r.lo) <= t <= np.log(r.hi))
            total += 1
    assert 0.8 <= covered / total <= 0.97, covered / total


def test_a_planted_best_slot_is_found_and_thin_data_say_so():
    rng = np.random.default_rng(5)
    # evenings are better every day, weekends a little better all day, weekend evenings best
    truth = ({(w, 6): 0.4 for w in range(5)} | {(w, b): 0.2 for w in (5, 6) for b in range(8)}
             | {(w, 6): 0.6 for w in (5, 6)})  # fmt: skip
    strong = slot_lifts(_posts(rng, 2500, truth))
    row = recommend(strong).iloc[0]
    assert row["separable"] and {s[:2] for s in row["slots"][:2]} == {(5, 6), (6, 6)}
    assert all(s[3] > 1.4 for s in row["slots"][:2])
    spike = recommend(slot_lifts(_posts(rng, 2500, {(2, 6): 0.5}))).iloc[0]
    assert spike["slots"][0][:2] == (2, 6)  # one good slot alone is found, though shrunk harder
    flat = recommend(slot_lifts(_posts(rng, 2500, {})))
    assert not flat["separable"].iloc[0]  # no slot is better: the recommendation says it cannot tell
    thin = recommend(slot_lifts(_posts(rng, 12, {(2, 6): 0.5})))
    assert thin["thin"].iloc[0] and not thin["separable"].iloc[0]


def test_thin_cells_borrow_the_platforms_pattern():
    rng = np.random.default_rng(8)
    evenings = {(w, 6): 0.5 for w in range(7)}
    images = _posts(rng, 2000, evenings)
    videos = _posts(rng, 60, evenings, content="video")
    lifts = slot_lifts(pd.concat([images, videos]))
    v = lifts[(lifts["content_type"] == "video") & (lifts["weekday"] == 4) & (lifts["block"] == 6)]
    i = lifts[(lifts["content_type"] == "image") & (lifts["weekday"] == 4) & (lifts["block"] == 6)]
    assert len(v) and v["own_weight"].iloc[0] < i["own_weight"].iloc[0] < 1
    assert v["lift"].iloc[0] > 1.3  # a post or two of video there, but the platform's pattern says evenings are good
    assert lifts.groupby("content_type")["rank"].min().eq(1).all()


def _workspace(tmp_path):
    rng = np.random.default_rng(11)
    df = _posts(rng, 800, {(5, 6): 0.6})
    monday = dt.datetime(2026, 6, 1)
    rows = [dict(platform="weibo", post_id=f"p{i}", account_id="own", author_id="own", media_type="image",
                 created_at=monday + dt.timedelta(days=int(r.weekday) + 7 * (i % 20), hours=int(r.hour)),
                 impressions=int(r.impressions), likes=int(r.engagements), comments=0, reposts=0, text=f"post {i}")
            for i, r in enumerate(df.itertuples())]  # fmt: skip
    return T.workspace(tmp_path / "ws", accounts=[dict(platform="weibo", account_id="own", is_own=True)],
                       posts=rows)  # fmt: skip


def test_the_analysis_cli_and_calendar_show_the_best_slot(tmp_path):
    from click.testing import CliRunner

    from hudong import analyses
    from hudong.cli import cli

    ws = _workspace(tmp_path)
    try:
        res = analyses.run(ws, "best_times")
    finally:
        ws.close()
    rec = res.frame("recommended").iloc[0]
    assert rec["separable"] and rec["slots"][0][:2] == (5, 6) and res.values["posts"] == 800
    out = CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), "plan", "best-times"]).output
    assert "weibo · image (800 posts" in out and "周六 18–21点  ×" in out
    en = CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), "plan", "best-times", "--lang", "en"]).output
    assert "Sat 18:00–21:00" in en


@pytest.mark.parametrize("lang,label", [("zh", "周六 18–21点"), ("en", "Sat 18:00–21:00")])
def test_the_calendar_panel_and_day_hints(tmp_path, lang, label):
    from conftest import signed_in
    from hudong.store.workspace import Workspace
    from hudong.web import auth
    from hudong.web.app import create_app

    _workspace(tmp_path).close()
    ws = Workspace.open(tmp_path / "ws")
    auth.add_user(ws.con, "rita", "responder", "pw-rita-123456")
    ws.close()
    app = create_app(tmp_path / "ws", warm=False)
    try:
        page = signed_in(app, "rita", "pw-rita-123456").get("/plan", params={"date": "2030-06-05", "lang": lang}).text
        panel = page[page.index('id="plan-best"'):page.index('id="plan-rising"')]
        assert label in panel and "×" in panel
        assert page.count('class="best-hint"') == 1 and label in page[page.index('class="best-hint"'):][:200]
        assert 'id="plan-rising"' in page
    finally:
        app.state.web.ws.close()


def test_the_content_mix_says_which_formats_to_post_more_of():
    from hudong.stats.slots import content_mix

    rng = np.random.default_rng(2)
    df = pd.concat([_posts(rng, 800, {}, content="image"), _posts(rng, 300, {}, base=0.045, content="video"),
                    _posts(rng, 12, {}, content="text")])  # fmt: skip
    mix = content_mix(df).set_index("content_type")
    assert mix.loc["video", "verdict"] == "more" and mix.loc["image", "verdict"] == "less"
    ratio = mix.loc["video", "lift"] / mix.loc["image", "lift"]
    assert 1.35 < ratio < 1.7  # video's rate is 1.5 × image's
    assert mix.loc["text", "verdict"] == "unclear" and mix.loc["text", "lo"] < 1 < mix.loc["text", "hi"]
    assert abs(mix["share"].sum() - 1) < 1e-9
