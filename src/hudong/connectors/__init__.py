"""Connectors: one module per source (docs/architecture.md "Add a connector"); ``sync`` runs them.

Built in: ``folder`` (a drop folder of exports), ``bluesky`` (an account on an AT Protocol server),
``mastodon`` (an account on a Mastodon server), ``reddit`` (a Reddit account and watched subreddits), ``wechat``
(a WeChat Official Account), ``weibo`` (a Weibo account), ``douyin`` (a Douyin enterprise account). Plugins add more through the entry point group
``hudong.connectors`` (name → a ``Connector`` subclass).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hudong import plugins
from hudong.analyses.scoring import score_workspace, texts_changed
from hudong.connectors.base import Batch, Connector, CredentialsRefused, Retry, Secret, Secrets, SyncResult
from hudong.connectors.bluesky import BlueskyConnector
from hudong.connectors.douyin import DouyinConnector
from hudong.connectors.folder import FolderConnector
from hudong.connectors.mastodon import MastodonConnector
from hudong.connectors.reddit import RedditConnector
from hudong.connectors.wechat import WechatConnector
from hudong.connectors.weibo import WeiboConnector
from hudong.errors import HudongError
from hudong.ingest import import_file

BUILT_IN: dict[str, type[Connector]] = {c.kind: c for c in (FolderConnector, BlueskyConnector, MastodonConnector,
                                                            RedditConnector, WechatConnector, WeiboConnector,
                                                            DouyinConnector)}
ENTRY_POINTS = "hudong.connectors"


def kinds() -> dict[str, type[Connector]]:
    """Every connector type: the built-in ones and those plugins declare (a plugin cannot replace a built-in)."""
    found = dict(BUILT_IN)
    for ep in plugins.points(ENTRY_POINTS):
        if ep.name in found:
            continue
        cls = plugins.load(ep)
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise HudongError(f"plugin entry point {ENTRY_POINTS}:{ep.name} ({ep.value}) is not a Connector class")
        found[ep.name] = cls
    return found


def configured(ws: Any) -> dict[str, dict[str, Any]]:
    """``[connectors.NAME]`` tables of hudong.toml."""
    table = ws.setting("connectors", {}) or {}
    if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
        raise HudongError("hudong.toml: [connectors] must hold one table per connector, e.g. [connectors.drop]")
    return table


def platform_connectors(ws: Any, action: str) -> dict[str, str]:
    """platform → the first configured connector (hudong.toml order) whose type can ``action`` there: who replies
    from the inbox, who publishes from the calendar."""
    out: dict[str, str] = {}
    available = kinds()
    for name, settings in configured(ws).items():
        cls = available.get(settings.get("type"))
        if cls is not None and cls.platform and cls.can(action, settings):
            out.setdefault(cls.platform, name)
    return out


def connector(ws: Any, name: str) -> Connector:
    """The configured connector ``name``, ready to run."""
    settings = configured(ws).get(name)
    if settings is None:
        raise HudongError(f"no connector {name!r} in hudong.toml; configured: {', '.join(configured(ws)) or 'none'}")
    kind = settings.get("type")
    available = kinds()
    if kind not in available:
        raise HudongError(f"hudong.toml [connectors.{name}]: type {kind!r} is not one of {', '.join(available)}")
    return available[kind](name, settings, Secrets(Path(ws.path), name), Path(ws.path))


def state(ws: Any) -> dict[str, dict[str, Any]]:
    """The stored state of every connector that has run: cursor, last run, last error, totals."""
    cur = ws.con.execute("SELECT * FROM connector_state")
    cols = [d[0] for d in cur.description]
    return {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def status(ws: Any) -> list[dict[str, Any]]:
    """One row per configured connector for the status views (`hudong sync --status`, /connectors, the API): its
    type, last run, last success, ``lag_seconds`` (now − last success: how old the newest synced data may be),
    totals, the last error, and why it is paused (None: running)."""
    done, now = state(ws), dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = []
    for name, settings in configured(ws).items():
        s = done.get(name) or {}
        rows.append({"name": name, "kind": settings.get("type") or s.get("kind"), "cursor": s.get("cursor"),
                     "last_run": s.get("last_run"), "last_ok": s.get("last_ok"), "last_error": s.get("last_error"),
                     "batches": s.get("batches") or 0, "rows_read": s.get("rows_read") or 0, "paused": s.get("paused"),
                     "lag_seconds": round((now - s["last_ok"]).total_seconds()) if s.get("last_ok") else None})  # fmt: skip
    return rows


def _save(ws: Any, res: SyncResult, ok: bool, paused: str | None = None) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ws.con.execute(
        "INSERT INTO connector_state AS s VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
        "kind = excluded.kind, cursor = coalesce(excluded.cursor, s.cursor), last_run = excluded.last_run, "
        "last_ok = coalesce(excluded.last_ok, s.last_ok), last_error = excluded.last_error, "
        "batches = s.batches + excluded.batches, rows_read = s.rows_read + excluded.rows_read, "
        "paused = excluded.paused",
        [res.name, res.kind, res.cursor, now, now if ok else None, res.error, res.batches, res.rows_read, paused],
    )


def connect(ws: Any, name: str) -> str:
    """Check ``name``'s configuration and credentials against the platform (``Connector.check``) and, when they
    work, resume a connector paused for refused credentials. Returns what was checked."""
    c = connector(ws, name)
    c.reset()  # forget a saved session: the credentials themselves are checked
    checked = c.check()  # raises with the platform's reason
    ws.con.execute("UPDATE connector_state SET paused = NULL, last_error = NULL WHERE name = ?", [name])
    return checked


def sync(ws: Any, name: str | None = None, *, score: bool = True, since: dt.datetime | None = None,
         ) -> list[SyncResult]:
    """Run every configured connector (or ``name``) once: fetch after its stored cursor (or from ``since``: a
    backfill), import each batch, store the cursor after each committed batch, then (``score``) score the texts its
    batches brought, as every import does (``hudong.analyses.scoring``). A failing connector records its error and
    the others still run; one whose credentials were refused is paused (not retried) until ``connect`` succeeds."""
    names = [name] if name else list(configured(ws))
    results = []
    for n in names:
        c = connector(ws, n)
        c.since = since
        st = state(ws).get(n) or {}
        cursor = st.get("cursor")
        res = SyncResult(n, c.kind, cursor=cursor, started=dt.datetime.now(), labels=[])
        if st.get("paused"):
            res.error = f"paused: {st['paused']} (run `hudong connect {n}` once the credentials are fixed)"
            results.append(res)
            continue
        changed = False
        try:
            for batch in c.fetch(cursor):
                if batch.path is None:  # nothing to import: only the cursor moves
                    res.cursor = batch.cursor
                    _save(ws, SyncResult(n, c.kind, cursor=batch.cursor), ok=True)
                    continue
                try:
                    s = import_file(ws, batch.path, batch.format)
                finally:
                    if batch.temporary:
                        Path(batch.path).unlink(missing_ok=True)
                changed = changed or texts_changed(s)
                res.batches += 1
                res.rows_read += s.rows_read
                res.stored += sum(t.stored for t in s.tables.values())
                res.updated += sum(t.updated for t in s.tables.values())
                res.quarantined += s.quarantined
                res.cursor = batch.cursor
                res.labels.append(batch.label or str(batch.path))
                _save(ws, SyncResult(n, c.kind, batches=1, rows_read=s.rows_read, cursor=batch.cursor), ok=True)
        except CredentialsRefused as e:
            res.error = str(e)
            _save(ws, SyncResult(n, c.kind, error=res.error), ok=False, paused=str(e))
        except HudongError as e:
            res.error = str(e)
            _save(ws, SyncResult(n, c.kind, error=res.error), ok=False)
        else:
            _save(ws, SyncResult(n, c.kind), ok=True)
        if score and changed:  # what was imported stays imported; a scoring failure is reported, not raised
            try:
                res.scored = score_workspace(ws).rows
            except HudongError as e:
                res.score_error = str(e)
        results.append(res)
    return results


__all__ = [
    "BUILT_IN", "Batch", "BlueskyConnector", "Connector", "DouyinConnector", "CredentialsRefused", "FolderConnector", "MastodonConnector",
    "RedditConnector", "Retry", "Secret", "WechatConnector", "WeiboConnector", "Secrets", "SyncResult", "configured", "connect", "connector", "kinds", "platform_connectors", "state", "status", "sync",
]  # fmt: skip
