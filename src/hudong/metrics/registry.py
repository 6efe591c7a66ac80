"""The metric registry: each metric declared once, with its definition, source and Ibis computation."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ibis.expr.types as ir

from hudong.metrics.common import FILTERS, Query, Tables

Compute = Callable[[Tables, Query], ir.Table]


@dataclass(frozen=True)
class Metric:
    name: str
    label_en: str
    label_zh: str
    formula: str
    source: str
    unit: str  # ratio | count | minutes | score | users
    grain: str  # what one observation is
    dimensions: tuple[str, ...]  # allowed in ``by``
    higher_is_better: bool | None
    compute: Compute
    extra_columns: tuple[str, ...] = ()  # documented columns after ``value``
    implicit_dims: tuple[str, ...] = ()  # always in the output (appended to ``by`` when missing)
    filters: tuple[str, ...] = FILTERS  # entity filters it accepts (start/end always)
    tables: tuple[str, ...] = ()
    notes: str = ""
    single_grain: bool = False  # at most one of day/week/month in ``by`` (the metric is defined per period)

    @property
    def module(self) -> str:
        return self.compute.__module__.rsplit(".", 1)[-1]

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.compute) or ""


REGISTRY: dict[str, Metric] = {}


def metric(
    *,
    name: str,
    label_en: str,
    label_zh: str,
    formula: str,
    source: str,
    unit: str,
    grain: str,
    dimensions: Sequence[str],
    higher_is_better: bool | None,
    extra_columns: Sequence[str] = (),
    implicit_dims: Sequence[str] = (),
    filters: Sequence[str] = FILTERS,
    tables: Sequence[str] = (),
    notes: str = "",
    single_grain: bool = False,
) -> Callable[[Compute], Compute]:
    """Register the decorated Ibis computation as metric ``name``."""

    def deco(fn: Compute) -> Compute:
        if name in REGISTRY:
            raise ValueError(f"metric {name!r} registered twice")
        REGISTRY[name] = Metric(
            name=name,
            label_en=label_en,
            label_zh=label_zh,
            formula=formula,
            source=source,
            unit=unit,
            grain=grain,
            dimensions=tuple(dimensions) + tuple(d for d in implicit_dims if d not in dimensions),
            higher_is_better=higher_is_better,
            compute=fn,
            extra_columns=tuple(extra_columns),
            implicit_dims=tuple(implicit_dims),
            filters=tuple(filters),
            tables=tuple(tables),
            notes=notes,
            single_grain=single_grain,
        )
        return fn

    return deco
