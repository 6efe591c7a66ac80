"""Recurring feedback the demo brand hears (the co-creation board's planted truth): people ask for the same few
things in their own words — a sugar-free cold brew (asked more and more), smaller packs, the mini-program crashing
at checkout (in May, until it was fixed), and, abroad, the jasmine blend back. ``plant`` writes them over a share
of the inbound comments (their own generator, so every other draw of the demo stays as it was); ``PLANTED`` says
which phrasing belongs to which idea."""

from __future__ import annotations

import numpy as np

from hudong.demo import timeline as T
from hudong.demo.activity import TYPE, Interactions
from hudong.demo.brand import TWITTER

PLANTED: dict[str, tuple[str, tuple[str, ...]]] = {  # idea → (kind, phrasings)
    "sugar_free": ("request", ("希望出无糖款冷泡茶", "能不能出个无糖的冷泡茶?", "求出无糖版本的冷泡茶!", "什么时候出无糖冷泡茶呀",
                               "期待无糖款冷泡茶", "希望推出无糖冷泡茶,控糖党需要")),
    "small_pack": ("suggestion", ("建议出小包装,一次喝不完", "包装能不能小一点,一次喝不完", "建议礼盒的小包装再多一点",
                                  "小包装可以再多一些,方便带着喝")),
    "pay_crash": ("bug", ("小程序支付的时候闪退", "小程序一付款就闪退", "付款页面闪退,付不了款", "小程序闪退,付不了款了")),
    "jasmine": ("request", ("Please bring back the jasmine cold brew!", "Bring back the jasmine cold brew please",
                            "When will you bring back the jasmine cold brew?")),
}  # fmt: skip
SHARE = 0.2  # of inbound comments


def plant(rng: np.random.Generator, inter: Interactions) -> dict[int, str]:
    """Overwrite the text of a share of inbound comments with planted feedback; returns row → idea."""
    rows = np.flatnonzero((inter.type == TYPE["comment"]) & inter.is_inbound & ~inter.by_staff)
    rows = rows[rng.random(len(rows)) < SHARE]
    day = (inter.time[rows] - T.START) / T.DAY
    may = (inter.time[rows] >= T.ts("2026-05-01")) & (inter.time[rows] < T.ts("2026-06-01"))
    out: dict[int, str] = {}
    for r, d, in_may in zip(rows, day, may, strict=True):
        if inter.platform[r] == TWITTER:
            idea = "jasmine"
        else:
            w = np.array([0.2 + 0.8 * d / T.DAYS, 0.35, 0.6 if in_may else 0.0])  # sugar-free asked more and more
            idea = ("sugar_free", "small_pack", "pay_crash")[rng.choice(3, p=w / w.sum())]
        phrasings = PLANTED[idea][1]
        inter.text[r] = phrasings[rng.integers(len(phrasings))]
        out[int(r)] = idea
    return out
