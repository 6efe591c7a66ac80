"""Messages that need an answer and the organization's answers.

Inbound comments and DMs (``is_inbound``) are answered by staff (``reply`` rows, ``by_staff``,
``parent`` = the message answered) with a delay from the business-hours model: minutes inside
09:00–18:00 Mon–Fri, the next opening otherwise. About a fifth are never answered. Customers often
send several DMs before anyone answers; the answer points at the latest, so "time since the
latest unanswered message" has something to measure. Off-hours DMs on WeChat and Weibo get an
instant automatic reply (``is_automated``) first, which response-time measures must skip.
"""

from __future__ import annotations

import numpy as np

from hudong.demo import draw
from hudong.demo import texts as X
from hudong.demo import timeline as T
from hudong.demo.activity import TYPE, Interactions, block
from hudong.demo.brand import CAMPAIGNS, DOUYIN, NEWYEAR, OWN_ACCOUNT, SALE_618, TWITTER, WECHAT, WEIBO, XHS
from hudong.demo.people import BOT_PLATFORMS, ActorSampler, People

ANSWERED = 0.8
CONVERSATIONS = 6_500
DM_SPLIT = {WECHAT: 0.4, WEIBO: 0.3, DOUYIN: 0.15, XHS: 0.1, TWITTER: 0.05}


def _agents(people: People, p: int) -> np.ndarray:
    staff = people.staff[p]
    return staff[1:] if p in BOT_PLATFORMS else staff


def _staff_answers(
    rng: np.random.Generator, people: People, msgs: Interactions, rows: np.ndarray, answered: float
) -> Interactions:
    """Human answers to ``msgs[rows]`` (parent = those rows of ``msgs``); some never come."""
    rows = rows[rng.random(len(rows)) < answered]
    t = T.staff_reply_times(rng, msgs.time[rows])
    keep = t <= T.END
    rows, t = rows[keep], t[keep]
    blocks = []
    for p in np.unique(msgs.platform[rows]):
        r = rows[msgs.platform[rows] == p]
        tt = t[msgs.platform[rows] == p]
        agents = _agents(people, int(p))
        text = draw.pick(rng, X.STAFF_REPLIES_EN if p == TWITTER else X.STAFF_REPLIES, len(r))
        text = X.official(text, msgs.text[r], np.random.default_rng([17, int(p), len(r)]))
        b = block(len(r), int(p), "reply", actor_row=agents[rng.integers(0, len(agents), len(r))],
                  post_row=msgs.post_row[r], target_row=msgs.actor_row[r], time=tt, text=text, by_staff=np.ones(len(r), bool))  # fmt: skip
        b.parent = r
        blocks.append(b)
    return _concat_or_empty(blocks)


def _concat_or_empty(blocks: list[Interactions]) -> Interactions:
    if blocks:
        return Interactions.concat(blocks, shift=False)
    return block(0, 0, "reply", actor_row=np.zeros(0, np.int64), time=np.zeros(0, np.int64))


def comment_answers(rng: np.random.Generator, people: People, comments: Interactions) -> Interactions:
    """Staff answers to inbound comments (and a thank-you to a few others). Parents index ``comments``."""
    inbound = np.flatnonzero(comments.is_inbound)
    answers = _staff_answers(rng, people, comments, inbound, ANSWERED)
    others = np.flatnonzero(~comments.is_inbound & (comments.type == TYPE["comment"]) & (comments.parent < 0))
    on_own = others[comments.post_row[others] >= 0]
    thanks = _staff_answers(rng, people, comments, on_own, 0.03)
    return Interactions.concat([answers, thanks], shift=False)


def direct_messages(rng: np.random.Generator, people: People, actors: ActorSampler, scale: float) -> Interactions:
    """DM conversations with own accounts: bursts of customer messages, auto-replies, staff answers.

    Returned rows are self-contained (parents index this block).
    """
    days = T.day_weights(bumps=((CAMPAIGNS[SALE_618].start[:10], CAMPAIGNS[SALE_618].end[:10], 1.8),
                                (CAMPAIGNS[NEWYEAR].start[:10], CAMPAIGNS[NEWYEAR].end[:10], 1.3)))  # fmt: skip
    out: list[Interactions] = []
    offset = 0
    for p, share in DM_SPLIT.items():
        n_conv = max(8, round(CONVERSATIONS * share * scale))
        start = T.sample_times(rng, n_conv, days)
        user = actors(p, start, alpha=1.0)
        for round_ in range(2):
            msgs, conv = _burst(rng, p, user, start, OWN_ACCOUNT[p], first=round_ == 0)
            last = np.flatnonzero(np.r_[conv[1:] != conv[:-1], True])
            parts = [msgs]
            if round_ == 0 and p in BOT_PLATFORMS:
                first = np.flatnonzero(np.r_[True, conv[1:] != conv[:-1]])
                f = first[~T.in_business_hours(msgs.time[first]) & (rng.random(len(first)) < 0.6)]
                bot = block(len(f), p, "reply", actor_row=np.full(len(f), people.staff[p][0]), target_row=msgs.actor_row[f],
                            time=msgs.time[f] + rng.integers(2, 10, len(f)), text=draw.pick(rng, X.AUTO_REPLY, len(f)),
                            by_staff=np.ones(len(f), bool), is_automated=np.ones(len(f), bool))  # fmt: skip
                bot.parent = f
                parts.append(bot)
            answers = _staff_answers(rng, people, msgs, last, ANSWERED if round_ == 0 else 0.85)
            parts.append(answers)
            merged = Interactions.concat(parts, shift=False)
            merged.parent = np.where(merged.parent >= 0, merged.parent + offset, -1)
            offset += len(merged)
            out.append(merged)
            # some customers write again after the answer
            again = rng.random(len(answers)) < 0.35
            user = msgs.actor_row[answers.parent[again]]
            start = answers.time[again] + T.lognormal_seconds(rng, int(again.sum()), 10 * 60, 1.0)
            if not len(user):
                break
    return Interactions.concat(out, shift=False)


def _burst(
    rng: np.random.Generator, p: int, user: np.ndarray, start: np.ndarray, acc: int, first: bool
) -> tuple[Interactions, np.ndarray]:
    """1–5 messages per conversation, and the conversation of each message."""
    k = np.minimum(rng.geometric(0.55, size=len(user)), 5)
    conv = np.repeat(np.arange(len(user)), k)
    gap = np.where(rng.random(len(conv)) < 0.8, T.lognormal_seconds(rng, len(conv), 180, 1.0),
                   T.lognormal_seconds(rng, len(conv), 20 * 3600, 0.4))  # fmt: skip
    first_of = np.r_[True, conv[1:] != conv[:-1]]
    gap[first_of] = 0
    csum = np.cumsum(gap)
    t = start[conv] + csum - np.repeat(csum[first_of], k)
    n = len(conv)
    if p == TWITTER:
        text = draw.pick(rng, X.DM_EN, n)
    else:
        text = draw.cat(draw.pick(rng, X.DM_OPENERS, n), draw.pick(rng, X.DM_BODIES, n))
        later = ~first_of | (not first)
        text[later] = draw.pick(rng, X.DM_FOLLOWUPS, int(later.sum()))
        pii = np.flatnonzero(first_of & (rng.random(n) < 0.03))
        text[pii] = draw.cat(text[pii], ",我手机号 ", draw.phone_numbers(rng, len(pii)))
    b = block(n, p, "dm", actor_row=user[conv], target_account=np.full(n, acc), time=t, text=text,
              is_inbound=np.ones(n, bool))  # fmt: skip
    keep = np.flatnonzero(t <= T.END)
    return b.take(keep), conv[keep]
