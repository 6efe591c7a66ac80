"""Individual interactions: views, likes, comments, shares, saves, clicks, reposts, mentions, follows.

Reactions to a post are drawn post-first (by its appeal: viral posts collect most), then a delay
shaped by the daily rhythm, then the actor among the people active that week (heavy-tailed).
Conventions: user replies in comment threads are ``comment`` rows with ``parent_id``; answers by
the organization are ``reply`` rows with ``by_staff`` (see ``hudong.demo.conversations``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from hudong.demo import draw, personas
from hudong.demo import texts as X
from hudong.demo import timeline as T
from hudong.demo.brand import CAMPAIGNS, DOUYIN, OWN_ACCOUNT, SALE_618, SPRING, TWITTER, WECHAT, WEIBO, XHS
from hudong.demo.content import OWN, REPOST, UGC, Posts
from hudong.demo.people import BOT_PLATFORMS, ActorSampler, People
from hudong.store.schema import INTERACTION_TYPES

TYPE = {name: i for i, name in enumerate(INTERACTION_TYPES)}

ENGAGEMENT = {
    WEIBO: {"impression": 120_000, "like": 110_000, "comment": 22_000, "save": 6_000, "click": 20_000},
    WECHAT: {"view": 140_000, "like": 20_000, "comment": 5_000, "share": 15_000, "save": 4_000, "click": 15_000},
    XHS: {"view": 90_000, "like": 50_000, "comment": 9_000, "save": 18_000, "share": 4_000},
    DOUYIN: {"view": 160_000, "like": 70_000, "comment": 12_000, "share": 8_000, "save": 5_000},
    TWITTER: {"impression": 25_000, "like": 6_000, "comment": 1_500, "click": 2_000},
}
# (median delay after the post in seconds, how strongly heavy users dominate the type)
REACTION = {
    "view": (2 * 3600, 0.5),
    "impression": (1.5 * 3600, 0.5),
    "like": (3 * 3600, 0.9),
    "comment": (2.5 * 3600, 1.1),
    "share": (5 * 3600, 1.0),
    "save": (6 * 3600, 0.9),
    "click": (2 * 3600, 0.7),
}
MEDIA_AFFINITY = {
    "view": {"video": 2.5, "live": 3.0, "article": 1.5, "image": 1.0, "text": 0.6, "link": 0.6},
    "click": {"link": 4.0, "article": 2.0, "image": 0.5, "video": 0.3, "text": 0.5, "live": 0.5},
}
FOLLOWS = 24_000
FOLLOW_SPLIT = {WEIBO: 0.35, DOUYIN: 0.3, XHS: 0.18, WECHAT: 0.12, TWITTER: 0.05}
INBOUND_SHARE = 0.28  # comments on own posts that ask or complain (need an answer)


@dataclass
class Interactions:
    platform: np.ndarray
    type: np.ndarray  # index into INTERACTION_TYPES
    actor_row: np.ndarray
    post_row: np.ndarray  # -1 when none
    target_row: np.ndarray  # People row acted on, -1 when none
    target_account: np.ndarray  # ACCOUNTS index acted on, -1 when none
    time: np.ndarray
    dwell: np.ndarray  # NaN when none
    text: np.ndarray  # None when none
    parent: np.ndarray  # row in the concatenated Interactions, -1 when none (local until concatenated)
    is_inbound: np.ndarray
    by_staff: np.ndarray
    is_automated: np.ndarray

    def __len__(self) -> int:
        return len(self.time)

    @classmethod
    def concat(cls, blocks: list[Interactions], *, shift: bool = True) -> Interactions:
        """Concatenate; with ``shift``, each block's ``parent`` rows are local to it and get moved by its
        offset, without, they already index one common frame (e.g. all point into an earlier block)."""
        offset, parents = 0, []
        for b in blocks:
            parents.append(np.where(b.parent >= 0, b.parent + offset, -1) if shift else b.parent)
            offset += len(b)
        cols = {f.name: np.concatenate([getattr(b, f.name) for b in blocks]) for f in fields(cls) if f.name != "parent"}
        return cls(parent=np.concatenate(parents), **cols)

    def take(self, rows: np.ndarray) -> Interactions:
        """A subset; parent links are re-pointed (and cut where the parent is not kept)."""
        new = np.full(len(self), -1, np.int64)
        new[rows] = np.arange(len(rows))
        cols = {f.name: getattr(self, f.name)[rows] for f in fields(self)}
        cols["parent"] = np.where(cols["parent"] >= 0, new[np.maximum(cols["parent"], 0)], -1)
        return Interactions(**cols)


def block(n: int, platform: int, type_: str | np.ndarray, **cols: np.ndarray) -> Interactions:
    base = {
        "platform": np.full(n, platform, np.int8),
        "type": np.full(n, TYPE[type_], np.int8) if isinstance(type_, str) else type_,
        "post_row": np.full(n, -1, np.int64),
        "target_row": np.full(n, -1, np.int64),
        "target_account": np.full(n, -1, np.int64),
        "dwell": np.full(n, np.nan),
        "text": np.full(n, None, dtype=object),
        "parent": np.full(n, -1, np.int64),
        "is_inbound": np.zeros(n, bool),
        "by_staff": np.zeros(n, bool),
        "is_automated": np.zeros(n, bool),
    }
    base.update(cols)
    return Interactions(**base)


def post_engagement(
    rng: np.random.Generator, posts: Posts, people: People, actors: ActorSampler, scale: float,
    tastes: personas.Tastes | None = None,
) -> Interactions:
    """Views, impressions, likes, comments, shares, saves and clicks on own posts, UGC and reposts; with
    ``tastes``, the planted personas' preferences shape who likes, comments, saves and shares (``demo.personas``)."""
    blocks = []
    for p, totals in ENGAGEMENT.items():
        own = np.flatnonzero((posts.platform == p) & (posts.kind == OWN))
        ugc = np.flatnonzero((posts.platform == p) & (posts.kind == UGC))
        rep = np.flatnonzero((posts.platform == p) & (posts.kind == REPOST))
        pool = np.concatenate([own, ugc, rep])
        # own posts get ~80% of what is observed; the exports of UGC and reposts are thinner
        share = np.concatenate([
            _normalised(posts.appeal[own], 0.8), _normalised(posts.appeal[ugc], 0.17), _normalised(posts.appeal[rep], 0.03)
        ])  # fmt: skip
        for type_, total in totals.items():
            n = max(1, round(total * scale))
            affinity = MEDIA_AFFINITY.get(type_)
            w = share if affinity is None else share * np.array([affinity.get(m, 1.0) for m in posts.media[pool]])
            rows = pool[draw.weighted_index(rng, w, n)]
            median, alpha = REACTION[type_]
            t = T.reactions_after(rng, posts.time[rows], median, 1.6)
            keep = t <= T.END
            rows, t = rows[keep], t[keep]
            n = len(rows)
            who = actors(p, t, alpha=alpha)
            if tastes is not None and type_ in personas.TASTE_TYPES:
                rows = tastes.steer(pool, posts.media[pool], posts.time[pool], rows, t, who)
            b = block(n, p, type_, actor_row=who, post_row=rows, time=t)
            if type_ == "view":
                median_dwell, cap = {DOUYIN: (14, 180), WECHAT: (50, 900), XHS: (18, 300)}.get(p, (10, 120))
                b.dwell = np.minimum(cap, rng.lognormal(np.log(median_dwell), 0.9, size=n)).round(1)
            elif type_ == "click":
                b.dwell = np.minimum(1800, rng.lognormal(np.log(35), 1.1, size=n)).round(1)
            elif type_ == "comment":
                _comment_texts(rng, b, posts)
            blocks.append(b)
    return Interactions.concat(blocks)


def _normalised(w: np.ndarray, total: float) -> np.ndarray:
    return w * (total / w.sum()) if len(w) and w.sum() > 0 else w


def _comment_texts(rng: np.random.Generator, b: Interactions, posts: Posts) -> None:
    n = len(b)
    on_own = posts.kind[b.post_row] == OWN
    b.is_inbound = on_own & (rng.random(n) < INBOUND_SHARE)
    if b.platform[0] == TWITTER:
        b.text = draw.pick(rng, X.COMMENT_EN, n)
        return
    b.text = draw.cat(draw.pick(rng, X.COMMENT_PRAISE, n), draw.pick(rng, X.EMOJI, n))
    q = np.flatnonzero(b.is_inbound)
    b.text[q] = draw.pick(rng, X.COMMENT_QUESTIONS, len(q))
    pii = q[rng.random(len(q)) < 0.02]
    b.text[pii] = draw.cat(b.text[pii], " 我电话 ", draw.phone_numbers(rng, len(pii)))


def thread_replies(rng: np.random.Generator, comments: Interactions, actors: ActorSampler) -> Interactions:
    """Users answering other users' comments (``comment`` rows with a parent)."""
    is_comment = np.flatnonzero(comments.type == TYPE["comment"])
    chosen = is_comment[rng.random(len(is_comment)) < 0.07]
    blocks = []
    for p in np.unique(comments.platform[chosen]):
        rows = chosen[comments.platform[chosen] == p]
        t = T.reactions_after(rng, comments.time[rows], 40 * 60, 1.3)
        keep = t <= T.END
        rows, t = rows[keep], t[keep]
        n = len(rows)
        text = draw.pick(rng, X.COMMENT_REPLIES if p != TWITTER else ["+1", "Same here", "Agreed!"], n)
        b = block(n, int(p), "comment", actor_row=actors(int(p), t, alpha=1.1), post_row=comments.post_row[rows],
                  target_row=comments.actor_row[rows], time=t, text=text)  # fmt: skip
        b.parent = rows  # rows of ``comments``; shifted when concatenated after it
        blocks.append(b)
    if not blocks:
        return block(0, 0, "comment", actor_row=np.zeros(0, np.int64), time=np.zeros(0, np.int64))
    return Interactions.concat(blocks, shift=False)


def reposts_and_mentions(posts: Posts) -> Interactions:
    """One ``repost`` interaction per repost post (on its parent) and one ``mention`` per @-mention."""
    rep = np.flatnonzero(posts.kind == REPOST)
    men = np.flatnonzero(posts.mention_account >= 0)
    blocks = []
    for p in np.unique(posts.platform):
        r = rep[posts.platform[rep] == p]
        blocks.append(block(len(r), int(p), "repost", actor_row=posts.author_row[r], post_row=posts.parent_row[r],
                            time=posts.time[r], text=posts.text[r]))  # fmt: skip
        m = men[posts.platform[men] == p]
        blocks.append(block(len(m), int(p), "mention", actor_row=posts.author_row[m], post_row=m,
                            target_account=posts.mention_account[m], time=posts.time[m]))  # fmt: skip
    return Interactions.concat(blocks)


def follows(rng: np.random.Generator, posts: Posts, actors: ActorSampler, scale: float) -> Interactions:
    """Follows of own accounts (background, plus spikes after viral posts and during campaigns) and unfollows."""
    blocks = []
    days = T.day_weights(bumps=((CAMPAIGNS[SPRING].start[:10], CAMPAIGNS[SPRING].end[:10], 1.8),
                                (CAMPAIGNS[SALE_618].start[:10], CAMPAIGNS[SALE_618].end[:10], 1.5)))  # fmt: skip
    for p, share in FOLLOW_SPLIT.items():
        n = max(20, round(FOLLOWS * share * scale))
        own = np.flatnonzero((posts.platform == p) & (posts.kind == OWN))
        n_post = int(n * 0.4)
        after_post = T.reactions_after(rng, posts.time[own[draw.weighted_index(rng, posts.appeal[own], n_post)]],
                                       4 * 3600, 1.5)  # fmt: skip
        t = np.concatenate([after_post, T.sample_times(rng, n - n_post, days)])
        t = t[t <= T.END]
        actor = actors(p, t, alpha=0.7)
        # one follow per person: keep the earliest
        order = np.lexsort((t, actor))
        first = order[np.r_[True, actor[order][1:] != actor[order][:-1]]]
        actor, t = actor[first], t[first]
        acc = OWN_ACCOUNT[p]
        blocks.append(block(len(t), p, "follow", actor_row=actor, target_account=np.full(len(t), acc), time=t))
        # some leave again, weeks later
        leaving = np.flatnonzero(rng.random(len(t)) < 0.15)
        t_out = t[leaving] + T.lognormal_seconds(rng, len(leaving), 15 * T.DAY, 1.2)
        ok = t_out <= T.END
        blocks.append(block(int(ok.sum()), p, "unfollow", actor_row=actor[leaving][ok],
                            target_account=np.full(int(ok.sum()), acc), time=t_out[ok]))  # fmt: skip
    return Interactions.concat(blocks)


def staff_likes(rng: np.random.Generator, posts: Posts, people: People) -> Interactions:
    """Employees liking their own brand's posts: real, and exactly what community measures must exclude."""
    blocks = []
    for p, staff in people.staff.items():
        own = np.flatnonzero((posts.platform == p) & (posts.kind == OWN))
        humans = staff[1:] if p in BOT_PLATFORMS else staff
        pairs = rng.random((len(own), len(humans))) < 0.3
        post_i, staff_i = np.nonzero(pairs)
        rows = own[post_i]
        t = posts.time[rows] + T.lognormal_seconds(rng, len(rows), 600, 1.0)
        keep = t <= T.END
        blocks.append(block(int(keep.sum()), p, "like", actor_row=humans[staff_i][keep], post_row=rows[keep],
                            time=t[keep]))  # fmt: skip
    return Interactions.concat(blocks)
