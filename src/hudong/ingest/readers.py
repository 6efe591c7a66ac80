"""Readers: turn one file (CSV/TSV, JSON, JSONL, XLSX, Parquet; optionally .gz/.xz/.bz2) into a ``Source``.

A ``Source`` hands out one column per requested field (dotted paths for nested JSON), the 1-based row
number of every row (for JSONL the line number) and the rows the reader itself had to reject (a broken
CSV row, a JSONL line that is not JSON); those go to quarantine, they never stop the import.

Tabular files are read with pyarrow, every column as text (the mapping's parsers decide types), so a
stray value never turns a column into something else. Encodings: UTF-8 (with or without BOM), then
GB18030 (a superset of GBK/GB2312), then charset-normalizer's guess; a file that is binary or cannot be
decoded raises ``HudongError`` naming the file and the first bad line.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from hudong.errors import HudongError

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
# Progress granularity: the CSV reader's block size, and how many bytes of JSONL between reports. A chunk is
# also the natural unit the reader hands over, so progress costs one call per chunk, never one per row.
CHUNK_BYTES = 1 << 24
XLSX_CHUNK_ROWS = 10_000
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


@dataclass
class BadRow:
    row_number: int
    reason: str
    raw: str | None


@dataclass
class ReaderOptions:
    format: str = "auto"  # csv | tsv | json | jsonl | xlsx | parquet | auto (by extension)
    delimiter: str | None = None  # default: "," for csv, tab for tsv
    encoding: str = "auto"  # auto | utf-8 | gbk | gb18030 | … (any Python codec)
    records: str | None = None  # JSON: dotted path of the list of records inside a top-level object
    sheet: str | None = None  # XLSX: sheet name (default: the first)
    skip_rows: int = 0  # lines before the header (CSV/XLSX)
    quote: bool = True  # CSV: honour "quoted" fields; false for exports that never quote (raw TSV dumps)


@dataclass
class Source:
    """The rows of one file, addressable by field name or dotted path."""

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
        """The values of one field for every row, or None when the file has no such field."""
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

    def raw_rows(self, indices: list[int] | np.ndarray) -> list[str]:
        """The given rows as JSON text (for quarantine)."""
        if self.table is not None:
            rows = self.table.take(pa.array(np.asarray(indices, dtype=np.int64))).to_pylist()
        else:
            recs = self.records or []
            rows = [recs[int(i)] for i in indices]
        return [json.dumps(r, ensure_ascii=False, default=str) for r in rows]


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


@contextmanager
def _metered(path: Path) -> Iterator[tuple[IO[bytes], Callable[[], int]]]:
    """Like ``open_binary``, plus a function telling how many bytes of the file on disk were consumed so far
    (compressed bytes for .gz/.xz/.bz2): progress as a fraction of the file size, without a second pass."""
    with open(path, "rb") as raw:
        wrap = _DECOMPRESSORS.get(path.suffix.lower())
        if wrap is None:
            yield raw, raw.tell
        else:
            with wrap(raw) as f:
                yield f, raw.tell


def _sample(path: Path) -> bytes:
    try:
        with open_binary(path) as f:
            return f.read(SAMPLE_BYTES)
    except (OSError, EOFError, lzma.LZMAError) as e:
        raise HudongError(f"{path}: cannot decompress ({e})") from None


def _check_text(path: Path, sample: bytes) -> None:
    """Refuse binary files early, with what they look like."""
    if not sample.strip():
        raise HudongError(f"{path}: the file is empty")
    for magic, what in _MAGIC.items():
        if sample.startswith(magic):
            raise HudongError(f"{path}: this is {what}, not a text file of the declared format")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return
    controls = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 13))
    if b"\x00" in sample or controls > len(sample) * 0.01:
        raise HudongError(f"{path}: the file holds binary data, not text (is it really this format?)")


def _first_bad_line(path: Path, encoding: str) -> tuple[int, str]:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open_binary(path) as f:
        for number, line in enumerate(f, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as e:
                return number, str(e.reason)
    return 0, ""


def _decode_error(path: Path, encoding: str) -> HudongError:
    line, reason = _first_bad_line(path, encoding)
    where = f" at line {line}" if line else ""
    return HudongError(
        f"{path}: not valid {encoding} text{where} ({reason or 'undecodable bytes'}); "
        "save it as UTF-8 or set the right `encoding` in the mapping's [reader]"
    )


def detect_encoding(path: Path, sample: bytes) -> str:
    """UTF-8 (BOM or not), else GB18030 (covers GBK), else charset-normalizer's best guess."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    cut = sample if len(sample) < SAMPLE_BYTES else sample[: sample.rfind(b"\n") + 1] or sample
    for enc in ("utf-8", "gb18030"):
        try:
            cut.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(cut).best()
    if best is not None and best.encoding:
        return best.encoding
    raise _decode_error(path, "utf-8")


def _resolve_encoding(path: Path, sample: bytes, declared: str, *, whole_file: bool = False) -> str:
    if declared in ("", "auto"):
        encoding = detect_encoding(path, sample)
        # The sample is the first MiB; for line-by-line readers check the rest when it may hide GBK.
        hidden = whole_file and encoding == "utf-8" and len(sample) >= SAMPLE_BYTES and not _decodes(path, "utf-8")
        return "gb18030" if hidden and _decodes(path, "gb18030") else encoding
    try:
        return codecs.lookup(declared).name
    except LookupError:
        raise HudongError(f"{path}: unknown encoding {declared!r} in the mapping") from None


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open_binary(path) as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def read_text(path: Path, encoding: str) -> str:
    with open_binary(path) as f:
        data = f.read()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise _decode_error(path, encoding) from None


# ---- readers ----------------------------------------------------------------------------------------------


def read(
    path: str | Path,
    options: ReaderOptions | None = None,
    *,
    on_chunk: ChunkFn | None = None,
    chunk_bytes: int | None = None,
) -> Source:
    """Read one file into a ``Source`` (see the module doc).

    ``on_chunk`` is called after each chunk the reader takes in (a CSV block of ``chunk_bytes``, default
    ``CHUNK_BYTES``; as many bytes of JSONL lines; ``XLSX_CHUNK_ROWS`` rows of a sheet) and once at the end.
    """
    p = Path(path)
    opts = options or ReaderOptions()
    if not p.exists():
        raise HudongError(f"{p}: no such file")
    if p.is_dir():
        raise HudongError(f"{p}: is a directory, not a file")
    fmt = detect_format(p) if opts.format in ("", "auto") else opts.format
    readers = {
        "csv": _read_csv,
        "tsv": _read_csv,
        "json": _read_json,
        "jsonl": _read_jsonl,
        "xlsx": _read_xlsx,
        "parquet": _read_parquet,
    }
    if fmt not in readers:
        raise HudongError(f"{p}: unknown file format {fmt!r}; one of {', '.join(readers)}")
    if on_chunk is None and chunk_bytes is None:
        return readers[fmt](p, opts, fmt)
    size = p.stat().st_size
    chunked = {"csv": _read_csv, "tsv": _read_csv, "jsonl": _read_jsonl, "xlsx": _read_xlsx}
    report = on_chunk or (lambda rows, rejected, done, total: None)
    if fmt in chunked:
        src = chunked[fmt](p, opts, fmt, on_chunk=report, chunk_bytes=chunk_bytes or CHUNK_BYTES, size=size)
    else:
        src = readers[fmt](p, opts, fmt)
    report(src.num_rows + len(src.bad_rows), len(src.bad_rows), size, size)
    return src


def _read_csv(
    path: Path,
    opts: ReaderOptions,
    fmt: str,
    *,
    on_chunk: ChunkFn | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    size: int | None = None,
) -> Source:
    sample = _sample(path)
    _check_text(path, sample)
    encoding = _resolve_encoding(path, sample, opts.encoding)
    delimiter = opts.delimiter or ("\t" if fmt == "tsv" else ",")
    head = sample.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()
    head = head[opts.skip_rows :]
    if not head:
        raise HudongError(f"{path}: no header line")
    header = next(csv.reader([head[0]], delimiter=delimiter))
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise HudongError(f"{path}: duplicate column name(s) in the header: {', '.join(dupes)}")
    bad: list[tuple[int | None, str, str]] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        bad.append((row.number, f"expected {row.expected_columns} fields, found {row.actual_columns}", row.text))
        return "skip"

    def attempt(threads: bool) -> pa.Table:
        bad.clear()
        with _metered(path) as (f, tell):
            # The streaming reader hands over one block at a time (as fast as read_csv): progress per block.
            reader = pcsv.open_csv(
                f,
                read_options=pcsv.ReadOptions(
                    use_threads=threads,
                    encoding="utf8" if encoding in ("utf-8", "utf-8-sig") else encoding,
                    skip_rows=opts.skip_rows,
                    block_size=chunk_bytes,
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=delimiter,
                    quote_char='"' if opts.quote else False,
                    newlines_in_values=opts.quote,
                    invalid_row_handler=on_invalid,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types={h: pa.string() for h in header},
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                ),
            )
            batches: list[pa.RecordBatch] = []
            rows = 0
            for batch in reader:
                batches.append(batch)
                rows += batch.num_rows
                if on_chunk is not None:  # pyarrow reads ahead: a block is about chunk_bytes of the file
                    on_chunk(rows + len(bad), len(bad), min(tell(), len(batches) * chunk_bytes), size)
            return pa.Table.from_batches(batches, schema=reader.schema)

    def is_decode_error(e: Exception) -> bool:
        msg = str(e)
        return isinstance(e, UnicodeDecodeError) or "utf8" in msg.lower() or "decode" in msg

    try:
        try:
            table = attempt(True)
        except (pa.ArrowInvalid, UnicodeDecodeError) as e:
            # Detection saw only the first MiB: a UTF-8-looking head may hide GBK further down.
            if not (
                opts.encoding in ("", "auto")
                and encoding == "utf-8"
                and is_decode_error(e)
                and _decodes(path, "gb18030")
            ):
                raise
            encoding = "gb18030"
            table = attempt(True)
        if bad and any(n is None for n, _, _ in bad):
            table = attempt(False)  # single-threaded parsing knows the line number of each bad row
    except (pa.ArrowInvalid, UnicodeDecodeError) as e:
        if is_decode_error(e):
            raise _decode_error(path, "utf-8" if encoding == "utf-8-sig" else encoding) from None
        raise HudongError(f"{path}: cannot read as {fmt.upper()}: {str(e).splitlines()[0]}") from None
    n_bad = len(bad)
    # Row numbers: 1 = first data row; rows after a skipped bad row keep their place in the file.
    bad_numbers = sorted({(n or 0) - 1 - opts.skip_rows for n, _, _ in bad})
    numbers = np.arange(1, table.num_rows + n_bad + 1, dtype=np.int64)
    if n_bad:
        numbers = numbers[~np.isin(numbers, np.asarray(bad_numbers, dtype=np.int64))][: table.num_rows]
    bad_rows = [
        BadRow(
            (n or 0) - 1 - opts.skip_rows,
            f"broken {fmt.upper()} row: {why}",
            json.dumps({"line": text}, ensure_ascii=False),
        )
        for n, why, text in bad
    ]
    return Source(path, fmt, table=table, row_numbers=numbers, bad_rows=bad_rows, encoding=encoding)


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


def _read_json(path: Path, opts: ReaderOptions, fmt: str) -> Source:
    sample = _sample(path)
    _check_text(path, sample)
    encoding = _resolve_encoding(path, sample, opts.encoding, whole_file=True)
    text = read_text(path, encoding)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise HudongError(f"{path}: invalid JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    records = _records_at(path, data, opts.records)
    good: list[Any] = []
    numbers: list[int] = []
    bad: list[BadRow] = []
    for i, r in enumerate(records, start=1):
        if isinstance(r, dict):
            good.append(r)
            numbers.append(i)
        else:
            bad.append(BadRow(i, f"record is a {type(r).__name__}, not an object", json.dumps(r, ensure_ascii=False)))
    return Source(
        path, fmt, records=good, row_numbers=np.asarray(numbers, dtype=np.int64), bad_rows=bad, encoding=encoding
    )


def _lines(path: Path, f: IO[bytes], encoding: str) -> Iterator[tuple[int, str]]:
    stream = io.TextIOWrapper(f, encoding=encoding, newline="")
    try:
        yield from enumerate(stream, start=1)
    except UnicodeDecodeError:
        raise _decode_error(path, encoding) from None
    finally:
        stream.detach()  # the caller closes the file


def _read_jsonl(
    path: Path,
    opts: ReaderOptions,
    fmt: str,
    *,
    on_chunk: ChunkFn | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    size: int | None = None,
) -> Source:
    sample = _sample(path)
    _check_text(path, sample)
    encoding = _resolve_encoding(path, sample, opts.encoding, whole_file=True)
    good: list[Any] = []
    numbers: list[int] = []
    bad: list[BadRow] = []
    loads = json.loads
    reported = 0
    with _metered(path) as (f, tell):
        for number, line in _lines(path, f, encoding):
            if on_chunk is not None and not number & 255 and tell() - reported >= chunk_bytes:
                reported = tell()  # checked every 256 lines: a chunk is whatever they add up to
                on_chunk(len(good) + len(bad), len(bad), reported, size)
            if not line.strip():
                continue
            try:
                value = loads(line)
            except json.JSONDecodeError as e:
                bad.append(
                    BadRow(
                        number,
                        f"invalid JSON: {e.msg} (column {e.colno})",
                        json.dumps({"line": line[:2000]}, ensure_ascii=False),
                    )
                )
                continue
            if isinstance(value, dict):
                good.append(value)
                numbers.append(number)
            else:
                bad.append(BadRow(number, f"line is a JSON {type(value).__name__}, not an object", line[:2000]))
    if bad and not good:
        raise HudongError(f"{path}: no line is a JSON object; line {bad[0].row_number}: {bad[0].reason}")
    return Source(
        path, fmt, records=good, row_numbers=np.asarray(numbers, dtype=np.int64), bad_rows=bad, encoding=encoding
    )


def _cell_text(v: Any) -> str | None:
    if v is None:
        return None
    text = _to_text(v)
    return text if text is None or text.strip() else None


def _read_xlsx(
    path: Path,
    opts: ReaderOptions,
    fmt: str,
    *,
    on_chunk: ChunkFn | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    size: int | None = None,
) -> Source:
    import zipfile

    from openpyxl import load_workbook

    try:
        with open_binary(path) as f:
            data = io.BytesIO(f.read())
        wb = load_workbook(data, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as e:
        raise HudongError(f"{path}: not a readable .xlsx workbook ({e})") from None
    try:
        if opts.sheet and opts.sheet not in wb.sheetnames:
            raise HudongError(f"{path}: no sheet {opts.sheet!r}; sheets: {', '.join(wb.sheetnames)}")
        sheet = wb[opts.sheet] if opts.sheet else wb.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        for _ in range(opts.skip_rows):
            next(rows, None)
        header_row = next(rows, None)
        if header_row is None:
            raise HudongError(f"{path}: the sheet {sheet.title!r} is empty")
        header = [str(h).strip() if h is not None else f"column_{i + 1}" for i, h in enumerate(header_row)]
        columns: list[list[str | None]] = [[] for _ in header]
        numbers: list[int] = []
        for number, row in enumerate(rows, start=1):
            if row is None or all(v is None for v in row):
                continue
            numbers.append(number)
            if on_chunk is not None and not len(numbers) % XLSX_CHUNK_ROWS:
                on_chunk(len(numbers), 0, None, size)
            for i in range(len(header)):
                columns[i].append(_cell_text(row[i]) if i < len(row) else None)
    finally:
        wb.close()
    table = pa.table({h: pa.array(c, pa.string()) for h, c in zip(header, columns, strict=True)})
    return Source(path, fmt, table=table, row_numbers=np.asarray(numbers, dtype=np.int64))


def _read_parquet(path: Path, opts: ReaderOptions, fmt: str) -> Source:
    import pyarrow.parquet as pq

    try:
        if path.suffix.lower() in COMPRESSIONS:
            with open_binary(path) as f:
                table = pq.read_table(io.BytesIO(f.read()))
        else:
            table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise HudongError(f"{path}: not a readable Parquet file ({str(e).splitlines()[0]})") from None
    return Source(path, fmt, table=table, row_numbers=np.arange(1, table.num_rows + 1, dtype=np.int64))
