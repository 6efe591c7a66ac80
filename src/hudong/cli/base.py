"""The `hudong` command group and what its commands share: the workspace opener, options, ``run`` and ``main``.

Every command has --help. Errors are one line on stderr and a non-zero exit; set HUDONG_DEBUG=1
to see the traceback.

Each command imports what it runs inside its own function (the package docstring says why).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import click

from hudong.errors import HudongError

WORKSPACE_HELP = "Workspace directory (default: $HUDONG_WORKSPACE or the current directory)."


def _workspace_dir(value: str | None) -> Path:
    return Path(value or os.environ.get("HUDONG_WORKSPACE") or ".")


class ClientPath(click.Path):
    """A path argument: relative to the working directory of whoever typed the command (in the server too, when
    `hudong serve` runs the command for a client: ``cli_remote``)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(_client_path(value), param, ctx)


def _client_path(value: Any) -> Any:
    from hudong.cli_remote import CLIENT_CWD

    cwd = CLIENT_CWD.get()
    if cwd and isinstance(value, str) and value and not os.path.isabs(value) and "://" not in value:
        return os.path.join(cwd, value)
    return value


def _client_path_or_name(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An option that is a name or a path (``--as FORMAT``): a path if it names a file in the client's directory."""
    if value is None:
        return value
    candidate = _client_path(value)
    return candidate if candidate is not value and os.path.exists(candidate) else value


def _open(ctx: click.Context, read_only: bool = False):
    """The command's workspace. While `hudong serve` holds it, the command goes to the server (``cli_remote``);
    while another command holds it, this one waits (``HUDONG_LOCK_WAIT`` seconds, default 600)."""
    from hudong import cli_remote
    from hudong.store.workspace import Workspace, WorkspaceLocked

    borrowed = cli_remote.SERVER_WORKSPACE.get()
    if borrowed is not None:  # running inside the server for a client
        return borrowed()
    d = _workspace_dir(ctx.obj.get("workspace"))
    server = cli_remote.find_server(d)
    if server is not None:
        raise cli_remote.Delegate(*server)

    def waiting(e: WorkspaceLocked) -> None:
        who = f"process {e.pid}" + (f" ({e.holder})" if e.holder else "") if e.pid else "another process"
        click.echo(f"waiting for the workspace: {who} holds it …", err=True)

    try:
        return Workspace.open(d, read_only=read_only, wait=float(os.environ.get("HUDONG_LOCK_WAIT", "600")),
                              on_wait=waiting)  # fmt: skip
    except WorkspaceLocked:
        server = cli_remote.find_server(d)  # a server may have started meanwhile
        if server is not None:
            raise cli_remote.Delegate(*server) from None
        raise


def progress_option(f):
    """--progress/--no-progress: a progress bar on stderr (default: when stderr is a terminal)."""
    return click.option("--progress/--no-progress", "show_progress", default=None,
                        help="Show a progress bar on stderr (default: on a terminal).")(f)  # fmt: skip


def _bar(description: str, total: int | None, show: bool | None):
    """The command's progress bar (``hudong.progress``): a Step callback, a no-op when piped or --no-progress."""
    from hudong.progress import progress

    return progress(description, total, enabled=show)


def _split(values: str | None) -> list[str]:
    return [v.strip() for v in (values or "").split(",") if v.strip()]


class Commands(click.Group):
    """hudong's commands, then those plugins add (entry point group ``hudong.cli``: a click command or group
    each, loaded when listed or called; a plugin cannot replace a built-in command)."""

    def _plugins(self) -> dict[str, click.Command]:
        from hudong import plugins

        found = {}
        for ep in plugins.points("hudong.cli"):
            if ep.name in self.commands:
                continue
            cmd = plugins.load(ep)
            if not isinstance(cmd, click.Command):
                raise HudongError(f"plugin hudong.cli:{ep.name} ({ep.value}) is not a click command")
            found[ep.name] = cmd
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *sorted(self._plugins())]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or self._plugins().get(name)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("-w", "--workspace", metavar="DIR", help=WORKSPACE_HELP)
@click.version_option(package_name="hudong")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None) -> None:
    """互动 hudong — social-media operations and analytics you can host yourself.

    \b
    Start with:   hudong demo            (a sample workspace, its scorecard and report)
    Your data:    hudong init DIR; hudong -w DIR import FILE --as FORMAT
    Measure:      hudong -w DIR metrics; hudong -w DIR scorecard; hudong -w DIR report
    """
    ctx.ensure_object(dict)
    ctx.obj["workspace"] = workspace


def _print_table(df, title: str = "", empty_note: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in df.columns:
        table.add_column(str(col), justify="right" if df[col].dtype.kind in "iuf" else "left")
    for row in df.itertuples(index=False):
        table.add_row(*[_fmt(v) for v in row])
    Console().print(table)
    if df.empty or empty_note:
        click.echo(empty_note or "(no rows)")


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.4g}"
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d") if getattr(v, "hour", 0) == 0 and getattr(v, "minute", 0) == 0 else str(v)
    return "" if v is None else str(v)


def _analysis(ctx: click.Context, name: str, show_progress: bool | None, **params: Any) -> Any:
    """Run the registered analysis ``name`` on the workspace (read-only), with a progress bar; notes go to stderr."""
    from hudong import analyses

    ws = _open(ctx, read_only=True)
    try:
        with _bar(name, analyses.get(name).steps, show_progress) as step:
            res = analyses.run(ws, name, progress=step, **params)
    finally:
        ws.close()
    for note in res.notes:
        click.echo(note, err=True)
    return res


def _by() -> str:
    return os.environ.get("USER", "cli")


def run(argv: list[str] | None = None, *, remote: bool = False) -> int:
    """Run one command line; its exit code. ``remote``: inside `hudong serve` for a client (never re-delegated,
    tracebacks go to the client)."""
    from hudong.cli_remote import Delegate, run_remote

    args = sys.argv[1:] if argv is None else argv
    if not remote and "--password-stdin" in args and not sys.stdin.isatty():
        sys.stdin = io.StringIO(sys.stdin.read())  # kept: a command sent to the server takes it along
    try:
        code = cli.main(args=argv, prog_name="hudong", standalone_mode=False)
        return code if isinstance(code, int) else 0  # ctx.exit(n): click returns n here instead of raising
    except Delegate as d:
        if remote:
            raise HudongError("the server cannot send a command to itself") from None
        if isinstance(sys.stdin, io.StringIO):
            sys.stdin.seek(0)
        return run_remote(d, args)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except HudongError as e:
        click.echo(f"error: {e}", err=True)
        return 1
    except Exception as e:  # noqa: BLE001 - a user sees one line; HUDONG_DEBUG shows the rest
        if os.environ.get("HUDONG_DEBUG") and not remote:
            raise
        click.echo(f"error: {type(e).__name__}: {e} (set HUDONG_DEBUG=1 for details)", err=True)
        return 2


def main() -> None:
    sys.exit(run())
