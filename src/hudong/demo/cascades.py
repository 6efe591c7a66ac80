"""Repost cascades: trees of repost posts under weibo and twitter posts.

Each root gets a heavy-tailed size (a few viral trees with thousands of nodes, most with none).
Within a tree, node i attaches to an earlier node j < i drawn as ``floor(i * u**k)``: a large k
pulls toward the root (broadcast), a small k toward recent nodes (chains), and of two candidates
the one whose author has more followers usually wins, so KOCs collect sub-cascades. The whole
forest is built in one vectorised pass; times follow by summing delays down each path.
"""

from __future__ import annotations

import numpy as np

from hudong.demo import draw
from hudong.demo import texts as X
from hudong.demo import timeline as T
from hudong.demo.brand import ACCOUNTS, TWITTER, WEIBO
from hudong.demo.content import REPOST, Posts, _block
from hudong.demo.people import ActorSampler, People

REPOST_NODES = {WEIBO: 52_000, TWITTER: 4_000}
# how far a post travels per unit of appeal, by kind (own, competitor, UGC, competitor mention)
KIND_PULL = np.array([8.0, 2.0, 1.0, 0.7, 0.0])


def author_followers(posts: Posts, people: People) -> np.ndarray:
    acc_f = np.array([a.followers for a in ACCOUNTS], dtype=np.int64)
    return np.where(posts.author_row >= 0, people.followers[np.maximum(posts.author_row, 0)], acc_f[posts.account])


def author_names(posts: Posts, people: People) -> np.ndarray:
    acc_n = np.array([a.name for a in ACCOUNTS], dtype=object)
    return np.where(posts.author_row >= 0, people.name[np.maximum(posts.author_row, 0)], acc_n[posts.account])


def grow(rng: np.random.Generator, posts: Posts, people: People, actors: ActorSampler, scale: float) -> Posts:
    """Repost posts for ``posts`` (rows of the returned block continue after ``len(posts)``)."""
    blocks = []
    followers = author_followers(posts, people)
    names = author_names(posts, people)
    offset = len(posts)
    for p, target in REPOST_NODES.items():
        roots = np.flatnonzero((posts.platform == p) & (posts.kind != REPOST))
        lam = KIND_PULL[posts.kind[roots]] * posts.appeal[roots] ** 1.6
        lam *= target * scale / lam.sum()
        sizes = rng.poisson(lam)
        block = _forest(rng, posts, people, actors, roots, sizes, followers, names, p, offset)
        offset += len(block)
        blocks.append(block)
    return Posts.concat(blocks)


def _forest(
    rng: np.random.Generator,
    posts: Posts,
    people: People,
    actors: ActorSampler,
    roots: np.ndarray,
    sizes: np.ndarray,
    followers: np.ndarray,
    names: np.ndarray,
    p: int,
    offset: int,
) -> Posts:
    n = int(sizes.sum())
    tree = np.repeat(np.arange(len(roots)), sizes)  # which root each node hangs under
    start = np.repeat(np.cumsum(sizes) - sizes, sizes)  # first node of its tree
    local = np.arange(n) - start + 1  # 1..size; 0 is the root
    root_row = roots[tree]
    root_time = posts.time[root_row]

    boost = np.where(people.is_koc, 4.0, 1.0)
    author = actors(p, root_time, alpha=1.0, boost=boost)
    f_node = people.followers[author]

    k = np.where(rng.random(n) < 0.7, 4.0, 0.5)
    cand = np.floor(local[:, None] * rng.random((n, 2)) ** k[:, None]).astype(np.int64)  # in [0, local)
    cand_f = np.where(cand == 0, followers[root_row][:, None], f_node[np.maximum(start[:, None] + cand - 1, 0)])
    prefer_big = rng.random(n) < 0.75
    first_wins = (cand_f[:, 0] >= cand_f[:, 1]) == prefer_big
    parent_local = np.where(first_wins, cand[:, 0], cand[:, 1])
    parent_node = np.where(parent_local == 0, -1, start + parent_local - 1)

    # time = root time + the delays along the path; depth counted on the way
    delay = T.lognormal_seconds(rng, n, 40 * 60, 1.7)
    t = delay.copy()
    depth = np.ones(n, np.int64)
    anc = parent_node.copy()
    while True:
        m = np.flatnonzero(anc >= 0)
        if not len(m):
            break
        t[m] += delay[anc[m]]
        depth[m] += 1
        anc[m] = parent_node[anc[m]]
    t += root_time
    keep = t <= T.END  # descendants are later than their parents, so whole subtrees go together
    new_index = np.cumsum(keep) - 1
    parent_name = np.where(parent_node >= 0, people.name[author[np.maximum(parent_node, 0)]], names[root_row])
    parent_row = np.where(parent_node >= 0, offset + new_index[np.maximum(parent_node, 0)], root_row)

    sel = np.flatnonzero(keep)
    m = len(sel)
    if p == TWITTER:
        comment = draw.pick(rng, X.REPOST_EN, m)
        text = draw.cat("RT @", parent_name[sel], " ", comment)
    else:
        comment = draw.pick(rng, X.REPOST_ZH, m)
        chain = depth[sel] >= 2
        text = comment.copy()
        text[chain] = draw.cat(comment[chain], "//@", parent_name[sel][chain], ":", draw.pick(rng, X.REPOST_ZH, chain.sum()))
    return _block(
        m,
        platform=np.full(m, p, np.int8),
        time=t[sel],
        kind=np.full(m, REPOST, np.int8),
        author_row=author[sel],
        text=text,
        media=np.full(m, "text", dtype=object),
        campaign=posts.campaign[root_row[sel]],
        parent_row=parent_row[sel],
        root_row=root_row[sel],
        appeal=0.02 * (f_node[sel] / 300.0) ** 0.5,
    )
