"""互动 hudong — social-media operations and analytics you can host yourself.

    import hudong
    ws = hudong.open("my-workspace")
    ws.metric("engagement_rate_impressions", by=["platform", "week"])   # pandas DataFrame
    ws.scorecard().to_text("en")
"""

from __future__ import annotations

import os
from typing import Any

from hudong.errors import HudongError
from hudong.store import workspace as _store

__version__ = "0.1.0"


class Workspace(_store.Workspace):
    """The Python API: a workspace (``hudong.store.workspace.Workspace``) plus the analyses as methods.

    The methods only call the analyses' own functions, so the API, the CLI and the web app give the same numbers;
    the store itself knows nothing of metrics or the scorecard (layers point down: docs/architecture.md).
    """

    def metric(self, name: str, by: str | list[str] | tuple[str, ...] = (), *, output: str = "pandas", **filters: Any):
        """Compute a registered metric, grouped by dimensions (e.g. ``by=["platform", "week"]``).

        ``filters``: ``start``/``end`` (dates), ``platform``, ``account``, ``campaign`` (a value or a list),
        ``segment`` (a stored segment: the metrics that count people; docs/audience.md).
        ``output``: ``"pandas"`` (default), ``"arrow"`` or ``"polars"``.
        """
        from hudong.metrics import frame  # lazy: `import hudong` stays light

        return frame(self, name, by, output=output, **filters)

    def use_engine(self, engine: str | None = None, *, spark_master: str | None = None) -> None:
        """Compute on ``engine``: duckdb (this file) or spark (the lake); see ``hudong.store.engines.use_engine``."""
        from hudong.store.engines import use_engine  # lazy: `import hudong` stays light

        use_engine(self, engine, spark_master=spark_master)

    def scorecard(self, **kw: Any):
        """The social-media maturity scorecard (see ``hudong.decide.scorecard.build_scorecard``)."""
        from hudong.decide.scorecard import build_scorecard  # lazy: `import hudong` stays light

        return build_scorecard(self, **kw)


def open(path: str | os.PathLike, **kw) -> Workspace:  # noqa: A001 - mirrors built-in open() deliberately
    """Open an existing workspace directory."""
    return Workspace.open(path, **kw)


def init(path: str | os.PathLike, **kw) -> Workspace:
    """Create a new workspace directory and open it."""
    return Workspace.init(path, **kw)


__all__ = ["HudongError", "Workspace", "__version__", "init", "open"]
