"""The analysis contract: what a front end shows is one registered analysis with declared inputs, typed
parameters and frames out. The CLI, the web app and the report call the same analysis and only render it.

    @analysis("nps", "净推荐值", "Net Promoter Score", tables=("survey_responses",), params=Filters,
              engines=("duckdb", "spark"))
    def nps(ws, p: Filters, step) -> Result:    # step: a hudong.progress callback
        ...
        return Result({"nps": frame}, values={"value": …})

- ``tables``: the schema tables it reads (docs and checks).
- ``params``: a dataclass of typed parameters with defaults; ``run`` refuses unknown names and wrong types
  with a clear error, so every front end passes the same thing.
- ``engines``: where it computes. On another engine (``ws.use_engine("spark")``) it still runs, on the DuckDB
  file, and says so: ``engine_note(ws)`` before it starts (the CLI prints it), ``Result.notes`` after.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import types
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hudong import plugins
from hudong.analyses.context import workspace_text
from hudong.errors import HudongError
from hudong.metrics import get as get_metric
from hudong.progress import callback


@dataclass
class Result:
    """Frames (named) and scalar values an analysis returns; ``notes`` are facts the reader should know."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def frame(self, name: str) -> pd.DataFrame:
        return self.frames[name]


@dataclass(frozen=True)
class Analysis:
    name: str
    label_zh: str
    label_en: str
    tables: tuple[str, ...]
    params: type
    engines: tuple[str, ...]
    fn: Callable[[Any, Any, Any], Result]
    doc: str = ""
    steps: int | None = None  # the stages it reports (a progress bar's length); None = unknown

    def make_params(self, **given: Any) -> Any:
        """The typed parameters from keyword arguments: unknown names and wrong types are clear errors."""
        fields = {f.name: f for f in dataclasses.fields(self.params)}
        unknown = sorted(set(given) - set(fields))
        if unknown:
            raise HudongError(f"analysis {self.name}: unknown parameter(s) {', '.join(unknown)}; "
                              f"parameters: {', '.join(fields)}")
        hints = typing.get_type_hints(self.params)
        for name, value in given.items():
            if not _is_instance(value, hints[name]):
                raise HudongError(f"analysis {self.name}: {name} must be {_type_name(hints[name])}, got {value!r}")
        return self.params(**given)

    def engine_note(self, ws: Any) -> str:
        """"" when this analysis computes on ``ws``'s engine; else what it reads instead (say it before running)."""
        engine = getattr(ws, "engine", "duckdb")
        if engine in self.engines:
            return ""
        return f"{self.name}: computed on the workspace's DuckDB file, not on {engine} (it runs on {', '.join(self.engines)})"

    def __call__(self, ws: Any, *, progress: Any = None, **params: Any) -> Result:
        """Run on ``ws``; ``progress``: a ``hudong.progress`` Step that hears of the stages (not a parameter).
        Inside ``memo()`` a second call with the same parameters returns a copy of the first result."""
        p = self.make_params(**params)
        return memoized(("analysis", self.name, repr(p)), ws, lambda: self._compute(ws, p, progress), copy.deepcopy)

    def _compute(self, ws: Any, p: Any, progress: Any) -> Result:
        with workspace_text(ws):  # its analysed length, adapted models and brand words, for this run only
            result = self.fn(ws, p, callback(progress))
        if note := self.engine_note(ws):
            result.notes.insert(0, note)
        return result


_MEMO: ContextVar[dict | None] = ContextVar("hudong_analysis_memo", default=None)


@contextmanager
def memo() -> Iterator[None]:
    """Inside this block an analysis (or any ``memoized`` value) asked for again on the same workspace, engine
    and parameters is not computed again: for a front end that renders the same analyses more than once over
    data it does not change — the report in Chinese and in English, the demo's scorecard and reports. Only
    around reads: a write inside the block is not seen by what was already computed."""
    token = _MEMO.set({} if _MEMO.get() is None else _MEMO.get())  # nested blocks share the outer one
    try:
        yield
    finally:
        _MEMO.reset(token)


def memoized(key: tuple, ws: Any, make: Callable[[], Any], copy_out: Callable[[Any], Any] = lambda v: v) -> Any:
    """``make()``, or inside ``memo()`` the value first made for ``key`` on this workspace and engine, passed
    through ``copy_out`` (a deep copy for analysis results, so a caller changing its frames changes only its own)."""
    store = _MEMO.get()
    if store is None:
        return make()
    full = (id(ws), getattr(ws, "engine", "duckdb"), *key)
    if full not in store:
        store[full] = make()
    return copy_out(store[full])


def _is_instance(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_instance(value, h) for h in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is type(None):
        return value is None
    if origin in (list, tuple):
        args = typing.get_args(hint)
        inner = args[0] if args else Any
        return isinstance(value, (list, tuple)) and all(_is_instance(v, inner) for v in value)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, origin or hint)


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is typing.Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(hint)))
    return getattr(hint, "__name__", None) if isinstance(hint, type) else str(hint).replace("typing.", "")


REGISTRY: dict[str, Analysis] = {}


def analysis(name: str, label_zh: str, label_en: str, *, tables: tuple[str, ...], params: type,
             engines: tuple[str, ...] = ("duckdb",), steps: int | None = None
             ) -> Callable[[Callable[[Any, Any, Any], Result]], Analysis]:
    """Register ``fn(ws, params, step) -> Result`` as the analysis ``name`` (see the module doc)."""
    if not dataclasses.is_dataclass(params):
        raise TypeError(f"analysis {name}: params must be a dataclass")

    def register(fn: Callable[[Any, Any, Any], Result]) -> Analysis:
        if name in REGISTRY:
            raise TypeError(f"analysis {name!r} is registered twice")
        a = Analysis(name, label_zh, label_en, tuple(tables), params, tuple(engines), fn, (fn.__doc__ or "").strip(),
                     steps)
        REGISTRY[name] = a
        return a

    return register


BUILT_IN = ("alerts", "best_times", "bursts", "campaigns", "cascades", "communities", "coordination", "faq", "forecast", "groups",
            "ideas", "koc", "mentions", "nps", "segments", "sentiment", "statements", "text_domain", "topics")  # modules of this package that register analyses


def registry() -> dict[str, Analysis]:
    """Every analysis: hudong's own (its modules imported on first use) and those plugins add (entry point group
    ``hudong.analyses``, which also holds the scorecard and the inbox queue: they live in layers above this)."""
    for module in BUILT_IN:
        importlib.import_module(f"hudong.analyses.{module}")
    plugins.import_modules("hudong.analyses")
    return REGISTRY


def get(name: str) -> Analysis:
    if name not in REGISTRY:
        registry()
    try:
        return REGISTRY[name]
    except KeyError:
        raise HudongError(f"unknown analysis {name!r}; analyses: {', '.join(sorted(REGISTRY))}") from None


def run(ws: Any, name: str, *, progress: Any = None, **params: Any) -> Result:
    """Run the registered analysis ``name`` on ``ws`` with ``params``."""
    return get(name)(ws, progress=progress, **params)


ENTITY_FILTERS = ("platform", "account", "campaign", "segment")  # segment: PeopleFilters only


@dataclass(frozen=True)
class Filters:
    """The filters every analysis of posts and interactions takes (dates inclusive, YYYY-MM-DD)."""

    platform: list[str] | None = None
    start: str | None = None
    end: str | None = None
    campaign: list[str] | None = None
    account: list[str] | None = None

    def metric_kwargs(self, metric: str) -> dict[str, Any]:
        """Keyword filters for the metric ``metric``: the entity filters it does not support are left out
        (``unsupported`` names them, so the front end can say so instead of hiding it)."""
        accepted = get_metric(metric).filters
        kw: dict[str, Any] = {"start": self.start, "end": self.end}
        for key in ENTITY_FILTERS:
            value = getattr(self, key, None)
            if value and key in accepted:
                kw[key] = value if isinstance(value, str) else list(value)
        return kw

    def unsupported(self, metric: str) -> list[str]:
        accepted = get_metric(metric).filters
        return [key for key in ENTITY_FILTERS if getattr(self, key, None) and key not in accepted]


@dataclass(frozen=True)
class PeopleFilters(Filters):
    """The filters of an analysis that counts people: also ``segment``, a stored segment's people (its name or
    ``RUN#SEGMENT``: ``hudong.store.segment_runs``). Analyses of posts take ``Filters`` and refuse a segment."""

    segment: str | None = None
