"""Net Promoter Score with its interval and counts: the report's and the web page's NPS block."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from hudong.analyses.base import PeopleFilters, Result, analysis
from hudong.metrics import frame as metric_frame


def _number(x: Any) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x) else float(x)


@analysis("nps", "净推荐值", "Net Promoter Score", tables=("survey_responses",), params=PeopleFilters,
          engines=("duckdb", "spark"))  # fmt: skip
def nps(ws: Any, p: PeopleFilters, step: Any) -> Result:
    """The ``nps`` metric (% promoters − % detractors, normal-approximation 95% interval clipped to [−100, 100]:
    docs/metrics.md) as one value with
    its interval and counts; ``value`` None when no response falls in the filters."""
    df = metric_frame(ws, "nps", **p.metric_kwargs("nps"))
    row = df.iloc[0] if len(df) else pd.Series(dtype=object)
    values = {k: _number(row.get(k)) for k in ("value", "ci_low", "ci_high", "promoters", "passives", "detractors",
                                                "n")}  # fmt: skip
    ignored = p.unsupported("nps")
    notes = [f"survey responses have no {', '.join(ignored)}: that filter does not apply"] if ignored else []
    return Result({"nps": df}, values=values, notes=notes)
