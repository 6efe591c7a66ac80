"""Plugins: what other installed packages add to hudong, through entry points (``importlib.metadata``).

One group per extension point; the value names what the group expects:

============================  =================================================================================
group                         entry point value
============================  =================================================================================
``hudong.formats``            a mapping file (``pkg:file.toml``, next to the module ``pkg``): an import format
``hudong.metrics``            a module whose import registers metrics (``@hudong.metrics.registry.metric``)
``hudong.analyses``           a module whose import registers analyses (``@hudong.analyses.analysis``)
``hudong.connectors``         a ``hudong.connectors.Connector`` subclass
``hudong.cli``                a ``click`` command or group, added to ``hudong``
``hudong.web``                a FastAPI ``APIRouter``, included in the web app (behind its sign-in)
============================  =================================================================================

Plain entry points rather than pluggy: each extension point is a registry or a list of objects, never a hook
with several implementations to call in turn, which is what pluggy adds (docs/architecture.md, "Plugins").
hudong's own scorecard and inbox queue are registered the same way (they live above the analyses layer).
A plugin cannot replace something built in; a broken one is a clear error naming it.
"""

from __future__ import annotations

from importlib import resources
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from hudong.errors import HudongError

GROUPS = ("hudong.formats", "hudong.metrics", "hudong.analyses", "hudong.connectors", "hudong.cli", "hudong.web")
_LOADED: set[tuple[str, str, str]] = set()


def points(group: str) -> list[EntryPoint]:
    """The installed entry points of ``group``, by name."""
    if group not in GROUPS:
        raise ValueError(f"unknown plugin group {group!r}")
    return sorted(entry_points(group=group), key=lambda ep: ep.name)


def load(ep: EntryPoint) -> Any:
    """The object an entry point names; an error that names the plugin when it cannot be loaded."""
    try:
        return ep.load()
    except Exception as e:  # noqa: BLE001 - any failure of third-party code becomes one clear message
        dist = f" (package {ep.dist.name})" if ep.dist is not None else ""
        raise HudongError(f"plugin {ep.group}:{ep.name} = {ep.value}{dist} failed to load: "
                          f"{type(e).__name__}: {e}") from e


def import_modules(group: str) -> None:
    """Import every module the group names (metrics and analyses register themselves on import); once each."""
    for ep in points(group):
        key = (group, ep.name, ep.value)
        if key not in _LOADED:
            load(ep)
            _LOADED.add(key)


def format_files() -> dict[str, Path]:
    """Import formats plugins add: name → mapping file (``pkg:path/in/pkg.toml``)."""
    out: dict[str, Path] = {}
    for ep in points("hudong.formats"):
        package, _, file = ep.value.partition(":")
        path = Path(str(resources.files(package.strip()) / file.strip()))
        if not file or not path.is_file():
            raise HudongError(f"plugin hudong.formats:{ep.name} = {ep.value}: no mapping file {path}")
        out[ep.name] = path
    return out
