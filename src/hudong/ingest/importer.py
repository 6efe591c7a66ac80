"""``import_file``: read a file, apply a mapping, validate, pseudonymise, redact, and write one batch.

Everything that touches the store happens in ONE DuckDB transaction: the fact tables' upserts, the
quarantine rows and the ``import_batches`` row. If anything fails the transaction is rolled back (no
partial batch) and a ``failed`` batch row with the error is written in its own small transaction.

Accounting (checked by the tests): for the mapping's first (primary) table,
``rows_read == stored + updated + unchanged + quarantined + duplicates_in_file``.
"""

from __future__ import annotations

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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hudong.errors import HudongError
from hudong.ingest import parsers as P
from hudong.ingest import readers
from hudong.ingest.mapping import Mapping, Spec, Target, load_mapping
from hudong.ingest.privacy import pseudonymise_array, redact_text
from hudong.ingest.quarantine import Quarantine
from hudong.store import schema as S
from hudong.store.workspace import ImportCounts

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
    reasons: dict[str, int] = field(default_factory=dict)  # "column: reason" → count
    redactions: dict[str, int] = field(default_factory=dict)  # PII kind → count
    duplicates_in_file: int = 0  # primary table: rows repeating a key already in the file (identical content)
    duplicates_by_table: dict[str, int] = field(default_factory=dict)
    yearless_dates: int = 0  # dates without a year, resolved against a reference (see docs/mapping.md)
    skipped: dict[str, int] = field(default_factory=dict)  # rows a secondary table did not take (its `when`)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"{self.source_file} → {self.format} (batch {self.batch_id}): {self.rows_read:,} row(s) read"]
        for table, c in self.tables.items():
            out.append(f"  {table:<17} {c.stored:>10,} stored  {c.updated:>8,} updated  {c.unchanged:>10,} unchanged")
        out.append(f"  quarantined       {self.quarantined:>10,}")
        for reason, n in sorted(self.reasons.items(), key=lambda kv: -kv[1]):
            out.append(f"    {n:>8,} × {reason}")
        if self.duplicates_in_file:
            out.append(f"  duplicates in file {self.duplicates_in_file:>9,} (identical rows, kept once)")
        if self.yearless_dates:
            out.append(f"  dates without year {self.yearless_dates:>9,} (year inferred from the other dates)")
        if self.redactions:
            out.append("  redacted          " + ", ".join(f"{n:,} {k}" for k, n in sorted(self.redactions.items())))
        out.append(f"  in {self.seconds:.1f} s")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class ImportProgress:
    """Where an import is, passed to ``import_file(..., on_progress=)`` after each chunk the reader takes in and
    after each step of validation and writing. Counts and ``fraction`` never go down.

    Reading is chunked (CSV blocks, JSONL lines; ``bytes_read`` of ``bytes_total``; rows the reader rejects are
    quarantined as they are read). Validation works on whole columns (a year-less date takes its year from the
    whole column, in-file duplicates are found over the whole file), so ``rows_accepted`` is known once
    validation ends, and ``rows_quarantined`` grows per target table.
    """

    stage: str  # reading | validating | writing | done
    rows_read: int = 0  # input rows read so far (rows the reader rejected included)
    rows_accepted: int = 0  # rows that passed validation (0 until validation ends)
    rows_quarantined: int = 0  # distinct input rows quarantined so far
    rows_total: int | None = None  # the file's row count, once read
    bytes_read: int | None = None  # bytes of the file consumed (compressed bytes for .gz/.xz/.bz2)
    bytes_total: int | None = None  # the file's size
    fraction: float = 0.0  # the whole import, 0…1 (stage-weighted estimate)


# Share of the import's time per stage (measured on a 500k-row CSV: validation dominates), for ``fraction``.
_STAGE_SPAN = {"reading": (0.0, 0.15), "validating": (0.15, 0.85), "writing": (0.85, 1.0), "done": (1.0, 1.0)}


class _Tracker:
    """Builds ``ImportProgress`` values, keeps them monotonic (a reader retrying a file starts over) and hands
    them to the caller's callback and the CLI's progress bar."""

    def __init__(self, callback: Callable[[ImportProgress], None] | None, bar: Any, task: Any, name: str) -> None:
        self.callback, self.bar, self.task, self.name = callback, bar, task, name
        self.last = ImportProgress("reading")

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
        self.update("reading", frac, rows_read=rows, rows_quarantined=rejected, bytes_read=done, bytes_total=total)


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


def _mask(a: np.ndarray) -> pa.Array:
    return pa.array(a, pa.bool_())


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


class _Context:
    """Per-import state: the source, derived fields, caches, the workspace's privacy settings."""

    def __init__(self, ws: Workspace, mapping: Mapping, src: readers.Source, summary: ImportSummary):
        self.ws = ws
        self.mapping = mapping
        self.src = src
        self.summary = summary
        self.n = src.num_rows
        self.tz = mapping.timezone or ws.setting("timezone", P.DEFAULT_TZ)
        self.reference = (
            P.parse_timestamp(mapping.reference_time, self.tz) if mapping.reference_time else None
        ) or dt.datetime.now(P.ZoneInfo(self.tz)).replace(tzinfo=None)
        self.raw_ids = bool(ws.setting("privacy.raw_ids", False))
        self.redact = bool(ws.setting("privacy.redact_text", True))
        self.key = ws.key
        self._fields: dict[str, pa.Array | None] = {}
        self._redacted: dict[int, tuple[pa.Array, pa.Array]] = {}
        self._pseudonyms: dict[tuple[int, object], tuple[pa.Array, object, pa.Array]] = {}
        self._resolving: set[str] = set()
        # Watched accounts (own and competitors') are organisations, not people: their ids stay as they are,
        # so posts.author_id / interactions.target_user_id join with accounts.account_id.
        self.accounts = {
            r[0] for r in ws.con.execute("SELECT platform || chr(31) || account_id FROM accounts").fetchall()
        }
        self.parsed: dict[tuple[int, str, str], tuple[pa.Array, pa.Array, np.ndarray, str]] = {}

    def pseudonymise(self, values: pa.Array, platform: pa.Array) -> pa.Array:
        """Pseudonyms for a column, computed once per source column however many tables it feeds."""
        plat: pa.Array | str = self.mapping.platform or platform
        cache_key = (id(values), plat if isinstance(plat, str) else id(plat))
        if cache_key not in self._pseudonyms:  # the entry keeps its inputs alive, so their ids stay unique
            self._pseudonyms[cache_key] = (values, plat, pseudonymise_array(self.key, plat, values, self.accounts))
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
        """The raw (unparsed) values a spec points at, or None when none of its fields is in the file."""
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
        """Redact a free-text source once per import, however many tables it feeds."""
        if id(arr) not in self._redacted:  # the entry keeps `arr` alive, so its id stays unique
            out, counts = redact_text(arr)
            for kind, c in counts.items():
                self.summary.redactions[kind] = self.summary.redactions.get(kind, 0) + c
            self._redacted[id(arr)] = (arr, out)
        return self._redacted[id(arr)][1]


def _parse(ctx: _Context, column: S.Column, spec: Spec, raw: pa.Array) -> tuple[pa.Array, np.ndarray, str]:
    """Parse once per (source array, parser): a field feeding several tables is parsed and counted once."""
    parser = P.COLUMN_PARSERS[spec.parse or P.DEFAULT_PARSER[column.type]]
    key = (id(raw), parser, column.type)
    if key not in ctx.parsed:
        ctx.parsed[key] = (raw, *_run_parser(ctx, parser, column, raw))  # keep raw alive: ids stay unique
    return ctx.parsed[key][1:]


def _run_parser(ctx: _Context, parser: str, column: S.Column, raw: pa.Array) -> tuple[pa.Array, np.ndarray, str]:
    if parser == "timestamp":
        groups = ctx.field(ctx.mapping.year_group) if ctx.mapping.year_group else None
        res = P.parse_timestamps(raw, ctx.tz, ctx.reference, groups)
        ctx.summary.yearless_dates += int(res.yearless.sum())
        return res.values, res.failed, "unparseable timestamp"
    if parser == "count":
        values, failed = P.parse_counts(raw)
        if column.type == "DOUBLE":
            values = pc.cast(values, pa.float64())
        return values, failed, "not a count"
    if parser == "number":
        values, failed = P.parse_numbers(raw)
        return values, failed, "not a number"
    if parser == "bool":
        values, failed = P.parse_bools(raw)
        return values, failed, "not a boolean"
    if parser == "list":
        values, failed = P.parse_lists(raw)
        return values, failed, "not a list"
    if parser == "hashtags":
        values, failed = P.parse_hashtags(raw)
        return values, failed, "not text"
    values, failed = P.parse_strings(raw)
    return values, failed, "not text"


def _default_scalar(column: S.Column, spec: Spec, ctx: _Context) -> pa.Scalar:
    """The spec's default, parsed like the column's values."""
    values, failed, _ = _parse(ctx, column, Spec(parse=spec.parse), pa.array([str(spec.default)]))
    if failed[0]:
        raise HudongError(f"{ctx.mapping.path}: default {spec.default!r} of column {column.name!r} is not valid")
    return values[0]


def _hash_ids(table: pa.Table, columns: list[str]) -> pa.Array:
    """Deterministic content-hash ids ``h_`` + 20 hex (for interactions without a platform id)."""
    parts = [pc.fill_null(pc.cast(table.column(c), pa.string()), "") for c in columns]
    joined = pc.binary_join_element_wise(*parts, "\x1f").to_pylist() if parts else []
    return pa.array(["h_" + hashlib.sha256(s.encode()).hexdigest()[:20] for s in joined], pa.string())


_HASH_COLUMNS = {
    "interactions": ["type", "actor_id", "target_post_id", "target_user_id", "created_at", "text"],
    "posts": ["account_id", "author_id", "created_at", "text"],  # not the counts: they change between exports
}


def _build_table(
    ctx: _Context, target: Target, quarantine: Quarantine, step: Callable[[], None] | None = None
) -> tuple[pa.Table, int]:
    """Map, parse and validate one target table; return (rows to upsert, duplicates dropped).

    ``step`` is called after each of the table's columns (progress)."""
    table = S.TABLES[target.table]
    src = ctx.src
    n = ctx.n
    failed_any = np.zeros(n, dtype=bool)
    take = np.ones(n, dtype=bool)
    if target.when:
        w = ctx.field(target.when)
        take = np.zeros(n, dtype=bool) if w is None else _np(pc.is_valid(w))
        ctx.summary.skipped[target.table] = int((~take).sum())
    columns: dict[str, pa.Array] = {}
    failures: list[tuple[str, str, np.ndarray, pa.Array | None]] = []  # (column, category, mask, raw)

    for column in table.columns:
        spec = target.columns.get(column.name)
        arr_type = S.arrow_schema(table).field(column.name).type
        if spec is None:
            columns[column.name] = pa.nulls(n, arr_type)
            if step is not None:
                step()
            continue
        raw = ctx.resolve(spec)
        if raw is None:
            columns[column.name] = pa.nulls(n, arr_type)
        else:
            if column.free_text and ctx.redact:
                raw = ctx.redacted(raw if pa.types.is_string(raw.type) else pc.cast(raw, pa.string()))
            values, bad, category = _parse(ctx, column, spec, raw)
            if bad.any():
                failures.append((column.name, category, bad, raw))
            columns[column.name] = values
        if spec.default is not None:
            columns[column.name] = pc.fill_null(columns[column.name], _default_scalar(column, spec, ctx))
        if column.enum:
            vals = columns[column.name]
            lowered = pc.utf8_lower(pc.utf8_trim_whitespace(vals))
            columns[column.name] = lowered
            bad_enum = _np(pc.and_(pc.is_valid(lowered), pc.invert(pc.is_in(lowered, pa.array(column.enum)))))
            if bad_enum.any():
                failures.append((column.name, f"not one of {', '.join(column.enum)}", bad_enum, vals))
        if step is not None:
            step()
    # Required values: checked after parsing (a failed parse is reported as such, not as missing).
    derive_cols = {c for c, s in target.columns.items() if s.derive}
    for column in table.columns:
        if column.nullable or column.name in derive_cols:
            continue
        missing = _np(pc.is_null(columns[column.name]))
        if missing.any():
            failures.append((column.name, "missing required value", missing, None))

    row_numbers = src.row_numbers
    for col, category, mask, raw in failures:
        mask = mask & take
        idx = np.flatnonzero(mask & ~failed_any) if not failed_any.all() else np.zeros(0, dtype=np.int64)
        if len(idx) == 0:
            continue
        failed_any |= mask
        raws = src.raw_rows(idx)
        details = [""] * len(idx) if raw is None else [repr(v) for v in raw.take(pa.array(idx)).to_pylist()]
        for i, r, d in zip(idx, raws, details, strict=True):
            quarantine.add(int(row_numbers[i]), target.table, col, category, d, r)

    # Pseudonymise user ids (per distinct (platform, id)), unless the workspace opted in to raw ids.
    if not ctx.raw_ids:
        for col in table.user_id_columns:
            if col in target.columns and columns[col].null_count < n:
                columns[col] = ctx.pseudonymise(columns[col], _id_platform(table, col, columns))

    keep = take & ~failed_any
    out = pa.table(columns)
    rows_idx = np.flatnonzero(keep)
    if not keep.all():
        out = out.take(pa.array(rows_idx))
    out_numbers = row_numbers[rows_idx]

    # Content-hash ids where the source has none.
    for col in derive_cols:
        arr = out.column(col).combine_chunks()
        if arr.null_count:
            hashed = _hash_ids(out, _HASH_COLUMNS.get(target.table, [c.name for c in table.columns if c.name != col]))
            out = out.set_column(out.schema.get_field_index(col), col, pc.coalesce(arr, hashed))
    out, dups = _dedupe(ctx, target, out, out_numbers, quarantine)
    return out, dups


def _dedupe(
    ctx: _Context, target: Target, out: pa.Table, numbers: np.ndarray, quarantine: Quarantine
) -> tuple[pa.Table, int]:
    """Keep one row per key. Identical repeats count as duplicates; conflicting ones per ``target.duplicates``."""
    table = S.TABLES[target.table]
    if out.num_rows < 2:
        return out, 0
    keys = [pc.cast(out.column(k), pa.string()).combine_chunks() for k in table.key]
    joined = keys[0] if len(keys) == 1 else pc.binary_join_element_wise(*keys, "\x1f")
    enc = joined.dictionary_encode()
    codes = enc.indices.to_numpy(zero_copy_only=False)
    counts = np.bincount(codes, minlength=len(enc.dictionary))
    dup_rows = np.flatnonzero(counts[codes] > 1)
    if len(dup_rows) == 0:
        return out, 0
    content = [c.name for c in table.columns]
    sub = out.select(content).take(pa.array(dup_rows)).to_pylist()
    last: dict[int, int] = {}
    for pos, row in enumerate(dup_rows):
        last[codes[row]] = pos  # the last occurrence in file order wins
    drop = np.zeros(out.num_rows, dtype=bool)
    duplicates = 0
    raw_needed: list[tuple[int, int]] = []
    for pos, row in enumerate(dup_rows):
        kept = last[codes[row]]
        if kept == pos:
            continue
        drop[row] = True
        if sub[pos] == sub[kept] or target.duplicates == "keep-last":
            duplicates += 1
        else:
            raw_needed.append((int(row), int(dup_rows[kept])))
    if raw_needed:
        # Row numbers in `numbers` are file rows; fetch their raw text from the source by position.
        # Source row numbers ascend, so a row's position is found by binary search.
        src_idx = np.searchsorted(ctx.src.row_numbers, [int(numbers[r]) for r, _ in raw_needed]).tolist()
        raws = ctx.src.raw_rows(src_idx)
        key_desc = ", ".join(table.key[1:] if len(table.key) > 1 else table.key)
        for (row, kept_row), raw in zip(raw_needed, raws, strict=True):
            key_val = "/".join(str(out.column(k)[row].as_py()) for k in table.key[1:] or table.key)
            quarantine.add(
                int(numbers[row]),
                target.table,
                table.key[-1],
                "duplicate key with different content",
                f"{key_desc}={key_val} also at row {int(numbers[kept_row])}, which was kept",
                raw,
            )
    return out.filter(_mask(~drop)), duplicates


def _with_provenance(rows: pa.Table, source_file: str, importer: str, batch_id: str) -> pa.Table:
    n = rows.num_rows
    return (
        rows.append_column("source_file", pa.repeat(pa.scalar(source_file), n) if n else pa.array([], pa.string()))
        .append_column("importer", pa.repeat(pa.scalar(importer), n) if n else pa.array([], pa.string()))
        .append_column("batch_id", pa.repeat(pa.scalar(batch_id), n) if n else pa.array([], pa.string()))
    )


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
        found = ", ".join(ctx.src.columns[:40]) or "(none)"
        raise HudongError(
            f"{path}: missing required column(s) {', '.join(missing)} for format {ctx.mapping.name}; found: {found}"
        )


def _progress(enabled: bool) -> Any:
    if not enabled:
        return nullcontext(None)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True
    )


def import_file(
    ws: Workspace,
    path: str | Path,
    fmt: str,
    *,
    progress: bool = False,
    on_progress: Callable[[ImportProgress], None] | None = None,
    chunk_bytes: int | None = None,
) -> ImportSummary:
    """Import one file with the mapping ``fmt`` (a built-in format name or a mapping file) in one transaction.

    ``progress`` draws a bar on stderr; ``on_progress`` receives an ``ImportProgress`` per chunk read (CSV
    blocks and JSONL of ``chunk_bytes``, default ``readers.CHUNK_BYTES``) and per validation/writing step.
    """
    started = dt.datetime.now()
    p = Path(path)
    mapping = load_mapping(fmt)
    summary = ImportSummary(batch_id=_batch_id(), source_file=str(p), format=mapping.name)
    in_txn = False
    # DuckDB draws its own progress bar for long statements; ours (or none) replaces it during the import.
    duck_bar = ws.con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]
    ws.con.execute("SET enable_progress_bar = false")
    try:
        with _progress(progress) as bar:
            task = bar.add_task(f"importing {p.name}", total=1000) if bar else None
            track = _Tracker(on_progress, bar, task, p.name)
            sha = _sha256(p)
            src = readers.read(p, mapping.reader, on_chunk=track.reading, chunk_bytes=chunk_bytes)
            summary.rows_read = src.num_rows + len(src.bad_rows)
            ctx = _Context(ws, mapping, src, summary)
            _check_columns(ctx, p)
            quarantine = Quarantine()
            primary = mapping.primary.table
            for bad in src.bad_rows:
                quarantine.add(bad.row_number, primary, None, bad.reason, "", bad.raw)
            # Validation steps: one per column of each target table, one per table for what follows its columns.
            steps = sum(len(S.TABLES[t.table].columns) + 1 for t in mapping.targets)
            done = 0

            def step() -> None:
                nonlocal done
                done += 1
                track.update("validating", done / steps, rows_quarantined=quarantine.rows())

            track.update("validating", 0.0, rows_total=summary.rows_read, rows_quarantined=quarantine.rows())
            built: list[tuple[str, pa.Table]] = []
            for target in mapping.targets:
                rows, dups = _build_table(ctx, target, quarantine, step)
                summary.duplicates_by_table[target.table] = summary.duplicates_by_table.get(target.table, 0) + dups
                built.append((target.table, _with_provenance(rows, str(p), mapping.name, summary.batch_id)))
                step()
            summary.duplicates_in_file = summary.duplicates_by_table.get(primary, 0)
            summary.quarantined = quarantine.rows()
            summary.reasons = quarantine.reasons()
            track.update(
                "writing",
                0.0,
                rows_quarantined=summary.quarantined,
                rows_accepted=summary.rows_read - summary.quarantined,
            )
            ws.con.execute("BEGIN")
            in_txn = True
            for i, (table, rows) in enumerate(built, start=1):
                counts = ws.upsert(table, rows)
                summary.tables.setdefault(table, ImportCounts())
                summary.tables[table] += counts
                track.update("writing", i / (len(built) + 1))
            if quarantine.entries:
                ws.append("quarantine", quarantine.to_arrow(summary.batch_id, str(p)))
            summary.seconds = (dt.datetime.now() - started).total_seconds()
            _record_batch(ws, summary, sha, started, "ok", _note(summary))
            ws.con.execute("COMMIT")
            in_txn = False
            track.update("done", 1.0)
    except BaseException as e:
        if in_txn:
            ws.con.execute("ROLLBACK")
        message = str(e) if isinstance(e, HudongError) else f"{p}: import failed: {type(e).__name__}: {e}"
        try:
            ws.con.execute("BEGIN")
            _record_batch(ws, summary, _sha256(p), started, "failed", message[:2000])
            ws.con.execute("COMMIT")
        except Exception:  # noqa: BLE001 - the original error matters more than the bookkeeping one
            ws.con.execute("ROLLBACK")
        if isinstance(e, HudongError) or not isinstance(e, Exception):
            raise
        raise HudongError(message) from e
    finally:
        ws.con.execute(f"SET enable_progress_bar = {'true' if duck_bar else 'false'}")
    _sync_lake(ws)
    return summary


def _sync_lake(ws: Workspace) -> None:
    """Keep a configured Parquet lake in step with the store (incremental; each table swapped in atomically).

    The DuckDB file stays the system of record: if this fails, the next import or `hudong export --lake`
    catches the lake up.
    """
    from hudong.store.lake import export_lake, lake_path

    path = lake_path(ws)
    if path:
        export_lake(ws, path)


def _note(summary: ImportSummary) -> str:
    parts = [f"duplicates_in_file={summary.duplicates_in_file}"]
    if summary.yearless_dates:
        parts.append(f"yearless_dates={summary.yearless_dates}")
    if len(summary.tables) > 1:
        parts += [
            f"{t}: stored={c.stored} updated={c.updated} unchanged={c.unchanged}" for t, c in summary.tables.items()
        ]
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
