"""Analyses: what a front end shows, each one registered object (``base.analysis``) with declared inputs, typed
parameters and frames out; the CLI, the web app and the report call the same one (docs/architecture.md).

    from hudong import analyses
    analyses.run(ws, "topics", mode="clusters", platform=["weibo"]).frame("table")
"""

from __future__ import annotations

from hudong.analyses import (  # noqa: F401 - registers them
    alerts,
    bursts,
    cascades,
    communities,
    coordination,
    forecast,
    koc,
    mentions,
    nps,
    sentiment,
    topics,
)
from hudong.analyses.base import REGISTRY, Analysis, Filters, Result, analysis, get, registry, run

__all__ = ["REGISTRY", "Analysis", "Filters", "Result", "analysis", "get", "registry", "run"]
