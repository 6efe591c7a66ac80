"""Import semantics: accounting, quarantine, duplicates, idempotent re-import, one transaction per file."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pyarrow as pa
import pytest

from hudong.errors import HudongError
from hudong.ingest import ImportSummary, import_file, list_formats, load_mapping
from hudong.store import schema as S
from hudong.store.workspace import ImportCounts, Workspace


def _accounted(s: ImportSummary, table: str) -> int:
    c = s.tables[table]
    return c.stored + c.updated + c.unchanged + s.quarantined + s.duplicates_in_file


INTERACTIONS = (
    "platform,interaction_id,type,actor_id,target_post_id,created_at,text,is_inbound,dwell_seconds\n"
    "weibo,i1,like,u1,p1,2024-06-01 12:00:00,,,\n"
    "weibo,i2,comment,u2,p1,2024-06-01T12:00:00+00:00,call 13812345678,是,\n"
    "weibo,i3,Comment,u2,p1,bad-date,x,,\n"
    "weibo,i4,hug,u2,p1,2024-06-01 12:00:00,x,,\n"
    "weibo,i5,like,,p1,2024-06-01 12:00:00,x,,\n"
    "weibo,i1,like,u1,p1,2024-06-01 12:00:00,,,\n"
    "weibo,i6,view,u3,p1,2024-06-01 12:00:00,,,abc\n"
    "weibo,i7,VIEW,u3,p1,1717214400,,,12.5\n"
    "weibo,,like,u9,p2,06月01日 12:00,,,\n"
    "weibo,,like,u9,p2,06月01日 12:00,,,\n"
    "weibo,i2,comment,u2,p1,2024-06-01T12:00:00+00:00,changed text,是,\n"
    "tiktok,i8,like,u1,p1,2024-06-01 12:00:00,,,\n"
    "weibo,i9,like,u1,p1,2024-06-01 12:00:00,,maybe,\n"
)


def test_every_row_is_accounted_for_with_reasons(workspace, tmp_path):
    f = tmp_path / "interactions.csv"
    f.write_text(INTERACTIONS, encoding="utf-8")
    s = import_file(workspace, f, "generic-interactions")
    assert s.rows_read == 13
    assert s.rows_read == _accounted(s, "interactions")
    assert s.tables["interactions"].stored == 4  # i1, i7, the hashed one, i2 (last version)
    assert s.duplicates_in_file == 2  # repeated i1; repeated id-less like (same content hash)
    assert s.quarantined == 7
    assert s.reasons == {
        "created_at: unparseable timestamp": 1,
        f"type: not one of {', '.join(S.INTERACTION_TYPES)}": 1,
        "actor_id: missing required value": 1,
        "dwell_seconds: not a number": 1,
        "interaction_id: duplicate key with different content": 1,
        f"platform: not one of {', '.join(S.PLATFORMS)}": 1,
        "is_inbound: not a boolean": 1,
    }
    q = workspace.con.execute(
        "SELECT row_number, column_name, reason, raw, target_table FROM quarantine ORDER BY row_number"
    ).fetchall()
    assert [(r[0], r[1]) for r in q] == [
        (2, "interaction_id"),
        (3, "created_at"),
        (4, "type"),
        (5, "actor_id"),
        (7, "dwell_seconds"),
        (12, "platform"),
        (13, "is_inbound"),
    ]
    assert "also at row 11, which was kept" in q[0][2]
    assert json.loads(q[1][3])["created_at"] == "bad-date"
    assert {r[4] for r in q} == {"interactions"}
    got = dict(workspace.con.execute("SELECT interaction_id, text FROM interactions").fetchall())
    assert got["i2"] == "changed text"
    hashed = [k for k in got if k.startswith("h_")]
    assert len(hashed) == 1
    row = workspace.con.execute(
        "SELECT type, created_at, dwell_seconds FROM interactions WHERE interaction_id='i7'"
    ).fetchone()
    assert row == ("view", dt.datetime(2024, 6, 1, 12, 0), 12.5)
    # The year-less date took the year of the file's other dates.
    assert workspace.con.execute(f"SELECT created_at FROM interactions WHERE interaction_id='{hashed[0]}'").fetchone()[
        0
    ] == dt.datetime(2024, 6, 1, 12)
    batch = workspace.con.execute(
        "SELECT status, rows_read, rows_stored, rows_quarantined, file_sha256 FROM import_batches"
    ).fetchone()
    assert batch[:4] == ("ok", 13, 4, 7) and len(batch[4]) == 64
    text = str(s)
    assert "4 stored" in text and "quarantined" in text and "unparseable timestamp" in text


def test_reimport_changes_nothing_and_updates_are_counted(workspace, tmp_path):
    f = tmp_path / "interactions.csv"
    f.write_text(INTERACTIONS, encoding="utf-8")
    first = import_file(workspace, f, "generic-interactions")
    before = workspace.con.execute("SELECT * EXCLUDE (batch_id) FROM interactions ORDER BY interaction_id").fetchall()
    again = import_file(workspace, f, "generic-interactions")
    assert again.tables["interactions"] == ImportCounts(
        stored=0, updated=0, unchanged=first.tables["interactions"].stored
    )
    assert again.rows_read == _accounted(again, "interactions")
    after = workspace.con.execute("SELECT * EXCLUDE (batch_id) FROM interactions ORDER BY interaction_id").fetchall()
    assert before == after
    # Provenance of unchanged rows still points at the first batch.
    assert workspace.con.execute("SELECT DISTINCT batch_id FROM interactions").fetchall() == [(first.batch_id,)]
    g = tmp_path / "update.csv"
    g.write_text(
        "platform,interaction_id,type,actor_id,created_at,text\nweibo,i1,like,u1,2024-06-01 12:00:00,now with text\n"
    )
    s = import_file(workspace, g, "generic-interactions")
    assert s.tables["interactions"] == ImportCounts(stored=0, updated=1, unchanged=0)


def test_pseudonyms_are_stable_across_imports_and_files(workspace, tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("platform,user_id,followers\nweibo,fan1,10\n")
    b = tmp_path / "b.csv"
    b.write_text("platform,follower_id,followee_id\nweibo,fan1,brand\n")
    import_file(workspace, a, "generic-users")
    import_file(workspace, b, "generic-follows")
    uid = workspace.con.execute("SELECT user_id FROM users").fetchone()[0]
    assert workspace.con.execute("SELECT follower_id FROM follows").fetchone()[0] == uid


class FailingWorkspace(Workspace):
    """A real workspace whose second table write fails: simulates a crash half-way through an import."""

    def upsert(self, table: str, rows: pa.Table | str, columns=None) -> ImportCounts:
        counts = super().upsert(table, rows, columns)
        if table == "users":
            raise RuntimeError("disk full (simulated)")
        return counts


def test_interrupted_import_leaves_no_partial_batch(tmp_path):
    Workspace.init(tmp_path / "w").close()
    ws = FailingWorkspace.open(tmp_path / "w")
    f = tmp_path / "statuses.jsonl"
    tweets = [
        {
            "id_str": str(i),
            "created_at": "Fri Jan 09 12:29:56 +0000 2015",
            "text": f"t{i}",
            "user": {"id_str": "9", "followers_count": 5},
        }
        for i in range(5)
    ]
    f.write_text("\n".join(json.dumps(t) for t in tweets))
    with pytest.raises(HudongError, match="import failed: RuntimeError: disk full"):
        import_file(ws, f, "twitter-json")
    assert ws.count("posts") == 0 and ws.count("users") == 0 and ws.count("quarantine") == 0
    status, message = ws.con.execute("SELECT status, message FROM import_batches").fetchone()
    assert status == "failed" and "disk full" in message
    ws.close()
    ws = Workspace.open(tmp_path / "w")  # and a healthy retry stores everything
    s = import_file(ws, f, "twitter-json")
    assert s.tables["posts"].stored == 5 and s.tables["users"].stored == 1
    ws.close()


def test_late_failure_in_a_mapping_rolls_back(workspace, tmp_path):
    """A mapping whose default is invalid fails after the first table is built: nothing is stored."""
    m = tmp_path / "bad-default.toml"
    m.write_text(
        'name = "bad-default"\nplatform = "weibo"\n'
        '[[targets]]\ntable = "posts"\n[targets.columns]\npost_id = "id"\ncreated_at = "t"\n'
        '[[targets]]\ntable = "users"\n[targets.columns]\nuser_id = "u"\nfollowers = { field = "f", default = "lots" }\n'
    )
    f = tmp_path / "x.csv"
    f.write_text("id,t,u,f\np1,2024-06-01,u1,\n")
    with pytest.raises(HudongError, match="default 'lots'"):
        import_file(workspace, f, str(m))
    assert workspace.count("posts") == 0
    assert workspace.con.execute("SELECT status FROM import_batches").fetchone()[0] == "failed"


def test_generic_mappings_cover_every_fact_table_with_exact_schema_columns():
    names = list_formats()
    for table in S.FACT_TABLES:
        m = load_mapping(f"generic-{table}")
        assert f"generic-{table}" in names
        t = S.TABLES[table]
        assert [x.table for x in m.targets] == [table]
        cols = m.targets[0].columns
        assert set(cols) == {c.name for c in t.columns}
        assert all(spec.fields == [name] for name, spec in cols.items())


@pytest.mark.parametrize("table", S.FACT_TABLES)
def test_generic_mapping_round_trip_for_every_table(workspace, tmp_path, table):
    """A file with every schema column imports into exactly those values; only required columns are needed."""
    t = S.TABLES[table]
    sample = {
        "VARCHAR": "v",
        "BIGINT": "7",
        "DOUBLE": "2.5",
        "BOOLEAN": "true",
        "TIMESTAMP": "2024-06-01 12:00:00",
        "VARCHAR[]": '["a","b"]',
    }
    row = {}
    for c in t.columns:
        row[c.name] = c.enum[0] if c.enum else sample[c.type]
    row["platform"] = "weibo"
    f = tmp_path / f"{table}.csv"
    with open(f, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([list(row), list(row.values())])
    s = import_file(workspace, f, f"generic-{table}")
    assert s.tables[table].stored == 1, str(s)
    # Only key + NOT NULL columns are required.
    required = [
        c.name for c in t.columns if not c.nullable and not (table == "interactions" and c.name == "interaction_id")
    ]
    g = tmp_path / f"{table}_min.csv"
    vals = {c: ("other" if c == "platform" else row[c]) for c in required}
    g.write_text(",".join(vals) + "\n" + ",".join(vals.values()) + "\n")
    s = import_file(workspace, g, f"generic-{table}")
    assert s.tables[table].stored == 1, str(s)


def test_summary_lines_and_redactions_are_reported(workspace, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text(
        "platform,response_id,survey_id,created_at,nps_score,comment\n"
        "survey,r1,s1,2024-06-01,9,请联系 13912345678 或 me@x.org\n"
        "survey,r2,s1,2024-06-01,ten,ok\n"
    )
    s = import_file(workspace, f, "generic-survey_responses")
    assert s.redactions == {"phone": 1, "email": 1}
    assert s.reasons == {"nps_score: not a count": 1}
    text = "\n".join(s.lines())
    assert "1 stored" in text.replace("  ", " ") or "         1 stored" in text
    assert "nps_score: not a count" in text and "1 email, 1 phone" in text


def test_progress_bar_can_be_forced(workspace, tmp_path, capsys):
    f = tmp_path / "c.csv"
    f.write_text("platform,campaign_id,name\nweibo,c1,夏季\n")
    s = import_file(workspace, f, "generic-campaigns", progress=True)
    assert s.tables["campaigns"].stored == 1


def test_benchmark_script_runs_on_a_small_file(capsys):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_import.py"
    spec = importlib.util.spec_from_file_location("bench_import", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--rows", "3000"]) == 0
    out = capsys.readouterr().out
    assert "3,000 stored" in out and "duckdb read_csv + INSERT" in out and "ratio hudong / duckdb" in out
