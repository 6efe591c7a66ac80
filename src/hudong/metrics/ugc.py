"""User-generated content (UGC): volume, share of the brand's conversation, quality, creators.

A UGC post is a post with ``is_ugc = true`` (set by the importer or the analyst: written by a user
about the brand). ``ugc_quality`` judges substance and resonance only; ``ugc_quality_text`` also needs the
post to be non-toxic and not negative (from ``hudong text score``).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis import _

from hudong.metrics.common import (
    TIME_GRAINS,
    Query,
    Tables,
    filter_obs,
    group,
    own_accounts,
    own_posts,
    post_columns,
    post_engagement,
    ratio,
)
from hudong.metrics.registry import metric

DIMS = (*TIME_GRAINS, "platform", "campaign", "media_type")
_F = ("platform", "campaign", "segment")
_SHARE_F = ("platform", "campaign")  # UGC against the brand's own posts: no one person's share
_T = ("posts", "interactions", "accounts")
CMX = "CMX SPACES model (Contribution → UGC), cmxhub.com/blog/the-spaces-model; FAQ 1 (UGC volume and quality)"


def ugc_posts(t: Tables, q: Query, *, engagement: bool = False) -> ir.Table:
    """UGC posts with the standard columns; ``engagement=True`` adds E_p (costs a pass over interactions)."""
    pe = post_engagement(t) if engagement else post_columns(t)
    return filter_obs(pe.filter(pe.is_ugc), q, person="author")


@metric(
    name="ugc_volume",
    label_en="UGC volume",
    label_zh="用户原创内容量",
    formula="number of posts with is_ugc",
    source=CMX,
    unit="count",
    grain="post",
    dimensions=DIMS,
    higher_is_better=True,
    filters=_F,
    tables=_T,
)
def ugc_volume(t: Tables, q: Query) -> ir.Table:
    """Number of UGC posts (is_ugc = true)."""
    u = ugc_posts(t, q)
    return group(u, q.dims, value=_.count())


@metric(
    name="ugc_share",
    label_en="UGC share",
    label_zh="UGC占比",
    formula="UGC posts / (UGC posts + own posts)",
    source=CMX + "; share-of-conversation analogue of share of voice (Sprout: brand metrics / total metrics)",
    unit="ratio",
    grain="post",
    dimensions=DIMS,
    higher_is_better=True,
    extra_columns=("ugc_posts", "own_posts"),
    filters=_SHARE_F,
    tables=_T,
    notes="The brand's conversation = posts by the brand (own accounts) + posts by users about it (UGC). "
    "Own posts flagged is_ugc count once, as UGC.",
)
def ugc_share(t: Tables, q: Query) -> ir.Table:
    """Share of the brand's conversation written by users: UGC / (UGC + own posts)."""
    pe = post_columns(t)
    own = own_accounts(t).select(o_platform="platform", o_account="account_id", own=ibis.literal(True))
    j = pe.left_join(own, [pe.platform == own.o_platform, pe.account == own.o_account])
    j = j.mutate(own=j.own.fill_null(False) & ~j.is_ugc)
    j = filter_obs(j.filter(j.is_ugc | j.own), q)
    g = group(j, q.dims, ugc_posts=j.is_ugc.cast("int64").sum(), own_posts=j.own.cast("int64").sum())
    return g.mutate(value=ratio(g.ugc_posts, g.ugc_posts + g.own_posts))


def _quality(t: Tables, q: Query, *, text_aware: bool) -> ir.Table:
    min_chars = int(q.setting("metrics.ugc_min_chars"))
    u = ugc_posts(t, q, engagement=True)
    own = own_posts(t, q.replace(campaign=None))
    bench = own.group_by(b_platform=own.platform).aggregate(bench=own.engagements.median())
    u = u.left_join(bench, u.platform == bench.b_platform).drop("b_platform")
    good = (u.text.length().fill_null(0) >= min_chars) & (u.engagements >= u.bench.fill_null(0))
    if text_aware:
        s, x = t["text_sentiment"], t["text_signals"]
        s = s.filter(s.kind == "post").select(s_platform=s.platform, s_id=s.id, polarity=s.polarity)
        x = x.filter(x.kind == "post").select(x_platform=x.platform, x_id=x.id, toxic=x.toxic)
        u = u.left_join(s, [u.platform == s.s_platform, u.post_id == s.s_id]).drop("s_platform", "s_id")
        u = u.left_join(x, [u.platform == x.x_platform, u.post_id == x.x_id]).drop("x_platform", "x_id")
        good = good & ~u.toxic.fill_null(False) & (u.polarity.fill_null("") != "negative")
    u = u.mutate(good=good)
    g = group(u, q.dims, quality_posts=u.good.cast("int64").sum(), ugc_posts=_.count())
    return g.mutate(value=ratio(g.quality_posts, g.ugc_posts))


_Q = (
    "share of UGC posts with ≥ metrics.ugc_min_chars characters of text (default 20) AND E_p ≥ the median E_p of "
    "own posts on the same platform (same filters)"
)


@metric(
    name="ugc_quality",
    label_en="UGC quality",
    label_zh="UGC质量",
    formula=_Q,
    source=CMX + "; hudong rule (substance + resonance)",
    unit="ratio",
    grain="post",
    dimensions=DIMS,
    higher_is_better=True,
    extra_columns=("quality_posts", "ugc_posts"),
    filters=_F,
    tables=_T,
    notes="Explainable: a UGC post counts as quality when it has real text and engages at least as well as "
    "a typical own post. Platforms without own posts use a benchmark of 0. The text-aware variant is "
    "ugc_quality_text.",
)
def ugc_quality(t: Tables, q: Query) -> ir.Table:
    """Share of UGC posts that are substantive (text length) and resonate (≥ median own-post engagement)."""
    return _quality(t, q, text_aware=False)


@metric(
    name="ugc_quality_text",
    label_en="UGC quality (tone-aware)",
    label_zh="UGC质量(含语气)",
    formula=_Q + " AND not flagged toxic AND polarity not negative",
    source=CMX + "; hudong rule (substance + resonance + civility); toxicity and polarity from hudong.text",
    unit="ratio",
    grain="post",
    dimensions=DIMS,
    higher_is_better=True,
    extra_columns=("quality_posts", "ugc_posts"),
    filters=_F,
    tables=(*_T, "text_sentiment", "text_signals"),
    notes="Needs `hudong text score` first. ugc_quality, except that toxic UGC (P(toxic) ≥ 0.5) and negative "
    "UGC never count as quality. Posts the models cannot read (other languages) are judged on length "
    "and engagement only.",
)
def ugc_quality_text(t: Tables, q: Query) -> ir.Table:
    """ugc_quality without toxic or negative posts in the numerator."""
    return _quality(t, q, text_aware=True)


@metric(
    name="ugc_creators",
    label_en="UGC creators",
    label_zh="UGC创作者数",
    formula="unique authors of UGC posts",
    source=CMX,
    unit="users",
    grain="user",
    dimensions=DIMS,
    higher_is_better=True,
    extra_columns=("ugc_posts",),
    filters=_F,
    tables=_T,
)
def ugc_creators(t: Tables, q: Query) -> ir.Table:
    """Unique UGC authors (per platform)."""
    u = ugc_posts(t, q)
    authors = u.mutate(ukey=u.platform + ":" + u.author.fill_null(""))
    return group(authors, q.dims, value=authors.ukey.nunique(), ugc_posts=_.count())
