"""The folder connector: a drop folder of platform exports, imported as files arrive or change.

    [connectors.weibo-exports]
    type = "folder"
    path = "drop/weibo"          # relative to the workspace, or absolute
    format = "weibo-export"      # an import format (`hudong import --help`) or a mapping file
    pattern = "*.csv"            # optional (default: every file)

The first implementation of the connector contract: ``hudong import`` of one file is what it does per new or
changed file. Its cursor records each imported file's name, size and modification time; a file that changes is
imported again (idempotent: only what changed is updated).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from hudong.connectors.base import Batch, Connector
from hudong.errors import HudongError
from hudong.ingest.mapping import load_mapping


class FolderConnector(Connector):
    kind = "folder"
    capabilities = frozenset({"read_posts", "read_comments", "read_dms", "read_followers", "read_metrics"})

    @property
    def folder(self) -> Path:
        p = Path(str(self.setting("path", required=True))).expanduser()
        return p if p.is_absolute() else self.workspace_dir / p

    def check(self) -> str:
        if not self.folder.is_dir():
            raise HudongError(f"hudong.toml [connectors.{self.name}]: {self.folder} is not a folder")
        load_mapping(str(self.setting("format", required=True)))  # a clear error for an unknown format
        return f"{self.folder} ({self.setting('format')})"

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        self.check()
        seen: dict[str, str] = json.loads(cursor) if cursor else {}
        pattern = str(self.setting("pattern", "*"))
        files = sorted((p for p in self.folder.glob(pattern) if p.is_file() and not p.name.startswith(".")),
                       key=lambda p: (p.stat().st_mtime_ns, p.name))  # fmt: skip
        for p in files:
            st = p.stat()
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
            name = p.relative_to(self.folder).as_posix()
            if seen.get(name) == stamp:
                continue
            seen[name] = stamp
            yield Batch(p, str(self.setting("format")), json.dumps(seen, sort_keys=True), label=name)
