"""Reading platform API payloads: nested fields that may be missing or of the wrong type, times in the forms the
platforms send, and a response's JSON object. Shared by the live connectors; nothing here raises on bad data
(a malformed item reaches the mapping as it is and is quarantined there with its raw JSON)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any


def dig(obj: Any, *path: str | int) -> Any:
    """``obj[path[0]][path[1]]…``, or None where a step is missing or not a dict/list."""
    for p in path:
        if isinstance(p, int):
            obj = obj[p] if isinstance(obj, list) and len(obj) > p else None
        else:
            obj = obj.get(p) if isinstance(obj, dict) else None
    return obj


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time (``Z`` or an offset; naive is read as UTC) as an aware datetime; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def json_object(r: Any) -> dict[str, Any]:
    """The response's JSON object ({} when the body is not JSON or not an object)."""
    try:
        data = r.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def json_object_file(path: Path) -> dict[str, Any]:
    """A JSON object kept in a file ({} when absent or unreadable: it is fetched again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_private_json(path: Path, data: dict[str, Any]) -> None:
    """Write a JSON object readable by its owner only (mode 0600): tokens and what they came from."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
