"""The `hudong` commands: Setting a workspace up and filling it: init, status, import, formats, quarantine, imports, export, schema, forget."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from hudong.cli.base import ClientPath, _client_path, _client_path_or_name, _open, cli
from hudong.errors import HudongError

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
@click.option("--profile", type=click.Choice(["brand", "public"]), default=None,
              help="brand (default), or public: a public service (政府部门、医疗机构) — the scorecard and report speak of "
                   "citizens, with no commerce measures (docs/public-service.md). On an existing workspace, changes it.")
@click.option("--interactive/--no-interactive", default=None,
              help="Ask for the brand, aliases and own accounts (default: when run on a terminal without them).")
def init(directory: str, lang: str, name: str | None, lake: str | None, brand: str | None, aliases: tuple[str, ...],
         accounts: tuple[str, ...], profile: str | None, interactive: bool | None) -> None:
    """Create a workspace: a DuckDB store, a config file (hudong.toml) and a pseudonym key.

    \b
    On a terminal it asks for the brand, its aliases and the own accounts; or give them as options:
      hudong init mybrand --brand 山茶社 --alias "Camellia Tea" --account weibo:12345:山茶社官方
    On an existing workspace, --brand/--alias/--account (or --interactive) add them to it.
    """
    from hudong.store.lake import enable_lake, export_lake
    from hudong.store.workspace import DB_NAME, Workspace

    parsed = [_parse_account(a) for a in accounts]  # a bad account fails before anything is written
    given = bool(brand or aliases or parsed or profile)
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
        if profile:
            ws.set_profile(profile)
        lang = str(ws.setting("language", lang))
    else:
        ws = Workspace.init(directory, name=name, language=lang, brand=brand or "", aliases=alias_list,
                            profile=profile or "brand")
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
        if ws.profile == "public":
            click.echo("profile: public service (citizens; no commerce measures)" if lang == "en" else
                       "类型：公共服务（面向群众，不计商业指标）")  # fmt: skip
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
    for r in res.adapted:  # [text] adapt_after_import
        why = r.details.get("refused")
        click.echo(f"{r.task} {r.lang}: " + (f"not adapted ({why})" if why else f"adapted to the workspace's texts: "
                                              f"{r.base_version} → {r.version}"))  # fmt: skip
    if res.adapt_error:
        click.echo(f"warning: adapting the sentiment model failed ({res.adapt_error}); the model in use is kept", err=True)
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
