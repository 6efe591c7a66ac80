"""Audience segments and what each responds to (issue #17.1–2): the clustering and its stated criterion, names from
what sets a segment apart, RFM rules as defined, the empirical-Bayes preference table against a hand computation,
and the demo's planted personas (people with a taste for video, images or articles) recovered — by the learned
segments and by the preference table."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score

from hudong import analyses
from hudong.analyses import segments as seg
from hudong.cli import cli
from hudong.demo import personas
from hudong.errors import HudongError
from hudong.ingest.privacy import pseudonymise
from hudong.report.content import audience_block
from hudong.stats import segments as S
from hudong.store.workspace import Workspace

FORMAT_NAMES = {"video": ("video fans",), "image": ("image fans",), "article": ("readers", "text fans")}


def _blobs(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = {"media_video": (0.9, 0.1, 0.1), "media_image": (0.1, 0.9, 0.1), "media_article": (0.1, 0.1, 0.9)}
    sizes = (300, 200, 100)
    cols = {f: np.concatenate([rng.normal(c[i], 0.05, n) for i, n in enumerate(sizes)]) for f, c in centres.items()}
    return pd.DataFrame(cols)


def test_clusters_are_found_by_the_silhouette_ordered_by_size_and_stable():
    x = _blobs()
    a, b = S.cluster(x, seed=0), S.cluster(x, seed=0)
    assert a.k == 3 and max(a.tried, key=a.tried.get) == 3 and a.silhouette > 0.7
    assert np.array_equal(a.labels, b.labels)  # the same data and seed: the same segments
    assert list(np.bincount(a.labels)) == [300, 200, 100]  # segment 0 is the largest
    names = S.names(a.centroids)
    assert [n["name_en"].split(" · ")[0] for n in names] == ["video fans", "image fans", "readers"]
    assert names[0]["name_zh"].startswith("视频党") and names[0]["traits"][0]["feature"] == "media_video"
    with pytest.raises(ValueError, match="too few"):
        S.cluster(x.head(2))


def test_rfm_rules_follow_their_definition():
    people = pd.DataFrame({
        "recency_days": [3, 5, 10, 45, 200, 2],
        "first_days": [90, 12, 100, 120, 300, 60],
        "frequency": [80, 4, 6, 30, 50, 90],
        "orders": [2, 0, 0, 1, 3, 0],
    })  # fmt: skip
    got = S.rfm(people["recency_days"], people["first_days"], people["frequency"], people["orders"]).tolist()
    # top fifth by frequency: 80 and 90; the one with 90 never ordered, so is only active
    assert got == ["champions", "new", "active", "at_risk", "dormant", "active"]


def test_preferences_match_a_hand_computation_and_shrink_thin_cells():
    counts = pd.DataFrame({"segment": ["a", "a", "b", "b"], "cell": ["video", "image", "video", "image"],
                           "n": [9000, 1000, 2000, 8000]})  # fmt: skip
    members = pd.Series({"a": 100, "b": 400})
    out = S.preferences(counts, members, pd.Series({"video": 10, "image": 40})).set_index(["segment", "cell"])
    # large counts: shrinkage is negligible; lift = a's share / b's share
    assert out.loc[("a", "video"), "lift"] == pytest.approx(0.9 / 0.2, rel=0.01)
    assert out.loc[("a", "video"), "lift_lo"] > 1 and out.loc[("a", "video"), "distinctive"]
    assert out.loc[("a", "video"), "rate"] == pytest.approx(9000 / (100 * 10))
    assert not out.loc[("a", "image"), "distinctive"]
    # a thin segment: its raw share is pulled toward everyone's share of the cell, and its interval is wide
    thin = pd.concat([counts, pd.DataFrame({"segment": ["c", "c"], "cell": ["video", "image"], "n": [3, 0]})])
    t = S.preferences(thin, pd.Series({"a": 100, "b": 400, "c": 2})).set_index(["segment", "cell"])
    assert t.loc[("c", "video"), "raw_share"] == 1.0 and t.loc[("c", "video"), "share"] < 0.95
    assert t.loc[("c", "video"), "lift_hi"] / t.loc[("c", "video"), "lift_lo"] > 2


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_workspaces):
    return demo_workspaces.copy(tmp_path_factory.mktemp("segments") / "ws")


def _truth(ws: Workspace) -> dict[tuple[str, str], str]:
    return {(p, pseudonymise(ws.key, p, u)): v for (p, u), v in personas.planted(7, 0.02).items()}


def test_learned_segments_recover_the_planted_tastes(demo):
    """On 小红书, segmenting by what people engage with and when (focus "content") finds the planted personas: each
    taste's people sit mostly in one segment, named for that format; far better than chance agreement."""
    with Workspace.open(demo, read_only=True) as ws:
        definition, labels = seg.compute(ws, seg.SegmentParams(platform=["xiaohongshu"], focus="content"))
        truth = pd.Series([_truth(ws).get(k) for k in labels.index], index=labels.index)
    names = {s["segment"]: s["name_en"] for s in definition["segments"]}
    assert adjusted_rand_score(truth, labels) > 0.2
    shuffled = np.random.default_rng(0).permutation(labels.to_numpy())
    assert adjusted_rand_score(truth, shuffled) < 0.05
    for taste in ("video", "image", "article"):
        home = labels[truth == taste].value_counts()
        assert home.iloc[0] / home.sum() >= 0.6, (taste, home.to_dict())  # most of them in one segment …
        assert any(n in names[home.index[0]] for n in FORMAT_NAMES[taste]), (taste, names)  # … named for it
    assert "silhouette" in definition["criterion"] and definition["k"] == len(definition["segments"])


def test_the_preference_table_finds_each_personas_format(demo, tmp_path):
    """The planted personas as a stored segmentation: each taste's most distinctive content type is its format,
    with an interval above 1; people without a taste show no strong format."""
    with Workspace.open(demo) as ws:
        feats, as_of = seg.features(ws, 180, 3, ["weibo", "xiaohongshu"])
        truth = _truth(ws)
        labels = pd.Series([truth.get(k, "none") for k in feats.index], index=feats.index)
        definition = {"kind": "learned", "k": 4, "criterion": "planted personas", "as_of": as_of.isoformat(),
                      "people": len(labels), "segments": [{"segment": p, "name_zh": p, "name_en": p,
                                                           "size": int((labels == p).sum()), "traits": []}
                                                          for p in personas.PERSONAS]}  # fmt: skip
        run = seg.save(ws, definition, labels, by="test")
        res = analyses.run(ws, "segment_preferences", run=run)
        again = analyses.run(ws, "segments", run=run).frame("segments")
    top = res.frame("top").groupby("segment")["cell"].first()
    assert top["video"] == "video" and top["image"] == "image" and top["article"] in ("article", "text", "link")
    prefs = res.frame("preferences").set_index(["segment", "cell"])
    assert prefs.loc[("none", "video"), "lift_hi"] < prefs.loc[("video", "video"), "lift_lo"]
    assert list(again["segment"]) == list(personas.PERSONAS) and again["size"].sum() == len(labels)


def test_runs_are_stored_read_back_and_shown_the_same_by_the_cli(demo, tmp_path):
    r = CliRunner()
    out = r.invoke(cli, ["-w", str(demo), "segments", "--platform", "xiaohongshu", "--focus", "content", "--save",
                         "--lang", "en"])  # fmt: skip
    assert out.exit_code == 0, out.output
    run = out.output.strip().splitlines()[-1].removeprefix("saved as ")
    with Workspace.open(demo, read_only=True) as ws:
        stored = analyses.run(ws, "segments", run=run).frame("segments")
        fresh = analyses.run(ws, "segments", platform=["xiaohongshu"], focus="content").frame("segments")
        members = ws.con.execute("SELECT count(*) FROM segment_members WHERE run_id = ?", [run]).fetchone()[0]
        audience = audience_block(ws, "en")  # the report's section: the latest stored learned run
        distinctive = int(analyses.run(ws, "segment_preferences", run=run).frame("preferences")["distinctive"].sum())
    assert [r["name"] for r in audience["rows"]] == stored["name_en"].tolist()
    assert any("×" in r["likes"] for r in audience["rows"]) and "content features" in audience["summary"]
    stars = re.findall(r"<text[^>]*>★</text>", audience["heat"].svg)
    assert len(stars) == distinctive > 0, audience["heat"].svg[:3000]  # the heatmap marks each distinctive cell
    assert stored[["segment", "name_en", "size"]].equals(fresh[["segment", "name_en", "size"]])
    assert members == stored["size"].sum()
    for row in stored.itertuples():
        assert f"{row.name_en}" in out.output and f"{row.size:,}" in out.output
    listed = r.invoke(cli, ["-w", str(demo), "segments", "list"]).output
    assert run in listed and "by demo" in listed  # the demo keeps its first runs
    prefs = r.invoke(cli, ["-w", str(demo), "segments", "prefs", "--run", run, "--lang", "en"])
    assert prefs.exit_code == 0 and "×" in prefs.output, prefs.output
    rules = r.invoke(cli, ["-w", str(demo), "segments", "--kind", "rules", "--lang", "en"]).output
    assert all(name in rules for name in ("champions", "new", "active", "at risk", "dormant"))
    with Workspace.open(demo, read_only=True) as ws, pytest.raises(HudongError, match="no stored segmentation"):
        analyses.run(ws, "segments", run="seg_nope")


def test_the_audience_page_and_api_show_the_same_segments_and_analysts_run_new_ones(demo):
    import re

    from conftest import signed_in
    from hudong.web import auth
    from hudong.web.app import create_app

    with Workspace.open(demo) as ws:
        auth.add_user(ws.con, "ana", "analyst", "pw-ana-123456")
        auth.add_user(ws.con, "vic", "viewer", "pw-vic-123456")
        latest = analyses.run(ws, "segments", run="latest").frame("segments")
    app = create_app(demo, warm=False)
    try:
        ana, vic = signed_in(app, "ana", "pw-ana-123456"), signed_in(app, "vic", "pw-vic-123456")
        page = vic.get("/segments", params={"lang": "en"}).text
        assert 'id="seg-heat"' in page and "seg-new" not in page  # a viewer reads, does not run
        for row in latest.itertuples():
            assert row.name_en in page and f"{row.size:,}" in page
        api = vic.get("/api/segments").json()
        assert [s["size"] for s in api["segments"]] == latest["size"].tolist()
        assert {"lift", "lift_lo", "lift_hi", "distinctive"} <= set(api["preferences"][0])
        token = re.search(r'name="csrf" value="([^"]+)"', ana.get("/segments").text).group(1)
        assert vic.post("/segments/run", data={"csrf": token}).status_code == 403
        made = ana.post("/segments/run", data={"csrf": token, "kind": "learned", "focus": "content",
                                               "platform": "xiaohongshu"}, follow_redirects=False)  # fmt: skip
        assert made.status_code == 303 and "run=seg_" in made.headers["location"]
        shown = ana.get(made.headers["location"], params={"lang": "en"}).text
        assert "video fans" in shown and "★" in shown and "content features" in shown
        assert vic.get("/api/segments", params={"run": "seg_nope"}).status_code == 404
        # the calendar targets a segment of the run just kept, and the item says whether its format fits
        with app.state.web.db() as ws:
            video = next(g for g in seg.targets(ws) if g["name_en"].startswith("video fans"))
        plan = ana.get("/plan", params={"lang": "en"}).text
        assert video["value"] in plan  # offered in the add form
        for ct, says in (("image", "no distinct liking for image"), ("video", "responds to video: a good match")):
            made = ana.post("/plan/add", data={"csrf": token, "platform": "xiaohongshu", "text": f"{ct} 冷泡茶",
                                               "at": "2031-03-03T20:00", "segment": video["value"],
                                               "content_type": ct}, follow_redirects=False)  # fmt: skip
            item = made.headers["location"].split("saved=")[1]
            page = ana.get(f"/plan/{item}", params={"lang": "en"}).text
            assert 'id="item-segment"' in page and "video fans" in page and says in page, page
    finally:
        app.state.web.ws.close()
