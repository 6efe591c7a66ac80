"""The Parquet lake: layout, export, keyed idempotent appends, atomicity, and DuckDB reading it back."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
import pyarrow.parquet as pq
import pytest

from hudong.errors import HudongError
from hudong.store import engines
from hudong.store import lake as L
from hudong.store import schema as S
from hudong.store.engines import connect
from hudong.store.lake import LakeWriter, enable_lake, export_lake, lake_path
from hudong.store.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]


def _synth(n: int, seed: int = 3) -> dict[str, pa.Table]:
    spec = importlib.util.spec_from_file_location("bench_engines", REPO / "benchmarks" / "bench_engines.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.synth_tables(n, seed)


@pytest.fixture(scope="module")
def data() -> dict[str, pa.Table]:
    return _synth(5_000)


@pytest.fixture
def ws(tmp_path, data):
    ws = Workspace.init(tmp_path / "ws")
    ws.con.execute("BEGIN")
    for name, rows in data.items():
        (ws.upsert if name in S.FACT_TABLES else ws.append)(name, rows)
    ws.con.execute("COMMIT")
    yield ws
    ws.close()


def _sorted(t: pa.Table, table: str) -> pa.Table:
    return t.sort_by([(k, "ascending") for k in S.TABLES[table].key])


def _snapshot(root: Path) -> dict[str, int]:
    """Visible files → modification time (ns): what a reader of the lake would see."""
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*.parquet") if "_txn" not in p.parts
    }


def _posts(ids: list[str], likes: list[int], month: int = 6) -> pa.Table:
    n = len(ids)
    cols: dict[str, list] = {c: [None] * n for c in S.POSTS.column_names}
    cols.update(
        platform=["weibo"] * n,
        post_id=ids,
        created_at=[dt.datetime(2024, month, 1, 12)] * n,
        likes=likes,
        source_file=["f.csv"] * n,
        importer=["generic-posts"] * n,
        batch_id=["b1"] * n,
    )
    return pa.table(cols)


# ---- layout and export ---------------------------------------------------------------------------------
def test_export_writes_every_table_hive_partitioned(ws, tmp_path, data):
    counts = export_lake(ws, tmp_path / "lake")
    assert counts == {name: ws.count(name) for name, t in S.TABLES.items() if t.lake}  # contacts stay out
    root = tmp_path / "lake"
    marker = json.loads((root / L.MARKER).read_text())
    assert marker["schema_version"] == S.SCHEMA_VERSION
    assert marker["partitioning"]["interactions"] == ["platform", "month"]
    assert marker["partitioning"]["campaigns"] == ["platform"]
    assert marker["partitioning"]["import_batches"] == []
    files = sorted((root / "interactions").rglob("*.parquet"))
    assert files and all(
        f.parent.name.startswith("month=2") and f.parent.parent.name.startswith("platform=") for f in files
    )
    # Partition columns live in the path only; the rest keep the schema's types.
    assert pq.read_schema(files[0]) == L.file_schema(S.INTERACTIONS)
    assert "platform" not in pq.read_schema(files[0]).names
    with LakeWriter(root) as lake:
        for name in (n for n, t in S.TABLES.items() if t.lake):
            want = _sorted(
                ws.con.execute(f'SELECT * FROM "{name}"').to_arrow_table().cast(S.arrow_schema(S.TABLES[name])), name
            )
            assert _sorted(lake.read_table(name), name).equals(want), name


def test_rows_are_placed_by_platform_and_month_of_created_at(tmp_path):
    with LakeWriter(tmp_path / "lake") as lake:
        lake.append("posts", _posts(["a", "b"], [1, 2], month=3))
    (part,) = [p.relative_to(tmp_path / "lake").as_posix() for p in (tmp_path / "lake").rglob("*.parquet")]
    assert part.startswith("posts/platform=weibo/month=2024-03/part-")


def test_reexport_is_a_no_op(ws, tmp_path):
    root = tmp_path / "lake"
    export_lake(ws, root)
    before = _snapshot(root)
    assert export_lake(ws, root) == {name: ws.count(name) for name, t in S.TABLES.items() if t.lake}
    assert _snapshot(root) == before
    assert not list((root / L.TXN_DIR).glob("*"))


# ---- keyed appends ---------------------------------------------------------------------------------------
def test_append_is_idempotent_and_counts_like_upsert(tmp_path):
    with LakeWriter(tmp_path / "lake") as lake:
        c = lake.append("posts", _posts(["a", "b", "c"], [1, 2, 3]))
        assert (c.stored, c.updated, c.unchanged) == (3, 0, 0)
        before = _snapshot(tmp_path / "lake")
        c = lake.append("posts", _posts(["a", "b", "c"], [1, 2, 3]))
        assert (c.stored, c.updated, c.unchanged) == (0, 0, 3)
        assert _snapshot(tmp_path / "lake") == before  # nothing written
        c = lake.append("posts", _posts(["b", "d"], [20, 4]))
        assert (c.stored, c.updated, c.unchanged) == (1, 1, 0)
        got = {r["post_id"]: r["likes"] for r in lake.read_table("posts").to_pylist()}
    assert got == {"a": 1, "b": 20, "c": 3, "d": 4}


def test_provenance_alone_is_not_a_change(tmp_path):
    with LakeWriter(tmp_path / "lake") as lake:
        lake.append("posts", _posts(["a"], [1]))
        again = _posts(["a"], [1]).set_column(S.POSTS.column_names.index("batch_id"), "batch_id", pa.array(["b2"]))
        assert lake.append("posts", again).unchanged == 1


def test_changed_rows_rewrite_only_their_partitions(tmp_path):
    root = tmp_path / "lake"
    with LakeWriter(root) as lake:
        lake.append(
            "posts",
            pa.concat_tables(
                [_posts(["a", "b"], [1, 2], month=1), _posts(["c"], [3], month=2), _posts(["d"], [4], month=3)]
            ),
        )
        before = _snapshot(root)
        # b changes in place (January); c moves from February to March (its created_at changed).
        c = lake.append("posts", pa.concat_tables([_posts(["b"], [22], month=1), _posts(["c"], [3], month=3)]))
        assert (c.stored, c.updated, c.unchanged) == (0, 2, 0)
        after = _snapshot(root)
        rows = {r["post_id"]: (r["likes"], r["created_at"].month) for r in lake.read_table("posts").to_pylist()}
    assert rows == {"a": (1, 1), "b": (22, 1), "c": (3, 3), "d": (4, 3)}
    untouched = [f for f in before if "month=2024-03" in f]
    assert untouched and all(after.get(f) == before[f] for f in untouched)  # March's old file kept, one added
    assert not [f for f in after if "month=2024-02" in f]  # February emptied: its file is gone
    assert not [f for f in before if "month=2024-01" in f and f in after]  # January rewritten


def test_a_key_repeated_in_one_batch_keeps_the_last_row(tmp_path):
    with LakeWriter(tmp_path / "lake") as lake:
        c = lake.append("posts", _posts(["a", "a"], [1, 2]))
        assert c.stored == 1
        assert lake.read_table("posts").column("likes").to_pylist() == [2]


def test_unusable_platform_value_is_refused(tmp_path):
    rows = _posts(["a"], [1]).set_column(0, "platform", pa.array(["we/ibo"]))
    with LakeWriter(tmp_path / "lake") as lake, pytest.raises(HudongError, match="platform values"):
        lake.append("posts", rows)


def test_transaction_groups_tables(tmp_path, data):
    root = tmp_path / "lake"
    weibo = data["posts"].filter(pa.compute.equal(data["posts"]["platform"], "weibo"))
    first = weibo.slice(0, 1)
    changed = first.set_column(first.column_names.index("likes"), "likes", pa.array([999], pa.int64()))
    with LakeWriter(root) as lake, lake.transaction():
        lake.append("posts", data["posts"])
        assert lake.append("posts", changed).updated == 1  # the transaction sees its own staged rows
        lake.append("interactions", data["interactions"])
        assert not _snapshot(root)  # nothing visible before the commit
    with LakeWriter(root) as lake:
        posts = lake.read_table("posts")
        assert posts.num_rows == data["posts"].num_rows == lake.count("posts")
        likes = {r["post_id"]: r["likes"] for r in posts.to_pylist() if r["platform"] == "weibo"}
        assert likes[first["post_id"][0].as_py()] == 999
        assert lake.count("interactions") == data["interactions"].num_rows


# ---- atomicity -----------------------------------------------------------------------------------------
def test_failed_write_leaves_nothing_visible(tmp_path, data, monkeypatch):
    root = tmp_path / "lake"
    with LakeWriter(root) as lake:
        lake.append("posts", _posts(["a"], [1]))
    before = _snapshot(root)
    real = pq.write_table
    calls = {"n": 0}

    def failing(*args, **kw):  # the third file of the import fails mid-write
        calls["n"] += 1
        if calls["n"] == 3:
            with open(args[1], "wb") as f:
                f.write(b"PAR1 half a file")
            raise OSError("disk full")
        return real(*args, **kw)

    monkeypatch.setattr(L.pq, "write_table", failing)
    with LakeWriter(root) as lake, pytest.raises(OSError, match="disk full"):
        lake.append("interactions", data["interactions"])
    assert calls["n"] == 3
    assert _snapshot(root) == before
    assert not list((root / L.TXN_DIR).glob("*")), "staging left behind"
    monkeypatch.setattr(L.pq, "write_table", real)
    with LakeWriter(root) as lake:  # the lock was released and the lake still works
        assert lake.append("interactions", data["interactions"]).stored == data["interactions"].num_rows


def test_crash_after_commit_point_is_rolled_forward(tmp_path, monkeypatch):
    root = tmp_path / "lake"

    def crash(self, staging, adds, removes):
        raise KeyboardInterrupt  # the process dies after the journal, before any file is moved

    with LakeWriter(root) as lake:
        lake.append("posts", _posts(["a"], [1]))
        monkeypatch.setattr(LakeWriter, "_apply", crash)
        with pytest.raises(KeyboardInterrupt):
            lake.append("posts", _posts(["a", "b"], [10, 2]))
    monkeypatch.undo()
    assert {p.name for p in (root / L.TXN_DIR).rglob(L.COMMIT)}, "journal expected"
    with LakeWriter(root) as lake:  # the next writer finishes the commit
        rows = {r["post_id"]: r["likes"] for r in lake.read_table("posts").to_pylist()}
    assert rows == {"a": 10, "b": 2}
    assert not list((root / L.TXN_DIR).glob("*"))


def test_uncommitted_staging_is_discarded(tmp_path):
    root = tmp_path / "lake"
    LakeWriter(root).close()
    stale = root / L.TXN_DIR / "dead" / "posts" / "platform=weibo"
    stale.mkdir(parents=True)
    pq.write_table(_posts(["x"], [1]).drop_columns(["platform"]), stale / "part-dead-00001.parquet")
    with LakeWriter(root) as lake:
        assert lake.read_table("posts").num_rows == 0
    assert not (root / L.TXN_DIR / "dead").exists()


def test_one_writer_at_a_time(tmp_path):
    with LakeWriter(tmp_path / "lake"), pytest.raises(HudongError, match="writing to the lake"):
        LakeWriter(tmp_path / "lake")
    LakeWriter(tmp_path / "lake").close()  # released


def test_refuses_a_non_lake_directory(tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("mine")
    with pytest.raises(HudongError, match="not a hudong lake"):
        LakeWriter(tmp_path / "stuff")
    with pytest.raises(HudongError, match="not a hudong lake"):
        connect("duckdb", lake=tmp_path / "stuff")


# ---- configuration and reading back ---------------------------------------------------------------------
def test_enable_lake_records_the_path(ws, tmp_path):
    value = enable_lake(ws, tmp_path / "lake")
    assert lake_path(ws) == value == (tmp_path / "lake").resolve().as_posix()
    again = Workspace.open(ws.path)
    assert again.setting("lake.path") == value
    again.close()
    enable_lake(ws, tmp_path / "lake2")  # replaced, not duplicated
    text = (ws.path / "hudong.toml").read_text()
    assert text.count("[lake]") == 1 and "lake2" in text


def test_duckdb_over_the_lake_reads_what_the_workspace_holds(ws, tmp_path):
    export_lake(ws, tmp_path / "lake")
    enable_lake(ws, tmp_path / "lake")
    with connect(workspace=ws) as tables:  # the configured lake, on the default engine
        assert tables.engine == "duckdb" and tables.lake
        for name, t in S.TABLES.items():
            assert tables[name].schema() == S.ibis_schema(t).__class__(
                {c: (dtype.copy(scale=6) if dtype.is_timestamp() else dtype) for c, dtype in S.ibis_schema(t).items()}
            ), name
            lake_rows = tables[name].to_pyarrow().cast(S.arrow_schema(t))
            ws_rows = ws.con.execute(f'SELECT * FROM "{name}"').to_arrow_table().cast(S.arrow_schema(t))
            assert _sorted(lake_rows, name).equals(_sorted(ws_rows, name)), name
        assert tables.setting("business_hours.start") == "09:00"
        assert set(tables) == set(S.TABLES) and len(tables) == len(S.TABLES)


def test_duckdb_without_lake_is_the_workspace_file(ws):
    tables = connect("duckdb", workspace=ws)
    assert tables.backend is ws.ibis and tables["posts"].count().execute() == ws.count("posts")


def test_engine_errors_are_one_clear_line(ws, tmp_path, monkeypatch):
    with pytest.raises(HudongError, match="unknown engine"):
        connect("presto", workspace=ws)
    with pytest.raises(HudongError, match="reads a Parquet lake"):
        connect("spark", workspace=ws)
    monkeypatch.setattr(engines, "_SPARK", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # as if the extra were not installed
    with pytest.raises(HudongError, match=r"pip install 'hudong\[spark\]'"):
        engines.spark_session()


def test_missing_java_is_a_clear_error(monkeypatch):
    pytest.importorskip("pyspark", reason="needs pyspark to get past the extra check")
    monkeypatch.setattr(engines, "_SPARK", None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    with pytest.raises(HudongError, match="needs Java"):
        engines.spark_session()


def test_files_written_before_a_column_was_added_read_it_as_null(tmp_path):
    """A lake exported by an older hudong (schema v2: score tables without text_hash, or coverage) stays readable
    and appendable: the missing columns read as null, and the rows carrying them are an update."""
    n = 3
    rows = pa.table({
        "platform": ["weibo"] * n, "kind": ["post"] * n, "id": ["a", "b", "c"], "lang": ["zh"] * n,
        "text_hash": pa.array([1, 2, 3], pa.int64()), "polarity": ["positive"] * n, "score": [0.5] * n,
        "coverage": [0.8] * n, "model_version": ["zh-1"] * n,
    }).select(S.TEXT_SENTIMENT.column_names)  # fmt: skip
    root = tmp_path / "lake"
    with LakeWriter(root) as lake:
        lake.append("text_sentiment", rows)
    files = [p for p in root.rglob("*.parquet") if "_txn" not in p.parts]
    assert files
    for p in files:  # as v2 wrote them
        pq.write_table(pq.read_table(p).drop_columns(["text_hash", "coverage"]), p)
    with connect("duckdb", lake=root) as tables:  # DuckDB over the lake: the columns are there, null
        got = tables["text_sentiment"].to_pyarrow()
        assert got.column_names == S.TEXT_SENTIMENT.column_names and got["text_hash"].null_count == n
        assert got["coverage"].null_count == n
        assert sorted(got["id"].to_pylist()) == ["a", "b", "c"]
    with LakeWriter(root) as lake:
        old = lake.read_table("text_sentiment")
        assert old.column_names == S.TEXT_SENTIMENT.column_names and old["text_hash"].null_count == n
        assert old["coverage"].null_count == n
        c = lake.append("text_sentiment", rows)
        assert (c.stored, c.updated, c.unchanged) == (0, n, 0)
        got = _sorted(lake.read_table("text_sentiment"), "text_sentiment").to_pylist()
        assert got == _sorted(rows, "text_sentiment").to_pylist()
