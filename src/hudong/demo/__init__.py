"""Demo data: six months of a fictional tea brand, 山茶社 (Camellia Tea Co.), on five platforms.

    files = hudong.demo.generate(Path("exports"), seed=7, scale=1.0)   # [(path, format), …] in import order
    result = hudong.demo.build("demo-ws")                              # workspace + generate + import

At scale 1.0: ~150k people, ~70k posts (with repost cascades), >1M interactions, follows, orders,
NPS answers and campaigns, 2026-01-01 … 2026-06-30 (fixed; never today's date). Everything is a
function of ``seed``; ``scale`` shrinks volumes proportionally (tests use ~0.02).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from hudong.analyses import ideas, segments
from hudong.analyses.scoring import import_and_score
from hudong.demo import (
    activity,
    calendar,
    cascades,
    commerce,
    content,
    conversations,
    experiments,
    feedback,
    groups,
    integrity,
    network,
    personas,
    statements,
    tables,
)
from hudong.demo.brand import BRAND, BRAND_ALIASES, PLATFORMS
from hudong.demo.draw import stage_rng as _rng
from hudong.demo.people import ActorSampler, make_people
from hudong.demo.writer import write
from hudong.errors import HudongError
from hudong.store.workspace import Workspace

__all__ = ["DemoBuild", "build", "generate", "simulate"]


def simulate(*, seed: int = 7, scale: float = 1.0) -> dict[str, pa.Table]:
    """Generate the demo world in memory: one Arrow table per schema table (no provenance columns)."""
    if scale <= 0:
        raise ValueError("scale must be > 0")
    people = make_people(_rng(seed, "people"), scale)
    actors = ActorSampler(people, _rng(seed, "actors"))

    base = content.Posts.concat([
        content.account_posts(_rng(seed, "account-posts"), scale),
        content.user_posts(_rng(seed, "user-posts"), people, actors, scale),
        content.crisis_posts(_rng(seed, "crisis"), people, actors, scale),
    ])  # fmt: skip
    posts = content.Posts.concat([base, cascades.grow(_rng(seed, "cascades"), base, people, actors, scale)])

    rng = _rng(seed, "activity")
    tastes = personas.Tastes.make(people, _rng(seed, "personas"))  # planted segments with known preferences
    engagement = activity.post_engagement(rng, posts, people, actors, scale, tastes)
    threads = activity.thread_replies(rng, engagement, actors)
    comments = activity.Interactions.concat([engagement, threads], shift=False)  # threads point into engagement
    answers = conversations.comment_answers(_rng(seed, "answers"), people, comments)
    with_answers = activity.Interactions.concat([comments, answers], shift=False)  # answers point into comments
    inter = activity.Interactions.concat([
        with_answers,
        conversations.direct_messages(_rng(seed, "dms"), people, actors, scale),
        activity.reposts_and_mentions(posts),
        activity.follows(_rng(seed, "follows"), posts, actors, scale),
        activity.staff_likes(_rng(seed, "staff-likes"), posts, people),
        integrity.activity(_rng(seed, "integrity"), posts, people, scale),  # a planted ring and bots to detect
    ])  # fmt: skip
    feedback.plant(_rng(seed, "feedback"), inter)  # recurring requests for the co-creation board

    shop = commerce.orders(_rng(seed, "orders"), people, scale)
    answers_nps = commerce.survey(_rng(seed, "survey"), shop, scale)

    seen = np.zeros(len(people), bool)
    for rows in (inter.actor_row, inter.target_row, posts.author_row, shop.social_row):
        seen[rows[rows >= 0]] = True
    edges = network.snapshot(_rng(seed, "follows-snapshot"), people, inter, seen)

    ids_rng = _rng(seed, "ids")
    post_ids = tables.post_ids(ids_rng, posts)
    inter_ids, inter_order = tables.interaction_ids(ids_rng, inter)
    inter_table = tables.interactions_table(inter, people, post_ids, inter_ids).take(pa.array(inter_order))
    post_order = np.lexsort((posts.time, posts.platform))
    posts_table = tables.posts_table(_rng(seed, "reported"), posts, people, inter, post_ids).take(pa.array(post_order))
    posts_table = pa.concat_tables([posts_table, experiments.posts(seed)])  # the brand's experiments (known effects)
    said, response = statements.tables(seed, inter_table)  # announcements and a clarification, with known response
    posts_table = pa.concat_tables([posts_table, said])
    inter_table = pa.concat_tables([inter_table, response])
    return {
        "accounts": tables.accounts_table(),
        "account_stats": tables.account_stats_table(_rng(seed, "account-stats")),
        "users": tables.users_table(people, seen),
        "contacts": tables.contacts_table(people, seen),
        "campaigns": tables.campaigns_table(scale),
        "posts": posts_table,
        "interactions": inter_table,
        "follows": tables.follows_table(edges, people),
        "orders": tables.orders_table(shop),
        "survey_responses": tables.survey_table(answers_nps),
    }


# Import order: things referenced first (accounts before posts mentioning them, posts before interactions).
SPLIT_BY_PLATFORM = ("posts", "interactions")
ORDER = ("accounts", "users", "contacts", "campaigns", "account_stats", "posts", "interactions", "follows", "orders", "survey_responses")


def generate(
    out_dir: str | os.PathLike, *, seed: int = 7, scale: float = 1.0, interactions_format: str = "csv"
) -> list[tuple[Path, str]]:
    """Write the demo export files into ``out_dir``; return ``(file, format)`` in import order.

    Posts and interactions come as one file per platform, like real exports; the others as one
    CSV each. ``interactions_format="parquet"`` writes the interaction files as Parquet instead.
    """
    if interactions_format not in ("csv", "parquet"):
        raise ValueError("interactions_format must be 'csv' or 'parquet'")
    out = Path(out_dir)
    world = simulate(seed=seed, scale=scale)
    files: list[tuple[Path, str]] = []
    for i, name in enumerate(ORDER, start=1):
        table = world[name]
        fmt = f"generic-{name}"
        ext = interactions_format if name == "interactions" else "csv"
        if name in SPLIT_BY_PLATFORM:
            platform = table.column("platform").to_numpy(zero_copy_only=False)
            for p in PLATFORMS:
                rows = np.flatnonzero(platform == p)
                if len(rows):
                    files.append((write(table.take(pa.array(rows)), out / f"{i:02d}_{name}_{p}.{ext}"), fmt))
        else:
            files.append((write(table, out / f"{i:02d}_{name}.{ext}"), fmt))
    files += groups.write_exports(_rng(seed, "groups"), out, scale, len(ORDER) + 1)  # group chats, as PC tools export
    return files


@dataclass
class DemoBuild:
    """What ``build`` did: the workspace, the files imported (with the importer's summaries) and timings."""

    path: Path
    files: list[tuple[Path, str]]
    summaries: list[Any] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # "generate", then one entry per file name


def configure_brand(ws_dir: str | os.PathLike, name: str = BRAND, aliases: tuple[str, ...] = BRAND_ALIASES) -> None:
    """Write the brand and its aliases into the workspace's hudong.toml ``[brand]`` section."""
    path = Path(ws_dir) / "hudong.toml"
    text = path.read_text(encoding="utf-8")
    section = re.search(r"^\[brand\][^\n]*\n(?:(?!\[).*\n?)*", text, flags=re.M)  # up to the next [table]
    if section is None:
        text += f'\n[brand]\nname = "{name}"\naliases = {_toml_list(aliases)}\n'
    else:
        body = section.group(0)
        body = re.sub(r'^name = ".*?"', f'name = "{name}"', body, count=1, flags=re.M)
        body = re.sub(r"^aliases = \[.*?\]", f"aliases = {_toml_list(aliases)}", body, count=1, flags=re.M)
        text = text[: section.start()] + body + text[section.end() :]
    path.write_text(text, encoding="utf-8")


def configure_group_staff(ws_dir: str | os.PathLike, names: tuple[str, ...] = tuple(s for s, _ in groups.STAFF)) -> None:
    """Name the brand's people in its group chats (``[groups] staff``): WeChat exports do not mark the owner."""
    path = Path(ws_dir) / "hudong.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^(\[groups\][^\n]*\n(?:#[^\n]*\n)*)staff = \[.*?\]", rf"\1staff = {_toml_list(names)}",
                           text, count=1), encoding="utf-8")  # fmt: skip


# The fictional brand's own answers to the self-assessment (0–4): a small team that reviews data
# monthly and co-creates with fans, but has no written social strategy and little cross-team sharing.
DEMO_SELF_ASSESSMENT = {
    "data_review": 3, "data_experiments": 1, "data_campaign_roi": 2, "data_user_insight": 2,
    "brand_personality": 3, "strategy_in_plan": 1, "product_cocreation": 3, "service_via_social": 2,
    "org_collaboration": 1, "channel_integration": 2, "agile_iteration": 3, "responsibility": 2,
}  # fmt: skip


def write_self_assessment(ws_dir: str | os.PathLike, answers: dict[str, int] = DEMO_SELF_ASSESSMENT) -> Path:
    """Fill in a copy of the packaged self-assessment template and point hudong.toml at it."""
    template = files("hudong.decide").joinpath("self_assessment_template.toml").read_text(encoding="utf-8")
    out, section = [], None
    for line in template.splitlines():
        if m := re.match(r"^\[(\w+)\]", line):
            section = m.group(1)
        if line.startswith("# answer =") and section in answers:
            line = f"answer = {answers[section]}"
        out.append(line)
    path = Path(ws_dir) / "self-assessment.toml"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    config = Path(ws_dir) / "hudong.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r'^self_assessment = ".*?"', 'self_assessment = "self-assessment.toml"', text, flags=re.M),
                      encoding="utf-8")  # fmt: skip
    return path


def _toml_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def build(
    ws_dir: str | os.PathLike, *, seed: int = 7, scale: float = 1.0, progress: bool = True, interactions_format: str = "csv"
) -> DemoBuild:
    """Create a workspace at ``ws_dir`` with the demo brand configured and all demo files imported.

    Files are written to ``ws_dir/exports/`` and imported through ``hudong.analyses.scoring.import_and_score``,
    the path a user's own exports take (``hudong import``). The workspace is closed again; open it with
    ``hudong.open(result.path)``.
    """

    ws_path = Path(ws_dir)
    Workspace.init(ws_path, name=f"{BRAND} demo").close()
    configure_brand(ws_path)
    configure_group_staff(ws_path)
    write_self_assessment(ws_path)
    say = (lambda msg: print(msg, file=sys.stderr, flush=True)) if progress else (lambda msg: None)

    t0 = time.perf_counter()
    files = generate(ws_path / "exports", seed=seed, scale=scale, interactions_format=interactions_format)
    result = DemoBuild(ws_path, files, seconds={"generate": time.perf_counter() - t0})
    say(f"generated {len(files)} demo files in {result.seconds['generate']:.1f} s")

    ws = Workspace.open(ws_path)
    clock = [time.perf_counter()]

    def imported(path: Path, summary: Any) -> None:
        result.seconds[path.name] = time.perf_counter() - clock[0]
        result.summaries.append(summary)
        say(f"imported {path.name}: {summary.rows_read:,} rows, {summary.quarantined:,} quarantined, "
            f"{result.seconds[path.name]:.1f} s")  # fmt: skip
        clock[0] = time.perf_counter()

    try:
        # as `hudong import` does: the files, then what people wrote read once (sentiment, emotion, toxicity);
        # full: every text was just imported, so skip the search for stale rows
        res = import_and_score(ws, files, full=True, progress=progress, on_file=imported)
        if res.score_error:
            raise HudongError(f"scoring the demo texts failed: {res.score_error}")
        result.seconds["sentiment"] = time.perf_counter() - clock[0]
        say(f"scored sentiment, emotion and toxicity of {res.scored.rows:,} texts in {result.seconds['sentiment']:.1f} s")
        clock[0] = time.perf_counter()
        ran = experiments.register(ws, seed)
        planned = calendar.past(ws, seed) | calendar.ahead(ws, dt.date.today())
        result.seconds["plan"] = time.perf_counter() - clock[0]
        say(f"replayed {len(ran)} experiments and {sum(planned.values())} plan items in {result.seconds['plan']:.1f} s")
        clock[0] = time.perf_counter()
        for kind in ("learned", "rules"):  # the audience's segments, kept as the first runs to compare later ones with
            definition, labels = segments.compute(ws, segments.SegmentParams(kind=kind))
            segments.save(ws, definition, labels, by="demo")
        result.seconds["segments"] = time.perf_counter() - clock[0]
        say(f"segmented {definition['people']:,} people in {result.seconds['segments']:.1f} s")
        clock[0] = time.perf_counter()
        board = ideas.refresh(ws)  # the co-creation board, built once; later imports add to it (`hudong ideas refresh`)
        result.seconds["ideas"] = time.perf_counter() - clock[0]
        say(f"grouped {board['feedback']:,} feedback messages into {board['new_ideas']:,} ideas in "
            f"{result.seconds['ideas']:.1f} s")
    finally:
        ws.close()
    return result
