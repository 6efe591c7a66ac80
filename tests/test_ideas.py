"""The co-creation board (issue #17.5): feedback found in what people write (measured on hand-labelled texts from the
shared research data), grouped into ideas, the demo's planted requests recovered, and the loop closed when an idea
ships (answers drafted in the inbox)."""

from __future__ import annotations

import csv
import functools
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from hudong import analyses
from hudong.analyses import ideas as A
from hudong.cli import cli
from hudong.demo.feedback import PLANTED
from hudong.errors import HudongError
from hudong.inbox.ideas import set_status
from hudong.store.workspace import Workspace
from hudong.text import feedback as FB
from hudong.text import ideas as I

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
LABELS = Path(__file__).parent / "data" / "feedback_labels.tsv"


def test_cues_label_what_people_write():
    cases = {"小程序一直闪退,麻烦修一下": "bug", "送错了,我点的是拿铁": "bug", "希望出个无糖款": "request",
             "什么时候补货呀": "request", "太咸了,建议少放盐": "suggestion", "包装能不能小一点": "suggestion",
             "太难吃了,再也不点了": "complaint", "味道不错,回购": "other", "想问一下礼盒能不能加急": "other",
             "The app keeps crashing at checkout": "bug", "Please bring back the jasmine cold brew": "request",
             "You should add a dark mode": "suggestion", "Worst customer service ever": "complaint",
             "Bring back Janet Yellen": "other", "love it": "other"}  # fmt: skip
    got = {t: FB.classify_one(t).label for t in cases}
    assert got == cases
    assert FB.classify_one("太咸了,建议少放盐").cue == "建议"  # the evidence an operator sees


@functools.lru_cache(None)
def _texts(source: str, file: str) -> dict:
    """The texts of one shared file by the locator the labels use (tests/data/feedback_labels.tsv)."""
    base = DATA / source
    if file == "online_shopping_10_cats.csv":
        f = io.TextIOWrapper(zipfile.ZipFile(base / "online_shopping_10_cats.zip").open(file), encoding="utf-8")  # noqa: SIM115
    elif file.endswith(".csv.gz"):
        import gzip

        f = gzip.open(base / file, "rt", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
    elif file.endswith(".csv"):
        f = open(base / file, encoding="utf-8", newline="")  # noqa: SIM115 - read whole below
    elif file.endswith(".json"):
        return {k: v["text"] for k, v in json.loads((base / file).read_text(encoding="utf-8")).items()}
    else:
        return dict(enumerate((base / file).read_text(encoding="utf-8").split("\n")))
    col = {"labeled_data.csv": "tweet", "reddit_r_all_top100_hourly.csv.gz": "title"}.get(file, "review")
    with f:
        return {i: row[col] for i, row in enumerate(csv.DictReader(f))}


def test_feedback_precision_and_recall_on_hand_labelled_texts():
    """680 reviews, Weibo comments and tweets labelled by reading them (half kept aside: the cues were written on
    the dev half). The figures are in docs/cocreation.md; this keeps them from sliding."""
    if not DATA.is_dir():
        pytest.skip(f"the shared research data ({DATA}) is not on this machine")
    csv.field_size_limit(10**9)
    rows = [r for r in csv.DictReader(LABELS.open(encoding="utf-8"), delimiter="\t") if r["split"] == "test"]
    for r in rows:
        m = _texts(r["source"], r["file"])
        r["text"] = re.sub(r"\s", " ", m[r["locator"] if r["file"].endswith(".json") else int(r["locator"])]).strip()
    zh = [r for r in rows if r["lang"] == "zh"]
    pred = [FB.classify_one(r["text"]).label != "other" for r in zh]
    gold = [r["label"] != "other" for r in zh]
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    precision, recall = tp / sum(pred), tp / sum(gold)
    assert precision >= 0.85 and recall >= 0.55, (precision, recall)
    en = [r for r in rows if r["lang"] == "en"]  # English: political and news tweets, almost no product feedback
    false_alarms = sum(FB.classify_one(r["text"]).label != "other" for r in en if r["label"] == "other")
    assert false_alarms <= 3, false_alarms


def test_paraphrases_group_into_one_idea_and_others_apart():
    texts = [*PLANTED["sugar_free"][1], *PLANTED["small_pack"][1], *PLANTED["pay_crash"][1], *PLANTED["jasmine"][1]]
    truth = [k for k in ("sugar_free", "small_pack", "pay_crash", "jasmine") for _ in PLANTED[k][1]]
    g = I.group(texts)
    assert len(set(g.labels)) == 4
    for k in set(truth):
        assert len({lab for lab, t in zip(g.labels, truth, strict=True) if t == k}) == 1, k
    again = I.group(["求出无糖的冷泡茶", "门店能不能开到杭州"], seeds=[list(PLANTED["sugar_free"][1])])
    assert again.labels.tolist() == [0, 1]  # joins the stored idea; a new one starts after it


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_workspaces):
    return demo_workspaces.copy(tmp_path_factory.mktemp("ideas") / "ws")


def test_the_board_recovers_the_planted_requests_and_closes_the_loop(demo):
    with Workspace.open(demo) as ws:
        board = analyses.run(ws, "ideas").frame("ideas")
        titles = " | ".join(board["title"])
        for phrase in ("无糖", "小", "闪退"):  # sugar-free cold brew, smaller packs, the checkout crash
            assert phrase in titles, titles
        sugar = board[board["title"].str.contains("无糖")].iloc[0]
        assert sugar["kind"] == "request" and sugar["supporters"] >= 5
        msgs = analyses.run(ws, "ideas", idea=sugar["idea_id"], min_supporters=1).frame("messages")
        planted = set(PLANTED["sugar_free"][1])
        assert (msgs["text"].isin(planted)).mean() > 0.9  # the idea holds the planted messages, nothing else
        again = A.refresh(ws)
        assert again["new_ideas"] == 0 and again["joined"] == 0  # nothing twice
        out = set_status(ws, sugar["idea_id"], "shipped", "ana", note="上市了")
        drafted = ws.con.execute("SELECT count(*) FROM inbox_drafts WHERE by_user = 'ana'").fetchone()[0]
        inbound = ws.con.execute("""SELECT count(*) FROM idea_messages m JOIN interactions i ON i.platform = m.platform
                                    AND i.interaction_id = m.message_id WHERE m.idea_id = ? AND i.is_inbound""",
                                 [sugar["idea_id"]]).fetchone()[0]  # fmt: skip
        after = analyses.run(ws, "ideas").values
        with pytest.raises(HudongError, match="status must be one of"):
            set_status(ws, sugar["idea_id"], "done", "ana")
        with pytest.raises(HudongError, match="no idea"):
            set_status(ws, "idea_nope", "planned", "ana")
    assert out["answers"]["drafted"] == drafted == inbound > 0
    assert after["shipped"] == 1 and after["acted"] == 1 and after["answered"] == 1
    r = CliRunner()
    listed = r.invoke(cli, ["-w", str(demo), "ideas", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.output)[0]["supporters"] >= sugar["supporters"]
    shown = r.invoke(cli, ["-w", str(demo), "ideas", "show", sugar["idea_id"]]).output
    assert "shipped" in shown and "[request:" in shown


def test_forget_removes_support_and_a_title_quoting_the_person(demo):
    from hudong.ingest.erasure import forget

    with Workspace.open(demo) as ws:
        idea_id, source, user = ws.con.execute("""SELECT i.idea_id, i.title_source, m.user_id FROM ideas i
            JOIN idea_messages m ON i.title_source = m.platform || ':' || m.source || ':' || m.message_id
            LIMIT 1""").fetchone()  # fmt: skip
        forget(ws, user)
        title = ws.con.execute("SELECT title, title_source FROM ideas WHERE idea_id = ?", [idea_id]).fetchone()
        left = ws.con.execute("SELECT count(*) FROM idea_messages WHERE user_id = ?", [user]).fetchone()[0]
    assert title == ("(erased)", None) and left == 0


def test_the_board_on_the_web_and_its_api(demo):
    import re

    from conftest import signed_in
    from hudong.web import auth
    from hudong.web.app import create_app

    with Workspace.open(demo) as ws:
        auth.add_user(ws.con, "ana2", "analyst", "pw-ana-123456")
        auth.add_user(ws.con, "vic2", "viewer", "pw-vic-123456")
        board = analyses.run(ws, "ideas").frame("ideas")
    app = create_app(demo, warm=False)
    try:
        ana, vic = signed_in(app, "ana2", "pw-ana-123456"), signed_in(app, "vic2", "pw-vic-123456")
        assert 'id="link-ideas"' in vic.get("/campaigns").text  # reached from the campaigns and audience pages
        page = vic.get("/ideas", params={"lang": "en"}).text
        assert 'id="ideas-board"' in page and "ideas-refresh" not in page  # a viewer reads, does not act
        for r in board.head(3).itertuples():
            assert r.title in page and f'data-idea="{r.idea_id}"' in page
        api = vic.get("/api/ideas").json()
        assert [i["idea_id"] for i in api["ideas"]] == board["idea_id"].tolist()
        target = board[board["status"] == "new"].iloc[0]
        one = vic.get(f"/ideas/{target.idea_id}", params={"lang": "en"}).text
        assert 'id="idea-messages"' in one and "idea-move" not in one
        assert vic.get("/ideas/idea_nope").status_code == 404
        token = re.search(r'name="csrf" value="([^"]+)"', ana.get(f"/ideas/{target.idea_id}").text).group(1)
        assert vic.post(f"/ideas/{target.idea_id}/status", data={"csrf": token, "status": "planned"}).status_code == 403
        moved = ana.post(f"/ideas/{target.idea_id}/status", data={"csrf": token, "status": "planned", "note": "Q3"},
                         follow_redirects=False)  # fmt: skip
        assert moved.status_code == 303
        assert vic.get("/api/ideas").json()["acted"] == api["acted"] + 1  # the cache follows the change
        assert ana.post("/api/ideas/idea_nope/status", json={"status": "planned"},
                        headers={"X-CSRF-Token": token}).status_code == 404  # fmt: skip
        bad = ana.post(f"/api/ideas/{target.idea_id}/status", json={"status": "done"}, headers={"X-CSRF-Token": token})
        assert bad.status_code == 400 and "status must be one of" in bad.json()["error"]
    finally:
        app.state.web.ws.close()


def test_the_report_shows_the_board_with_the_analysis_numbers(demo_workspaces, tmp_path):
    import html as H

    from hudong.report.content import ideas_block
    from hudong.report.writer import write_report

    with Workspace.open(demo_workspaces.copy(tmp_path / "ws")) as ws:
        res = analyses.run(ws, "ideas", top=10)
        zh, en = ideas_block(ws, "zh"), ideas_block(ws, "en")
        page = H.unescape(write_report(ws, tmp_path / "out", lang="en", formats=("html",))["html"].read_text("utf-8"))
        ws.con.execute("DELETE FROM idea_messages")
        assert ideas_block(ws, "en") is None  # an empty board: no section
    board, v = res.frame("ideas"), res.values
    assert [r["title"] for r in en["rows"]] == board["title"].tolist() and len(en["rows"]) <= 10
    assert [r["supporters"] for r in en["rows"]] == [f"{n:,}" for n in board["supporters"]]
    first = board.iloc[0]
    assert en["rows"][0]["kind"] == first["kind"] and zh["rows"][0]["kind"] in ("故障", "需求", "建议", "抱怨")
    assert en["summary"] == (f"{v['ideas']} ideas on the board: {v['acted']} acted on, {v['shipped']} shipped, "
                             f"{v['answered']} answered.")  # fmt: skip
    seg = first["segments"][0] if first["segments"] else None
    assert seg is None or en["rows"][0]["segments"].startswith(f"{seg['name_en']} {seg['people']}")
    assert '<section class="major" id="ideas">' in page and 'id="ideas-board"' in page
    assert en["rows"][0]["title"] in page and en["summary"] in page


def test_the_board_is_strategic_integration_evidence(demo_workspaces, tmp_path):
    """Ideas that entered the product (planned or shipped) over the ideas users raised in the last year replace the
    self-assessment's co-creation answer."""
    from hudong.decide.evidence import MetricCache, co_creation
    from hudong.decide.scorecard import build_scorecard

    with Workspace.open(demo_workspaces.copy(tmp_path / "ws")) as ws:
        ids = [r[0] for r in ws.con.execute("SELECT idea_id FROM ideas ORDER BY idea_id").fetchall()]
        end = ws.con.execute("SELECT max(created_at) FROM idea_messages").fetchone()[0].date().isoformat()
        assert co_creation(MetricCache(ws, end=end)).value == 0.0  # the demo's ideas are all new
        set_status(ws, ids[0], "shipped", "ana")
        set_status(ws, ids[1], "planned", "ana")
        set_status(ws, ids[2], "declined", "ana", note="不做")
        obs = co_creation(MetricCache(ws, end=end))
        assert obs.value == pytest.approx(2 / len(ids)) and obs.details["n"] == len(ids)
        assert obs.details["decided_share"] == pytest.approx(3 / len(ids)) and obs.details["answered_share"] == 1.0
        card = build_scorecard(ws, end=end)
        item = card.evidence("co_creation")
        assert item is not None and item.value == pytest.approx(obs.value)
        d = card.dimension("strategic_integration")
        assert "self.product_cocreation" not in {e.key for e in d.evidence}  # the data replaced the answer
