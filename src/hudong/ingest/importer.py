"""``import_file``: read a file in chunks, apply a mapping, validate, pseudonymise, redact, and write one batch.

The pipeline holds one chunk of the file in memory at a time, whatever the file's size:

1. **Read** (``readers.FileReader``): chunks of bounded size; the reader enforces the ``[import]`` limits
   (decompressed bytes, expansion ratio, rows, value length) and rejects rows it cannot read.
2. **Validate** each chunk for each target table (vectorised over the chunk): parse, check required values,
   enums and the plausible date window, pseudonymise user ids, redact free text. Valid rows are appended to a
   staging table per target (DuckDB temp tables, which spill to disk); failing rows go to a quarantine staging
   table with their raw row sanitised (``quarantine.RawSanitiser``).
3. **Finish** once every chunk is in: year-less dates get their year from the file's other dates (references
   gathered over every chunk), content-hash ids that waited for them are computed, and duplicate keys are resolved
   over the whole file (SQL over the staging tables).
4. **Store** in ONE transaction: the upserts (only the columns the file has: a partial re-import leaves the others
   as they are), the quarantine entries (replacing copies of the same bad row, resolving entries whose rows this
   import stored, expiring old ones) and the ``import_batches`` row. If anything fails nothing is stored and a
   ``failed`` batch row with the error is written on its own. The staging tables are temporary: a killed process
   leaves nothing behind.

Accounting (checked by the tests, and by the fuzzing suite on ≥ 10,000 malformed files): for the mapping's first
(primary) table, ``rows_read == stored + updated + unchanged + quarantined_by_table[primary] + duplicates_in_file``
(+ rows its ``when`` skipped). ``quarantined`` counts rows quarantined in any table (a row may fail a secondary
table only).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hudong.errors import HudongError
from hudong.ingest import parsers as P
from hudong.ingest import quarantine as Q
from hudong.ingest import readers
from hudong.ingest.limits import ImportLimits
from hudong.ingest.mapping import Mapping, Spec, Target, builtin_files, load_mapping
from hudong.ingest.privacy import digest_array, pseudonymise_array, redact_text
from hudong.store import schema as S
from hudong.store.lake import export_lake, lake_path
from hudong.store.workspace import ImportCounts, transaction

if TYPE_CHECKING:
    from hudong.store.workspace import Workspace


@dataclass
class ImportSummary:
    batch_id: str
    source_file: str
    format: str
    rows_read: int = 0
    tables: dict[str, ImportCounts] = field(default_factory=dict)
    quarantined: int = 0  # distinct input rows quarantined (in any table)
    quarantined_by_table: dict[str, int] = field(default_factory=dict)  # distinct rows quarantined per table
    reasons: dict[str, int] = field(default_factory=dict)  # "column: reason" → count
    redactions: dict[str, int] = field(default_factory=dict)  # PII kind → count
    duplicates_in_file: int = 0  # primary table: rows repeating a key already in the file (identical content)
    duplicates_by_table: dict[str, int] = field(default_factory=dict)
    yearless_dates: int = 0  # dates without a year, resolved against a reference (see docs/mapping.md)
    skipped: dict[str, int] = field(default_factory=dict)  # rows a secondary table did not take (its `when`)
    encoding: str | None = None  # the text encoding the file was read in (None: binary formats)
    notes: list[str] = field(default_factory=list)  # decisions the user should know about (encoding, …)
    resolved_quarantine: int = 0  # quarantine entries of earlier imports resolved by this one (rows now stored)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"{self.source_file} → {self.format} (batch {self.batch_id}): {self.rows_read:,} row(s) read"]
        several = len(self.tables) > 1
        for table, c in self.tables.items():
            q = f"  {self.quarantined_by_table.get(table, 0):>8,} quarantined" if several else ""
            out.append(f"  {table:<17} {c.stored:>10,} stored  {c.updated:>8,} updated  {c.unchanged:>10,} unchanged{q}")
        out.append(f"  quarantined       {self.quarantined:>10,}")
        for reason, n in sorted(self.reasons.items(), key=lambda kv: -kv[1]):
            out.append(f"    {n:>8,} × {reason}")
        if self.duplicates_in_file:
            out.append(f"  duplicates in file {self.duplicates_in_file:>9,} (identical rows, kept once)")
        if self.yearless_dates:
            out.append(f"  dates without year {self.yearless_dates:>9,} (year inferred from the other dates)")
        if self.redactions:
            out.append("  redacted          " + ", ".join(f"{n:,} {k}" for k, n in sorted(self.redactions.items())))
        if self.resolved_quarantine:
            out.append(f"  resolved          {self.resolved_quarantine:>10,} quarantined row(s) of earlier imports")
        for note in self.notes:
            out.append(f"  note: {note}")
        out.append(f"  in {self.seconds:.1f} s")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class ImportProgress:
    """Where an import is, passed to ``import_file(..., on_progress=)`` after each chunk and each finishing step.
    Counts and ``fraction`` never go down.

    ``reading``: chunks are read and validated (``bytes_read`` of ``bytes_total``; ``rows_quarantined`` grows as
    chunks are checked). ``validating``: the whole-file steps (year-less dates, duplicates). ``writing``: the
    transaction. ``rows_accepted`` is known once validation ends.
    """

    stage: str  # reading | validating | writing | done
    rows_read: int = 0  # input rows read so far (rows the reader rejected included)
    rows_accepted: int = 0  # rows that passed validation (0 until validation ends)
    rows_quarantined: int = 0  # distinct input rows quarantined so far
    rows_total: int | None = None  # the file's row count, once read
    bytes_read: int | None = None  # bytes of the file consumed (compressed bytes for .gz/.xz/.bz2)
    bytes_total: int | None = None  # the file's size
    fraction: float = 0.0  # the whole import, 0…1 (stage-weighted estimate)


# Share of the import's time per stage (reading includes the per-chunk validation), for ``fraction``.
_STAGE_SPAN = {"reading": (0.0, 0.8), "validating": (0.8, 0.85), "writing": (0.85, 1.0), "done": (1.0, 1.0)}


class _Tracker:
    """Builds ``ImportProgress`` values, keeps them monotonic (a restarted read starts over) and hands them to the
    caller's callback and the CLI's progress bar."""

    def __init__(self, callback: Callable[[ImportProgress], None] | None, bar: Any, task: Any, name: str) -> None:
        self.callback, self.bar, self.task, self.name = callback, bar, task, name
        self.last = ImportProgress("reading")
        self.quarantined = 0  # rows quarantined by the chunks validated so far (set by the importer)

    def update(self, stage: str, done: float = 0.0, **counts: int | None) -> None:
        lo, hi = _STAGE_SPAN[stage]
        fraction = max(self.last.fraction, lo + (hi - lo) * min(max(done, 0.0), 1.0))
        merged = {k: v for k, v in vars(self.last).items() if k not in ("stage", "fraction")}
        for k, v in counts.items():
            old = merged[k]
            merged[k] = v if old is None or v is None else max(old, v)
        self.last = ImportProgress(stage, fraction=fraction, **merged)  # type: ignore[arg-type]
        if self.bar is not None:
            p = self.last
            self.bar.update(
                self.task,
                completed=round(fraction * 1000),
                description=f"importing {self.name}: {p.rows_read:,} rows, {p.rows_quarantined:,} quarantined",
            )
        if self.callback is not None:
            self.callback(self.last)

    def reading(self, rows: int, rejected: int, done: int | None, total: int | None) -> None:
        frac = done / total if done is not None and total else 0.0
        q = max(rejected, self.quarantined)
        self.update("reading", frac, rows_read=rows, rows_quarantined=q, bytes_read=done, bytes_total=total)


def _batch_id() -> str:
    return dt.datetime.now().strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def _sha256(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def _np(a: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def _blank_to_null(arr: pa.Array) -> pa.Array:
    if pa.types.is_string(arr.type):
        # Empty or whitespace-only (utf8_is_space is false for "", hence the length test).
        blank = pc.fill_null(pc.or_(pc.equal(pc.utf8_length(arr), 0), pc.utf8_is_space(arr)), False)
        if pc.any(blank).as_py():
            return pc.if_else(blank, pa.scalar(None, pa.string()), arr)
    return arr


def _re2_group(pattern: str) -> str:
    """Name the single capture group so pyarrow's extract_regex can return it."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?P<v>", pattern, count=1)


def _spec_key(spec: Spec) -> tuple:
    """Identity of a spec's source, the same in every chunk: year-less references are gathered per source."""
    return (tuple(spec.fields), spec.template, spec.extract, spec.value)


class _YearRefs:
    """Latest full timestamp of a source column over the whole file, and per ``year_group`` value (with the
    earliest): what a year-less date of that column resolves against (``parsers.resolve_year``)."""

    def __init__(self) -> None:
        self.latest: int | None = None
        self.groups: dict[Any, list[int]] = {}  # group → [earliest, latest] (µs)

    def add(self, us: np.ndarray, groups: pa.Array | None) -> None:
        full = us != P.NAT
        if not full.any():
            return
        top = int(us[full].max())
        self.latest = top if self.latest is None else max(self.latest, top)
        if groups is None:
            return
        t = pa.table({"g": groups.filter(pa.array(full)), "v": pa.array(us[full], pa.int64())})
        agg = t.group_by("g").aggregate([("v", "min"), ("v", "max")])
        for g, lo, hi in zip(*(agg.column(c).to_pylist() for c in ("g", "v_min", "v_max")), strict=True):
            cur = self.groups.get(g)
            self.groups[g] = [lo, hi] if cur is None else [min(cur[0], lo), max(cur[1], hi)]

    def resolve(self, value: P.YearLess, group: Any, fallback: dt.datetime) -> dt.datetime:
        span = self.groups.get(group) if group is not None else None
        if span is not None:
            return P.resolve_year(value, P._us_dt(span[1]), P._us_dt(span[0]))
        return P.resolve_year(value, P._us_dt(self.latest) if self.latest is not None else fallback)


class _Job:
    """One import's state across chunks: settings, reference dates, the staging tables, counts."""

    def __init__(self, ws: Workspace, mapping: Mapping, path: Path, summary: ImportSummary, limits: ImportLimits):
        self.ws, self.con, self.mapping, self.path, self.summary, self.limits = ws, ws.con, mapping, path, summary, limits
        self.tz = ws.setting("timezone", P.DEFAULT_TZ)
        self.naive_tz = mapping.timezone or self.tz
        try:
            ZoneInfo(self.naive_tz)
        except (KeyError, ValueError):
            raise HudongError(f"{mapping.path}: unknown timezone {self.naive_tz!r}") from None
        now_naive = dt.datetime.now(ZoneInfo(self.naive_tz)).replace(tzinfo=None)
        self.reference = (
            P.parse_timestamp(mapping.reference_time, self.naive_tz) if mapping.reference_time else None
        ) or now_naive
        if not isinstance(self.reference, dt.datetime):
            raise HudongError(f"{mapping.path}: reference_time must be a full date and time")
        now_ws = dt.datetime.now(ZoneInfo(self.tz)).replace(tzinfo=None)
        self.earliest = dt.datetime.fromisoformat(limits.earliest_date[:10])
        self.latest = max(now_ws, self.reference) + dt.timedelta(days=limits.latest_days_ahead)
        self.raw_ids = bool(ws.setting("privacy.raw_ids", False))
        self.redact = bool(ws.setting("privacy.redact_text", True))
        self.key = ws.key
        # Watched accounts (own and competitors') are organisations, not people: their ids stay as they are,
        # so posts.author_id / interactions.target_user_id join with accounts.account_id.
        self.accounts = {
            r[0] for r in self.con.execute("SELECT platform || chr(31) || account_id FROM accounts").fetchall()
        }
        self.sanitise = Q.RawSanitiser(
            mapping, None if self.raw_ids else self._pseudonym, redact=self.redact
        )
        self.refs: dict[tuple, _YearRefs] = {}
        self.present: list[set[str]] = [set() for _ in mapping.targets]  # columns the file has, per target
        self.fields_seen: set[str] = set()
        self.checked_columns = False
        tag = summary.batch_id.replace("-", "_")
        self.stage_names = [f"_hd_stage_{tag}_{i}" for i in range(len(mapping.targets))]
        self.q_name = f"_hd_quarantine_{tag}"
        self.y_name = f"_hd_yearless_{tag}"
        self.created: list[str] = []
        self.quarantined = 0

    def _pseudonym(self, platform: str, value: str) -> str:
        return pseudonymise_array(self.key, platform, pa.array([value]), self.accounts)[0].as_py()

    # ---- staging --------------------------------------------------------------------------------------------
    def _create(self, name: str, columns: list[tuple[str, str]]) -> None:
        cols = ", ".join(f'"{c}" {t}' for c, t in columns)
        self.con.execute(f'CREATE TEMP TABLE "{name}" ({cols})')
        self.created.append(name)

    def create_staging(self) -> None:
        for i, target in enumerate(self.mapping.targets):
            table = S.TABLES[target.table]
            self._create(
                self.stage_names[i],
                [(c.name, c.type) for c in table.columns] + [("_row", "BIGINT"), ("_pend", "BOOLEAN"), ("_grp", "VARCHAR")],
            )
        q = S.TABLES["quarantine"]
        self._create(self.q_name, [(c.name, c.type) for c in q.columns])
        self._create(
            self.y_name,
            [("target", "INTEGER"), ("col", "VARCHAR"), ("ref", "VARCHAR"), ("_row", "BIGINT"), ("grp", "VARCHAR"),
             ("month", "INTEGER"), ("day", "INTEGER"), ("hour", "INTEGER"), ("minute", "INTEGER"), ("second", "INTEGER")],
        )

    def drop_staging(self) -> None:
        for name in reversed(self.created):
            with contextlib.suppress(Exception):  # a closed or aborted connection drops temp tables itself
                self.con.execute(f'DROP {"VIEW" if name.endswith("_v") else "TABLE"} IF EXISTS "{name}"')
        self.created.clear()

    def _append(self, name: str, rows: pa.Table) -> None:
        if rows.num_rows:  # columns in the staging table's order (from_arrow is 3× faster than register + INSERT)
            self.con.from_arrow(rows).insert_into(name)

    # ---- per chunk ------------------------------------------------------------------------------------------
    def chunk(self, src: readers.Source) -> None:
        ctx = _Context(self, src)
        if not self.checked_columns and src.table is not None:
            _check_columns(ctx, self.path)  # a header: check at once
            self.checked_columns = True
        if src.table is None:
            self.fields_seen.update(src.columns)
        quarantine = Q.Quarantine()
        primary = self.mapping.primary.table
        for bad in src.bad_rows:
            quarantine.add(bad.row_number, primary, bad.column, bad.reason, "", self.sanitise(bad.raw))
        for i, target in enumerate(self.mapping.targets):
            rows, pending = _build_table(ctx, i, target, quarantine)
            self._append(self.stage_names[i], rows)
            if pending is not None:
                self._append(self.y_name, pending)
        if quarantine.entries:
            self._append(self.q_name, quarantine.to_arrow(self.summary.batch_id, str(self.path)))
        self.quarantined += quarantine.rows()

    # ---- finishing ------------------------------------------------------------------------------------------
    def finish(self) -> None:
        """Whole-file steps once every chunk is staged: column check (record formats), year-less dates, derived
        ids that waited for them, duplicate keys."""
        if not self.checked_columns:
            _check_columns(_Context(self, readers.Source(self.path, "jsonl", records=[dict.fromkeys(self.fields_seen)])), self.path)
        self._resolve_yearless()
        for i, target in enumerate(self.mapping.targets):
            self._derive_pending(i, target)
            dups = self._dedupe(i, target)
            table = target.table
            self.summary.duplicates_by_table[table] = self.summary.duplicates_by_table.get(table, 0) + dups
        rows, reasons = self.con.execute(
            f'SELECT (SELECT count(DISTINCT row_number) FROM "{self.q_name}"), '
            f'(SELECT list([category, CAST(n AS VARCHAR)]) FROM (SELECT category, count(*) AS n FROM "{self.q_name}" '
            "GROUP BY category))"
        ).fetchone()
        self.summary.quarantined = int(rows)
        self.summary.reasons = {k: int(v) for k, v in (reasons or [])}
        self.summary.quarantined_by_table = dict(self.con.execute(
            f'SELECT target_table, count(DISTINCT row_number) FROM "{self.q_name}" GROUP BY 1'
        ).fetchall())
        self.summary.duplicates_in_file = self.summary.duplicates_by_table.get(self.mapping.primary.table, 0)

    def _resolve_yearless(self) -> None:
        con = self.con
        n = con.execute(f'SELECT count(DISTINCT (ref, _row)) FROM "{self.y_name}"').fetchone()[0]
        self.summary.yearless_dates = int(n)
        if not n:
            return
        keys = {repr(k): k for k in self.refs}
        fallback = self.reference
        convert = self.naive_tz != self.tz
        for target, col, ref in con.execute(f'SELECT DISTINCT target, col, ref FROM "{self.y_name}"').fetchall():
            refs = self.refs.get(keys.get(ref), _YearRefs())  # type: ignore[arg-type]
            rows = con.execute(
                f'SELECT _row, grp, month, day, hour, minute, second FROM "{self.y_name}" '
                "WHERE target = ? AND col = ? AND ref = ?",
                [target, col, ref],
            ).fetchall()
            resolved: dict[tuple, dt.datetime] = {}
            out_rows, out_values = [], []
            for row, grp, *parts in rows:
                k = (grp, *parts)
                if k not in resolved:
                    value = refs.resolve(P.YearLess(*parts), grp, fallback)
                    if convert:
                        value = (
                            value.replace(tzinfo=ZoneInfo(self.naive_tz)).astimezone(ZoneInfo(self.tz)).replace(tzinfo=None)
                        )
                    resolved[k] = value
                out_rows.append(row)
                out_values.append(resolved[k])
            upd = pa.table({"_row": pa.array(out_rows, pa.int64()), "v": pa.array(out_values, pa.timestamp("us"))})
            con.register("_hd_resolved", upd)
            try:
                con.execute(
                    f'UPDATE "{self.stage_names[target]}" s SET "{col}" = r.v FROM _hd_resolved r WHERE s._row = r._row'
                )
            finally:
                con.unregister("_hd_resolved")

    def _derive_pending(self, i: int, target: Target) -> None:
        """Content-hash ids of rows that waited for a year-less date (the hash covers the time)."""
        derive_cols = [c for c, s in target.columns.items() if s.derive]
        if not derive_cols:
            return
        name = self.stage_names[i]
        table = S.TABLES[target.table]
        for col in derive_cols:
            hash_cols = _HASH_COLUMNS.get(target.table, [c.name for c in table.columns if c.name != col])
            pending = self.con.execute(
                f'SELECT _row, {", ".join(chr(34) + c + chr(34) for c in hash_cols)} FROM "{name}" '
                f'WHERE _pend AND "{col}" IS NULL'
            ).to_arrow_table()
            if pending.num_rows == 0:
                continue
            ids = _hash_ids(pending, hash_cols)
            self.con.register("_hd_ids", pa.table({"_row": pending.column("_row"), "v": ids}))
            try:
                self.con.execute(f'UPDATE "{name}" s SET "{col}" = r.v FROM _hd_ids r WHERE s._row = r._row')
            finally:
                self.con.unregister("_hd_ids")

    def _dedupe(self, i: int, target: Target) -> int:
        """Keep one row per key (the last in the file). Identical repeats count as duplicates; conflicting ones are
        quarantined (primary table's default) or silently replaced (``duplicates = "keep-last"``)."""
        table = S.TABLES[target.table]
        name = self.stage_names[i]
        con = self.con
        keys = ", ".join(f'"{k}"' for k in table.key)
        if con.execute(f'SELECT 1 FROM "{name}" GROUP BY {keys} HAVING count(*) > 1 LIMIT 1').fetchone() is None:
            return 0
        key_on = " AND ".join(f'd."{k}" = l."{k}"' for k in table.key)
        same = " AND ".join(f'd."{c.name}" IS NOT DISTINCT FROM k."{c.name}"' for c in table.columns)
        dups = f"_hd_dups_{name}"
        content = ", ".join(f'"{c.name}" := d."{c.name}"' for c in table.columns)
        shown = " || '/' || ".join(f'CAST(d."{k}" AS VARCHAR)' for k in (table.key[1:] or table.key))
        con.execute(
            f'CREATE TEMP TABLE "{dups}" AS '
            f'WITH l AS (SELECT {keys}, max(_row) AS _kept FROM "{name}" GROUP BY ALL HAVING count(*) > 1) '
            f"SELECT d._row, l._kept, ({same}) AS same, to_json(struct_pack({content})) AS raw, "
            f"NULL::VARCHAR AS row_key, {shown} AS shown "  # a conflict is resolved by a new file, not by its key
            f'FROM "{name}" d JOIN l ON {key_on} JOIN "{name}" k ON k._row = l._kept WHERE d._row <> l._kept'
        )
        self.created.append(dups)
        n_same, n_conflict = con.execute(f'SELECT count(*) FILTER (WHERE same), count(*) FILTER (WHERE NOT same) FROM "{dups}"').fetchone()
        if n_same + n_conflict == 0:
            return 0
        duplicates = int(n_same)
        if n_conflict and target.duplicates == "keep-last":
            duplicates += int(n_conflict)
        elif n_conflict:
            key_desc = ", ".join(table.key[1:] if len(table.key) > 1 else table.key)
            category = "duplicate key with different content"
            col = table.key[-1]
            con.execute(
                f'INSERT INTO "{self.q_name}" (batch_id, source_file, row_number, column_name, reason, raw, target_table, '
                "row_key, fingerprint, category) "
                f"SELECT ?, ?, _row, ?, ? || ': ' || ? || '=' || shown || ' also at row ' || _kept || ', which was kept', "
                f'raw, ?, row_key, NULL, ? FROM "{dups}" WHERE NOT same',
                [self.summary.batch_id, str(self.path), col, category, key_desc, target.table, Q.reason_key(col, category)],
            )
            con.execute(
                f'UPDATE "{self.q_name}" SET fingerprint = substr(sha256(target_table || chr(31) || coalesce(raw, \'\')), 1, 32) '
                "WHERE fingerprint IS NULL"
            )
        con.execute(f'DELETE FROM "{name}" WHERE _row IN (SELECT _row FROM "{dups}")')
        return duplicates

    # ---- storing --------------------------------------------------------------------------------------------
    def store(self, track: _Tracker) -> None:
        """Upsert every target from its staging table, then the quarantine bookkeeping (call inside a transaction)."""
        con = self.con
        summary = self.summary
        for i, target in enumerate(self.mapping.targets):
            table = S.TABLES[target.table]
            name = self.stage_names[i]
            view = f"{name}_v"
            cols = ", ".join(f'"{c.name}"' for c in table.columns)
            provenance = ", ".join(
                f"{_sql_str(v)} AS {k}"
                for k, v in (("source_file", summary.source_file), ("importer", self.mapping.name), ("batch_id", summary.batch_id))
            )
            con.execute(f'CREATE OR REPLACE TEMP VIEW "{view}" AS SELECT {cols}, {provenance} FROM "{name}"')
            self.created.append(view)
            counts = self.ws.upsert(target.table, f'"{view}"', columns=self.present[i] | set(table.key))
            summary.tables.setdefault(target.table, ImportCounts())
            summary.tables[target.table] += counts
            summary.resolved_quarantine += Q.resolve_stored(con, target.table, f'"{view}"', summary.batch_id)
            track.update("writing", (i + 1) / (len(self.mapping.targets) + 1))
        Q.merge(con, f'"{self.q_name}"', summary.batch_id)
        Q.expire(con, self.limits.quarantine_days)


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


class _Context:
    """Per-chunk state: the chunk, derived fields, caches (a field feeding several tables is resolved, parsed,
    redacted and pseudonymised once)."""

    def __init__(self, job: _Job, src: readers.Source):
        self.job = job
        self.mapping = job.mapping
        self.src = src
        self.summary = job.summary
        self.n = src.num_rows
        self._fields: dict[str, pa.Array | None] = {}
        self._redacted: dict[int, tuple[pa.Array, pa.Array]] = {}
        self._pseudonyms: dict[tuple[int, object], tuple[pa.Array, object, pa.Array]] = {}
        self._resolving: set[str] = set()
        self.parsed: dict[tuple, tuple[pa.Array, _Parsed]] = {}

    def pseudonymise(self, values: pa.Array, platform: pa.Array) -> pa.Array:
        """Pseudonyms for a column, computed once per source column however many tables it feeds."""
        plat: pa.Array | str = self.mapping.platform or platform
        cache_key = (id(values), plat if isinstance(plat, str) else id(plat))
        if cache_key not in self._pseudonyms:  # the entry keeps its inputs alive, so their ids stay unique
            self._pseudonyms[cache_key] = (
                values, plat, pseudonymise_array(self.job.key, plat, values, self.job.accounts)
            )
        return self._pseudonyms[cache_key][2]

    # ---- sources ------------------------------------------------------------------------------------------
    def field(self, name: str) -> pa.Array | None:
        if name in self._fields:
            return self._fields[name]
        if name in self.mapping.fields and name not in self._resolving:
            # A derived field may read a file field of the same name (e.g. permalink = ["data.permalink", "permalink"]).
            self._resolving.add(name)
            try:
                arr = self.resolve(self.mapping.fields[name])
            finally:
                self._resolving.discard(name)
            if name in self._fields:  # cached as the file field while resolving: keep the derived one
                del self._fields[name]
        else:
            arr = self.src.field(name)
            if arr is not None:
                arr = _blank_to_null(arr)
        self._fields[name] = arr
        return arr

    def has(self, name: str) -> bool:
        if name in self.mapping.fields and name not in self._resolving:
            self._resolving.add(name)
            try:
                return any(self.has(f) for f in self.mapping.fields[name].sources())
            finally:
                self._resolving.discard(name)
        return self.src.has(name)

    def resolve(self, spec: Spec) -> pa.Array | None:
        """The raw (unparsed) values a spec points at, or None when none of its fields is in the chunk."""
        arr = self._source(spec)
        if arr is not None and spec.derive == "digest":
            arr = digest_array(self.job.key, arr)
        return arr

    def _source(self, spec: Spec) -> pa.Array | None:
        n = self.n
        if spec.value is not None:
            return pa.repeat(pa.scalar(spec.value), n) if n else pa.array([], pa.scalar(spec.value).type)
        if spec.template is not None:
            parts: list[pa.Array | str] = []
            for literal, name in re.findall(r"([^{}]*)(?:\{([^{}]+)\})?", spec.template):
                if literal:
                    parts.append(literal)
                if name:
                    arr = self.field(name)
                    if arr is None:
                        return None
                    parts.append(pc.cast(arr, pa.string()))
            if not parts:
                return None
            return pc.binary_join_element_wise(*parts, "")
        arrays = [a for a in (self.field(f) for f in spec.fields) if a is not None]
        if not arrays:
            return None
        if len(arrays) == 1:
            arr = arrays[0]
        else:
            if len({a.type for a in arrays}) > 1:
                arrays = [pc.cast(a, pa.string()) for a in arrays]
            arr = pc.coalesce(*arrays)
        if spec.extract is not None:
            arr = pc.struct_field(pc.extract_regex(pc.cast(arr, pa.string()), _re2_group(spec.extract)), [0])
        if spec.map is not None:
            arr = pc.cast(arr, pa.string()) if not pa.types.is_string(arr.type) else arr
            enc = arr.dictionary_encode()
            other = spec.map.get("*")
            mapped = [
                None if u is None else spec.map.get(u, u if other is None else other)
                for u in enc.dictionary.to_pylist()
            ]
            arr = pc.take(pa.array([None if m is None else str(m) for m in mapped], pa.string()), enc.indices)
        return arr

    def redacted(self, arr: pa.Array) -> pa.Array:
        """Redact a free-text source once per chunk, however many tables it feeds."""
        if id(arr) not in self._redacted:  # the entry keeps `arr` alive, so its id stays unique
            out, counts = redact_text(arr)
            for kind, c in counts.items():
                self.summary.redactions[kind] = self.summary.redactions.get(kind, 0) + c
            self._redacted[id(arr)] = (arr, out)
        return self._redacted[id(arr)][1]


def _parse(ctx: _Context, column: S.Column, spec: Spec, raw: pa.Array) -> _Parsed:
    """Parse once per (source array, parser): a field feeding several tables is parsed and counted once."""
    parser = P.COLUMN_PARSERS[spec.parse or P.DEFAULT_PARSER[column.type]]
    key = (id(raw), parser, column.type, column.future)
    if key not in ctx.parsed:
        ctx.parsed[key] = (raw, _run_parser(ctx, parser, column, spec, raw))  # keep raw alive: ids stay unique
    return ctx.parsed[key][1]


@dataclass
class _Parsed:
    values: pa.Array
    failed: np.ndarray  # rows whose value could not be parsed
    category: str  # why, for the quarantine
    pending: list = field(default_factory=list)  # timestamps: year-less values [(row, YearLess)], resolved later
    outside: np.ndarray | None = None  # timestamps: rows outside the plausible window


def _run_parser(ctx: _Context, parser: str, column: S.Column, spec: Spec, raw: pa.Array) -> _Parsed:
    if parser == "timestamp":
        job = ctx.job
        groups = ctx.field(ctx.mapping.year_group) if ctx.mapping.year_group else None
        res = P.parse_timestamps(raw, job.tz, job.reference, groups, naive_tz=job.naive_tz, defer_yearless=True)
        outside = _implausible(job, column, res.values)
        us = np.array(pc.fill_null(res.values.cast(pa.int64()), P.NAT).to_numpy(zero_copy_only=False), dtype=np.int64)
        us[outside] = P.NAT  # an implausible date anchors no year-less date
        job.refs.setdefault(_spec_key(spec), _YearRefs()).add(us, groups)
        return _Parsed(res.values, res.failed, "unparseable timestamp", res.pending, outside)
    if parser == "count":
        values, failed = P.parse_counts(raw)
        if column.type == "DOUBLE":
            values = pc.cast(values, pa.float64())
        return _Parsed(values, failed, "not a count")
    if parser == "number":
        return _Parsed(*P.parse_numbers(raw), "not a number")
    if parser == "bool":
        return _Parsed(*P.parse_bools(raw), "not a boolean")
    if parser == "list":
        return _Parsed(*P.parse_lists(raw), "not a list")
    if parser == "hashtags":
        return _Parsed(*P.parse_hashtags(raw), "not text")
    return _Parsed(*P.parse_strings(raw), "not text")


def _default_scalar(column: S.Column, spec: Spec, ctx: _Context) -> pa.Scalar:
    """The spec's default, parsed like the column's values."""
    parsed = _parse(ctx, column, Spec(parse=spec.parse), pa.array([str(spec.default)]))
    if parsed.failed[0] or parsed.pending:
        raise HudongError(f"{ctx.mapping.path}: default {spec.default!r} of column {column.name!r} is not valid")
    return parsed.values[0]


def _hash_ids(table: pa.Table, columns: list[str]) -> pa.Array:
    """Deterministic content-hash ids ``h_`` + 20 hex (for interactions without a platform id)."""
    parts = [pc.fill_null(pc.cast(table.column(c), pa.string()), "") for c in columns]
    joined = pc.binary_join_element_wise(*parts, "\x1f").to_pylist() if parts else []
    return pa.array(["h_" + hashlib.sha256(s.encode()).hexdigest()[:20] for s in joined], pa.string())


_HASH_COLUMNS = {
    "interactions": ["type", "actor_id", "target_post_id", "target_user_id", "created_at", "text"],
    "posts": ["account_id", "author_id", "created_at", "text"],  # not the counts: they change between exports
}


def _implausible(job: _Job, column: S.Column, values: pa.Array) -> np.ndarray:
    """Rows whose time lies outside the plausible window (``[import] earliest_date`` … now + latest_days_ahead;
    no upper bound for planned times such as a campaign's end)."""
    too_early = pc.less(values, pa.scalar(job.earliest, pa.timestamp("us")))
    bad = too_early if column.future else pc.or_(too_early, pc.greater(values, pa.scalar(job.latest, pa.timestamp("us"))))
    return _np(bad)


def _why_missing(mapping: Mapping, spec: Spec | None) -> str:
    """The quarantine reason for an empty required value; a value built by a template (directly or through a
    derived field) is empty when one of its fields is, so the reason names them: the user looks there."""
    seen: set[str] = set()
    while spec is not None and spec.template is None and len(spec.fields) == 1 and spec.fields[0] in mapping.fields:
        if spec.fields[0] in seen:
            break
        seen.add(spec.fields[0])
        spec = mapping.fields[spec.fields[0]]
    if spec is None or spec.template is None:
        return "missing required value"
    names = list(dict.fromkeys(spec.template_fields()))
    return f"missing required value (built from {', '.join(names)}: empty when one of them is)"


def _build_table(
    ctx: _Context, index: int, target: Target, quarantine: Q.Quarantine
) -> tuple[pa.Table, pa.Table | None]:
    """Map, parse and validate one target table for one chunk; return (rows to stage, pending year-less dates)."""
    job = ctx.job
    table = S.TABLES[target.table]
    src = ctx.src
    n = ctx.n
    failed_any = np.zeros(n, dtype=bool)
    take = np.ones(n, dtype=bool)
    if target.when:
        w = ctx.field(target.when)
        take = np.zeros(n, dtype=bool) if w is None else _np(pc.is_valid(w))
        ctx.summary.skipped[target.table] = ctx.summary.skipped.get(target.table, 0) + int((~take).sum())
    columns: dict[str, pa.Array] = {}
    failures: list[tuple[str, str, np.ndarray, pa.Array | None]] = []  # (column, category, mask, raw)
    pending: dict[str, tuple[list, tuple]] = {}  # column → (year-less [(row, YearLess)], source key)

    for column in table.columns:
        spec = target.columns.get(column.name)
        arr_type = S.arrow_schema(table).field(column.name).type
        if spec is None:
            columns[column.name] = pa.nulls(n, arr_type)
            continue
        raw = ctx.resolve(spec)
        if raw is None:
            columns[column.name] = pa.nulls(n, arr_type)
        else:
            job.present[index].add(column.name)
            if column.free_text and job.redact:
                raw = ctx.redacted(raw if pa.types.is_string(raw.type) else pc.cast(raw, pa.string()))
            parsed = _parse(ctx, column, spec, raw)
            if parsed.failed.any():
                failures.append((column.name, parsed.category, parsed.failed, raw))
            if parsed.outside is not None and parsed.outside.any():
                failures.append((column.name, "implausible date", parsed.outside & ~parsed.failed, raw))
            if parsed.pending:
                pending[column.name] = (parsed.pending, _spec_key(spec))
            columns[column.name] = parsed.values
        if spec.default is not None:
            columns[column.name] = pc.fill_null(columns[column.name], _default_scalar(column, spec, ctx))
        if column.enum:
            vals = columns[column.name]
            lowered = pc.utf8_lower(pc.utf8_trim_whitespace(vals))
            columns[column.name] = lowered
            bad_enum = _np(pc.and_(pc.is_valid(lowered), pc.invert(pc.is_in(lowered, pa.array(column.enum)))))
            if bad_enum.any():
                failures.append((column.name, f"not one of {', '.join(column.enum)}", bad_enum, vals))
    # Required values: checked after parsing (a failed parse is reported as such, not as missing); a year-less
    # date is not missing, its year comes when the whole file is read.
    derive_cols = {c for c, s in target.columns.items() if s.derive}
    waiting = np.zeros(n, dtype=bool)
    for rows_ in pending.values():
        waiting[[r for r, _ in rows_[0]]] = True
    for column in table.columns:
        if column.nullable or column.name in derive_cols:
            continue
        missing = _np(pc.is_null(columns[column.name]))
        if column.name in pending:
            missing[[r for r, _ in pending[column.name][0]]] = False
        if missing.any():
            failures.append((column.name, _why_missing(ctx.mapping, target.columns.get(column.name)), missing, None))

    # Pseudonymise user ids (per distinct (platform, id)), unless the workspace opted in to raw ids.
    if not job.raw_ids:
        for col in table.user_id_columns:
            if col in target.columns and columns[col].null_count < n:
                columns[col] = ctx.pseudonymise(columns[col], _id_platform(table, col, columns))

    row_numbers = src.row_numbers
    for col, category, mask, raw in failures:
        mask = mask & take
        idx = np.flatnonzero(mask & ~failed_any) if not failed_any.all() else np.zeros(0, dtype=np.int64)
        if len(idx) == 0:
            continue
        failed_any |= mask
        raws = src.raw_rows(idx)
        details = [""] * len(idx) if raw is None else [_shown(v) for v in raw.take(pa.array(idx)).to_pylist()]
        keys = _row_keys(table, columns, idx)
        for i, r, d, k in zip(idx, raws, details, keys, strict=True):
            if category == "implausible date":
                d = f"{d} is {'before' if _before(columns[col], i, job.earliest) else 'after'} the plausible window " \
                    f"({job.earliest:%Y-%m-%d} … {job.latest:%Y-%m-%d}; [import] earliest_date, latest_days_ahead)"
            quarantine.add(int(row_numbers[i]), target.table, col, category, d, job.sanitise(r), k)

    keep = take & ~failed_any
    rows_idx = np.flatnonzero(keep)
    out = pa.table(columns)
    if not keep.all():
        out = out.take(pa.array(rows_idx))
    # Content-hash ids where the source has none (rows waiting for a year-less date get theirs when it is known).
    for col in derive_cols:
        arr = out.column(col).combine_chunks()
        if arr.null_count:
            hashed = _hash_ids(out, _HASH_COLUMNS.get(target.table, [c.name for c in table.columns if c.name != col]))
            ready = pa.array(~waiting[rows_idx])
            out = out.set_column(
                out.schema.get_field_index(col), col, pc.coalesce(arr, pc.if_else(ready, hashed, pa.scalar(None, pa.string())))
            )
    grp = ctx.field(ctx.mapping.year_group) if ctx.mapping.year_group else None
    out = (
        out.append_column("_row", pa.array(row_numbers[rows_idx], pa.int64()))
        .append_column("_pend", pa.array(waiting[rows_idx]))
        .append_column("_grp", pc.cast(grp, pa.string()).take(pa.array(rows_idx)) if grp is not None else pa.nulls(len(rows_idx), pa.string()))
    )
    return out, _pending_table(index, pending, keep, row_numbers, grp)


def _pending_table(
    index: int, pending: dict[str, tuple[list, tuple]], keep: np.ndarray, numbers: np.ndarray, grp: pa.Array | None
) -> pa.Table | None:
    rows: dict[str, list] = {k: [] for k in ("target", "col", "ref", "_row", "grp", "month", "day", "hour", "minute", "second")}
    groups = grp.to_pylist() if grp is not None else None
    for col, (values, ref) in pending.items():
        for r, v in values:
            if not keep[r]:
                continue
            for k, x in zip(rows, (index, col, repr(ref), int(numbers[r]), None if groups is None else _str(groups[r]),
                                   v.month, v.day, v.hour, v.minute, v.second), strict=True):
                rows[k].append(x)
    if not rows["_row"]:
        return None
    return pa.table({k: pa.array(v, pa.string() if k in ("col", "ref", "grp") else pa.int64()) for k, v in rows.items()})


def _str(v: Any) -> str | None:
    return None if v is None else str(v)


def _shown(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 200 else text[:200] + "…"


def _before(values: pa.Array, i: int, earliest: dt.datetime) -> bool:
    v = values[int(i)].as_py()
    return v is not None and v < earliest


def _row_keys(table: S.Table, columns: dict[str, pa.Array], idx: np.ndarray) -> list[str | None]:
    """The key of each given row as stored (``platform\\x1fid``), None where a key value is missing."""
    parts = [columns[k].take(pa.array(idx)).to_pylist() for k in table.key]
    out: list[str | None] = []
    for values in zip(*parts, strict=True):
        out.append(None if any(v is None for v in values) else "\x1f".join(str(v) for v in values))
    return out


def _shown_name(name: str) -> str:
    """A column name from a file, fit for a one-line message (control characters escaped, length bounded)."""
    text = name.encode("unicode_escape").decode("ascii") if not name.isprintable() else name
    return text if len(text) <= 60 else text[:60] + "…"


def _check_columns(ctx: _Context, path: Path) -> None:
    """Every required column of the primary table must have a source field in the file."""
    missing: list[str] = []
    for target in ctx.mapping.targets:
        if target.when:
            continue
        table = S.TABLES[target.table]
        for col, spec in target.columns.items():
            column = table.column(col)
            required = spec.required if spec.required is not None else (not column.nullable and spec.default is None)
            if not required or spec.derive or spec.value is not None:
                continue
            sources = spec.sources()
            if sources and not any(ctx.has(f) for f in sources):
                missing.extend(f for f in sources[:1] if f not in missing)
    if missing:
        found = ", ".join(_shown_name(c) for c in ctx.src.columns[:40]) or "(none)"
        p = ctx.mapping.path
        own = p if p and p.suffix == ".toml" and p not in builtin_files().values() else None  # a user's mapping
        fix = (f"correct the field names in {own}" if own else
               "rename the file's columns to these names, or write a mapping file that says which column holds "
               "each (docs/mapping.md) and pass its path to --as")  # fmt: skip
        raise HudongError(
            f"{path}: missing required column(s) {', '.join(missing)} for format {ctx.mapping.name}; found: {found}"
            f" — {fix}"
        )


def _progress(enabled: bool) -> Any:
    if not enabled:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True
    )


def _without_contacts(mapping: Mapping) -> Mapping:
    """The mapping without its ``contacts`` target: the workspace keeps no handles (``[privacy] contacts = false``)."""
    targets = [t for t in mapping.targets if t.table != "contacts"]
    if not targets:
        raise HudongError(f"{mapping.name}: this workspace keeps no contacts ([privacy] contacts = false in hudong.toml)")
    return dataclasses.replace(mapping, targets=targets)


def import_limits(ws: Workspace) -> ImportLimits:
    """The workspace's ``[import]`` limits (hudong.toml)."""
    return ImportLimits.from_settings(ws.setting("import", {}))


def import_file(
    ws: Workspace,
    path: str | Path,
    fmt: str,
    *,
    progress: bool = False,
    on_progress: Callable[[ImportProgress], None] | None = None,
    chunk_bytes: int | None = None,
    limits: ImportLimits | None = None,
) -> ImportSummary:
    """Import one file with the mapping ``fmt`` (a built-in format name or a mapping file) in one transaction.

    ``progress`` draws a bar on stderr; ``on_progress`` receives an ``ImportProgress`` per chunk (CSV blocks and
    JSONL of ``chunk_bytes``, default ``readers.CHUNK_BYTES``) and per finishing step. ``limits``: default the
    workspace's ``[import]`` settings.
    """
    started = dt.datetime.now()
    p = Path(path)
    mapping = _without_contacts(load_mapping(fmt)) if not ws.setting("privacy.contacts", True) else load_mapping(fmt)
    summary = ImportSummary(batch_id=_batch_id(), source_file=str(p), format=mapping.name)
    limits = limits or import_limits(ws)
    con = ws.con
    job: _Job | None = None
    # DuckDB draws its own progress bar for long statements; ours (or none) replaces it during the import. Its
    # memory is bounded while the import stages and writes (it spills to disk beyond): a 1M-row file stays < 1 GB.
    duck_bar, duck_memory = con.execute(
        "SELECT current_setting('enable_progress_bar'), current_setting('memory_limit')"
    ).fetchone()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{int(limits.memory_bytes) // (1 << 20)}MiB'")
    try:
        with _progress(progress) as bar:
            task = bar.add_task(f"importing {p.name}", total=1000) if bar else None
            track = _Tracker(on_progress, bar, task, p.name)
            sha = _sha256(p)
            options = mapping.reader
            if options.format == "chat":  # who speaks for the organization in its groups: [groups] staff
                staff = tuple(str(x) for x in ws.setting("groups.staff", []) or ())
                options = dataclasses.replace(options, staff=tuple(options.staff) + staff)
            reader = readers.FileReader(p, options, limits, on_chunk=track.reading, chunk_bytes=chunk_bytes)
            while True:
                job = _Job(ws, mapping, p, summary, limits)
                job.create_staging()
                try:
                    for chunk in reader.chunks():
                        job.chunk(chunk)
                        track.quarantined = job.quarantined
                    break
                except readers.ReadRestart as switch:  # GBK after all, or for Python's csv module: read again
                    job.drop_staging()
                    summary.redactions.clear()
                    summary.skipped.clear()
                    reader.restart(switch)
            summary.rows_read = reader.rows
            summary.encoding = reader.encoding
            summary.notes = list(reader.notes)
            track.update("validating", 0.0, rows_total=summary.rows_read, rows_quarantined=job.quarantined)
            job.finish()
            track.update(
                "writing",
                0.0,
                rows_quarantined=summary.quarantined,
                rows_accepted=summary.rows_read - summary.quarantined,
            )
            with transaction(con):
                job.store(track)
                summary.seconds = (dt.datetime.now() - started).total_seconds()
                _record_batch(ws, summary, sha, started, "ok", _note(summary))
            track.update("done", 1.0)
    except BaseException as e:
        message = str(e) if isinstance(e, HudongError) else f"{p}: import failed: {type(e).__name__}: {e}"
        # the original error matters more than the bookkeeping one
        with contextlib.suppress(Exception), transaction(con):
            _record_batch(ws, summary, _sha256(p), started, "failed", message[:2000])
        if isinstance(e, HudongError) or not isinstance(e, Exception):
            raise
        raise HudongError(message) from e
    finally:
        if job is not None:
            job.drop_staging()
        con.execute(f"SET enable_progress_bar = {'true' if duck_bar else 'false'}")
        con.execute(f"SET memory_limit = '{duck_memory}'")
    _sync_lake(ws)
    return summary


def _sync_lake(ws: Workspace) -> None:
    """Keep a configured Parquet lake in step with the store (incremental; each table swapped in atomically).

    The DuckDB file stays the system of record: if this fails, the next import or `hudong export --lake`
    catches the lake up.
    """
    path = lake_path(ws)
    if path:
        export_lake(ws, path)


def _note(summary: ImportSummary) -> str:
    parts = [f"duplicates_in_file={summary.duplicates_in_file}"]
    if summary.yearless_dates:
        parts.append(f"yearless_dates={summary.yearless_dates}")
    if summary.encoding:
        parts.append(f"encoding={summary.encoding}")
    if len(summary.tables) > 1:
        parts += [
            f"{t}: stored={c.stored} updated={c.updated} unchanged={c.unchanged}" for t, c in summary.tables.items()
        ]
    parts += summary.notes
    return "; ".join(parts)


def _record_batch(
    ws: Workspace, summary: ImportSummary, sha: str | None, started: dt.datetime, status: str, message: str
) -> None:
    totals = ImportCounts()
    for c in summary.tables.values():
        totals += c
    row = {
        "batch_id": [summary.batch_id],
        "source_file": [summary.source_file],
        "file_sha256": [sha],
        "importer": [summary.format],
        "started_at": [started],
        "finished_at": [dt.datetime.now()],
        "status": [status],
        "rows_read": [summary.rows_read],
        "rows_stored": [totals.stored if status == "ok" else 0],
        "rows_updated": [totals.updated if status == "ok" else 0],
        "rows_unchanged": [totals.unchanged if status == "ok" else 0],
        "rows_quarantined": [summary.quarantined if status == "ok" else 0],
        "redactions": [json.dumps(summary.redactions, sort_keys=True)],
        "message": [message],
    }
    ws.append("import_batches", pa.table(row))


def _id_platform(table: S.Table, col: str, columns: dict[str, pa.Array]) -> pa.Array:
    """The platform each id in ``col`` belongs to: its ``id_platform`` column where given, else the row's platform."""
    own = table.column(col).id_platform
    if own == "platform" or own not in columns:
        return columns["platform"]
    return pc.coalesce(columns[own], columns["platform"])
