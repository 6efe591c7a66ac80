"""Stored segmentations (tables ``segment_runs`` and ``segment_members``) read back: the runs, one run's
definition, and a segment filter — the people of one or more segments of a run, which every person-level metric
takes as ``segment=`` (`hudong metrics … --segment`, the web's segment filter, the API).

A segment is named by the operator as ``RUN#SEGMENT`` (the calendar's target-segment value) or just ``SEGMENT``,
looked up in the latest learned run, then the latest rules run. ``SEGMENT`` is the segment's number, its rule name
(``champions``) or its English or Chinese name; several are joined with commas (people in any of them).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa

from hudong.errors import HudongError
from hudong.store.workspace import has_table

SEP = "#"  # RUN#SEGMENT
_MEMBERS = "FROM segment_members WHERE run_id = ? AND list_contains(?, segment)"


def latest_runs(con: Any) -> list[dict[str, Any]]:
    """The latest learned and the latest rules run (those that exist): run_id, kind and the definition's
    segments (segment, name_zh, name_en, size, traits). Takes a DuckDB connection (the web's cursor)."""
    if not has_table(con, "segment_runs"):
        return []
    rows = con.execute("SELECT run_id, kind, definition FROM segment_runs QUALIFY row_number() OVER "
                       "(PARTITION BY kind ORDER BY created_at DESC) = 1 ORDER BY kind").fetchall()  # fmt: skip
    return [{"run_id": r, "kind": k, "segments": json.loads(d)["segments"]} for r, k, d in rows]


def runs(ws: Any) -> pd.DataFrame:
    """The stored segmentations, newest first: run_id, kind, created_at, created_by, people, k, criterion."""
    return ws.con.execute("SELECT run_id, kind, created_at, created_by, people, k, criterion FROM segment_runs "
                          "ORDER BY created_at DESC").df()  # fmt: skip


def stored_run(ws: Any, run: str, kind: str | None = None) -> tuple[dict[str, Any], str]:
    """(definition, run id) of a stored run: its id, or ``latest`` (of ``kind``)."""
    row = None
    if has_table(ws.con, "segment_runs"):
        if run == "latest":
            row = ws.con.execute("SELECT run_id, definition FROM segment_runs WHERE (? IS NULL OR kind = ?) "
                                 "ORDER BY created_at DESC LIMIT 1", [kind, kind]).fetchone()  # fmt: skip
        else:
            row = ws.con.execute("SELECT run_id, definition FROM segment_runs WHERE run_id = ?", [run]).fetchone()
    if row is None:
        raise HudongError(f"no stored segmentation {run!r}: `hudong segments --save` keeps one")
    return json.loads(row[1]), row[0]


@dataclass(frozen=True)
class SegmentFilter:
    """The people of ``segments`` of the stored run ``run_id``, their ``names`` (zh, en) and ``size``. A metric on
    the workspace file semi-joins ``segment_members`` itself; another engine (Spark) gets ``table``: the members
    (``sm_platform``, ``sm_user``) read once into an Ibis in-memory table."""

    run_id: str
    segments: tuple[str, ...]
    names: tuple[tuple[str, str], ...]
    size: int
    load: Callable[[], pa.Table] = field(repr=False, compare=False)
    _table: list[Any] = field(default_factory=list, repr=False, compare=False)

    @property
    def value(self) -> str:
        """The spec that names exactly this filter (``RUN#SEG,SEG``)."""
        return f"{self.run_id}{SEP}{','.join(self.segments)}"

    def label(self, lang: str = "en") -> str:
        return " + ".join(zh if lang == "zh" else en for zh, en in self.names)

    @property
    def table(self) -> Any:
        if not self._table:
            import ibis  # lazy: only a metric on another engine needs the members in memory

            self._table.append(ibis.memtable(self.load()))
        return self._table[0]


def _match(definition: dict[str, Any], wanted: str) -> dict[str, Any] | None:
    w = wanted.strip().casefold()
    for s in definition["segments"]:
        if w in (str(s["segment"]).casefold(), str(s.get("name_en", "")).casefold(), str(s.get("name_zh", ""))):
            return s
    return None


def _available(ws: Any) -> str:
    out = []
    for kind in ("learned", "rules"):
        try:
            definition, run_id = stored_run(ws, "latest", kind)
        except HudongError:
            continue
        names = ", ".join(f"{s['segment']} ({s['name_en']})" if str(s["segment"]) != s["name_en"] else str(s["segment"])
                          for s in definition["segments"])  # fmt: skip
        out.append(f"{kind} run {run_id}: {names}")
    return "; ".join(out) or "none stored (`hudong segments --save` keeps one)"


def resolve(ws: Any, spec: str) -> SegmentFilter:
    """The segment filter ``spec`` names (``RUN#SEG[,SEG…]``, ``latest#SEG`` or ``SEG[,SEG…]``), read from the
    workspace file (also when the metrics run on another engine). Raises ``HudongError`` naming the segments
    there are when it names none."""
    run, sep, wanted = spec.partition(SEP) if SEP in spec else ("", "", spec)
    names = [w.strip() for w in wanted.split(",") if w.strip()]
    if not names:
        raise HudongError(f"segment {spec!r} names no segment; segments: {_available(ws)}")
    candidates = [run] if sep and run != "latest" else []
    if not candidates:
        for kind in ("learned", "rules"):
            try:
                candidates.append(stored_run(ws, "latest", kind)[1])
            except HudongError:
                continue
    for run_id in candidates:
        definition, run_id = stored_run(ws, run_id)
        found = [_match(definition, n) for n in names]
        if all(found):
            segs = tuple(dict.fromkeys(str(s["segment"]) for s in found if s))
            size = ws.con.execute(f"SELECT count(*) {_MEMBERS}", [run_id, list(segs)]).fetchone()[0]

            def load(con: Any = ws.con, run_id: str = run_id, segs: tuple[str, ...] = segs) -> pa.Table:
                sql = f"SELECT platform AS sm_platform, user_id AS sm_user {_MEMBERS}"
                out = con.execute(sql, [run_id, list(segs)]).arrow()
                return out.read_all() if hasattr(out, "read_all") else out  # a reader on newer DuckDB

            pairs = tuple((s["name_zh"], s["name_en"]) for s in found if s)
            return SegmentFilter(run_id, segs, tuple(dict.fromkeys(pairs)), int(size), load)
    raise HudongError(f"no stored segment {spec!r}; segments: {_available(ws)}")
