"""The `hudong` command line: a thin layer over the Python API.

Every command has --help. Errors are one line on stderr and a non-zero exit; set HUDONG_DEBUG=1
to see the traceback.

Each command imports what it runs inside its own function: importing every analysis (pandas, igraph, jieba,
scikit-learn, FastAPI …) takes about 2 s, which `hudong --help` and a quick `hudong imports` should not pay. These
are the only function-local imports that cross packages; there is no import cycle to dodge (`lint-imports`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
import time
from collections.abc import Callable
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


def engine_options(f):
    """--engine / --spark-master: compute on DuckDB (default) or Spark over the workspace's Parquet lake."""
    f = click.option("--spark-master", metavar="URL", help="Spark master, e.g. spark://host:7077 (default: local[2]).")(f)
    return click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
                        help="Engine (default: the workspace's `engine` setting).")(f)  # fmt: skip


def _open_on_engine(ctx: click.Context, engine: str | None, spark_master: str | None):
    from hudong.store.engines import use_engine

    ws = _open(ctx, read_only=True)
    try:
        use_engine(ws, engine, spark_master=spark_master)
    except BaseException:
        ws.close()
        raise
    return ws


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


# ---- workspace ------------------------------------------------------------------------------------
ACCOUNT_FORMAT = "PLATFORM:ID[:NAME]"


def _parse_account(value: str) -> tuple[str, str, str]:
    """"weibo:12345:山茶社官方" → (platform, account id, name); the name may contain colons."""
    parts = [p.strip() for p in value.split(":", 2)]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise HudongError(f"--account {value!r}: use {ACCOUNT_FORMAT}, e.g. weibo:12345:山茶社官方")
    return parts[0].lower(), parts[1], parts[2] if len(parts) > 2 else ""


def _split_aliases(text: str) -> list[str]:
    import re

    return [a.strip() for a in re.split(r"[,，、;；]", text or "") if a.strip()]


def _ask_setup(lang: str) -> tuple[str, list[str], list[tuple[str, str, str]]]:
    """Ask for the brand, its aliases and the own accounts (one per line, empty line to finish)."""
    zh = lang == "zh"
    brand = click.prompt("品牌名称（如 山茶社；直接回车跳过）" if zh else "Brand name (e.g. 山茶社; Enter to skip)",
                         default="", show_default=False).strip()  # fmt: skip
    aliases = _split_aliases(click.prompt("别名（逗号分隔，可跳过）" if zh else "Aliases (comma-separated, optional)",
                                          default="", show_default=False))  # fmt: skip
    accounts: list[tuple[str, str, str]] = []
    ask = (f"自有账号 {ACCOUNT_FORMAT}，如 weibo:12345:山茶社官方（空行结束）" if zh
           else f"Own account {ACCOUNT_FORMAT}, e.g. weibo:12345:山茶社官方 (empty line to finish)")  # fmt: skip
    while True:
        line = click.prompt(ask, default="", show_default=False).strip()
        if not line:
            return brand, aliases, accounts
        try:
            accounts.append(_parse_account(line))
        except HudongError as e:
            click.echo(str(e), err=True)


def _import_own_accounts(ws, accounts: list[tuple[str, str, str]], brand: str) -> str:
    """Write the accounts as a generic-accounts CSV in the workspace and import it through the normal import path
    (keyed upsert, import history, quarantine); returns the import summary."""
    import csv

    from hudong.ingest import import_file

    folder = ws.path / "imports"
    folder.mkdir(exist_ok=True)
    path = folder / f"own-accounts-{dt.datetime.now():%Y%m%d-%H%M%S}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["platform", "account_id", "name", "brand", "is_own"])
        for platform, account_id, name in accounts:
            w.writerow([platform, account_id, name or brand, brand, "true"])
    return str(import_file(ws, path, "generic-accounts"))


def _next_steps(ws, lang: str, has_accounts: bool) -> str:
    d = ws.path
    zh = lang == "zh"
    steps = [] if has_accounts else [
        (f"导入账号文件（自有账号 is_own=true，竞品 is_own=false）：hudong -w {d} import accounts.csv --as generic-accounts"
         if zh else f"import your accounts (yours with is_own=true, competitors' with is_own=false): "
                    f"hudong -w {d} import accounts.csv --as generic-accounts"),
    ]  # fmt: skip
    steps += [
        (f"导入各平台导出的数据：hudong -w {d} import FILE --as FORMAT（格式：hudong formats）" if zh
         else f"import the platforms' exports: hudong -w {d} import FILE --as FORMAT (formats: hudong formats)"),
        (f"查看每项评分证据还缺什么：hudong -w {d} status" if zh
         else f"see what each scorecard item still needs: hudong -w {d} status"),
    ]  # fmt: skip
    head = "下一步：" if zh else "Next steps:"
    return "\n".join([head] + [f"  {i}. {s}" for i, s in enumerate(steps, 1)])


@cli.command()
@click.argument("directory", type=ClientPath(file_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Report/UI language.")
@click.option("--name", help="Workspace name (default: the directory name).")
@click.option("--lake", metavar="PATH", help="Also keep the tables as a partitioned Parquet lake at PATH (for Spark).")
@click.option("--brand", help="Your brand's name ([brand] name in hudong.toml; share of voice and mentions need it).")
@click.option("--alias", "aliases", multiple=True, help="Another name people use for the brand (repeatable).")
@click.option("--account", "accounts", multiple=True, metavar=ACCOUNT_FORMAT,
              help="An own account, e.g. weibo:12345:山茶社官方 (repeatable); imported as generic-accounts, is_own=true.")
@click.option("--interactive/--no-interactive", default=None,
              help="Ask for the brand, aliases and own accounts (default: when run on a terminal without them).")
def init(directory: str, lang: str, name: str | None, lake: str | None, brand: str | None, aliases: tuple[str, ...],
         accounts: tuple[str, ...], interactive: bool | None) -> None:
    """Create a workspace: a DuckDB store, a config file (hudong.toml) and a pseudonym key.

    \b
    On a terminal it asks for the brand, its aliases and the own accounts; or give them as options:
      hudong init mybrand --brand 山茶社 --alias "Camellia Tea" --account weibo:12345:山茶社官方
    On an existing workspace, --brand/--alias/--account (or --interactive) add them to it.
    """
    from hudong.store.lake import enable_lake, export_lake
    from hudong.store.workspace import DB_NAME, Workspace

    parsed = [_parse_account(a) for a in accounts]  # a bad account fails before anything is written
    given = bool(brand or aliases or parsed)
    if interactive is None:
        interactive = sys.stdin.isatty() and not given
    exists = (Path(directory) / DB_NAME).exists()
    if exists and not (given or interactive):
        raise HudongError(f"{directory} is already a hudong workspace (found {DB_NAME}); "
                          "add the brand or own accounts with --brand/--alias/--account")  # fmt: skip
    if interactive:
        asked_brand, asked_aliases, asked_accounts = _ask_setup(lang)
        brand, aliases, parsed = brand or asked_brand, tuple(aliases) or tuple(asked_aliases), parsed or asked_accounts
    alias_list = [a for raw in aliases for a in _split_aliases(raw)]
    if exists:
        ws = Workspace.open(directory)
        if brand or alias_list:
            ws.set_brand(brand or None, alias_list or None)
        lang = str(ws.setting("language", lang))
    else:
        ws = Workspace.init(directory, name=name, language=lang, brand=brand or "", aliases=alias_list)
    try:
        if lake:
            enable_lake(ws, lake)
            export_lake(ws, lake)
            click.echo(f"lake: {lake} (imports keep it in step)")
        if exists:
            click.echo(f"updated workspace {ws.path}")
        else:
            click.echo(f"created workspace {ws.path} (schema v{ws.schema_version}); edit {ws.path / 'hudong.toml'} to "
                       "set your brand, business hours and privacy options.")  # fmt: skip
        shown = str(ws.setting("brand.name", "") or "")
        if shown or alias_list:
            click.echo(f"brand: {shown or '-'}" + (f" (aliases: {', '.join(alias_list)})" if alias_list else ""))
        if parsed:
            click.echo(_import_own_accounts(ws, parsed, str(ws.setting("brand.name", "") or "")))
        has_accounts = bool(ws.con.execute("SELECT count(*) FROM accounts WHERE is_own").fetchone()[0])
        click.echo(_next_steps(ws, lang, has_accounts))
    finally:
        ws.close()


@cli.command()
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language (default: the workspace's).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--quick", is_flag=True, help="Only check what the evidence needs (fast); do not compute the scorecard.")
@click.option("--self-assessment", type=ClientPath(dir_okay=False, exists=True), help="TOML answers (strategy, organization).")
@click.pass_context
def status(ctx: click.Context, lang: str | None, as_json: bool, quick: bool, self_assessment: str | None) -> None:
    """What the workspace has and still needs: rows per table, brand, own accounts, business hours, and for each
    scorecard dimension and evidence item whether it can be computed — if not, what is missing and how to supply it."""
    from hudong.decide.status import build_status

    ws = _open(ctx, read_only=True)
    try:
        st = build_status(ws, compute=not quick, self_assessment=Path(self_assessment) if self_assessment else None)
        lang = lang or ws.setting("language", "zh")
    finally:
        ws.close()
    click.echo(st.to_json() if as_json else st.to_text(lang))


@cli.command()
@click.option("--lake", metavar="PATH", required=True, callback=lambda c, p, v: _client_path(v),
              help="Directory (or object-store URL) of the Parquet lake.")
@click.option("--keep/--no-keep", default=True, show_default=True, help="Record the lake in hudong.toml so imports update it.")
@click.pass_context
def export(ctx: click.Context, lake: str, keep: bool) -> None:
    """Export the workspace's tables to a Parquet lake partitioned by platform and month (incremental)."""
    from hudong.store.lake import enable_lake, export_lake

    ws = _open(ctx)
    try:
        rows = export_lake(ws, lake, prune=True)
        if keep:
            enable_lake(ws, lake)
    finally:
        ws.close()
    click.echo(f"lake {lake}: " + ", ".join(f"{t}={n:,}" for t, n in rows.items()))


@cli.command()
@click.option("--markdown", is_flag=True, help="Print the schema as Markdown (as in docs/schema.md).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
def schema(markdown: bool, lang: str) -> None:
    """Show the unified schema: tables, columns, types, keys."""
    from hudong.store import schema as S

    if markdown:
        click.echo(S.markdown(lang))
        return
    for t in S.TABLES.values():
        click.echo(f"{t.name}  key=({', '.join(t.key)})  — {t.en if lang == 'en' else t.zh}")
        for c in t.all_columns:
            flag = "*" if not c.nullable else " "
            click.echo(f"   {flag} {c.name:<18} {c.type:<10} {c.en if lang == 'en' else c.zh}")


# ---- ingest ---------------------------------------------------------------------------------------
@cli.command(name="import")
@click.argument("files", nargs=-1, required=True, type=ClientPath(dir_okay=False))
@click.option("--as", "fmt", required=True, metavar="FORMAT", callback=_client_path_or_name,
              help="Format name (see `hudong formats`) or a mapping file.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: on a terminal).")
@click.option("--score/--no-score", default=True, show_default=True,
              help="Then score the new and edited texts (sentiment, emotion, toxicity), as `hudong text score`.")
@click.pass_context
def import_(ctx: click.Context, files: tuple[str, ...], fmt: str, progress: bool | None, score: bool) -> None:
    """Import export files (CSV/TSV/JSON/JSONL/XLSX/Parquet, optionally .gz/.xz) into the workspace.

    Rows are keyed by (platform, id): importing the same file twice changes nothing. Rows that fail
    validation are quarantined with file, row, column and reason (see `hudong quarantine`). Then the texts the
    files brought are scored with the workspace's models (--no-score: later, with `hudong text score`).
    """
    from hudong.analyses.scoring import import_and_score

    for f in files:
        if not Path(f).exists():
            raise HudongError(f"{f}: no such file")
    ws = _open(ctx)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        res = import_and_score(ws, [(f, fmt) for f in files], score=score, progress=show,
                               on_file=lambda _, summary: click.echo(str(summary)))  # fmt: skip
    finally:
        ws.close()
    if res.scored is not None:
        s = res.scored
        click.echo(f"scored {s.rows:,} new or edited texts in {s.seconds:.1f} s ({s.unchanged:,} unchanged)")
    if res.score_error:
        click.echo(f"warning: the texts were imported but not scored ({res.score_error}); run `hudong text score`",
                   err=True)


@cli.command()
def formats() -> None:
    """List the import formats (mapping files): built in, generic and from plugins."""
    from hudong.ingest import list_formats, load_mapping

    for name in list_formats():
        m = load_mapping(name)
        click.echo(f"{name:<28} {getattr(m, 'description', '')}")


@cli.command()
@click.option("--batch", help="Only this import batch.")
@click.option("--limit", default=50, show_default=True)
@click.pass_context
def quarantine(ctx: click.Context, batch: str | None, limit: int) -> None:
    """Show quarantined rows: file, row, column and why."""
    from hudong.ingest.history import quarantined

    ws = _open(ctx, read_only=True)
    try:
        total, rows = quarantined(ws.con, batch, limit=limit)
    finally:
        ws.close()
    for r in rows:
        click.echo(f"{r['file']}:{r['row']}  column={r['column'] or '-'}  {r['reason']}  (batch {r['batch_id']})")
    click.echo(f"{total} quarantined row(s)" + (f", first {len(rows)} shown" if total > len(rows) else ""))


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


@cli.command()
@click.pass_context
def imports(ctx: click.Context) -> None:
    """Import history: each batch with its counts and status."""
    from hudong.ingest.history import batches

    ws = _open(ctx, read_only=True)
    try:
        rows = batches(ws.con)
    finally:
        ws.close()
    for r in rows:
        click.echo(f"{r['started_at']:%Y-%m-%d %H:%M}  {r['status']:<6} {r['importer']:<24} read={r['rows_read']} "
                   f"stored={r['rows_stored']} updated={r['rows_updated']} unchanged={r['rows_unchanged']} "
                   f"quarantined={r['rows_quarantined']}  {r['source_file']}  ({r['batch_id']})")


@cli.command()
@click.argument("user")
@click.option("--platform", help="Platform of the user id (hashes a raw id for it; default: every platform).")
@click.option("--dry-run", is_flag=True, help="List what would be erased, change nothing.")
@click.pass_context
def forget(ctx: click.Context, user: str, platform: str | None, dry_run: bool) -> None:
    """Erase a person everywhere (raw platform id or pseudonym): their rows in every table, scores and labels of
    their texts, quarantined rows, uploads and reports that held them, the lake. See docs/privacy.md."""
    from hudong.ingest.erasure import forget as forget_user

    ws = _open(ctx, read_only=dry_run)
    try:
        result = forget_user(ws, user, platform=platform, dry_run=dry_run)
    finally:
        ws.close()
    click.echo("\n".join(result.lines()))


# ---- measure --------------------------------------------------------------------------------------
@cli.command()
@click.argument("name", required=False)
@click.option("--by", default="", metavar="DIMS", help="Comma-separated dimensions, e.g. platform,week.")
@click.option("--start", metavar="DATE", help="From this date (inclusive).")
@click.option("--end", metavar="DATE", help="Up to this date (exclusive).")
@click.option("--platform", help="Only these platforms (comma-separated).")
@click.option("--account", help="Only these accounts (comma-separated).")
@click.option("--campaign", help="Only these campaigns (comma-separated).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
@engine_options
@click.pass_context
def metrics(ctx: click.Context, name: str | None, by: str, start: str | None, end: str | None, platform: str | None,
            account: str | None, campaign: str | None, fmt: str, lang: str, engine: str | None,
            spark_master: str | None) -> None:
    """Compute a metric (grouped --by dimensions), or list the metrics when NAME is omitted."""
    from hudong.metrics import frame as metric_frame
    from hudong.metrics import list_metrics
    from hudong.metrics.registry import REGISTRY

    if not name:
        for m in list_metrics():
            meta = REGISTRY[m] if isinstance(m, str) else m
            label = meta.label_zh if lang == "zh" else meta.label_en
            click.echo(f"{meta.name:<36} {label}  [{meta.unit}; by: {', '.join(meta.dimensions) or '-'}]")
        return
    filters = {k: v for k, v in {"start": start, "end": end}.items() if v}
    for key, value in (("platform", platform), ("account", account), ("campaign", campaign)):
        if value:
            vals = _split(value)
            filters[key] = vals if len(vals) > 1 else vals[0]
    ws = _open_on_engine(ctx, engine, spark_master)
    try:
        df = metric_frame(ws, name, by=_split(by), **filters)
        empty = _empty_note(ws, name, filters, lang) if df.empty or df["value"].dropna().empty else ""
    finally:
        ws.close()
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(df.to_json(orient="records", date_format="iso", force_ascii=False))
    else:
        _print_table(df, title=_metric_title(name, lang), empty_note=empty)
    if empty and fmt != "table":
        click.echo(empty, err=True)


def _empty_note(ws, name: str, filters: dict, lang: str) -> str:
    """Why a measure has no values: what is missing and how to supply it (the scorecard's requirements)."""
    from hudong.decide.evidence import MetricCache, explain_empty

    cache = MetricCache(ws, start=filters.get("start"), end=filters.get("end"))
    why = explain_empty(cache, name, filtered=any(k in filters for k in ("platform", "account", "campaign")))
    how = why.how(lang)
    return f"({why.text(lang)}" + (f"; {how}" if how and lang == "en" else f"；{how}" if how else "") + ")"


def _metric_title(name: str, lang: str) -> str:
    from hudong.metrics.registry import REGISTRY

    m = REGISTRY.get(name)
    if m is None:
        return name
    return f"{m.label_zh if lang == 'zh' else m.label_en} ({name}) — {m.formula}"


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


@cli.command()
@click.option("--top", default=20, show_default=True, help="Show the N largest cascades.")
@click.option("--platform", help="Only these platforms (comma-separated).")
@progress_option
@click.pass_context
def cascades(ctx: click.Context, top: int, platform: str | None, show_progress: bool | None) -> None:
    """Repost cascades: size (unique users), depth, max breadth, structural virality, growth and data repairs."""
    res = _analysis(ctx, "cascades", show_progress, platform=_split(platform) or None)
    df = res.frame("cascades")
    # Short headers so the table fits a terminal; the full frame is analyses.run(ws, "cascades").frame("cascades").
    cols = {"platform": "platform", "root_post_id": "root post", "size": "users", "n_posts": "posts", "depth": "depth",
            "max_breadth": "breadth", "structural_virality": "virality", "t_users_10": "t10 min",
            "half_life": "half-life min", "several_parents": "multi-parent", "missing_parents": "orphans"}
    _print_table(df[list(cols)].head(top).rename(columns=cols),
                 title=f"cascades: {len(df):,} (times in minutes since the root post)")  # fmt: skip


@cli.command()
@click.option("--interval", default="auto", show_default=True,
              help="Coordination interval in seconds, or auto (estimated per kind as CooRnet does).")
@click.option("--min-repetition", default=2, show_default=True, type=click.IntRange(min=1),
              help="Co-shares a pair needs (CooRTweet min_participation).")
@click.option("--platform", help="Only these platforms (comma-separated).")
@progress_option
@click.pass_context
def coordination(ctx: click.Context, interval: str, min_repetition: int, platform: str | None,
                 show_progress: bool | None) -> None:  # fmt: skip
    """Coordinated co-sharing groups with evidence, bot-like accounts, and KPIs raw vs adjusted (flagged excluded)."""
    if interval != "auto":
        try:
            seconds: float | None = float(interval)
        except ValueError:
            raise HudongError(f"--interval must be auto or a number of seconds, got {interval!r}") from None
    else:
        seconds = None
    res = _analysis(ctx, "coordination", show_progress, interval=seconds, min_repetition=min_repetition,
                    platform=_split(platform) or None)  # fmt: skip
    groups, ev, bots, kpis = (res.frame(n) for n in ("groups", "evidence", "bots", "kpis"))
    ivs = ", ".join(f"{k} {v:,.0f} s" for k, v in res.values["interval"].items())
    _print_table(groups[["group", "platform", "n_accounts", "items", "evidence"]],
                 title=f"coordinated groups: {len(groups):,} (interval {ivs}; edge ≥ {res.values['edge_threshold']:g})")
    ev = ev.assign(ts=ev["ts"].astype(str))
    _print_table(ev.head(40), title=f"evidence (first 40 of {len(ev):,} shares; full: frame 'evidence')")
    b = bots[bots["bot_like"]]
    _print_table(b[["platform", "user_id", "n_actions", "burstiness", "hour_entropy", "fast_share"]],
                 title=f"bot-like timing: {len(b):,} accounts")
    _print_table(kpis, title=f"KPIs raw vs adjusted ({len(res.frame('flagged')):,} flagged accounts excluded)")


@cli.command()
@click.option("--top", default=20, show_default=True, help="Show the N best candidates.")
@progress_option
@click.pass_context
def koc(ctx: click.Context, top: int, show_progress: bool | None) -> None:
    """KOC candidates: nano/micro tier, engagement above peers, customer evidence; ranked by reshares triggered."""
    res = _analysis(ctx, "koc", show_progress)
    df = res.frame("candidates")
    cols = ["platform", "user_id", "koc_score", "evidence"]
    _print_table(df[cols].head(top), title=f"KOC candidates: {len(df):,} (see docs/propagation.md)")


@cli.command()
@click.option("--top", default=10, show_default=True, help="Community KOCs and answer pairs shown per group.")
@click.option("--platform", help="Only these platforms (comma-separated: wechat, qq).")
@click.option("--group", "group_", help="Only these groups (comma-separated names or ids).")
@click.option("--start", help="From this date (YYYY-MM-DD).")
@click.option("--end", help="To this date, inclusive.")
@progress_option
@click.pass_context
def groups(ctx: click.Context, top: int, platform: str | None, group_: str | None, start: str | None,
           end: str | None, show_progress: bool | None) -> None:  # fmt: skip
    """Group chats (WeChat/QQ groups) as communities: activity, peer answers, newcomers, dormant members, KOCs."""
    res = _analysis(ctx, "groups", show_progress, top=top, platform=_split(platform) or None,
                    group=_split(group_) or None, start=start, end=end)  # fmt: skip
    df = res.frame("groups")
    if df.empty:
        click.echo("no group chats imported: `hudong import chat.txt --as wechat-group-chat` (or qq-group-chat)")
        return
    cols = {"platform": "platform", "group": "group", "members": "members", "messages": "messages",
            "active_weekly": "active/wk", "top10_share": "top 10%", "peer_answers": "peer answers",
            "newcomer_minutes": "newcomer 1st answer min", "newcomer_retention": "newcomer wk-4",
            "dormant": "dormant"}  # fmt: skip
    _print_table(df[list(cols)].rename(columns=cols), title=f"group chats: {len(df):,} (docs/communities.md)")
    _print_table(res.frame("answerers"), title="community KOCs: members who answer other members most")
    _print_table(res.frame("pairs"), title="who answers whom (member → member)")


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


# ---- forecast / rumour (models trained at run time from the user's copy of the research data) ---------------
CORPUS_HELP = "Training corpus: twitter15, twitter16 (size forecast only: no labels shipped) or ced."
DATA_HELP = "Folder holding twitter15_16_propagation/ and/or weibo_ced_rumor_cascades/ (or one of them)."


def _model_path(ctx: click.Context, name: str) -> Path:
    from hudong.store.workspace import MODELS_DIR

    return _workspace_dir(ctx.obj.get("workspace")) / MODELS_DIR / name


@cli.group()
def plan() -> None:
    """The content calendar: plan posts, check them against the platform's rules, submit, approve, schedule, mark
    published; festivals and shopping days beside the plan (docs/calendar.md)."""


def _plan_line(it: dict[str, Any]) -> str:
    when = f"{it['scheduled_at']:%Y-%m-%d %H:%M}" if it.get("scheduled_at") else "unscheduled     "
    text = (it.get("title") or it.get("text") or "").replace("\n", " ")[:50]
    slot = f" (repeats {it['recurrence']})" if it.get("recurrence") else ""
    return f"{it['item_id']}  {when}  {it['platform']:<11} {it['state']:<10} {it.get('owner') or '-':<8} {text}{slot}"


def _plan_show(it: dict[str, Any]) -> None:
    click.echo(_plan_line(it))
    for p in it.get("problems") or []:
        click.echo(f"  ! {p['zh']} / {p['en']}")


@plan.command(name="add")
@click.option("--platform", required=True, help="weibo, wechat, xiaohongshu, douyin, bluesky, mastodon …")
@click.option("--text", help="The post's text.")
@click.option("--title", help="Title (小红书, WeChat articles) or a working title.")
@click.option("--at", "at", help="When it should go out (YYYY-MM-DD HH:MM, workspace time).")
@click.option("--owner", help="Who is responsible.")
@click.option("--account", "account_id", help="The own account it is for.")
@click.option("--campaign", "campaign_id", help="Campaign id.")
@click.option("--type", "content_type", help="text, image, video, article, link, live …")
@click.option("--topics", help="Topic tags, comma-separated.")
@click.option("--segment", help="Target segment.")
@click.option("--images", default=0, show_default=True, help="Images attached.")
@click.option("--repeat", "recurrence", type=click.Choice(["weekly", "monthly"]), help="A recurring slot.")
@click.option("--draft", is_flag=True, help="Start as a draft (default: an idea).")
@click.option("--by", default=lambda: os.environ.get("USER", "cli"), show_default="$USER", help="Who plans it.")
@click.pass_context
def plan_add(ctx: click.Context, platform: str, text: str | None, title: str | None, at: str | None, draft: bool,
             by: str, **fields: Any) -> None:  # fmt: skip
    """Plan a post; what breaks the platform's rules is shown at once."""
    from hudong.plan import items

    ws = _open(ctx)
    try:
        it = items.create(ws, platform=platform, by=by, text=text, title=title, scheduled_at=at,
                          state="draft" if draft else "idea", **{k: v for k, v in fields.items() if v not in (None, "")})
    finally:
        ws.close()
    _plan_show(it)


@plan.command(name="list")
@click.option("--from", "start", help="From this date (default: today).")
@click.option("--to", "end", help="To this date, inclusive (default: 30 days on).")
@click.option("--platform", help="Only these platforms (comma-separated).")
@click.option("--state", help="Only these states (comma-separated).")
@click.option("--festivals/--no-festivals", default=True, show_default=True, help="Show festivals and shopping days.")
@click.pass_context
def plan_list(ctx: click.Context, start: str | None, end: str | None, platform: str | None, state: str | None,
              festivals: bool) -> None:  # fmt: skip
    """The plan between two dates (recurring slots repeated), unscheduled ideas last, with the festivals."""
    from hudong.plan import festivals as F
    from hudong.plan import items

    lo = dt.date.fromisoformat(start) if start else dt.date.today()
    hi = dt.date.fromisoformat(end) if end else lo + dt.timedelta(days=30)
    ws = _open(ctx, read_only=True)
    try:
        rows = items.listing(ws, lo, hi, platform=_split(platform), state=_split(state))
    finally:
        ws.close()
    marks = {d.date: d for d in F.between(lo, hi)} if festivals else {}
    shown: set[Any] = set()
    for it in rows:
        day = it["scheduled_at"].date() if it.get("scheduled_at") else None
        for d in sorted(k for k in marks if k not in shown and (day is None or k <= day)):
            click.echo(f"                {d}  ★ {marks[d].zh} {marks[d].en}")
            shown.add(d)
        click.echo(_plan_line(it))
    for d in sorted(k for k in marks if k not in shown):
        click.echo(f"                {d}  ★ {marks[d].zh} {marks[d].en}")
    if not rows:
        click.echo("nothing planned in this range: `hudong plan add --platform weibo --text … --at …`")


@plan.command(name="show")
@click.argument("item_id")
@click.pass_context
def plan_show(ctx: click.Context, item_id: str) -> None:
    """One plan item with its problems and its log."""
    from hudong.plan import items

    ws = _open(ctx, read_only=True)
    try:
        it = items.get(ws, item_id)
    except LookupError as e:
        raise HudongError(str(e)) from None
    finally:
        ws.close()
    _plan_show(it)
    if it.get("text"):
        click.echo("  " + it["text"].replace("\n", "\n  "))
    for e in it["events"]:
        click.echo(f"  {e['at']:%Y-%m-%d %H:%M}  {e['by']:<8} {e['action']:<10} {e['from_state'] or '':>9} → "
                   f"{e['to_state'] or ''}  {e['note'] or ''}")


@plan.command(name="edit")
@click.argument("item_id")
@click.option("--text")
@click.option("--title")
@click.option("--owner")
@click.option("--images", type=int)
@click.option("--topics")
@click.option("--by", default=lambda: os.environ.get("USER", "cli"), show_default="$USER")
@click.pass_context
def plan_edit(ctx: click.Context, item_id: str, by: str, **fields: Any) -> None:
    """Change an item (an approved or scheduled one goes back to draft when its content changes)."""
    from hudong.plan import items

    ws = _open(ctx)
    try:
        it = items.edit(ws, item_id, by, **{k: v for k, v in fields.items() if v is not None})
    finally:
        ws.close()
    _plan_show(it)


@plan.command(name="move")
@click.argument("item_id")
@click.argument("when")
@click.option("--by", default=lambda: os.environ.get("USER", "cli"), show_default="$USER")
@click.pass_context
def plan_move(ctx: click.Context, item_id: str, when: str, by: str) -> None:
    """Reschedule an item to WHEN (YYYY-MM-DD HH:MM)."""
    from hudong.plan import items

    ws = _open(ctx)
    try:
        it = items.move(ws, item_id, by, when)
    finally:
        ws.close()
    _plan_show(it)


@plan.command(name="do")
@click.argument("item_id")
@click.argument("action", type=click.Choice(["submit", "approve", "reject", "schedule", "unschedule", "published",
                                              "missed", "failed", "reopen", "comment"]))
@click.option("--note", help="Why (a rejection needs one) or the comment.")
@click.option("--url", help="The published post's link (published).")
@click.option("--at", "at", help="The time (schedule, published).")
@click.option("--by", default=lambda: os.environ.get("USER", "cli"), show_default="$USER")
@click.pass_context
def plan_do(ctx: click.Context, item_id: str, action: str, note: str | None, url: str | None, at: str | None,
            by: str) -> None:  # fmt: skip
    """Move an item on: submit, approve, reject, schedule, unschedule, published (with --url), missed, failed,
    reopen; or comment. The command line acts with the admin role."""
    from hudong.plan import items

    ws = _open(ctx)
    try:
        it = items.act(ws, item_id, action, by, role="admin", note=note, url=url, at=at)
    finally:
        ws.close()
    _plan_show(it)


@plan.command(name="publish")
@click.pass_context
def plan_publish(ctx: click.Context) -> None:
    """Publish what is due now through the outbox (or remind the owner where no connector publishes), tie what went
    out back to its plan item and its post, mark late items missed (`hudong serve` does this every sync round)."""
    from hudong.plan import publishing

    ws = _open(ctx)
    try:
        done = publishing.run(ws)
    finally:
        ws.close()
    for label, ids in (("queued", done.queued), ("published", done.published), ("failed", done.failed),
                       ("reminded (publish by hand)", done.reminded), ("missed", done.missed)):
        if ids:
            click.echo(f"{label}: {', '.join(ids)}")
    for item_id, post_id, conf in done.reconciled:
        click.echo(f"reconciled: {item_id} → post {post_id} (confidence {conf:.2f})")
    if not any((done.queued, done.published, done.failed, done.reminded, done.missed, done.reconciled)):
        click.echo("nothing due")
    if done.failed:
        ctx.exit(1)


@plan.command(name="best-times")
@click.option("--platform", help="Only these platforms (comma-separated).")
@click.option("--days", type=int, default=180, show_default=True, help="Posts of the last N days of data.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_context
def plan_best_times(ctx: click.Context, platform: str | None, days: int, lang: str) -> None:
    """The best slots (weekday × 3 hours) to publish per platform and content type, with 90 % intervals, from your
    own posts, shrunk toward the platform's pattern where data are thin — and when the data cannot tell slots apart."""
    from hudong import analyses
    from hudong import fmt as F

    ws = _open(ctx, read_only=True)
    try:
        res = analyses.run(ws, "best_times", platform=_split(platform) or None, days=days)
    finally:
        ws.close()
    hours = res.values["block_hours"]
    for r in res.frame("recommended").to_dict("records"):
        click.echo(f"{r['platform']} · {r['content_type']} ({r['posts']} posts, {r['measure']}):")
        for wd, block, lift, lo, hi, n in r["slots"]:
            click.echo(f"  {F.slot(wd, block, lang, hours)}  {F.lift(lift, lo, hi)}  ({n} posts)")
        if not r["separable"]:
            click.echo("  → " + ("数据太少,还分不出时段的好坏(最佳时段的区间包含平均水平)" if lang == "zh" else
                                 "too thin to tell slots apart: the best slot's interval includes the average"))
    mix = res.frame("mix")
    if not mix.empty:
        click.echo("内容形式 (lift against the platform's typical post):" if lang == "zh" else
                   "content mix (lift against the platform's typical post):")
        for r in mix.to_dict("records"):
            click.echo(f"  {r['platform']} · {r['content_type']:<8} {F.lift(r['lift'], r['lo'], r['hi'])}  "
                       f"{r['posts']} posts ({F.percent(r['share'], 0)})  {r['verdict']}")
    if res.frame("recommended").empty:
        click.echo("no own posts to learn from: import your accounts' posts first")


@plan.command(name="festivals")
@click.option("--year", type=int, help="The year (default: this year).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def plan_festivals(year: int | None, lang: str) -> None:
    """Festivals, public holidays and shopping days of a year, computed (lunar festivals, 清明 by the solar term)."""
    from hudong.plan import festivals as F

    for d in F.of_year(year or dt.date.today().year):
        click.echo(f"{d.date}  {d.name(lang)}  ({d.kind})")


@cli.group()
def experiment() -> None:
    """Experiments on organic content: register (locked at launch), assign units at random, analyse (frequentist,
    Bayesian, CUPED, sequential), conclude with the decision; the learning log (docs/experiments.md)."""


def _by() -> str:
    return os.environ.get("USER", "cli")


@experiment.command(name="new")
@click.option("--name", required=True)
@click.option("--hypothesis", required=True, help="What you expect and why.")
@click.option("--design", type=click.Choice(["posts", "replies", "switchback"]), required=True,
              help="posts: unit = a post; replies: unit = the person replied to; switchback: unit = a time window.")
@click.option("--metric", "primary_metric", required=True, help="posts: engagement_rate, engagements, comments; "
              "replies: replied_again, ordered, messages.")
@click.option("--guardrail", "guardrails", multiple=True, help="A metric that must not get worse (repeatable).")
@click.option("--arms", default="control,variant", show_default=True, help="Control first, comma-separated.")
@click.option("--weights", help="Planned split, e.g. 1,1 (default equal).")
@click.option("--mde", default=0.1, show_default=True, help="Minimal detectable effect, relative (0.1 = +10 %).")
@click.option("--n", "planned_n", type=int, help="Units per arm (default: from the workspace's own variance).")
@click.option("--alpha", default=0.05, show_default=True)
@click.option("--sequential", is_flag=True, help="Always-valid results: look every day, stop when p ≤ alpha.")
@click.pass_context
def experiment_new(ctx: click.Context, weights: str | None, arms: str, sequential: bool, **kw: Any) -> None:
    """Register an experiment (a draft until `hudong experiment start`)."""
    from hudong.plan import experiments as E

    ws = _open(ctx)
    try:
        e = E.create(ws, by=_by(), arms=_split(arms), weights=[float(w) for w in _split(weights)] or None,
                     stop_rule="sequential" if sequential else "fixed", **kw)
    finally:
        ws.close()
    click.echo(f"{e['experiment_id']}  {e['name']} v{e['version']}  {e['design']}:{e['primary_metric']}  "
               f"{e['planned_n']} units per arm  ({e['state']})")


@experiment.command(name="start")
@click.argument("experiment_id")
@click.pass_context
def experiment_start(ctx: click.Context, experiment_id: str) -> None:
    """Launch: the registration is locked from now on."""
    from hudong.plan import experiments as E

    ws = _open(ctx)
    try:
        e = E.start(ws, experiment_id, _by())
    finally:
        ws.close()
    click.echo(f"{e['experiment_id']} running since {e['started_at']:%Y-%m-%d %H:%M}")


@experiment.command(name="assign")
@click.argument("experiment_id")
@click.argument("units", nargs=-1)
@click.option("--windows", nargs=2, metavar="START END", help="Switchback: the time windows from START to END "
              "(YYYY-MM-DD[ HH:MM]), blocked by weekday.")
@click.option("--hours", type=int, default=24, show_default=True, help="Switchback: the length of a window.")
@click.option("--seed", type=int, help="Randomisation seed (default: random).")
@click.pass_context
def experiment_assign(ctx: click.Context, experiment_id: str, units: tuple[str, ...], windows: tuple[str, str] | None,
                      hours: int, seed: int | None) -> None:  # fmt: skip
    """Randomise UNITS (platform:post_id, or platform:user for replies; UNIT@BLOCK to block) into the arms — or, for
    a switchback, the windows of --windows START END."""
    from hudong.plan import experiments as E

    pairs: list = [(u.split("@", 1)[0], u.split("@", 1)[1]) if "@" in u else (u, None) for u in units]
    if windows:
        pairs += E.windows(windows[0], windows[1], hours)
    if not pairs:
        raise click.UsageError("give UNITS or --windows START END")
    starts = {u: u.split("+")[0] for u, _ in pairs if windows and "+" in u}
    ws = _open(ctx)
    try:
        got = E.assign(ws, experiment_id, pairs, seed=seed, at=starts or None)
    finally:
        ws.close()
    for u, arm in sorted(got.items()):
        click.echo(f"{u}  {arm}")


@experiment.command(name="power")
@click.option("--design", type=click.Choice(["posts", "replies", "switchback"]), required=True)
@click.option("--metric", required=True, help="The primary metric (see `experiment new`).")
@click.option("--mde", type=float, default=0.1, show_default=True, help="Minimal detectable effect, relative.")
@click.option("--alpha", type=float, default=0.05, show_default=True)
@click.option("--power", "power_", type=float, default=0.8, show_default=True)
@click.option("--days", type=int, default=90, show_default=True, help="History to learn the variance from.")
@click.pass_context
def experiment_power(ctx: click.Context, design: str, metric: str, mde: float, alpha: float, power_: float,
                     days: int) -> None:  # fmt: skip
    """How many units per arm an experiment needs, from the workspace's own variance (and what CUPED saves)."""
    from hudong.plan import experiments as E

    ws = _open(ctx, read_only=True)
    try:
        s = E.suggest_n(ws, design, metric, mde, alpha=alpha, power=power_, days=days)
    finally:
        ws.close()
    unit = {"posts": "posts", "replies": "people", "switchback": "days"}[design]
    if s["units_per_arm"] is None:
        click.echo(f"not enough history to tell ({s['history']} {unit} in the last {days} days): give --n yourself")
        return
    click.echo(f"{s['units_per_arm']:,} {unit} per arm to detect {mde:+.0%} on {metric} (baseline {s['baseline']:.4g}, "
               f"from {s['history']:,} {unit} of the last {days} days; α {alpha}, power {power_:.0%})")
    if "units_per_arm_cuped" in s:
        click.echo(f"with CUPED: {s['units_per_arm_cuped']:,} per arm (their 28 days before explain "
                   f"{s['cuped_variance_reduction']:.1%} of the variance)")


@experiment.command(name="plan")
@click.argument("experiment_id")
@click.option("--platform", required=True, help="Where the posts go out.")
@click.option("--slot", "slots", multiple=True, required=True, help="A time to publish (repeatable): YYYY-MM-DD HH:MM.")
@click.option("--text", "texts", multiple=True, required=True, help="ARM=TEXT, one per arm.")
@click.option("--seed", type=int, help="Randomisation seed (default: random).")
@click.pass_context
def experiment_plan(ctx: click.Context, experiment_id: str, platform: str, slots: tuple[str, ...],
                    texts: tuple[str, ...], seed: int | None) -> None:  # fmt: skip
    """Let hudong place a posts experiment's variants on the calendar: the slots are randomised into the arms
    within like slots (weekday × 3 hours), one draft plan item per slot with its arm's text."""
    from hudong.plan import experiments as E

    arms = dict(t.split("=", 1) for t in texts if "=" in t)
    if len(arms) != len(texts):
        raise click.UsageError("--text takes ARM=TEXT")
    ws = _open(ctx)
    try:
        made = E.plan_variants(ws, experiment_id, platform=platform, slots=slots, texts=arms, by=_by(), seed=seed)
    finally:
        ws.close()
    for m in sorted(made, key=lambda m: m["scheduled_at"]):
        click.echo(f"{m['scheduled_at']:%Y-%m-%d %H:%M}  {m['arm']:<10} {m['item_id']}")


@experiment.command(name="show")
@click.argument("experiment_id")
@click.option("--json", "as_json", is_flag=True, help="The whole analysis as JSON.")
@click.pass_context
def experiment_show(ctx: click.Context, experiment_id: str, as_json: bool) -> None:
    """The registration and the analysis now: per variant the effect, interval, p-value, chance to win; SRM,
    guardrails, the sequential looks and the verdict."""
    from hudong.plan import experiments as E

    ws = _open(ctx, read_only=True)
    try:
        e = E.get(ws, experiment_id)
        res = E.analyze(ws, experiment_id)
    finally:
        ws.close()
    if as_json:
        click.echo(json.dumps(res, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(f"{e['name']} v{e['version']} ({e['state']}): {e['hypothesis']}")
    click.echo(f"  {e['design']}:{e['primary_metric']}, MDE {e['mde']:.0%}, {e['planned_n']} per arm, α {e['alpha']}, "
               f"{e['stop_rule']}; assigned {res['assigned']}, measured {res['measured']}; SRM p={res['srm_p_value']:.3g}")
    for arm, v in res["variants"].items():
        if v["error"]:
            click.echo(f"  {arm}: {v['error']}")
            continue
        click.echo(f"  {arm}: {v['effect']:+.1%} [{v['ci'][0]:+.1%}, {v['ci'][1]:+.1%}] p={v['p_value']:.3g} "
                   f"(Holm {v['p_adjusted']:.3g}), chance to win {v['chance_to_win']:.0%}")
    click.echo(f"  → {res['verdict']}")


@experiment.command(name="conclude")
@click.argument("experiment_id")
@click.option("--decision", required=True, help="What was decided (kept in the learning log).")
@click.option("--action", type=click.Choice(["ship", "keep", "iterate", "abandon"]),
              help="What the decision does (the learning log tells whether it followed the result).")
@click.pass_context
def experiment_conclude(ctx: click.Context, experiment_id: str, decision: str, action: str | None) -> None:
    """Conclude: the analysis is kept with the decision, who took it and what it does."""
    from hudong.plan import experiments as E

    ws = _open(ctx)
    try:
        e = E.conclude(ws, experiment_id, _by(), decision, action=action)
    finally:
        ws.close()
    follows = {True: " (follows the result)", False: " (against the result)"}.get(e["followed_result"], "")
    click.echo(f"{e['experiment_id']} concluded by {e['decided_by']}: {e['decision']}{follows}")


@experiment.command(name="log")
@click.option("--search", "q", help="Search name, hypothesis and decision.")
@click.option("--json", "as_json", is_flag=True, help="Export as JSON lines.")
@click.pass_context
def experiment_log(ctx: click.Context, q: str | None, as_json: bool) -> None:
    """The learning log: every experiment with its hypothesis, verdict and decision, newest first."""
    from hudong.plan import experiments as E

    ws = _open(ctx, read_only=True)
    try:
        rows = E.learning_log(ws, q)
    finally:
        ws.close()
    for r in rows:
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False, default=str))
        else:
            click.echo(f"{r['experiment_id']}  {r['state']:<9} {r['name']} v{r['version']}: {r['hypothesis']}"
                       + (f"\n    → {r['verdict']}" if r["verdict"] else "")
                       + (f"\n    decided by {r['decided_by']}: {r['decision']}" if r["decided_by"] else ""))
    if not rows:
        click.echo("no experiments yet: `hudong experiment new --name … --hypothesis … --design posts --metric …`")


@cli.group(invoke_without_command=True)
@click.option("--kind", type=click.Choice(["learned", "rules"]), default="learned", show_default=True,
              help="learned: clusters of behaviour (k-means); rules: new / active / at risk / dormant / champions.")
@click.option("--platform", help="Only the people of these platforms (comma-separated).")
@click.option("--focus", type=click.Choice(["all", "content", "engagement", "value"]), default="all",
              show_default=True, help="Which behaviour sets people apart (learned).")
@click.option("--days", type=int, default=180, show_default=True, help="Behaviour of the last N days of data.")
@click.option("--run", "run_id", help="Show a stored run (its id, or 'latest') instead of segmenting now.")
@click.option("--save", is_flag=True, help="Keep this segmentation (compare it later; the calendar's target segment).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_context
def segments(ctx: click.Context, kind: str, platform: str | None, focus: str, days: int, run_id: str | None,
             save: bool, lang: str) -> None:  # fmt: skip
    """Audience segments: people grouped by behaviour, each named from what sets it apart, with its size and top
    traits (`hudong segments list`: stored runs; `hudong segments prefs`: what each segment responds to)."""
    if ctx.invoked_subcommand is not None:
        return
    from hudong import analyses
    from hudong.analyses import segments as seg

    ws = _open(ctx, read_only=not save)
    try:
        params = {"kind": kind, "platform": _split(platform) or None, "focus": focus, "days": days}
        if save and not run_id:  # computed once, stored, then shown as stored
            definition, labels = seg.compute(ws, seg.SegmentParams(**params))
            run_id = seg.save(ws, definition, labels, by=_by())
        res = analyses.run(ws, "segments", **params, run=run_id)
    finally:
        ws.close()
    click.echo(f"{res.values['people']:,} people · {res.values['criterion']}")
    for r in res.frame("segments").to_dict("records"):
        name = r["name_zh"] if lang == "zh" else r["name_en"]
        traits = ", ".join(t.get(lang, t["feature"]) if "z" in t else f"{t['feature']} {t['value']}"
                           for t in r["traits"][:4])  # fmt: skip
        click.echo(f"  {r['segment']:>9}  {name:<28} {r['size']:>8,} ({r['share']:.0%})  {traits}")
    if save:
        click.echo(f"saved as {res.values['run']}")


@segments.command(name="list")
@click.pass_context
def segments_list(ctx: click.Context) -> None:
    """The stored segmentations, newest first."""
    from hudong.analyses.segments import runs

    ws = _open(ctx, read_only=True)
    try:
        rows = list(runs(ws).itertuples(index=False))
    finally:
        ws.close()
    for run_id, kind, at, by, people, k, criterion in rows:
        click.echo(f"{run_id}  {kind:<7} {at:%Y-%m-%d %H:%M} by {by or '—'}: {people:,} people, {k} segments ({criterion})")
    if not rows:
        click.echo("no stored segmentation: `hudong segments --save` keeps one")


@segments.command(name="prefs")
@click.option("--run", "run_id", default="latest", show_default=True, help="The stored segmentation to compare.")
@click.option("--by", type=click.Choice(["content_type", "topic"]), default="content_type", show_default=True)
@click.option("--days", type=int, default=180, show_default=True)
@click.option("--top", type=int, default=3, show_default=True, help="Per segment, its most distinctive cells.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_context
def segments_prefs(ctx: click.Context, run_id: str, by: str, days: int, top: int, lang: str) -> None:
    """What each segment responds to that the others do not: its share of engagement on a content type (or topic)
    against the other segments', shrunk where data are thin, with 90 % intervals; only lifts whose interval lies
    above 1 are listed."""
    from hudong import analyses
    from hudong import fmt as F

    ws = _open(ctx, read_only=True)
    try:
        res = analyses.run(ws, "segment_preferences", run=run_id, by=by, days=days, top=top)
    finally:
        ws.close()
    for note in res.notes:
        click.echo(f"note: {note}")
    shown = set()
    for r in res.frame("top").to_dict("records"):
        if r["segment"] not in shown:
            shown.add(r["segment"])
            click.echo(f"{r['segment']}  {r['name_zh'] if lang == 'zh' else r['name_en']}:")
        click.echo(f"    {r['cell']:<14} {F.lift(r['lift'], r['lift_lo'], r['lift_hi'])}  "
                   f"{r['engagements']:,} engagements, {F.percent(r['share'])} of theirs")
    if not shown:
        click.echo("no segment responds to a content type distinctly more than the others (every interval includes 1)")


def _campaign_rows(frame: Any, lang: str) -> list[list[str]]:
    from hudong import fmt as F

    rows = []
    for r in frame.to_dict("records"):
        rows.append([r["campaign_id"], F.number(r["spend"], lang), F.number(r["engagement"], lang),
                     F.number(r["new_followers"], lang), F.number(r["ugc_posts"], lang),
                     F.number(r["touched_orders"], lang), F.decimal(r["attributed_orders"], 1),
                     F.number(r["attributed_revenue"], lang), F.decimal(r["cost_per_engagement"]),
                     F.decimal(r["cost_per_order"]), F.percent(r["roi"], 0)])
    return rows


@cli.group(invoke_without_command=True)
@click.option("--campaign", help="Only these campaigns (comma-separated ids).")
@click.option("--model", type=click.Choice(["markov", "first", "last", "linear", "time_decay"]), default="markov",
              show_default=True, help="The attribution model whose revenue ROI counts.")
@click.option("--lookback", "lookback_days", type=int, default=30, show_default=True,
              help="A touch counts for an order at most this many days later.")
@click.option("--json", "as_json", is_flag=True, help="The analysis' frames as JSON.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_context
def campaigns(ctx: click.Context, campaign: str | None, model: str, lookback_days: int, as_json: bool,
              lang: str) -> None:  # fmt: skip
    """Campaign ROI: spend, reach, engagement, new followers, UGC, orders of the people each campaign reached,
    the revenue an attribution model gives it, cost per engagement / order, ROI (`hudong campaigns attribution`:
    every model side by side; `hudong campaigns lift ID`: what it added over its baseline)."""
    if ctx.invoked_subcommand is not None:
        return
    from hudong import analyses

    ws = _open(ctx, read_only=True)
    try:
        res = analyses.run(ws, "campaign_roi", campaign=_split(campaign) or None, model=model,
                           lookback_days=lookback_days)  # fmt: skip
    finally:
        ws.close()
    if as_json:
        click.echo(res.frame("campaigns").to_json(orient="records", date_format="iso", force_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    zh = lang == "zh"
    table = Table(title=("活动投入产出(归因模型 " if zh else "Campaign ROI (attribution model ") + model + ")")
    for head in (["活动", "花费", "互动", "新粉丝", "UGC", "触达者订单", "归因订单", "归因收入", "单次互动成本", "单笔订单成本", "ROI"]
                 if zh else ["campaign", "spend", "engagement", "new followers", "UGC", "orders (touched)",
                             "orders (attributed)", "revenue (attributed)", "cost/engagement", "cost/order", "ROI"]):
        table.add_column(head, justify="left" if head in ("活动", "campaign") else "right")
    for row in _campaign_rows(res.frame("campaigns"), lang):
        table.add_row(*row)
    Console(width=200).print(table)
    cov = res.values["coverage"]
    click.echo((f"订单 {cov['orders']:,} 笔,其中 {cov['linked_orders']:,} 笔可关联社交身份,{cov['touched_orders']:,} 笔此前有触点"
                if zh else f"{cov['orders']:,} orders, {cov['linked_orders']:,} linked to a social identity, "
                f"{cov['touched_orders']:,} with a touch before them") + f" (lookback {lookback_days} d)")  # fmt: skip
    for note in res.notes:
        click.echo(note, err=True)


@campaigns.command(name="attribution")
@click.option("--lookback", "lookback_days", type=int, default=30, show_default=True)
@click.option("--half-life", "half_life_days", type=float, default=7.0, show_default=True,
              help="time_decay: a touch this many days before the order counts half.")
@click.pass_context
def campaigns_attribution(ctx: click.Context, lookback_days: int, half_life_days: float) -> None:
    """Orders attributed to each channel (campaigns and organic posts per platform) by every model: first touch,
    last touch, linear, time decay and the Markov removal effect."""
    from hudong import analyses

    ws = _open(ctx, read_only=True)
    try:
        res = analyses.run(ws, "campaign_roi", lookback_days=lookback_days, half_life_days=half_life_days)
    finally:
        ws.close()
    attr = res.frame("attribution")
    if attr.empty:
        click.echo("no orders with a touch before them: nothing to attribute")
        return
    wide = attr.pivot_table(index="channel", columns="model", values="conversions", fill_value=0.0)
    models = [m for m in ("first", "last", "linear", "time_decay", "markov") if m in wide.columns]
    click.echo(f"{'channel':<28}" + "".join(f"{m:>12}" for m in models))
    for channel, r in wide.iterrows():
        click.echo(f"{channel:<28}" + "".join(f"{r[m]:>12.2f}" for m in models))
    click.echo(f"P(conversion) of the Markov chain: {res.values['p_conversion']:.4f}")


@campaigns.command(name="ugc")
@click.argument("campaign", required=False, default="")
@click.option("--keywords", help="What marks its UGC besides the campaign tag (comma-separated; default: the #话题# "
              "in its name).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.pass_context
def campaigns_ugc(ctx: click.Context, campaign: str, keywords: str | None, as_json: bool, lang: str) -> None:
    """A UGC challenge (话题挑战 / 有奖征集) from launch: participants, first-time and repeat creators, buyers, the
    UGC's reach, cascades and tone, and the same span before it (default: the latest UGC campaign)."""
    from hudong import analyses

    ws = _open(ctx, read_only=True)
    try:
        res = analyses.run(ws, "ugc_campaign", campaign=campaign,
                           keywords=None if keywords is None else _split(keywords))  # fmt: skip
    finally:
        ws.close()
    v = res.values
    if as_json:
        click.echo(json.dumps(v | {"funnel": res.frame("funnel").to_dict("records")}, ensure_ascii=False, default=str))
        return
    zh = lang == "zh"
    pct = lambda x: "—" if x is None else f"{x:.0%}"  # noqa: E731
    sov = f"{pct(v['sov_before'])} → {pct(v['sov_during'])}"
    click.echo(f"{v['campaign']} ({v['name']}) {v['start'][:10]} – {v['end'][:10]}; "
               + ("关键词 " if zh else "keywords ") + (", ".join(v["keywords"]) or "—"))
    lines = (("UGC 帖子", "UGC posts", f"{v['ugc_posts']:,} ({'之前同期' if zh else 'same span before'} {v['before_posts']:,})"),
             ("参与者", "participants", f"{v['participants']:,} ({'之前同期' if zh else 'same span before'} {v['before_participants']:,})"),
             ("首次创作", "first-time creators", f"{v['first_time']:,}"),
             ("再次创作", "repeat creators", f"{v['repeat_creators']:,}"), ("购买者", "buyers", f"{v['buyers']:,}"),
             ("互动 / 触达", "engagement / reach", f"{v['engagement']:,.0f} / {v['reach']:,.0f}"),
             ("转发链", "reposts (reach)", f"{v['reposts']:,} ({v['repost_reach']:,.0f})"),
             ("正面 / 负面", "positive / negative", f"{pct(v['positive'])} / {pct(v['negative'])} of {v['scored']:,}"),
             ("声量份额 之前 → 期间", "share of voice before → during", sov))  # fmt: skip
    for z, e, value in lines:
        click.echo(f"  {z if zh else e}: {value}")
    for note in res.notes:
        click.echo(note, err=True)


@campaigns.command(name="lift")
@click.argument("campaign", required=False, default="")
@click.option("--metric", type=click.Choice(["auto", "orders", "revenue", "engagement", "followers", "ugc"]),
              default="auto", show_default=True, help="auto: orders for a sales goal, UGC posts for a UGC goal, else "
              "engagement with own posts.")
@click.option("--pre-days", type=int, default=56, show_default=True, help="Baseline days before the campaign.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def campaigns_lift(ctx: click.Context, campaign: str, metric: str, pre_days: int, as_json: bool) -> None:
    """What CAMPAIGN added over its baseline: a structural time-series counterfactual fitted to the days before it
    (other campaigns with the same aim left out), the effect with its 95 % interval (default: the latest campaign)."""
    from hudong import analyses

    ws = _open(ctx, read_only=True)
    try:
        res = analyses.run(ws, "campaign_lift", campaign=campaign, metric=metric, pre_days=pre_days)
    finally:
        ws.close()
    v = res.values
    if as_json:
        click.echo(json.dumps(v, ensure_ascii=False, default=str))
        return
    click.echo(f"{v['campaign']} ({v['name']}), {v['metric']}, {v['start'][:10]} – {v['end'][:10]}, "
               f"baseline {v['pre_days']} days")
    click.echo(f"  actual {v['actual']:,.1f}, expected without it {v['predicted']:,.1f}")
    click.echo(f"  added {v['effect']:+,.1f} [95% {v['effect_lower']:+,.1f}, {v['effect_upper']:+,.1f}], "
               f"{v['relative']:+.1%} [{v['relative_lower']:+.1%}, {v['relative_upper']:+.1%}]; "
               f"p = {v['p']:.4f}")
    for note in res.notes:
        click.echo(note, err=True)


@cli.group()
def forecast() -> None:
    """Early size forecast: from a cascade's first N minutes, its final size class (small/medium/large)."""


@forecast.command(name="train")
@click.option("--data", required=True, type=ClientPath(exists=True, file_okay=False), help=DATA_HELP)
@click.option("--corpus", default="twitter15", show_default=True, help=CORPUS_HELP)
@click.option("--minutes", default=60.0, show_default=True, help="Observation window N (minutes).")
@click.pass_context
def forecast_train(ctx: click.Context, data: str, corpus: str, minutes: float) -> None:
    """Train on a labelled corpus and save the model into the workspace (models/forecast-N.pkl)."""
    from hudong.analyses.forecast import forecast_model_name
    from hudong.graph.forecast import SizeForecaster, read_corpus

    model = SizeForecaster(minutes=minutes).fit(read_corpus(data, corpus, labels=False))
    path = model.save(_model_path(ctx, forecast_model_name(minutes)))
    edges = ", ".join(f"{e:g}" for e in model.edges)
    click.echo(f"saved {path} (trained on {model.trained_on}; class edges in users: {edges})")


@forecast.command(name="score")
@click.option("--minutes", default=60.0, show_default=True, help="Window of the trained model to use.")
@click.option("--top", default=20, show_default=True, help="Show N cascades, most likely large first.")
@click.pass_context
def forecast_score(ctx: click.Context, minutes: float, top: int) -> None:
    """Predict the final size class of the workspace's cascades from their first N minutes."""
    df = _analysis(ctx, "forecast", False, minutes=minutes).frame("forecast")
    _print_table(df.head(top), title=f"size forecast from the first {minutes:g} minutes: {len(df):,} cascades")


@cli.group()
def rumour() -> None:
    """Rumour / misinformation risk flag for cascades (structure, timing, participants, source text)."""


@rumour.command(name="train")
@click.option("--data", required=True, type=ClientPath(exists=True, file_okay=False), help=DATA_HELP)
@click.option("--corpus", default="ced", show_default=True, help="twitter15 (4 classes) or ced (rumour or not).")
@click.option("--minutes", type=float, default=None, help="Observe only each cascade's first N minutes.")
@click.pass_context
def rumour_train(ctx: click.Context, data: str, corpus: str, minutes: float | None) -> None:
    """Train on a labelled corpus and save the model into the workspace (models/rumour.pkl)."""
    from hudong.analyses.forecast import RUMOUR_MODEL
    from hudong.graph.forecast import read_corpus
    from hudong.graph.rumour import RumourFlagger, classes_of

    lc = read_corpus(data, corpus)
    model = RumourFlagger(lang=str(lc.info["lang"].iloc[0]), classes=classes_of(lc), minutes=minutes).fit(lc)
    path = model.save(_model_path(ctx, RUMOUR_MODEL))
    classes = ", ".join(model.classes)
    click.echo(f"saved {path} (trained on {model.trained_on}: {len(lc.info):,} cascades, classes {classes})")


@rumour.command(name="score")
@click.option("--top", default=20, show_default=True, help="Show the N riskiest cascades.")
@click.pass_context
def rumour_score(ctx: click.Context, top: int) -> None:
    """Risk of each workspace cascade (summed probability of false/unverified/rumour), riskiest first."""
    res = _analysis(ctx, "rumour", False)
    df = res.frame("risk")
    _print_table(df.head(top), title=f"rumour risk ({res.values['trained_on']} model): {len(df):,} cascades")


@cli.command()
@click.option("--top", default=10, show_default=True, help="Show the N largest communities.")
@click.option("--platform", help="Only these platforms (comma-separated).")
@click.option("--seed", default=42, show_default=True, help="Random seed of the Leiden algorithm.")
@progress_option
@click.pass_context
def communities(ctx: click.Context, top: int, platform: str | None, seed: int, show_progress: bool | None) -> None:
    """Communities of the interaction graph (Leiden, modularity): size, key members and bridges."""
    res = _analysis(ctx, "communities", show_progress, platform=_split(platform) or None, seed=seed, top_members=3)
    table = res.frame("communities")
    df = table.head(top).copy()
    for col in ("key_members", "bridges"):
        df[col] = df[col].map(lambda users: ", ".join(map(str, users)))
    _print_table(df[["platform", "community", "size", "internal_weight", "external_weight", "key_members",
                     "bridges"]], title=f"communities: {len(table):,} over {res.values['users']:,} users")


@cli.command()
@click.option("--self-assessment", type=ClientPath(dir_okay=False, exists=True), help="TOML answers (strategy, organization).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language (default: the workspace's).")
@engine_options
@progress_option
@click.pass_context
def scorecard(ctx: click.Context, self_assessment: str | None, as_json: bool, lang: str | None, engine: str | None,
              spark_master: str | None, show_progress: bool | None) -> None:
    """The social-media maturity scorecard: five dimensions 0–100, their evidence, benchmarks and advice."""
    from hudong import analyses

    ws = _open_on_engine(ctx, engine, spark_master)
    try:
        with _bar("scorecard", 1, show_progress) as step:
            card = analyses.run(ws, "scorecard", self_assessment=self_assessment, progress=step).values["scorecard"]
        lang = lang or ws.setting("language", "zh")
    finally:
        ws.close()
    if as_json:
        click.echo(json.dumps(card.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(card.to_text(lang) if hasattr(card, "to_text") else json.dumps(card.to_dict(), ensure_ascii=False,
                                                                                  indent=2, default=str))


@cli.command()
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language (default: the workspace's).")
@click.option("--out", type=ClientPath(file_okay=False), help="Output directory (default: WORKSPACE/reports).")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Also write the PDF.")
@engine_options
@progress_option
@click.pass_context
def report(ctx: click.Context, lang: str | None, out: str | None, pdf: bool, engine: str | None,
           spark_master: str | None, show_progress: bool | None) -> None:
    """Write the report: one self-contained offline HTML file and a PDF."""
    from hudong.report import write_report
    from hudong.report.content import sections_on_file
    from hudong.report.writer import REPORT_STEPS, engine_note

    ws = _open_on_engine(ctx, engine, spark_master)
    try:
        lang = lang or ws.setting("language", "zh")
        if off := sections_on_file(ws):  # said before the work starts, and again in the report
            click.echo(engine_note(ws.engine, off, lang), err=True)
        out_dir = Path(out) if out else ws.path / "reports"
        with _bar("report", REPORT_STEPS + pdf, show_progress) as step:
            paths = write_report(ws, out_dir, lang=lang, formats=("html", "pdf") if pdf else ("html",), progress=step)
    finally:
        ws.close()
    for kind, p in paths.items():
        click.echo(f"{kind}: {p}")


# ---- demo -----------------------------------------------------------------------------------------
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
        card = build_scorecard(ws)
        click.echo(card.to_text(lang) if hasattr(card, "to_text") else json.dumps(card.to_dict(), ensure_ascii=False,
                                                                                  default=str))
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


# ---- web (issue #5) -------------------------------------------------------------------------------
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


# ---- text intelligence (issue #4) ---------------------------------------------------------------
@cli.group()
def text() -> None:
    """Text intelligence: sentiment, keywords and topics, bursts, brand mentions, crisis alerts (zh / en)."""


@text.command("sentiment")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes to score with (default: up to 4 cores from 50,000 texts to score on, else 1).")
@click.option("--full", is_flag=True,
              help="Rescore every text (default: only new, edited or differently-modelled ones).")
@progress_option
@click.pass_context
def text_sentiment(ctx: click.Context, workers: int | None, full: bool, show_progress: bool | None) -> None:
    """Score sentiment, emotion and toxicity of the posts and interactions with text, in one pass (alias:
    `hudong text score`); writes the text_sentiment and text_signals tables (net_sentiment, emotion_mix, …).

    Incremental: only texts not scored yet, edited since, or scored by another model version (e.g. after
    `hudong text train`) are scored; scores of deleted posts/comments are removed. --full rescores everything."""
    from hudong.analyses.scoring import score_workspace

    ws = _open(ctx)
    try:
        with _bar("text score", 3, show_progress) as step:  # with the workspace's adapted models, if any
            s = score_workspace(ws, workers=workers, full=full, progress=step)
    finally:
        ws.close()
    versions = ", ".join(f"{k} {v}" for k, v in s.model_versions.items())
    how = f"full rescore: {s.reason}" if s.full else "incremental; --full rescores everything"
    click.echo(f"scored {s.rows:,} texts, {s.unchanged:,} unchanged, {s.removed:,} removed in {s.seconds:.1f} s ({how})")
    if not s.rows:
        click.echo(f"models: {versions}")
        return
    click.echo(
        f"{s.by_kind['post']:,} posts and {s.by_kind['interaction']:,} interactions, "
        f"{s.texts_per_second:,.0f} texts/s on {s.workers} process(es); models: {versions}"
    )
    click.echo("language: " + ", ".join(f"{k} {v:,}" for k, v in s.by_lang.most_common()))
    pol = {k or "not scored": v for k, v in s.by_polarity.items()}
    click.echo(
        "polarity: " + ", ".join(f"{k} {pol.get(k, 0):,}" for k in ("positive", "neutral", "negative", "not scored"))
    )
    emo = {k or "not scored": v for k, v in s.by_emotion.items()}
    click.echo("emotion: " + ", ".join(f"{k} {v:,}" for k, v in sorted(emo.items(), key=lambda kv: -kv[1])))
    click.echo(f"toxic: {s.toxic:,}; models: " + "; ".join(
        f"{task} " + ", ".join(f"{k} {v}" for k, v in vs.items()) for task, vs in s.signal_versions.items()
    ))


text.add_command(text_sentiment, name="score")


@text.command("train")
@click.option("--labels", "labels_file", type=ClientPath(exists=True, dir_okay=False), help="CSV: text,label[,lang].")
@click.option("--from-inbox", is_flag=True,
              help="Train on the labels operators set in the web inbox (sentiment, emotion, toxicity); "
                   "with --labels: both.")
@click.option("--task", type=click.Choice(["sentiment", "emotion", "toxicity"]), default="sentiment", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of every row (default: per row).")
@click.option("--holdout", type=float, default=0.2, show_default=True, help="Share of labels held out to evaluate.")
@click.option("--reset", is_flag=True, help="Remove the workspace's adapted model(s) of --task: back to the shipped one.")
@click.pass_context
def text_train(ctx: click.Context, labels_file, from_inbox, task, lang, holdout, reset) -> None:
    """Adapt a text model to this workspace's own labelled comments; prints before/after on held-out labels.

    Labels come from a CSV (--labels) and/or the web inbox (--from-inbox: what operators labelled there; stop
    `hudong serve` first, it holds the workspace). The adapted model is saved in <workspace>/models/ and used
    by `hudong text sentiment` and the inbox's model suggestions from then on."""
    from hudong.analyses.context import models_dir, workspace_text
    from hudong.text import adapt

    ws = _open(ctx)
    try:
        if reset:
            removed = adapt.reset(models_dir(ws), task)
            click.echo("removed adapted model(s): " + (", ".join(removed) or "none") + "; shipped models in use")
            return
        if not labels_file and not from_inbox:
            raise click.UsageError("give --labels FILE.csv and/or --from-inbox (or --reset)")
        texts: list[str] = []
        labels: list[str] = []
        langs: list[str | None] = []
        if labels_file:
            texts, labels, langs = adapt.read_labels(labels_file)
        if from_inbox:
            _add_inbox_labels(ws, task, lang, labels_file, texts, labels, langs)
        with workspace_text(ws):
            results = adapt.train(models_dir(ws), texts, labels, task=task, lang=lang, langs=langs, holdout=holdout)
    finally:
        ws.close()
    for lg, why in results[0].skipped.items():
        click.echo(f"{task} {lg}: not adapted ({why})")
    for r in results:
        click.echo(f"{r.task} {r.lang}: trained on {r.n_train:,}, held out {r.n_heldout:,}; "
                   f"{r.base_version} → {r.version} ({r.path})")
        for name, sc in (("before", r.before), ("after", r.after)):
            f1 = ", ".join(f"{c} {v:.3f}" for c, v in sc["f1"].items())
            click.echo(f"  {name:6}: accuracy {sc['accuracy']:.3f}, macro-F1 {sc['macro_f1']:.3f}; F1 {f1}")
    click.echo("in use from now on by `hudong text score` (run it to rescore the workspace) and the inbox's "
               "model suggestions")


def _add_inbox_labels(ws, task: str, lang: str | None, labels_file: str | None, texts: list, labels: list,
                      langs: list) -> None:
    """Append the workspace's inbox labels of ``task`` to the lists; an error naming the counts when no language
    has enough labels (in two classes) to train on."""
    from hudong.inbox.labels import TASKS, counts_by_lang, training_data
    from hudong.text.adapt import MIN_LABELS
    from hudong.text.tokenize import detect_lang

    if task not in TASKS:
        raise HudongError(f"the inbox labels {' and '.join(TASKS)}, not {task}: use --labels FILE.csv for {task}")
    n_csv = len(texts)
    xs, ys, ls = training_data(ws, task)
    texts += xs
    labels += ys
    langs += ls
    by_lang = counts_by_lang([lang or lg or detect_lang(t) for t, lg in zip(texts, langs, strict=True)], labels)
    detail = "; ".join(
        f"{lg} {sum(c.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) + ")"
        for lg, c in sorted(by_lang.items())
    )
    source = f"{len(xs)} from the inbox" + (f" + {n_csv} from {labels_file}" if labels_file else "")
    click.echo(f"{task} labels: {source}" + (f" — {detail}" if detail else ""))
    if not any(sum(c.values()) >= MIN_LABELS and len(c) >= 2 for c in by_lang.values()):
        raise HudongError(
            f"too few {task} labels to train: {source} ({detail or 'none'}); at least {MIN_LABELS} in one "
            "language, in 2 or more classes, are needed — label more messages in the inbox (/inbox)"
        )


def text_filters(f):
    """--platform / --start / --end / --campaign / --format for the `text` analyses."""
    for opt in reversed([
        click.option("--platform", help="Only these platforms (comma-separated)."),
        click.option("--start", help="From this date (YYYY-MM-DD)."),
        click.option("--end", help="Up to this date, inclusive."),
        click.option("--campaign", help="Only posts of these campaigns (comma-separated)."),
        click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True),
    ]):  # fmt: skip
        f = opt(f)
    return f


def _emit(df, fmt: str, title: str) -> None:
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(df.to_json(orient="records", date_format="iso", force_ascii=False))
    else:
        _print_table(df, title=title)


_GRAINS = ("day", "week", "month", "hour")  # hudong.analyses.bursts.GRAINS (not imported: start-up time)


@text.command("topics")
@text_filters
@click.option("--by", "by", type=click.Choice(["all", "day", "week", "month", "platform", "campaign", "source", "tier"]),
              default="all", show_default=True,
              help="Keywords per group; segments: source (own / ugc / other posts), tier (author's follower tier).")
@click.option("--distinctive", is_flag=True, help="Rank terms that set each group apart (log-odds, informative prior).")
@click.option("--clusters", is_flag=True, help="Co-occurrence topics (hashtag + keyword clusters) instead.")
@click.option("--top", default=15, show_default=True, help="Terms per group.")
@progress_option
@click.pass_context
def text_topics(ctx: click.Context, platform, start, end, campaign, fmt, by, distinctive, clusters, top,
                show_progress) -> None:  # fmt: skip
    """Keywords (TF-IDF, hashtags first-class), distinctive terms per segment, or co-occurrence topics."""
    from hudong import analyses

    mode = "clusters" if clusters else "distinctive" if distinctive else "keywords"
    with _bar("text topics", 3, show_progress) as step:
        ws = _open(ctx, read_only=True)
        try:
            res = analyses.run(ws, "topics", progress=step, mode=mode, by=by, top=top, start=start, end=end,
                               platform=_split(platform) or None, campaign=_split(campaign) or None)
        finally:
            ws.close()
    table, n = res.frame("table"), res.values["posts"]
    if clusters:
        table = table.assign(terms=table["terms"].map(" ".join))
        _emit(table, fmt, f"Topics: hashtag + keyword co-occurrence clusters ({n:,} posts)")
    elif distinctive:
        _emit(table, fmt, f"Distinctive terms by {by} (z of the log-odds ratio)")
    else:
        _emit(table, fmt, f"Keywords (TF-IDF) by {by} ({n:,} posts)")


@text.command("bursts")
@text_filters
@click.option("--grain", type=click.Choice(_GRAINS), default="day", show_default=True)
@click.option("--hashtags", "hashtags_only", is_flag=True, help="Only hashtags.")
@click.option("--window", default=7, show_default=True, help="Baseline periods for the rising-now ranking.")
@click.option("--top", default=20, show_default=True)
@click.option("--gamma", default=1.0, show_default=True, help="Kleinberg transition cost γ (higher: fewer bursts).")
@progress_option
@click.pass_context
def text_bursts(ctx: click.Context, platform, start, end, campaign, fmt, grain, hashtags_only, window, top,
                gamma, show_progress) -> None:  # fmt: skip
    """What is rising now against its own baseline, and Kleinberg bursts of terms and hashtags.

    Rising now: terms of the last period at least 3 times, z ≥ 2 above their own last --window periods and a
    larger share of the period's posts than in those periods (docs/text.md)."""
    res = _analysis(ctx, "bursts", show_progress, grain=grain, platform=_split(platform) or None, start=start,
                    end=end, campaign=_split(campaign) or None, hashtags_only=hashtags_only, window=window, top=top,
                    gamma=gamma)  # fmt: skip
    up, b = res.frame("rising"), res.frame("bursts")
    if fmt == "json":
        click.echo(json.dumps({"rising": json.loads(up.to_json(orient="records", force_ascii=False)),
                               "bursts": json.loads(b.to_json(orient="records", date_format="iso",
                                                              force_ascii=False))}, ensure_ascii=False))  # fmt: skip
        return
    last = res.values["last"].date() if res.values["last"] is not None else "-"
    _emit(up, fmt, f"Rising now ({grain} of {last} vs the {window} before)")
    if fmt == "table":
        _emit(b, fmt, "Kleinberg bursts (two-state, batched), by weight")


@text.command("mentions")
@text_filters
@click.option("--grain", type=click.Choice(_GRAINS), default="month", show_default=True)
@click.pass_context
def text_mentions(ctx: click.Context, platform, start, end, campaign, fmt, grain) -> None:
    """Brand and competitor mentions per period (aliases from hudong.toml and accounts) with share of voice."""
    counts = _analysis(ctx, "mentions", False, grain=grain, platform=_split(platform) or None, start=start, end=end,
                       campaign=_split(campaign) or None).frame("counts")  # fmt: skip
    _emit(counts, fmt, f"Brand mentions per {grain} (share = share of voice among the watched brands)")


@text.command("alerts")
@click.option("--platform", help="Only these platforms (comma-separated).")
@click.option("--start", help="From this date (YYYY-MM-DD).")
@click.option("--end", help="Up to this date, inclusive.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--posts", "n_posts", default=5, show_default=True, help="Driving posts shown per alert.")
@click.option("--with-comments", is_flag=True,
              help="Count the comments, replies, mentions and DMs addressed to the brand too.")
@progress_option
@click.pass_context
def text_alerts(ctx: click.Context, platform, start, end, fmt, n_posts, with_comments, show_progress) -> None:
    """Crisis alerts: days when negative (or toxic) talk about the brand jumps above its own baseline."""
    from hudong.analyses.alerts import records

    res = _analysis(ctx, "alerts", show_progress, platform=_split(platform) or None, start=start, end=end,
                    top_posts=n_posts, interactions=with_comments)  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(records(res), ensure_ascii=False, default=str))
        return
    if not res.values["alerts"]:
        click.echo("no crisis alerts: negative/toxic talk about the brand stayed within its baseline")
        return
    posts = res.frame("posts")
    for a in res.frame("alerts").itertuples():
        click.echo(f"ALERT {a.signal}: {a.start.date()} … {a.end.date()} (peak {a.peak.date()}): {a.flagged} of "
                   f"{a.texts} brand texts; share {a.share:.0%} vs baseline {a.baseline_share:.0%}, z = {a.z:.1f}"
                   f"{', Kleinberg burst' if a.kleinberg_burst else ''}")  # fmt: skip
        mine = posts[posts["alert"] == a.alert].drop(columns="alert")
        _print_table(mine.assign(text=mine["text"].str.slice(0, 60)), title="texts that drove it (posts by reach, then the rest)")

if __name__ == "__main__":
    main()
