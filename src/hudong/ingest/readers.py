"""Readers: turn one file (CSV/TSV, JSON, JSONL, XLSX, Parquet; optionally .gz/.xz/.bz2) into chunks of rows.

``FileReader(path, options, limits).chunks()`` yields ``Source`` chunks of bounded size (a CSV block, a slice of
JSONL lines or JSON records, a slice of a sheet, a Parquet batch), so an import holds one chunk in memory at a
time whatever the file's size. A ``Source`` hands out one column per requested field (dotted paths for nested
JSON), the 1-based row number of every row (for JSONL the line number) and the rows the reader itself rejected;
those go to quarantine, they never stop the import:

- a CSV row with the wrong number of fields, a JSONL line that is not a JSON object or is nested too deeply;
- a value with bytes that are not valid text in the file's encoding, a NUL byte, or a lone surrogate;
- a value longer than ``[import] max_value_mb``; an XLSX formula cell without a computed value.

Tabular files are read with pyarrow, every column as text (the mapping's parsers decide types). Limits
(``hudong.ingest.limits``) cap the decompressed bytes, the expansion ratio of compressed files and the rows.

Encodings (``detect_encoding``): a BOM decides; else UTF-8 when the file shows valid UTF-8 beyond ASCII (a few
bad bytes then quarantine their rows instead of turning the whole file into mojibake); else GB18030 (a superset
of GBK/GB2312) when it decodes; else charset-normalizer's guess. The decision and why are in ``notes``. A file
read as UTF-8 that meets GB18030 text before any UTF-8 beyond ASCII switches to GB18030 (``EncodingSwitch``:
the importer starts the file again).
"""

from __future__ import annotations

import bz2
import codecs
import csv
import datetime as dt
import gzip
import io
import json
import lzma
import re
import sys
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from hudong.errors import HudongError
from hudong.ingest import chats
from hudong.ingest.limits import ImportLimits, LimitedReader, LimitExceeded, human_bytes

COMPRESSIONS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}
FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}
SAMPLE_BYTES = 1 << 20
# Chunk sizes: CSV blocks and JSONL slices of CHUNK_BYTES, at most CHUNK_ROWS records/rows otherwise. A chunk is
# also the unit of progress reports, so progress costs one call per chunk, never one per row.
CHUNK_BYTES = 1 << 24
CHUNK_ROWS = 100_000
XLSX_CHUNK_ROWS = 20_000
# on_chunk(rows read so far (rejected ones included), rows rejected so far, file bytes consumed or None, file size)
ChunkFn = Callable[[int, int, "int | None", "int | None"], None]
_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (an .xlsx workbook?)",
    b"\x1f\x8b": "gzip-compressed data (name it .gz)",
    b"\xfd7zXZ": "xz-compressed data (name it .xz)",
    b"BZh": "bzip2-compressed data (name it .bz2)",
    b"PAR1": "a Parquet file (name it .parquet)",
}
UTF8 = ("utf-8", "utf-8-sig")
# Text a JSON line may hold that Arrow/DuckDB cannot store: NUL (raw or escaped), surrogates (escaped, or made by
# decoding bad bytes with surrogateescape). Lines matching are checked value by value.
_SUSPECT = re.compile(r"[\x00\ud800-\udfff]|\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


class ReadRestart(Exception):
    """Raised by ``chunks()`` when the file must be read again another way (the caller drops what it staged, calls
    ``restart`` and iterates again): it turned out to be GB18030 (``encoding``), or pyarrow cannot parse it and
    Python's csv module must (``python_csv``)."""

    def __init__(self, note: str, *, encoding: str | None = None, python_csv: bool = False):
        super().__init__(note)
        self.note, self.encoding, self.python_csv = note, encoding, python_csv


EncodingSwitch = ReadRestart  # the name of its first use


@dataclass
class BadRow:
    row_number: int
    reason: str
    raw: Any  # the row as read (a dict of fields, or the line's text) — the importer pseudonymises it
    column: str | None = None


@dataclass
class ReaderOptions:
    format: str = "auto"  # csv | tsv | json | jsonl | xlsx | parquet | auto (by extension)
    delimiter: str | None = None  # default: "," for csv, tab for tsv
    encoding: str = "auto"  # auto | utf-8 | gbk | gb18030 | … (any Python codec)
    records: str | None = None  # JSON: dotted path of the list of records inside a top-level object
    sheet: str | None = None  # XLSX: sheet name (default: the first)
    skip_rows: int = 0  # lines before the header (CSV/XLSX)
    quote: bool = True  # CSV: honour "quoted" fields; false for exports that never quote (raw TSV dumps)
    staff: tuple[str, ...] = ()  # chat: names or ids of the organization's people in the group ([groups] staff)


@dataclass
class Source:
    """Rows of one file (a chunk of it), addressable by field name or dotted path."""

    path: Path
    format: str
    table: pa.Table | None = None  # tabular formats
    records: list[Any] | None = None  # JSON formats (one dict per row)
    row_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    bad_rows: list[BadRow] = field(default_factory=list)
    encoding: str | None = None
    _cache: dict[str, pa.Array | None] = field(default_factory=dict)

    @property
    def num_rows(self) -> int:
        return self.table.num_rows if self.table is not None else len(self.records or [])

    @property
    def columns(self) -> list[str]:
        if self.table is not None:
            return list(self.table.column_names)
        seen: dict[str, None] = {}
        for r in self.records or []:
            if isinstance(r, dict):
                for k in r:
                    seen.setdefault(k, None)
        return list(seen)

    def has(self, path: str) -> bool:
        if self.table is not None:
            return path in self.table.column_names
        head = _split_path(path)[0][0]
        return head in set(self.columns)

    def field(self, path: str) -> pa.Array | None:
        """The values of one field for every row, or None when the chunk has no such field."""
        if path in self._cache:
            return self._cache[path]
        if self.table is not None:
            col = self.table.column(path) if path in self.table.column_names else None
            arr = None if col is None else (col.combine_chunks() if col.num_chunks != 1 else col.chunk(0))
        elif not self.has(path):
            arr = None
        else:
            steps = _split_path(path)
            arr = pa.array([_to_text(_walk(r, steps)) for r in self.records or []], pa.string())
        self._cache[path] = arr
        return arr

    def raw_rows(self, indices: list[int] | np.ndarray) -> list[Any]:
        """The given rows as read: a dict per row (for quarantine, which pseudonymises and redacts them)."""
        if self.table is not None:
            return self.table.take(pa.array(np.asarray(indices, dtype=np.int64))).to_pylist()
        recs = self.records or []
        return [recs[int(i)] for i in indices]


# ---- dotted paths ------------------------------------------------------------------------------------------


def _split_path(path: str) -> list[tuple[str, str | int | None]]:
    """``entities.hashtags[].text`` → [("entities", None), ("hashtags", "[]"), ("text", None)]."""
    steps: list[tuple[str, str | int | None]] = []
    for part in path.split("."):
        if part.endswith("[]"):
            steps.append((part[:-2], "[]"))
        elif part.endswith("]") and "[" in part:
            name, idx = part[:-1].split("[", 1)
            steps.append((name, int(idx)))
        else:
            steps.append((part, None))
    return steps


def _walk(node: Any, steps: list[tuple[str, str | int | None]]) -> Any:
    for i, (name, index) in enumerate(steps):
        if not isinstance(node, dict):
            return None
        node = node.get(name)
        if index == "[]":
            if not isinstance(node, list):
                return None
            rest = steps[i + 1 :]
            return [v for v in (_walk(x, rest) if rest else x for x in node) if v is not None]
        if isinstance(index, int):
            node = node[index] if isinstance(node, list) and -len(node) <= index < len(node) else None
    return node


def _to_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e18 else repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return json.dumps(v, ensure_ascii=False)


def _bad_text(value: Any, where: str = "", depth: int = 0) -> tuple[str, str] | None:
    """(path, problem) of the first string (key or value) Arrow cannot store: a NUL or a surrogate."""
    if depth > 200:
        return where or "(record)", "nested too deeply"
    if isinstance(value, str):
        if "\x00" in value:
            return where or "(value)", "NUL byte in the text"
        if any("\ud800" <= c <= "\udfff" for c in value):
            return where or "(value)", "bytes that are not valid text (or a lone surrogate)"
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            found = _bad_text(k, where, depth + 1) or _bad_text(v, f"{where}.{k}" if where else str(k), depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _bad_text(v, f"{where}[{i}]", depth + 1)
            if found:
                return found
    return None


# ---- files, compression, encodings --------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in FORMATS_BY_SUFFIX:
        return FORMATS_BY_SUFFIX[suffixes[-1]]
    raise HudongError(f"{path}: cannot tell the file type from its name; use .csv .tsv .json .jsonl .xlsx or .parquet")


def open_binary(path: Path) -> IO[bytes]:
    opener = COMPRESSIONS.get(path.suffix.lower())
    if opener is None:
        return open(path, "rb")  # noqa: SIM115 - caller closes
    return opener(path, "rb")  # type: ignore[return-value]


_DECOMPRESSORS: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {
    ".gz": lambda f: gzip.GzipFile(fileobj=f, mode="rb"),
    ".xz": lzma.LZMAFile,  # type: ignore[dict-item]
    ".bz2": bz2.BZ2File,  # type: ignore[dict-item]
}
_DECOMPRESS_ERRORS = (OSError, EOFError, lzma.LZMAError, zipfile.BadZipFile, zlib.error)


@contextmanager
def open_limited(path: Path, limits: ImportLimits) -> Iterator[tuple[LimitedReader, Callable[[], int]]]:
    """The file's (decompressed) bytes through a ``LimitedReader``, and a function telling how many bytes of the
    file on disk were consumed so far (compressed bytes for .gz/.xz/.bz2): progress without a second pass."""
    with open(path, "rb") as raw:
        wrap = _DECOMPRESSORS.get(path.suffix.lower())
        if wrap is None:
            yield LimitedReader(raw, str(path), limits, None), raw.tell
        else:
            with wrap(raw) as f:
                yield LimitedReader(f, str(path), limits, raw.tell), raw.tell


def _sample(path: Path) -> bytes:
    try:
        with open_binary(path) as f:
            return f.read(SAMPLE_BYTES)
    except _DECOMPRESS_ERRORS as e:
        raise HudongError(f"{path}: cannot decompress ({e})") from None


def _utf16_without_bom(sample: bytes) -> str | None:
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 8 and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if len(sample) >= 8 and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _check_text(path: Path, sample: bytes) -> None:
    """Refuse binary files early, with what they look like. A stray NUL or control byte in a text file is not
    binary: its row is quarantined."""
    if not sample.strip():
        raise HudongError(f"{path}: the file is empty")
    for magic, what in _MAGIC.items():
        if sample.startswith(magic):
            raise HudongError(f"{path}: this is {what}, not a text file of the declared format")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(sample):
        return
    controls = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    if sample.count(0) > max(8, len(sample) // 1000) or controls > max(16, len(sample) // 100):
        raise HudongError(f"{path}: the file holds binary data, not text (is it really this format?)")


def _decode_error(path: Path, encoding: str, line: int = 0, reason: str = "") -> HudongError:
    if not line:
        line, reason = _first_bad_line(path, encoding)
    where = f" at line {line}" if line else ""
    return HudongError(
        f"{path}: not valid {encoding} text{where} ({reason or 'undecodable bytes'}); "
        "save it as UTF-8 or set the right `encoding` in the mapping's [reader]"
    )


def _first_bad_line(path: Path, encoding: str) -> tuple[int, str]:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open_binary(path) as f:
        for number, line in enumerate(f, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as e:
                return number, str(e.reason)
    return 0, ""


@dataclass(frozen=True)
class Utf8Evidence:
    """How a byte sample reads as UTF-8: valid characters beyond ASCII, invalid sequences, lines with them."""

    beyond_ascii: int
    bad: int
    bad_lines: int
    lines: int

    @classmethod
    def of(cls, data: bytes) -> Utf8Evidence:
        text = data.decode("utf-8", "replace")
        genuine = data.count(b"\xef\xbf\xbd")  # U+FFFD written in the file itself
        bad = text.count("\ufffd") - genuine
        beyond = sum(1 for c in text if c > "\x7f") - text.count("\ufffd")
        lines = text.count("\n") + 1
        bad_lines = sum(1 for line in text.split("\n") if "\ufffd" in line) if bad else 0
        return cls(beyond, bad, bad_lines, lines)


def detect_encoding(path: Path, sample: bytes) -> tuple[str, str | None]:
    """(encoding, note): see the module doc. ``note`` explains a decision the user should know about."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    bomless = _utf16_without_bom(sample)
    if bomless:
        return bomless, f"read as {bomless.upper()} (no byte-order mark; every other byte is zero)"
    cut = sample if len(sample) < SAMPLE_BYTES else sample[: sample.rfind(b"\n") + 1] or sample
    try:
        cut.decode("utf-8")
        return "utf-8", None
    except UnicodeDecodeError:
        pass
    ev = Utf8Evidence.of(cut)
    if ev.beyond_ascii >= max(1, ev.bad):
        return "utf-8", (
            f"read as UTF-8 (it holds {ev.beyond_ascii:,} valid UTF-8 characters beyond ASCII); "
            f"{ev.bad:,} invalid byte sequence(s) in the first {human_bytes(len(cut))}: their rows are quarantined"
        )
    try:
        cut.decode("gb18030")
        return "gb18030", "read as GB18030/GBK (not valid UTF-8, and no UTF-8 beyond ASCII)"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(cut).best()
    if best is not None and best.encoding and best.encoding.replace("_", "-") not in ("utf-8", "ascii"):
        return best.encoding, f"read as {best.encoding} (charset-normalizer's guess: neither UTF-8 nor GB18030)"
    return "utf-8", f"read as UTF-8; {ev.bad:,} invalid byte sequence(s): their rows are quarantined"


# ---- the reader ---------------------------------------------------------------------------------------------


class FileReader:
    """Reads one file in chunks (see the module doc). ``encoding``/``notes`` tell what it decided."""

    def __init__(
        self,
        path: str | Path,
        options: ReaderOptions | None = None,
        limits: ImportLimits | None = None,
        *,
        on_chunk: ChunkFn | None = None,
        chunk_bytes: int | None = None,
    ):
        p = Path(path)
        self.path = p
        self.options = options or ReaderOptions()
        self.limits = limits or ImportLimits()
        self.on_chunk = on_chunk
        self.chunk_bytes = chunk_bytes or CHUNK_BYTES
        if not p.exists():
            raise HudongError(f"{p}: no such file")
        if p.is_dir():
            raise HudongError(f"{p}: is a directory, not a file")
        self.format = detect_format(p) if self.options.format in ("", "auto") else self.options.format
        if self.format not in ("csv", "tsv", "json", "jsonl", "xlsx", "parquet", "chat"):
            raise HudongError(
                f"{p}: unknown file format {self.format!r}; one of csv, tsv, json, jsonl, xlsx, parquet, chat"
            )
        self.size = p.stat().st_size
        self.encoding: str | None = None
        self.notes: list[str] = []
        self.rows = 0  # rows read so far, rejected ones included
        self.rejected = 0
        self._utf8_seen = False  # valid UTF-8 beyond ASCII seen: a later bad byte is corruption, not GBK
        self._forced: str | None = None  # encoding forced after a ReadRestart
        self._python_csv = False  # pyarrow could not parse the file: Python's csv module reads it

    # ---- entry points ---------------------------------------------------------------------------------------
    def chunks(self) -> Iterator[Source]:
        """The file's rows, chunk by chunk. May raise ``EncodingSwitch`` (call ``restart`` and iterate again)."""
        self.rows = self.rejected = 0
        readers = {
            "csv": self._csv,
            "tsv": self._csv,
            "json": self._json,
            "jsonl": self._jsonl,
            "xlsx": self._xlsx,
            "parquet": self._parquet,
            "chat": self._chat,
        }
        try:
            yield from readers[self.format]()
        except (HudongError, ReadRestart):
            raise
        except _DECOMPRESS_ERRORS as e:
            raise HudongError(f"{self.path}: cannot decompress ({e})") from None
        except Exception as e:
            # A damaged workbook or Parquet file can make openpyxl/pyarrow fail in many ways (IndexError,
            # KeyError, UnicodeDecodeError …): one clear refusal, naming what the library said.
            if self.format not in ("xlsx", "parquet"):
                raise
            what = ".xlsx workbook" if self.format == "xlsx" else "Parquet file"
            first = str(e).splitlines()[0][:200] if str(e) else ""
            raise HudongError(f"{self.path}: not a readable {what} ({type(e).__name__}: {first})") from None
        self._report(self.size)

    def restart(self, switch: ReadRestart) -> None:
        self._forced = switch.encoding or self._forced
        self._python_csv = self._python_csv or switch.python_csv
        self.notes.append(switch.note)

    def _emit(self, src: Source, done: int | None) -> Source:
        self.rows += src.num_rows + len(src.bad_rows)
        self.rejected += len(src.bad_rows)
        if self.rows > self.limits.max_rows:
            raise LimitExceeded(
                f"{self.path}: more than {self.limits.max_rows:,} rows (limit [import] max_rows); "
                "split the file or raise the limit"
            )
        self._report(done)
        return src

    def _report(self, done: int | None) -> None:
        if self.on_chunk is not None:
            self.on_chunk(self.rows, self.rejected, None if done is None else min(done, self.size), self.size)

    def _resolve_encoding(self, sample: bytes) -> str:
        declared = self.options.encoding
        if self._forced:
            return self._forced
        if declared in ("", "auto"):
            encoding, note = detect_encoding(self.path, sample)
            if note:
                self.notes.append(note)
            # UTF-8 chosen for its characters beyond ASCII: a bad byte later is corruption, not a switch to GBK.
            self._utf8_seen = encoding in UTF8 and not sample.isascii() and Utf8Evidence.of(sample).beyond_ascii > 0
            return encoding
        try:
            return codecs.lookup(declared).name
        except LookupError:
            raise HudongError(f"{self.path}: unknown encoding {declared!r} in the mapping") from None

    def _auto(self) -> bool:
        return self.options.encoding in ("", "auto") and not self._forced

    def _maybe_gbk(self, raw: list[bytes], row: int) -> None:
        """Invalid UTF-8 before any valid UTF-8 beyond ASCII, that reads as GB18030: the file is GBK."""
        if not self._auto() or self._utf8_seen or not raw or self.format not in ("csv", "tsv", "jsonl", "json"):
            return
        try:
            for b in raw:
                b.decode("gb18030")
        except UnicodeDecodeError:
            return
        if any(Utf8Evidence.of(b).beyond_ascii for b in raw):
            return  # the row itself holds valid UTF-8 beyond ASCII: a corrupted UTF-8 row
        raise ReadRestart(
            f"read as GB18030/GBK: row {row:,} is GB18030 text, and no UTF-8 beyond ASCII came before it",
            encoding="gb18030",
        )

    # ---- CSV / TSV --------------------------------------------------------------------------------------
    def _csv(self) -> Iterator[Source]:
        opts, path, fmt = self.options, self.path, self.format
        sample = _sample(path)
        _check_text(path, sample)
        encoding = self.encoding = self._resolve_encoding(sample)
        delimiter = opts.delimiter or ("\t" if fmt == "tsv" else ",")
        head = csv.reader(
            io.StringIO(sample.decode(encoding, errors="replace").lstrip("\ufeff"), newline=""),
            delimiter=delimiter,
            quoting=csv.QUOTE_MINIMAL if opts.quote else csv.QUOTE_NONE,
        )
        try:
            for _ in range(opts.skip_rows):
                next(head, None)
            header = next(head, None)
        except csv.Error as e:
            raise HudongError(f"{path}: cannot read the header line: {e}") from None
        if not header:
            raise HudongError(f"{path}: no header line")
        if len(set(header)) != len(header):
            dupes = sorted({h for h in header if header.count(h) > 1})
            raise HudongError(f"{path}: duplicate column name(s) in the header: {', '.join(dupes)}")
        utf8 = encoding in UTF8
        if self._python_csv:
            yield from self._csv_python(header, encoding, delimiter)
            return
        bad: list[tuple[int | None, str, str]] = []

        def on_invalid(row: pcsv.InvalidRow) -> str:
            bad.append((row.number, f"expected {row.expected_columns} fields, found {row.actual_columns}", row.text))
            return "skip"

        cursor = 0  # the last data row number handed out
        emitted = False
        with open_limited(path, self.limits) as (f, tell), _quiet_handler(on_invalid):
            try:
                reader = pcsv.open_csv(
                    f,
                    read_options=pcsv.ReadOptions(
                        use_threads=False,  # in order: invalid rows are reported with the block they belong to
                        encoding="utf8" if utf8 else encoding,
                        skip_rows=opts.skip_rows + 1,  # the header, read above: pyarrow takes our column names
                        column_names=header,
                        block_size=self.chunk_bytes,
                    ),
                    parse_options=pcsv.ParseOptions(
                        delimiter=delimiter,
                        quote_char='"' if opts.quote else False,
                        newlines_in_values=opts.quote,
                        invalid_row_handler=on_invalid,
                    ),
                    convert_options=pcsv.ConvertOptions(
                        # Bytes for UTF-8 files: a bad byte costs its row, not the file (checked per chunk).
                        column_types={h: pa.binary() if utf8 else pa.string() for h in header},
                        strings_can_be_null=True,
                        quoted_strings_can_be_null=True,
                        null_values=[""],
                    ),
                )
                batches = iter(reader)
                while True:
                    try:
                        batch = next(batches)
                    except StopIteration:
                        break
                    table = pa.Table.from_batches([batch])
                    bad_numbers = sorted({(n or 0) - 1 - opts.skip_rows for n, _, _ in bad})
                    count = table.num_rows + len(bad_numbers)
                    numbers = np.arange(cursor + 1, cursor + 1 + count, dtype=np.int64)
                    if bad_numbers:
                        numbers = numbers[~np.isin(numbers, np.asarray(bad_numbers, dtype=np.int64))]
                    numbers = numbers[: table.num_rows]
                    cursor = max([cursor, *bad_numbers, *(numbers[-1:].tolist())])
                    reader_bad = [
                        BadRow((n or 0) - 1 - opts.skip_rows, f"broken {fmt.upper()} row: {why}", {"line": text})
                        for n, why, text in bad
                    ]
                    bad.clear()
                    src = self._checked_table(table, numbers, reader_bad, encoding, utf8)
                    emitted = True
                    yield self._emit(src, tell())
                if not emitted:  # a header without rows: one empty chunk, so the columns can be checked
                    empty = pa.table({h: pa.array([], pa.string()) for h in header})
                    yield self._emit(Source(path, fmt, table=empty, row_numbers=np.zeros(0, dtype=np.int64), encoding=encoding), tell())
            except (pa.ArrowInvalid, UnicodeDecodeError) as e:
                if f.error is not None:
                    raise f.error from None
                msg = str(e)
                if msg.startswith("CSV parse error") or "straddling" in msg:
                    # A row pyarrow cannot hand over (a broken row holding invalid bytes, a value longer than a
                    # block): Python's csv module reads the file instead, slower but row by row.
                    note = f"read with Python's csv module (pyarrow: {msg.splitlines()[0][:120]})"
                    if emitted:
                        raise ReadRestart(note, python_csv=True) from None
                    self.notes.append(note)
                    self._python_csv = True
                elif isinstance(e, UnicodeDecodeError) or "decode" in msg.lower() or "utf8" in msg.lower():
                    raise _decode_error(path, encoding) from None
                else:
                    raise HudongError(f"{path}: cannot read as {fmt.upper()}: {msg.splitlines()[0]}") from None
            except OSError:
                if f.error is not None:
                    raise f.error from None
                raise
        if self._python_csv:
            yield from self._csv_python(header, encoding, delimiter)

    def _csv_python(self, header: list[str], encoding: str, delimiter: str) -> Iterator[Source]:
        """CSV/TSV read by Python's csv module (the fallback when pyarrow cannot parse a file): rows with the wrong
        number of fields are rejected; text is checked like pyarrow's chunks (bad bytes, NULs, length)."""
        path, opts, fmt = self.path, self.options, self.format
        utf8 = encoding in UTF8
        csv.field_size_limit(max(self.limits.max_value_bytes + 1, 1 << 17))
        rows: list[list[str]] = []
        numbers: list[int] = []
        bad: list[BadRow] = []
        size = 0
        number = 0

        def chunk(done: int) -> Source:
            def col(i: int) -> pa.Array:
                values = [r[i] if r[i] != "" else None for r in rows]
                if utf8:
                    return pa.array([None if v is None else v.encode("utf-8", "surrogateescape") for v in values], pa.binary())
                return pa.array(values, pa.string())

            table = pa.table({h: col(i) for i, h in enumerate(header)}) if header else pa.table({})
            return self._emit(self._checked_table(table, np.asarray(numbers, dtype=np.int64), bad, encoding, utf8), done)

        with open_limited(path, self.limits) as (f, tell):
            text = io.TextIOWrapper(f, encoding="utf-8" if utf8 else encoding,
                                    errors="surrogateescape" if utf8 else "strict", newline="")
            try:
                reader = csv.reader(text, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if opts.quote else csv.QUOTE_NONE)
                for _ in range(opts.skip_rows + 1):  # lines before the header, and the header
                    next(reader, None)
                for rec in reader:
                    if not rec or rec == [""]:
                        continue
                    number += 1
                    size += sum(len(v) for v in rec) + len(rec)
                    if len(rec) != len(header):
                        line = delimiter.join(rec).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                        why = f"broken {fmt.upper()} row: expected {len(header)} fields, found {len(rec)}"
                        bad.append(BadRow(number, why, {"line": line[:2000]}))
                    else:
                        rows.append(rec)
                        numbers.append(number)
                    if size >= self.chunk_bytes or len(rows) + len(bad) >= CHUNK_ROWS:
                        yield chunk(tell())
                        rows, numbers, bad, size = [], [], [], 0
            except csv.Error as e:
                raise HudongError(f"{path}: cannot read as {fmt.upper()} at row {number + 1}: {e}") from None
            except UnicodeDecodeError as e:
                raise _decode_error(path, encoding, 0, str(e.reason)) from None
            finally:
                text.detach()
            if rows or bad or not self.rows:
                yield chunk(tell())

    def _checked_table(
        self, table: pa.Table, numbers: np.ndarray, bad_rows: list[BadRow], encoding: str | None, utf8: bool
    ) -> Source:
        """Text cells checked: rows that hold bytes invalid in ``encoding`` (binary columns of a UTF-8 file), NULs or
        over-long values move to ``bad_rows``. Columns of other types (typed Parquet) pass unchanged."""
        n = table.num_rows
        reject: dict[int, tuple[str, str]] = {}  # row index → (column, reason)
        columns: dict[str, pa.Array] = {}
        limit = self.limits.max_value_bytes
        for name in table.column_names:
            col = table.column(name)
            arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
            if utf8 and pa.types.is_binary(arr.type):
                arr = self._utf8_column(name, arr, numbers, reject, encoding or "utf-8")
            elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
                try:  # text columns of a Parquet file are not checked by pyarrow: DuckDB would refuse them
                    arr.validate(full=True)
                except pa.ArrowInvalid:
                    arr = self._utf8_column(name, arr.cast(pa.binary()), numbers, reject, "utf-8")
            if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
                for mask, why in (
                    (pc.match_substring(arr, "\x00"), "NUL byte in the text"),
                    (pc.greater(pc.binary_length(arr), limit), f"value longer than {human_bytes(limit)} ([import] max_value_mb)"),
                ):
                    mask = pc.fill_null(mask, False)
                    if pc.any(mask).as_py():
                        for i in np.flatnonzero(mask.to_numpy(zero_copy_only=False)):
                            reject.setdefault(int(i), (name, why))
            columns[name] = arr
        out = pa.table(columns)
        if reject:
            idx = sorted(reject)
            as_bytes = pa.table({  # text as bytes: a value with invalid UTF-8 must still be shown
                k: (c.cast(pa.binary()) if pa.types.is_string(c.type) or pa.types.is_large_string(c.type) else c)
                for k, c in zip(table.column_names, table.columns, strict=True)
            })
            for i, raw in zip(idx, as_bytes.take(pa.array(idx, pa.int64())).to_pylist(), strict=True):
                col, why = reject[i]
                shown = {k: (v.decode("utf-8", "backslashreplace") if isinstance(v, bytes) else v) for k, v in raw.items()}
                bad_rows.append(BadRow(int(numbers[i]), why, shown, col))
            keep = np.ones(n, dtype=bool)
            keep[idx] = False
            out = out.filter(pa.array(keep))
            numbers = numbers[keep]
        bad_rows.sort(key=lambda b: b.row_number)
        return Source(self.path, self.format, table=out, row_numbers=numbers, bad_rows=bad_rows, encoding=encoding)

    def _utf8_column(
        self, name: str, arr: pa.Array, numbers: np.ndarray, reject: dict[int, tuple[str, str]], encoding: str
    ) -> pa.Array:
        """A binary column of a UTF-8 file as text; values with invalid bytes become null and their rows rejected."""
        try:
            text = arr.cast(pa.string())
        except pa.ArrowInvalid:
            values = arr.to_pylist()
            invalid = [i for i, v in enumerate(values) if v is not None and not _valid_utf8(v)]
            self._maybe_gbk([values[i] for i in invalid], int(numbers[invalid[0]]))
            for i in invalid:
                reject.setdefault(i, (name, "bytes that are not valid UTF-8 text"))
            keep = np.ones(len(arr), dtype=bool)
            keep[invalid] = False
            text = pc.if_else(pa.array(keep), arr, pa.scalar(None, pa.binary())).cast(pa.string())
        if not self._utf8_seen and len(text):
            self._utf8_seen = bool(pc.any(pc.not_equal(pc.binary_length(text), pc.utf8_length(text))).as_py())
        return text

    # ---- JSONL ------------------------------------------------------------------------------------------
    def _jsonl(self) -> Iterator[Source]:
        path = self.path
        sample = _sample(path)
        _check_text(path, sample)
        encoding = self.encoding = self._resolve_encoding(sample)
        if encoding.startswith("utf-16"):
            yield from self._jsonl_utf16(encoding)
            return
        utf8 = encoding in UTF8
        errors = "surrogateescape" if utf8 else "strict"
        limit = self.limits.max_value_bytes
        good: list[Any] = []
        numbers: list[int] = []
        bad: list[BadRow] = []
        size = 0
        any_good = False
        with open_limited(path, self.limits) as (f, tell):
            number = 0
            while True:
                data = f.readline(limit + 1)
                if not data:
                    break
                number += 1
                size += len(data)
                if len(data) > limit and not data.endswith(b"\n"):
                    while (more := f.readline(limit)) and not more.endswith(b"\n"):
                        pass
                    why = f"line longer than {human_bytes(limit)} ([import] max_value_mb)"
                    bad.append(BadRow(number, why, {"line": data[:2000].decode(encoding, "backslashreplace") + "…"}))
                else:
                    row = self._json_line(data, number, encoding, errors, bad)
                    if row is not None:
                        good.append(row)
                        numbers.append(number)
                if size >= self.chunk_bytes or len(good) + len(bad) >= CHUNK_ROWS:
                    any_good = any_good or bool(good)
                    yield self._emit(self._records(good, numbers, bad, encoding), tell())
                    good, numbers, bad, size = [], [], [], 0
            any_good = any_good or bool(good)
            if not any_good and (bad or self.rejected):
                first = bad[0] if bad else None
                detail = f"; line {first.row_number}: {first.reason}" if first else ""
                raise HudongError(f"{path}: no line is a JSON object{detail}")
            if good or bad:
                yield self._emit(self._records(good, numbers, bad, encoding), tell())

    def _json_line(self, data: bytes, number: int, encoding: str, errors: str, bad: list[BadRow]) -> Any:
        try:
            line = data.decode(encoding, errors)
        except UnicodeDecodeError as e:
            bad.append(BadRow(number, f"not valid {encoding} text ({e.reason})", {"line": data[:2000].decode(encoding, "backslashreplace")}))
            return None
        if not line.strip():
            return None
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            bad.append(BadRow(number, f"invalid JSON: {e.msg} (column {e.colno})", {"line": line[:2000]}))
            return None
        except RecursionError:
            bad.append(BadRow(number, "JSON nested too deeply to read", {"line": line[:200] + "…"}))
            return None
        if not isinstance(value, dict):
            bad.append(BadRow(number, f"line is a JSON {type(value).__name__}, not an object", {"line": line[:2000]}))
            return None
        if _SUSPECT.search(line):
            found = _bad_text(value)
            if found:
                raw = data[:2000]
                if encoding in UTF8 and not _valid_utf8(data):
                    self._maybe_gbk([data], number)
                bad.append(BadRow(number, f"{found[1]} in {found[0]}", {"line": raw.decode("utf-8", "backslashreplace")}, found[0]))
                return None
        if not self._utf8_seen and encoding in UTF8 and not data.isascii():
            self._utf8_seen = True
        return value

    def _jsonl_utf16(self, encoding: str) -> Iterator[Source]:
        good: list[Any] = []
        numbers: list[int] = []
        bad: list[BadRow] = []
        with open_limited(self.path, self.limits) as (f, tell):
            stream = io.TextIOWrapper(f, encoding=encoding, newline="")
            try:
                for number, line in enumerate(stream, start=1):
                    row = self._json_line(line.encode("utf-8", "surrogatepass"), number, "utf-8", "surrogateescape", bad)
                    if row is not None:
                        good.append(row)
                        numbers.append(number)
            except UnicodeDecodeError:
                raise _decode_error(self.path, encoding) from None
            finally:
                stream.detach()
            yield self._emit(self._records(good, numbers, bad, encoding), tell())

    def _records(self, good: list[Any], numbers: list[int], bad: list[BadRow], encoding: str) -> Source:
        return Source(
            self.path,
            self.format,
            records=good,
            row_numbers=np.asarray(numbers, dtype=np.int64),
            bad_rows=bad,
            encoding=encoding,
        )

    # ---- JSON documents ---------------------------------------------------------------------------------
    def _json(self) -> Iterator[Source]:
        path, opts = self.path, self.options
        sample = _sample(path)
        _check_text(path, sample)
        encoding = self.encoding = self._resolve_encoding(sample)
        doc_limits = ImportLimits(**{**self.limits.describe(), "max_bytes": min(self.limits.max_bytes, self.limits.max_json_bytes)})
        with open_limited(path, doc_limits) as (f, tell):
            try:
                data = f.read()
            except LimitExceeded:
                raise LimitExceeded(
                    f"{path}: a JSON document larger than {human_bytes(doc_limits.max_bytes)} once decompressed "
                    "is read whole (limit [import] max_json_mb): convert it to JSONL (one record per line), which "
                    "hudong streams"
                ) from None
            consumed = tell()
        if encoding in UTF8:
            text = data.decode(encoding, "surrogateescape")
        else:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as e:
                raise _decode_error(path, encoding, 0, str(e.reason)) from None
        del data
        suspect = _SUSPECT.search(text) is not None
        start = len(text) - len(text.lstrip())
        good: list[Any] = []
        numbers: list[int] = []
        bad: list[BadRow] = []
        if text.startswith("[", start) and not opts.records:
            items: Iterator[tuple[int, Any, str | None, int]] = _array_items(path, text, start)
        else:
            items = ((i, r, None, 0) for i, r in enumerate(self._parse_document(text), start=1))
        last = 0
        for i, r, problem, end in items:
            if problem is not None:
                bad.append(BadRow(i, problem, {"record": r}))
            elif not isinstance(r, dict):
                bad.append(BadRow(i, f"record is a {type(r).__name__}, not an object", {"record": r}))
            elif suspect and (found := _bad_text(r)):
                bad.append(BadRow(i, f"{found[1]} in {found[0]}", {"record": r}, found[0]))
            else:
                good.append(r)
                numbers.append(i)
            if len(good) + len(bad) >= CHUNK_ROWS or end - last >= self.chunk_bytes:
                last = end
                yield self._emit(self._records(good, numbers, bad, encoding), consumed)
                good, numbers, bad = [], [], []
        if good or bad:
            yield self._emit(self._records(good, numbers, bad, encoding), consumed)

    def _parse_document(self, text: str) -> list[Any]:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise HudongError(f"{self.path}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
        except RecursionError:
            raise HudongError(f"{self.path}: the JSON document is nested too deeply to read") from None
        return _records_at(self.path, data, self.options.records)

    # ---- group-chat exports (TXT/CSV; hudong.ingest.chats) ----------------------------------------------
    def _chat(self) -> Iterator[Source]:
        path = self.path
        sample = _sample(path)
        _check_text(path, sample)
        encoding = self.encoding = self._resolve_encoding(sample)
        with open_limited(path, self.limits) as (f, tell):
            data = f.read()
            consumed = tell()
        try:  # undecodable UTF-8 bytes stay as surrogates: their messages are quarantined below
            text = data.decode(encoding, "surrogateescape" if encoding in UTF8 else "strict")
        except UnicodeDecodeError as e:
            line = data[: e.start].count(b"\n") + 1
            raise _decode_error(path, encoding, line, str(e.reason)) from None
        del data
        log = chats.parse(text, path, staff=self.options.staff)
        bad = [BadRow(row, reason, {"line": raw}) for row, reason, raw in log.bad]
        records, numbers = [], []
        for m, r in zip(log.messages, log.records(), strict=True):
            found = _bad_text(r) if _SUSPECT.search(r.get("text") or "") else None
            if found:
                bad.append(BadRow(m.row, f"{found[1]} in {found[0]}", {"record": r}, found[0]))
            else:
                records.append(r)
                numbers.append(m.row)
        for i in range(0, max(len(records), 1), CHUNK_ROWS):
            part = self._records(records[i : i + CHUNK_ROWS], numbers[i : i + CHUNK_ROWS], bad if i == 0 else [],
                                 encoding)
            yield self._emit(part, consumed)

    # ---- XLSX -------------------------------------------------------------------------------------------
    def _xlsx(self) -> Iterator[Source]:
        from openpyxl import load_workbook

        path, opts = self.path, self.options
        with open_limited(path, self.limits) as (f, _):
            data = io.BytesIO(f.read())
        try:
            with zipfile.ZipFile(data) as z:
                unpacked = sum(i.file_size for i in z.infolist())
                if unpacked > self.limits.max_bytes or unpacked > self.limits.max_ratio * max(len(data.getvalue()), 1):
                    raise LimitExceeded(
                        f"{path}: the workbook unpacks to {human_bytes(unpacked)} from {human_bytes(len(data.getvalue()))}: "
                        "refused as too large or a likely decompression bomb (limits [import] max_mb, max_ratio)"
                    )
                formulas = any(
                    n.startswith("xl/worksheets/") and n.endswith(".xml") and _has_formulas(z, n) for n in z.namelist()
                )
            wb = load_workbook(data, read_only=True, data_only=True)
            wf = load_workbook(data, read_only=True, data_only=False) if formulas else None
        except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError, zlib.error) as e:
            raise HudongError(f"{path}: not a readable .xlsx workbook ({e})") from None
        try:
            if opts.sheet and opts.sheet not in wb.sheetnames:
                raise HudongError(f"{path}: no sheet {opts.sheet!r}; sheets: {', '.join(wb.sheetnames)}")
            sheet = wb[opts.sheet] if opts.sheet else wb.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            frows = (wf[sheet.title].iter_rows(values_only=True) if wf is not None else None)
            for _ in range(opts.skip_rows):
                next(rows, None)
                if frows is not None:
                    next(frows, None)
            header_row = next(rows, None)
            if frows is not None:
                next(frows, None)
            if header_row is None:
                raise HudongError(f"{path}: the sheet {sheet.title!r} is empty")
            header = [str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header_row)]
            columns: list[list[str | None]] = [[] for _ in header]
            numbers: list[int] = []
            bad: list[BadRow] = []
            for number, row in enumerate(rows, start=1):
                frow = next(frows, None) if frows is not None else None
                if row is None or all(v is None for v in row):
                    if not (frow and any(isinstance(v, str) and v.startswith("=") for v in frow)):
                        continue
                    row = tuple(None for _ in header)
                cells = [_cell_text(row[i]) if i < len(row) else None for i in range(len(header))]
                missing = [
                    header[i]
                    for i in range(len(header))
                    if frow is not None and cells[i] is None and i < len(frow)
                    and isinstance(frow[i], str) and frow[i].startswith("=")
                ]
                if missing:
                    why = (
                        f"formula without a computed value in {', '.join(missing)} (open and save the workbook in "
                        "Excel/WPS/LibreOffice so the values are computed, or export it as CSV)"
                    )
                    shown = dict(zip(header, [frow[i] if i in range(len(frow)) else None for i in range(len(header))], strict=False))
                    bad.append(BadRow(number, why, {k: _to_text(v) for k, v in shown.items()}, missing[0]))
                else:
                    numbers.append(number)
                    for i, c in enumerate(cells):
                        columns[i].append(c)
                if len(numbers) + len(bad) >= XLSX_CHUNK_ROWS:
                    yield self._emit(self._sheet_chunk(header, columns, numbers, bad), None)
                    columns, numbers, bad = [[] for _ in header], [], []
            if numbers or bad or not self.rows:
                yield self._emit(self._sheet_chunk(header, columns, numbers, bad), None)
        finally:
            wb.close()
            if wf is not None:
                wf.close()

    def _sheet_chunk(self, header: list[str], columns: list[list[str | None]], numbers: list[int], bad: list[BadRow]) -> Source:
        table = pa.table({h: pa.array(c, pa.string()) for h, c in zip(header, columns, strict=True)})
        numbers_arr = np.asarray(numbers, dtype=np.int64)
        return self._checked_table(table, numbers_arr, bad, "utf-8", False)

    # ---- Parquet ----------------------------------------------------------------------------------------
    def _parquet(self) -> Iterator[Source]:
        import pyarrow.parquet as pq

        path = self.path
        try:
            if path.suffix.lower() in COMPRESSIONS:
                with open_limited(path, self.limits) as (f, _):
                    pf = pq.ParquetFile(io.BytesIO(f.read()))
            else:
                pf = pq.ParquetFile(path)
            if pf.metadata.num_rows > self.limits.max_rows:
                raise LimitExceeded(
                    f"{path}: {pf.metadata.num_rows:,} rows, more than {self.limits.max_rows:,} "
                    "(limit [import] max_rows); split the file or raise the limit"
                )
            start = 0
            for batch in pf.iter_batches(batch_size=CHUNK_ROWS):
                table = pa.Table.from_batches([batch])
                numbers = np.arange(start + 1, start + 1 + table.num_rows, dtype=np.int64)
                start += table.num_rows
                yield self._emit(self._checked_table(table, numbers, [], None, False), None)
        except (pa.ArrowInvalid, OSError) as e:
            if isinstance(e, LimitExceeded):
                raise
            raise HudongError(f"{path}: not a readable Parquet file ({str(e).splitlines()[0]})") from None


@contextmanager
def _quiet_handler(handler: Callable[..., Any]) -> Iterator[None]:
    """pyarrow cannot hand a broken row holding invalid UTF-8 to ``handler``: it prints the decoding error as an
    "ignored" exception on stderr and then fails the read (which falls back to Python's csv module). The print is
    noise for the user: it is dropped, every other unraisable exception still reaches the original hook."""
    original = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if unraisable.object is handler or isinstance(unraisable.exc_value, UnicodeDecodeError) and (
            "_handle_invalid_row" in "".join(traceback.format_tb(unraisable.exc_traceback))
        ):
            return
        original(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = original


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _has_formulas(z: zipfile.ZipFile, name: str) -> bool:
    with z.open(name) as f:
        tail = b""
        for block in iter(lambda: f.read(1 << 20), b""):
            if b"<f>" in tail + block or b"<f " in tail + block:
                return True
            tail = block[-4:]
    return False


def _array_items(path: Path, text: str, start: int) -> Iterator[tuple[int, Any, str | None, int]]:
    """The elements of a top-level JSON array, one by one: (number, value, problem, end offset). An element nested
    too deeply for Python's parser is reported (and skipped), not fatal."""
    decode = json.JSONDecoder().raw_decode
    ws = re.compile(r"\s*")
    i = ws.match(text, start + 1).end()
    number = 0
    if text.startswith("]", i):
        return
    while True:
        number += 1
        try:
            value, i = decode(text, i)
            yield number, value, None, i
        except RecursionError:
            try:
                end = _skip_value(text, i)
            except ValueError:
                line = text.count("\n", 0, i) + 1
                raise HudongError(f"{path}: invalid JSON at line {line}: record {number} is not closed") from None
            yield number, text[i : min(end, i + 200)] + "…", "JSON nested too deeply to read", end
            i = end
        except json.JSONDecodeError as e:
            raise HudongError(f"{path}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
        i = ws.match(text, i).end()
        if text.startswith("]", i):
            return
        if not text.startswith(",", i):
            line = text.count("\n", 0, i) + 1
            raise HudongError(f"{path}: invalid JSON at line {line}: expected ',' or ']' after record {number}")
        i = ws.match(text, i + 1).end()


def _skip_value(text: str, i: int) -> int:
    """The index just after the JSON array/object starting at ``i`` (brackets counted outside strings)."""
    depth = 0
    in_string = False
    escaped = False
    for j in range(i, len(text)):
        c = text[j]
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return j + 1
    raise ValueError("an array or object is not closed")


def _records_at(path: Path, data: Any, where: str | None) -> list[Any]:
    if where:
        node = data
        for part in where.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, list):
            raise HudongError(f"{path}: no list of records at {where!r}")
        return node
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        found = _only_record_list(data, depth=2)
        return found if found is not None else [data]
    raise HudongError(f"{path}: JSON holds a {type(data).__name__}, expected an array or an object of records")


def _only_record_list(node: dict, depth: int) -> list | None:
    """The single list of objects in a JSON object, looking up to ``depth`` levels down (Reddit listings)."""
    lists = [v for v in node.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
    if len(lists) == 1:
        return lists[0]
    if lists or depth <= 1:
        return None
    inner = [r for v in node.values() if isinstance(v, dict) and (r := _only_record_list(v, depth - 1)) is not None]
    return inner[0] if len(inner) == 1 else None


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    text = _to_text(v)
    return text if text is None or text.strip() else None


def read(
    path: str | Path,
    options: ReaderOptions | None = None,
    *,
    limits: ImportLimits | None = None,
    on_chunk: ChunkFn | None = None,
    chunk_bytes: int | None = None,
) -> Source:
    """The whole file as one ``Source`` (for small files and tests; imports use ``FileReader.chunks``)."""
    reader = FileReader(path, options, limits, on_chunk=on_chunk, chunk_bytes=chunk_bytes)
    while True:
        try:
            parts = list(reader.chunks())
            break
        except ReadRestart as switch:
            reader.restart(switch)
    bad = [b for p in parts for b in p.bad_rows]
    numbers = np.concatenate([p.row_numbers for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    tables = [p.table for p in parts if p.table is not None]
    if tables:
        table = pa.concat_tables(tables, promote_options="default")
        return Source(reader.path, reader.format, table=table, row_numbers=numbers, bad_rows=bad, encoding=reader.encoding)
    records = [r for p in parts for r in (p.records or [])]
    return Source(reader.path, reader.format, records=records, row_numbers=numbers, bad_rows=bad, encoding=reader.encoding)
