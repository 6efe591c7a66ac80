"""Issue #19.3: ``hudong forget`` must reach every table, the quarantine, the lake, uploads and reports.

The strong check is data-driven: a person is planted in every place hudong keeps data, then every text cell of every
table in the store and in the lake is searched for any trace of them (pseudonym, raw id, their texts). A new table
is covered by the search automatically; ``POLICY`` must name it too.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from hudong.ingest import import_file
from hudong.ingest.erasure import POLICY, forget
from hudong.ingest.privacy import pseudonymise
from hudong.store import schema as S
from hudong.store.lake import enable_lake, export_lake
from hudong.store.workspace import Workspace

RAW = "alice_7731"  # her Weibo id
HANDLE = "alice_tea_lover"  # her public handle (table contacts)
HER_TEXTS = ("山茶社的新茶太好喝了，我每天都喝", "物流等了整整一周，差评", "推荐给朋友了，下次还买", "我的回答 ABCD-NPS")


def test_every_table_of_the_schema_has_an_erasure_policy():
    assert set(POLICY) == set(S.TABLES) | set(S.APP_TABLES), "declare how `forget` treats the new table(s)"


def _plant(ws: Workspace, tmp_path) -> dict[str, str]:
    """Alice everywhere; Bob beside her (he must survive)."""
    files = {
        "posts.csv": (
            "generic-posts",
            "platform,post_id,author_id,created_at,text,parent_id\n"
            f"weibo,p1,{RAW},2024-06-01 12:00:00,{HER_TEXTS[0]},\n"
            "weibo,p2,bob,2024-06-01 13:00:00,我也喜欢这款茶,p1\n"
            f"weibo,p3,{RAW},not-a-date,{HER_TEXTS[2]} 13812345678,\n",  # quarantined: her pseudonym in raw
        ),
        "interactions.csv": (
            "generic-interactions",
            "platform,interaction_id,type,actor_id,target_post_id,target_user_id,created_at,text,is_inbound\n"
            f"weibo,c1,comment,{RAW},p2,,2024-06-02 10:00:00,{HER_TEXTS[1]},true\n"
            "weibo,c2,comment,bob,p1,,2024-06-02 11:00:00,同意，很好喝,true\n"
            f"weibo,d1,dm,brand,,{RAW},2024-06-02 12:00:00,您好，已为您处理,false\n",
        ),
        "users.csv": ("generic-users", f"platform,user_id,followers\nweibo,{RAW},10\nweibo,bob,5\n"),
        "contacts.csv": ("generic-contacts", f"platform,user_id,handle,display_name\nweibo,{RAW},{HANDLE},爱丽丝\n"
                                             "weibo,bob,bob_h,鲍勃\n"),
        "follows.csv": ("generic-follows", f"platform,follower_id,followee_id\nweibo,{RAW},bob\nweibo,bob,brand\n"),
        "orders.csv": (
            "generic-orders",
            "platform,order_id,user_id,user_platform,created_at,amount\n"
            f"shop,o1,{RAW},weibo,2024-06-03 09:00:00,99\nshop,o2,bob,weibo,2024-06-03 10:00:00,50\n",
        ),
        "survey.csv": (
            "generic-survey_responses",
            "platform,response_id,survey_id,user_id,user_platform,created_at,nps_score,comment\n"
            f"survey,r1,s1,{RAW},weibo,2024-06-04,9,{HER_TEXTS[3]}\nsurvey,r2,s1,bob,weibo,2024-06-04,3,一般\n",
        ),
    }
    for name, (_, body) in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    import_file(ws, tmp_path / "users.csv", "generic-users")
    # The interactions arrive as a web upload: the stored copy lives in the workspace.
    upload = ws.path / "uploads" / "u1" / "data.csv"
    upload.parent.mkdir(parents=True)
    shutil.copy(tmp_path / "interactions.csv", upload)
    from hudong.web import uploads

    uploads.ensure_tables(ws.con)
    ws.con.execute(
        "INSERT INTO web_uploads (upload_id, original_name, stored_path, size_bytes, file_sha256, uploaded_by, "
        "uploaded_at) VALUES ('u1', 'interactions.csv', ?, 1, 'x', 'admin', ?)",
        [str(upload), dt.datetime.now()],
    )
    import_file(ws, upload, "generic-interactions")
    for name, (fmt, _) in files.items():
        if name not in ("users.csv", "interactions.csv"):
            import_file(ws, tmp_path / name, fmt)
    return {"upload": str(upload), "own_file": str(tmp_path / "posts.csv")}


def _derived(ws: Workspace) -> None:
    from hudong.analyses.scoring import score_workspace
    from hudong.inbox import items as inbox
    from hudong.inbox import labels

    score_workspace(ws, workers=1)
    for ddl in (*inbox.DDL, *labels.DDL):
        ws.con.execute(ddl)
    labels.set_label(ws, "weibo:c1", "sentiment", "negative", "rita")
    ws.con.execute(
        "INSERT INTO inbox_actions VALUES ('weibo', 'c1', 'draft', NULL, ?, 'rita', now())",
        [f"您好，关于“{HER_TEXTS[1]}”，我们马上处理"],
    )


def _traces(con: duckdb.DuckDBPyConnection, needles: list[str], tables: list[tuple[str, list[str]]]) -> list[str]:
    found = []
    for table, cols in tables:
        for col in cols:
            for n in needles:
                hit = con.execute(
                    f'SELECT count(*) FROM {table} WHERE strpos(CAST("{col}" AS VARCHAR), ?) > 0', [n]
                ).fetchone()[0]
                if hit:
                    found.append(f"{table}.{col} holds {n!r} ({hit})")
    return found


def _store_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, list[str]]]:
    rows = con.execute(
        "SELECT table_name, list(column_name) FROM information_schema.columns "
        "WHERE data_type LIKE 'VARCHAR%' AND table_name NOT LIKE '\\_%' ESCAPE '\\' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return [(f'"{t}"', cols) for t, cols in rows]


def test_forget_leaves_no_trace_in_the_store_the_lake_uploads_or_reports(workspace, tmp_path):
    ws = workspace
    lake = tmp_path / "lake"
    enable_lake(ws, lake)
    where = _plant(ws, tmp_path)
    _derived(ws)
    export_lake(ws, lake)
    from hudong.report import write_report

    write_report(ws, ws.path / "reports", lang="en", formats=("html",))
    alice = pseudonymise(ws.key, "weibo", RAW)
    needles = [alice, RAW, HANDLE, "爱丽丝", *HER_TEXTS[:3], HER_TEXTS[3]]
    before = _traces(ws.con, needles, _store_tables(ws.con))
    assert len(before) >= 10, before  # she really is everywhere: users, posts, interactions, orders, quarantine …
    assert any(t.startswith('"quarantine"') for t in before)

    dry = forget(ws, RAW, platform="weibo", dry_run=True)
    assert _traces(ws.con, needles, _store_tables(ws.con)) == before  # a dry run changes nothing
    done = forget(ws, RAW, platform="weibo")
    assert dry.tables == done.tables and dry.files == done.files
    assert done.tables["orders"] == 1 and done.tables["survey_responses"] == 1  # shop/survey rows linked to weibo
    assert done.tables["quarantine"] >= 1

    assert _traces(ws.con, needles, _store_tables(ws.con)) == []
    lake_con = duckdb.connect()
    lake_tables = []
    for t in S.TABLES.values():
        parquet = sorted((lake / t.name).rglob("*.parquet"))
        if parquet:
            lake_con.execute(
                f"CREATE VIEW lake_{t.name} AS SELECT * FROM read_parquet({[str(p) for p in parquet]}, union_by_name=true)"
            )
            cols = [c.name for c in t.all_columns if c.type.startswith("VARCHAR") and c.name != "platform"]
            lake_tables.append((f"lake_{t.name}", cols))
    assert _traces(lake_con, needles, lake_tables) == []
    assert done.lake_rows > 0
    # Files hudong made that held her: the stored upload and the report; the file she came from is only named.
    assert where["upload"] in done.files and not (ws.path / "uploads" / "u1" / "data.csv").exists()
    assert str(ws.path / "reports" / "report-en.html") in done.files
    assert where["own_file"] in done.your_files
    assert ws.con.execute("SELECT erased_at IS NOT NULL FROM web_uploads").fetchone() == (True,)
    # Bob is untouched.
    bob = pseudonymise(ws.key, "weibo", "bob")
    assert ws.con.execute("SELECT count(*) FROM posts WHERE author_id = ?", [bob]).fetchone()[0] == 1
    assert ws.con.execute("SELECT count(*) FROM orders WHERE user_id = ?", [bob]).fetchone()[0] == 1
    assert "erased" in "\n".join(done.lines())


def test_forget_on_the_command_line_with_dry_run(tmp_path):
    from click.testing import CliRunner

    from hudong.cli import cli

    Workspace.init(tmp_path / "w").close()
    f = tmp_path / "orders.csv"
    f.write_text(f"platform,order_id,user_id,user_platform,created_at,amount\nshop,o1,{RAW},weibo,2024-06-03,99\n")
    with Workspace.open(tmp_path / "w") as ws:
        import_file(ws, f, "generic-orders")
    runner = CliRunner()
    out = runner.invoke(cli, ["-w", str(tmp_path / "w"), "forget", RAW, "--platform", "weibo", "--dry-run"])
    assert out.exit_code == 0 and "would erase 1 row(s)" in out.output and "orders=1" in out.output
    out = runner.invoke(cli, ["-w", str(tmp_path / "w"), "forget", RAW, "--platform", "weibo"])
    assert out.exit_code == 0 and "erased 1 row(s)" in out.output
    with Workspace.open(tmp_path / "w") as ws:
        assert ws.count("orders") == 0


@pytest.mark.parametrize("platform", [None, "weibo"])
def test_forget_by_pseudonym_or_raw_id_reaches_linked_orders(workspace, tmp_path, platform):
    f = tmp_path / "orders.csv"
    f.write_text(f"platform,order_id,user_id,user_platform,created_at,amount\nshop,o1,{RAW},weibo,2024-06-03,99\n")
    import_file(workspace, f, "generic-orders")
    assert forget(workspace, RAW, platform=platform).tables["orders"] == 1
