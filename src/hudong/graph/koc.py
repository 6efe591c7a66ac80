"""KOC (key opinion consumer) candidates — our operational definition (metrics-reference §4; docs/propagation.md).

A user is a candidate when all hold:
1. tier: nano or micro by followers (tiers configurable, default Mediakix/STIM; ``graph.tiers`` in hudong.toml);
2. engagement: their engagement rate by followers — mean over their posts of (likes + comments + reposts + saves)
   ÷ followers — is above the median of their peers (same platform, same tier, users with posts);
3. customer evidence: at least one order linked to them (``orders.user_platform`` + pseudonymous ``user_id``)
   or one user-generated post about the brand (``posts.is_ugc``); ``require_customer=False`` drops this gate.
Candidates are ranked by the reshares they trigger (cascade out-degree summed over cascades), then downstream
reach, then engagement rate. ``koc_score`` is that reshare count; every gate's evidence is a column.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from hudong.graph.cascades import StoreCascades
from hudong.graph.influence import cascade_influence, graph_influence
from hudong.stats.tiers import follower_tier

KOC_TIERS = ("nano", "micro")
# the columns koc_candidates reads, per table (hudong.analyses.koc reads them from the workspace)
COLUMNS = {
    "users": ["platform", "user_id", "name", "followers", "is_staff"],
    "posts": ["platform", "author_id", "account_id", "likes", "comments", "reposts", "saves", "author_followers",
              "is_ugc"],
    "orders": ["user_id", "user_platform", "platform", "amount"],
}


def user_engagement(posts: pd.DataFrame) -> pd.DataFrame:
    """Per (platform, user_id) of users' own posts (not the watched accounts'): posts, UGC posts, engagement
    and engagement rate by followers."""
    posts = posts[posts["account_id"].isna() & posts["author_id"].notna()]
    eng = posts[["likes", "comments", "reposts", "saves"]].fillna(0).sum(axis=1)
    df = pd.DataFrame({"platform": posts["platform"], "user_id": posts["author_id"], "engagement": eng,
                       "ugc": posts["is_ugc"].fillna(False).astype(bool),
                       "author_followers": posts["author_followers"]})
    g = df.groupby(["platform", "user_id"], sort=False)
    return g.agg(posts=("engagement", "size"), ugc_posts=("ugc", "sum"), engagement=("engagement", "sum"),
                 author_followers=("author_followers", "max")).reset_index()


def koc_candidates(users: pd.DataFrame, posts: pd.DataFrame, orders: pd.DataFrame, cascades: StoreCascades,
                   edges: pd.DataFrame, *, tiers: Mapping[str, int] | None = None, require_customer: bool = True,
                   platform: str | None = None) -> pd.DataFrame:
    """KOC candidates with the evidence for each gate, best first (see the module docstring), from the tables'
    ``COLUMNS``, the repaired ``cascades`` and the interaction ``edges`` (platform, src, dst, weight)."""
    users = users[~users["is_staff"].fillna(False).astype(bool)]
    eng = user_engagement(posts)
    df = eng.merge(users, on=["platform", "user_id"], how="left")
    df["followers"] = df["followers"].fillna(df["author_followers"])
    df["tier"] = follower_tier(df["followers"], tiers)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["er_followers"] = np.where(df["followers"] > 0, df["engagement"] / df["posts"] / df["followers"], np.nan)
    df["peer_median_er"] = df.groupby(["platform", "tier"])["er_followers"].transform("median")
    orders = orders.copy()
    orders["user_platform"] = orders["user_platform"].fillna(orders["platform"])
    o = orders.groupby(["user_platform", "user_id"]).agg(orders=("amount", "size"), order_amount=("amount", "sum"))
    o = o.reset_index().rename(columns={"user_platform": "platform"})
    df = df.merge(o, on=["platform", "user_id"], how="left")
    df[["orders", "order_amount"]] = df[["orders", "order_amount"]].fillna(0)
    ci = cascade_influence(cascades)
    df = df.merge(ci, on=["platform", "user_id"], how="left")
    for c in ("cascades", "cascades_started", "reshares_sum", "reach_sum"):
        df[c] = df[c].fillna(0).astype(np.int64)
    gi = graph_influence(edges)[["platform", "user_id", "pagerank", "coreness"]]
    df = df.merge(gi, on=["platform", "user_id"], how="left")
    gate_tier = df["tier"].isin(KOC_TIERS)
    gate_er = df["er_followers"] > df["peer_median_er"]
    gate_customer = (df["orders"] > 0) | (df["ugc_posts"] > 0)
    keep = gate_tier & gate_er & (gate_customer if require_customer else True)
    if platform:
        keep &= df["platform"] == platform
    out = df[keep].copy()
    out["koc_score"] = out["reshares_sum"]
    out["evidence"] = [
        f"{t} tier ({int(f):,} followers); ER {er:.4f} > peer median {med:.4f}; "
        f"{int(no)} orders ({amt:,.0f}); {int(u)} UGC posts; triggered {int(r)} reshares, reach {int(rc)}"
        for t, f, er, med, no, amt, u, r, rc in zip(out["tier"], out["followers"], out["er_followers"],
                                                     out["peer_median_er"], out["orders"], out["order_amount"],
                                                     out["ugc_posts"], out["reshares_sum"], out["reach_sum"],
                                                     strict=True)
    ]
    out = out.sort_values(["koc_score", "reach_sum", "er_followers", "user_id"],
                          ascending=[False, False, False, True], kind="stable")
    cols = ["platform", "user_id", "name", "tier", "followers", "posts", "ugc_posts", "er_followers",
            "peer_median_er", "orders", "order_amount", "cascades", "reshares_sum", "reshares_median", "reach_sum",
            "reach_median", "pagerank", "coreness", "koc_score", "evidence"]
    return out[cols].reset_index(drop=True)
