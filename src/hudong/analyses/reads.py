"""What the analyses read from a workspace: the frames the algorithms (``hudong.graph``, ``hudong.text``) take.

Each reader is an Ibis expression on the workspace's engine (DuckDB, or Spark over the lake with
``ws.use_engine("spark")``) or on a mapping of tables, executed once into a pandas frame. Platform filters are
bound values, never SQL text. The algorithms below never open the workspace (enforced by import-linter).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from hudong.errors import HudongError
from hudong.graph import coordination as C
from hudong.graph.cascades import POST_COLUMNS, StoreCascades, build_cascades
from hudong.graph.forecast import LabelledCascades, unlabelled
from hudong.graph.influence import INTERACTION_GRAPH_TYPES
from hudong.metrics import tables_of
from hudong.metrics.common import bound_isin

Platforms = str | Sequence[str] | None


def tables(source: Any) -> Any:
    """The tables to read: a Workspace's on its selected engine (``ws.source``: the DuckDB file, or Spark over
    the lake), or a mapping of tables."""
    return tables_of(getattr(source, "source", source))


def run(e: ir.Table, source: Any) -> pd.DataFrame:
    """Execute ``e`` where its tables live: a Workspace's DuckDB connection (memtables join it there), else the
    backend the expression is bound to (Spark) or Ibis' default."""
    on_file = getattr(source, "source", None) is source
    return (source.ibis.to_pyarrow(e) if on_file else e.to_pyarrow()).to_pandas()


def on_platforms(t: ir.Table, platform: Platforms) -> ir.Table:
    if not platform:
        return t
    return t.filter(bound_isin(t.platform, platform))  # request values: bound, never SQL text


def columns(source: Any, table: str, cols: Sequence[str], platform: Platforms = None) -> pd.DataFrame:
    """Some columns of one table, optionally of some platforms."""
    return run(on_platforms(tables(source)[table], platform).select(*cols), source)


def cascades(source: Any, platform: Platforms = None) -> StoreCascades:
    """The repaired repost cascades (``hudong.graph.cascades``) of the workspace's posts."""
    return build_cascades(columns(source, "posts", POST_COLUMNS, platform))


def labelled_cascades(source: Any, platform: Platforms = None) -> LabelledCascades:
    """The cascades as unlabelled ``LabelledCascades``, for the forecast and rumour models."""
    posts = columns(source, "posts", ["platform", "post_id", "text", "created_at", "author_followers"])
    return unlabelled(cascades(source, platform), posts)


def interaction_edges_expr(source: Any, types: Sequence[str] = INTERACTION_GRAPH_TYPES,
                           platform: Platforms = None) -> ir.Table:
    """``interaction_edges`` as an unexecuted Ibis expression on the source's engine (DuckDB or Spark)."""
    t = tables(source)
    i, p = t["interactions"], t["posts"]
    i = on_platforms(i.filter(i.type.isin(list(types))), platform)
    authors = p.select(a_platform=p.platform, a_post=p.post_id, author_id=p.author_id)
    j = i.left_join(authors, (i.platform == authors.a_platform) & (i.target_post_id == authors.a_post))
    dst = (j.type == "mention").ifelse(j.target_user_id.coalesce(j.author_id), j.author_id.coalesce(j.target_user_id))
    e = j.select(platform=j.platform, src=j.actor_id, dst=dst)
    e = e.filter(e.dst.notnull() & (e.src != e.dst))
    return e.group_by(["platform", "src", "dst"]).agg(weight=e.count())


def interaction_edges(source: Any, types: Sequence[str] = INTERACTION_GRAPH_TYPES,
                      platform: Platforms = None) -> pd.DataFrame:
    """Edges actor → author (of the target post; for mentions without a post, the mentioned user), counted:
    columns platform, src, dst, weight. Self-loops are dropped."""
    e = run(interaction_edges_expr(source, types, platform), source)
    return e.sort_values(["platform", "src", "dst"], kind="stable").reset_index(drop=True)


def shares(source: Any, kinds: Iterable[str] = C.DEFAULT_KINDS, platform: Platforms = None) -> pd.DataFrame:
    """Every first share of an item by an account (``hudong.graph.coordination``): platform, user_id, kind, item,
    ts (UTC-naive timestamp)."""
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in C.KINDS]
    if bad:
        raise HudongError(f"unknown co-sharing kind {', '.join(bad)}: use {', '.join(C.KINDS)}")
    t = tables(source)
    p = on_platforms(t["posts"], platform).filter(lambda p: p.author_id.notnull())
    parts: list[ir.Table] = []

    def part(t: ir.Table, user: ir.Value, kind: str, item: ir.Value) -> None:
        parts.append(t.select(platform=t.platform.cast("string"), user_id=user.cast("string"),
                              kind=ibis.literal(kind, "string"), item=item.cast("string"),
                              ts=t.created_at.cast("timestamp")))  # fmt: skip

    if "post" in kinds:
        i = on_platforms(t["interactions"], platform)
        i = i.filter(i.type.isin(C.SHARE_TYPES), i.target_post_id.notnull(), i.actor_id.notnull())
        part(i, i.actor_id, "post", i.target_post_id)
        r = p.filter(p.parent_id.notnull())
        part(r, r.author_id, "post", r.parent_id)
    if "url" in kinds:
        u = p.filter(p.text.re_search(C.URL_PATTERN)).mutate(item=p.text.re_extract(C.URL_PATTERN, 0))
        part(u, u.author_id, "url", u.item)
    if "hashtag" in kinds:
        h = p.filter(p.topics.length() > 0).mutate(item=p.topics.unnest())
        part(h, h.author_id, "hashtag", h.item.lower())
    if not parts:
        return pd.DataFrame({c: [] for c in ("platform", "user_id", "kind", "item", "ts")})
    allp = parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]
    first = allp.group_by(["platform", "user_id", "kind", "item"]).aggregate(ts=allp.ts.min())
    df = run(first, source)
    return df.sort_values(["platform", "kind", "item", "ts", "user_id"], kind="stable").reset_index(drop=True)


def actions(source: Any, platform: Platforms = None) -> pd.DataFrame:
    """Every action of a person: their interactions (staff answers left out) and their own posts (not the
    watched accounts'), with the seconds since the post reacted to (NaN when none)."""
    t = tables(source)
    i = on_platforms(t["interactions"], platform)
    i = i.filter(i.actor_id.notnull(), ~i.by_staff.fill_null(False))
    p = t["posts"]
    j = i.left_join(p, [i.platform == p.platform, i.target_post_id == p.post_id])
    acts = j.select(
        platform=j.platform.cast("string"),
        user_id=j.actor_id.cast("string"),
        ts=j.created_at.cast("timestamp"),
        delay_s=(j.created_at.epoch_seconds() - j.created_at_right.epoch_seconds()).cast("float64"),
    )
    own = on_platforms(p, platform).filter(p.author_id.notnull(), p.account_id.isnull())
    posts = own.select(platform=own.platform.cast("string"), user_id=own.author_id.cast("string"),
                       ts=own.created_at.cast("timestamp"), delay_s=ibis.null("float64"))  # fmt: skip
    return run(acts.union(posts), source)


def setting(source: Any, key: str, default: Any = None) -> Any:
    """A ``hudong.toml`` setting of a Workspace (``default`` for a mapping of tables)."""
    get = getattr(source, "setting", None)
    return get(key, default) if callable(get) else default
