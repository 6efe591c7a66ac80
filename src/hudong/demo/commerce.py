"""The online shop's orders (some buyers known by their WeChat/Douyin identity) and NPS surveys."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hudong.demo import draw
from hudong.demo import texts as X
from hudong.demo import timeline as T
from hudong.demo.brand import CAMPAIGN_INDEX, CAMPAIGNS, DOUYIN, NEWYEAR, PLATFORMS, PRODUCTS, SALE_618, SPRING, WECHAT
from hudong.demo.people import People

CUSTOMERS = 9_000
RESPONSES = 1_400
# P(score = 0..10) per quarter: service improved in Q2, so NPS rises from ≈ +20 to ≈ +32
NPS_Q1 = np.array([0.03, 0.01, 0.02, 0.03, 0.03, 0.06, 0.08, 0.12, 0.16, 0.20, 0.26])
NPS_Q2 = np.array([0.02, 0.01, 0.01, 0.02, 0.03, 0.05, 0.06, 0.11, 0.17, 0.22, 0.30])


@dataclass
class Orders:
    order_id: np.ndarray
    customer: np.ndarray  # raw shop id (a WeChat openid / Douyin id for linked buyers)
    time: np.ndarray
    amount: np.ndarray
    product: np.ndarray
    campaign: np.ndarray  # CAMPAIGNS index or -1
    social_row: np.ndarray  # People row of linked buyers, -1 otherwise
    user_platform: np.ndarray  # platform of a linked buyer's id ("wechat"/"douyin"), None for shop-only ids


@dataclass
class Survey:
    response_id: np.ndarray
    survey_id: np.ndarray
    user: np.ndarray  # raw id or None
    user_platform: np.ndarray  # platform of the id when it is a social account, else None
    time: np.ndarray
    score: np.ndarray
    comment: np.ndarray


def _window(c: int) -> tuple[int, int]:
    return T.ts(CAMPAIGNS[c].start.replace(" ", "T")), T.ts(CAMPAIGNS[c].end.replace(" ", "T"))


# How much busier the shop is during each campaign (day-weight factors): the planted truth the incrementality
# analysis must recover (``planted_lift``).
BUMPS = {"cmp-2026-newyear": (("2026-01-10", "2026-02-14", 1.8),),
         "cmp-2026-springtea": (("2026-03-20", "2026-04-20", 1.3),),
         "cmp-2026-618": (("2026-06-01", "2026-06-18", 2.5), ("2026-06-16", "2026-06-18", 2.5))}  # fmt: skip


def orders(rng: np.random.Generator, people: People, scale: float, without: tuple[str, ...] = ()) -> Orders:
    """The shop's orders; ``without``: campaigns whose bumps are left out (a shop where they never happened)."""
    n_cust = max(40, round(CUSTOMERS * scale))
    # who the buyers are: 40% order through the WeChat mini-program, 10% through the Douyin shop
    kind = rng.choice(3, size=n_cust, p=[0.4, 0.1, 0.5])
    social = np.full(n_cust, -1, np.int64)
    for k, p in ((0, WECHAT), (1, DOUYIN)):
        lo, hi = people.span[p]
        idx = np.flatnonzero(kind == k)
        fans = np.arange(lo, hi)[~people.is_staff[lo:hi]]
        w = people.activity[fans] ** 0.5
        social[idx] = fans[rng.choice(len(fans), size=len(idx), replace=len(idx) > len(fans), p=w / w.sum())]
    ids = np.where(social >= 0, people.uid[np.maximum(social, 0)],
                   draw.cat("20", draw.to_str(draw.unique_ints(rng, n_cust, 10**10, 10**11))))  # fmt: skip
    _, first_seen = np.unique(ids, return_index=True)  # a fan may be drawn twice: one customer
    keep = np.sort(first_seen)
    ids, social = ids[keep], social[keep]

    n_orders = np.where(rng.random(len(ids)) < 0.36, 1 + rng.geometric(0.5, size=len(ids)), 1)
    cust = np.repeat(np.arange(len(ids)), n_orders)
    days = T.day_weights(bumps=tuple(b for c, bumps in BUMPS.items() if c not in without for b in bumps))
    first = T.sample_times(rng, len(ids), days)
    gap = T.lognormal_seconds(rng, len(cust), 35 * T.DAY, 0.6)
    is_first = np.r_[True, cust[1:] != cust[:-1]]
    gap[is_first] = 0
    csum = np.cumsum(gap)
    t = first[cust] + csum - np.repeat(csum[is_first], n_orders)
    ok = t <= T.END
    cust, t = cust[ok], t[ok]
    n = len(t)

    product = rng.choice(len(PRODUCTS), size=n, p=np.array([p.weight for p in PRODUCTS]) / sum(p.weight for p in PRODUCTS))
    qty = rng.choice([1, 2, 3], size=n, p=[0.75, 0.18, 0.07])
    price = np.array([p.price for p in PRODUCTS])[product]
    campaign = np.full(n, -1, np.int64)
    discount = np.ones(n)
    for c, share, off in ((SALE_618, 0.7, 0.85), (NEWYEAR, 0.5, 0.9), (SPRING, 0.2, 1.0)):
        lo, hi = _window(c)
        hit = (t >= lo) & (t <= hi) & (rng.random(n) < share)
        campaign[hit] = c
        discount[hit] = off
    amount = np.round(price * qty * discount, 2)
    date = np.datetime_as_string(t.astype("datetime64[s]"), unit="D").astype(object)
    order_id = draw.cat(date, draw.to_str(draw.unique_ints(rng, n, 10**7, 10**8)))
    order_id = np.char.replace(order_id.astype(str), "-", "").astype(object)
    names = np.array([p.name for p in PRODUCTS], dtype=object)
    social = social[cust]
    user_platform = np.where(social >= 0, np.array(PLATFORMS, dtype=object)[people.platform[np.maximum(social, 0)]], None)
    return Orders(order_id, ids[cust], t, amount, names[product], campaign, social, user_platform)


def survey(rng: np.random.Generator, orders_: Orders, scale: float) -> Survey:
    """An NPS survey sent after purchases (Q1 and Q2), plus anonymous answers from the web form."""
    n = max(40, round(RESPONSES * scale))
    after_order = rng.random(n) < 0.75
    o = rng.integers(0, len(orders_.time), size=n)
    t = np.where(after_order, orders_.time[o] + T.lognormal_seconds(rng, n, 4 * T.DAY, 0.6),
                 T.sample_times(rng, n, T.day_weights()))  # fmt: skip
    t = np.minimum(t, T.END)
    user = np.where(after_order, orders_.customer[o], None).astype(object)
    user_platform = np.where(after_order, orders_.user_platform[o], None).astype(object)
    q2 = t >= T.ts("2026-04-01")
    score = np.where(q2, rng.choice(11, size=n, p=NPS_Q2), rng.choice(11, size=n, p=NPS_Q1))
    comment = np.where(score >= 9, draw.pick(rng, X.NPS_PROMOTER, n),
                       np.where(score >= 7, draw.pick(rng, X.NPS_PASSIVE, n), draw.pick(rng, X.NPS_DETRACTOR, n)))
    comment = np.where(comment == "", None, comment).astype(object)
    pii = np.flatnonzero((score <= 6) & (rng.random(n) < 0.05))
    comment[pii] = draw.cat("请联系我 ", draw.phone_numbers(rng, len(pii)))
    survey_id = np.where(q2, "nps-2026-q2", "nps-2026-q1").astype(object)
    response_id = draw.cat("R_", draw.hex_ids(rng, n, length=15))
    return Survey(response_id, survey_id, user, user_platform, t, score, comment)


def planted_lift(shop: Orders, campaign: str, seed: int = 0) -> tuple[int, int]:
    """(orders during ``campaign``, those of them the campaign added): the planted truth for incrementality.

    A campaign day with bump factor f has f times the baseline's first orders; read the other way, each of that
    day's new customers came because of the campaign with probability 1 − 1/f. They are drawn (seeded), and their
    orders inside the campaign window are the lift: what the shop would not have had at its usual level."""
    lo, hi = _window(CAMPAIGN_INDEX[campaign])
    inside = (shop.time >= lo) & (shop.time <= hi)
    order = np.lexsort((shop.time, shop.customer))
    cust, t = shop.customer[order], shop.time[order]
    first = np.r_[True, cust[1:] != cust[:-1]]
    factor = np.ones(len(t))
    for start, end, f in BUMPS[campaign]:
        factor[(t >= T.ts(start.replace(" ", "T"))) & (t < T.ts(end.replace(" ", "T")) + T.DAY)] *= f
    rng = np.random.default_rng(seed)
    acquired = first & (t >= lo) & (t <= hi) & (rng.random(len(t)) < 1 - 1 / factor)
    added = np.isin(cust, cust[acquired]) & (t >= lo) & (t <= hi)
    return int(inside.sum()), int(added.sum())
