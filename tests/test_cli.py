"""The command line as a user runs it: real subprocesses, real files, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

COMMANDS = ["init", "schema", "import", "formats", "quarantine", "imports", "forget", "metrics", "scorecard", "report",
            "demo"]  # fmt: skip


def hudong(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hudong.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    r = hudong(command, "--help")
    assert r.returncode == 0, r.stderr
    assert "Usage: " in r.stdout and "--help" in r.stdout


def test_errors_are_one_line_without_traceback(tmp_path):
    r = hudong("-w", str(tmp_path / "nowhere"), "metrics", "nps")
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "not a hudong workspace" in lines[0]


def test_init_import_quarantine_metrics_forget_round_trip(tmp_path):
    ws = tmp_path / "ws"
    assert hudong("init", str(ws)).returncode == 0
    csv = tmp_path / "survey.csv"
    csv.write_text(
        "platform,response_id,survey_id,user_id,created_at,nps_score,comment\n"
        "survey,r1,s1,alice,2026-06-01 10:00:00,10,很好 电话13812345678\n"
        "survey,r2,s1,bob,2026-06-01 11:00:00,3,一般\n"
        "survey,r3,s1,carol,not a date,9,\n",
        encoding="utf-8",
    )
    r = hudong("-w", str(ws), "import", str(csv), "--as", "generic-survey_responses", "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "quarantine" in r.stdout.lower()
    q = hudong("-w", str(ws), "quarantine")
    assert "survey.csv:3" in q.stdout and "created_at" in q.stdout
    m = hudong("-w", str(ws), "metrics", "nps", "--format", "csv")
    assert m.returncode == 0, m.stderr
    header, row = m.stdout.strip().splitlines()[:2]
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert float(values["value"]) == 0.0  # one promoter, one detractor
    # Re-importing the same file changes nothing.
    again = hudong("-w", str(ws), "import", str(csv), "--as", "generic-survey_responses", "--no-progress")
    assert again.returncode == 0
    f = hudong("-w", str(ws), "forget", "alice", "--platform", "survey")
    assert f.returncode == 0, f.stderr
    assert "erased" in f.stdout and "survey_responses=1" in f.stdout
    m2 = hudong("-w", str(ws), "metrics", "nps", "--format", "json")
    assert '"n":1' in m2.stdout.replace(" ", "")
