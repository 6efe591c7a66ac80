"""Brand voice: share of voice and share of engagement among the watched brands (own and competitors).

Brands are ``hudong.text.mentions.brands_from``: the workspace's ``[brand]`` and ``[[competitors]]`` (names,
aliases, excluded phrases) merged with the ``accounts`` table (brand = ``accounts.brand``; own accounts without
one use ``brand.name``, then the account name; account names and aliases are aliases of their brand).

Mentions of a brand = posts **not** published by one of the brand's accounts that name it by
``hudong.text.mentions.BrandMatcher``'s rules (NFKC-style width folding and case, flexible separators, word edges
for Latin aliases, excluded phrases, the longer alias winning; a post counts once per brand) — the same
definition as ``hudong text mentions`` — plus interactions of type ``mention`` whose ``target_user_id`` is one
of the brand's accounts.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
from ibis import _
from ibis.common.exceptions import IbisError

from hudong.metrics.common import TIME_GRAINS, Query, Tables, filter_obs, group, is_true, post_engagement, ratio
from hudong.metrics.registry import metric
from hudong.text.mentions import FULL_WIDTH, HALF_WIDTH, BrandMatcher, brands_from
from hudong.text.tokenize import checked_max_chars

DIMS = (*TIME_GRAINS, "platform")
SOV = "Hootsuite share-of-voice 4-step definition; Sprout: brand metrics / total market metrics"


def brand_accounts(t: Tables, q: Query) -> ir.Table:
    """(platform, account_id, brand) for every watched account."""
    a = t["accounts"]
    own_name = str(q.setting("brand.name") or "")
    fallback = ibis.ifelse(is_true(a.is_own) & (own_name != ""), own_name, a.name)
    brand = ibis.coalesce(a.brand.nullif(""), fallback.nullif(""), a.account_id)
    return a.select(platform=a.platform, account_id=a.account_id, brand=brand, aliases=a.aliases, is_own=a.is_own)


def watched_brands(t: Tables, q: Query) -> list:
    """The watched brands (``hudong.text.mentions.brands_from``: settings + the accounts table, read here — it
    is small), the same list ``hudong text mentions`` and the crisis alerts use."""
    cols = ["platform", "account_id", "name", "brand", "is_own", "aliases"]
    try:
        rows = t["accounts"].select(*cols).to_pyarrow().to_pylist()
    except IbisError:  # unbound tables (compiling SQL without data): the configured brands alone
        rows = []
    return brands_from(q.setting, [tuple(r[c] for c in cols) for r in rows])


def normalized_text(text: ir.StringValue, q: Query) -> ir.StringValue:
    """``hudong.text.mentions.normalize`` in SQL: full-width ASCII and spaces → ASCII, lower case; of the analysed
    part of the text, as ``BrandMatcher.find`` (its first ``[text] max_chars`` characters)."""
    limit = checked_max_chars(q.setting("text.max_chars"))
    return text.substr(0, limit).translate(FULL_WIDTH, HALF_WIDTH).lower()


def mentions(t: Tables, q: Query) -> ir.Table:
    """One row per (mention, brand): platform, ts, brand. Posts: ``BrandMatcher``'s rules as regular expressions,
    one pass per brand (``sql_patterns``); @-mentions: interactions of type ``mention`` at a brand's account."""
    p = t["posts"]
    ba = brand_accounts(t, q)
    brands = watched_brands(t, q)
    posts = p.filter(p.text.notnull()).select(platform=p.platform, post_id=p.post_id, ts=p.created_at,
                                               account=p.account_id, text=normalized_text(p.text, q))
    hits = []
    for brand, pattern, removed in (BrandMatcher(brands).sql_patterns() if brands else []):
        # "¦": neither a letter, a digit nor an alias separator, like find's NUL (a NUL cannot go into SQL text)
        text = posts.text.re_replace(removed, "¦") if removed else posts.text
        hits.append(posts.filter(text.re_search(pattern)).select("platform", "post_id", "ts", "account",
                                                                  brand=ibis.literal(brand)))
    hit = ibis.union(*hits, distinct=False) if hits else posts.filter(ibis.literal(False)).select(
        "platform", "post_id", "ts", "account", brand=ibis.literal("", type="string"))
    mine = ba.select(m_platform=ba.platform, m_account=ba.account_id, m_brand=ba.brand)
    hit = hit.anti_join(mine, [hit.platform == mine.m_platform, hit.account == mine.m_account,
                               hit.brand == mine.m_brand])
    i = t["interactions"]
    im = i.filter(i.type == "mention")
    im = im.join(ba, [im.platform == ba.platform, im.target_user_id == ba.account_id])
    im = im.select(platform=im.platform, ts=im.created_at, brand=im.brand)
    return filter_obs(hit.select("platform", "ts", "brand").union(im, distinct=False), q)


def _share(g: ir.Table, q: Query, col: str) -> ir.Table:
    """value = col / Σ col over brands in the same cell (dims other than brand)."""
    cell = [d for d in q.dims if d != "brand"]
    w = ibis.window(group_by=cell) if cell else ibis.window()
    g = g.mutate(total=g[col].sum().over(w))
    return g.mutate(value=ratio(g[col], g.total))


@metric(name="share_of_voice", label_en="Share of voice", label_zh="声量份额",
        formula="brand mentions / (brand + competitor mentions), same period and platforms", source=SOV,
        unit="ratio", grain="mention", dimensions=DIMS, implicit_dims=("brand",), higher_is_better=True,
        extra_columns=("mentions", "total"), filters=("platform",), tables=("posts", "interactions", "accounts"),
        notes="`brand` is always in the output (added after the requested dimensions).")
def share_of_voice(t: Tables, q: Query) -> ir.Table:
    """Each watched brand's share of all brand mentions (posts naming it, @-mentions of its accounts)."""
    m = mentions(t, q)
    g = group(m, q.dims, mentions=_.count())
    return _share(g, q, "mentions")


@metric(name="share_of_engagement", label_en="Share of engagement", label_zh="互动份额",
        formula="ΣE_p on the brand's accounts' posts / ΣE_p on all watched brands' posts", source=SOV
        + " (share of engagement: same with engagements)", unit="ratio", grain="post", dimensions=DIMS,
        implicit_dims=("brand",), higher_is_better=True, extra_columns=("engagements", "total"),
        filters=("platform",), tables=("posts", "interactions", "accounts"))
def share_of_engagement(t: Tables, q: Query) -> ir.Table:
    """Each watched brand's share of engagements on posts of watched accounts (own and competitors)."""
    pe = post_engagement(t)
    ba = brand_accounts(t, q).select(b_platform="platform", b_account="account_id", brand="brand")
    j = pe.join(ba, [pe.platform == ba.b_platform, pe.account == ba.b_account])
    j = filter_obs(j, q)
    g = group(j, q.dims, engagements=j.engagements.sum())
    return _share(g, q, "engagements")
