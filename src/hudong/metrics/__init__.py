"""Metrics: the measures an organization is judged on, declared once in a registry as Ibis expressions.

    from hudong import metrics
    metrics.compute(ws, "engagement_rate_impressions", by=["platform", "week"])   # pyarrow.Table
    metrics.expr(tables, "dau", by=["day"])                                       # unexecuted Ibis expression
    metrics.list_metrics()                                                        # registered Metric objects

``compute``/``expr`` accept a ``Workspace`` or a mapping of table name → Ibis table (or Arrow table),
so the same definitions run on DuckDB and on Spark. See docs/metrics.md for every definition.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from hudong import plugins
from hudong.errors import HudongError
from hudong.metrics import (  # noqa: F401  (importing registers the metrics)
    community,
    engagement,
    followers,
    groups,
    relationship,
    responsiveness,
    sentiment,
    timing,
    ugc,
    voice,
)
from hudong.metrics.common import Query, Tables, bound_isin
from hudong.metrics.registry import REGISTRY, Metric
from hudong.store import schema as S
from hudong.store import segment_runs
from hudong.store.segment_runs import SegmentFilter

__all__ = ["REGISTRY", "Metric", "compute", "expr", "frame", "get", "list_metrics", "tables_of"]


MODULE_ORDER = ("engagement", "ugc", "community", "groups", "followers", "relationship", "voice", "sentiment",
                "responsiveness", "timing")


def list_metrics() -> list[Metric]:
    """Registered metrics — hudong's and those plugins add (entry point group ``hudong.metrics``) — grouped by
    module in MODULE_ORDER (plugins' last), then in declaration order."""
    plugins.import_modules("hudong.metrics")
    rank = {m: i for i, m in enumerate(MODULE_ORDER)}
    return sorted(REGISTRY.values(), key=lambda m: rank.get(m.module, len(rank)))


def get(name: str) -> Metric:
    if name not in REGISTRY:
        plugins.import_modules("hudong.metrics")
    try:
        return REGISTRY[name]
    except KeyError:
        raise HudongError(f"unknown metric {name!r}; metrics: {', '.join(REGISTRY)}") from None


def tables_of(source: Any) -> Tables:
    """Ibis tables for every schema table of a Workspace or a mapping (Ibis or Arrow tables)."""
    if isinstance(source, Mapping):
        out: dict[str, ir.Table] = {}
        for name, tbl in source.items():
            out[name] = tbl if isinstance(tbl, ir.Table) else ibis.memtable(tbl)
        return out
    if hasattr(source, "table") and hasattr(source, "ibis"):
        return _LazyTables(source)
    raise HudongError(f"metrics need a Workspace or a mapping of tables, got {type(source).__name__}")


class _LazyTables(Mapping[str, ir.Table]):
    """Workspace tables looked up on first use (each lookup asks the catalog for the schema)."""

    def __init__(self, ws: Any):
        self._ws = ws
        self._cache: dict[str, ir.Table] = {}

    def __getitem__(self, name: str) -> ir.Table:
        if name not in self._cache:
            self._cache[name] = self._ws.table(name)
        return self._cache[name]

    def __iter__(self):
        return iter(S.FACT_TABLES)

    def __len__(self) -> int:
        return len(S.FACT_TABLES)


def _settings_of(source: Any, settings: Mapping[str, Any] | None) -> dict[str, Any]:
    base = dict(getattr(source, "config", None) or {})
    if settings:
        base = _merge(base, settings)
    return base


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else v
    return out


def expr(
    source: Any,
    name: str,
    by: str | Sequence[str] = (),
    start: Any = None,
    end: Any = None,
    platform: Any = None,
    account: Any = None,
    campaign: Any = None,
    settings: Mapping[str, Any] | None = None,
    segment: Any = None,
) -> ir.Table:
    """The metric as an unexecuted Ibis expression: dimension columns, ``value``, extra columns; sorted.
    ``segment``: only the people of a stored segment — a ``SegmentFilter`` or its spec (``RUN#SEG``, ``SEG``;
    see ``hudong.store.segment_runs``), for the metrics that count people (``segment`` in their filters)."""
    m = get(name)
    by = (by,) if isinstance(by, str) else tuple(by)
    bad = [d for d in by if d not in m.dimensions]
    if bad:
        raise HudongError(
            f"metric {name!r} cannot be grouped by {', '.join(map(repr, bad))}; dimensions: {', '.join(m.dimensions)}"
        )
    if m.single_grain and len([d for d in by if d in ("day", "week", "month")]) > 1:
        raise HudongError(f"metric {name!r} is defined per period: use one of day, week, month in by")
    if len(set(by)) != len(by):
        raise HudongError(f"duplicate dimension in by={list(by)}")
    for f, v in (("platform", platform), ("account", account), ("campaign", campaign), ("segment", segment)):
        if v is not None and f not in m.filters:
            allowed = ", ".join(["start", "end", *m.filters])
            why = (" (a segment is people: it filters the metrics that count people — community, UGC authors, "
                   "sentiment of what people write, orders, survey answers)") if f == "segment" else ""
            raise HudongError(f"metric {name!r} cannot be filtered by {f}{why}; filters: {allowed}")
    dims = by + tuple(d for d in m.implicit_dims if d not in by)
    tables = tables_of(source)
    people = _segment_of(source, segment)
    q = Query.make(dims, start, end, platform, account, campaign, _settings_of(source, settings),
                   None if people is None else _members(source, people))
    result = m.compute(tables, q)
    cols = [*dims, "value", *[c for c in m.extra_columns if c not in dims]]
    result = result.select(*cols)
    return result.order_by(list(dims)) if dims else result


def _segment_of(source: Any, segment: Any) -> SegmentFilter | None:
    if segment is None or isinstance(segment, SegmentFilter):
        return segment
    if isinstance(segment, str) and hasattr(source, "con"):
        return segment_runs.resolve(source, segment)
    raise HudongError(f"segment {segment!r}: pass a stored segment's name with a workspace, or a SegmentFilter "
                      "(hudong.store.segment_runs.resolve)")


def _members(source: Any, people: SegmentFilter) -> ir.Table:
    """(sm_platform, sm_user) of the segment's people: the workspace file's ``segment_members`` when the metric runs
    on it, else the members read into memory (another engine has no such table)."""
    if not (hasattr(source, "ibis") and hasattr(source, "con")):
        return people.table
    m = source.ibis.table("segment_members")
    m = m.filter(bound_isin(m.run_id, people.run_id), bound_isin(m.segment, people.segments))
    return m.select(sm_platform=m.platform, sm_user=m.user_id)


def frame(ws: Any, name: str, by: str | Sequence[str] = (), *, output: str = "pandas", **filters: Any) -> Any:
    """A metric computed on the workspace's engine (``ws.source``) as a pandas (default), ``"arrow"`` or
    ``"polars"`` frame; what ``hudong.Workspace.metric`` and the front ends return. ``filters``: ``start``/``end``
    (dates), ``platform``, ``account``, ``campaign`` (a value or a list), ``segment`` (a stored segment, read from
    the workspace file whichever engine computes)."""
    filters["segment"] = _segment_of(ws, filters.get("segment"))
    result = compute(ws.source, name, by=by, **filters)
    if output == "arrow":
        return result
    if output == "polars":
        import polars as pl  # only for callers who ask for polars

        return pl.from_arrow(result)
    if output == "pandas":
        return result.to_pandas()
    raise HudongError(f"unknown output {output!r}: use pandas, arrow or polars")


def compute(
    source: Any,
    name: str,
    by: str | Sequence[str] = (),
    start: Any = None,
    end: Any = None,
    platform: Any = None,
    account: Any = None,
    campaign: Any = None,
    settings: Mapping[str, Any] | None = None,
    segment: Any = None,
) -> pa.Table:
    """Compute a registered metric and return a ``pyarrow.Table`` (see ``expr`` for the columns)."""
    e = expr(source, name, by, start=start, end=end, platform=platform, account=account, campaign=campaign,
             settings=settings, segment=segment)
    backend = getattr(source, "ibis", None)
    return backend.to_pyarrow(e) if backend is not None else e.to_pyarrow()

