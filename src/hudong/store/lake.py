"""The lake: the workspace's tables as hive-partitioned Parquet, readable by DuckDB and Spark alike.

    LAKE/
      _hudong_lake.json                                  marker: format, schema version, partitioning
      interactions/platform=weibo/month=2024-06/part-<txn>-<n>.parquet
      campaigns/platform=weibo/part-….parquet            (no created_at: partitioned by platform only)
      import_batches/part-….parquet                      (no platform: not partitioned)
      _txn/<txn>/…                                       staging area of writes in progress (readers skip it)

Partition columns live in the directory names only (the files hold the other columns, typed by
``schema.arrow_schema``); ``month`` is derived from ``created_at`` (``unknown`` when it is null) and is not
a schema column. Readers (``hudong.store.engines``) put ``platform`` back and drop ``month``.

Writes are transactions: new files are written under ``_txn/<id>/``; on commit a journal (``_COMMIT.json``)
is written, then the files are moved into place and the files they replace are deleted. A write that fails
before the journal leaves nothing visible (its staging directory is removed, and any leftover is removed by
the next writer); a crash during the moves is rolled forward by the next writer. Appends are keyed like
``Workspace.upsert``: rows already present with identical content write nothing; changed rows replace the
old ones by rewriting only the files that held them. One writer at a time (a lock file enforces it).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from hudong.errors import HudongError
from hudong.store import schema as S
from hudong.store.workspace import CONFIG_NAME, ImportCounts

if TYPE_CHECKING:
    import duckdb

    from hudong.store.workspace import Workspace

MARKER = "_hudong_lake.json"
TXN_DIR = "_txn"
LOCK = "_lock"
COMMIT = "_COMMIT.json"
MONTH = "month"
NULL_MONTH = "unknown"
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.\-]+$")


# ---- layout -----------------------------------------------------------------------------------------
def partition_columns(table: S.Table) -> tuple[str, ...]:
    """Directory levels of a table: platform, then month of created_at, where the table has them."""
    names = table.column_names
    return tuple(c for c, present in (("platform", "platform" in names), (MONTH, "created_at" in names)) if present)


def file_schema(table: S.Table) -> pa.Schema:
    """Schema of the Parquet files of a table: every column except the ones held by directory names."""
    schema = S.arrow_schema(table)
    for col in partition_columns(table):
        if col in schema.names:
            schema = schema.remove(schema.get_field_index(col))
    return schema


def partition_values(rel_path: str) -> dict[str, str]:
    """``interactions/platform=weibo/month=2024-06/part-1.parquet`` → {platform: weibo, month: 2024-06}."""
    return dict(seg.split("=", 1) for seg in rel_path.split("/") if "=" in seg)


def resolve(location: str | os.PathLike) -> tuple[pafs.FileSystem, str]:
    """A filesystem and root path for a local directory or a URI (s3://, gs://, hdfs:// … via pyarrow)."""
    text = os.fspath(location)
    if "://" in text and not text.startswith("file://"):
        try:
            fs, root = pafs.FileSystem.from_uri(text)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as e:
            raise HudongError(f"cannot open lake {text}: {e}") from None
        return fs, root.rstrip("/")
    local = Path(text.removeprefix("file://")).expanduser().resolve()
    return pafs.LocalFileSystem(), local.as_posix()


def is_local(location: str | os.PathLike) -> bool:
    text = os.fspath(location)
    return "://" not in text or text.startswith("file://")


def list_files(fs: pafs.FileSystem, root: str, table: str) -> list[str]:
    """Committed Parquet files of a table, as paths relative to the lake root (sorted)."""
    selector = pafs.FileSelector(f"{root}/{table}", recursive=True, allow_not_found=True)
    out = []
    for info in fs.get_file_info(selector):
        rel = info.path[len(root) + 1 :]
        name = rel.rsplit("/", 1)[-1]
        if info.type == pafs.FileType.File and name.endswith(".parquet") and not name.startswith(("_", ".")):
            out.append(rel)
    return sorted(out)


def read_marker(location: str | os.PathLike) -> dict[str, Any]:
    fs, root = resolve(location)
    info = fs.get_file_info(f"{root}/{MARKER}")
    if info.type != pafs.FileType.File:
        raise HudongError(f"{location} is not a hudong lake (no {MARKER}); create one with `hudong export --lake PATH`")
    with fs.open_input_stream(f"{root}/{MARKER}") as f:
        marker = json.loads(f.read().decode("utf-8"))
    if marker.get("schema_version", 0) > S.SCHEMA_VERSION:
        raise HudongError(f"lake {location} uses schema version {marker['schema_version']}, newer than this hudong")
    return marker


# ---- transactions -----------------------------------------------------------------------------------
@dataclass
class _Txn:
    id: str
    staging: str  # absolute path of _txn/<id>
    adds: dict[str, str] = field(default_factory=dict)  # rel path → staged absolute path
    removes: set[str] = field(default_factory=set)  # rel paths of committed files to delete
    n_files: int = 0


class LakeWriter:
    """Keyed, atomic writes to a lake. ``with LakeWriter(path) as lake: lake.append("posts", rows)``.

    ``append`` (alias ``upsert``, so it can stand in for ``Workspace.upsert``) commits on its own unless it runs
    inside ``with lake.transaction():``, which commits everything at the end or nothing.
    """

    def __init__(self, location: str | os.PathLike, *, create: bool = True, compression: str = "zstd"):
        self.location = os.fspath(location)
        self.fs, self.root = resolve(location)
        self.compression = compression
        self._txn: _Txn | None = None
        self._db: duckdb.DuckDBPyConnection | None = None
        marker = self.fs.get_file_info(f"{self.root}/{MARKER}")
        if marker.type != pafs.FileType.File:
            if not create:
                read_marker(location)  # raises the clear error
            self._create()
        else:
            read_marker(location)
        self._lock()
        try:
            self.recover()
        except BaseException:
            self._unlock()
            raise

    # ---- life cycle ---------------------------------------------------------------------------------
    def _create(self) -> None:
        info = self.fs.get_file_info(self.root)
        if info.type == pafs.FileType.File:
            raise HudongError(f"{self.location} is a file, not a directory")
        if info.type == pafs.FileType.Directory and self.fs.get_file_info(pafs.FileSelector(self.root)):
            raise HudongError(f"{self.location} is not empty and not a hudong lake; choose an empty or new directory")
        self.fs.create_dir(self.root, recursive=True)
        marker = {
            "format": "hudong-lake",
            "schema_version": S.SCHEMA_VERSION,
            "partitioning": {t.name: list(partition_columns(t)) for t in S.TABLES.values()},
            "month_of": "created_at",
            "null_month": NULL_MONTH,
        }
        self._write_bytes(f"{self.root}/{MARKER}", json.dumps(marker, indent=2).encode())

    def _lock(self) -> None:
        """One writer at a time. Local lakes use an exclusive lock file; a stale one (dead pid) is taken over."""
        if not isinstance(self.fs, pafs.LocalFileSystem):
            return  # object stores have no atomic create-if-absent here: the user guarantees a single writer
        path = Path(self.root) / LOCK
        me = f"{socket.gethostname()} {os.getpid()}"
        for _ in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                host, _, pid = path.read_text().partition(" ")
                if host == socket.gethostname() and pid.isdigit() and not _alive(int(pid)):
                    path.unlink(missing_ok=True)
                    continue
                raise HudongError(
                    f"another hudong process ({host} pid {pid}) is writing to the lake {self.location}"
                ) from None
            with os.fdopen(fd, "w") as f:
                f.write(me)
            self._locked = path
            return
        raise HudongError(f"cannot lock the lake {self.location}")

    def _unlock(self) -> None:
        path = getattr(self, "_locked", None)
        if path is not None:
            path.unlink(missing_ok=True)
            self._locked = None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._unlock()

    def __enter__(self) -> LakeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recover(self) -> None:
        """Finish writes whose journal was written (roll forward); remove the staging of the others."""
        base = f"{self.root}/{TXN_DIR}"
        for info in self.fs.get_file_info(pafs.FileSelector(base, allow_not_found=True)):
            if info.type != pafs.FileType.Directory:
                continue
            journal = f"{info.path}/{COMMIT}"
            if self.fs.get_file_info(journal).type == pafs.FileType.File:
                with self.fs.open_input_stream(journal) as f:
                    plan = json.loads(f.read().decode("utf-8"))
                self._apply(info.path, plan["adds"], plan["removes"])
            self.fs.delete_dir(info.path)

    # ---- transactions -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything appended inside becomes visible together at the end, or not at all on an exception."""
        if self._txn is not None:  # nested: part of the outer transaction
            yield
            return
        txn_id = f"{uuid.uuid4().hex[:12]}"
        staging = f"{self.root}/{TXN_DIR}/{txn_id}"
        self.fs.create_dir(staging, recursive=True)
        self._txn = _Txn(txn_id, staging)
        try:
            yield
        except BaseException:
            self._txn = None
            self.fs.delete_dir(staging)
            raise
        txn, self._txn = self._txn, None
        self._commit(txn)

    def _commit(self, txn: _Txn) -> None:
        if not txn.adds and not txn.removes:
            self.fs.delete_dir(txn.staging)
            return
        adds = sorted(txn.adds)
        removes = sorted(txn.removes - set(txn.adds))
        # The journal is the commit point: written via a temporary name + move so it is never seen half-written.
        journal = json.dumps({"adds": adds, "removes": removes}).encode()
        self._write_bytes(f"{txn.staging}/{COMMIT}.tmp", journal)
        self.fs.move(f"{txn.staging}/{COMMIT}.tmp", f"{txn.staging}/{COMMIT}")
        self._apply(txn.staging, adds, removes)
        self.fs.delete_dir(txn.staging)

    def _apply(self, staging: str, adds: list[str], removes: list[str]) -> None:
        """Move staged files into place, then delete the replaced ones; safe to repeat (roll forward)."""
        for rel in adds:
            src, dst = f"{staging}/{rel}", f"{self.root}/{rel}"
            if self.fs.get_file_info(src).type == pafs.FileType.File:
                self.fs.create_dir(dst.rsplit("/", 1)[0], recursive=True)
                self.fs.move(src, dst)
        for rel in removes:
            path = f"{self.root}/{rel}"
            if self.fs.get_file_info(path).type == pafs.FileType.File:
                self.fs.delete_file(path)

    # ---- reading the current state (committed files, as changed by the open transaction) --------------
    def files(self, table: str) -> dict[str, str]:
        """rel path → absolute path of the files a reader would see after the open transaction commits."""
        out = {rel: f"{self.root}/{rel}" for rel in list_files(self.fs, self.root, table)}
        if self._txn is not None:
            for rel in self._txn.removes:
                out.pop(rel, None)
            out.update({rel: p for rel, p in self._txn.adds.items() if rel.startswith(f"{table}/")})
        return out

    def _read(self, table: S.Table, rel: str, path: str, columns: list[str] | None = None) -> pa.Table:
        """One file with its partition values put back as columns, plus ``_file`` (its rel path)."""
        parts = partition_values(rel)
        stored = [c for c in (columns or table.column_names) if c not in parts and c != MONTH]
        schema = pa.schema([file_schema(table).field(c) for c in stored])
        with self.fs.open_input_file(path) as f:
            pf = pq.ParquetFile(f)
            have = set(pf.schema_arrow.names)
            data = pf.read(columns=[c for c in stored if c in have])
        for c in stored:  # a column added to the schema after the file was written (e.g. text_hash, v3): nulls
            if c not in have:
                data = data.append_column(schema.field(c), pa.nulls(data.num_rows, schema.field(c).type))
        data = data.select(stored).cast(schema)
        for col in partition_columns(table):
            if col in (columns or table.column_names) and col != MONTH:
                data = data.append_column(col, pa.array([parts[col]] * data.num_rows, pa.string()))
        return data.append_column("_file", pa.array([rel] * data.num_rows, pa.string()))

    def read_table(self, table: str) -> pa.Table:
        """A whole table as Arrow, typed by ``schema.arrow_schema`` (for tests and small tables)."""
        t = S.TABLES[table]
        pieces = [self._read(t, rel, p).drop_columns(["_file"]) for rel, p in self.files(table).items()]
        if not pieces:
            return S.arrow_schema(t).empty_table()
        return pa.concat_tables(pieces).select(t.column_names).cast(S.arrow_schema(t))

    def count(self, table: str) -> int:
        return sum(pq.ParquetFile(p, filesystem=self.fs).metadata.num_rows for p in self.files(table).values())

    # ---- writing ------------------------------------------------------------------------------------
    def append(self, table: str, rows: pa.Table) -> ImportCounts:
        """Insert-or-update ``rows`` by the table's key; identical rows write nothing. Atomic."""
        if table not in S.TABLES:
            raise HudongError(f"unknown table {table!r}; tables: {', '.join(S.TABLES)}")
        t = S.TABLES[table]
        rows = rows.select(t.column_names).cast(S.arrow_schema(t))
        if rows.num_rows == 0:
            return ImportCounts()
        with self.transaction():
            return self._merge(t, rows)

    upsert = append

    def _con(self) -> duckdb.DuckDBPyConnection:
        if self._db is None:
            import duckdb

            self._db = duckdb.connect()
        return self._db

    def _merge(self, t: S.Table, rows: pa.Table) -> ImportCounts:
        con = self._con()
        parts = partition_columns(t)
        key = list(t.key)
        on = " AND ".join(f's."{k}" = e."{k}"' for k in key)
        content = [c.name for c in t.columns if c.name not in t.key]
        differs = " OR ".join(f's."{c}" IS DISTINCT FROM e."{c}"' for c in content) or "FALSE"
        part_expr = (
            " || '/' || ".join(
                "'platform=' || s.platform"
                if p == "platform"
                else f"'month=' || coalesce(strftime(s.created_at, '%Y-%m'), '{NULL_MONTH}')"
                for p in parts
            )
            or "''"
        )
        if "platform" in parts:
            bad = [p for p in set(rows.column("platform").to_pylist()) if not p or not _SAFE_VALUE.match(p)]
            if bad:
                raise HudongError(f"{t.name}: platform values unusable as lake partitions: {bad[:5]}")

        con.register("_in", rows.append_column("_rn", pa.array(range(rows.num_rows), pa.int64())))
        try:
            # The last row wins for a key repeated within the batch (a later line of an export is newer).
            by = ", ".join(f'"{k}"' for k in key)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _s AS SELECT s.* EXCLUDE (_rn), {part_expr} AS _part FROM "
                f"(SELECT * FROM _in QUALIFY row_number() OVER (PARTITION BY {by} ORDER BY _rn DESC) = 1) s"
            )
        finally:
            con.unregister("_in")

        # Existing keys, only in the partitions of the incoming platforms (platform is part of every fact key).
        current = self.files(t.name)
        if "platform" in parts:
            platforms = {r[0] for r in con.execute("SELECT DISTINCT platform FROM _s").fetchall()}
            current = {rel: p for rel, p in current.items() if partition_values(rel).get("platform") in platforms}
        keys = [self._read(t, rel, p, columns=key) for rel, p in current.items()]
        existing_keys = pa.concat_tables(keys) if keys else None

        n_existing = n_changed = 0
        rewrite: dict[str, str] = {}
        if existing_keys is not None and existing_keys.num_rows:
            con.register("_ek", existing_keys)
            try:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _m AS SELECT s.*, e._file FROM _s s JOIN _ek e ON {on}")
            finally:
                con.unregister("_ek")
            n_existing = con.execute("SELECT count(*) FROM _m").fetchone()[0]
        if n_existing:
            hit = [r[0] for r in con.execute("SELECT DISTINCT _file FROM _m").fetchall()]
            old = pa.concat_tables([self._read(t, rel, current[rel]) for rel in hit])
            con.register("_old", old)
            try:
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE _changed AS SELECT s.*, e._file AS _old_file "
                    f"FROM _s s JOIN _old e ON {on} WHERE {differs}"
                )
                n_changed = con.execute("SELECT count(*) FROM _changed").fetchone()[0]
                if n_changed:
                    # Files holding an old version of a changed row are rewritten without it.
                    for (rel,) in con.execute("SELECT DISTINCT _old_file FROM _changed").fetchall():
                        rewrite[rel] = current[rel]
                    con.execute(
                        "CREATE OR REPLACE TEMP TABLE _kept AS SELECT e.* FROM _old e WHERE e._file IN "
                        f"(SELECT _old_file FROM _changed) AND NOT EXISTS (SELECT 1 FROM _changed s WHERE {on})"
                    )
            finally:
                con.unregister("_old")
            # Incoming rows to write: the new ones and the changed ones (unchanged ones are dropped).
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _w AS SELECT * EXCLUDE (_part), _part FROM _s s "
                f"WHERE NOT EXISTS (SELECT 1 FROM _m e WHERE {on}) "
                f"OR EXISTS (SELECT 1 FROM _changed e WHERE {on})"
            )
        else:
            con.execute("CREATE OR REPLACE TEMP TABLE _w AS SELECT * FROM _s")

        stored_cols = ", ".join(f'"{c}"' for c in file_schema(t).names)
        targets = {r[0] for r in con.execute("SELECT DISTINCT _part FROM _w").fetchall()}
        rewritten_parts = {_dir_of(t.name, rel) for rel in rewrite}
        for part in sorted(targets | rewritten_parts):
            pieces = [con.execute(f"SELECT {stored_cols} FROM _w WHERE _part = ?", [part]).to_arrow_table()]
            if part in rewritten_parts:
                files_here = [rel for rel in rewrite if _dir_of(t.name, rel) == part]
                marks = ", ".join("?" for _ in files_here)
                pieces.append(
                    con.execute(
                        f"SELECT {stored_cols} FROM _kept WHERE _file IN ({marks})", files_here
                    ).to_arrow_table()
                )
            data = pa.concat_tables([p.cast(file_schema(t)) for p in pieces])
            if data.num_rows:
                self._stage(t.name, part, data)
        assert self._txn is not None
        self._txn.removes.update(rewrite)
        for rel in rewrite:
            self._txn.adds.pop(rel, None)  # a file staged earlier in this transaction and replaced now
        n_in = con.execute("SELECT count(*) FROM _s").fetchone()[0]
        con.execute(
            "DROP TABLE IF EXISTS _s; DROP TABLE IF EXISTS _m; DROP TABLE IF EXISTS _changed; "
            "DROP TABLE IF EXISTS _kept; DROP TABLE IF EXISTS _w"
        )
        return ImportCounts(stored=n_in - n_existing, updated=n_changed, unchanged=n_existing - n_changed)

    def prune(self, table: str, current_keys: pa.Table) -> int:
        """Remove the lake's rows of ``table`` whose key is not in ``current_keys`` (the store's keys now): rows
        deleted from the workspace (``hudong forget``, expired quarantine) leave the lake too. Only files that
        hold such rows are rewritten. Atomic; returns the rows removed."""
        t = S.TABLES[table]
        key = list(t.key)
        if not key:
            return 0
        current = self.files(t.name)
        if not current:
            return 0
        con = self._con()
        on = " AND ".join(f'k."{c}" = e."{c}"' for c in key)
        with self.transaction():
            lake_keys = pa.concat_tables([self._read(t, rel, p, columns=key) for rel, p in current.items()])
            con.register("_lk", lake_keys)
            con.register("_ck", current_keys.select(key).cast(pa.schema([S.arrow_schema(t).field(c) for c in key])))
            try:
                gone = con.execute(
                    f"SELECT e._file, count(*) FROM _lk e WHERE NOT EXISTS (SELECT 1 FROM _ck k WHERE {on}) GROUP BY 1"
                ).fetchall()
                removed = 0
                for rel, n in gone:
                    old = self._read(t, rel, current[rel])
                    con.register("_old", old)
                    try:
                        kept = con.execute(
                            f"SELECT {', '.join(chr(34) + c + chr(34) for c in file_schema(t).names)} FROM _old e "
                            f"WHERE EXISTS (SELECT 1 FROM _ck k WHERE {on})"
                        ).to_arrow_table()
                    finally:
                        con.unregister("_old")
                    if kept.num_rows:
                        self._stage(t.name, _dir_of(t.name, rel), kept.cast(file_schema(t)))
                    assert self._txn is not None
                    self._txn.removes.add(rel)
                    self._txn.adds.pop(rel, None)
                    removed += n
            finally:
                con.unregister("_lk")
                con.unregister("_ck")
        return removed

    def _stage(self, table: str, part: str, data: pa.Table) -> None:
        txn = self._txn
        assert txn is not None
        txn.n_files += 1
        rel = "/".join(p for p in (table, part, f"part-{txn.id}-{txn.n_files:05d}.parquet") if p)
        path = f"{txn.staging}/{rel}"
        self.fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
        pq.write_table(data, path, filesystem=self.fs, compression=self.compression)
        txn.adds[rel] = path

    def _write_bytes(self, path: str, data: bytes) -> None:
        with self.fs.open_output_stream(path) as f:
            f.write(data)


def _dir_of(table: str, rel: str) -> str:
    """``posts/platform=weibo/month=2024-06/part-x.parquet`` → ``platform=weibo/month=2024-06``."""
    return rel[len(table) + 1 :].rpartition("/")[0]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---- workspace integration ----------------------------------------------------------------------------
# Tables always pruned when the lake is refreshed: small bookkeeping whose rows the store removes on its own
# (resolved and expired quarantine entries). ``hudong export --lake`` and ``hudong forget`` prune every table.
PRUNED_ALWAYS = ("quarantine",)


def export_lake(ws: Workspace, path: str | os.PathLike, *, prune: tuple[str, ...] | bool = PRUNED_ALWAYS) -> dict[str, int]:
    """Write (or refresh) every table of a DuckDB workspace into the lake at ``path``; rows per table.

    Re-exporting is incremental: unchanged rows write nothing, changed rows rewrite only their files. ``prune``:
    the tables (True: all) whose rows no longer in the store are removed from the lake. One transaction: on failure
    the lake is left as it was.
    """
    out: dict[str, int] = {}
    lake_tables = {n: t for n, t in S.TABLES.items() if t.lake}
    pruned = tuple(lake_tables) if prune is True else tuple(p for p in (prune or ()) if p in lake_tables)
    with LakeWriter(path) as lake, lake.transaction():
        for name in pruned:
            t = S.TABLES[name]
            keys = ", ".join(f'"{k}"' for k in t.key)
            lake.prune(name, ws.con.execute(f'SELECT {keys} FROM "{name}"').to_arrow_table())
        for name, t in lake_tables.items():
            cols = ", ".join(f'"{c}"' for c in t.column_names)
            if "platform" in t.column_names:
                # One platform at a time bounds memory (a platform's rows are one Arrow table).
                platforms = [
                    r[0] for r in ws.con.execute(f'SELECT DISTINCT platform FROM "{name}" ORDER BY 1').fetchall()
                ]
                for p in platforms:
                    lake.append(
                        name, ws.con.execute(f'SELECT {cols} FROM "{name}" WHERE platform = ?', [p]).to_arrow_table()
                    )
            else:
                lake.append(name, ws.con.execute(f'SELECT {cols} FROM "{name}"').to_arrow_table())
            out[name] = ws.count(name)
    return out


def lake_path(ws: Workspace) -> str | None:
    """The lake configured for a workspace (``[lake] path``), relative paths taken from the workspace dir."""
    value = ws.setting("lake.path")
    if not value:
        return None
    if is_local(value) and not Path(str(value).removeprefix("file://")).expanduser().is_absolute():
        return (ws.path / value).resolve().as_posix()
    return str(value)


def enable_lake(ws: Workspace, path: str | os.PathLike) -> str:
    """Make ``path`` the workspace's lake (``hudong init --lake`` / ``export --lake``): creates it, records
    ``[lake] path`` in hudong.toml. Returns the path as recorded."""
    LakeWriter(path).close()  # creates the marker or checks an existing lake
    value = os.fspath(path)
    if is_local(value):
        value = Path(value.removeprefix("file://")).expanduser().resolve().as_posix()
    cfg = ws.path / CONFIG_NAME
    text = cfg.read_text(encoding="utf-8")
    line = f"path = {json.dumps(value, ensure_ascii=False)}"
    header = re.search(r"(?m)^\[lake\][ \t]*(#[^\n]*)?\n", text)
    if header is None:
        text = (
            text.rstrip("\n")
            + f"\n\n[lake]                    # tables also kept as partitioned Parquet here\n{line}\n"
        )
    else:
        # Replace the section's path line (before the next [section]) or add one under the header.
        end = re.search(r"(?m)^\[", text[header.end() :])
        body_end = header.end() + (end.start() if end else len(text) - header.end())
        body = text[header.end() : body_end]
        body, n = re.subn(r"(?m)^path\s*=.*$", lambda _: line, body, count=1)
        text = text[: header.end()] + (body if n else f"{line}\n{body}") + text[body_end:]
    cfg.write_text(text, encoding="utf-8")
    ws.config.setdefault("lake", {})["path"] = value
    return value
