"""The command line as a user runs it: real subprocesses, real files, one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

COMMANDS = ["init", "status", "schema", "import", "formats", "quarantine", "imports", "forget", "metrics", "scorecard", "report",
            "demo"]  # fmt: skip


def hudong(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hudong.cli", *args], capture_output=True, text=True, cwd=cwd,
                          stdin=subprocess.DEVNULL,  # never a terminal: `hudong init` would ask
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


def _survey_csv(path, rows):
    path.write_text("platform,response_id,survey_id,user_id,created_at,nps_score\n" + "".join(
        f"survey,r{i},s1,u{i},2026-06-0{1 + i % 5} 10:00:00,{score}\n" for i, score in rows), encoding="utf-8")  # fmt: skip
    return path


def test_export_lake_then_imports_keep_it_in_step(tmp_path):
    from hudong.store.engines import connect

    ws_dir, lake = tmp_path / "ws", tmp_path / "lake"
    assert hudong("init", str(ws_dir)).returncode == 0
    first = _survey_csv(tmp_path / "a.csv", [(0, 10), (1, 9), (2, 3)])
    assert hudong("-w", str(ws_dir), "import", str(first), "--as", "generic-survey_responses").returncode == 0
    r = hudong("-w", str(ws_dir), "export", "--lake", str(lake))
    assert r.returncode == 0, r.stderr
    assert "survey_responses=3" in r.stdout
    second = _survey_csv(tmp_path / "b.csv", [(3, 8), (4, 0)])
    assert hudong("-w", str(ws_dir), "import", str(second), "--as", "generic-survey_responses").returncode == 0
    with connect("duckdb", lake=lake) as tables:
        assert tables["survey_responses"].count().execute() == 5  # the import reached the lake too


def test_metrics_on_spark_equal_duckdb_from_the_cli(tmp_path):
    pytest.importorskip("pyspark", reason="the Spark engine needs the extra: pip install 'hudong[spark]'")
    ws_dir = tmp_path / "ws"
    assert hudong("init", str(ws_dir), "--lake", str(tmp_path / "lake")).returncode == 0
    csv = _survey_csv(tmp_path / "a.csv", [(0, 10), (1, 9), (2, 3), (3, 7)])
    assert hudong("-w", str(ws_dir), "import", str(csv), "--as", "generic-survey_responses").returncode == 0
    duck = hudong("-w", str(ws_dir), "metrics", "nps", "--format", "csv")
    spark = hudong("-w", str(ws_dir), "metrics", "nps", "--format", "csv", "--engine", "spark")
    assert spark.returncode == 0, spark.stderr
    assert duck.stdout == spark.stdout and "25.0" in duck.stdout  # (2 promoters − 1 detractor) / 4
    # The report on Spark names, before it starts and in the report, the sections that read the DuckDB file.
    r = hudong("-w", str(ws_dir), "report", "--engine", "spark", "--no-pdf", "--lang", "en", "--out",
               str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    # the propagation analyses read the lake on Spark too; the text analyses read the DuckDB file
    assert "computed on spark; the text section read the workspace's DuckDB file" in r.stderr
    assert "propagation" not in r.stderr
    (html,) = (tmp_path / "out").glob("*.html")
    assert 'id="engine-note"' in html.read_text() and "the text section read the workspace" in html.read_text()
    r = hudong("-w", str(ws_dir), "report", "--no-pdf", "--out", str(tmp_path / "out2"))
    assert "DuckDB file" not in r.stderr and 'id="engine-note"' not in next((tmp_path / "out2").glob("*.html")).read_text()
