"""Import limits: how much one file may expand to, how many rows it may hold, how long a value may be.

A 3.6 MB ``.csv.gz`` can expand to a gibibyte of identical rows (a decompression bomb); an import must refuse it
with a clear message long before the machine runs out of memory. The limits are read from ``[import]`` in
hudong.toml (documented in docs/mapping.md) and apply to every path that imports a file: the CLI, the Python API
and web uploads.

``LimitedReader`` wraps the decompressed stream and counts what it hands out, so the limit holds whatever reads
the stream (pyarrow's CSV reader, the JSONL line loop, openpyxl).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import IO, Any

from hudong.errors import HudongError

MiB = 1 << 20
GiB = 1 << 30


class LimitExceeded(HudongError):
    """A file went past one of the import limits (nothing of it is stored)."""


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int = 4 * GiB  # decompressed bytes read from one file
    max_rows: int = 10_000_000  # input rows (lines, records) in one file
    max_ratio: float = 100.0  # decompressed / compressed size beyond which a compressed file is a bomb ...
    ratio_after: int = 64 * MiB  # ... once this much has been decompressed (small files may compress well)
    max_value_bytes: int = 16 * MiB  # one value (a CSV cell, a JSONL line)
    max_json_bytes: int = 512 * MiB  # a whole-document .json (parsed in memory); JSONL is streamed instead
    earliest_date: str = "2000-01-01"  # event times before this are implausible (quarantined)
    latest_days_ahead: int = 2  # event times more than this many days after the import are implausible
    quarantine_days: int = 90  # quarantine rows older than this are removed (their batch keeps the counts)
    memory_bytes: int = 256 * MiB  # DuckDB's memory budget while an import stages and writes (it spills beyond)

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> ImportLimits:
        """``[import]`` of hudong.toml (docs/mapping.md): ``max_mb``, ``max_rows``, ``max_ratio``, ``max_value_mb``,
        ``max_json_mb``, ``earliest_date``, ``latest_days_ahead``, ``quarantine_days``, ``memory_mb``."""
        s = dict(settings or {})
        numeric = {  # setting: (attribute, scale)
            "max_mb": ("max_bytes", MiB),
            "max_rows": ("max_rows", 1),
            "max_ratio": ("max_ratio", 1),
            "max_value_mb": ("max_value_bytes", MiB),
            "max_json_mb": ("max_json_bytes", MiB),
            "latest_days_ahead": ("latest_days_ahead", 1),
            "quarantine_days": ("quarantine_days", 1),
            "memory_mb": ("memory_bytes", MiB),
        }
        unknown = set(s) - set(numeric) - {"earliest_date"}
        if unknown:
            raise HudongError(f"hudong.toml [import]: unknown setting(s) {', '.join(sorted(unknown))}")
        kw: dict[str, Any] = {}
        for key, (attr, scale) in numeric.items():
            if key in s:
                value = s[key]
                if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                    raise HudongError(f"hudong.toml [import] {key} must be a number ≥ 0, not {value!r}")
                kw[attr] = float(value) if attr == "max_ratio" else int(value * scale)
        if "earliest_date" in s:
            kw["earliest_date"] = str(s["earliest_date"])
            try:
                dt.date.fromisoformat(kw["earliest_date"][:10])
            except ValueError:
                raise HudongError(f"hudong.toml [import] earliest_date must be YYYY-MM-DD, not {s['earliest_date']!r}") from None
        return cls(**kw)

    def describe(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


class LimitedReader(io.RawIOBase):
    """A read-only stream over ``inner`` (decompressed bytes) that raises ``LimitExceeded`` past the limits.

    ``consumed()`` tells how many bytes of the file on disk were read (compressed bytes for .gz/.xz/.bz2), for
    the expansion ratio. pyarrow may catch the exception and raise its own: the first error is kept in
    ``self.error`` so the caller can re-raise it.
    """

    def __init__(self, inner: IO[bytes], name: str, limits: ImportLimits, consumed: Callable[[], int] | None):
        super().__init__()
        self.inner, self.name, self.limits, self.consumed = inner, name, limits, consumed
        self.total = 0
        self.error: LimitExceeded | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._count(n)
        return n

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self._count(len(data))
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = self.inner.readline(size if size is not None else -1)
        self._count(len(data))
        return data

    def _count(self, n: int) -> None:
        self.total += n
        lim = self.limits
        if self.total > lim.max_bytes:
            self._fail(
                f"{self.name}: more than {human_bytes(lim.max_bytes)} of data once decompressed "
                f"(limit [import] max_mb = {lim.max_bytes // MiB}); split the file or raise the limit"
            )
        if self.consumed is not None and self.total > lim.ratio_after:
            packed = max(self.consumed(), 1)
            if self.total / packed > lim.max_ratio:
                self._fail(
                    f"{self.name}: expands more than {lim.max_ratio:g}-fold when decompressed "
                    f"({human_bytes(packed)} → {human_bytes(self.total)} so far): refused as a likely "
                    f"decompression bomb (limit [import] max_ratio); decompress it yourself if it is genuine"
                )

    def _fail(self, message: str) -> None:
        if self.error is None:
            self.error = LimitExceeded(message)
        raise self.error
