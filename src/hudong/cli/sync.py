"""The `hudong` commands: Live platforms: sync, connect, connectors, and the outbox of actions sent to them."""

from __future__ import annotations

import datetime as dt

import click

from hudong.cli.base import _open, cli
from hudong.errors import HudongError


@cli.command()
@click.argument("name", required=False)
@click.option("--status", is_flag=True, help="Show each connector's state (as `hudong connectors`) instead.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
              help="Backfill: fetch from this date (UTC) even where the last run got further.")
@click.pass_context
def sync(ctx: click.Context, name: str | None, status: bool, since: dt.datetime | None) -> None:
    """Run the connectors of hudong.toml ([connectors.NAME]) once, or only NAME: each imports what is new since
    its last run and scores its texts (docs/connectors.md). While `hudong serve` holds the workspace this runs in
    the server, which also syncs on its own every [sync] every_minutes."""
    from hudong import connectors

    if status:
        ctx.invoke(connectors_cmd)
        return
    ws = _open(ctx)
    try:
        results = connectors.sync(ws, name, since=since.replace(tzinfo=dt.UTC) if since else None)
    finally:
        ws.close()
    if not results:
        click.echo("no connectors configured: add a [connectors.NAME] table to hudong.toml (docs/connectors.md)")
    for r in results:
        click.echo(f"{r.name} ({r.kind}): {r.batches} batch(es), {r.rows_read:,} rows read, {r.stored:,} stored, "
                   f"{r.updated:,} updated, {r.quarantined:,} quarantined" + (f"; error: {r.error}" if r.error else ""))
        for label in r.labels or []:
            click.echo(f"  {label}")
        if r.scored:
            click.echo(f"  scored {r.scored:,} new or edited texts")
        if r.score_error:
            click.echo(f"  warning: imported but not scored ({r.score_error}); run `hudong text score`", err=True)
    if any(r.error for r in results):
        ctx.exit(1)


@cli.group()
def outbox() -> None:
    """Actions sent to the platforms (replies, posts, likes …): list, approve, cancel, send (docs/connectors.md)."""


@outbox.command(name="list")
@click.option("--state", type=click.Choice(["draft", "approved", "sending", "sent", "failed", "unknown", "cancelled"]),
              help="Only this state.")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def outbox_list(ctx: click.Context, state: str | None, limit: int) -> None:
    """The outbox, newest first: id, state, connector, action, target, attempts, error."""
    ws = _open(ctx, read_only=True)
    try:
        where, params = (" WHERE state = ?", [state]) if state else ("", [])
        rows = ws.con.execute("SELECT action_id, state, connector, action, target, attempts, error, created_by "
                              f"FROM outbox{where} ORDER BY created_at DESC LIMIT ?", [*params, limit]).fetchall()  # fmt: skip
    finally:
        ws.close()
    for a, st, c, act, target, n, err, by in rows:
        click.echo(f"{a}  {st:<9} {c}:{act} {target or '-'}  attempts={n}  by {by}" + (f"  error: {err}" if err else ""))
    if not rows:
        click.echo("the outbox is empty" + (f" ({state})" if state else ""))


@outbox.command(name="send")
@click.pass_context
def outbox_send(ctx: click.Context) -> None:
    """Send what is due now (`hudong serve` does this on its own every [sync] round)."""
    from hudong.connectors import outbox as O

    ws = _open(ctx)
    try:
        done = O.send_due(ws)
    finally:
        ws.close()
    for s in done:
        click.echo(f"{s.action_id}  {s.state}" + (f"  {s.detail}" if s.detail else ""))
    click.echo(f"{len(done)} action(s) handled")
    if any(s.state in ("failed", "unknown") for s in done):
        ctx.exit(1)


@outbox.command(name="approve")
@click.argument("action_id")
@click.option("--by", required=True, help="Who approves (a web user name, for the audit log).")
@click.pass_context
def outbox_approve(ctx: click.Context, action_id: str, by: str) -> None:
    """Approve a draft: it goes out on the next send."""
    from hudong.connectors import outbox as O

    ws = _open(ctx)
    try:
        O.approve(ws, action_id, by=by, role="admin")  # at the command line: the workspace owner
    finally:
        ws.close()
    click.echo(f"{action_id} approved")


@outbox.command(name="cancel")
@click.argument("action_id")
@click.option("--by", required=True, help="Who cancels (for the audit log).")
@click.pass_context
def outbox_cancel(ctx: click.Context, action_id: str, by: str) -> None:
    """Withdraw an action that has not gone out."""
    from hudong.connectors import outbox as O

    ws = _open(ctx)
    try:
        O.cancel(ws, action_id, by=by)
    finally:
        ws.close()
    click.echo(f"{action_id} cancelled")


@cli.command()
@click.argument("name")
@click.pass_context
def connect(ctx: click.Context, name: str) -> None:
    """Check connector NAME's settings and credentials against its platform (a fresh sign-in) and resume it if it
    was paused for refused credentials. Where to put the secrets: docs/connectors.md."""
    from hudong import connectors

    ws = _open(ctx)
    try:
        settings = connectors.configured(ws).get(name)
        try:
            checked = connectors.connect(ws, name)
        except HudongError as e:
            kind = (settings or {}).get("type", "?")
            raise click.ClickException(f"{name} ({kind}) is not connected: {e}") from None
    finally:
        ws.close()
    click.echo(f"{name} connected: {checked}")


@cli.command(name="connectors")
@click.pass_context
def connectors_cmd(ctx: click.Context) -> None:
    """The configured connectors: type, whether their settings and secrets check out, last run and error."""
    from hudong import connectors

    ws = _open(ctx, read_only=True)
    try:
        for st in connectors.status(ws):
            name = st["name"]
            if st["paused"]:  # not retried against the platform until `hudong connect`
                click.echo(f"{name:<20} {st['kind'] or '?':<10} PAUSED until `hudong connect {name}`: {st['paused']}")
                continue
            try:
                checked = connectors.connector(ws, name).check()
            except HudongError as e:
                checked = f"not ready: {e}"
            last = f"last run {st['last_run']:%Y-%m-%d %H:%M}" if st["last_run"] else "never run"
            lag = f", data {_ago(st['lag_seconds'])} old" if st["lag_seconds"] is not None else ""
            err = f"; last error: {st['last_error']}" if st["last_error"] else ""
            click.echo(f"{name:<20} {st['kind'] or '?':<10} {checked}; {last}{lag}{err}")
    finally:
        ws.close()


def _ago(seconds: int) -> str:
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min" if seconds < 7200 else f"{seconds // 3600} h"
