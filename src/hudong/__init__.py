"""互动 hudong — social-media operations and analytics you can host yourself.

    import hudong
    ws = hudong.open("my-workspace")
    ws.metric("engagement_rate_impressions", by=["platform", "week"])   # pandas DataFrame
"""

from __future__ import annotations

import os

from hudong.errors import HudongError
from hudong.store.workspace import Workspace

__version__ = "0.1.0"


def open(path: str | os.PathLike, **kw) -> Workspace:  # noqa: A001 - mirrors built-in open() deliberately
    """Open an existing workspace directory."""
    return Workspace.open(path, **kw)


def init(path: str | os.PathLike, **kw) -> Workspace:
    """Create a new workspace directory and open it."""
    return Workspace.init(path, **kw)


__all__ = ["HudongError", "Workspace", "__version__", "init", "open"]
