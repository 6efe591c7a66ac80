"""One parser for the filters every analytics page takes: platform, account, campaign, a date range and a segment
(the people of a stored segment: the metrics that count people apply it, the others say they do not).

Query parameters are validated against the values present in the workspace (``Choices``) and become the
keyword filters of ``hudong.metrics.compute`` — Python values that the metric layer turns into Ibis literals,
never SQL text. Anything unknown or malformed raises ``HudongError`` (the app answers 400 naming the
parameter and the allowed values).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from hudong.analyses.base import Filters as AnalysisFilters
from hudong.analyses.base import PeopleFilters
from hudong.errors import HudongError
from hudong.store import segment_runs

FILTER_NAMES = ("platform", "account", "campaign", "start", "end", "segment")
ENTITY_FILTERS = ("platform", "account", "campaign")


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    platform: str = ""
    label_zh: str = ""  # where the label differs by language (a segment's name)

    def text(self, lang: str) -> str:
        return self.label_zh if lang == "zh" and self.label_zh else self.label


@dataclass(frozen=True)
class Choices:
    """The filter values a workspace knows: platforms, accounts (own first), campaigns and the segments of the
    latest stored runs (learned, then rules)."""

    platforms: tuple[str, ...] = ()
    accounts: tuple[Option, ...] = ()
    campaigns: tuple[Option, ...] = ()
    segments: tuple[Option, ...] = ()

    def allowed(self, name: str) -> list[str]:
        if name == "platform":
            return list(self.platforms)
        return [o.value for o in {"account": self.accounts, "campaign": self.campaigns, "segment": self.segments}[name]]


def load_choices(con: Any) -> Choices:
    """Read the known filter values from the workspace's DuckDB connection (parameter-free SQL)."""
    platforms = [
        r[0]
        for r in con.execute("SELECT platform FROM posts UNION SELECT platform FROM accounts "
                             "UNION SELECT platform FROM chat_groups ORDER BY 1").fetchall()
        if r[0]
    ]
    accounts = con.execute(
        "SELECT account_id, coalesce(name, account_id), platform FROM accounts "
        "ORDER BY is_own DESC NULLS LAST, platform, name"
    ).fetchall()
    campaigns = con.execute(
        "SELECT campaign_id, coalesce(name, campaign_id), platform FROM campaigns ORDER BY start_at DESC NULLS LAST, name"
    ).fetchall()
    return Choices(
        tuple(platforms),
        tuple(Option(str(a), str(n), str(p)) for a, n, p in accounts),
        tuple(Option(str(c), str(n), str(p)) for c, n, p in campaigns),
        tuple(_segment_options(con)),
    )


def _segment_options(con: Any) -> list[Option]:
    """One option per segment of the latest learned and the latest rules run (value ``RUN#SEGMENT``)."""
    out = []
    for run in segment_runs.latest_runs(con):
        out += [Option(f"{run['run_id']}{segment_runs.SEP}{s['segment']}", f"{s['name_en']} ({s['size']:,})",
                       label_zh=f"{s['name_zh']}({s['size']:,}人)") for s in run["segments"]]  # fmt: skip
    return out


def cached_choices(st: Any, ws: Any = None) -> Choices:
    """``load_choices`` through the web app's cache (``WebState.cached``: once per data version; ``ws``: a
    workspace on a cursor of its own, as the cache warming passes)."""
    return st.cached(("filter-choices",), lambda w: load_choices(w.con), ws)


@dataclass(frozen=True)
class Filters:
    """Validated filters; ``metric_kwargs(name)`` gives what one metric accepts."""

    platform: tuple[str, ...] = ()
    account: tuple[str, ...] = ()
    campaign: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    segment: str | None = None  # RUN#SEGMENT of a stored run

    def key(self) -> tuple[Any, ...]:
        """A hashable cache key."""
        return (self.platform, self.account, self.campaign, self.start, self.end, self.segment)

    def is_empty(self) -> bool:
        return not any(self.key())

    def analysis(self) -> AnalysisFilters:
        """These filters as every analysis takes them (``hudong.analyses.Filters``; no segment)."""
        return AnalysisFilters(**self.kwargs())

    def people(self) -> PeopleFilters:
        """These filters as an analysis that counts people takes them (``PeopleFilters``: with the segment)."""
        return PeopleFilters(**self.kwargs(people=True))

    def kwargs(self, people: bool = False) -> dict[str, Any]:
        """The filters as an analysis' keyword parameters (``analyses.run(ws, name, **filters.kwargs())``);
        ``people``: with the segment, for an analysis that takes ``PeopleFilters``."""
        out: dict[str, Any] = {n: list(getattr(self, n)) or None for n in ENTITY_FILTERS}
        out |= {n: getattr(self, n).isoformat() if getattr(self, n) else None for n in ("start", "end")}
        return out | ({"segment": self.segment} if people else {})

    def metric_kwargs(self, metric: str) -> dict[str, Any]:
        """The keyword filters for ``compute(ws, metric, ...)``: entity filters the metric does not support are
        left out (``unsupported(metric)`` names them, so the page can say so instead of hiding it)."""
        return self.people().metric_kwargs(metric)

    def unsupported(self, metric: str) -> list[str]:
        return self.people().unsupported(metric)

    def params(self) -> dict[str, str]:
        """The non-empty filters as query parameters (to carry them across links)."""
        out = {n: ",".join(getattr(self, n)) for n in ENTITY_FILTERS if getattr(self, n)}
        out.update({n: getattr(self, n).isoformat() for n in ("start", "end") if getattr(self, n)})
        return out | ({"segment": self.segment} if self.segment else {})

    def query_string(self) -> str:
        p = self.params()
        return ("?" + urlencode(p)) if p else ""


# Dates outside this window are refused with a 400 naming the parameter (year 1 or 9999 is a typo or a probe,
# and "end + 1 day" of 9999-12-31 does not exist).
MIN_DATE = dt.date(1970, 1, 1)
MAX_DATE = dt.date(2100, 12, 31)


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        d = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise HudongError(f"filter {name!r} must be a date like 2026-06-01, got {value!r}") from None
    if not MIN_DATE <= d <= MAX_DATE:
        raise HudongError(f"filter {name!r} must be a date between {MIN_DATE} and {MAX_DATE}, got {value!r}")
    return d


def _values(params: Mapping[str, str], name: str, allowed: list[str]) -> tuple[str, ...]:
    raw = params.get(name) or ""
    values = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        shown = ", ".join(allowed[:20]) + (" …" if len(allowed) > 20 else "")
        raise HudongError(
            f"unknown {name} {', '.join(map(repr, unknown))}; known values: {shown or '(none in this workspace)'}"
        )
    return values


def parse_filters(params: Mapping[str, str], choices: Choices) -> Filters:
    """Filters from query parameters (``platform``, ``account``, ``campaign`` comma-separated; ``start``,
    ``end`` ISO dates, ``end`` inclusive). Raises ``HudongError`` on an unknown value or a bad date."""
    start, end = _date(params.get("start"), "start"), _date(params.get("end"), "end")
    if start and end and start > end:
        raise HudongError(f"filter 'start' ({start}) is after 'end' ({end})")
    return Filters(
        platform=_values(params, "platform", choices.allowed("platform")),
        account=_values(params, "account", choices.allowed("account")),
        campaign=_values(params, "campaign", choices.allowed("campaign")),
        start=start,
        end=end,
        segment=_segment(params, choices),
    )


def _segment(params: Mapping[str, str], choices: Choices) -> str | None:
    """One segment of the latest stored runs (``RUN#SEGMENT``), or None."""
    value = (params.get("segment") or "").strip()
    if not value:
        return None
    allowed = choices.allowed("segment")
    if value not in allowed:
        shown = ", ".join(allowed[:20]) or "(no stored segmentation: `hudong segments --save` keeps one)"
        raise HudongError(f"unknown segment {value!r}; known values: {shown}")
    return value
