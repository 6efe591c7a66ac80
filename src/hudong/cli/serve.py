"""The `hudong` commands: The demo, the web server and its users."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from hudong.cli.base import ClientPath, _open, _workspace_dir, cli, run
from hudong.errors import HudongError


@cli.command()
@click.argument("directory", required=False, default="demo-workspace", type=ClientPath(file_okay=False))
@click.option("--scale", default=1.0, show_default=True, help="Data volume (1.0 ≈ 1M+ interactions).")
@click.option("--seed", default=7, show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--force", is_flag=True, help="Replace DIRECTORY if it exists.")
@click.option("--serve", "serve_after", is_flag=True,
              help="Then open the web app on it (creates an admin user if there is none).")
@click.option("--host", default=None, help="With --serve: interface to listen on [default: 127.0.0.1].")
@click.option("--port", default=None, type=int, help="With --serve: port [default: 8000].")
@click.option("--password-stdin", is_flag=True,
              help="With --serve: the new admin's password from the first line of stdin (else one is generated).")
def demo(directory: str, scale: float, seed: int, lang: str, force: bool, serve_after: bool, host: str | None,
         port: int | None, password_stdin: bool) -> None:
    """Generate a realistic sample brand workspace, import it, score it and write its report
    (--serve: then serve the web app on it)."""
    import shutil

    password = _demo_serve_options(serve_after, host, port, password_stdin)

    from hudong.analyses import memo
    from hudong.decide.scorecard import build_scorecard
    from hudong.demo import build
    from hudong.report import write_report
    from hudong.store.workspace import Workspace

    d = Path(directory)
    if d.exists() and any(d.iterdir()):
        if not force:
            raise HudongError(f"{d} exists; pass --force to replace it or choose another directory")
        shutil.rmtree(d)
    t0 = time.perf_counter()
    built = build(d, seed=seed, scale=scale, progress=sys.stderr.isatty())
    t1 = time.perf_counter()
    quarantined = sum(s.quarantined for s in built.summaries)
    ws = Workspace.open(built.path)
    try:
        n = ws.count("interactions")
        click.echo(f"workspace {d}: {ws.count('posts'):,} posts, {n:,} interactions, {ws.count('users'):,} users, "
                   f"{quarantined} quarantined ({len(built.files)} files imported in {t1 - t0:.1f} s)")
        with memo():  # the scorecard and both reports read the same analyses of data that no longer changes
            card = build_scorecard(ws)
            click.echo(card.to_text(lang) if hasattr(card, "to_text")
                       else json.dumps(card.to_dict(), ensure_ascii=False, default=str))
            paths = write_report(ws, d / "reports", lang=lang)
            for other in ("zh", "en"):
                if other != lang:
                    paths.update({f"{k}-{other}": v for k, v in write_report(ws, d / "reports", lang=other,
                                                                               formats=("html",)).items()})
    finally:
        ws.close()
    for kind, p in paths.items():
        click.echo(f"{kind}: {p}")
    click.echo(f"done in {time.perf_counter() - t0:.1f} s. Next: hudong -w {d} metrics")
    if serve_after:
        demo_admin(d, password)
        _serve(d, host or "127.0.0.1", port or 8000)


def _demo_serve_options(serve_after: bool, host: str | None, port: int | None, password_stdin: bool) -> str | None:
    """Check demo's --serve options before the build (which takes minutes); the --password-stdin password."""
    if not serve_after:
        given = [o for o, v in (("--host", host), ("--port", port), ("--password-stdin", password_stdin)) if v]
        if given:
            raise click.UsageError(f"{', '.join(given)} only go with --serve")
        return None
    if not password_stdin:
        return None
    from hudong.web.auth import check_password

    return check_password(sys.stdin.readline().rstrip("\r\n"))


def demo_admin(directory: Path, password: str | None) -> None:
    """Create the workspace's admin web user if it has none; print a generated password once."""
    from hudong.store.workspace import Workspace
    from hudong.web.auth import ensure_admin

    ws = Workspace.open(directory)
    try:
        setup = ensure_admin(ws.con, password=password)
    finally:
        ws.close()
    if not setup.created:
        click.echo(f"web admin: {setup.name} (exists; password unchanged)")
    elif setup.generated:
        click.echo(f"web admin: {setup.name}  password: {setup.generated}  (shown once; not stored in clear)")
    else:
        click.echo(f"web admin: {setup.name} (password from stdin)")


@cli.command()
@click.argument("directory", required=False, type=ClientPath(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--forwarded-allow-ips", default=None, metavar="IPS",
              help="Behind a TLS reverse proxy: the proxy addresses (comma-separated, or '*') whose X-Forwarded-Proto "
                   "and X-Forwarded-For are trusted (uvicorn; default 127.0.0.1 or $FORWARDED_ALLOW_IPS). Then "
                   "https requests get HSTS and Secure cookies, and throttling sees the real client address.")
@click.option("--proxy-headers/--no-proxy-headers", default=True, show_default=True,
              help="Read X-Forwarded-Proto / X-Forwarded-For from trusted proxies.")
@click.pass_context
def serve(ctx: click.Context, directory: str | None, host: str, port: int, forwarded_allow_ips: str | None,
          proxy_headers: bool) -> None:  # fmt: skip
    """Serve the web workspace (overview, engagement, reply inbox) and the REST API (/api, /openapi.json)."""
    d = Path(directory) if directory else _workspace_dir(ctx.obj.get("workspace"))
    _serve(d, host, port, forwarded_allow_ips=forwarded_allow_ips, proxy_headers=proxy_headers)


SHUTDOWN_GRACE = 3  # seconds `hudong serve` lets running requests finish after SIGTERM / Ctrl-C


def _serve(d: Path, host: str, port: int, *, forwarded_allow_ips: str | None = None, proxy_headers: bool = True
           ) -> None:  # fmt: skip
    """Run the web app on workspace ``d`` until interrupted (the app warms its cache in the background)."""
    import uvicorn

    from hudong.cli_remote import CommandServer
    from hudong.web.app import create_app

    app = create_app(d)
    commands = CommandServer(app.state.web, lambda argv: run(argv, remote=True))
    commands.start()  # `hudong …` beside the server: the commands run here (cli_remote)
    app.state.web.on_shutdown.append(commands.stop)
    click.echo(f"hudong web on http://{host}:{port}  (workspace {d}; add users with `hudong -w {d} user add NAME`)")
    # SIGTERM/Ctrl-C: requests still running get SHUTDOWN_GRACE seconds, the cache warming is interrupted
    # (web/warm.py stop_warming) and never waited for. uvicorn then re-raises the signal: SIGTERM ends the process
    # at once, SIGINT comes back as KeyboardInterrupt.
    code = 0
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=SHUTDOWN_GRACE,
                    proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips)
    except KeyboardInterrupt:
        code = 130
        raise
    finally:
        commands.stop()
        st = app.state.web
        if st.warm_thread is not None and st.warm_thread.is_alive() and not st.warm_finished:
            # The warming thread is still in a long step. Python's teardown must not run under it: a daemon thread
            # inside a DuckDB query aborts the interpreter's exit. Its work is a cache, nothing to save; the
            # workspace's committed writes are in DuckDB's write-ahead log.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


@cli.group()
def user() -> None:
    """Web users: add, list, disable, enable, remove, reset passwords, change roles, issue API tokens, read the
    security audit log (while `hudong serve` runs, these commands run in the server)."""


def _read_password(password_stdin: bool, confirm: bool = True) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=confirm)


@user.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "analyst", "responder", "viewer"]), default="viewer",
              show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Create a web user (the password is asked for, or read with --password-stdin)."""
    from hudong.web.auth import add_user

    password = _read_password(password_stdin)
    ws = _open(ctx)
    try:
        u = add_user(ws.con, name, role, password)
    finally:
        ws.close()
    click.echo(f"added user {u.name} ({u.role})")


@user.command(name="list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """List web users: name, role, API token, enabled or disabled."""
    from hudong.web.auth import list_users

    ws = _open(ctx)
    try:
        for u in list_users(ws.con):
            state = "disabled" if u["disabled"] else "enabled"
            click.echo(f"{u['name']}\t{u['role']}\t{'token' if u['has_token'] else '-'}\t{state}")
    finally:
        ws.close()


@user.command(name="token")
@click.argument("name")
@click.pass_context
def user_token(ctx: click.Context, name: str) -> None:
    """Issue a new API token for NAME (replaces the old one; shown once): Authorization: Bearer TOKEN."""
    from hudong.web.auth import new_token

    click.echo(_user_change(ctx, lambda con: new_token(con, name)))


def _user_change(ctx: click.Context, change: Callable[[Any], Any]) -> Any:
    ws = _open(ctx)
    try:
        return change(ws.con)
    finally:
        ws.close()


@user.command(name="disable")
@click.argument("name")
@click.pass_context
def user_disable(ctx: click.Context, name: str) -> None:
    """Disable NAME: no sign-in, no API token; every session of theirs ends (not the last enabled admin)."""
    from hudong.web.auth import disable_user

    ended = _user_change(ctx, lambda con: disable_user(con, name))
    click.echo(f"disabled user {name} ({ended} session(s) ended)")


@user.command(name="enable")
@click.argument("name")
@click.pass_context
def user_enable(ctx: click.Context, name: str) -> None:
    """Enable NAME again (they sign in anew: old sessions stay ended)."""
    from hudong.web.auth import enable_user

    _user_change(ctx, lambda con: enable_user(con, name))
    click.echo(f"enabled user {name}")


@user.command(name="remove")
@click.argument("name")
@click.pass_context
def user_remove(ctx: click.Context, name: str) -> None:
    """Remove NAME with their password, token and sessions (not the last enabled admin; their past inbox
    actions keep the name)."""
    from hudong.web.auth import remove_user

    _user_change(ctx, lambda con: remove_user(con, name))
    click.echo(f"removed user {name}")


@user.command(name="passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
@click.pass_context
def user_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Reset NAME's password (an admin's reset): read with --password-stdin, else a generated one is printed
    once. Every session of NAME ends."""
    from hudong.web.auth import set_password

    password = _read_password(True) if password_stdin else None
    generated = _user_change(ctx, lambda con: set_password(con, name, password))
    if generated:
        click.echo(f"user {name}  password: {generated}  (shown once; not stored in clear)")
    else:
        click.echo(f"password of {name} changed")


@user.command(name="role")
@click.argument("name")
@click.argument("role", type=click.Choice(["admin", "analyst", "responder", "viewer"]))
@click.pass_context
def user_role(ctx: click.Context, name: str, role: str) -> None:
    """Change NAME's role (the last enabled admin cannot be demoted)."""
    from hudong.web.auth import set_role

    _user_change(ctx, lambda con: set_role(con, name, role))
    click.echo(f"user {name} is now {role}")


@user.command(name="audit")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1_000_000),
              help="How many of the latest events.")
@click.option("--user", "user_name", default=None, help="Only events about this user.")
@click.pass_context
def user_audit(ctx: click.Context, limit: int, user_name: str | None) -> None:
    """The security audit log, newest first: sign-ins (ok, failed, lockout), sign-outs, password changes and
    resets, users added, disabled, enabled, removed, role changes, tokens issued."""
    from hudong.web.auth import list_events

    rows = _user_change(ctx, lambda con: list_events(con, limit=limit, user=user_name))
    click.echo("time (UTC)\tevent\tuser\tby\taddress\tdetail")
    for e in rows:
        click.echo("\t".join(str(e[k] or "-") for k in ("at", "event", "user_name", "actor", "client", "detail")))
