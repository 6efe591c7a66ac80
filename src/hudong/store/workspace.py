"""A workspace: one directory with a DuckDB file, a config file and the pseudonymisation key.

    DIR/
      hudong.toml     settings (time zone, business hours, brand, privacy, engine)
      hudong.duckdb   the store: every table of ``hudong.store.schema``
      .hudong-key     secret key for pseudonyms (keyed hashes); never share it

``Workspace.upsert`` is the only write path for imported facts: it keys rows by the table's
key, counts new / updated / unchanged rows and never touches an identical row (so a
re-import changes nothing, not even provenance).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hudong.errors import HudongError
from hudong.store import schema as S

CONFIG_NAME = "hudong.toml"
DB_NAME = "hudong.duckdb"
MODELS_DIR = "models"  # trained and adapted models (hudong forecast/rumour/text train)
KEY_NAME = ".hudong-key"

DEFAULT_CONFIG = """\
# hudong workspace settings. 工作区设置。
name = "{name}"
timezone = "Asia/Shanghai"
language = "{language}"   # zh | en: default language of reports and the UI
engine = "duckdb"         # duckdb | spark
profile = "{profile}"       # brand | public: a public service (政府部门、医疗机构) — citizens, not customers; no commerce measures

[brand]
name = {brand}                 # your brand, e.g. "山茶社"
aliases = {aliases}              # other names people use for it; used for share of voice

[privacy]
raw_ids = false           # true keeps platform user ids as they are (opt-in); default stores keyed pseudonyms
redact_text = true        # redact phone numbers, e-mail addresses and ID-card numbers from stored text
contacts = true           # keep public handles and message links (table contacts) so responders know whom they answer
show_contacts_to = ["responder", "analyst", "admin"]   # web roles that see them in the inbox (analytics never do)

[business_hours]          # the response-time clock runs only inside these hours
start = "09:00"
end = "18:00"
days = [1, 2, 3, 4, 5]    # ISO weekdays, 1 = Monday
sla_minutes = 240         # target first-response time

[groups]                  # WeChat/QQ group chats (docs/communities.md)
staff = []                # names or ids of your people in the groups (QQ marks 群主/管理员 itself), e.g. ["客服小山"]

[scorecard]
self_assessment = ""      # optional TOML file with answers the data cannot give (strategy, organization)

[text]
max_chars = 5000          # characters of each text that are analysed (keywords, sentiment, mentions…); stored whole
adapt_after_import = 0    # adapt the sentiment model to your texts after an import of ≥ this many (`hudong text adapt`); 0 = off
"""


def has_table(con: Any, name: str) -> bool:
    """Whether table ``name`` exists on ``con`` (a connection or cursor): tables made on first use — reply
    templates, segment runs, the outbox, text scores … — may not exist yet in an older or fresh workspace."""
    return con.execute("SELECT 1 FROM information_schema.tables WHERE table_name = ? LIMIT 1", [name]).fetchone() is not None


@contextlib.contextmanager
def transaction(con: Any) -> Iterator[Any]:
    """``BEGIN`` … ``COMMIT`` on ``con`` (a connection or cursor), ``ROLLBACK`` if the block raises — also on
    Ctrl-C. The one way hudong writes several statements as one (a test checks no module writes BEGIN itself)."""
    con.execute("BEGIN")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already ended the transaction
            con.execute("ROLLBACK")
        raise


class WorkspaceLocked(HudongError):
    """Another process holds the workspace's DuckDB file (DuckDB allows one writer process per file)."""

    def __init__(self, path: Path, detail: str):
        m = re.search(r"PID (\d+)", detail)
        self.pid = int(m.group(1)) if m else None
        self.path = path
        self.holder = _command_of(self.pid) if self.pid else None
        who = f"process {self.pid}" + (f" ({self.holder})" if self.holder else "") if self.pid else "another process"
        super().__init__(
            f"{path}: the workspace is in use by {who}. hudong lets one process at a time hold a workspace: wait "
            "for it to finish (set HUDONG_LOCK_WAIT=SECONDS to wait longer), or, when it is `hudong serve`, run "
            "the command again: commands are then sent to the server"
        )


def _command_of(pid: int) -> str | None:
    """The command line of a process (Linux /proc), shortened: who holds the workspace."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    parts = [x.decode("utf-8", "replace") for x in raw.split(b"\0") if x]
    if parts and "python" in Path(parts[0]).name and len(parts) > 1:
        parts = parts[1:]
    text = " ".join([Path(parts[0]).name, *parts[1:]]) if parts else ""
    return text if len(text) <= 120 else text[:120] + "…"


@dataclass
class ImportCounts:
    stored: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: ImportCounts) -> ImportCounts:
        self.stored += other.stored
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def toml_value(v: str | list[str]) -> str:
    """A string or a list of strings as TOML (basic strings; JSON's escapes are TOML's)."""
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return "[" + ", ".join(json.dumps(str(x), ensure_ascii=False) for x in v) + "]"


def set_brand_text(text: str, name: str | None, aliases: list[str] | None) -> str:
    """hudong.toml text with ``[brand]`` name and/or aliases set (the rest, comments included, kept as it is)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if re.match(r"\s*\[brand\]\s*(#.*)?$", ln)), None)
    if start is None:
        block = "\n[brand]\n"
        block += f"name = {toml_value(name or '')}\n"
        block += f"aliases = {toml_value(aliases or [])}\n"
        return text.rstrip("\n") + "\n" + block
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"\s*\[", lines[i])), len(lines))
    for key, value in (("name", name), ("aliases", aliases)):
        if value is None:
            continue
        new = f"{key} = {toml_value(value)}"
        hit = next((i for i in range(start + 1, end) if re.match(rf"\s*{key}\s*=", lines[i])), None)
        if hit is None:
            lines.insert(start + 1, new + "\n")
            end += 1
        else:  # keep a trailing comment
            m = re.match(rf"(\s*{key}\s*=\s*)(.*?)(\s+#.*)?(\n?)$", lines[hit])
            comment = m.group(3) or "" if m else ""
            lines[hit] = f"{new}{comment}\n"
    return "".join(lines)


PROFILES = ("brand", "public")


def check_profile(profile: str, where: Any = None) -> str:
    if profile not in PROFILES:
        raise HudongError(f"{where or 'profile'}: profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    return profile


def set_top_level_text(text: str, key: str, value: str) -> str:
    """hudong.toml text with the top-level ``key`` set (before the first table; a trailing comment kept)."""
    lines = text.splitlines(keepends=True)
    first_table = next((i for i, ln in enumerate(lines) if re.match(r"\s*\[", ln)), len(lines))
    hit = next((i for i in range(first_table) if re.match(rf"\s*{key}\s*=", lines[i])), None)
    new = f"{key} = {toml_value(value)}"
    if hit is None:
        lines.insert(first_table, new + "\n")
    else:
        m = re.match(rf"(\s*{key}\s*=\s*)(.*?)(\s+#.*)?(\n?)$", lines[hit])
        lines[hit] = f"{new}{(m.group(3) or '') if m else ''}\n"
    return "".join(lines)


def lookup(config: dict[str, Any], dotted: str, default: Any = None) -> Any:
    """A setting by dotted name (``business_hours.start``) from a parsed hudong.toml."""
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


class Workspace:
    """An open workspace. Use ``hudong.open(DIR)`` or ``Workspace.open(DIR)``."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, config: dict[str, Any]):
        self.path = path
        self.con = con
        self.config = config
        self._ibis = None
        self._tables: Any = None  # set by engines.use_engine(): metrics then run on that engine

    # ---- life cycle -------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | os.PathLike, *, name: str | None = None, language: str = "zh", brand: str = "",
             aliases: list[str] | tuple[str, ...] = (), profile: str = "brand") -> Workspace:  # fmt: skip
        p = Path(path)
        if (p / DB_NAME).exists():
            raise HudongError(f"{p} is already a hudong workspace (found {DB_NAME})")
        check_profile(profile)
        p.mkdir(parents=True, exist_ok=True)
        (p / CONFIG_NAME).write_text(DEFAULT_CONFIG.format(name=name or p.resolve().name, language=language,
                                                           brand=toml_value(brand), aliases=toml_value(list(aliases)),
                                                           profile=profile))  # fmt: skip
        key_path = p / KEY_NAME
        key_path.write_text(secrets.token_hex(32))
        key_path.chmod(0o600)
        ws = cls.open(p)
        return ws

    @classmethod
    def open(
        cls,
        path: str | os.PathLike,
        *,
        read_only: bool = False,
        wait: float = 0.0,
        on_wait: Any = None,
    ) -> Workspace:
        """Open the workspace at ``path``. One process at a time may hold its DuckDB file: when another holds it,
        wait up to ``wait`` seconds (calling ``on_wait(WorkspaceLocked)`` once) before raising ``WorkspaceLocked``."""
        p = Path(path)
        if not (p / CONFIG_NAME).exists():
            raise HudongError(f"{p} is not a hudong workspace (no {CONFIG_NAME}); create one with `hudong init {p}`")
        try:
            config = tomllib.loads((p / CONFIG_NAME).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise HudongError(f"{p / CONFIG_NAME}: {e}") from None
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                con = duckdb.connect(str(p / DB_NAME), read_only=read_only)
                break
            except duckdb.IOException as e:
                if "lock" not in str(e).lower():
                    raise HudongError(f"cannot open {p / DB_NAME}: {e}") from None
                locked = WorkspaceLocked(p, str(e))
                if time.monotonic() >= deadline:
                    raise locked from None
                if on_wait is not None and not told:
                    on_wait(locked)
                    told = True
                time.sleep(0.25)
        ws = cls(p, con, config)
        if not read_only:
            ws._migrate()
        return ws

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- schema & migrations ------------------------------------------------------------------
    def _migrate(self) -> None:
        con = self.con
        con.execute("CREATE TABLE IF NOT EXISTS _meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        row = con.execute("SELECT value FROM _meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            with transaction(con):
                for t in [*S.TABLES.values(), *S.APP_TABLES.values()]:
                    con.execute(S.ddl(t))
                con.execute("INSERT INTO _meta VALUES ('schema_version', ?)", [str(S.SCHEMA_VERSION)])
            return
        version = int(row[0])
        if version > S.SCHEMA_VERSION:
            raise HudongError(
                f"{self.path} uses schema version {version}, newer than this hudong ({S.SCHEMA_VERSION}); upgrade hudong"
            )
        for m in S.MIGRATIONS:
            if m.version <= version:
                continue
            with transaction(con):
                for stmt in m.statements:
                    con.execute(stmt)
                con.execute("UPDATE _meta SET value = ? WHERE key = 'schema_version'", [str(m.version)])

    @property
    def models_dir(self) -> Path:
        """Where the workspace keeps its trained and adapted models (WORKSPACE/models)."""
        return Path(self.path) / MODELS_DIR

    @property
    def schema_version(self) -> int:
        return int(self.con.execute("SELECT value FROM _meta WHERE key = 'schema_version'").fetchone()[0])

    # ---- settings -----------------------------------------------------------------------------
    @property
    def key(self) -> bytes:
        """The secret key for pseudonyms."""
        return bytes.fromhex((self.path / KEY_NAME).read_text().strip())

    def setting(self, dotted: str, default: Any = None) -> Any:
        return lookup(self.config, dotted, default)

    @property
    def profile(self) -> str:
        """``brand`` (default) or ``public``: whom the organization serves (docs/public-service.md)."""
        return check_profile(str(self.setting("profile", "brand") or "brand"), self.path / CONFIG_NAME)

    def set_profile(self, profile: str) -> None:
        """Write the top-level ``profile`` into hudong.toml (comments and other settings kept) and reload."""
        check_profile(profile)
        cfg = self.path / CONFIG_NAME
        text = set_top_level_text(cfg.read_text(encoding="utf-8"), "profile", profile)
        self.config = tomllib.loads(text)
        cfg.write_text(text, encoding="utf-8")

    def set_brand(self, name: str | None = None, aliases: list[str] | None = None) -> None:
        """Write ``[brand]`` name and/or aliases into hudong.toml (comments and other settings kept) and reload."""
        cfg = self.path / CONFIG_NAME
        text = set_brand_text(cfg.read_text(encoding="utf-8"), name, aliases)
        try:
            config = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:  # pragma: no cover - toml_value writes valid TOML
            raise HudongError(f"{cfg}: cannot set the brand: {e}") from None
        cfg.write_text(text, encoding="utf-8")
        self.config = config

    # ---- reading ------------------------------------------------------------------------------
    @property
    def ibis(self):
        """The Ibis backend over this workspace's DuckDB connection (metrics are Ibis expressions)."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def table(self, name: str):
        """An Ibis table expression for one schema table."""
        if name not in S.TABLES:
            raise HudongError(f"unknown table {name!r}; tables: {', '.join(S.TABLES)}")
        return self.ibis.table(name)

    def transaction(self) -> contextlib.AbstractContextManager[Any]:
        """``with ws.transaction():`` — the statements of the block commit together or not at all."""
        return transaction(self.con)

    @property
    def source(self) -> Any:
        """What analyses read tables from: this workspace, or the engine chosen by ``engines.use_engine`` (Spark)."""
        return self._tables if self._tables is not None else self

    def attach_tables(self, tables: Any | None) -> None:
        """Read tables from ``tables`` (an engine over the lake: ``hudong.store.engines.use_engine``), or from
        this file again (None)."""
        self._tables = tables

    @property
    def engine(self) -> str:
        return "duckdb" if self._tables is None else self._tables.engine

    def count(self, name: str) -> int:
        if self._tables is not None:
            return int(self._tables[name].count().execute())
        return self.con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]

    # ---- writing ------------------------------------------------------------------------------
    def upsert(self, table: str, rows: pa.Table | str, columns: Iterable[str] | None = None) -> ImportCounts:
        """Insert-or-update ``rows`` (unique by the table's key) into ``table``; call inside a transaction.

        ``rows``: an Arrow table, or the name of a relation (an import's staging table) with the table's columns.
        ``columns``: the columns the source really has. A stored row is updated in those columns only (a partial
        re-import leaves the others as they are); new rows get null (or the column default) elsewhere. Default:
        every column. Rows whose given content equals the stored row are left untouched (counted as unchanged,
        provenance too). A relation must hold every column of the table; an Arrow table may leave out columns
        other than the key, which then count as not given (as with ``columns``).
        """
        t = S.TABLES[table]
        con = self.con
        name = rows if isinstance(rows, str) else f"_staged_{table}"
        if not isinstance(rows, str):
            absent = [c for c in t.column_names if c not in rows.column_names]
            if missing_key := [k for k in t.key if k in absent]:
                raise HudongError(f"{table}: rows lack the key column(s) {', '.join(missing_key)}")
            if absent:
                if columns is None:
                    columns = [c for c in t.column_names if c not in absent]
                for c in absent:
                    rows = rows.append_column(c, pa.nulls(rows.num_rows))
            rows = rows.select(t.column_names).cast(S.arrow_schema(t))
            if rows.num_rows == 0:
                return ImportCounts()
            con.register(name, rows)
        try:
            provenance = {c.name for c in S.PROVENANCE} if t.provenance else set()
            given = set(t.column_names) if columns is None else set(columns) | provenance
            content = [c.name for c in t.all_columns if c.name not in t.key and c.name in given]
            compared = [c for c in content if c not in provenance]
            on = " AND ".join(f's."{k}" = t."{k}"' for k in t.key)
            differs = " OR ".join(f's."{c}" IS DISTINCT FROM t."{c}"' for c in compared) or "FALSE"
            n_rows, n_existing, n_changed = con.execute(
                f"SELECT (SELECT count(*) FROM {name}), count(*), count(*) FILTER (WHERE {differs}) "
                f'FROM {name} s JOIN "{table}" t ON {on}'
            ).fetchone()
            if n_changed:
                sets = ", ".join(f'"{c}" = s."{c}"' for c in content)
                con.execute(f'UPDATE "{table}" t SET {sets} FROM {name} s WHERE {on} AND ({differs})')
            cols = ", ".join(f'"{c}"' for c in t.column_names)  # new rows: every column (defaults were applied)
            con.execute(
                f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM {name} s '
                f'WHERE NOT EXISTS (SELECT 1 FROM "{table}" t WHERE {on})'
            )
        finally:
            if name.startswith("_staged_"):
                con.unregister(name)
        return ImportCounts(stored=n_rows - n_existing, updated=n_changed, unchanged=n_existing - n_changed)

    def append(self, table: str, rows: pa.Table) -> None:
        """Append bookkeeping rows (import_batches, quarantine) without key checks."""
        t = S.TABLES[table]
        if rows.num_rows:  # the table's column order (from_arrow is 3× faster than register + INSERT)
            self.con.from_arrow(rows.select(t.column_names).cast(S.arrow_schema(t))).insert_into(table)


def open_workspace(path: str | os.PathLike, **kw: Any) -> Workspace:
    return Workspace.open(path, **kw)
