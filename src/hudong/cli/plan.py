"""The `hudong` commands: The content calendar (plan) and experiments with the learning log."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import click

from hudong.cli.base import _by, _open, _split, cli
from hudong.errors import HudongError


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
@click.option("--window", "window_days", type=int, help="replies: count every outcome within DAYS of the reply "
              "(default: 7 for answers and messages, 30 for orders and unfollows).")
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
@click.option("--text", "texts", multiple=True, help="ARM=TEXT: the text of an arm's posts (repeatable).")
@click.option("--set", "sets", multiple=True, metavar="ARM.FIELD=VALUE",
              help="What else an arm varies (repeatable): title, images (a count), content_type (image, video …) or "
                   "time (of day, e.g. evening.time=21:00: then each slot stands for its day).")
@click.option("--shared-text", help="The text every arm carries (when the arms differ in format, images or time).")
@click.option("--seed", type=int, help="Randomisation seed (default: random).")
@click.pass_context
def experiment_plan(ctx: click.Context, experiment_id: str, platform: str, slots: tuple[str, ...],
                    texts: tuple[str, ...], sets: tuple[str, ...], shared_text: str | None,
                    seed: int | None) -> None:  # fmt: skip
    """Let hudong place a posts experiment's variants on the calendar: the slots are randomised into the arms
    within like slots (weekday × 3 hours; weekdays when time is the treatment), one draft plan item per slot with
    its arm's variant."""
    from hudong.plan import experiments as E

    arms = dict(t.split("=", 1) for t in texts if "=" in t)
    if len(arms) != len(texts):
        raise click.UsageError("--text takes ARM=TEXT")
    variants: dict[str, dict[str, str]] = {}
    for item in sets:
        target, eq, value = item.partition("=")
        arm, dot, field = target.rpartition(".")
        if not (eq and dot and arm and field):
            raise click.UsageError(f"--set takes ARM.FIELD=VALUE, got {item!r}")
        variants.setdefault(arm, {})[field] = value
    common = {"text": shared_text} if shared_text else {}
    ws = _open(ctx)
    try:
        made = E.plan_variants(ws, experiment_id, platform=platform, slots=slots, texts=arms, variants=variants,
                               by=_by(), seed=seed, **common)  # fmt: skip
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
