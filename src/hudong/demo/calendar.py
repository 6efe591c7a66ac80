"""The demo brand's content calendar: six months of planned posts that went out (tied to the posts they became),
one that was missed, one the platform refused, and the weeks ahead from the day the demo is built — ideas, drafts,
items in review, approved and scheduled ones, a weekly slot and a post for the next shopping day.

Past items are replayed through ``hudong.plan`` at the times they happened (``clock.at``): drafted four days before,
submitted, approved by the manager, scheduled, marked published by hand with the link (none of the demo's
platforms has a publishing connector), then ``reconcile`` ties each one to its stored post.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from hudong.demo.experiments import MANAGER, PLANNER
from hudong.plan import clock, festivals, publishing, rules
from hudong.plan import items as P

OPENERS = ("【茶知识】", "【冲泡小课堂】", "【新品上市】", "【茶山手记】")
PAST_ITEMS = 48


def _own_posts(ws: Any) -> list[tuple[Any, ...]]:
    like = " OR ".join("p.text LIKE ?" for _ in OPENERS)
    return ws.con.execute(
        f"SELECT p.platform, p.account_id, p.post_id, p.text, p.media_type, p.url, p.created_at FROM posts p "
        f"JOIN accounts a ON a.platform = p.platform AND a.account_id = p.account_id AND a.is_own "
        f"WHERE p.platform IN ('weibo', 'xiaohongshu', 'douyin') AND ({like}) ORDER BY p.created_at, p.post_id",
        [f"{o}%" for o in OPENERS]).fetchall()  # fmt: skip


def _through(ws: Any, item_id: str, t: dt.datetime) -> None:
    """draft → in review → approved → scheduled for ``t``, a day apart, as the planner and the manager."""
    with clock.at(t - dt.timedelta(days=3)):
        P.act(ws, item_id, "submit", PLANNER, role="responder")
    with clock.at(t - dt.timedelta(days=2)):
        P.act(ws, item_id, "approve", MANAGER, role="analyst", note="可以")
    with clock.at(t - dt.timedelta(days=1)):
        P.act(ws, item_id, "schedule", PLANNER, role="responder", at=t)


def _new(ws: Any, t: dt.datetime, platform: str, text: str, **fields: Any) -> str:
    with clock.at(t - dt.timedelta(days=4)):
        return P.create(ws, platform=platform, by=PLANNER, text=text, state="draft", owner=PLANNER, **fields)["item_id"]


def past(ws: Any, seed: int) -> dict[str, int]:
    """Published items for a sample of the brand's own posts, one missed, one failed."""
    rows = [r for r in _own_posts(ws) if not rules.check(r[0], r[3], images=int(r[4] == "image"))]
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(rows), size=min(PAST_ITEMS, len(rows)), replace=False)) if rows else []
    for i in picked:
        platform, account, _post, text, media, url, t = rows[i]
        media = media if media in ("image", "video", "text", "article", "link") else None
        item = _new(ws, t, platform, text, account_id=account, content_type=media, images=int(media == "image"),
                    topics=["茶知识"] if "茶知识" in text else [])  # fmt: skip
        _through(ws, item, t)
        with clock.at(t + dt.timedelta(minutes=5)):
            publishing.run(ws, send=False)  # the owner is reminded: no connector publishes here
            P.act(ws, item, "published", PLANNER, role="responder", url=url, at=t)
    publishing.reconcile(ws)
    when = dt.datetime(2026, 5, 15, 20, 0)
    missed = _new(ws, when, "xiaohongshu", "夏日冷泡茶的三种做法,第三种最简单。", title="冷泡茶三种做法",
                  content_type="image", images=3)  # fmt: skip
    _through(ws, missed, when)
    with clock.at(when + dt.timedelta(hours=2)):
        publishing.run(ws, send=False)  # missed: its owner is alerted
    when = dt.datetime(2026, 6, 21, 10, 0)
    failed = _new(ws, when, "weibo", "关于近期部分批次茶叶受潮的说明:我们已联系每一位顾客,全额退款并补寄新茶。")
    _through(ws, failed, when)
    with clock.at(when):
        P.act(ws, failed, "failed", "hudong", note="微博返回 20019: 重复内容,请勿重复发布")
        publishing.alert(ws, [failed])
    return {"published": len(picked), "missed": 1, "failed": 1}


def ahead(ws: Any, today: dt.date) -> dict[str, int]:
    """The weeks after ``today``: a scheduled post a day for a week, items at every earlier stage, a weekly slot,
    and a post for the next shopping day."""
    morning = dt.datetime.combine(today, dt.time(10, 0))
    n = 0
    for d in range(1, 8):
        t = morning + dt.timedelta(days=d, hours=d % 3 * 3)
        platform = ("weibo", "xiaohongshu", "douyin")[d % 3]
        text = f"【冲泡小课堂】第{d}课:{['水温', '投茶量', '出汤时间', '器具', '储存', '冷泡', '拼配'][d - 1]}怎么掌握?"
        item = P.create(ws, platform=platform, by=PLANNER, text=text, state="draft", owner=PLANNER,
                        title="冲泡小课堂" if platform == "xiaohongshu" else None, images=1, content_type="image")
        P.act(ws, item["item_id"], "submit", PLANNER, role="responder")
        P.act(ws, item["item_id"], "approve", MANAGER, role="analyst")
        if d <= 5:
            P.act(ws, item["item_id"], "schedule", PLANNER, role="responder", at=t)
        n += 1
    for text, state in (("茶山直播预告:带你看白茶的萎凋", "in_review"), ("新品桂花乌龙开箱视频脚本", "draft"),
                        ("粉丝共创:征集你的冷泡茶配方", "draft"), ("冬季暖饮合集", "idea"), ("茶具清洁小技巧", "idea")):
        item = P.create(ws, platform="weibo", by=PLANNER, text=text, state="idea" if state == "idea" else "draft",
                        owner=PLANNER, scheduled_at=morning + dt.timedelta(days=9 + n % 5) if state != "idea" else None)
        if state == "in_review":
            P.act(ws, item["item_id"], "submit", PLANNER, role="responder")
        n += 1
    friday = morning + dt.timedelta(days=(4 - today.weekday()) % 7 or 7)
    P.create(ws, platform="weibo", by=PLANNER, text="【茶知识】每周五的茶知识时间", recurrence="weekly",
             scheduled_at=friday, owner=PLANNER, topics=["茶知识"])  # fmt: skip
    shopping = next((f for f in festivals.upcoming(today + dt.timedelta(days=2), 90) if f.kind == "shopping"), None)
    if shopping is not None:
        P.create(ws, platform="xiaohongshu", by=PLANNER, state="draft", owner=PLANNER, title=f"{shopping.zh}囤茶攻略",
                 text=f"{shopping.zh}怎么买茶最划算?我们整理了满减和赠品清单。", content_type="image", images=4,
                 scheduled_at=dt.datetime.combine(shopping.date, dt.time(20, 0)))  # fmt: skip
    return {"ahead": n + 2}
