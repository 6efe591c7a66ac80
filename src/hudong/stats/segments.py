"""Segments of people from their behaviour: learned clusters (k-means on standardised features, k chosen by the
silhouette), named from what sets each apart, and RFM-style rule segments beside them.

Learned (``cluster``): the features (one row per person; ``FEATURES`` says what each means) are log-scaled where
heavy-tailed, standardised, and clustered by k-means (scikit-learn, ``n_init`` restarts from a fixed seed, so a
re-run gives the same segments) for every k in ``ks``; the k with the highest mean silhouette (Rousseeuw 1987)
on a sample of at most ``SILHOUETTE_SAMPLE`` people is kept — the criterion is stated with its score. A segment is
named from its two most distinctive features: the standardised difference of its mean from everyone's (the
centroid in z units), largest first, each with a zh and en phrase for "high" or "low".

Rules (``rfm``; Hughes 1994's recency-frequency-monetary idea, with hudong's thresholds): ``champions`` — seen in
the last ``ACTIVE_DAYS`` days, among the top fifth by interactions and having ordered (or, with no orders in the
workspace, the top fifth by interactions); ``new`` — first seen in the last ``ACTIVE_DAYS`` days; ``active`` —
seen in the last ``ACTIVE_DAYS`` days; ``at_risk`` — last seen ``ACTIVE_DAYS``–``DORMANT_DAYS`` days ago;
``dormant`` — longer ago. First match wins, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

SILHOUETTE_SAMPLE = 5_000
KMEANS_SAMPLE = 50_000  # k-means is fitted on at most this many people, then every person is assigned
ACTIVE_DAYS = 30
DORMANT_DAYS = 90
KAPPA_MIN = 10.0  # the preference prior is worth at least this many engagements
LOG_SCALED = ("frequency", "active_days", "orders", "revenue", "followers")

# feature → (high zh, high en, low zh, low en): how a segment standing out on it is named
FEATURES: dict[str, tuple[str, str, str, str]] = {
    "recency_days": ("久未互动", "lapsed", "近期活跃", "recently active"),
    "frequency": ("高频互动", "frequent", "偶尔互动", "occasional"),
    "active_days": ("常来", "regular", "来得少", "rare"),
    "share_like": ("爱点赞", "likers", "少点赞", "few likes"),
    "share_comment": ("爱评论", "commenters", "少评论", "few comments"),
    "share_share": ("爱转发", "sharers", "少转发", "few shares"),
    "share_save": ("爱收藏", "savers", "少收藏", "few saves"),
    "share_click": ("爱点链接", "clickers", "少点链接", "few clicks"),
    "share_view": ("爱围观", "watchers", "少围观", "few views"),
    "share_dm": ("爱私信", "messagers", "少私信", "few messages"),
    "media_video": ("视频党", "video fans", "少看视频", "little video"),
    "media_image": ("图文党", "image fans", "少看图片", "few images"),
    "media_article": ("长文读者", "readers", "少读长文", "few articles"),
    "media_text": ("短文字", "text fans", "少看短文", "little text"),
    "hour_evening": ("夜间活跃", "evening people", "少在晚上", "rarely evenings"),
    "hour_work": ("工作时间活跃", "daytime people", "少在白天", "rarely daytime"),
    "orders": ("购买者", "buyers", "未购买", "non-buyers"),
    "revenue": ("高消费", "big spenders", "低消费", "low spend"),
    "sentiment": ("口碑正面", "positive", "有不满", "unhappy"),
    "followers": ("有影响力", "influential", "粉丝少", "few followers"),
}
PLATFORM_PREFIX = "on_"  # one-hot platform features: on_weibo …
RULES = ("champions", "new", "active", "at_risk", "dormant")
RULE_NAMES = {"champions": ("核心拥趸", "champions"), "new": ("新人", "new"), "active": ("活跃", "active"),
              "at_risk": ("流失风险", "at risk"), "dormant": ("沉睡", "dormant")}  # fmt: skip


@dataclass
class Clustering:
    labels: np.ndarray  # segment per row, 0 … k-1, ordered by size (0 the largest)
    k: int
    silhouette: float
    tried: dict[int, float]  # k → mean silhouette
    centroids: pd.DataFrame  # segment × feature, in z units
    features: list[str]


def prepare(features: pd.DataFrame) -> pd.DataFrame:
    """The clustering matrix: heavy-tailed counts log-scaled, missing values (no sentiment scored, no orders) at
    the neutral value, every column standardised; constant columns dropped."""
    x = features.astype(float).copy()
    for col in LOG_SCALED:
        if col in x:
            x[col] = np.log1p(x[col].clip(lower=0))
    x = x.fillna(x.median(numeric_only=True)).fillna(0.0)
    sd = x.std(ddof=0)
    keep = sd[sd > 1e-9].index
    return (x[keep] - x[keep].mean()) / sd[keep]


def cluster(features: pd.DataFrame, *, ks: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8), seed: int = 0,
            n_init: int = 4) -> Clustering:  # fmt: skip
    """k-means for each k in ``ks``; the k with the best mean silhouette on a fixed sample (module doc)."""
    from sklearn.cluster import KMeans  # lazy: scikit-learn loads in a second; only segmentation needs it
    from sklearn.metrics import silhouette_score

    z = prepare(features)
    x = z.to_numpy()
    n = len(x)
    if n < 3 or x.shape[1] == 0:
        raise ValueError(f"{n} people with varying behaviour: too few to segment")
    rng = np.random.default_rng(seed)
    fit_rows = rng.choice(n, KMEANS_SAMPLE, replace=False) if n > KMEANS_SAMPLE else np.arange(n)
    sample = rng.choice(n, SILHOUETTE_SAMPLE, replace=False) if n > SILHOUETTE_SAMPLE else np.arange(n)
    tried: dict[int, float] = {}
    best: tuple[float, int, np.ndarray] | None = None
    for k in ks:
        if k >= min(n, len(fit_rows)):
            break
        km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(x[fit_rows])
        labels = km.predict(x)
        if len(np.unique(labels[sample])) < 2:
            continue
        score = float(silhouette_score(x[sample], labels[sample], random_state=seed))
        tried[k] = score
        if best is None or score > best[0]:
            best = (score, k, labels)
    if best is None:
        raise ValueError("the people do not separate into segments (every k gave one group)")
    score, k, labels = best
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")  # segment 0 = the largest: stable names across re-runs
    relabel = np.empty(k, dtype=np.int64)
    relabel[order] = np.arange(k)
    labels = relabel[labels]
    centroids = z.groupby(labels).mean()
    return Clustering(labels, k, score, tried, centroids, list(z.columns))


def _phrase(feature: str, z: float, platform_names: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    if feature.startswith(PLATFORM_PREFIX):
        if z <= 0:
            return None
        zh, en = platform_names.get(feature[len(PLATFORM_PREFIX):], (feature[3:], feature[3:]))
        return f"{zh}用户", f"on {en}"
    words = FEATURES.get(feature)
    if words is None:
        return None
    return (words[0], words[1]) if z > 0 else (words[2], words[3])


def names(centroids: pd.DataFrame, platform_names: dict[str, tuple[str, str]] | None = None, *, top: int = 2,
          traits: int = 5) -> list[dict[str, object]]:  # fmt: skip
    """Per segment: ``name_zh``, ``name_en`` (its ``top`` most distinctive traits) and ``traits`` (the ``traits``
    largest, each feature, z and phrase). Names are unique: a repeat gets its next trait."""
    out: list[dict[str, object]] = []
    used: set[str] = set()
    for seg, row in centroids.iterrows():
        ranked = row.reindex(row.abs().sort_values(ascending=False).index)
        phrases = [(f, float(z), p) for f, z in ranked.items() if (p := _phrase(str(f), float(z), platform_names or {}))]
        picked = phrases[:top]
        name_en = " · ".join(p[1] for _, _, p in picked) or f"segment {seg}"
        extra = top
        while name_en in used and extra < len(phrases):
            picked = [*phrases[: top - 1], phrases[extra]]
            name_en = " · ".join(p[1] for _, _, p in picked)
            extra += 1
        if name_en in used:
            name_en = f"{name_en} ({seg})"
        used.add(name_en)
        out.append({"segment": int(seg), "name_zh": "·".join(p[0] for _, _, p in picked) or f"人群{seg}",
                    "name_en": name_en,
                    "traits": [{"feature": f, "z": round(z, 2), "zh": p[0], "en": p[1]} for f, z, p in phrases[:traits]]})
    return out


def rfm(recency_days: pd.Series, first_days: pd.Series, frequency: pd.Series, orders: pd.Series) -> pd.Series:
    """The rule segment of each person (module doc): ``recency_days`` since their last interaction, ``first_days``
    since their first, ``frequency`` interactions, ``orders`` placed."""
    rec, first = recency_days.to_numpy(float), first_days.to_numpy(float)
    freq, orders_ = frequency.to_numpy(float), orders.fillna(0).to_numpy(float)
    top_fifth = freq >= np.quantile(freq, 0.8) if len(freq) else np.zeros(0, bool)
    bought = orders_ > 0 if orders_.any() else np.ones(len(freq), bool)
    recent = rec <= ACTIVE_DAYS
    out = np.select(
        [recent & top_fifth & bought, first <= ACTIVE_DAYS, recent, rec <= DORMANT_DAYS],
        ["champions", "new", "active", "at_risk"], default="dormant")  # fmt: skip
    return pd.Series(out, index=recency_days.index)


def preferences(counts: pd.DataFrame, members: pd.Series, posts: pd.Series | None = None, *,
                z: float = 1.6448536269514722) -> pd.DataFrame:  # fmt: skip
    """What each segment responds to, from ``counts`` (columns segment, cell, n: the segment's engagements on the
    cell's posts), ``members`` (people per segment) and ``posts`` (posts per cell). Per segment × cell:

    - ``rate`` = n / (members · posts): engagements per member per post of the cell, with a 90 % interval (Poisson,
      normal on the log scale with n + ½) — how strongly the segment engages with that content;
    - ``share`` = the cell's share of the segment's engagement, shrunk by empirical Bayes toward every segment's
      share of the cell: a Beta(κπ, κ(1 − π)) prior per cell, π the cell's overall share, κ by the method of
      moments (the spread of the segments' shares beyond binomial noise; no spread → κ large, full pooling), at
      least ``KAPPA_MIN`` (a handful of segments estimates the spread roughly);
    - ``lift`` = share / the other segments' share of the cell (Jeffreys prior): what this segment responds to that
      others do not, with a 90 % interval from the ends of the two Beta posteriors' intervals (the low end of its
      share over the high end of theirs …), exact for thin cells; ``distinctive``: the interval lies above 1.
    Rows ranked within each segment by ``lift_lo`` — a lift that survives its uncertainty comes first."""
    c = counts.groupby(["segment", "cell"], as_index=False)["n"].sum()
    wide = c.pivot(index="segment", columns="cell", values="n").fillna(0.0)
    n = wide.to_numpy(float)
    seg_total = n.sum(1, keepdims=True)
    cell_total = n.sum(0, keepdims=True)
    total = n.sum()
    pi = cell_total / max(total, 1.0)
    share = n / np.maximum(seg_total, 1.0)
    expected = (pi * (1 - pi) / np.maximum(seg_total, 1.0)).mean(0, keepdims=True)
    spread = share.var(0, keepdims=True)
    kappa = np.where(spread > expected, pi * (1 - pi) / np.maximum(spread - expected, 1e-12) - 1, 1e9)
    kappa = np.clip(kappa, KAPPA_MIN, 1e9)
    a, b = n + kappa * pi, seg_total - n + kappa * (1 - pi)  # the share's Beta posterior
    post = a / (a + b)
    other_n, other_total = cell_total - n, total - seg_total
    oa, ob = other_n + 0.5, other_total - other_n + 0.5  # the other segments' share (Jeffreys)
    other = oa / (oa + ob)
    lift = post / other
    tail = float(stats.norm.sf(z))
    size = members.reindex(wide.index).to_numpy(float)[:, None]
    n_posts = (posts.reindex(wide.columns).to_numpy(float)[None, :] if posts is not None
               else np.ones((1, n.shape[1])))  # fmt: skip
    exposure = np.maximum(size * n_posts, 1.0)
    rate = n / exposure
    rate_se = 1 / np.sqrt(n + 0.5)
    out = pd.DataFrame({
        "segment": np.repeat(wide.index.to_numpy(), n.shape[1]), "cell": np.tile(wide.columns.to_numpy(), n.shape[0]),
        "engagements": n.ravel().astype(np.int64), "rate": rate.ravel(),
        "rate_lo": ((n + 0.5) / exposure * np.exp(-z * rate_se)).ravel(),
        "rate_hi": ((n + 0.5) / exposure * np.exp(z * rate_se)).ravel(),
        "share": post.ravel(), "raw_share": share.ravel(), "lift": lift.ravel(),
        # the lift's interval pairs the ends of the two Beta intervals: conservative, exact for thin cells
        "lift_lo": (stats.beta.ppf(tail, a, b) / stats.beta.ppf(1 - tail, oa, ob)).ravel(),
        "lift_hi": (stats.beta.ppf(1 - tail, a, b) / stats.beta.ppf(tail, oa, ob)).ravel(),
    })  # fmt: skip
    out["distinctive"] = out["lift_lo"] > 1
    return out.sort_values(["segment", "lift_lo"], ascending=[True, False], ignore_index=True)
