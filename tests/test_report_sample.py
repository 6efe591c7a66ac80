"""A small, deterministic brand workspace for the scorecard and report tests (and a sanity test of it).

Three own platforms (weibo, douyin, xiaohongshu) and one competitor; own posts, UGC, comments with
staff replies, orders and an NPS survey. ``scale`` multiplies the users and interactions (benchmarks).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa

from hudong.metrics.testing import arrow_rows, fill
from hudong.metrics.testing import workspace as new_workspace
from hudong.store import schema as S
from hudong.store.workspace import Workspace

START = dt.datetime(2026, 3, 2, 0, 0)
OWN = {"weibo": ("sc_weibo", 52_000), "douyin": ("sc_douyin", 180_000), "xiaohongshu": ("sc_xhs", 23_000)}
XSS = "<script>alert('x')</script> 山茶社 & <b>粗体</b>"


def build_sample(
    path: Path,
    *,
    days: int = 100,
    users: int = 400,
    scale: float = 1.0,
    seed: int = 7,
    with_orders: bool = True,
    with_survey: bool = True,
) -> Workspace:
    rng = np.random.default_rng(seed)
    n_users = int(users * scale)
    uid = [f"u{i:06d}" for i in range(n_users)]
    accounts = [
        {"platform": p, "account_id": a, "name": f"山茶社{p}", "brand": "山茶社", "is_own": True, "followers": f}
        for p, (a, f) in OWN.items()
    ] + [
        {
            "platform": "weibo",
            "account_id": "zyq_weibo",
            "name": "竹叶青",
            "brand": "竹叶青",
            "is_own": False,
            "followers": 80_000,
        }
    ]
    posts, inter = [], []
    pid = 0
    for d in range(days):
        day = START + dt.timedelta(days=d)
        for p, (acc, followers) in OWN.items():
            for _ in range(int(rng.integers(1, 3))):
                pid += 1
                hour = int(rng.choice([8, 12, 20, 21, 22, 10, 15]))
                ts = day + dt.timedelta(hours=hour, minutes=int(rng.integers(0, 60)))
                impressions = int(rng.integers(2_000, 40_000)) * (5 if p == "douyin" else 1)
                boost = 2.5 if hour >= 20 else 1.0
                likes = int(rng.poisson(followers * 0.002 * boost)) + (10**6 if pid == 3 else 0)  # XSS post on top
                text = XSS if pid == 3 else f"山茶社{p}第{pid}条:春茶上新,欢迎留言分享你的喝茶故事"
                posts.append(
                    {
                        "platform": p,
                        "post_id": f"p{pid}",
                        "author_id": acc,
                        "account_id": acc,
                        "created_at": ts,
                        "text": text,
                        "media_type": "video" if p == "douyin" else "image",
                        "campaign_id": "spring" if pid % 5 == 0 else None,
                        "is_ugc": False,
                        "likes": likes,
                        "comments": int(rng.poisson(8 * boost)),
                        "reposts": int(rng.poisson(4)),
                        "saves": int(rng.poisson(3)),
                        "impressions": impressions,
                        "reach": int(impressions * 0.7),
                        "author_followers": followers,
                    }
                )
                # individual interactions: likes and comments by users, inbound comments answered by staff
                k = int(rng.poisson(12 * scale))
                actors = rng.choice(n_users, size=k)
                for j, a in enumerate(actors):
                    its = ts + dt.timedelta(minutes=int(rng.integers(1, 3000)))
                    kind = "comment" if j % 4 == 0 else "like"
                    iid = f"i{pid}_{j}"
                    inter.append(
                        {
                            "platform": p,
                            "interaction_id": iid,
                            "type": kind,
                            "actor_id": uid[a],
                            "target_post_id": f"p{pid}",
                            "created_at": its,
                            "text": "好喝!" if kind == "comment" else None,
                            "is_inbound": kind == "comment",
                            "by_staff": False,
                        }
                    )
                    if kind == "comment" and rng.random() < 0.7:
                        inter.append(
                            {
                                "platform": p,
                                "interaction_id": f"r{iid}",
                                "type": "reply",
                                "actor_id": acc,
                                "target_post_id": f"p{pid}",
                                "parent_id": iid,
                                "created_at": its + dt.timedelta(minutes=int(rng.integers(5, 900))),
                                "text": "谢谢支持",
                                "is_inbound": False,
                                "by_staff": True,
                            }
                        )
        # UGC and mentions
        for _ in range(int(rng.integers(0, 4))):
            pid += 1
            a = uid[int(rng.integers(0, n_users))]
            brand = "山茶社" if rng.random() < 0.6 else "竹叶青"
            posts.append(
                {
                    "platform": "weibo",
                    "post_id": f"p{pid}",
                    "author_id": a,
                    "created_at": day + dt.timedelta(hours=int(rng.integers(7, 23))),
                    "text": f"今天喝了{brand}的新茶,味道清香回甘,推荐给大家试试看",
                    "media_type": "image",
                    "is_ugc": brand == "山茶社",
                    "likes": int(rng.poisson(30)) * (8 if rng.random() < 0.3 else 1),
                    "comments": int(rng.poisson(3)),
                    "reposts": int(rng.poisson(1)),
                    "saves": 0,
                    "author_followers": int(rng.integers(50, 5000)),
                }
            )
        pid += 1
        posts.append(
            {
                "platform": "weibo",
                "post_id": f"p{pid}",
                "author_id": "zyq_weibo",
                "account_id": "zyq_weibo",
                "created_at": day + dt.timedelta(hours=19),
                "text": "竹叶青新品",
                "is_ugc": False,
                "likes": int(rng.poisson(150)),
                "comments": 10,
                "reposts": 5,
                "saves": 2,
                "author_followers": 80_000,
            }
        )
    tables: dict[str, list[dict] | pa.Table] = {
        "accounts": accounts,
        "users": [{"platform": "weibo", "user_id": u, "name": u} for u in uid],
        "posts": posts,
        "interactions": arrow_rows("interactions", inter),
        "campaigns": [
            {
                "platform": "weibo",
                "campaign_id": "spring",
                "name": "春茶节",
                "start_at": START,
                "end_at": START + dt.timedelta(days=days),
                "budget": 5000.0,
                "goal": "UGC",
            }
        ],
    }
    if with_orders:
        orders = []
        for i, u in enumerate(uid[: n_users // 2]):
            for k in range(1 + (i % 3 == 0) + (i % 7 == 0)):
                orders.append(
                    {
                        "platform": "shop",
                        "order_id": f"o{i}_{k}",
                        "user_id": u,
                        "created_at": START + dt.timedelta(days=int(rng.integers(0, days))),
                        "amount": 99.0,
                    }
                )
        tables["orders"] = orders
    if with_survey:
        scores = rng.choice(11, size=80, p=[0.02] * 5 + [0.04, 0.06, 0.12, 0.16, 0.26, 0.26])
        tables["survey_responses"] = [
            {
                "platform": "survey",
                "response_id": f"s{i}",
                "survey_id": "nps-q1",
                "user_id": uid[i % n_users],
                "created_at": START + dt.timedelta(days=int(i % days)),
                "nps_score": int(s),
            }
            for i, s in enumerate(scores)
        ]
    ws = new_workspace(path)
    ws.close()
    cfg = Path(path) / "hudong.toml"
    text = cfg.read_text(encoding="utf-8").replace('name = ""', 'name = "山茶社"', 1)
    cfg.write_text(text.replace("aliases = []", 'aliases = ["山茶"]', 1), encoding="utf-8")
    return fill(Workspace.open(path), **tables)


def test_sample_workspace_has_every_table(tmp_path):
    ws = build_sample(tmp_path / "ws", days=7, users=50)
    try:
        for name in ("accounts", "posts", "interactions", "orders", "survey_responses", "campaigns"):
            assert ws.count(name) > 0, name
        assert ws.count("posts") > 7 * 3
        assert set(S.TABLES) >= {"posts"}
    finally:
        ws.close()
