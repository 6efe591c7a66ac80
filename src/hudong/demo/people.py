"""The people on each platform: heavy-tailed activity, finite lifetimes, KOCs, superfans and staff."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hudong.demo import draw
from hudong.demo import timeline as T
from hudong.demo.brand import DOUYIN, PLATFORMS, TWITTER, WECHAT, WEIBO, XHS

USERS_PER_PLATFORM = {WEIBO: 52_000, WECHAT: 24_000, XHS: 26_000, DOUYIN: 38_000, TWITTER: 7_000}
# Customer-service agents; the first of wechat/weibo is the auto-reply bot.
STAFF_NAMES = {
    WEIBO: ["山茶社智能客服", "山茶社客服-小林", "山茶社客服-阿May", "山茶社运营-茶茶"],
    WECHAT: ["山茶社智能客服", "山茶社客服-小林", "山茶社客服-小周", "山茶社客服-阿May", "山茶社店长-老陈"],
    XHS: ["山茶社客服-小周", "山茶社运营-茶茶"],
    DOUYIN: ["山茶社客服-小林", "山茶社主播-小雨"],
    TWITTER: ["Camellia Tea Support"],
}
BOT_PLATFORMS = (WEIBO, WECHAT)

_ZH_PREFIX = ["爱喝茶的", "一只", "小", "阿", "今天也要", "山野", "午后", "慢慢", "元气", "佛系", "", "", "", ""]
_ZH_CORE = ["小鱼", "阿狸", "橘子", "Momo", "月亮", "团子", "桃桃", "喵喵", "木木", "糖糖", "阿杰", "大熊",
            "清风", "栗子", "柚子", "茶茶", "晴天", "七七", "阿乐", "Lily", "小满", "南风", "布丁", "可乐"]  # fmt: skip
_ZH_SUFFIX = ["", "", "酱", "君", "_", "呀", "同学", "233", "hh", "的日常"]
_EN_FIRST = ["tea", "jenny", "mike", "sakura", "leaf", "oolong", "matcha", "sam", "chai", "amy", "kai", "zoe"]
_EN_LAST = ["_lover", "drinks", "_w", "journal", "", "_sg", "_hk", "brews", "_daily", "in_tokyo"]
_LOCATIONS = ["浙江 杭州", "上海", "北京", "广东 深圳", "广东 广州", "四川 成都", "江苏 南京", "江苏 苏州",
              "湖北 武汉", "湖南 长沙", "福建 福州", "福建 厦门", "重庆", "陕西 西安", "山东 青岛", "云南 昆明",
              "天津", "河南 郑州", "海外 新加坡", "其他"]  # fmt: skip
_LOC_W = [12, 14, 10, 9, 7, 7, 6, 5, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 1, 4]
_EN_LOCATIONS = ["Singapore", "San Francisco, CA", "London", "Taipei", "Hong Kong", "Vancouver", "Sydney",
                 "Kuala Lumpur", "New York", "Tokyo", ""]  # fmt: skip
_BIO = ["热爱生活,热爱喝茶", "一杯茶的时间", "记录日常|探店|好物分享", "茶艺师 / 茶空间主理人", "打工人续命靠茶",
        "小红书同名", "喜欢安静的午后和一壶好茶", "美食博主 合作请私信", "", "", "", "读书 旅行 喝茶",
        "95后 杭州 | 生活方式分享", "宝妈一枚 分享好物"]  # fmt: skip
_EN_BIO = ["Tea lover. Coffee survivor.", "Brewing slowly.", "Food & drink notes", "", "Oolong enthusiast"]


@dataclass
class People:
    """All users of all platforms; row i is one person, rows are grouped by platform."""

    platform: np.ndarray
    uid: np.ndarray
    name: np.ndarray
    followers: np.ndarray
    following: np.ndarray
    posts_count: np.ndarray
    verified: np.ndarray
    gender: np.ndarray
    location: np.ndarray
    created_at: np.ndarray
    is_staff: np.ndarray
    description: np.ndarray
    activity: np.ndarray  # relative propensity to act (heavy-tailed)
    is_koc: np.ndarray
    first_week: np.ndarray  # active window, in weeks of the demo period
    last_week: np.ndarray
    span: dict[int, tuple[int, int]] = field(default_factory=dict)  # platform -> [lo, hi) rows
    staff: dict[int, np.ndarray] = field(default_factory=dict)  # platform -> staff rows (bot first where any)

    def __len__(self) -> int:
        return len(self.uid)


def make_people(rng: np.random.Generator, scale: float) -> People:
    parts: list[dict[str, np.ndarray]] = []
    span: dict[int, tuple[int, int]] = {}
    staff: dict[int, np.ndarray] = {}
    lo = 0
    for p in range(len(PLATFORMS)):
        n_staff = len(STAFF_NAMES[p])
        n = max(150, round(USERS_PER_PLATFORM[p] * scale)) + n_staff
        cols = _platform_people(rng, p, n)
        # the first rows of each platform are its staff
        cols["is_staff"][:n_staff] = True
        cols["name"][:n_staff] = STAFF_NAMES[p]
        cols["activity"][:n_staff] = 0.0  # staff act through the reply model, not as fans
        cols["is_koc"][:n_staff] = False
        cols["description"][:n_staff] = "山茶社官方工作人员" if p != TWITTER else "Official Camellia Tea Co. staff"
        cols["first_week"][:n_staff] = 0
        cols["last_week"][:n_staff] = T.WEEKS - 1
        staff[p] = np.arange(lo, lo + n_staff)
        span[p] = (lo, lo + n)
        lo += n
        parts.append(cols)
    merged = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    return People(**merged, span=span, staff=staff)


def _platform_people(rng: np.random.Generator, p: int, n: int) -> dict[str, np.ndarray]:
    if p == WEIBO:
        uid = draw.to_str(draw.unique_ints(rng, n, 1_000_000_000, 7_999_999_999))
    elif p == WECHAT:
        uid = draw.openids(rng, n)
    elif p == XHS:
        uid = draw.hex_ids(rng, n, "5")
    elif p == DOUYIN:
        uid = draw.to_str(draw.unique_ints(rng, n, 10_000_000_000, 99_999_999_999))
    else:
        uid = draw.to_str(draw.unique_ints(rng, n, 10**17, 16 * 10**17))

    if p == TWITTER:
        name = draw.cat(draw.pick(rng, _EN_FIRST, n), draw.pick(rng, _EN_LAST, n),
                        draw.to_str(rng.integers(1, 999, size=n)))  # fmt: skip
        location = draw.pick(rng, _EN_LOCATIONS, n)
        description = draw.pick(rng, _EN_BIO, n)
    else:
        name = draw.cat(draw.pick(rng, _ZH_PREFIX, n), draw.pick(rng, _ZH_CORE, n), draw.pick(rng, _ZH_SUFFIX, n))
        location = draw.pick(rng, _LOCATIONS, n, _LOC_W)
        description = draw.pick(rng, _BIO, n)
    # a few profiles carry contact details, which the importer must redact
    pii = np.flatnonzero(rng.random(n) < 0.01)
    half = len(pii) // 2
    description[pii[:half]] = draw.cat("商务合作 vx:", draw.phone_numbers(rng, half))
    description[pii[half:]] = draw.cat("合作邮箱 ", draw.email_addresses(rng, len(pii) - half))

    # Heavy tails: lognormal activity, a handful of superfans, KOCs with 1k–50k followers.
    activity = rng.lognormal(0.0, 1.5, size=n)
    superfan = rng.random(n) < 0.002
    activity[superfan] *= 25
    is_koc = rng.random(n) < 0.006
    activity[is_koc] *= 3
    followers = rng.lognormal(np.log(120 if p != TWITTER else 60), 1.6, size=n)
    followers[is_koc] = np.exp(rng.uniform(np.log(1_000), np.log(50_000), size=is_koc.sum()))
    media = rng.random(n) < 0.0008
    followers[media] = np.exp(rng.uniform(np.log(100_000), np.log(2_000_000), size=media.sum()))
    followers = followers.astype(np.int64)
    verified = (followers > 50_000) & (rng.random(n) < 0.7) | (rng.random(n) < 0.02)

    # Lifetimes: heavier users stay longer; most users come, act for a week or two, and go.
    rank = activity.argsort().argsort() / max(1, n - 1)
    early = (rng.random(n) < 0.3) | superfan | is_koc
    first_week = np.where(early, 0, rng.integers(0, T.WEEKS, size=n))
    life = np.ceil(rng.exponential(1.0 + 30.0 * rank**3)).astype(np.int64)
    last_week = np.minimum(T.WEEKS - 1, first_week + life)
    last_week[superfan | is_koc] = T.WEEKS - 1

    gender = draw.pick(rng, ["f", "m", ""], n, [0.6, 0.32, 0.08]) if p != TWITTER else np.full(n, "", dtype=object)
    created = T.ts("2010-01-01") + rng.integers(0, T.START - T.ts("2010-01-01"), size=n)
    return {
        "platform": np.full(n, p, dtype=np.int8),
        "uid": uid,
        "name": name,
        "followers": followers,
        "following": rng.lognormal(np.log(180), 1.0, size=n).astype(np.int64) + 1,
        "posts_count": rng.lognormal(np.log(250), 1.5, size=n).astype(np.int64),
        "verified": verified,
        "gender": gender,
        "location": location,
        "created_at": created,
        "is_staff": np.zeros(n, dtype=bool),
        "description": description,
        "activity": activity,
        "is_koc": is_koc,
        "first_week": first_week,
        "last_week": last_week,
    }


class ActorSampler:
    """Draws who acted at given times on a platform: only people inside their active window,
    weighted by activity**alpha (alpha < 1 flattens: many viewers; alpha > 1 sharpens: commenters)."""

    def __init__(self, people: People, rng: np.random.Generator):
        self.people = people
        self.rng = rng
        self._cache: dict[tuple[int, int, float], tuple[np.ndarray, np.ndarray]] = {}

    def _bucket(self, p: int, week: int, alpha: float, boost: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        key = (p, week, alpha)
        if boost is None and key in self._cache:
            return self._cache[key]
        lo, hi = self.people.span[p]
        pp = self.people
        rows = np.arange(lo, hi)
        ok = (pp.first_week[lo:hi] <= week) & (pp.last_week[lo:hi] >= week) & ~pp.is_staff[lo:hi]
        rows = rows[ok]
        w = pp.activity[rows] ** alpha
        if boost is not None:
            w = w * boost[rows]
        out = (rows, np.cumsum(w))
        if boost is None:
            self._cache[key] = out
        return out

    def __call__(self, p: int, times: np.ndarray, alpha: float = 1.0, boost: np.ndarray | None = None) -> np.ndarray:
        out = np.empty(len(times), dtype=np.int64)
        weeks = T.week_index(times)
        order = np.argsort(weeks, kind="stable")
        bounds = np.searchsorted(weeks[order], np.arange(T.WEEKS + 1))
        for w in range(T.WEEKS):
            idx = order[bounds[w] : bounds[w + 1]]
            if not len(idx):
                continue
            rows, c = self._bucket(p, w, alpha, boost)
            u = self.rng.random(len(idx)) * c[-1]
            out[idx] = rows[np.minimum(np.searchsorted(c, u, side="right"), len(rows) - 1)]
        return out
