"""Planted inauthentic activity, so that coordination and bot detection have something to find.

- A **coordinated ring** on Douyin: ``RING_SIZE`` ordinary-looking people who share and like the same own
  and fans' posts about the brand, each within seconds of the others, a few minutes after the post goes up (a paid boosting group).
- **Bot-like accounts** on Weibo: ``BOTS`` people who like the latest post every ~30 minutes, day and night,
  all along, and like each new own post within seconds.

The ring does not shrink with ``scale`` (detection must work on the small test worlds too), the bots' pace
does (so they do not swamp a small world's daily rhythm); the rows are drawn
from ordinary people, who keep their organic activity. ``planted(people, rng)`` is the ground truth.
"""

from __future__ import annotations

import numpy as np

from hudong.demo import timeline as T
from hudong.demo.activity import TYPE, Interactions, block
from hudong.demo.brand import DOUYIN, PLATFORMS, WEIBO
from hudong.demo.content import OWN, UGC, Posts
from hudong.demo.draw import stage_rng
from hudong.demo.people import People, make_people

RING_SIZE = 8
RING_POSTS = 30
RING_JOIN = 0.9  # chance a ring member takes part in one boost
BOTS = 2
BOT_PERIOD = 1907.0  # seconds between a bot's likes, all period long (not a divisor of a day: hours drift)


def planted(people: People, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """People rows of the ring (Douyin) and of the bots (Weibo): ordinary, non-staff, non-KOC users."""
    out = {}
    for name, p, k in (("ring", DOUYIN, RING_SIZE), ("bots", WEIBO, BOTS)):
        lo, hi = people.span[p]
        rows = np.arange(lo, hi)
        ok = rows[~people.is_staff[lo:hi] & ~people.is_koc[lo:hi]]
        out[name] = np.sort(rng.choice(ok, size=k, replace=False))
    return out


def activity(rng: np.random.Generator, posts: Posts, people: People, scale: float) -> Interactions:
    """The ring's shares and likes and the bots' likes (draws from ``rng`` only)."""
    who = planted(people, rng)
    return Interactions.concat([_ring(rng, posts, who["ring"]), _bots(rng, posts, who["bots"], scale)])


def _ring(rng: np.random.Generator, posts: Posts, ring: np.ndarray) -> Interactions:
    own = np.flatnonzero((posts.platform == DOUYIN) & np.isin(posts.kind, (OWN, UGC)) & (posts.time < T.END - 3600))
    targets = np.sort(rng.choice(own, size=min(RING_POSTS, len(own)), replace=False))
    start = posts.time[targets] + rng.uniform(120, 900, len(targets))  # the boost starts minutes after posting
    post_i, member_i = np.nonzero(rng.random((len(targets), len(ring))) < RING_JOIN)
    t_share = start[post_i] + rng.uniform(0, 20, len(post_i))
    t_like = t_share + rng.uniform(1, 5, len(post_i))
    kind = np.concatenate([np.full(len(post_i), "share"), np.full(len(post_i), "like")])
    return block(2 * len(post_i), DOUYIN, np.array([TYPE[k] for k in kind], np.int8),
                 actor_row=np.tile(ring[member_i], 2), post_row=np.tile(targets[post_i], 2),
                 time=np.concatenate([t_share, t_like]))  # fmt: skip


def _bots(rng: np.random.Generator, posts: Posts, bots: np.ndarray, scale: float) -> Interactions:
    weibo = np.flatnonzero(posts.platform == WEIBO)
    weibo = weibo[np.argsort(posts.time[weibo], kind="stable")]
    own = weibo[posts.kind[weibo] == OWN]
    blocks = []
    for b in bots:
        period = BOT_PERIOD / min(scale, 1.0)  # small worlds: fewer likes, still regular and round the clock
        first = T.START + rng.uniform(0, period)
        n = int((T.END - first) // period)
        t = first + np.arange(n) * period + rng.normal(0, 20, n)
        latest = weibo[np.maximum(np.searchsorted(posts.time[weibo], t, side="right") - 1, 0)]
        live = own[(posts.time[own] >= first) & (posts.time[own] <= t[-1])]
        t_fast = posts.time[live] + rng.uniform(2, 8, len(live))
        times = np.concatenate([t, t_fast])
        blocks.append(block(len(times), WEIBO, "like", actor_row=np.full(len(times), b),
                            post_row=np.concatenate([latest, live]), time=times))  # fmt: skip
    return Interactions.concat(blocks)


def planted_ids(seed: int = 7, scale: float = 1.0) -> dict[str, list[tuple[str, str]]]:
    """Ground truth of ``hudong.demo.simulate(seed, scale)``: (platform, raw user id) of the ring and the bots."""
    people = make_people(stage_rng(seed, "people"), scale)
    who = planted(people, stage_rng(seed, "integrity"))
    return {k: [(PLATFORMS[people.platform[r]], str(people.uid[r])) for r in rows] for k, rows in who.items()}
