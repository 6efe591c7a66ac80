"""The follows snapshot: who follows our accounts, competitors' accounts, and each other."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hudong.demo import timeline as T
from hudong.demo.activity import TYPE, Interactions
from hudong.demo.brand import ACCOUNTS, PLATFORMS, TWITTER
from hudong.demo.people import People


@dataclass
class FollowEdges:
    platform: np.ndarray
    follower_row: np.ndarray
    followee_row: np.ndarray  # People row, or -1 when the followee is an account
    followee_account: np.ndarray  # ACCOUNTS index, or -1
    time: np.ndarray  # -1 = unknown ("since" not exported)


def snapshot(rng: np.random.Generator, people: People, inter: Interactions, seen: np.ndarray) -> FollowEdges:
    parts: list[tuple[np.ndarray, ...]] = []
    # 1. our followers: those who followed in the window and stayed, plus a sample of earlier fans
    fol = np.flatnonzero(inter.type == TYPE["follow"])
    unf = np.flatnonzero(inter.type == TYPE["unfollow"])
    left = np.isin(inter.actor_row[fol] * 100 + inter.target_account[fol],
                   inter.actor_row[unf] * 100 + inter.target_account[unf])  # fmt: skip
    stay = fol[~left]
    parts.append((inter.platform[stay], inter.actor_row[stay], np.full(len(stay), -1), inter.target_account[stay],
                  inter.time[stay]))  # fmt: skip
    for a_idx, acc in enumerate(ACCOUNTS):
        lo, hi = people.span[acc.platform]
        rows = np.arange(lo, hi)[seen[lo:hi] & ~people.is_staff[lo:hi]]
        share = 0.25 if acc.is_own else 0.06
        chosen = rows[rng.random(len(rows)) < share]
        if acc.is_own:
            chosen = chosen[~np.isin(chosen, inter.actor_row[fol][inter.target_account[fol] == a_idx])]
        since = np.where(rng.random(len(chosen)) < 0.3, -1, T.START - rng.integers(T.DAY, 5 * 365 * T.DAY, len(chosen)))
        parts.append((np.full(len(chosen), acc.platform, np.int8), chosen, np.full(len(chosen), -1),
                      np.full(len(chosen), a_idx), since))  # fmt: skip
    # 2. people following people, preferentially the well-followed (KOCs, media)
    for p in range(len(PLATFORMS)):
        lo, hi = people.span[p]
        rows = np.arange(lo, hi)[seen[lo:hi] & ~people.is_staff[lo:hi]]
        if len(rows) < 2:
            continue
        active = rows[rng.random(len(rows)) < (0.25 if p != TWITTER else 0.5)]
        k = np.minimum(rng.geometric(0.4, size=len(active)), 30)
        src = np.repeat(active, k)
        w = people.followers[rows].astype(float) ** 0.8
        dst = rows[np.minimum(np.searchsorted(np.cumsum(w), rng.random(len(src)) * w.sum(), side="right"), len(rows) - 1)]
        ok = src != dst
        src, dst = src[ok], dst[ok]
        pair = np.unique(src * np.int64(1 << 24) + (dst - lo))
        src, dst = pair >> 24, (pair & ((1 << 24) - 1)) + lo
        since = np.where(rng.random(len(src)) < 0.3, -1, T.END - rng.integers(T.DAY, 4 * 365 * T.DAY, len(src)))
        parts.append((np.full(len(src), p, np.int8), src, dst, np.full(len(src), -1), since))
    cols = [np.concatenate([part[i] for part in parts]) for i in range(5)]
    return FollowEdges(cols[0].astype(np.int8), *[c.astype(np.int64) for c in cols[1:]])
