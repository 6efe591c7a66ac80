"""The workspace and the schema: creation, migrations, keyed upserts."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from hudong.errors import HudongError
from hudong.store import schema as S
from hudong.store.workspace import Workspace


def _posts(ids, likes, batch="b1"):
    n = len(ids)
    cols = {c: [None] * n for c in S.POSTS.column_names}
    cols.update(
        platform=["weibo"] * n,
        post_id=ids,
        created_at=[dt.datetime(2024, 6, 1, 12)] * n,
        likes=likes,
        source_file=["f.csv"] * n,
        importer=["generic-posts"] * n,
        batch_id=[batch] * n,
    )
    return pa.table(cols)


def test_init_creates_every_schema_table_with_its_key(tmp_path):
    ws = Workspace.init(tmp_path / "w")
    tables = {r[0] for r in ws.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert set(S.TABLES) | set(S.APP_TABLES) <= tables
    for t in [*S.TABLES.values(), *S.APP_TABLES.values()]:
        cols = [r[0] for r in ws.con.execute(f"DESCRIBE {t.name}").fetchall()]
        assert cols == t.column_names
    assert ws.schema_version == S.SCHEMA_VERSION
    assert len(ws.key) == 32
    ws.close()


def test_init_refuses_an_existing_workspace_and_open_refuses_a_plain_dir(tmp_path):
    Workspace.init(tmp_path / "w").close()
    with pytest.raises(HudongError, match="already a hudong workspace"):
        Workspace.init(tmp_path / "w")
    with pytest.raises(HudongError, match="not a hudong workspace"):
        Workspace.open(tmp_path)


def test_upsert_counts_new_updated_unchanged_and_keeps_provenance_of_unchanged_rows(workspace):
    ws = workspace
    ws.con.execute("BEGIN")
    c1 = ws.upsert("posts", _posts(["1", "2", "3"], [1, 2, 3]))
    ws.con.execute("COMMIT")
    assert (c1.stored, c1.updated, c1.unchanged) == (3, 0, 0)
    ws.con.execute("BEGIN")
    c2 = ws.upsert("posts", _posts(["1", "2", "4"], [1, 20, 4], batch="b2"))
    ws.con.execute("COMMIT")
    assert (c2.stored, c2.updated, c2.unchanged) == (1, 1, 1)
    rows = dict(ws.con.execute("SELECT post_id, batch_id FROM posts").fetchall())
    assert rows == {"1": "b1", "2": "b2", "3": "b1", "4": "b2"}
    assert ws.con.execute("SELECT likes FROM posts WHERE post_id = '2'").fetchone()[0] == 20


def test_rollback_leaves_nothing(workspace):
    ws = workspace
    ws.con.execute("BEGIN")
    ws.upsert("posts", _posts(["1"], [1]))
    ws.con.execute("ROLLBACK")
    assert ws.count("posts") == 0


def test_migrations_apply_in_order_and_newer_schema_is_refused(tmp_path, monkeypatch):
    Workspace.init(tmp_path / "w").close()
    mig = S.Migration(S.SCHEMA_VERSION + 1, "add a note column", ["ALTER TABLE campaigns ADD COLUMN note VARCHAR"])
    monkeypatch.setattr(S, "MIGRATIONS", [mig])
    monkeypatch.setattr(S, "SCHEMA_VERSION", S.SCHEMA_VERSION + 1)
    ws = Workspace.open(tmp_path / "w")
    assert ws.schema_version == mig.version
    assert "note" in [r[0] for r in ws.con.execute("DESCRIBE campaigns").fetchall()]
    ws.close()
    monkeypatch.setattr(S, "SCHEMA_VERSION", mig.version - 1)
    with pytest.raises(HudongError, match="newer than this hudong"):
        Workspace.open(tmp_path / "w")


def test_schema_markdown_lists_every_table_and_column():
    md = S.markdown()
    for t in S.TABLES.values():
        assert f"`{t.name}`" in md
        for c in t.all_columns:
            assert f"`{c.name}`" in md
    # Pseudonymised and redacted columns are flagged for readers of the docs.
    assert "pseudonymised" in md and "PII-redacted" in md


def test_docs_schema_md_is_generated_from_the_schema():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
    assert doc.read_text(encoding="utf-8").strip() == S.markdown().strip(), "run `make docs` to regenerate docs/schema.md"


def test_transaction_commits_together_or_not_at_all(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    with ws.transaction():
        ws.con.execute("INSERT INTO _meta VALUES ('a', '1')")
        ws.con.execute("INSERT INTO _meta VALUES ('b', '2')")
    with pytest.raises(RuntimeError), ws.transaction():
        ws.con.execute("INSERT INTO _meta VALUES ('c', '3')")
        raise RuntimeError("half-way")
    assert [r[0] for r in ws.con.execute("SELECT key FROM _meta WHERE key IN ('a', 'b', 'c') ORDER BY key").fetchall()
            ] == ["a", "b"]  # fmt: skip
    with ws.transaction():  # usable again after the rollback
        ws.con.execute("INSERT INTO _meta VALUES ('d', '4')")
    ws.close()


def test_only_the_store_writes_begin_and_commit():
    """Issue #13.7: Workspace.transaction() (store.workspace.transaction) is the only way to write atomically."""
    import re
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "hudong"
    hand_written = [
        f"{p.relative_to(src)}:{i}"
        for p in src.rglob("*.py") if p.name != "workspace.py"
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""execute\(\s*["'](BEGIN|COMMIT|ROLLBACK)""", line)
    ]  # fmt: skip
    assert not hand_written, f"use ws.transaction() instead of BEGIN/COMMIT: {hand_written}"
