"""Issue #13.2: the analysis contract — every registered analysis runs on the demo data, parameters are typed,
and the CLI, the web app and the report show the same numbers because they call the same analysis."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from hudong import analyses
from hudong.errors import HudongError
from hudong.store.workspace import Workspace


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, demo_workspaces):
    return demo_workspaces.copy(tmp_path_factory.mktemp("analyses") / "ws")


def hudong(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hudong.cli", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300, env={**os.environ, "COLUMNS": "250"})  # fmt: skip


SHOWN = {"alerts", "bursts", "cascades", "communities", "coordination", "forecast", "inbox", "koc", "mentions", "nps",
         "rumour", "scorecard", "sentiment_trend", "topics"}  # what the CLI, the web and the report show


def _train_models(ws) -> None:
    """The forecast and rumour models those analyses need, trained into the workspace on its own cascades (the
    rumour labels are arbitrary: this checks that the analysis runs, not what it finds)."""
    from hudong.analyses import reads
    from hudong.analyses.forecast import RUMOUR_MODEL, forecast_model_name, model_path
    from hudong.graph.forecast import SizeForecaster, with_info
    from hudong.graph.rumour import RumourFlagger

    lc = reads.labelled_cascades(ws)
    SizeForecaster(minutes=60).fit(lc).save(model_path(ws, forecast_model_name(60)))
    labels = np.where(np.arange(len(lc.info)) % 2 == 0, "rumour", "non-rumour")
    RumourFlagger(lang="zh", classes=("non-rumour", "rumour")).fit(with_info(lc, label=labels)).save(
        model_path(ws, RUMOUR_MODEL))


class Stages:
    def __init__(self):
        self.stages: list[str] = []

    def __call__(self, description=None, *, advance=0, total=None):
        if description:
            self.stages.append(description)


def test_every_registered_analysis_runs_on_the_demo(demo_dir):
    registry = analyses.registry()  # hudong's own, the scorecard and inbox (entry points), and any plugin's
    assert set(registry) >= SHOWN
    with Workspace.open(demo_dir, read_only=True) as ws:
        _train_models(ws)
        for name, a in registry.items():
            heard = Stages()
            res = a(ws, progress=heard)
            assert res.frames and all(isinstance(f, pd.DataFrame) for f in res.frames.values()), name
            assert any(len(f) for f in res.frames.values()), name  # the demo has data for every one of them
            assert a.tables and a.label_zh and a.label_en and a.doc, name
            assert a.engine_note(ws) == "", name  # on DuckDB every analysis runs where it says
            assert a.steps is None or len(heard.stages) <= a.steps, (name, heard.stages)  # the bar's length holds


def test_parameters_are_typed_and_checked(demo_dir):
    with Workspace.open(demo_dir, read_only=True) as ws:
        with pytest.raises(HudongError, match="unknown parameter.*colour.*parameters: platform"):
            analyses.run(ws, "topics", colour="red")
        with pytest.raises(HudongError, match="top must be int, got '5'"):
            analyses.run(ws, "topics", top="5")
        with pytest.raises(HudongError, match="mode must be one of 'keywords', 'distinctive', 'clusters'"):
            analyses.run(ws, "topics", mode="vibes")
        with pytest.raises(HudongError, match="platform must be list"):
            analyses.run(ws, "nps", platform="weibo")
        with pytest.raises(HudongError, match="unknown analysis 'nope'"):
            analyses.run(ws, "nope")
        res = analyses.run(ws, "nps", campaign=["cmp-2026-springtea"])
        assert "does not apply" in res.notes[0]  # a filter the data cannot take is said, not dropped silently


def test_cli_web_and_report_show_the_same_nps(demo_dir):
    from hudong.report.content import nps_block as report_nps
    from hudong.web.analytics import Frames
    from hudong.web.analytics import nps_block as web_nps
    from hudong.web.filters import Filters as WebFilters

    cli = json.loads(hudong("-w", str(demo_dir), "metrics", "nps", "--format", "json").stdout)[0]
    with Workspace.open(demo_dir, read_only=True) as ws:
        values = analyses.run(ws, "nps").values
        report = report_nps(ws, "en")
        web, _ = web_nps(Frames(ws, WebFilters(), "en"))
        assert values["value"] == pytest.approx(cli["value"]) and values["n"] == cli["n"] > 0
        assert report["value"] == web["value"] == f"{cli['value']:+.1f}"
        assert report["interval"] == web["interval"] and report["counts"] == web["counts"]
        # and under a filter, the same again
        start, end = dt.date(2026, 5, 1), dt.date(2026, 6, 30)
        month = analyses.run(ws, "nps", start=start.isoformat(), end=end.isoformat()).values
        web_month, _ = web_nps(Frames(ws, WebFilters(start=start, end=end), "en"))
        assert report_nps(ws, "en", start, end)["value"] == web_month["value"] == f"{month['value']:+.1f}"


def test_cli_and_web_topics_come_from_the_same_analysis(demo_dir):
    from hudong.web.analytics import TOP_TOPICS, TOPIC_POSTS, Frames, topic_rows
    from hudong.web.filters import Filters as WebFilters

    r = hudong("-w", str(demo_dir), "text", "topics", "--clusters", "--platform", "weibo", "--format", "json")
    assert r.returncode == 0, r.stderr
    cli = json.loads(r.stdout)
    with Workspace.open(demo_dir, read_only=True) as ws:
        res = analyses.run(ws, "topics", mode="clusters", platform=["weibo"])
        table = res.frame("table")
        assert [row["label"] for row in cli] == table["label"].tolist() and len(cli) > 0
        assert [row["docs"] for row in cli] == table["docs"].tolist()
        # the web page shows the most recent TOPIC_POSTS original posts: the same analysis with recent=
        recent = analyses.run(ws, "topics", mode="clusters", platform=["weibo"], recent=TOPIC_POSTS)
        web, _ = topic_rows(Frames(ws, WebFilters(platform=("weibo",)), "en"))
        assert [w["label"] for w in web] == recent.frame("table")["label"].head(TOP_TOPICS).tolist()
        assert recent.values["posts"] == min(TOPIC_POSTS, res.values["posts"])  # reposts left out on both


def test_cli_web_and_report_show_the_same_cascades_and_kocs(demo_dir):
    from hudong.report.propagation import KOC_ROWS, gather_propagation
    from hudong.web.analytics import Frames, koc_rows, propagation_context
    from hudong.web.filters import Filters as WebFilters

    r = hudong("-w", str(demo_dir), "cascades", "--top", "3", "--no-progress")
    assert r.returncode == 0, r.stderr
    with Workspace.open(demo_dir, read_only=True) as ws:
        table = analyses.run(ws, "cascades").frame("cascades")
        kocs = analyses.run(ws, "koc", top=KOC_ROWS).frame("candidates")
        web = propagation_context(Frames(ws, WebFilters(), "en"))
        web_kocs = koc_rows(Frames(ws, WebFilters(), "en"))
        report = gather_propagation(ws, "en")
    assert f"cascades: {len(table):,}" in r.stdout and len(table) > 0
    top = table.iloc[0]
    assert str(top["root_post_id"]) in r.stdout and web["cascades"][0]["root"] == str(top["root_post_id"])
    assert web["n_cascades"] == f"{len(table):,}" and web["cascades"][0]["size"] == f"{int(top['size']):,}"
    assert str(top["root_post_id"]) in report.tree_note and f"{int(top['size']):,}" in report.tree_note
    assert [k["reshares"] for k in report.koc] == [f"{int(v):,}" for v in kocs["reshares_sum"]]
    assert [k["reshares"] for k in web_kocs][: len(report.koc)] == [k["reshares"] for k in report.koc]


def test_memo_computes_an_analysis_once_per_parameters_and_hands_out_copies(tmp_path):
    """Inside analyses.memo() an analysis asked for again with the same parameters on the same workspace is not
    run again (the demo's scorecard and two reports); each caller gets its own copy; outside, nothing is kept."""
    from dataclasses import dataclass

    from hudong.analyses import base

    calls: list[str | None] = []

    @dataclass(frozen=True)
    class P:
        platform: str | None = None

    def probe(ws, p, step):
        calls.append(p.platform)
        return analyses.Result({"t": pd.DataFrame({"n": [len(calls)]})}, values={"tags": ["a"]})

    probe_analysis = analyses.analysis("memo_probe", "探针", "probe", tables=(), params=P)(probe)
    try:
        ws, other = Workspace.init(tmp_path / "a"), Workspace.init(tmp_path / "b")
        try:
            probe_analysis(ws)
            probe_analysis(ws)
            assert len(calls) == 2  # no memo: computed each time
            with analyses.memo():
                first = probe_analysis(ws)
                first.frames["t"].loc[0, "n"] = -1  # a caller changing its copy…
                first.values["tags"].append("b")
                again = probe_analysis(ws)
                assert len(calls) == 3
                assert again.frame("t")["n"].tolist() == [3] and again.values["tags"] == ["a"]  # …changes only its own
                with analyses.memo():  # a nested block shares the outer one
                    probe_analysis(ws)
                assert len(calls) == 3
                probe_analysis(ws, platform="weibo")
                probe_analysis(other)
                assert calls[3:] == ["weibo", None]
            probe_analysis(ws)
            assert len(calls) == 6  # the block is over: computed again
        finally:
            ws.close()
            other.close()
    finally:
        del base.REGISTRY["memo_probe"]


def test_the_demo_reports_under_memo_are_those_computed_apart(demo_dir, tmp_path):
    """The demo writes its scorecard and both reports inside one memo: each report must be the one written
    alone (only the time it was written and the charts' SVG element ids, a per-process counter, may differ)."""
    from hudong.report import write_report

    stamp = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}|(?<=clip)\d+|(?<=gradient_)\d+")
    ws = Workspace.open(demo_dir, read_only=True)
    try:
        apart = {lang: write_report(ws, tmp_path / f"apart-{lang}", lang=lang, formats=("html",))["html"]
                 for lang in ("zh", "en")}  # fmt: skip
        with analyses.memo():
            together = {lang: write_report(ws, tmp_path / "together", lang=lang, formats=("html",))["html"]
                        for lang in ("zh", "en")}  # fmt: skip
    finally:
        ws.close()
    for lang in ("zh", "en"):
        a, b = (stamp.sub("…", p.read_text(encoding="utf-8")) for p in (apart[lang], together[lang]))
        assert a == b, lang
        assert len(a) > 50_000
