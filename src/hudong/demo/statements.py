"""The demo brand's statements, with the public's response known in advance (docs/public-service.md): two
announcements — one people welcome (the Spring Festival shipping schedule), one they resent (points that now
expire) — and a clarification during the planted crisis (the mouldy-tea complaints of June 20–22) that answers
it. Each gets comments whose tone is drawn with a known share of praise and of complaint, from people who
already interact with the brand on Weibo; ``hudong.analyses.statements`` has to recover which announcement was
welcome and which crisis the clarification answers."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hudong.demo.brand import ACCOUNTS, OWN_ACCOUNT, WEIBO
from hudong.demo.tables import PLATFORM_NAMES, URL_PREFIX, _str, _table, _ts


@dataclass(frozen=True)
class Statement:
    key: str
    kind: str  # announcement | rebuttal
    at: str
    text: str
    comments: int
    positive: float  # the share of comments drawn from PRAISE (the rest from COMPLAINT)


STATEMENTS = (
    Statement("shipping", "announcement", "2026-01-20T10:00:00",
              "【通知】春节发货安排:1月25日前下单的订单年前送达,年后2月5日起恢复发货。感谢大家一年的支持!", 40, 0.85),
    Statement("points", "announcement", "2026-04-15T10:00:00",
              "【公告】会员积分规则调整:自5月1日起,积分有效期改为12个月,过期自动清零。", 40, 0.15),
    Statement("mould", "rebuttal", "2026-06-22T18:00:00",
              "关于网传山茶社茶叶发霉的说明:经第三方检测,涉事批次茶叶受潮结块系运输途中包装破损所致,并非发霉变质。"
              "受影响的订单我们将全部退款并补发,请私信客服。#山茶社茶叶发霉#", 60, 0.35),
)  # fmt: skip
PRAISE = ["感谢通知,安排得很贴心", "谢谢山茶社,点赞", "处理得很及时,支持", "说明很清楚,放心了", "好的,辛苦了,喜欢你们"]
COMPLAINT = ["太坑了,积分说清零就清零,失望", "这个说法不能接受,太差了", "敷衍,退款慢得要命,再也不买了",
             "规则改得莫名其妙,很生气", "垃圾处理方式,差评"]  # fmt: skip
FIRST_ID = 5_399_000_000_000_000


def _rng(seed: int, key: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(f"statement-{key}".encode())])


def tables(seed: int, interactions: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Rows of ``posts`` and ``interactions`` for the statements and their comments; commenters are drawn from the
    people who already interact on Weibo (``interactions``), never staff."""
    account = ACCOUNTS[OWN_ACCOUNT[WEIBO]]
    plat = PLATFORM_NAMES[WEIBO]
    i = interactions
    mask = np.asarray((i.column("platform").to_numpy(zero_copy_only=False) == plat)
                      & ~np.asarray(i.column("by_staff").fill_null(False)), dtype=bool)  # fmt: skip
    actors = np.unique(np.asarray(i.column("actor_id").to_numpy(zero_copy_only=False), dtype=object)[mask])
    actors = actors[actors != np.array(None)]
    post_cols: dict[str, list] = {k: [] for k in ("post_id", "time", "text")}
    c: dict[str, list] = {k: [] for k in ("interaction_id", "actor_id", "post_id", "time", "text")}
    for n, st in enumerate(STATEMENTS):
        rng = _rng(seed, st.key)
        pid = str(FIRST_ID + n)
        t0 = int(np.datetime64(st.at, "s").astype(np.int64))
        post_cols["post_id"].append(pid)
        post_cols["time"].append(t0)
        post_cols["text"].append(st.text)
        k = st.comments
        good = rng.random(k) < st.positive
        texts = np.where(good, rng.choice(PRAISE, k), rng.choice(COMPLAINT, k))
        who = rng.choice(actors, k, replace=False) if len(actors) >= k else rng.choice(actors, k)
        when = t0 + np.sort(rng.integers(60, 2 * 86_400, k))
        for j in range(k):
            c["interaction_id"].append(f"{pid}{j:04d}")
            c["actor_id"].append(str(who[j]))
            c["post_id"].append(pid)
            c["time"].append(int(when[j]))
            c["text"].append(str(texts[j]))
    n, m = len(post_cols["post_id"]), len(c["interaction_id"])
    ids = np.array(post_cols["post_id"], dtype=object)
    none_p, none_c = np.full(n, None, dtype=object), np.full(m, None, dtype=object)
    counts = np.array([st.comments for st in STATEMENTS], dtype=np.int64)
    posts = _table("posts", {
        "platform": _str(np.full(n, plat, dtype=object)), "post_id": _str(ids),
        "author_id": _str(np.full(n, account.account_id, dtype=object)),
        "account_id": _str(np.full(n, account.account_id, dtype=object)),
        "created_at": _ts(np.array(post_cols["time"])), "text": _str(np.array(post_cols["text"], dtype=object)),
        "media_type": _str(np.full(n, "text", dtype=object)), "topics": _str(np.full(n, "[]", dtype=object), empty_is_null=False),
        "campaign_id": _str(none_p), "parent_id": _str(none_p), "root_id": _str(none_p), "is_ugc": pa.array(np.zeros(n, bool)),
        "likes": pa.array(counts * 3), "comments": pa.array(counts), "reposts": pa.array(counts // 2),
        "saves": pa.array(np.zeros(n, np.int64)), "clicks": pa.array(np.zeros(n, np.int64)),
        "impressions": pa.array(counts * 400), "reach": pa.array(counts * 300),
        "author_followers": pa.array(np.full(n, account.followers, dtype=np.int64)),
        "url": _str(URL_PREFIX[WEIBO] + ids),
    })  # fmt: skip
    cids = np.array(c["interaction_id"], dtype=object)
    comments = _table("interactions", {
        "platform": _str(np.full(m, plat, dtype=object)), "interaction_id": _str(cids),
        "type": _str(np.full(m, "comment", dtype=object)), "actor_id": _str(np.array(c["actor_id"], dtype=object)),
        "target_post_id": _str(np.array(c["post_id"], dtype=object)), "target_user_id": _str(none_c),
        "created_at": _ts(np.array(c["time"])), "dwell_seconds": pa.array(np.full(m, np.nan), from_pandas=True),
        "text": _str(np.array(c["text"], dtype=object)), "parent_id": _str(none_c),
        "is_inbound": pa.array(np.zeros(m, bool)), "by_staff": pa.array(np.zeros(m, bool)),
        "is_automated": pa.array(np.zeros(m, bool)),
        "url": _str(URL_PREFIX[WEIBO] + np.array(c["post_id"], dtype=object) + "#comment-" + cids),
    })  # fmt: skip
    return posts, comments
