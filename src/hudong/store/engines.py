"""Backends: the schema tables as Ibis tables on DuckDB (default) or Spark, over the workspace or a lake.

    from hudong.store.engines import connect
    with connect("spark", lake="lake/") as tables:       # Mapping[str, ibis.Table], plus .backend
        hudong.metrics.compute(tables, "engagement_rate_impressions", by=("platform",))

Both engines read the same lake Parquet and present every column with the type ``schema.ibis_schema`` gives
it, so a metric's Ibis expression yields the same result on either. hudong sets up the Spark session itself
(``PYSPARK_PYTHON``, ``SPARK_LOCAL_IP``, a temporary warehouse): one session per process, reused by every
``connect``, stopped by ``stop_spark()`` or at exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hudong.errors import HudongError
from hudong.store import lake as L
from hudong.store import schema as S
from hudong.store.workspace import lookup

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend
    from pyspark.sql import SparkSession

    from hudong.store.workspace import Workspace

Engine = Literal["duckdb", "spark"]
ENGINES = ("duckdb", "spark")

# Column types as each engine spells them in a CAST (the schema's types are DuckDB's).
_SPARK_TYPES = {
    "VARCHAR": "STRING",
    "BIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "BOOLEAN": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMP_NTZ",  # the schema's timestamps are zone-less local time
    "VARCHAR[]": "ARRAY<STRING>",
}


class Tables(Mapping[str, "ir.Table"]):
    """The schema tables on one backend. ``tables["posts"]``, ``tables.table("posts")``, ``tables.backend``.

    Also answers ``setting()``/``config`` from the workspace it came from (business hours, time zone …), so
    code written against a ``Workspace`` can take a ``Tables`` instead.
    """

    def __init__(
        self,
        backend: BaseBackend,
        engine: Engine,
        *,
        lake: str | None = None,
        workspace: Workspace | None = None,
        owns_backend: bool = False,
    ):
        self.backend = backend
        self.engine = engine
        self.lake = lake
        self.workspace = workspace
        self.config: dict[str, Any] = dict(workspace.config) if workspace is not None else {}
        self._owns_backend = owns_backend
        self._cache: dict[str, ir.Table] = {}

    # Mapping
    def __getitem__(self, name: str) -> ir.Table:
        if name not in S.TABLES:
            raise KeyError(name)
        if name not in self._cache:
            self._cache[name] = self.backend.table(name)
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(S.TABLES)

    def __len__(self) -> int:
        return len(S.TABLES)

    # Workspace look-alike
    def table(self, name: str) -> ir.Table:
        if name not in S.TABLES:
            raise HudongError(f"unknown table {name!r}; tables: {', '.join(S.TABLES)}")
        return self[name]

    @property
    def ibis(self) -> BaseBackend:
        return self.backend

    def setting(self, dotted: str, default: Any = None) -> Any:
        return lookup(self.config, dotted, default)

    def close(self) -> None:
        """Release the tables; the shared Spark session stays up for the next ``connect`` (see ``stop_spark``)."""
        self._cache.clear()
        if self._owns_backend:
            self.backend.disconnect()
            self._owns_backend = False

    def __enter__(self) -> Tables:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.lake or (str(self.workspace.path) if self.workspace is not None else "?")
        return f"<Tables engine={self.engine} over {where}>"


def use_engine(ws: Any, engine: str | None = None, *, spark_master: str | None = None) -> None:
    """Compute metrics (and so the scorecard and report) on ``engine``: duckdb (the workspace file) or spark (the
    lake).

    Default: the ``engine`` setting of hudong.toml. Spark reads the workspace's Parquet lake
    (`hudong export --lake PATH`); see docs/spark.md.
    """
    engine = engine or ws.setting("engine", "duckdb")
    if engine == "duckdb" and spark_master is None:
        ws.attach_tables(None)
        return
    ws.attach_tables(connect(engine, workspace=ws, spark_master=spark_master))


def connect(
    engine: Engine | None = None,
    *,
    lake: str | os.PathLike | None = None,
    workspace: Workspace | None = None,
    spark_master: str | None = None,
) -> Tables:
    """The schema tables on ``engine`` (default: the workspace's ``engine`` setting, else duckdb).

    ``lake``: read this lake (default: the workspace's ``[lake] path``). DuckDB without a lake reads the
    workspace's own DuckDB file; Spark always reads a lake. ``spark_master``: e.g. ``spark://host:7077`` or
    ``k8s://https://…`` (default: ``[spark] master`` of the workspace, else ``local[2]``).
    """
    engine = engine or (workspace.setting("engine") if workspace is not None else None) or "duckdb"
    if engine not in ENGINES:
        raise HudongError(f"unknown engine {engine!r}: use duckdb or spark")
    location = os.fspath(lake) if lake is not None else (L.lake_path(workspace) if workspace is not None else None)
    if location is None:
        if engine == "spark":
            raise HudongError(
                "the Spark engine reads a Parquet lake: export one with `hudong export --lake PATH` "
                "(or set [lake] path in hudong.toml)"
            )
        if workspace is None:
            raise HudongError("connect() needs a workspace or a lake")
        return Tables(workspace.ibis, "duckdb", workspace=workspace)
    marker = L.read_marker(location)
    if engine == "duckdb":
        return _duckdb_over_lake(location, marker, workspace)
    return _spark_over_lake(location, workspace, spark_master)


# ---- DuckDB -------------------------------------------------------------------------------------------
def _duckdb_over_lake(location: str, marker: dict[str, Any], workspace: Workspace | None) -> Tables:
    import duckdb
    import ibis

    fs, root = L.resolve(location)
    con = duckdb.connect()
    if not L.is_local(location):
        try:
            con.execute("LOAD httpfs")
        except duckdb.Error as e:
            raise HudongError(f"DuckDB needs its httpfs extension to read {location}: {e}") from None
    prefix = root if L.is_local(location) else location.rstrip("/")
    for name, t in S.TABLES.items():
        con.execute(f'CREATE VIEW "{name}" AS {_duckdb_select(t, prefix, bool(L.list_files(fs, root, name)), con)}')
    return Tables(ibis.duckdb.from_connection(con), "duckdb", lake=location, workspace=workspace, owns_backend=True)


def _duckdb_select(t: S.Table, prefix: str, has_files: bool, con: Any = None) -> str:
    if not has_files:  # read_parquet fails on an empty glob: an empty relation of the right types instead
        nulls = ", ".join(f'CAST(NULL AS {c.type}) AS "{c.name}"' for c in t.all_columns)
        return f"SELECT {nulls} WHERE false"
    parts = [p for p in L.partition_columns(t)]
    glob = f"{prefix}/{t.name}/**/*.parquet".replace("'", "''")
    if parts:
        types = ", ".join(f"'{p}': 'VARCHAR'" for p in parts)
        options = f"hive_partitioning = true, hive_types = {{{types}}}"
    else:
        options = "hive_partitioning = false"
    source = f"read_parquet('{glob}', {options})"
    have = None
    if con is not None:
        have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        if not set(t.column_names) <= have:
            # Files written before a column was added to the schema (an older hudong's lake, e.g. no text_hash
            # before v3): match the files' columns by name and read the missing ones as NULL.
            source = f"read_parquet('{glob}', {options}, union_by_name = true)"
            have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    casts = ", ".join(
        f'CAST("{c.name}" AS {c.type}) AS "{c.name}"' if have is None or c.name in have
        else f'CAST(NULL AS {c.type}) AS "{c.name}"'
        for c in t.all_columns
    )  # fmt: skip
    return f"SELECT {casts} FROM {source}"


# ---- Spark --------------------------------------------------------------------------------------------
# Spark's own logging at WARN floods a terminal; errors still reach stderr.
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
"""


class _SparkState:
    def __init__(self, session: SparkSession, master: str, warehouse: Path):
        self.session = session
        self.master = master
        self.warehouse = warehouse


_SPARK: _SparkState | None = None


def spark_session(master: str | None = None, *, conf: Mapping[str, Any] | None = None) -> SparkSession:
    """The process's Spark session, started on first use (``local[2]`` unless ``master`` says otherwise).

    A different ``master`` than the running session's stops it and starts a new one (Spark allows one
    context per process). ``conf``: extra Spark settings (e.g. s3a credentials), used when starting.
    """
    global _SPARK
    master = master or "local[2]"
    if _SPARK is not None:
        if _SPARK.master == master and not _SPARK.session.sparkContext._jsc.sc().isStopped():
            return _SPARK.session
        stop_spark()
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise HudongError("Spark engine needs the extra: pip install 'hudong[spark]'") from None
    _check_java()
    local = master.startswith("local")
    # The executors run Python UDFs (Ibis uses some): they must run this interpreter, not whatever `python` is.
    if local:
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # avoids hostname look-ups that fail or pick a wrong interface
    else:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    warehouse = Path(tempfile.mkdtemp(prefix="hudong-spark-"))
    (warehouse / "tmp").mkdir()
    log_config = warehouse / "log4j2.properties"
    log_config.write_text(_LOG4J)
    settings: dict[str, Any] = {
        "spark.sql.warehouse.dir": str(warehouse / "warehouse"),
        "spark.local.dir": str(warehouse / "tmp"),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={warehouse} -Djava.io.tmpdir={warehouse / 'tmp'} "
            f"-Dlog4j2.configurationFile={log_config.as_uri()}"
        ),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",  # zone-less timestamps must not be shifted anywhere
        "spark.sql.execution.arrow.pyspark.enabled": "true",  # results reach the driver as Arrow
        "spark.sql.sources.partitionColumnTypeInference.enabled": "false",  # platform/month stay strings
        "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    }
    if local:
        # A local session's data fits a few partitions; Spark's default of 200 shuffle tasks is pure overhead.
        cores = master[len("local[") : -1] if master.startswith("local[") else "1"
        n = int(cores) if cores.isdigit() else (os.cpu_count() or 2)
        settings["spark.sql.shuffle.partitions"] = str(max(4, 2 * n))
        settings["spark.driver.memory"] = os.environ.get("HUDONG_SPARK_DRIVER_MEMORY", "3g")
    settings.update({k: str(v) for k, v in (conf or {}).items()})
    builder = SparkSession.builder.master(master).appName("hudong")
    for k, v in settings.items():
        builder = builder.config(k, v)
    try:
        session = builder.getOrCreate()
    except Exception as e:  # pyspark raises a bare runtime error when the JVM cannot start
        shutil.rmtree(warehouse, ignore_errors=True)
        raise HudongError(
            f"cannot start Spark ({master}): {str(e).splitlines()[0] if str(e) else type(e).__name__}"
        ) from e
    session.sparkContext.setLogLevel("ERROR")
    _SPARK = _SparkState(session, master, warehouse)
    return session


def stop_spark() -> None:
    """Stop the process's Spark session (if any) and remove its temporary warehouse."""
    global _SPARK
    state, _SPARK = _SPARK, None
    if state is None:
        return
    try:
        state.session.stop()
    finally:
        shutil.rmtree(state.warehouse, ignore_errors=True)


atexit.register(stop_spark)


def _check_java() -> None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return
    if shutil.which("java") is None:
        raise HudongError(
            "Spark engine needs Java 17 or 21: install a JDK (e.g. `apt install openjdk-17-jre-headless`) "
            "or set JAVA_HOME"
        )


def _spark_over_lake(location: str, workspace: Workspace | None, spark_master: str | None) -> Tables:
    import ibis

    master = spark_master or (workspace.setting("spark.master") if workspace is not None else None)
    conf = workspace.setting("spark.conf", {}) if workspace is not None else {}
    session = spark_session(master, conf=conf)
    fs, root = L.resolve(location)
    uri = Path(root).as_uri() if L.is_local(location) else _s3a(location.rstrip("/"))
    for name, t in S.TABLES.items():
        casts = [f"CAST(`{c.name}` AS {_SPARK_TYPES[c.type]}) AS `{c.name}`" for c in t.all_columns]
        if L.list_files(fs, root, name):
            path = f"{uri}/{name}"
            df = session.read.option("basePath", path).parquet(path)
            # a column the files predate (an older hudong's lake, e.g. text_hash before v3) reads as NULL
            casts = [x if c.name in df.columns else f"CAST(NULL AS {_SPARK_TYPES[c.type]}) AS `{c.name}`"
                     for x, c in zip(casts, t.all_columns, strict=True)]  # fmt: skip
            df.selectExpr(*casts).createOrReplaceTempView(name)
        else:
            nulls = ", ".join(f"CAST(NULL AS {_SPARK_TYPES[c.type]}) AS `{c.name}`" for c in t.all_columns)
            session.sql(f"SELECT {nulls} WHERE false").createOrReplaceTempView(name)
    return Tables(ibis.pyspark.connect(session), "spark", lake=location, workspace=workspace)


def _s3a(uri: str) -> str:
    """Spark's Hadoop filesystem for S3 is s3a://; users and pyarrow say s3://."""
    return "s3a://" + uri[len("s3://") :] if uri.startswith("s3://") else uri
