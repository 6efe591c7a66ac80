"""The `hudong` command line: a thin layer over the Python API.

Every command has --help. Errors are one line on stderr and a non-zero exit; set HUDONG_DEBUG=1
to see the traceback.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from hudong.errors import HudongError

WORKSPACE_HELP = "Workspace directory (default: $HUDONG_WORKSPACE or the current directory)."


def _workspace_dir(value: str | None) -> Path:
    return Path(value or os.environ.get("HUDONG_WORKSPACE") or ".")


def _open(ctx: click.Context, read_only: bool = False):
    from hudong.store.workspace import Workspace

    return Workspace.open(_workspace_dir(ctx.obj.get("workspace")), read_only=read_only)


def engine_options(f):
    """--engine / --spark-master: compute on DuckDB (default) or Spark over the workspace's Parquet lake."""
    f = click.option("--spark-master", metavar="URL", help="Spark master, e.g. spark://host:7077 (default: local[2]).")(f)
    return click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
                        help="Engine (default: the workspace's `engine` setting).")(f)  # fmt: skip


def _open_on_engine(ctx: click.Context, engine: str | None, spark_master: str | None):
    ws = _open(ctx, read_only=True)
    try:
        ws.use_engine(engine, spark_master=spark_master)
    except BaseException:
        ws.close()
        raise
    return ws


def _split(values: str | None) -> list[str]:
    return [v.strip() for v in (values or "").split(",") if v.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
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
@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Report/UI language.")
@click.option("--name", help="Workspace name (default: the directory name).")
@click.option("--lake", metavar="PATH", help="Also keep the tables as a partitioned Parquet lake at PATH (for Spark).")
def init(directory: str, lang: str, name: str | None, lake: str | None) -> None:
    """Create a workspace: a DuckDB store, a config file (hudong.toml) and a pseudonym key."""
    from hudong.store.lake import enable_lake, export_lake
    from hudong.store.workspace import Workspace

    ws = Workspace.init(directory, name=name, language=lang)
    try:
        if lake:
            enable_lake(ws, lake)
            export_lake(ws, lake)
            click.echo(f"lake: {lake} (imports keep it in step)")
        click.echo(f"created workspace {ws.path} (schema v{ws.schema_version}); edit {ws.path / 'hudong.toml'} to "
                   "set your brand, business hours and privacy options.")  # fmt: skip
    finally:
        ws.close()


@cli.command()
@click.option("--lake", metavar="PATH", required=True, help="Directory (or object-store URL) of the Parquet lake.")
@click.option("--keep/--no-keep", default=True, show_default=True, help="Record the lake in hudong.toml so imports update it.")
@click.pass_context
def export(ctx: click.Context, lake: str, keep: bool) -> None:
    """Export the workspace's tables to a Parquet lake partitioned by platform and month (incremental)."""
    from hudong.store.lake import enable_lake, export_lake

    ws = _open(ctx)
    try:
        rows = export_lake(ws, lake)
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
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--as", "fmt", required=True, metavar="FORMAT", help="Format name (see `hudong formats`) or a mapping file.")
@click.option("--progress/--no-progress", default=None, help="Show a progress bar (default: on a terminal).")
@click.pass_context
def import_(ctx: click.Context, files: tuple[str, ...], fmt: str, progress: bool | None) -> None:
    """Import export files (CSV/TSV/JSON/JSONL/XLSX/Parquet, optionally .gz/.xz) into the workspace.

    Rows are keyed by (platform, id): importing the same file twice changes nothing. Rows that fail
    validation are quarantined with file, row, column and reason (see `hudong quarantine`).
    """
    from hudong.ingest import import_file

    ws = _open(ctx)
    show = sys.stderr.isatty() if progress is None else progress
    try:
        for f in files:
            if not Path(f).exists():
                raise HudongError(f"{f}: no such file")
            summary = import_file(ws, f, fmt, progress=show)
            click.echo(str(summary))
    finally:
        ws.close()


@cli.command()
def formats() -> None:
    """List the built-in import formats (mapping files)."""
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
    ws = _open(ctx, read_only=True)
    sql = "SELECT batch_id, source_file, row_number, column_name, reason FROM quarantine"
    params: list = []
    if batch:
        sql += " WHERE batch_id = ?"
        params.append(batch)
    sql += " ORDER BY source_file, row_number LIMIT ?"
    rows = ws.con.execute(sql, params + [limit]).fetchall()
    total = ws.con.execute("SELECT count(*) FROM quarantine" + (" WHERE batch_id = ?" if batch else ""), params).fetchone()[0]
    for b, f, r, c, why in rows:
        click.echo(f"{f}:{r}  column={c or '-'}  {why}  (batch {b})")
    click.echo(f"{total} quarantined row(s)" + (f", first {len(rows)} shown" if total > len(rows) else ""))
    ws.close()


@cli.command()
@click.pass_context
def imports(ctx: click.Context) -> None:
    """Import history: each batch with its counts and status."""
    ws = _open(ctx, read_only=True)
    rows = ws.con.execute(
        "SELECT batch_id, started_at, importer, source_file, status, rows_read, rows_stored, rows_updated,"
        " rows_unchanged, rows_quarantined FROM import_batches ORDER BY started_at"
    ).fetchall()
    for b, t, imp, f, st, n, s, u, same, q in rows:
        click.echo(f"{t:%Y-%m-%d %H:%M}  {st:<6} {imp:<24} read={n} stored={s} updated={u} unchanged={same} "
                   f"quarantined={q}  {f}  ({b})")
    ws.close()


@cli.command()
@click.argument("user")
@click.option("--platform", help="Platform of the user id (needed to hash a raw id).")
@click.pass_context
def forget(ctx: click.Context, user: str, platform: str | None) -> None:
    """Erase a user everywhere (raw platform id or pseudonym): posts, interactions, orders, surveys, follows."""
    from hudong.ingest.privacy import forget as forget_user

    ws = _open(ctx)
    try:
        counts = forget_user(ws, user, platform=platform)
    finally:
        ws.close()
    total = sum(counts.values())
    detail = ", ".join(f"{t}={n}" for t, n in counts.items() if n)
    click.echo(f"erased {total} row(s) for {user}" + (f": {detail}" if detail else ""))


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
        df = ws.metric(name, by=_split(by), **filters)
    finally:
        ws.close()
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(df.to_json(orient="records", date_format="iso", force_ascii=False))
    else:
        _print_table(df, title=_metric_title(name, lang))


def _metric_title(name: str, lang: str) -> str:
    from hudong.metrics.registry import REGISTRY

    m = REGISTRY.get(name)
    if m is None:
        return name
    return f"{m.label_zh if lang == 'zh' else m.label_en} ({name}) — {m.formula}"


def _print_table(df, title: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for col in df.columns:
        table.add_column(str(col), justify="right" if df[col].dtype.kind in "iuf" else "left")
    for row in df.itertuples(index=False):
        table.add_row(*[_fmt(v) for v in row])
    Console().print(table)
    if df.empty:
        click.echo("(no rows: no data matches; check the filters or import data first)")


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:.4g}"
    if hasattr(v, "strftime"):
        return v.strftime("%Y-%m-%d") if getattr(v, "hour", 0) == 0 and getattr(v, "minute", 0) == 0 else str(v)
    return "" if v is None else str(v)


@cli.command()
@click.option("--top", default=20, show_default=True, help="Show the N largest cascades.")
@click.option("--platform", help="Only these platforms (comma-separated).")
@click.pass_context
def cascades(ctx: click.Context, top: int, platform: str | None) -> None:
    """Repost cascades: size (unique users), depth, max breadth, structural virality, growth and data repairs."""
    from hudong.graph import cascades_table

    ws = _open(ctx, read_only=True)
    try:
        df = cascades_table(ws, platform=_split(platform) or None, generations=False)
    finally:
        ws.close()
    # Short headers so the table fits a terminal; the full frame is `hudong.graph.cascades_table(ws)`.
    cols = {"platform": "platform", "root_post_id": "root post", "size": "users", "n_posts": "posts", "depth": "depth",
            "max_breadth": "breadth", "structural_virality": "virality", "t_users_10": "t10 min",
            "half_life": "half-life min", "several_parents": "multi-parent", "missing_parents": "orphans"}
    _print_table(df[list(cols)].head(top).rename(columns=cols),
                 title=f"cascades: {len(df):,} (times in minutes since the root post)")  # fmt: skip


@cli.command()
@click.option("--top", default=20, show_default=True, help="Show the N best candidates.")
@click.pass_context
def koc(ctx: click.Context, top: int) -> None:
    """KOC candidates: nano/micro tier, engagement above peers, customer evidence; ranked by reshares triggered."""
    from hudong.graph import koc_candidates

    ws = _open(ctx, read_only=True)
    try:
        df = koc_candidates(ws)
    finally:
        ws.close()
    cols = ["platform", "user_id", "koc_score", "evidence"]
    _print_table(df[cols].head(top), title=f"KOC candidates: {len(df):,} (see docs/propagation.md)")


@cli.command()
@click.option("--self-assessment", type=click.Path(dir_okay=False, exists=True), help="TOML answers (strategy, organization).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language (default: the workspace's).")
@engine_options
@click.pass_context
def scorecard(ctx: click.Context, self_assessment: str | None, as_json: bool, lang: str | None, engine: str | None,
              spark_master: str | None) -> None:
    """The social-media maturity scorecard: five dimensions 0–100, their evidence, benchmarks and advice."""
    ws = _open_on_engine(ctx, engine, spark_master)
    try:
        card = ws.scorecard(self_assessment=Path(self_assessment) if self_assessment else None)
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
@click.option("--out", type=click.Path(file_okay=False), help="Output directory (default: WORKSPACE/reports).")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Also write the PDF.")
@engine_options
@click.pass_context
def report(ctx: click.Context, lang: str | None, out: str | None, pdf: bool, engine: str | None,
           spark_master: str | None) -> None:
    """Write the report: one self-contained offline HTML file and a PDF."""
    from hudong.report import write_report

    ws = _open_on_engine(ctx, engine, spark_master)
    try:
        lang = lang or ws.setting("language", "zh")
        out_dir = Path(out) if out else ws.path / "reports"
        paths = write_report(ws, out_dir, lang=lang, formats=("html", "pdf") if pdf else ("html",))
    finally:
        ws.close()
    for kind, p in paths.items():
        click.echo(f"{kind}: {p}")


# ---- demo -----------------------------------------------------------------------------------------
@cli.command()
@click.argument("directory", required=False, default="demo-workspace", type=click.Path(file_okay=False))
@click.option("--scale", default=1.0, show_default=True, help="Data volume (1.0 ≈ 1M+ interactions).")
@click.option("--seed", default=7, show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--force", is_flag=True, help="Replace DIRECTORY if it exists.")
def demo(directory: str, scale: float, seed: int, lang: str, force: bool) -> None:
    """Generate a realistic sample brand workspace, import it, score it and write its report."""
    import shutil

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
        card = ws.scorecard()
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


# ---- web (issue #5) -------------------------------------------------------------------------------
@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.pass_context
def serve(ctx: click.Context, directory: str | None, host: str, port: int) -> None:
    """Serve the web workspace (overview, engagement, reply inbox) and the REST API (/api, /openapi.json)."""
    import uvicorn

    from hudong.web.app import create_app

    d = Path(directory) if directory else _workspace_dir(ctx.obj.get("workspace"))
    app = create_app(d)
    click.echo(f"hudong web on http://{host}:{port}  (workspace {d}; add users with `hudong -w {d} user add NAME`)")
    uvicorn.run(app, host=host, port=port, log_level="info")


@cli.group()
def user() -> None:
    """Web users: add them, list them, issue API tokens (stop `hudong serve` first: it holds the workspace)."""


@user.command(name="add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "analyst", "responder", "viewer"]), default="viewer",
              show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Create a web user (the password is asked for, or read with --password-stdin)."""
    from hudong.web.auth import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    ws = _open(ctx)
    try:
        u = add_user(ws.con, name, role, password)
    finally:
        ws.close()
    click.echo(f"added user {u.name} ({u.role})")


@user.command(name="list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """List web users and their roles."""
    from hudong.web.auth import list_users

    ws = _open(ctx)
    try:
        for u in list_users(ws.con):
            click.echo(f"{u['name']}\t{u['role']}\t{'token' if u['has_token'] else '-'}")
    finally:
        ws.close()


@user.command(name="token")
@click.argument("name")
@click.pass_context
def user_token(ctx: click.Context, name: str) -> None:
    """Issue a new API token for NAME (replaces the old one; shown once): Authorization: Bearer TOKEN."""
    from hudong.web.auth import new_token

    ws = _open(ctx)
    try:
        click.echo(new_token(ws.con, name))
    finally:
        ws.close()


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except HudongError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - a user sees one line; HUDONG_DEBUG shows the rest
        if os.environ.get("HUDONG_DEBUG"):
            raise
        click.echo(f"error: {type(e).__name__}: {e} (set HUDONG_DEBUG=1 for details)", err=True)
        sys.exit(2)


# ---- text intelligence (issue #4) ---------------------------------------------------------------
@cli.group()
def text() -> None:
    """Text intelligence: sentiment of posts and comments (zh / en)."""


@text.command("sentiment")
@click.pass_context
def text_sentiment(ctx: click.Context) -> None:
    """Score every post and interaction with text; writes the text_sentiment table (used by net_sentiment)."""
    from hudong.text.sentiment import score_workspace

    ws = _open(ctx)
    try:
        s = score_workspace(ws)
    finally:
        ws.close()
    versions = ", ".join(f"{k} {v}" for k, v in s.model_versions.items())
    click.echo(
        f"scored {s.rows:,} texts ({s.by_kind['post']:,} posts, {s.by_kind['interaction']:,} interactions) "
        f"in {s.seconds:.1f} s — {s.texts_per_second:,.0f} texts/s; models: {versions}"
    )
    click.echo("language: " + ", ".join(f"{k} {v:,}" for k, v in s.by_lang.most_common()))
    pol = {k or "not scored": v for k, v in s.by_polarity.items()}
    click.echo(
        "polarity: " + ", ".join(f"{k} {pol.get(k, 0):,}" for k in ("positive", "neutral", "negative", "not scored"))
    )


if __name__ == "__main__":
    main()
