"""Every registered metric gives the same answer on Spark as on DuckDB, both reading the same lake.

One workspace (the demo brand at scale 0.1, ≥100k interactions; a seeded synthetic one when the demo
generator is unavailable) is exported to a lake once per session; one Spark session serves every test.
Each metric is a test per grouping (``by=()``, by platform, by a calendar grain where supported), so a new
metric joins the suite on its own and fails here, loudly, when its formulation does not run on Spark.
Equality: same columns and types, same rows (sorted by the dimension columns), integers exact, floats to
1e-9 relative.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import shutil
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

pytest.importorskip("pyspark", reason="Spark parity needs the Spark extra: pip install -e '.[spark]'")
if shutil.which("java") is None:
    pytest.skip("Spark parity needs Java 17 or 21 on PATH", allow_module_level=True)

from hudong import metrics  # noqa: E402
from hudong.metrics import REGISTRY  # noqa: E402
from hudong.store import schema as S  # noqa: E402
from hudong.store import segment_runs  # noqa: E402
from hudong.store.engines import connect, stop_spark, use_engine  # noqa: E402
from hudong.store.lake import export_lake  # noqa: E402
from hudong.store.workspace import Workspace  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
MIN_INTERACTIONS = 100_000
SEED = 11
REL_TOL = 1e-9


# ---- data ---------------------------------------------------------------------------------------------
def _synthetic_workspace(path: Path) -> Workspace:
    """Fallback data: the benchmark's seeded synthetic brand, stored through ``Workspace.upsert``."""
    spec = importlib.util.spec_from_file_location("bench_engines", REPO / "benchmarks" / "bench_engines.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    ws = Workspace.init(path)
    ws.con.execute("BEGIN")
    for name, data in bench.synth_tables(120_000, SEED).items():
        if name in S.FACT_TABLES:
            ws.upsert(name, data)
        else:
            ws.append(name, data)
    ws.con.execute("COMMIT")
    return ws


def _demo_workspace(path: Path) -> Workspace | None:
    try:
        from hudong.demo import build
    except ImportError:
        return None
    out = build(path, seed=SEED, scale=0.1, progress=False)
    return out if isinstance(out, Workspace) else Workspace.open(getattr(out, "path", path))


@pytest.fixture(scope="session")
def parity_data(tmp_path_factory):
    """(workspace, lake path, where the data came from); built once per test session."""
    root = tmp_path_factory.mktemp("parity")
    t0 = time.perf_counter()
    ws = _demo_workspace(root / "ws")
    source = "hudong.demo.build(scale=0.1)"
    if ws is None:
        ws = _synthetic_workspace(root / "ws")
        source = "synthetic fallback (hudong.demo.build unavailable)"
    export_lake(ws, root / "lake")
    print(f"\nparity data: {source}, {ws.count('interactions')} interactions, {time.perf_counter() - t0:.1f} s")
    yield ws, root / "lake", source
    ws.close()


@pytest.fixture(scope="session")
def duck(parity_data):
    ws, lake, _ = parity_data
    with connect("duckdb", lake=lake, workspace=ws) as tables:
        yield tables


@pytest.fixture(scope="session")
def spark(parity_data):
    ws, lake, _ = parity_data
    tables = connect("spark", lake=lake, workspace=ws)
    yield tables
    tables.close()
    stop_spark()


# ---- comparison ---------------------------------------------------------------------------------------
def _normalise(t: pa.Table) -> pa.Table:
    """Dates and timestamps of any unit/zone as naive microsecond timestamps; other types unchanged."""
    cols = []
    for col in t.columns:
        if pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
            if pa.types.is_timestamp(col.type) and col.type.tz is not None:
                col = pc.local_timestamp(col)
            col = col.cast(pa.timestamp("us"))
        cols.append(col)
    return pa.table(cols, names=t.column_names)


def _kind(type_: pa.DataType) -> str:
    for kind, test in (
        ("integer", pa.types.is_integer),
        ("float", pa.types.is_floating),
        ("bool", pa.types.is_boolean),
        ("string", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t)),
        ("time", pa.types.is_timestamp),
    ):
        if test(type_):
            return kind
    return str(type_)


def _same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        fa, fb = float(a), float(b)  # type: ignore[arg-type]
        if math.isnan(fa) or math.isnan(fb):
            return math.isnan(fa) and math.isnan(fb)
        return math.isclose(fa, fb, rel_tol=REL_TOL, abs_tol=1e-12)
    return a == b


def assert_same_result(duck: pa.Table, spark: pa.Table, dims: list[str]) -> None:
    assert spark.column_names == duck.column_names, (
        f"columns differ: duckdb {duck.column_names}, spark {spark.column_names}"
    )
    duck, spark = _normalise(duck), _normalise(spark)
    kinds = {c: (_kind(duck.schema.field(c).type), _kind(spark.schema.field(c).type)) for c in duck.column_names}
    bad_types = {c: k for c, k in kinds.items() if k[0] != k[1]}
    assert not bad_types, f"column types differ (duckdb, spark): {bad_types}"
    assert spark.num_rows == duck.num_rows, f"row counts differ: duckdb {duck.num_rows}, spark {spark.num_rows}"
    # Sort by the dimensions, then by the other exact columns (floats may differ in the last bits).
    keys = dims + [
        c for c in duck.column_names if c not in dims and kinds[c][0] in ("integer", "string", "bool", "time")
    ]
    order = [(k, "ascending", "at_end") for k in keys]
    if order:
        duck = duck.take(pc.sort_indices(duck, sort_keys=order))
        spark = spark.take(pc.sort_indices(spark, sort_keys=order))
    diffs = []
    for c in duck.column_names:
        for i, (a, b) in enumerate(zip(duck.column(c).to_pylist(), spark.column(c).to_pylist(), strict=True)):
            if not _same(a, b):
                row = {d: duck.column(d)[i].as_py() for d in dims}
                diffs.append(f"{c} at {row or 'the total'}: duckdb {a!r} vs spark {b!r}")
    assert not diffs, f"{len(diffs)} values differ, e.g.:\n  " + "\n  ".join(diffs[:8])


# ---- the cases ----------------------------------------------------------------------------------------
def _groupings(dimensions: tuple[str, ...]) -> list[tuple[str, ...]]:
    """by=(), by platform, and by the first calendar grain the metric has (else its first other dimension)."""
    out: list[tuple[str, ...]] = [()]
    if "platform" in dimensions:
        out.append(("platform",))
    grain = next((g for g in ("week", "month", "day") if g in dimensions), None)
    other = next((d for d in dimensions if d != "platform"), None)
    if grain or other:
        out.append((grain or other,))  # type: ignore[arg-type]
    return out


CASES = [
    pytest.param(name, by, id=f"{name}-{'+'.join(by) or 'total'}")
    for name, m in REGISTRY.items()
    for by in _groupings(m.dimensions)
]


def test_registry_is_not_empty():
    assert REGISTRY, "no metrics registered: the parity suite would check nothing"


def test_parity_data_is_large_enough(parity_data):
    ws, lake, source = parity_data
    assert ws.count("interactions") >= MIN_INTERACTIONS, f"{source}: only {ws.count('interactions')} interactions"


def test_both_engines_see_the_schema_types(duck, spark, parity_data):
    ws = parity_data[0]
    for name, t in S.TABLES.items():
        expected = S.ibis_schema(t)
        for engine, tables in (("duckdb", duck), ("spark", spark)):
            got = tables[name].schema()
            assert list(got.names) == list(expected.names), f"{engine} {name}: columns {got.names}"
            for col, dtype in expected.items():
                g = got[col]
                # Timestamps: zone-less on both (DuckDB reports microsecond scale, Spark none: same values).
                same = g.is_timestamp() and g.timezone is None if dtype.is_timestamp() else g == dtype
                assert same, f"{engine} {name}.{col}: {g} instead of {dtype}"
        if t.lake:  # the others (contacts) stay in the workspace file and are empty on Spark
            assert duck[name].count().execute() == spark[name].count().execute() == ws.count(name), name


@pytest.mark.parametrize(("name", "by"), CASES)
def test_metric_parity(name: str, by: tuple[str, ...], duck, spark):
    try:
        expected = metrics.compute(duck, name, by=by)
    except Exception as e:
        pytest.fail(f"{name} by={list(by)} fails on DuckDB over the lake: {type(e).__name__}: {_first_line(e)}")
    try:
        got = metrics.compute(spark, name, by=by)
    except Exception as e:
        pytest.fail(f"{name} by={list(by)} fails on Spark: {type(e).__name__}: {_first_line(e)}")
    dims = list(expected.column_names[: expected.column_names.index("value")])
    assert expected.num_rows > 0 or not by, f"{name} by={list(by)}: no rows on DuckDB (the data exercises nothing)"
    assert_same_result(expected, got, dims)


@pytest.mark.parametrize("name", ["posts", "engagements", "response_rate"])
def test_filtered_metric_parity(name: str, duck, spark):
    """Entity filters are bound as data (``metrics.common.bound_isin``: an in-memory table, never SQL literals)
    on both engines: the same rows, and a value no literal could carry (NUL) selects nothing."""
    platforms = sorted({r["platform"] for r in metrics.compute(duck, name, by=["platform"]).to_pylist()})
    assert platforms
    for platform in ([platforms[0]], platforms, ["\x00' OR 1=1 --"]):
        assert_same_result(
            metrics.compute(duck, name, by=["platform"], platform=platform),
            metrics.compute(spark, name, by=["platform"], platform=platform),
            ["platform"],
        )


@pytest.mark.parametrize("name", ["mau", "churned_users", "retention", "nps", "net_sentiment", "ugc_creators"])
def test_segment_filter_parity(name: str, parity_data, duck, spark):
    """A stored segment (the demo's rules run: champions) as a filter: Spark and DuckDB over the lake get its
    members in memory, the workspace file semi-joins segment_members; all three agree, and the segment is fewer."""
    ws = parity_data[0]
    people = segment_runs.resolve(ws, "champions,active")
    by = ["platform"] if "platform" in REGISTRY[name].dimensions else []
    expected = metrics.compute(ws, name, by=by, segment=people)
    dims = list(expected.column_names[: expected.column_names.index("value")])
    assert expected.num_rows > 0, f"{name}: the segment has no rows (the data exercises nothing)"
    assert_same_result(expected, metrics.compute(duck, name, by=by, segment=people), dims)
    assert_same_result(expected, metrics.compute(spark, name, by=by, segment=people), dims)
    assert expected != metrics.compute(ws, name, by=by)


def test_lake_metrics_match_the_workspace(parity_data, duck):
    """DuckDB over the lake answers like DuckDB over the workspace file (the export loses nothing)."""
    ws = parity_data[0]
    for name in list(REGISTRY)[:8]:
        assert_same_result(metrics.compute(ws, name), metrics.compute(duck, name), [])


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else ""


def test_comparison_catches_differences():
    """The equality helper itself: tolerant on float noise, strict on counts, rows and dates."""
    a = pa.table({"week": [dt.date(2024, 1, 1), dt.date(2024, 1, 8)], "value": [0.1, 2.0], "n": [1, 2]})
    b = pa.table(
        {
            "week": pa.array([dt.datetime(2024, 1, 8), dt.datetime(2024, 1, 1)], pa.timestamp("us")),
            "value": [2.0 * (1 + 1e-12), 0.1],
            "n": [2, 1],
        }
    )
    assert_same_result(a, b, ["week"])
    with pytest.raises(AssertionError, match="values differ"):
        assert_same_result(a, b.set_column(2, "n", pa.array([3, 1])), ["week"])
    with pytest.raises(AssertionError, match="values differ"):
        assert_same_result(a, b.set_column(1, "value", pa.array([2.0001, 0.1])), ["week"])
    with pytest.raises(AssertionError, match="row counts"):
        assert_same_result(a, b.slice(0, 1), ["week"])


def test_scorecard_parity(parity_data, spark):
    """The scorecard on Spark over the lake (``engines.use_engine``) equals the scorecard on the DuckDB file."""
    scorecard = pytest.importorskip("hudong.decide.scorecard", reason="hudong.decide.scorecard not available")
    ws, lake, _ = parity_data
    a = scorecard.build_scorecard(ws)
    ws.config.setdefault("lake", {})["path"] = str(lake)  # as `hudong export --lake` records it
    try:
        use_engine(ws, "spark")
        assert ws.engine == "spark"
        b = scorecard.build_scorecard(ws)
    finally:
        use_engine(ws, "duckdb")
        del ws.config["lake"]["path"]
    assert a.values, "the scorecard computed no evidence"
    assert sorted(a.values) == sorted(b.values), "evidence keys differ"
    diffs = [
        f"{k}: duckdb {a.values[k]!r} vs spark {b.values[k]!r}" for k in a.values if not _same(a.values[k], b.values[k])
    ]
    assert not diffs, "\n".join(diffs)
    assert _same(a.overall, b.overall) and a.level_en == b.level_en
    for x, y in zip(a.dimensions, b.dimensions, strict=True):
        assert x.key == y.key and _same(x.score, y.score) and _same(x.coverage, y.coverage), (x.key, x.score, y.score)


def test_spark_session_is_reused(parity_data, spark):
    ws, lake, _ = parity_data
    again = connect("spark", lake=lake, workspace=ws)
    assert again.backend._session is spark.backend._session
    assert again["posts"].count().execute() == ws.count("posts")


def test_graph_pagerank_and_coreness_parity(duck, spark):
    """The portable PageRank/k-core (hudong.graph.portable) on one platform's interaction graph, built by the same
    Ibis expression on each engine: DuckDB and Spark give the same nodes, PageRank (a fixed 3 iterations, to
    keep Spark quick) and coreness."""
    from hudong.analyses.reads import interaction_edges_expr
    from hudong.graph import portable

    got = {}
    for engine, tables in (("duckdb", duck), ("spark", spark)):
        edges = interaction_edges_expr(tables, platform="twitter")
        con = tables.backend
        pr = portable.pagerank(con, edges, tol=None, max_iter=3, name="_parity_pagerank")
        core = portable.coreness(con, edges, name="_parity_coreness")
        j = pr.join(core, "node")
        got[engine] = j.select("node", "pagerank", "coreness").to_pyarrow()
        con.drop_table("_parity_pagerank", force=True)
        con.drop_table("_parity_coreness", force=True)
    assert got["duckdb"].num_rows >= 50, "the twitter interaction graph is too small to exercise anything"
    assert max(got["duckdb"].column("coreness").to_pylist()) >= 2
    assert_same_result(got["duckdb"], got["spark"], ["node"])


def test_propagation_analyses_run_on_spark_and_agree(parity_data, spark):
    """The propagation analyses declare Spark (``engines``): on Spark over the lake they read their tables there
    (no engine note) and give the same cascades, KOC candidates, communities and coordinated groups as on the
    DuckDB file. The text analyses say that they read the file."""
    from hudong import analyses

    ws, lake, _ = parity_data
    params = {"cascades": {}, "koc": {"top": 20}, "communities": {"platform": ["twitter"]},
              "coordination": {"adjusted": False}}  # fmt: skip
    keys = {"cascades": ("cascades", ["platform", "root_post_id", "size", "depth", "structural_virality"]),
            "koc": ("candidates", ["platform", "user_id", "koc_score", "reach_sum"]),
            "communities": ("communities", ["platform", "community", "size", "internal_weight"]),
            "coordination": ("groups", ["platform", "n_accounts", "items"])}  # fmt: skip
    on_file = {n: analyses.run(ws, n, **p) for n, p in params.items()}
    ws.config.setdefault("lake", {})["path"] = str(lake)
    try:
        use_engine(ws, "spark")
        assert {n: analyses.get(n).engine_note(ws) for n in params} == dict.fromkeys(params, "")
        assert "DuckDB file" in analyses.get("topics").engine_note(ws)
        on_spark = {n: analyses.run(ws, n, **p) for n, p in params.items()}
    finally:
        use_engine(ws, "duckdb")
        del ws.config["lake"]["path"]
    assert len(on_file["cascades"].frame("cascades")) > 10
    for name, (frame, cols) in keys.items():
        a = on_file[name].frame(frame)[cols].reset_index(drop=True)
        b = on_spark[name].frame(frame)[cols].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=name)
        assert not on_spark[name].notes, name
