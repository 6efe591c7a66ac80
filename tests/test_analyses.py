"""Issue #13.2: the analysis contract — every registered analysis runs on the demo data, parameters are typed,
and the CLI, the web app and the report show the same numbers because they call the same analysis."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

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
                          stdin=subprocess.DEVNULL, timeout=300)  # fmt: skip


def test_every_registered_analysis_runs_on_the_demo(demo_dir):
    assert {"nps", "topics"} <= set(analyses.REGISTRY)
    with Workspace.open(demo_dir, read_only=True) as ws:
        for name, a in analyses.REGISTRY.items():
            res = a(ws)
            assert res.frames and all(isinstance(f, pd.DataFrame) for f in res.frames.values()), name
            assert a.tables and a.label_zh and a.label_en and a.doc, name
            assert a.engine_note(ws) == "", name  # on DuckDB every analysis runs where it says


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
