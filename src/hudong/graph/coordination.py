"""Coordinated co-sharing and bot-like timing, and engagement KPIs with and without the accounts they flag.

**Co-sharing** (CooRnet, Giglietto, Righetti, Rossi & Marino 2020; github.com/fabiogiglietto/CooRnet),
generalised from links to three kinds of shared item: ``post`` (a repost/share interaction on a post, or a
repost post's ``parent_id``), ``url`` (a link in a post's text) and ``hashtag`` (a post's ``topics``). A share
is the first time an account shares an item.

- *Coordination interval* per kind (CooRnet ``estimate_coord_interval``, q = 0.1, p = 0.5): among items shared
  by ≥ 2 accounts, keep the fastest q-quantile by time from the first to the second share; for each of those,
  the time from the first share until the share count first passes p of the item's shares; the interval is
  the p-quantile (the median) of those times, at least 1 s.
- Two accounts *co-share* an item when both share it within the interval of each other. The edge weight of a
  pair is the number of distinct items they co-share; an edge is kept when its weight is ≥ ``min_repetition``
  (default 2, CooRTweet's ``min_participation``) and ≥ the ``edge_quantile`` (0.90, CooRnet's
  ``percentile_edge_weight``) of all co-sharing pairs' weights, and — hudong's addition — when the weight is
  unlikely by chance (``pair_weights``: Poisson tail below ``alpha`` = 0.01, Bonferroni over the pairs). Heavy
  users share the same popular posts within minutes of each other all the time; counts alone flag them.
- Coordinated groups = connected components of the kept edges, with the evidence: every co-shared item, who
  shared it when, and the delay after the item's first share.

**Bot-like timing** per account (all its interactions and posts; Botometer's temporal feature group, Yang,
Ferrara & Menczer 2022): inter-event coefficient of variation CV = σ/μ and burstiness B = (σ−μ)/(σ+μ)
(Goh & Barabási 2008: −1 periodic, 0 Poisson, → 1 bursty); hour-of-day entropy H/ln 24 and hours of the day
used (Zhang & Paxson 2011: automated accounts act round the clock, people sleep); the share of reactions
within ``fast_seconds`` of the post reacted to (Chavoshi, Hamooni & Mueen 2016: bots act in lockstep with
their trigger). An account with ≥ ``min_actions`` actions is flagged when at least two of the three signals
fire (regular: B ≤ −0.5; round the clock: H/ln 24 ≥ 0.98; instant: fast share ≥ 0.5) — no single score.

**Raw vs adjusted KPIs** (``hudong.analyses.coordination``): the registered metrics computed twice, on the store
and on the store without the flagged accounts. The shares and actions are read from the workspace by
``hudong.analyses.reads``; this module takes frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hudong.errors import HudongError

KINDS = ("post", "url", "hashtag")
DEFAULT_KINDS = ("post", "url")  # hashtags are reused for weeks: opt in, with a fixed interval
Q_FASTEST = 0.1  # CooRnet q
P_SHARES = 0.5  # CooRnet p
EDGE_QUANTILE = 0.90  # CooRnet percentile_edge_weight
MIN_REPETITION = 2  # CooRTweet min_participation
ALPHA = 0.01  # chance test, Bonferroni-corrected over the co-sharing pairs
SHARE_TYPES = ("repost", "share")
URL_PATTERN = r"https?://[^\s，。！？、\)\]）】\"']+"


@dataclass
class Coordination:
    """What ``detect_coordination`` found. ``interval``: seconds per kind; ``pairs``: kept edges with their
    weight and items; ``groups``: one row per coordinated group; ``evidence``: every share of every item a
    group co-shared; ``accounts``: (platform, user_id, group)."""

    interval: dict[str, float]
    min_repetition: int
    edge_threshold: float
    pairs: pd.DataFrame
    groups: pd.DataFrame
    evidence: pd.DataFrame
    accounts: pd.DataFrame


def _seconds(ts: pd.Series) -> np.ndarray:
    return pd.to_datetime(ts).to_numpy(dtype="datetime64[us]").astype(np.int64) / 1e6


def _item_codes(df: pd.DataFrame) -> np.ndarray:
    """One integer per (platform, kind, item); ``df`` sorted by those then time."""
    return pd.MultiIndex.from_frame(df[["platform", "kind", "item"]]).factorize()[0] if len(df) else np.empty(0, int)


def coordination_interval(sh: pd.DataFrame, q: float = Q_FASTEST, p: float = P_SHARES) -> dict[str, float]:
    """CooRnet's coordination interval in seconds per kind (see the module docstring); NaN when no item of
    that kind was shared twice. ``sh`` as returned by ``shares``."""
    out: dict[str, float] = {}
    for kind, g in sh.groupby("kind", sort=True):
        g = g.sort_values(["platform", "item", "ts"], kind="stable")
        code = _item_codes(g)
        sec = _seconds(g["ts"])
        n = np.bincount(code)
        start = np.cumsum(n) - n
        multi = np.flatnonzero(n > 1)
        if not len(multi):
            out[str(kind)] = float("nan")
            continue
        t2 = sec[start[multi] + 1] - sec[start[multi]]
        fast = multi[t2 <= np.quantile(t2, q)]
        # time from the first share until the share count first passes p of the item's shares
        k = np.floor(p * n[fast]).astype(np.int64) + 1  # the smallest rank with rank / n > p
        t_p = sec[start[fast] + k - 1] - sec[start[fast]]
        out[str(kind)] = float(max(1.0, np.quantile(t_p, p)))
    return out


def co_shares(sh: pd.DataFrame, interval: dict[str, float]) -> pd.DataFrame:
    """Every pair of accounts sharing the same item within the interval of its kind: platform, kind, item,
    user_a < user_b, ts_a, ts_b. Band join by offsets in time order (no quadratic blow-up on popular items)."""
    cols = ["platform", "kind", "item", "user_a", "user_b", "ts_a", "ts_b"]
    sh = sh[sh["kind"].map(lambda k: np.isfinite(interval.get(k, np.nan)))]
    if sh.empty:
        return pd.DataFrame({c: [] for c in cols})
    sh = sh.sort_values(["platform", "kind", "item", "ts"], kind="stable").reset_index(drop=True)
    code = _item_codes(sh)
    sec = _seconds(sh["ts"])
    limit = sh["kind"].map(interval).to_numpy(dtype=np.float64)
    left, right = [], []
    idx = np.arange(len(sh))
    k = 1
    while len(idx):
        j = idx + k
        ok = j < len(sh)
        idx, j = idx[ok], j[ok]
        ok = (code[j] == code[idx]) & (sec[j] - sec[idx] <= limit[idx])
        idx, j = idx[ok], j[ok]
        left.append(idx)
        right.append(j)
        k += 1
    a, b = np.concatenate(left), np.concatenate(right)
    ua, ub = sh["user_id"].to_numpy(dtype=object)[a], sh["user_id"].to_numpy(dtype=object)[b]
    swap = ua.astype(str) > ub.astype(str)
    out = pd.DataFrame({
        "platform": sh["platform"].to_numpy()[a], "kind": sh["kind"].to_numpy()[a], "item": sh["item"].to_numpy()[a],
        "user_a": np.where(swap, ub, ua), "user_b": np.where(swap, ua, ub),
        "ts_a": np.where(swap, sh["ts"].to_numpy()[b], sh["ts"].to_numpy()[a]),
        "ts_b": np.where(swap, sh["ts"].to_numpy()[a], sh["ts"].to_numpy()[b]),
    })  # fmt: skip
    return out[out["user_a"] != out["user_b"]].reset_index(drop=True)


def detect_coordination(
    sh: pd.DataFrame,
    interval: float | dict[str, float] | None = None,
    min_repetition: int = MIN_REPETITION,
    edge_quantile: float = EDGE_QUANTILE,
    q: float = Q_FASTEST,
    p: float = P_SHARES,
    alpha: float = ALPHA,
    step: Any = None,
) -> Coordination:
    """Coordinated co-sharing groups with their evidence (module docstring) among the shares ``sh`` (as
    ``hudong.analyses.reads.shares`` gives: platform, user_id, kind, item, ts). ``interval``: None = estimated per
    kind from the data (CooRnet), a number = the same seconds for every kind, or seconds per kind. ``step``: a
    ``hudong.progress`` callback that hears of each stage."""
    step = step or (lambda *a, **k: None)
    if min_repetition < 1:
        raise HudongError(f"min_repetition must be ≥ 1, got {min_repetition}")
    if not 0 <= edge_quantile <= 1:
        raise HudongError(f"edge_quantile must be in [0, 1], got {edge_quantile}")
    if interval is None:
        iv = coordination_interval(sh, q, p)
    elif isinstance(interval, dict):
        iv = {k: float(v) for k, v in interval.items()}
    else:
        if interval <= 0:
            raise HudongError(f"the coordination interval must be > 0 seconds, got {interval}")
        iv = {k: float(interval) for k in sh["kind"].unique()}
    step("co-shares within the interval")
    co = co_shares(sh, iv)
    step("pair weights and groups")
    w = pair_weights(sh, co, iv)
    cut = float(np.quantile(w["co_shares"], edge_quantile)) if len(w) else 0.0
    threshold = float(max(min_repetition, cut))
    bonferroni = alpha / max(len(w), 1)
    kept = w[(w["co_shares"] >= threshold) & (w["p_value"] < bonferroni)].reset_index(drop=True)
    co = co.merge(kept[["platform", "user_a", "user_b"]], on=["platform", "user_a", "user_b"])
    return _groups(sh, co, kept, iv, min_repetition, threshold)


def pair_weights(sh: pd.DataFrame, co: pd.DataFrame, interval: dict[str, float]) -> pd.DataFrame:
    """Per pair of co-sharing accounts: ``co_shares`` (distinct items co-shared within the interval),
    ``common_items`` (items both shared, at any time), ``expected`` (co-shares expected by chance) and the
    Poisson tail ``p_value`` = P(X ≥ co_shares), X ~ Poisson(expected).

    Chance model (hudong's addition to CooRnet): on item i with n_i sharers of which k_i pairs fall within the
    interval, a random pair of its sharers co-shares with p_i = k_i / (n_i(n_i−1)/2); a pair's expected count
    is Σ p_i over their common items. Heavy users share the same popular items within minutes by chance;
    this keeps them apart from accounts that repeatedly share within seconds of each other."""
    import scipy.sparse as sparse
    from scipy.stats import poisson

    cols = ["platform", "user_a", "user_b", "co_shares", "common_items", "expected", "p_value"]
    if co.empty:
        return pd.DataFrame({c: [] for c in cols})
    sep = "\x1f"
    users, u_code = _factor(sh["platform"] + sep + sh["user_id"].astype(str))
    items, i_code = _factor(sh["platform"] + sep + sh["kind"] + sep + sh["item"].astype(str))
    p_i = _chance(sh, i_code, len(items), sh["kind"].map(interval).to_numpy(dtype=np.float64))
    w = co.groupby(["platform", "user_a", "user_b"], sort=False)["item"].nunique().rename("co_shares").reset_index()
    m = sparse.csr_matrix((np.ones(len(sh)), (u_code, i_code)), shape=(len(users), len(items)))
    both = (
        m[users.get_indexer(w["platform"] + sep + w["user_a"].astype(str))]
        .multiply(m[users.get_indexer(w["platform"] + sep + w["user_b"].astype(str))])
        .tocsr()
    )
    w["common_items"] = np.asarray(both.sum(axis=1)).ravel().astype(np.int64)
    w["expected"] = both @ p_i
    w["p_value"] = poisson.sf(w["co_shares"] - 1, w["expected"])
    return w[cols]


def _chance(sh: pd.DataFrame, code: np.ndarray, n_items: int, tau: np.ndarray) -> np.ndarray:
    """Per item: the chance that two of its sharers, acting independently, share within τ of each other, when
    each share's delay after the item's first share is drawn from the delays of all shares of that platform
    and kind: p = P(|D₁ − D₂| ≤ τ) = E[F(D + τ) − F(D − τ)] with F the empirical CDF of the delays."""
    sec = _seconds(sh["ts"])
    first = np.full(n_items, np.inf)
    np.minimum.at(first, code, sec)
    delay = sec - first[code]
    group = (sh["platform"] + "\x1f" + sh["kind"]).to_numpy()
    p_item = np.zeros(n_items)
    for g in np.unique(group):
        m = group == g
        d = np.sort(delay[m])
        t = tau[m][0]
        f = (np.searchsorted(d, d + t, side="right") - np.searchsorted(d, d - t, side="left")) / len(d)
        p_item[code[m]] = float(np.mean(f))
    return p_item


def _factor(keys: pd.Series) -> tuple[pd.Index, np.ndarray]:
    code, uniq = pd.factorize(keys)
    return pd.Index(uniq), code


def _groups(
    sh: pd.DataFrame, co: pd.DataFrame, kept: pd.DataFrame, iv: dict[str, float], min_repetition: int, threshold: float
) -> Coordination:
    import igraph as ig

    if kept.empty:  # nothing coordinated: empty frames with the documented columns
        none = pd.DataFrame({"platform": pd.Series([], dtype=object), "user_id": pd.Series([], dtype=object),
                             "group": pd.Series([], dtype=np.int64)})  # fmt: skip
        pairs = kept.assign(group=pd.Series([], dtype=np.int64), median_delay_s=pd.Series([], dtype=np.float64),
                            items=pd.Series([], dtype=object))  # fmt: skip
        ev = _evidence(sh, co.iloc[:0], none)
        return Coordination(iv, min_repetition, threshold, pairs, _group_table(none, pairs, ev), ev, none)
    names = pd.Index(pd.unique(pd.concat([kept["platform"] + "\x1f" + kept["user_a"].astype(str),
                                          kept["platform"] + "\x1f" + kept["user_b"].astype(str)])))  # fmt: skip
    ea = names.get_indexer(kept["platform"] + "\x1f" + kept["user_a"].astype(str))
    eb = names.get_indexer(kept["platform"] + "\x1f" + kept["user_b"].astype(str))
    g = ig.Graph(n=len(names), edges=list(zip(ea.tolist(), eb.tolist(), strict=True)))
    membership = np.asarray(g.connected_components().membership, dtype=np.int64)
    # groups numbered 1.. by size (largest first), then by first member
    sizes = np.bincount(membership, minlength=int(membership.max()) + 1 if len(membership) else 0)
    order = np.lexsort((np.arange(len(sizes)), -sizes))
    renum = np.empty(len(sizes), dtype=np.int64)
    renum[order] = np.arange(1, len(sizes) + 1)
    split = names.str.split("\x1f", n=1)
    accounts = pd.DataFrame(
        {
            "platform": [s[0] for s in split],
            "user_id": [s[1] for s in split],
            "group": renum[membership] if len(membership) else np.empty(0, np.int64),
        }
    )
    accounts = accounts.sort_values(["group", "platform", "user_id"], kind="stable").reset_index(drop=True)
    gid = dict(zip(zip(accounts["platform"], accounts["user_id"], strict=True), accounts["group"], strict=True))
    pairs = kept.copy()
    pairs["group"] = [gid[(pl, a)] for pl, a in zip(pairs["platform"], pairs["user_a"], strict=True)]
    delays = (co["ts_b"] - co["ts_a"]).abs().dt.total_seconds()
    agg = (
        co.assign(delay=delays)
        .groupby(["platform", "user_a", "user_b"])
        .agg(median_delay_s=("delay", "median"), items=("item", lambda s: sorted(set(s))))
    )
    pairs = pairs.merge(agg.reset_index(), on=["platform", "user_a", "user_b"], how="left")
    pairs = pairs.sort_values(["group", "co_shares", "user_a", "user_b"], ascending=[True, False, True, True],
                              kind="stable").reset_index(drop=True)  # fmt: skip
    evidence = _evidence(sh, co, accounts)
    groups = _group_table(accounts, pairs, evidence)
    return Coordination(iv, min_repetition, threshold, pairs, groups, evidence, accounts)


def _evidence(sh: pd.DataFrame, co: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Per group and co-shared item: each member's share, with seconds after the item's first share (anyone)."""
    cols = ["group", "platform", "kind", "item", "user_id", "ts", "after_first_share_s"]
    if co.empty:
        return pd.DataFrame({c: [] for c in cols})
    ga = accounts.rename(columns={"user_id": "user_a"})
    items = co.merge(ga, on=["platform", "user_a"])[["group", "platform", "kind", "item"]].drop_duplicates()
    first = sh.groupby(["platform", "kind", "item"], sort=False)["ts"].min().rename("first_ts").reset_index()
    ev = sh.merge(accounts, on=["platform", "user_id"]).merge(items, on=["group", "platform", "kind", "item"])
    ev = ev.merge(first, on=["platform", "kind", "item"])
    ev["after_first_share_s"] = (ev["ts"] - ev["first_ts"]).dt.total_seconds()
    return ev[cols].sort_values(["group", "kind", "item", "ts", "user_id"], kind="stable").reset_index(drop=True)


def _group_table(accounts: pd.DataFrame, pairs: pd.DataFrame, evidence: pd.DataFrame) -> pd.DataFrame:
    cols = [
        "group",
        "platform",
        "n_accounts",
        "accounts",
        "edges",
        "max_co_shares",
        "items",
        "kinds",
        "median_after_first_share_s",
        "first",
        "last",
        "evidence",
    ]
    if accounts.empty:
        return pd.DataFrame({c: [] for c in cols})
    a = accounts.groupby("group").agg(
        platform=("platform", "first"),
        n_accounts=("user_id", "size"),
        accounts=("user_id", lambda s: sorted(map(str, s))),
    )
    e = pairs.groupby("group").agg(edges=("co_shares", "size"), max_co_shares=("co_shares", "max"))
    v = evidence.groupby("group").agg(
        items=("item", "nunique"),
        kinds=("kind", lambda s: sorted(set(s))),
        median_after_first_share_s=("after_first_share_s", "median"),
        first=("ts", "min"),
        last=("ts", "max"),
    )
    out = a.join(e).join(v).reset_index()
    out["evidence"] = [
        f"{n} accounts co-shared {i} items ({', '.join(k)}) within the interval; strongest pair {m} times; "
        f"median {d:,.0f} s after the item's first share; {f:%Y-%m-%d} … {last:%Y-%m-%d}"
        for n, i, k, m, d, f, last in zip(
            out["n_accounts"],
            out["items"],
            out["kinds"],
            out["max_co_shares"],
            out["median_after_first_share_s"],
            out["first"],
            out["last"],
            strict=True,
        )
    ]
    return out[cols]


# ---- bot-like timing ---------------------------------------------------------------------------------------
MIN_ACTIONS = 20
FAST_SECONDS = 10.0
REGULAR_B = -0.5
ROUND_THE_CLOCK = 0.98
INSTANT_SHARE = 0.5


def bot_signals(
    a: pd.DataFrame,
    min_actions: int = MIN_ACTIONS,
    fast_seconds: float = FAST_SECONDS,
) -> pd.DataFrame:
    """Per account with ≥ ``min_actions`` actions: n_actions, cv, burstiness, hour_entropy, hours_active,
    fast_share, the three signals and ``bot_like`` (≥ 2 signals); most suspicious first (module docstring).
    ``a``: every action of a person (platform, user_id, ts, delay_s: seconds since the post reacted to, NaN when
    none), as ``hudong.analyses.reads.actions`` gives."""
    a = a.sort_values(["platform", "user_id", "ts"], kind="stable").reset_index(drop=True)
    users, code = _factor(a["platform"] + "\x1f" + a["user_id"])
    n = np.bincount(code, minlength=len(users))
    sec = _seconds(a["ts"])
    gap = np.diff(sec, prepend=np.nan)
    same = np.r_[False, code[1:] == code[:-1]] if len(code) else np.zeros(0, dtype=bool)
    g_code, g = code[same], gap[same]
    m = np.bincount(g_code, minlength=len(users))
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = np.bincount(g_code, g, len(users)) / m
        var = np.bincount(g_code, g * g, len(users)) / m - mu * mu
        sigma = np.sqrt(np.maximum(var, 0))
        cv = sigma / mu
        burst = (sigma - mu) / (sigma + mu)
    hour = ((sec // 3600) % 24).astype(np.int64)
    hist = np.bincount(code * 24 + hour, minlength=len(users) * 24).reshape(len(users), 24).astype(np.float64)
    share = hist / np.maximum(n, 1)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.nansum(np.where(share > 0, share * np.log(share), 0.0), axis=1) / np.log(24)
    delay = a["delay_s"].to_numpy(dtype=np.float64)
    reacted = ~np.isnan(delay)
    n_react = np.bincount(code[reacted], minlength=len(users))
    n_fast = np.bincount(code[reacted & (delay >= 0) & (delay <= fast_seconds)], minlength=len(users))
    split = users.str.split("\x1f", n=1)
    out = pd.DataFrame({
        "platform": [s[0] for s in split], "user_id": [s[1] for s in split], "n_actions": n,
        "cv": cv, "burstiness": burst, "hour_entropy": entropy, "hours_active": (hist > 0).sum(axis=1),
        "reactions": n_react,
        "fast_share": np.divide(n_fast, n_react, out=np.full(len(users), np.nan), where=n_react > 0),
    })  # fmt: skip
    out = out[out["n_actions"] >= min_actions].copy()
    out["regular"] = out["burstiness"] <= REGULAR_B
    out["round_the_clock"] = out["hour_entropy"] >= ROUND_THE_CLOCK
    out["instant"] = out["fast_share"].fillna(0) >= INSTANT_SHARE
    out["signals"] = out[["regular", "round_the_clock", "instant"]].sum(axis=1)
    out["bot_like"] = out["signals"] >= 2
    return out.sort_values(["signals", "burstiness", "user_id"], ascending=[False, True, True],
                           kind="stable").reset_index(drop=True)  # fmt: skip


# ---- the accounts both flag ---------------------------------------------------------------------------------
def flagged_accounts(coordination: Coordination, bots: pd.DataFrame) -> pd.DataFrame:
    """(platform, user_id, reason) of the accounts in a coordinated group or with bot-like timing."""
    c = coordination.accounts.assign(reason="coordinated group " + coordination.accounts["group"].astype(str))
    b = bots[bots["bot_like"]].assign(reason="bot-like timing")
    out = pd.concat([c[["platform", "user_id", "reason"]], b[["platform", "user_id", "reason"]]], ignore_index=True)
    out = out.groupby(["platform", "user_id"], sort=True)["reason"].agg("; ".join).reset_index()
    return out.astype({"platform": str, "user_id": str})


