"""The connector contract: where data comes from (and, for live platforms, where actions go).

A connector is one class in one module of this package (or of a plugin, entry point group ``hudong.connectors``):

    class MyConnector(Connector):
        kind = "my-platform"                     # the ``type`` in hudong.toml [connectors.NAME]
        platform = "mastodon"                    # a hudong.platforms id (None: any, e.g. files)
        capabilities = frozenset({"read_posts"}) # what this connector implements (⊆ the platform's)

        def fetch(self, cursor):                 # the stored cursor, None on the first run
            ...                                  # yield Batch(path_or_records, format, cursor) per batch

It is configured from ``[connectors.NAME]`` in hudong.toml (``self.settings``) and its secrets (``self.secrets``,
never in hudong.toml: see ``Secrets``). ``fetch`` yields batches; ``sync`` imports each one through the same
import path as ``hudong import`` (mapping, validation, pseudonymisation, quarantine, limits) and stores the
batch's cursor only after it is committed, so a run that stops half-way resumes after the last stored batch and a
batch imported twice changes nothing (imports are idempotent). ``act`` performs an action on the platform (reply,
publish …): a connector that cannot raises a clear error naming the capability.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import threading
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from hudong.errors import HudongError
from hudong.platforms import CAPABILITIES, PLATFORMS

LIVE_FORMAT = "live-jsonl"
CONNECTED = "connected"  # what ``watch`` yields first, once its stream is open  # the mapping every live connector's JSONL lines go through

SECRETS_FILE = "secrets.toml"


class Secret(str):
    """A secret value: a str that never shows itself in repr, logs or tracebacks."""

    def __repr__(self) -> str:
        return "Secret('***')"


class Secrets:
    """A connector's secrets: ``HUDONG_<NAME>_<KEY>`` in the environment, else ``[NAME] key = …`` in the
    workspace's ``secrets.toml``, which must be readable by its owner only (mode 0600) or it is refused."""

    def __init__(self, ws_dir: Path, name: str):
        self.ws_dir, self.name = Path(ws_dir), name
        self._file: dict[str, Any] | None = None

    def _from_file(self) -> dict[str, Any]:
        if self._file is None:
            p = self.ws_dir / SECRETS_FILE
            self._file = {}
            if p.exists():
                mode = stat.S_IMODE(p.stat().st_mode)
                if mode & 0o077:
                    raise HudongError(f"{p} is readable by others (mode {mode:o}); run `chmod 600 {p}`")
                try:
                    self._file = dict(tomllib.loads(p.read_text(encoding="utf-8")).get(self.name) or {})
                except tomllib.TOMLDecodeError as e:
                    raise HudongError(f"{p}: {e}") from None
        return self._file

    def get(self, key: str, default: str | None = None) -> Secret | None:
        env = f"HUDONG_{self.name}_{key}".upper().replace("-", "_")
        value = os.environ.get(env)
        if value is None:
            value = self._from_file().get(key)
        return Secret(value) if value is not None else (Secret(default) if default is not None else None)

    def require(self, key: str) -> Secret:
        value = self.get(key)
        if not value:
            env = f"HUDONG_{self.name}_{key}".upper().replace("-", "_")
            raise HudongError(f"connector {self.name}: secret {key!r} is not set (environment {env}, or [{self.name}] "
                              f"{key} in {self.ws_dir / SECRETS_FILE}, mode 0600)")
        return value


@dataclass(frozen=True)
class Batch:
    """What ``fetch`` yields: a file to import with the mapping ``format``, and the cursor to store once it is in."""

    path: Path | None  # None: nothing new, only the cursor moves
    format: str
    cursor: str
    label: str = ""  # shown in the sync summary (a file name, a time range …)
    temporary: bool = False  # written by the connector for this import: deleted once imported (it holds raw ids)


class Connector(ABC):
    """The base of every connector (see the module doc)."""

    kind: ClassVar[str]
    platform: ClassVar[str | None] = None
    capabilities: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, name: str, settings: Mapping[str, Any], secrets: Secrets, workspace_dir: Path):
        self.name, self.settings, self.secrets, self.workspace_dir = name, dict(settings), secrets, Path(workspace_dir)
        # Backfill bound set by `hudong sync --since`: fetch from this time even when the cursor is later.
        self.since: dt.datetime | None = None

    @property
    def state_dir(self) -> Path:
        """WORKSPACE/connectors/NAME: the connector's own files (batches being imported, a saved session)."""
        d = self.workspace_dir / "connectors" / self.name
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        return d

    def lines_batch(self, stream: str, lines: list[dict[str, Any]], cursor: str | Mapping[str, Any], label: str
                    ) -> Batch:  # fmt: skip
        """A batch for the ``live-jsonl`` mapping (ingest/mappings/live-jsonl.toml): one JSON line per API item
        (flat fields, ``as_*`` flags, the item under ``raw``), each given the connector's platform. The file is
        written owner-only under ``state_dir/incoming`` and deleted once imported (it holds the raw ids); no
        lines: only the cursor moves. A cursor given as a mapping (each stream's position) is stored as JSON."""
        if not isinstance(cursor, str):
            cursor = json.dumps(dict(cursor), sort_keys=True)
        if not lines:
            return Batch(None, LIVE_FORMAT, cursor, label=label)
        d = self.state_dir / "incoming"
        d.mkdir(exist_ok=True, mode=0o700)
        path = d / f"{stream}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for line in lines:
                fh.write(json.dumps({"platform": self.platform, **line}, ensure_ascii=False, default=str) + "\n")
        return Batch(path, LIVE_FORMAT, cursor, label=label, temporary=True)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        unknown = set(cls.capabilities) - set(CAPABILITIES)
        if unknown:
            raise TypeError(f"{cls.__name__}: unknown capabilities {sorted(unknown)}")
        if cls.platform is not None:
            declared = PLATFORMS.get(cls.platform)
            if declared is None:
                raise TypeError(f"{cls.__name__}: platform {cls.platform!r} is not declared in hudong/platforms.py")
            beyond = set(cls.capabilities) - declared.capabilities
            if beyond:
                raise TypeError(f"{cls.__name__}: {cls.platform}'s API does not allow {sorted(beyond)}")

    def setting(self, key: str, default: Any = None, *, required: bool = False) -> Any:
        if key not in self.settings or self.settings[key] in (None, ""):
            if required:
                raise HudongError(f"hudong.toml [connectors.{self.name}]: {key} is required")
            return default
        return self.settings[key]

    def check(self) -> str:
        """Check the configuration and credentials without fetching; a short description of what was checked."""
        return "ok"

    def reset(self) -> None:
        """Forget what the connector saved between runs about its sign-in (a session token), before ``connect``."""
        return None

    @abstractmethod
    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        """Batches after ``cursor`` (None: from the start), oldest first."""

    # Whether ``watch`` is implemented: the platform pushes events (a firehose, a streaming API).
    streams: ClassVar[bool] = False

    def watch(self, stop: threading.Event) -> Iterator[str]:
        """Hold the platform's stream open and yield a short reason each time something that concerns the account
        happens (a reply, a like, a DM, our own post from another app); ``hudong serve`` then syncs this connector
        at once, through ``fetch`` and its cursor, so the stream is a wake-up call and never a second way in.
        Yield ``CONNECTED`` first, once the stream is open: the server then syncs to catch up with what happened
        while it was not (streams do not replay). Return soon after ``stop`` is set; raise when the stream drops
        (the server reconnects with back-off). Connectors without a stream (``streams = False``) are polled on
        the schedule only."""
        raise HudongError(f"connector {self.name} ({self.kind}) has no stream: it is polled on the schedule")

    # Actions whose ``idempotency_key`` the platform honours (it never makes two of the same key): the outbox may
    # resend those after a crash; for the others it asks ``confirm`` whether the first attempt went through.
    idempotent_actions: ClassVar[frozenset[str]] = frozenset()
    # Actions the connector can take back with its ``delete`` of what they made (the outbox's undo).
    undoable: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def can(cls, action: str, settings: Mapping[str, Any]) -> bool:
        """Whether a connector of this type configured with ``settings`` can ``action``: its capabilities, unless
        the platform needs a setting first (Weibo publishes only with a link to the app's safe domain)."""
        return action in cls.capabilities

    def publish_problems(self, text: str, title: str | None = None) -> list[tuple[str, str]]:
        """(zh, en) reasons this post cannot go out through the platform's publishing API as it is — rules of the
        API, beyond the platform's own (``plan.rules``). The calendar then reminds the owner to publish it by hand."""
        return []

    def act(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
            **params: Any) -> dict[str, Any]:
        """Perform ``action`` (a capability such as ``reply`` or ``publish``) on the platform; returns what it
        made: ``{"platform_id": …, "url": …}``. Raise ``Retry`` for a failure worth retrying (rate limit, 5xx,
        timeout) and ``HudongError`` for one that is not (refused, credentials revoked)."""
        raise HudongError(f"connector {self.name} ({self.kind}) cannot {action}: "
                          f"it implements {', '.join(sorted(self.capabilities)) or 'no actions'}")

    def confirm(self, action: str, *, idempotency_key: str, target: str | None = None, text: str | None = None,
                **params: Any) -> dict[str, Any] | None:
        """Whether an attempt whose outcome is unknown (the process stopped while sending) reached the platform:
        what it made, or None when it did not. Raise ``HudongError`` when the connector cannot tell."""
        raise HudongError(f"connector {self.name} ({self.kind}) cannot check whether a {action} went out")


class CredentialsRefused(HudongError):
    """The platform refused the account's credentials (expired, revoked, wrong): syncing this connector stops
    (``connector_state.paused``) until ``hudong connect NAME`` checks new credentials; retrying cannot help."""


class Retry(HudongError):
    """A failure worth retrying (rate limited, the platform's 5xx, a timeout); ``after``: seconds the platform
    asked to wait (Retry-After), if it said."""

    def __init__(self, message: str, after: float | None = None):
        super().__init__(message)
        self.after = after


@dataclass
class SyncResult:
    """One connector's run: batches imported, rows stored/updated/quarantined, the cursor after, any error."""

    name: str
    kind: str
    batches: int = 0
    rows_read: int = 0
    stored: int = 0
    updated: int = 0
    quarantined: int = 0
    cursor: str | None = None
    error: str | None = None
    started: dt.datetime | None = None
    labels: list[str] | None = None
    scored: int = 0  # texts scored after the import (new and edited ones)
    score_error: str | None = None
