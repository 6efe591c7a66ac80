"""The `hudong` commands: Audience segments and what they respond to; campaigns: ROI, attribution, lift, UGC challenges;
the questions people ask most, with the official answers (faq)."""

from __future__ import annotations

import json
from typing import Any

import click

from hudong.cli.base import _by, _open, _split, cli


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


@cli.group(invoke_without_command=True)
@click.option("--status", help="Only these statuses (comma-separated: new, considering, planned, shipped, declined).")
@click.option("--kind", help="Only these kinds (comma-separated: bug, request, suggestion, complaint).")
@click.option("--min-supporters", type=int, default=2, show_default=True)
@click.option("--top", type=int, default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def ideas(ctx: click.Context, status: str | None, kind: str | None, min_supporters: int, top: int,
          as_json: bool) -> None:  # fmt: skip
    """The co-creation board: suggestions, requests, complaints and bug reports from comments, DMs, group chats
    and survey answers, grouped into ideas with their supporters, trend and status (`hudong ideas refresh` adds
    new messages; `hudong ideas show ID`; `hudong ideas status ID shipped` drafts the answers to its supporters)."""
    if ctx.invoked_subcommand is not None:
        return
    from hudong import analyses

    ws = _open(ctx, read_only=True)
    try:
        res = analyses.run(ws, "ideas", status=_split(status) or None, kind=_split(kind) or None,
                           min_supporters=min_supporters, top=top)  # fmt: skip
    finally:
        ws.close()
    df = res.frame("ideas")
    if as_json:
        click.echo(df.to_json(orient="records", date_format="iso", force_ascii=False))
        return
    v = res.values
    click.echo(f"{v['ideas']} ideas with {min_supporters}+ supporters; the team acted on {v['acted']}, shipped "
               f"{v['shipped']}, answered {v['answered']}")
    for r in df.itertuples():
        trend = "" if r.trend != r.trend else f" {r.trend:+.0%}"
        click.echo(f"  {r.idea_id}  {r.status:<11} {r.kind:<10} {r.supporters:>5} people {r.messages:>5} msgs"
                   f"{trend:>6}  {r.title}")


@ideas.command(name="refresh")
@click.pass_context
def ideas_refresh(ctx: click.Context) -> None:
    """Put the messages not yet on the board on it: classify them, join similar ideas or start new ones."""
    from hudong.analyses.ideas import refresh

    ws = _open(ctx)
    try:
        out = refresh(ws)
    finally:
        ws.close()
    click.echo(f"read {out['read']:,} messages: {out['feedback']:,} feedback, {out['joined']:,} joined ideas, "
               f"{out['new_ideas']:,} new ideas")


@ideas.command(name="show")
@click.argument("idea_id")
@click.pass_context
def ideas_show(ctx: click.Context, idea_id: str) -> None:
    """One idea and its messages (newest first), each with the phrase that made it feedback."""
    from hudong import analyses

    ws = _open(ctx, read_only=True)
    try:
        res = analyses.run(ws, "ideas", idea=idea_id, min_supporters=1)
    finally:
        ws.close()
    r = res.frame("ideas").iloc[0]
    click.echo(f"{r['idea_id']}  {r['status']}  {r['kind']}  {r['title']}  ({r['supporters']} people, "
               f"{r['messages']} messages, {r['first_seen']:%Y-%m-%d} – {r['last_seen']:%Y-%m-%d})")
    for m in res.frame("messages").itertuples():
        click.echo(f"  {m.created_at:%Y-%m-%d} {m.platform}:{m.source} [{m.label}: {m.cue}] {m.text}")


@ideas.command(name="status")
@click.argument("idea_id")
@click.argument("status", type=click.Choice(["new", "considering", "planned", "shipped", "declined"]))
@click.option("--note", help="Why (declined), when (planned) …")
@click.option("--title", help="Rename the idea.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the answers drafted when it ships.")
@click.pass_context
def ideas_status(ctx: click.Context, idea_id: str, status: str, note: str | None, title: str | None, lang: str) -> None:
    """Move an idea; shipping it drafts the "you asked, we built it" reply to every supporter in the inbox."""
    from hudong.inbox.ideas import set_status

    ws = _open(ctx)
    try:
        out = set_status(ws, idea_id, status, _by(), note=note, title=title, lang=lang)  # type: ignore[arg-type]
    finally:
        ws.close()
    click.echo(f"{idea_id}: {out['from']} → {out['status']}")
    if "answers" in out:
        a = out["answers"]
        click.echo(f"drafted {a['drafted']} answers in the inbox; {a['elsewhere']} supporters wrote elsewhere "
                   "(survey, group chat, posts)")


@cli.command()
@click.option("--platform", help="Only these platforms (comma-separated).")
@click.option("--start", metavar="DATE", help="Questions asked from this date (inclusive).")
@click.option("--end", metavar="DATE", help="Questions asked up to this date (inclusive).")
@click.option("--min", "min_count", type=int, default=3, show_default=True, help="Asked at least this often.")
@click.option("--top", type=int, default=20, show_default=True, help="Show the N most asked.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def faq(ctx: click.Context, platform: str | None, start: str | None, end: str | None, min_count: int, top: int,
        fmt: str) -> None:
    """The questions people ask most (comments, DMs, mentions), grouped, each with the team's best answer — the FAQ
    to publish; a question without an agreed answer is a gap to fill (docs/public-service.md)."""
    from hudong import analyses

    with _open(ctx) as ws:
        res = analyses.run(ws, "faq", platform=_split(platform) if platform else None, start=start, end=end,
                           min_count=min_count)  # fmt: skip
    table = res.frame("faq").head(top)
    if fmt == "csv":
        click.echo(table.drop(columns=["ids"]).to_csv(index=False), nl=False)
        return
    if fmt == "json":
        click.echo(json.dumps({"values": res.values, "faq": json.loads(table.to_json(orient="records",
                   date_format="iso", force_ascii=False))}, ensure_ascii=False))  # fmt: skip
        return
    v = res.values
    if not v["questions"]:
        click.echo("no questions in the messages addressed to the organization")
        return
    click.echo(f"{v['questions']:,} questions, {v['covered']:.0%} of them one of {v['recurring']} recurring questions; "
               f"{v['answered']:.0%} answered")  # fmt: skip
    for r in table.to_dict("records"):
        answer = r["best_answer"] if r["official"] else ("(no answer yet)" if not r["best_answer"] else
                                                         f"(answers differ: {r['agreement']:.0%} agree)")  # fmt: skip
        click.echo(f"{r['asked']:>5}×  {r['question']}\n        → {answer}")


@cli.command()
@click.option("--platform", help="Only these platforms (comma-separated).")
@click.option("--start", metavar="DATE", help="Statements from this date (inclusive).")
@click.option("--end", metavar="DATE", help="Statements up to this date (inclusive).")
@click.option("--days", "window_days", type=int, default=7, show_default=True,
              help="A rebuttal answers what others said in this many days before it.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
def statements(ctx: click.Context, platform: str | None, start: str | None, end: str | None, window_days: int,
               fmt: str) -> None:
    """The organization's announcements and rebuttals, and how the public took them: the net sentiment of the
    comments on each (95 % interval) and, for a rebuttal, what it answers and whether it reached as many people
    (docs/public-service.md)."""
    from hudong import analyses

    with _open(ctx) as ws:
        res = analyses.run(ws, "statements", platform=_split(platform) if platform else None, start=start, end=end,
                           window_days=window_days)  # fmt: skip
    df = res.frame("statements")
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
        return
    if fmt == "json":
        click.echo(json.dumps({"values": res.values, "statements": json.loads(df.to_json(orient="records",
                   date_format="iso", force_ascii=False))}, ensure_ascii=False, default=str))  # fmt: skip
        return
    if df.empty:
        click.echo("no announcement or rebuttal among the organization's posts")
        return
    for r in df.to_dict("records"):
        net = "—" if r["net"] is None or r["net"] != r["net"] else (
            f"{r['net']:+.0%} [{r['net_low']:+.0%}, {r['net_high']:+.0%}] of {r['scored']} scored")
        click.echo(f"{r['ts']:%Y-%m-%d} {r['kind']:<12} {str(r['text'])[:40]}")
        click.echo(f"             response: {r['responses']} comments, net sentiment {net}")
        if r["kind"] == "rebuttal":
            ratio = r.get("reach_ratio")
            click.echo(f"             answers {int(r.get('answers_posts') or 0)} posts by "
                       f"{int(r.get('answers_authors') or 0)} people ({int(r.get('answers_engagements') or 0):,} "
                       f"engagements); reached {'—' if ratio is None or ratio != ratio else f'{ratio:.2f}×'} of them")
