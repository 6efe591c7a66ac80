"""Best publishing slots with uncertainty: an empirical-Bayes model of how a post's engagement depends on its slot
(weekday × 3-hour block), per platform × content type, shrunk toward the platform-wide pattern when data are thin.

For a post p of group g (platform × content type) in slot s the outcome is y_p = log((E_p + ½) / I_p) (engagements
per impression) where the group's posts mostly report impressions, else log(E_p + 1) (engagements per post); d_p =
y_p − ȳ_g takes the group's level out, so content types with different levels share one slot pattern. With σ²_g
the group's within-slot variance of d and n the posts in a cell:

1. the platform's pattern m_ps = β_block + α_weekday + γ_cell, fitted in that order on what the previous terms
   left, each term's means shrunk toward 0 (mean · (n/σ²) / (n/σ² + 1/τ²), variance 1 / (n/σ² + 1/τ²)); v_ps
   sums their variances — an evening that is good every day is learnt from every day's evening posts;
2. each group's cell: prior N(m_ps, τ²_g + v_ps), posterior mean (n/σ² · d̄_gs + m_ps/(τ²_g + v_ps)) / (n/σ² +
   1/(τ²_g + v_ps)) and variance 1 / (n/σ² + 1/(τ²_g + v_ps)) — a cell with few posts stays near the platform's
   pattern, one with many follows its own posts;

τ² (how much slots truly differ) is estimated by the method of moments: the variance of the cell means less their
expected sampling variance, floored at a small value (DerSimonian & Laird 1986, the random-effects estimator).
``lift`` = exp(posterior mean): the slot's engagement relative to the group's typical post, with a 90 % interval.
A group "can tell slots apart" when its best slot's interval lies above 1 — it beats the group's average with
≥ 95 % posterior probability; otherwise the recommendation says the data are too thin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BLOCK_HOURS = 3
Z90 = 1.6448536269514722
TAU2_FLOOR = 1e-4
MIN_IMPRESSION_SHARE = 0.8  # a group is read per impression when this share of its posts report impressions


def outcome(frame: pd.DataFrame) -> tuple[pd.Series, str]:
    """(y per post, measure) for one group: log engagement per impression, or per post where impressions are rare."""
    imp = pd.to_numeric(frame["impressions"], errors="coerce")
    eng = pd.to_numeric(frame["engagements"], errors="coerce").fillna(0).clip(lower=0)
    if len(frame) and (imp > 0).mean() >= MIN_IMPRESSION_SHARE:
        return np.log((eng + 0.5) / imp.where(imp > 0)), "engagement_rate"
    return np.log1p(eng), "engagements"


def _tau2(means: np.ndarray, sampling_var: np.ndarray) -> float:
    if len(means) < 2:
        return TAU2_FLOOR
    return float(max(np.var(means, ddof=1) - np.mean(sampling_var), TAU2_FLOOR))


def _shrunk(keys: np.ndarray, means: np.ndarray, n: np.ndarray, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the posterior mean and variance of its key's effect: the post-weighted mean of ``means`` over the
    rows sharing the key, shrunk toward 0 by the method-of-moments τ² across keys."""
    frame = pd.DataFrame({"k": keys, "w": n * means, "n": n, "s2n": s2 * n})
    agg = frame.groupby("k").agg(w=("w", "sum"), n=("n", "sum"), s2n=("s2n", "sum"))
    mean = agg["w"] / agg["n"]
    s2 = agg["s2n"] / agg["n"]
    tau2 = _tau2(mean.to_numpy(), (s2 / agg["n"]).to_numpy())
    prec = agg["n"] / s2 + 1 / tau2
    post = (agg["n"] / s2 * mean) / prec
    return post.reindex(keys).to_numpy(), (1 / prec).reindex(keys).to_numpy()


def slot_lifts(posts: pd.DataFrame, *, group: tuple[str, ...] = ("platform", "content_type")) -> pd.DataFrame:
    """One row per (group, weekday, block) with posts on the platform: ``posts`` (in the cell), ``rate`` (raw:
    the cell's engagements over impressions, or per post), ``lift``, ``lo``, ``hi`` (90 %), ``own_weight`` (the
    share of the estimate that comes from the cell's own posts), ``measure``, ``rank`` within the group.

    ``posts`` needs the group columns, ``weekday`` (0 = Monday), ``hour``, ``engagements`` and ``impressions``."""
    cols = [*group, "weekday", "block", "posts", "rate", "lift", "lo", "hi", "own_weight", "measure", "rank"]
    if posts.empty:
        return pd.DataFrame(columns=cols)
    df = posts.copy()
    df["block"] = (df["hour"].astype(int) // BLOCK_HOURS).astype(int)
    df["weekday"] = df["weekday"].astype(int)
    slot = ["weekday", "block"]
    parts = []
    for _key, g in df.groupby(list(group), sort=True, dropna=False):
        y, measure = outcome(g)
        g = g.assign(y=y, measure=measure).dropna(subset=["y"])
        if not len(g):
            continue
        d = g["y"] - g["y"].mean()
        # the noise of one post: the variance within slots, pooled over the group's slots
        resid = d - d.groupby([g[c] for c in slot]).transform("mean")
        dof = len(g) - g.groupby(slot).ngroups
        s2 = float((resid**2).sum() / dof) if dof > 0 else float(d.var(ddof=1) if len(g) > 1 else 0)
        parts.append(g.assign(d=d, sigma2=s2 if s2 > 0 else 1.0))
    if not parts:
        return pd.DataFrame(columns=cols)
    df = pd.concat(parts, ignore_index=True)

    # 1. the platform's slot pattern: hour block + weekday + what is particular to the cell, each shrunk
    plat = df.groupby(["platform", *slot]).agg(n=("d", "size"), dbar=("d", "mean"), s2=("sigma2", "mean")).reset_index()
    plat["m"], plat["v"] = 0.0, 0.0
    for _p, idx in plat.groupby("platform").groups.items():
        g = plat.loc[idx]
        resid = g["dbar"].to_numpy().copy()
        for by in ("block", "weekday", None):  # additive: what every day shares first, then each cell
            keys = g[by].to_numpy() if by else np.arange(len(g))
            m, v = _shrunk(keys, resid, g["n"].to_numpy(), g["s2"].to_numpy())
            plat.loc[idx, "m"] += m
            plat.loc[idx, "v"] += v
            resid = resid - m

    # 2. each group's cells, shrunk toward the platform's pattern
    cell = df.groupby([*group, *slot]).agg(n=("d", "size"), dbar=("d", "mean"), s2=("sigma2", "mean"),
                                          eng=("engagements", "sum"), imp=("impressions", "sum"),
                                          measure=("measure", "first")).reset_index()  # fmt: skip
    cell = cell.merge(plat[["platform", *slot, "m", "v"]], on=["platform", *slot], how="left")
    cell["sv"] = cell["s2"] / cell["n"]
    tau_g = {k: _tau2((g["dbar"] - g["m"]).to_numpy(), g["sv"].to_numpy()) for k, g in cell.groupby(list(group))}
    keys = cell[list(group)].itertuples(index=False)
    prior_var = np.array([tau_g[tuple(k) if len(group) > 1 else k[0]] for k in keys]) + cell["v"].to_numpy()
    own = cell["n"] / cell["s2"]
    post_var = 1 / (own + 1 / prior_var)
    post_mean = (own * cell["dbar"] + cell["m"] / prior_var) * post_var
    sd = np.sqrt(post_var)
    out = cell.assign(
        posts=cell["n"].astype(int),
        rate=np.where(cell["measure"] == "engagement_rate", cell["eng"] / cell["imp"].where(cell["imp"] > 0),
                      cell["eng"] / cell["n"]),
        lift=np.exp(post_mean), lo=np.exp(post_mean - Z90 * sd), hi=np.exp(post_mean + Z90 * sd),
        own_weight=own * post_var)  # fmt: skip
    out["rank"] = out.groupby(list(group))["lift"].rank(ascending=False, method="first").astype(int)
    return out[cols].sort_values([*group, "rank"]).reset_index(drop=True)


def recommend(lifts: pd.DataFrame, *, group: tuple[str, ...] = ("platform", "content_type"), top: int = 3,
              min_posts: int = 20) -> pd.DataFrame:  # fmt: skip
    """Per group: ``slots`` (the ``top`` best as (weekday, block, lift, lo, hi)), ``posts``, ``separable`` (the
    best slot's interval is above 1) and ``thin`` (fewer than ``min_posts`` posts)."""
    rows = []
    for key, g in lifts.groupby(list(group), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        best = g.nsmallest(top, "rank")
        n = int(g["posts"].sum())
        rows.append(dict(zip(group, key, strict=True)) | {
            "posts": n, "measure": g["measure"].iloc[0], "thin": n < min_posts,
            "separable": bool(n >= min_posts and best["lo"].iloc[0] > 1),
            "slots": [(int(r.weekday), int(r.block), float(r.lift), float(r.lo), float(r.hi), int(r.posts))
                      for r in best.itertuples()]})  # fmt: skip
    return pd.DataFrame(rows, columns=[*group, "posts", "measure", "thin", "separable", "slots"])


def content_mix(posts: pd.DataFrame) -> pd.DataFrame:
    """Per platform, how each content type does against the platform's typical post: ``posts``, ``share`` (of the
    platform's posts), ``lift`` with its 90 % interval (the content type's mean of d shrunk toward 0 by the spread
    between types, as for slots) and ``verdict``: "more" (interval above 1), "less" (below 1) or "unclear"."""
    cols = ["platform", "content_type", "posts", "share", "lift", "lo", "hi", "verdict", "measure"]
    rows = []
    for platform, g in posts.groupby("platform", sort=True):
        y, measure = outcome(g)
        g = g.assign(y=y).dropna(subset=["y"])
        if len(g) < 2:
            continue
        d = g["y"] - g["y"].mean()
        by = d.groupby(g["content_type"])
        stats = by.agg(["size", "mean"])
        resid = d - by.transform("mean")
        dof = len(g) - len(stats)
        s2 = float((resid**2).sum() / dof) if dof > 0 else float(d.var(ddof=1) or 1.0)
        m, v = _shrunk(stats.index.to_numpy(), stats["mean"].to_numpy(), stats["size"].to_numpy(),
                       np.full(len(stats), s2 if s2 > 0 else 1.0))  # fmt: skip
        sd = np.sqrt(v)
        for (ctype, n), mi, si in zip(stats["size"].items(), m, sd, strict=True):
            lo, hi = float(np.exp(mi - Z90 * si)), float(np.exp(mi + Z90 * si))
            rows.append({"platform": platform, "content_type": ctype, "posts": int(n), "share": n / len(g),
                         "lift": float(np.exp(mi)), "lo": lo, "hi": hi, "measure": measure,
                         "verdict": "more" if lo > 1 else "less" if hi < 1 else "unclear"})  # fmt: skip
    return pd.DataFrame(rows, columns=cols).sort_values(["platform", "lift"], ascending=[True, False]).reset_index(drop=True)
