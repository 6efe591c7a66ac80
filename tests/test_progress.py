"""Issue #19 item 18: long commands report their stages on a terminal (rich), and nothing when piped.

``hudong.progress.progress`` on a forced terminal (``Console(force_terminal=True)``) draws the stages; piped
(stderr not a terminal, or --no-progress) it is a no-op, so the command's output has no bar and no escape codes.
The commands run for real (CLI subprocesses on a small workspace; analyses called with a recording callback)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pandas as pd
import pytest
from rich.console import Console

from hudong.progress import NO_PROGRESS, progress

ESC = "\x1b["


def test_a_forced_terminal_shows_every_stage_and_the_units():
    buf = io.StringIO()
    with progress("text bursts", 3, console=Console(force_terminal=True, file=buf, width=120)) as step:
        step("reading posts")
        step("segmenting posts", total=50)
        for _ in range(5):
            step(advance=10)
        step("Kleinberg bursts")
    out = buf.getvalue()
    assert ESC in out
    for text in ("text bursts", "[1/3] reading posts", "[2/3] segmenting posts", "50/50", "[3/3] Kleinberg bursts"):
        assert text in out, text


def test_not_a_terminal_means_no_bar():
    buf = io.StringIO()
    with progress("report", 5, console=Console(file=buf)) as step:  # a file, not a terminal
        step("charts")
    assert step is NO_PROGRESS and buf.getvalue() == ""
    with progress("report", 5, enabled=False) as step:
        assert step is NO_PROGRESS
    with progress("report", 5) as step:  # pytest captures stderr: not a terminal
        assert step is NO_PROGRESS


class Recorder:
    def __init__(self):
        self.stages: list[str] = []
        self.units = 0

    def __call__(self, description=None, *, advance=0, total=None):
        if description is not None:
            self.stages.append(description)
        self.units += advance


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    from hudong import demo

    d = tmp_path_factory.mktemp("progress") / "ws"
    demo.build(d, scale=0.01, progress=False)
    return d


@pytest.fixture(scope="module")
def stage_runs(demo_ws):
    """Each analysis run once on the demo workspace with a recording callback: name → Recorder."""
    from hudong import analyses
    from hudong.analyses.scoring import score_workspace
    from hudong.decide import build_scorecard
    from hudong.report import write_report
    from hudong.store.workspace import Workspace

    with Workspace.open(demo_ws) as ws:
        runs = {}
        for name, run in {
            "text score": lambda p: score_workspace(ws, full=True, progress=p),
            "text bursts": lambda p: analyses.run(ws, "bursts", progress=p),
            "text topics": lambda p: analyses.run(ws, "topics", mode="clusters", progress=p),
            "text alerts": lambda p: analyses.run(ws, "alerts", interactions=True, progress=p),
            "cascades": lambda p: analyses.run(ws, "cascades", progress=p),
            "communities": lambda p: analyses.run(ws, "communities", progress=p),
            "coordination": lambda p: analyses.run(ws, "coordination", progress=p),
            "koc": lambda p: analyses.run(ws, "koc", progress=p),
            "scorecard": lambda p: build_scorecard(ws, progress=p),
            "report": lambda p: write_report(ws, demo_ws / "reports", lang="en", formats=("html",), progress=p),
        }.items():
            rec = Recorder()
            run(rec)
            runs[name] = rec
    return runs


def test_analyses_report_their_stages(stage_runs):
    runs = stage_runs
    assert runs["text score"].stages == ["finding the texts to score", "scoring texts", "writing the scores"]
    n_texts = runs["text score"].units
    assert n_texts > 1000
    assert runs["text bursts"].stages == ["reading posts", "segmenting posts", "rising now", "Kleinberg bursts"]
    assert runs["text bursts"].units > 100  # the posts segmented
    assert runs["text topics"].units >= 0  # per 10,000 documents
    assert runs["text alerts"].stages[0] == "reading posts" and runs["text alerts"].stages[-1] == "detecting alerts"
    assert runs["cascades"].stages == ["reading posts and building the cascades", "cascade metrics"]
    assert len(runs["communities"].stages) == 2
    # co-sharing (3 stages), then with the default adjusted=True: bot-like timing and the KPIs raw vs adjusted
    assert runs["coordination"].stages == ["reading shares", "co-shares within the interval", "pair weights and groups",
                                           "bot-like timing", "KPIs raw vs adjusted"]  # fmt: skip
    assert len(runs["koc"].stages) == 3
    assert runs["scorecard"].stages == ["scorecard evidence"] and runs["scorecard"].units > 10
    assert runs["report"].stages[0] == "scorecard evidence" and runs["report"].stages[-1] == "writing the HTML"
    assert len(runs["report"].stages) == 6  # the count the CLI's bar is drawn with (writer.REPORT_STEPS)


def test_analyses_declare_the_stages_they_report(stage_runs):
    """The CLI draws an analysis' bar with the stage count it declares (``hudong.cli._analysis``)."""
    from hudong import analyses

    runs = stage_runs
    for name, run_name in (("bursts", "text bursts"), ("cascades", "cascades"), ("communities", "communities"),
                           ("coordination", "coordination"), ("koc", "koc")):  # fmt: skip
        assert len(runs[run_name].stages) == analyses.get(name).steps, (name, runs[run_name].stages)


@pytest.mark.parametrize("args", [["text", "bursts"], ["cascades"], ["scorecard"], ["text", "topics"]])
def test_piped_commands_print_no_bar_or_escape_codes(demo_ws, args):
    r = subprocess.run([sys.executable, "-m", "hudong.cli", "-w", str(demo_ws), *args], capture_output=True,
                       text=True, timeout=300, env={**os.environ, "TERM": "xterm-256color"})  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    assert ESC not in r.stdout and ESC not in r.stderr  # no colours, no cursor moves
    assert "━" not in r.stderr and "\r" not in r.stderr  # no bar (stdout's tables may use box lines)


def test_progress_option_is_offered_by_the_long_commands():
    from click.testing import CliRunner

    from hudong.cli import cli

    for args in (["report"], ["communities"], ["coordination"], ["cascades"], ["koc"], ["scorecard"],
                 ["text", "score"], ["text", "bursts"], ["text", "topics"], ["text", "alerts"], ["import"]):  # fmt: skip
        out = CliRunner().invoke(cli, [*args, "--help"]).output
        assert "--progress / --no-progress" in out, args


def test_term_matrix_reports_documents_segmented():
    from hudong.text.keywords import term_matrix

    rec = Recorder()
    term_matrix(pd.Series(["新品 好喝"] * 25_000), rec)
    assert rec.units == 20_000  # every full 10,000
