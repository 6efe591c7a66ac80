"""The `hudong` commands: Text analyses: sentiment scoring, model training, topics, bursts, mentions, alerts."""

from __future__ import annotations

import json

import click

from hudong.cli.base import ClientPath, _analysis, _bar, _open, _print_table, _split, cli, progress_option
from hudong.errors import HudongError


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
    if s.outside_domain:
        scored = {lg: v for lg, v in s.by_lang.items() if lg in s.outside_domain}
        click.echo("outside the sentiment model's domain (its words mostly unknown; column coverage): " + ", ".join(
            f"{lg} {v:,} of {scored[lg]:,} ({v / scored[lg]:.0%})" for lg, v in s.outside_domain.most_common()
        ) + " — `hudong text adapt` learns the workspace's words without labels")  # fmt: skip
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


@text.command("adapt")
@click.option("--unlabeled", is_flag=True, default=True, show_default=True,
              help="Learn from the workspace's own unlabelled texts (the only mode; with labels: hudong text train).")
@click.option("--limit", type=click.IntRange(min=1), default=100_000, show_default=True,
              help="Distinct texts to learn from (a seeded sample when there are more).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.pass_context
def text_adapt(ctx: click.Context, unlabeled: bool, limit: int, seed: int) -> None:
    """Adapt the sentiment model to this workspace's texts without labels: distant labels from emoticons, emoji
    and emotion words, then self-training; then the Chinese emotion lexicon backs off to that sentiment model where
    it finds no cue (docs/text.md, "Adapting without labels").

    Prints, per language, how many texts carried a cue, the agreement with held-out cue labels before and after
    (cues removed), and each safeguard; a failed safeguard keeps the model in use. Sentiment and emotion labels set
    in the inbox are used as a further check. Stop `hudong serve` first: it holds the workspace."""
    from hudong.analyses.adaptation import adapt_to_workspace
    from hudong.inbox.labels import training_data

    ws = _open(ctx)
    try:
        labelled, labelled_emotion = training_data(ws, "sentiment"), training_data(ws, "emotion")
        results = adapt_to_workspace(ws, limit=limit, seed=seed, labelled=labelled if labelled[0] else None,
                                     labelled_emotion=labelled_emotion if labelled_emotion[0] else None)  # fmt: skip
    finally:
        ws.close()
    for r in results:
        d = r.details
        if r.task == "emotion":
            click.echo(f"emotion {r.lang}: {d['texts']:,} texts; the lexicon backs off to the sentiment model where "
                       f"it finds no cue (P ≥ {d['backoff']:.1f} → angry / happy)"
                       + (f", {d['changed']:.0%} of the texts change label" if "changed" in d else ""))  # fmt: skip
        else:
            cues = ", ".join(f"{c} {n:,}" for c, n in sorted(d["distant"].items())) or "none"
            click.echo(f"sentiment {r.lang}: {d['texts']:,} texts, {sum(d['distant'].values()):,} with an emotion cue "
                       f"({cues})")  # fmt: skip
        if d.get("self_training", {}).get("used"):
            used = d["self_training"]["used"]
            click.echo(f"  self-training: {used['positive']:,} positive + {used['negative']:,} negative texts the "
                       f"model was sure of; model: {d.get('model', '–')}")
        for name, c in d["checks"].items():
            if name == "class_shares":
                shown = "; ".join(f"{k} {c['before'][k]:.0%} → {c['after'][k]:.0%}" for k in c["before"])
            else:
                shown = f"macro-F1 {c['before']:.3f} → {c['after']:.3f}" + (f" on {c['n']:,} labels" if "n" in c else "")
            click.echo(f"  check {name.replace('_', ' ')}: {shown} — {'ok' if c['ok'] else 'FAILED'}")
        if "refused" in d:
            click.echo(f"  not adapted: {d['refused']}; still {r.base_version}")
        else:
            held = f"; trained on {r.n_train:,}, held out {r.n_heldout:,}" if r.task == "sentiment" else ""
            click.echo(f"  adapted: {r.base_version} → {r.version} ({r.path}){held}")
    if any("refused" not in r.details for r in results):
        click.echo("in use from now on; run `hudong text score` to rescore the workspace")


@text.command("onnx")
@click.argument("directory", type=ClientPath(exists=True, file_okay=False))
@click.option("--task", type=click.Choice(["sentiment", "emotion", "toxicity"]), required=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), required=True)
@click.option("--label", "label_map", multiple=True, metavar="NAME=CLASS",
              help="Map one of the model's labels to the task's class, e.g. LABEL_0=negative (repeatable).")
@click.option("--sample", type=click.IntRange(min=1), default=500, show_default=True,
              help="Workspace texts to time both models on.")
@click.pass_context
def text_onnx(ctx: click.Context, directory: str, task: str, lang: str, label_map: tuple[str, ...], sample: int) -> None:
    """Score TASK for LANG texts with a transformer model of your own, exported to ONNX (DIRECTORY: model.onnx,
    tokenizer.json, config.json). Needs `pip install 'hudong[onnx]'`; nothing is downloaded.

    Prints both models' throughput on the workspace's texts and, where the inbox has labels of TASK, both models'
    scores on them. `hudong text train --reset --task TASK` goes back to the shipped model (the directory is kept).
    Stop `hudong serve` first: it holds the workspace."""
    from hudong.analyses.adaptation import use_onnx
    from hudong.inbox.labels import training_data

    labels: dict[str, str] = {}
    for item in label_map:
        name, sep, cls = item.partition("=")
        if not sep or not name or not cls:
            raise click.BadParameter(f"{item!r} is not NAME=CLASS", param_hint="--label")
        labels[name] = cls
    ws = _open(ctx)
    try:
        labelled = training_data(ws, task)
        r = use_onnx(ws, directory, task=task, lang=lang, labels=labels, sample=sample,
                     labelled=labelled if labelled[0] else None)  # fmt: skip
    finally:
        ws.close()
    d = r.details
    click.echo(f"{task} {lang}: {r.base_version} → {r.version} (classes {', '.join(d['classes'])}; {r.path})")
    for version, rate in d["texts_per_second"].items():
        shown = f"{rate:,.0f} texts/s" if rate else "not timed (no workspace texts in this language)"
        click.echo(f"  {version}: {shown}" + (f" on {d['timed_on']:,} workspace texts" if rate else ""))
    if r.n_heldout:
        for name, sc in (("before", r.before), ("after", r.after)):
            click.echo(f"  {name:6}: accuracy {sc['accuracy']:.3f}, macro-F1 {sc['macro_f1']:.3f} on "
                       f"{r.n_heldout:,} inbox labels")  # fmt: skip
    click.echo("in use from now on; run `hudong text score` to rescore the workspace")


@text.command("domain")
@click.option("--sample", type=click.IntRange(min=1), default=5_000, show_default=True,
              help="Distinct texts to judge (a seeded sample of the posts and comments).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def text_domain(ctx: click.Context, sample: int, as_json: bool) -> None:
    """Do the sentiment models fit this workspace's texts? The share of a sample each model covers poorly, per
    language; a warning (and the remedy) when 25% or more are out of its domain."""
    from hudong import analyses
    from hudong.report.text_sections import domain_warnings

    ws = _open(ctx)
    try:
        res = analyses.run(ws, "text_domain", sample=sample)
    finally:
        ws.close()
    if as_json:
        click.echo(json.dumps({"languages": res.frame("languages").to_dict("records"), **res.values},
                              ensure_ascii=False, default=str))  # fmt: skip
        return
    for r in res.frame("languages").itertuples():
        click.echo(f"{r.lang}: {r.model_version}{' (adapted)' if r.adapted else ''} — {r.low_coverage:,} of "
                   f"{r.texts:,} texts low-coverage ({r.low_share:.0%}); median coverage {r.median_coverage:.2f}"
                   + (" — OUT OF DOMAIN" if r.warn else ""))  # fmt: skip
    for w in domain_warnings(res, "en"):
        click.echo(w)


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
