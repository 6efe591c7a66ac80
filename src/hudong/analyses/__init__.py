"""Analyses: what a front end shows, each one registered object (``base.analysis``) with declared inputs, typed
parameters and frames out; the CLI, the web app and the report call the same one (docs/architecture.md).

    from hudong import analyses
    analyses.run(ws, "topics", mode="clusters", platform=["weibo"]).frame("table")

The analysis modules register when first asked for (``registry()``, ``get``, ``run``), not on import: `hudong
import` needs ``analyses.scoring`` alone and should not load igraph and scikit-learn for it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["REGISTRY", "Analysis", "Filters", "PeopleFilters", "Result", "analysis", "get", "memo", "memoized", "registry",
           "run"]


def __getattr__(name: str) -> Any:
    """The contract's names, from ``base`` when first used: importing ``hudong.analyses.scoring`` (what `hudong
    import` runs) does not load the metrics and Ibis."""
    if name in __all__:
        from hudong.analyses import base  # lazy: see the docstring

        return getattr(base, name)
    raise AttributeError(f"module 'hudong.analyses' has no attribute {name!r}")
