"""The fictional world: 山茶社 (Camellia Tea Co.), its competitors, accounts, products and campaigns."""

from __future__ import annotations

from dataclasses import dataclass

BRAND = "山茶社"
BRAND_ALIASES = ("山茶社", "Camellia Tea Co.", "Camellia Tea", "山茶社茶饮", "山茶小社")

PLATFORMS = ("weibo", "wechat", "xiaohongshu", "douyin", "twitter")  # order = platform code 0..4
WEIBO, WECHAT, XHS, DOUYIN, TWITTER = range(5)


@dataclass(frozen=True)
class Competitor:
    name: str
    aliases: tuple[str, ...]
    mentions_per_day: float  # user posts mentioning it (share of voice)


COMPETITORS = (
    Competitor("茶颜小筑", ("茶颜小筑", "茶颜", "Chayan Cottage"), 34.0),
    Competitor("青山茶铺", ("青山茶铺", "青山茶", "Green Hill Tea"), 14.0),
)


@dataclass(frozen=True)
class Account:
    platform: int
    account_id: str
    name: str
    brand: str
    is_own: bool
    followers: int  # at the end of the window
    created_at: str
    posts_per_day: float


ACCOUNTS = (
    Account(WEIBO, "6203418857", "山茶社官方微博", BRAND, True, 864_000, "2016-04-12 10:20:00", 1.6),
    Account(WECHAT, "gh_3f6c2a91d8e7", "山茶社", BRAND, True, 612_000, "2015-09-01 09:00:00", 0.5),
    Account(XHS, "5e8f1c2a000000000100a3b7", "山茶社", BRAND, True, 458_000, "2020-03-18 14:05:00", 0.9),
    Account(DOUYIN, "93847215503", "山茶社官方旗舰店", BRAND, True, 1_280_000, "2019-07-22 11:30:00", 0.8),
    Account(TWITTER, "1387295513346048001", "CamelliaTeaCo", BRAND, True, 32_500, "2021-04-28 08:00:00", 0.5),
    Account(WEIBO, "5887201344", "茶颜小筑", "茶颜小筑", False, 1_520_000, "2014-11-03 16:00:00", 1.2),
    Account(XHS, "5c2d9e71000000000702f1c4", "茶颜小筑官方", "茶颜小筑", False, 985_000, "2019-01-10 10:00:00", 0.8),
    Account(DOUYIN, "71530298846", "茶颜小筑", "茶颜小筑", False, 2_100_000, "2019-05-05 12:00:00", 0.7),
    Account(WEIBO, "7301856620", "青山茶铺", "青山茶铺", False, 410_000, "2018-06-15 09:30:00", 0.6),
    Account(WECHAT, "gh_9a0b7c11e2f4", "青山茶铺", "青山茶铺", False, 234_000, "2017-02-20 09:00:00", 0.4),
)
OWN_ACCOUNT = {a.platform: i for i, a in enumerate(ACCOUNTS) if a.is_own}


@dataclass(frozen=True)
class Product:
    name: str
    price: float
    weight: float  # share of orders


PRODUCTS = (
    Product("明前龙井 100g", 168.0, 0.16),
    Product("武夷岩茶大红袍 125g", 198.0, 0.10),
    Product("云南普洱熟茶饼 357g", 268.0, 0.07),
    Product("安吉白茶 50g", 128.0, 0.09),
    Product("山茶花冷泡茶 12袋", 39.9, 0.22),
    Product("桂花乌龙三角包 20袋", 49.0, 0.15),
    Product("新春茶礼盒", 398.0, 0.06),
    Product("便携旅行茶具套装", 159.0, 0.05),
    Product("茶样尝鲜装 6款", 29.9, 0.10),
)


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    platform: str  # the main platform; posts on other platforms may carry the same campaign_id
    name: str
    start: str
    end: str
    budget: float
    goal: str
    platforms: tuple[int, ...]  # where its posts appear
    hashtag: str | None = None


CAMPAIGNS = (
    Campaign("cmp-2026-newyear", "wechat", "新春茶礼 年货节", "2026-01-10 00:00:00", "2026-02-14 23:59:59",
             60_000.0, "sales", (WECHAT, WEIBO, DOUYIN), "新春茶礼"),
    Campaign("cmp-2026-springtea", "weibo", "春茶节 #春茶节# 晒出你的第一杯春茶", "2026-03-20 00:00:00",
             "2026-04-20 23:59:59", 85_000.0, "ugc", (WEIBO, XHS, DOUYIN), "春茶节"),
    Campaign("cmp-2026-live", "douyin", "抖音直播品鉴会", "2026-05-08 19:00:00", "2026-05-08 23:00:00",
             20_000.0, "awareness", (DOUYIN,), "山茶社直播间"),
    Campaign("cmp-2026-618", "shop", "618 年中大促", "2026-06-01 00:00:00", "2026-06-18 23:59:59",
             120_000.0, "sales", (WEIBO, WECHAT, XHS, DOUYIN), "618囤茶"),
    Campaign("cmp-2026-global", "twitter", "Camellia Tea goes global", "2026-04-01 00:00:00",
             "2026-06-30 23:59:59", 15_000.0, "awareness", (TWITTER,), "CamelliaTea"),
)  # fmt: skip
CAMPAIGN_INDEX = {c.campaign_id: i for i, c in enumerate(CAMPAIGNS)}
SPRING = CAMPAIGN_INDEX["cmp-2026-springtea"]
SALE_618 = CAMPAIGN_INDEX["cmp-2026-618"]
NEWYEAR = CAMPAIGN_INDEX["cmp-2026-newyear"]
