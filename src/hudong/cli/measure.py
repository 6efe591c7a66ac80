"""The `hudong` commands: Measures and analyses: metrics, cascades, KOC, coordination, groups, communities, forecast, rumour, the scorecard and the report."""

from __future__ import annotations

import json
from pathlib import Path

import click

from hudong.cli.base import (
    ClientPath,
    _analysis,
    _bar,
    _open,
    _print_table,
    _split,
    _workspace_dir,
    cli,
    progress_option,
)
from hudong.errors import HudongError


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


@cli.command()
@click.argument("name", required=False)
@click.option("--by", default="", metavar="DIMS", help="Comma-separated dimensions, e.g. platform,week.")
@click.option("--start", metavar="DATE", help="From this date (inclusive).")
@click.option("--end", metavar="DATE", help="Up to this date (exclusive).")
@click.option("--platform", help="Only these platforms (comma-separated).")
@click.option("--account", help="Only these accounts (comma-separated).")
@click.option("--campaign", help="Only these campaigns (comma-separated).")
@click.option("--segment", metavar="SEGMENT", help="Only the people of a stored segment: its number, rule or name "
              "(latest run), RUN#SEGMENT, or several comma-separated (`hudong segments list`).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
@engine_options
@click.pass_context
def metrics(ctx: click.Context, name: str | None, by: str, start: str | None, end: str | None, platform: str | None,
            account: str | None, campaign: str | None, segment: str | None, fmt: str, lang: str, engine: str | None,
            spark_master: str | None) -> None:
    """Compute a metric (grouped --by dimensions), or list the metrics when NAME is omitted."""
    from hudong.metrics import frame as metric_frame
    from hudong.metrics import list_metrics
    from hudong.metrics.registry import REGISTRY
    from hudong.store.segment_runs import resolve as resolve_segment

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
        if segment:
            filters["segment"] = resolve_segment(ws, segment)
        df = metric_frame(ws, name, by=_split(by), **filters)
        empty = _empty_note(ws, name, filters, lang) if df.empty or df["value"].dropna().empty else ""
    finally:
        ws.close()
    if segment:
        who = filters["segment"]
        click.echo(f"{'人群' if lang == 'zh' else 'segment'} {who.label(lang)} ({who.value}): {who.size:,}", err=True)
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
    why = explain_empty(cache, name, filtered=any(k in filters for k in ("platform", "account", "campaign",
                                                                         "segment")))
    how = why.how(lang)
    return f"({why.text(lang)}" + (f"; {how}" if how and lang == "en" else f"；{how}" if how else "") + ")"


def _metric_title(name: str, lang: str) -> str:
    from hudong.metrics.registry import REGISTRY

    m = REGISTRY.get(name)
    if m is None:
        return name
    return f"{m.label_zh if lang == 'zh' else m.label_en} ({name}) — {m.formula}"


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


CORPUS_HELP = "Training corpus: twitter15, twitter16 (size forecast only: no labels shipped) or ced."


DATA_HELP = "Folder holding twitter15_16_propagation/ and/or weibo_ced_rumor_cascades/ (or one of them)."


def _model_path(ctx: click.Context, name: str) -> Path:
    from hudong.store.workspace import MODELS_DIR

    return _workspace_dir(ctx.obj.get("workspace")) / MODELS_DIR / name


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
@click.option("--parts", default="auto", show_default=True,
              help="Feature groups (text, structure, users, comma-separated), or auto: those that carried over best "
                   "from the corpus's earlier stories to its later ones.")  # fmt: skip
@click.pass_context
def rumour_train(ctx: click.Context, data: str, corpus: str, minutes: float | None, parts: str) -> None:
    """Train on a labelled corpus and save the model into the workspace (models/rumour.pkl)."""
    from hudong.analyses.forecast import RUMOUR_MODEL
    from hudong.graph.forecast import read_corpus
    from hudong.graph.rumour import PARTS, RumourFlagger, classes_of

    groups = PARTS if parts == "auto" else tuple(p.strip() for p in parts.split(",") if p.strip())
    lc = read_corpus(data, corpus)
    model = RumourFlagger(lang=str(lc.info["lang"].iloc[0]), classes=classes_of(lc), minutes=minutes, parts=groups)
    model.fit(lc, choose=parts == "auto")
    path = model.save(_model_path(ctx, RUMOUR_MODEL))
    classes = ", ".join(model.classes)
    click.echo(f"saved {path} (trained on {model.trained_on}: {len(lc.info):,} cascades, classes {classes})")
    click.echo(f"feature groups: {', '.join(model.parts)}" + (f" (accuracy on later stories: {model.chosen})"
                                                            if model.chosen else ""))  # fmt: skip


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
