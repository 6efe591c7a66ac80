"""The workspace's text settings, in force while one of its analyses runs (this thread or task only).

Nothing is set process-wide: two workspaces served by one process (the web app's threads, the tests) cannot see
each other's settings. ``workspace_text(ws)`` puts in force, for the block:

- the analysed length, ``[text] max_chars`` of hudong.toml (``hudong.text.tokenize.analysed_length``);
- the workspace's adapted text models, WORKSPACE/models (``hudong.text.adapt.workspace_models``);
- its brand names and aliases as words the Chinese segmenter keeps whole (``hudong.text.tokenize.user_words``).

Every registered analysis runs inside it (``hudong.analyses.base``); ``reads_workspace_text`` does the same for
a function whose first argument is a workspace.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from hudong.store.workspace import MODELS_DIR
from hudong.text import adapt
from hudong.text.mentions import Brand, brands_from
from hudong.text.tokenize import analysed_length, user_words

T = TypeVar("T")


def models_dir(ws: Any) -> Path:
    """Where a workspace keeps its trained and adapted models (WORKSPACE/models, ``Workspace.models_dir``)."""
    return Path(ws.path) / MODELS_DIR


def brands(ws: Any) -> list[Brand]:
    """The own brand and competitors from hudong.toml, merged with the watched accounts' brands and names
    (``hudong.text.mentions.brands_from``)."""
    rows = ws.con.execute("SELECT platform, account_id, name, brand, is_own, aliases FROM accounts").fetchall()
    return brands_from(ws.setting, rows)


def brand_words(ws: Any) -> list[str]:
    """The watched brands' names and aliases: words the Chinese segmenter keeps whole."""
    return [k for b in brands(ws) for k in (b.name, *b.aliases)]


@contextlib.contextmanager
def workspace_text(ws: Any) -> Iterator[dict[str, str]]:
    """The workspace's text settings in force inside the block (module docstring); yields the adapted models in
    use, ``{"task-lang": version}``."""
    with analysed_length(ws.setting("text.max_chars")), user_words(brand_words(ws)), \
            adapt.workspace_models(models_dir(ws)) as active:  # fmt: skip
        yield active


def reads_workspace_text(fn: Callable[..., T]) -> Callable[..., T]:
    """Decorator for a function whose first argument is a workspace: it runs inside ``workspace_text(ws)``."""

    @functools.wraps(fn)
    def run(ws: Any, *args: Any, **kw: Any) -> T:
        with workspace_text(ws):
            return fn(ws, *args, **kw)

    return run
