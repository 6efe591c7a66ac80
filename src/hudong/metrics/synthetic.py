"""A seeded synthetic workspace for cross-checks and benchmarks (numpy + Arrow, no Python loops over rows).

``generate(n)`` returns Arrow tables for accounts, users, posts, interactions (≈ n rows plus staff
replies), orders and survey responses over 180 days from 2024-01-01 on three platforms. The data has
the shapes the metrics care about: own/competitor/UGC posts, reported counts with gaps, inbound
comments/DMs/mentions with staff replies (some automated), repeat customers and NPS answers.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hudong.metrics.testing import arrow_rows
from hudong.store import schema as S

START = np.datetime64("2024-01-01T00:00:00", "us")
DAYS = 180
PLATFORMS = np.array(["weibo", "douyin", "xiaohongshu"])
TYPES = np.array(["like", "view", "comment", "repost", "share", "click", "save", "follow", "mention", "dm"])
TYPE_P = np.array([0.40, 0.25, 0.10, 0.05, 0.03, 0.07, 0.03, 0.02, 0.02, 0.03])
TEXTS = np.array([
    "山茶 真好用,推荐给大家,已经回购三次了", "camellia new lipstick review, long and honest", "ok", "rv 也不错",
    "比较了 Camellia 和 RV,还是山茶的质地更好", "nice", "今天的穿搭", "Camellia!!",
])


def _ids(prefix: str, idx: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(prefix), pc.cast(pa.array(idx), pa.string()), "")


def _ts(seconds: np.ndarray) -> np.ndarray:
    return START + (seconds * 1_000_000).astype("timedelta64[us]")


def _table(name: str, cols: dict[str, object]) -> pa.Table:
    t = S.TABLES[name]
    n = len(next(iter(cols.values())))
    out = {}
    for c in t.all_columns:
        if c.name in cols:
            out[c.name] = cols[c.name]
        elif c.name in ("source_file", "importer", "batch_id"):
            out[c.name] = pa.repeat(pa.scalar("synthetic"), n)
        else:
            out[c.name] = pa.nulls(n)
    return pa.table(out).cast(S.arrow_schema(t))


def _masked(values: np.ndarray | pa.Array, null_mask: np.ndarray) -> pa.Array:
    if isinstance(values, pa.Array):
        return pc.if_else(pa.array(null_mask), pa.nulls(len(values), values.type), values)
    return pa.array(values, mask=null_mask)


def _take(values: np.ndarray | list[str], idx: np.ndarray) -> pa.Array:
    """Strings by index without building a numpy string array (fast at 10M rows)."""
    return pc.take(pa.array(values), pa.array(idx))


def generate(n_interactions: int = 50_000, seed: int = 0) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    n = int(n_interactions)
    horizon = DAYS * 86400

    accounts = arrow_rows("accounts", [
        *[dict(platform=p, account_id=f"own_{p}", name=f"Camellia {p}", brand="Camellia", is_own=True,
               aliases=["山茶"], followers=int(rng.integers(5_000, 50_000))) for p in PLATFORMS],
        *[dict(platform=p, account_id=f"rival_{p}", name=f"RV {p}", brand="RV", is_own=False, aliases=["rv"],
               followers=int(rng.integers(5_000, 50_000))) for p in PLATFORMS],
    ])

    n_users = max(100, n // 20)
    user_platform = rng.integers(0, 3, n_users)
    users = _table("users", {
        "platform": PLATFORMS[user_platform], "user_id": _ids("u", np.arange(n_users)),
        "is_staff": rng.random(n_users) < 0.005,
    })

    # posts: 50% own, 15% competitor, 35% UGC
    n_posts = max(60, n // 40)
    kind = rng.choice(3, n_posts, p=[0.5, 0.15, 0.35])
    p_author_user = rng.integers(0, n_users, n_posts)
    p_platform = np.where(kind == 2, user_platform[p_author_user], rng.integers(0, 3, n_posts))
    plat_name = PLATFORMS[p_platform]
    account = np.where(kind == 0, np.char.add("own_", plat_name), np.char.add("rival_", plat_name))
    author = np.where(kind == 2, np.char.add("u", p_author_user.astype(str)), account)
    hour_bias = rng.choice(24, n_posts, p=np.r_[np.full(8, 0.01), np.full(16, 0.92 / 16)])
    p_secs = rng.integers(0, DAYS, n_posts) * 86400 + hour_bias * 3600 + rng.integers(0, 3600, n_posts)
    impressions = rng.lognormal(7, 1, n_posts).astype(np.int64) + 1
    posts = _table("posts", {
        "platform": plat_name, "post_id": _ids("p", np.arange(n_posts)), "author_id": author,
        "account_id": _masked(account, kind == 2), "created_at": _ts(p_secs),
        "text": TEXTS[rng.integers(0, len(TEXTS), n_posts)],
        "media_type": np.array(["image", "video", "text"])[rng.integers(0, 3, n_posts)],
        "campaign_id": _masked(np.array(["c1", "c2", "c3", "c4"])[rng.integers(0, 4, n_posts)],
                               rng.random(n_posts) < 0.5),
        "is_ugc": kind == 2,
        "likes": _masked(rng.poisson(20, n_posts), rng.random(n_posts) < 0.3),
        "comments": _masked(rng.poisson(3, n_posts), rng.random(n_posts) < 0.3),
        "reposts": _masked(rng.poisson(2, n_posts), rng.random(n_posts) < 0.3),
        "saves": _masked(rng.poisson(1, n_posts), rng.random(n_posts) < 0.5),
        "impressions": _masked(impressions, rng.random(n_posts) < 0.15),
        "reach": _masked((impressions * 0.6).astype(np.int64), rng.random(n_posts) < 0.3),
        "author_followers": _masked(rng.integers(1_000, 50_000, n_posts), rng.random(n_posts) < 0.1),
    })

    # interactions: actors skewed (a few heavy users), on posts of the actor's platform
    actor = (rng.pareto(1.1, n) * n_users / 50).astype(np.int64) % n_users
    i_platform = user_platform[actor]
    order = np.argsort(p_platform, kind="stable")
    counts = np.bincount(p_platform, minlength=3)
    offsets = np.r_[0, np.cumsum(counts)[:-1]]
    pick = offsets[i_platform] + (rng.random(n) * counts[i_platform]).astype(np.int64)
    target = order[pick]
    ti = rng.choice(len(TYPES), n, p=TYPE_P)
    code = {str(k): j for j, k in enumerate(TYPES)}
    t_dm, t_mention, t_follow, t_comment = code["dm"], code["mention"], code["follow"], code["comment"]
    delay = rng.exponential(2 * 86400, n).astype(np.int64)
    i_secs = np.minimum(p_secs[target] + delay, horizon - 1)
    on_post = (ti != t_dm) & (ti != t_mention) & (ti != t_follow)
    own_target = kind[target] == 0
    inbound = (ti == t_dm) | (ti == t_mention) | ((ti == t_comment) & own_target & (rng.random(n) < 0.6))
    own_names = [f"own_{p}" for p in PLATFORMS]
    base = {
        "platform": _take(PLATFORMS, i_platform), "interaction_id": _ids("i", np.arange(n)),
        "type": _take(TYPES, ti), "actor_id": _ids("u", actor),
        "target_post_id": _masked(_ids("p", target), ~on_post),
        "target_user_id": _masked(_take(own_names, i_platform), on_post), "created_at": _ts(i_secs),
        "is_inbound": inbound, "by_staff": np.zeros(n, bool), "is_automated": np.zeros(n, bool),
        "dwell_seconds": _masked(rng.exponential(20, n), ti != code["view"]),
    }
    # staff replies to 75% of inbound messages (7% of them automatic acknowledgements)
    src = np.flatnonzero(inbound & (rng.random(n) < 0.75))
    auto = rng.random(len(src)) < 0.07
    r_secs = i_secs[src] + np.where(auto, 5, rng.exponential(4 * 3600, len(src)).astype(np.int64) + 60)
    is_dm = ti[src] == t_dm
    replies = {
        "platform": _take(PLATFORMS, i_platform[src]), "interaction_id": _ids("i", n + np.arange(len(src))),
        "type": _take(["reply", "dm"], is_dm.astype(np.int64)), "actor_id": _take(own_names, i_platform[src]),
        "target_post_id": _masked(_ids("p", target[src]), ~on_post[src]),
        "target_user_id": _masked(_ids("u", actor[src]), ~is_dm),
        "created_at": _ts(r_secs), "is_inbound": np.zeros(len(src), bool), "by_staff": np.ones(len(src), bool),
        "is_automated": auto, "parent_id": _masked(_ids("i", src), is_dm),
        "dwell_seconds": pa.nulls(len(src), pa.float64()),
    }
    interactions = pa.concat_tables([_table("interactions", base), _table("interactions", replies)])

    n_orders = max(50, n // 20)
    customers = rng.integers(0, max(10, n_users // 3), n_orders)
    orders = _table("orders", {
        "platform": np.full(n_orders, "shop"), "order_id": _ids("o", np.arange(n_orders)),
        "user_id": _ids("u", customers), "created_at": _ts(rng.integers(0, horizon, n_orders)),
        "amount": rng.gamma(2, 80, n_orders),
    })
    n_survey = max(50, n // 100)
    survey = _table("survey_responses", {
        "platform": np.full(n_survey, "survey"), "response_id": _ids("s", np.arange(n_survey)),
        "survey_id": np.full(n_survey, "nps-2024"), "user_id": _ids("u", rng.integers(0, n_users, n_survey)),
        "created_at": _ts(rng.integers(0, horizon, n_survey)),
        "nps_score": _masked(rng.choice(11, n_survey, p=np.r_[np.full(7, 0.2 / 7), 0.1, 0.15, 0.25, 0.3]),
                             rng.random(n_survey) < 0.05),
    })
    return {"accounts": accounts, "users": users, "posts": posts, "interactions": interactions,
            "orders": orders, "survey_responses": survey}
