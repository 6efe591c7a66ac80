"""Turning the generated world into export tables: platform ids, urls, reported counts, column names.

Column names are exactly the schema's (``hudong.store.schema``), provenance columns excluded.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from hudong.demo import draw
from hudong.demo.activity import TYPE, Interactions
from hudong.demo.brand import (
    ACCOUNTS,
    BRAND_ALIASES,
    CAMPAIGNS,
    COMPETITORS,
    DOUYIN,
    PLATFORMS,
    TWITTER,
    WECHAT,
    WEIBO,
    XHS,
)
from hudong.demo.cascades import author_followers
from hudong.demo.commerce import Orders, Survey
from hudong.demo.content import COMPETITOR, COMPETITOR_MENTION, Posts
from hudong.demo.network import FollowEdges
from hudong.demo.people import People
from hudong.demo.timeline import DAY, DAYS, END, START
from hudong.platforms import PLATFORMS as PLATFORM_DECLARATIONS
from hudong.store import schema as S

PLATFORM_NAMES = np.array(PLATFORMS, dtype=object)
ACCOUNT_IDS = np.array([a.account_id for a in ACCOUNTS], dtype=object)
CAMPAIGN_IDS = np.array([c.campaign_id for c in CAMPAIGNS], dtype=object)
URL_PREFIX = {
    WEIBO: "https://m.weibo.cn/status/",
    WECHAT: "https://mp.weixin.qq.com/s/",
    XHS: "https://www.xiaohongshu.com/explore/",
    DOUYIN: "https://www.douyin.com/video/",
    TWITTER: "https://x.com/i/web/status/",
}


def _ts(t: np.ndarray) -> pa.Array:
    """int seconds (-1 = unknown) as a timestamp column."""
    t = np.asarray(t, dtype=np.int64)
    return pa.array(t, type=pa.timestamp("s"), mask=t < 0)


def _str(values: np.ndarray, empty_is_null: bool = True) -> pa.Array:
    v = np.asarray(values, dtype=object)
    if empty_is_null:
        v = np.where(v == "", None, v)
    return pa.array(v, type=pa.string())


def _opt(values: np.ndarray, present: np.ndarray, type_: pa.DataType) -> pa.Array:
    return pa.array(values, type=type_, mask=~present)


def _table(name: str, cols: dict[str, pa.Array]) -> pa.Table:
    order = [c.name for c in S.TABLES[name].columns]
    missing = set(order) - set(cols)
    if missing:
        raise AssertionError(f"{name}: missing columns {sorted(missing)}")
    return pa.table({c: cols[c] for c in order})


def accounts_table() -> pa.Table:
    aliases = []
    for a in ACCOUNTS:
        names = BRAND_ALIASES if a.is_own else next(c.aliases for c in COMPETITORS if c.name == a.brand)
        aliases.append('["' + '","'.join(names) + '"]')
    return _table("accounts", {
        "platform": _str(PLATFORM_NAMES[[a.platform for a in ACCOUNTS]]),
        "account_id": _str(ACCOUNT_IDS),
        "name": _str(np.array([a.name for a in ACCOUNTS], dtype=object)),
        "brand": _str(np.array([a.brand for a in ACCOUNTS], dtype=object)),
        "is_own": pa.array([a.is_own for a in ACCOUNTS]),
        "aliases": pa.array(aliases),
        "followers": pa.array([a.followers for a in ACCOUNTS], type=pa.int64()),
        "created_at": pa.array(np.array([a.created_at for a in ACCOUNTS], dtype="datetime64[s]")),
    })  # fmt: skip


def account_stats_table(rng: np.random.Generator) -> pa.Table:
    """Daily follower statistics of the own accounts, as the platforms' data centres report them: gains with a
    weekly rhythm and campaign bumps, a few unfollows a day, totals that end at the account's follower count."""
    platforms, ids, days, totals, gains, losses = [], [], [], [], [], []
    for i, a in enumerate(ACCOUNTS):
        if not a.is_own:
            continue
        base = max(a.followers, 100) * 0.0012
        gain = rng.poisson(base * (1 + 0.25 * np.sin(np.arange(DAYS) * 2 * np.pi / 7)) * rng.lognormal(0, 0.35, DAYS))
        loss = rng.poisson(base * 0.35, DAYS)
        total = a.followers - np.cumsum((gain - loss)[::-1])[::-1] + (gain - loss)  # ends at a.followers
        platforms += [PLATFORM_NAMES[a.platform]] * DAYS
        ids += [ACCOUNT_IDS[i]] * DAYS
        days.append(START + np.arange(DAYS) * DAY)
        totals.append(total)
        gains.append(gain)
        losses.append(loss)
    return _table("account_stats", {
        "platform": _str(np.array(platforms, dtype=object)), "account_id": _str(np.array(ids, dtype=object)),
        "day": _ts(np.concatenate(days)), "followers": pa.array(np.concatenate(totals), type=pa.int64()),
        "new_followers": pa.array(np.concatenate(gains), type=pa.int64()),
        "lost_followers": pa.array(np.concatenate(losses), type=pa.int64()),
        "message_users": pa.nulls(DAYS * len(days), pa.int64()), "messages": pa.nulls(DAYS * len(days), pa.int64()),
    })  # fmt: skip


def users_table(people: People, seen: np.ndarray) -> pa.Table:
    r = np.flatnonzero(seen)
    return _table("users", {
        "platform": _str(PLATFORM_NAMES[people.platform[r]]),
        "user_id": _str(people.uid[r]),
        "name": _str(people.name[r]),
        "followers": pa.array(people.followers[r]),
        "following": pa.array(people.following[r]),
        "posts_count": pa.array(people.posts_count[r]),
        "verified": pa.array(people.verified[r]),
        "gender": _str(people.gender[r]),
        "location": _str(people.location[r]),
        "created_at": _ts(people.created_at[r]),
        "is_staff": pa.array(people.is_staff[r]),
        "description": _str(people.description[r]),
    })  # fmt: skip


# Where a person's profile and a message live on each demo platform (hudong/platforms.py; WeChat has none).
PROFILE_URLS = {p: PLATFORM_DECLARATIONS[p].profile_url for p in PLATFORMS if PLATFORM_DECLARATIONS[p].profile_url}
MESSAGE_URLS = {p: PLATFORM_DECLARATIONS[p].message_url for p in PLATFORMS if PLATFORM_DECLARATIONS[p].message_url}


def contacts_table(people: People, seen: np.ndarray) -> pa.Table:
    """How a responder reaches the people who wrote in: a public handle, a display name, a profile link."""
    r = np.flatnonzero(seen & ~people.is_staff)
    platforms = PLATFORM_NAMES[people.platform[r]]
    handles = np.array([f"fan_{u}" if p == "twitter" else n for u, n, p in zip(people.uid[r], people.name[r], platforms,
                                                                                strict=True)], dtype=object)  # fmt: skip
    profiles = np.array([PROFILE_URLS[p].format(uid=u, handle=h) if p in PROFILE_URLS else None
                         for u, h, p in zip(people.uid[r], handles, platforms, strict=True)], dtype=object)  # fmt: skip
    return _table("contacts", {
        "platform": _str(platforms),
        "user_id": _str(people.uid[r]),
        "handle": _str(handles),
        "display_name": _str(people.name[r]),
        "profile_url": _str(profiles),
    })  # fmt: skip


def _message_urls(platforms: np.ndarray, posts: np.ndarray, ids: np.ndarray, inbound: np.ndarray) -> np.ndarray:
    out = np.full(len(ids), None, dtype=object)
    for i in np.flatnonzero(inbound):
        template = MESSAGE_URLS.get(platforms[i])
        if template and (posts[i] is not None or "{post}" not in template):
            out[i] = template.format(post=posts[i], id=ids[i])
    return out


def post_ids(rng: np.random.Generator, posts: Posts) -> np.ndarray:
    """Platform-style ids, increasing with time within each platform (like mids and snowflakes)."""
    ids = np.empty(len(posts), dtype=object)
    for p in range(len(PLATFORMS)):
        rows = np.flatnonzero(posts.platform == p)
        rows = rows[np.argsort(posts.time[rows], kind="stable")]
        n = len(rows)
        if p == WEIBO:
            ids[rows] = draw.to_str(draw.sequential_ids(rng, n, 5_260_000_000_000_000, 10**9))
        elif p == WECHAT:
            ids[rows] = draw.cat(draw.to_str(draw.sequential_ids(rng, n, 2_247_483_000, 40)), "_1")
        elif p == XHS:
            ids[rows] = draw.cat("6", draw.hex_of(draw.sequential_ids(rng, n, 0x5F3C2242C37F65DA, 10**9), 23))
        elif p == DOUYIN:
            ids[rows] = draw.to_str(draw.sequential_ids(rng, n, 7_300_000_000_000_000_000, 10**12))
        else:
            ids[rows] = draw.to_str(draw.sequential_ids(rng, n, 1_875_000_000_000_000_000, 10**12))
    return ids


def posts_table(rng: np.random.Generator, posts: Posts, people: People, inter: Interactions, ids: np.ndarray) -> pa.Table:
    n = len(posts)
    on = inter.post_row >= 0

    def count(*types: str) -> np.ndarray:
        m = on & np.isin(inter.type, [TYPE[t] for t in types])
        return np.bincount(inter.post_row[m], minlength=n)

    likes, comments, reposts = count("like"), count("comment", "reply"), count("repost", "share")
    saves, clicks, seen = count("save"), count("click"), count("view", "impression")
    vm = on & np.isin(inter.type, [TYPE["view"], TYPE["impression"]])
    pairs = np.unique(inter.post_row[vm] * np.int64(1 << 22) + inter.actor_row[vm])
    viewers = np.bincount(pairs >> 22, minlength=n)

    # exports hold only part of what the platform counts: reported = observed × (1.05–1.6) + unobserved
    a = posts.appeal
    unobserved = np.isin(posts.kind, [COMPETITOR, COMPETITOR_MENTION])
    extra = np.where(unobserved, 1.0, 0.15)

    def reported(observed: np.ndarray, per_appeal: float) -> np.ndarray:
        m = rng.uniform(1.05, 1.6, size=n)
        return np.ceil(observed * m).astype(np.int64) + rng.poisson(a * per_appeal * extra)

    likes_r = reported(likes, 60)
    comments_r, reposts_r = reported(comments, 6), reported(reposts, 5)
    saves_r, clicks_r = reported(saves, 4), reported(clicks, 6)
    impressions = np.maximum(np.ceil(seen * rng.uniform(1.5, 3.0, size=n)), likes_r * rng.uniform(15, 40, size=n))
    impressions = impressions.astype(np.int64) + 1
    reach = np.maximum(viewers, (impressions * rng.uniform(0.55, 0.85, size=n)).astype(np.int64))

    followers = author_followers(posts, people)
    own_growth = np.where(posts.author_row < 0, 0.8 + 0.2 * (posts.time - START) / (END - START), 1.0)
    pid = lambda rows: np.where(rows >= 0, ids[np.maximum(rows, 0)], None).astype(object)  # noqa: E731
    author = np.where(posts.author_row >= 0, people.uid[np.maximum(posts.author_row, 0)], ACCOUNT_IDS[posts.account])
    url_prefix = np.array([URL_PREFIX[p] for p in range(len(PLATFORMS))], dtype=object)
    return _table("posts", {
        "platform": _str(PLATFORM_NAMES[posts.platform]),
        "post_id": _str(ids),
        "author_id": _str(author),
        "account_id": _str(np.where(posts.account >= 0, ACCOUNT_IDS[np.maximum(posts.account, 0)], None)),
        "created_at": _ts(posts.time),
        "text": _str(posts.text),
        "media_type": _str(posts.media),
        "topics": _str(posts.topics, empty_is_null=False),
        "campaign_id": _str(np.where(posts.campaign >= 0, CAMPAIGN_IDS[np.maximum(posts.campaign, 0)], None)),
        "parent_id": _str(pid(posts.parent_row)),
        "root_id": _str(pid(posts.root_row)),
        "is_ugc": pa.array(posts.is_ugc),
        "likes": pa.array(likes_r),
        "comments": pa.array(comments_r),
        "reposts": pa.array(reposts_r),
        "saves": pa.array(saves_r),
        "clicks": pa.array(clicks_r),
        "impressions": pa.array(impressions),
        "reach": pa.array(reach),
        "author_followers": pa.array((followers * own_growth).astype(np.int64)),
        "url": _str(draw.cat(url_prefix[posts.platform], ids)),
    })  # fmt: skip


def interaction_ids(rng: np.random.Generator, inter: Interactions) -> tuple[np.ndarray, np.ndarray]:
    """Ids increasing with time per platform, and the export order (platform, time)."""
    order = np.lexsort((inter.time, inter.platform))
    ids = np.empty(len(inter), dtype=object)
    ids[order] = draw.to_str(draw.sequential_ids(rng, len(inter), 4_100_000_000_000, 100))
    return ids, order


def interactions_table(inter: Interactions, people: People, post_id: np.ndarray, ids: np.ndarray) -> pa.Table:
    target_user = np.where(inter.target_row >= 0, people.uid[np.maximum(inter.target_row, 0)],
                           np.where(inter.target_account >= 0, ACCOUNT_IDS[np.maximum(inter.target_account, 0)], None))  # fmt: skip
    target_post = np.where(inter.post_row >= 0, post_id[np.maximum(inter.post_row, 0)], None)
    platforms = PLATFORM_NAMES[inter.platform]
    return _table("interactions", {
        "platform": _str(PLATFORM_NAMES[inter.platform]),
        "interaction_id": _str(ids),
        "type": _str(np.array(S.INTERACTION_TYPES, dtype=object)[inter.type]),
        "actor_id": _str(people.uid[inter.actor_row]),
        "target_post_id": _str(np.where(inter.post_row >= 0, post_id[np.maximum(inter.post_row, 0)], None)),
        "target_user_id": _str(target_user),
        "created_at": _ts(inter.time),
        "dwell_seconds": pa.array(inter.dwell, from_pandas=True),
        "text": _str(inter.text),
        "parent_id": _str(np.where(inter.parent >= 0, ids[np.maximum(inter.parent, 0)], None)),
        "is_inbound": pa.array(inter.is_inbound),
        "by_staff": pa.array(inter.by_staff),
        "is_automated": pa.array(inter.is_automated),
        "url": _str(_message_urls(platforms, target_post, ids, np.asarray(inter.is_inbound, dtype=bool))),
    })  # fmt: skip


def follows_table(edges: FollowEdges, people: People) -> pa.Table:
    followee = np.where(edges.followee_row >= 0, people.uid[np.maximum(edges.followee_row, 0)],
                        ACCOUNT_IDS[np.maximum(edges.followee_account, 0)])  # fmt: skip
    return _table("follows", {
        "platform": _str(PLATFORM_NAMES[edges.platform]),
        "follower_id": _str(people.uid[edges.follower_row]),
        "followee_id": _str(followee),
        "created_at": _ts(edges.time),
    })  # fmt: skip


def orders_table(o: Orders) -> pa.Table:
    n = len(o.time)
    return _table("orders", {
        "platform": _str(np.full(n, "shop", dtype=object)),
        "order_id": _str(o.order_id),
        "user_id": _str(o.customer),
        "user_platform": _str(o.user_platform),
        "created_at": _ts(o.time),
        "amount": pa.array(o.amount),
        "currency": _str(np.full(n, "CNY", dtype=object)),
        "product": _str(o.product),
        "campaign_id": _str(np.where(o.campaign >= 0, CAMPAIGN_IDS[np.maximum(o.campaign, 0)], None)),
    })  # fmt: skip


def survey_table(s: Survey) -> pa.Table:
    n = len(s.time)
    return _table("survey_responses", {
        "platform": _str(np.full(n, "survey", dtype=object)),
        "response_id": _str(s.response_id),
        "survey_id": _str(s.survey_id),
        "user_id": _str(s.user),
        "user_platform": _str(s.user_platform),
        "created_at": _ts(s.time),
        "nps_score": pa.array(s.score.astype(np.int64)),
        "comment": _str(s.comment),
    })  # fmt: skip


def campaigns_table(scale: float = 1.0) -> pa.Table:
    """The campaigns, their budgets scaled with the data (a smaller demo brand spends less)."""
    return _table("campaigns", {
        "platform": _str(np.array([c.platform for c in CAMPAIGNS], dtype=object)),
        "campaign_id": _str(CAMPAIGN_IDS),
        "name": _str(np.array([c.name for c in CAMPAIGNS], dtype=object)),
        "start_at": pa.array(np.array([c.start for c in CAMPAIGNS], dtype="datetime64[s]")),
        "end_at": pa.array(np.array([c.end for c in CAMPAIGNS], dtype="datetime64[s]")),
        "budget": pa.array([round(c.budget * scale, 2) for c in CAMPAIGNS]),
        "goal": _str(np.array([c.goal for c in CAMPAIGNS], dtype=object)),
    })  # fmt: skip
