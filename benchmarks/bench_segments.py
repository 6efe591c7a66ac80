"""Audience segmentation at scale (issue #17.8: segments and preference tables for 1M people / 10M interactions
within 60 s), side by side with the same steps written directly in pandas + scikit-learn.

    .venv/bin/python benchmarks/bench_segments.py [--people 1000000] [--interactions 10000000]

Builds a workspace (DuckDB) with ``--people`` people on two platforms, 50,000 posts of four formats and
``--interactions`` interactions (likes, comments, shares, saves, clicks, views; a quarter of the people with a taste
for one format), then times:

- hudong: ``analyses.segments.compute`` (the features in one DuckDB query, k-means for k = 2–8 on a fixed sample,
  silhouette on 5,000) and ``segment_preferences`` on the stored run (one join of the members with the
  interactions and posts, the empirical-Bayes table);
- the peer: the same features with pandas (interactions read into a DataFrame, ``groupby``), the same k-means and
  silhouette with scikit-learn on the same sample sizes, the same counts with ``merge`` + ``groupby``.

Both print their stage times in one table; the target is 60 s for hudong's two steps together.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hudong import analyses
from hudong.analyses import segments as seg
from hudong.metrics import testing as T
from hudong.stats import segments as S
from hudong.store.workspace import Workspace, transaction

FORMATS = ("video", "image", "article", "text")
TYPES = ("like", "comment", "share", "save", "click", "view")


def build(ws: Workspace, people: int, n: int, posts: int = 50_000) -> None:
    """People u0 … on weibo and xiaohongshu, posts of four formats over 180 days, ``n`` interactions: three in four
    on a random post, the rest (a quarter of the people have a taste) on a post of the person's format."""
    with transaction(ws.con) as con:
        con.execute(f"""
            INSERT INTO posts (platform, post_id, account_id, created_at, media_type, topics, likes, comments,
                               reposts, source_file, importer, batch_id)
            SELECT CASE WHEN i % 2 = 0 THEN 'weibo' ELSE 'xiaohongshu' END, 'p' || i, 'own',
                   TIMESTAMP '2026-01-01' + to_minutes((i * 5)::BIGINT),
                   ['video', 'image', 'article', 'text'][(i % 4) + 1], ['话题' || (i % 12)], 0, 0, 0,
                   'bench', 'bench', 'bench'
            FROM range({posts}) t(i)""")
        con.execute(f"""
            INSERT INTO interactions (platform, interaction_id, type, actor_id, target_post_id, created_at,
                                      source_file, importer, batch_id)
            SELECT CASE WHEN u % 2 = 0 THEN 'weibo' ELSE 'xiaohongshu' END, 'i' || k,
                   ['like', 'comment', 'share', 'save', 'click', 'view'][(hash(k) % 6)::BIGINT + 1], 'u' || u,
                   'p' || (CASE WHEN u % 4 = 0 AND hash(k * 7) % 10 < 7  -- a taste: the person's format
                                THEN (hash(k * 3) % {posts // 4}) * 4 + 2 * ((u // 4) % 2) + u % 2
                                ELSE (hash(k * 3) % {posts // 2}) * 2 + u % 2 END),
                   TIMESTAMP '2026-01-01' + to_minutes((hash(k * 11) % (180 * 1440))::BIGINT),
                   'bench', 'bench', 'bench'
            FROM (SELECT k, (hash(k * 13) % {people})::BIGINT AS u FROM range({n}) t(k))""")


def peer(ws: Workspace, people: int) -> dict[str, float]:
    """The same steps in pandas + scikit-learn (``people`` only sizes the report)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    out: dict[str, float] = {}
    t = time.perf_counter()
    inter = ws.con.execute("SELECT platform, actor_id, type, target_post_id, created_at FROM interactions").df()
    posts = ws.con.execute("SELECT platform, post_id, media_type FROM posts").df()
    out["read into pandas"] = time.perf_counter() - t
    t = time.perf_counter()
    df = inter.merge(posts, left_on=["platform", "target_post_id"], right_on=["platform", "post_id"], how="left")
    last = df["created_at"].max()
    df["hour"] = df["created_at"].dt.hour
    df["day"] = df["created_at"].dt.floor("D")
    g = df.groupby(["platform", "actor_id"])
    feats = pd.DataFrame({"recency_days": (last - g["created_at"].max()).dt.total_seconds() / 86400,
                          "frequency": g.size(), "active_days": g["day"].nunique()})
    for ty in TYPES:
        feats[f"share_{ty}"] = (df["type"] == ty).groupby([df["platform"], df["actor_id"]]).mean()
    engaged = df[df["type"] != "view"]
    for f in FORMATS:
        feats[f"media_{f}"] = (engaged["media_type"] == f).groupby([engaged["platform"], engaged["actor_id"]]).mean()
    feats["hour_evening"] = (df["hour"] >= 18).groupby([df["platform"], df["actor_id"]]).mean()
    feats = feats[feats["frequency"] >= 3]
    out["features (pandas groupby)"] = time.perf_counter() - t
    t = time.perf_counter()
    x = S.prepare(feats).to_numpy()
    rng = np.random.default_rng(0)
    fit = x[rng.choice(len(x), min(len(x), S.KMEANS_SAMPLE), replace=False)]
    sample = rng.choice(len(x), min(len(x), S.SILHOUETTE_SAMPLE), replace=False)
    best = None
    for k in range(2, 9):
        labels = KMeans(n_clusters=k, n_init=4, random_state=0).fit(fit).predict(x)
        score = silhouette_score(x[sample], labels[sample], random_state=0)
        best = max(best or (score, k, labels), (score, k, labels), key=lambda b: b[0])
    out["k-means k = 2–8 + silhouette (scikit-learn)"] = time.perf_counter() - t
    t = time.perf_counter()
    members = pd.DataFrame({"platform": feats.index.get_level_values(0), "actor_id": feats.index.get_level_values(1),
                            "segment": best[2]})  # fmt: skip
    counts = (engaged.merge(members, on=["platform", "actor_id"]).groupby(["segment", "media_type"]).size())
    out["preference counts (merge + groupby)"] = time.perf_counter() - t
    out["k"] = best[1]
    out["people segmented"] = len(feats)
    out["cells"] = len(counts)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1_000_000)
    ap.add_argument("--interactions", type=int, default=10_000_000)
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    d = Path(tempfile.mkdtemp(prefix="bench-segments-")) / "ws"
    t = time.perf_counter()
    ws = T.workspace(d)
    build(ws, args.people, args.interactions)
    print(f"workspace: {args.people:,} people, {args.interactions:,} interactions, 50,000 posts "
          f"(built in {time.perf_counter() - t:.0f} s)")
    times: dict[str, float] = {}
    t = time.perf_counter()
    definition, labels = seg.compute(ws, seg.SegmentParams())
    times["segments (features in DuckDB, k-means k = 2–8, silhouette)"] = time.perf_counter() - t
    t = time.perf_counter()
    run = seg.save(ws, definition, labels, by="bench")
    times["store the run"] = time.perf_counter() - t
    t = time.perf_counter()
    prefs = analyses.run(ws, "segment_preferences", run=run)
    times["preference table (join + empirical Bayes)"] = time.perf_counter() - t
    total = sum(times.values())
    print(f"\nhudong: {definition['people']:,} people in {definition['k']} segments ({definition['criterion']}); "
          f"{len(prefs.frame('preferences'))} segment × format cells")
    print(f"{'stage':<62} {'seconds':>8}")
    for k, v in times.items():
        print(f"{k:<62} {v:>8.1f}")
    print(f"{'hudong total (target 60 s)':<62} {total:>8.1f}")
    if not args.no_peer:
        p = peer(ws, args.people)
        print(f"\npeer, pandas + scikit-learn: {p.pop('people segmented'):,} people, k = {p.pop('k')}, "
              f"{p.pop('cells')} cells")
        for k, v in p.items():
            print(f"{k:<62} {v:>8.1f}")
        print(f"{'peer total':<62} {sum(p.values()):>8.1f}")
    ws.close()


if __name__ == "__main__":
    main()
