"""How early and how often hudong's burst detectors agree with what became a Weibo hot search.

    python benchmarks/eval_bursts.py [--days N] [--min-titles 3]

Data: the shared Weibo hot-search archive (hourly snapshots of the ~50-entry list, June–July 2024; ads dropped).
Terms = ``hudong.text.keywords.doc_terms`` of the titles (jieba words ≥ 2 characters, stop words out), kept when
they occur in ≥ ``--min-titles`` distinct titles. Series per term: r_t = list entries in snapshot t whose title
contains the term, d_t = entries in snapshot t (snapshots are the batches; missing hours are simply absent).

Ground truth ("became a hot search"): a term's **event** is the first snapshot in which a title containing it is
in the top 10, after ≥ 48 h without one (a new episode; none in the archive's first 48 h). Detectors fire on the term's series:
- ``kleinberg-online`` — two-state Kleinberg (s = 2, γ = 1), state at t from the forward pass only (causal);
- ``kleinberg-online-γ0.3`` — the same with a cheaper move into the burst state (γ = 0.3);
- ``kleinberg-offline`` — s = 2, γ = 1 with Viterbi backtracking over the whole series (retrospective);
- ``rising-z`` — ``hudong.text.bursts.rising``'s score as a detector: trailing 24-snapshot baseline,
  z = (x − μ)/√(σ² + μ + 1) ≥ 2 and x ≥ 2 (causal; the hourly counts are 0–3, so z ≥ 4 would need x ≥ 4);
- ``pelt`` — ruptures PELT upward change points (retrospective), fire at the new segment's start;
- ``on-list`` (peer baseline) — fire whenever a title containing the term is on the list at any rank: what
  watching the list itself gives.
A firing episode starts at a snapshot where the detector turns on. An event is **hit** when an episode starts
in [event − 24 h, event + 6 h]; lead = event − that start (hours, > 0 = before the top-10 entry). A **false
alarm** is an episode start with no event in [start − 6 h, start + 24 h].
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = REPO.parent / "shared" / "data" / "weibo_hot_search_hourly" / "weibo_hot_search_2024-06_to_2024-07.csv.gz"
BEFORE, AFTER, QUIET = 24.0, 6.0, 48.0


def load(path: Path = ARCHIVE, days: int | None = None) -> pd.DataFrame:
    df = pd.read_csv(path, usecols=["snapshot_hour", "rank", "title", "ads"])
    df = df[df["ads"] == 0].copy()
    df["hour"] = pd.to_datetime(df["snapshot_hour"], format="%Y-%m-%dT%H")
    if days:
        df = df[df["hour"] < df["hour"].min() + pd.Timedelta(days=days)]
    return df


def series(df: pd.DataFrame, min_titles: int = 3) -> tuple[pd.DatetimeIndex, list[str], np.ndarray, np.ndarray,
                                                          np.ndarray]:  # fmt: skip
    """Snapshot index, terms, r (terms × T), d (T), top10 (terms × T bool)."""
    from hudong.text.keywords import doc_terms

    titles = df["title"].unique()
    terms_of = {t: [w for w in doc_terms(t) if not w.startswith("#")] for t in titles}
    long = pd.DataFrame([(t, w) for t, ws in terms_of.items() for w in ws], columns=["title", "term"])
    n_titles = long.groupby("term").size()
    keep = n_titles[n_titles >= min_titles].index
    long = long[long["term"].isin(keep)]
    hours = pd.DatetimeIndex(sorted(df["hour"].unique()))
    pos = pd.Series(np.arange(len(hours)), index=hours)
    rows = df.merge(long, on="title")
    terms = sorted(keep)
    tid = pd.Series(np.arange(len(terms)), index=terms)
    r = np.zeros((len(terms), len(hours)))
    top = np.zeros((len(terms), len(hours)), bool)
    ti, hi = tid[rows["term"]].to_numpy(), pos[rows["hour"]].to_numpy()
    np.add.at(r, (ti, hi), 1)
    sel = rows["rank"].to_numpy() <= 10
    top[ti[sel], hi[sel]] = True
    d = df.groupby("hour").size().reindex(hours).to_numpy(float)
    return hours, terms, r, d, top


def events(hours: pd.DatetimeIndex, top: np.ndarray) -> list[tuple[int, int]]:
    """(term, snapshot) of each top-10 entry after ≥ QUIET hours without one."""
    h = hours.to_numpy().astype("datetime64[s]").astype(np.int64) / 3600.0
    out = []
    for k in range(top.shape[0]):
        last = -np.inf
        for t in np.flatnonzero(top[k]):
            if h[t] - last >= QUIET and h[t] - h[0] >= QUIET:  # the first 48 h cannot tell new from ongoing
                out.append((k, int(t)))
            last = h[t]
    return out


def detectors(r: np.ndarray, d: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean 'on' matrices (terms × T) per detector."""
    from hudong.text.bursts import change_points, kleinberg

    on: dict[str, np.ndarray] = {}
    on["kleinberg-online"] = kleinberg(r, d, s=2, gamma=1, online=True).states > 0
    on["kleinberg-online-γ0.3"] = kleinberg(r, d, s=2, gamma=0.3, online=True).states > 0
    on["kleinberg-offline"] = kleinberg(r, d, s=2, gamma=1).states > 0
    w = 24
    c = np.concatenate([np.zeros((r.shape[0], 1)), np.cumsum(r, 1)], 1)
    c2 = np.concatenate([np.zeros((r.shape[0], 1)), np.cumsum(r * r, 1)], 1)
    t = np.arange(r.shape[1])
    lo = np.maximum(t - w, 0)
    m = np.maximum(t - lo, 1)
    mu = (c[:, t] - c[:, lo]) / m
    var = np.maximum((c2[:, t] - c2[:, lo]) / m - mu**2, 0)
    on["rising-z"] = ((r - mu) / np.sqrt(var + mu + 1) >= 2) & (r >= 2) & (t >= 6)
    pelt = np.zeros_like(r, bool)
    for k in range(r.shape[0]):
        prev = 0
        for b in [*change_points(r[k]), r.shape[1]]:
            seg, before = r[k, prev:b], r[k, max(0, prev - 24) : prev]
            if prev > 0 and seg.mean() > before.mean() + 0.5:
                pelt[k, prev:b] = True
            prev = b
    on["pelt"] = pelt
    on["on-list"] = r > 0
    return on


def score(name: str, on: np.ndarray, hours: pd.DatetimeIndex, evs: list[tuple[int, int]]) -> dict[str, object]:
    h = hours.to_numpy().astype("datetime64[s]").astype(np.int64) / 3600.0
    starts = on & ~np.concatenate([np.zeros((on.shape[0], 1), bool), on[:, :-1]], 1)
    by_term: dict[int, np.ndarray] = {k: h[np.flatnonzero(starts[k])] for k in range(on.shape[0])}
    ev_by_term: dict[int, list[float]] = {}
    for k, t in evs:
        ev_by_term.setdefault(k, []).append(h[t])
    leads, hits = [], 0
    for k, t in evs:
        s = by_term[k]
        inside = s[(s >= h[t] - BEFORE) & (s <= h[t] + AFTER)]
        if len(inside):
            hits += 1
            leads.append(h[t] - inside.min())
    n_starts = int(starts.sum())
    false = 0
    for k, s in by_term.items():
        e = np.asarray(ev_by_term.get(k, []))
        for x in s:
            if not len(e) or not np.any((e >= x - AFTER) & (e <= x + BEFORE)):
                false += 1
    leads_a = np.asarray(leads)
    return {"detector": name, "events": len(evs), "hit_rate": hits / max(len(evs), 1),
            "early_share": float((leads_a > 0).mean()) if len(leads) else float("nan"),
            "median_lead_h": float(np.median(leads_a)) if len(leads) else float("nan"),
            "p75_lead_h": float(np.percentile(leads_a, 75)) if len(leads) else float("nan"),
            "episodes": n_starts, "false_alarms": false,
            "precision": (n_starts - false) / n_starts if n_starts else float("nan")}  # fmt: skip


def evaluate(df: pd.DataFrame, min_titles: int = 3) -> tuple[pd.DataFrame, int]:
    hours, terms, r, d, top = series(df, min_titles)
    evs = events(hours, top)
    return pd.DataFrame([score(n, on, hours, evs) for n, on in detectors(r, d).items()]), len(terms)


COVID = REPO.parent / "shared" / "data" / "covid19_weibo_emotion" / "unlabeled_daily_sample.csv.gz"


def daily_stream(per_day: int = 300, top: int = 15) -> pd.DataFrame | None:
    """(b) The daily Weibo stream: Kleinberg bursts of hashtags on the COVID-19 daily Weibo sample (2020).

    It does not overlap the hot-search archive (2024), so there is no ground truth to score against; this
    shows what the detector finds on a real daily stream (first ``per_day`` posts of each day, file order).
    """
    from hudong.text.bursts import detect_bursts, term_series

    if not COVID.exists():
        return None
    df = pd.read_csv(COVID, usecols=["date", "text"])
    df = df.groupby("date", sort=True).head(per_day).rename(columns={"date": "created_at"})
    wide, totals = term_series(df, "D", hashtags_only=True, min_docs=5)
    return detect_bursts(wide, totals).head(top)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=None, help="Only the first N days.")
    ap.add_argument("--min-titles", type=int, default=3)
    args = ap.parse_args(argv)
    if not ARCHIVE.exists():
        print(f"archive not found: {ARCHIVE}", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    df = load(days=args.days)
    table, n_terms = evaluate(df, args.min_titles)
    print(f"{df['hour'].nunique()} snapshots {df['hour'].min()} … {df['hour'].max()}, {len(df):,} entries, "
          f"{df['title'].nunique():,} titles, {n_terms:,} terms; {time.perf_counter() - t0:.1f} s")  # fmt: skip
    print("| " + " | ".join(table.columns) + " |\n|" + "---|" * len(table.columns))
    for row in table.itertuples(index=False):
        print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    b = daily_stream()
    if b is not None:
        print("\n(b) daily Weibo stream (COVID-19 sample, 2020; no overlap with the 2024 archive): top hashtag bursts")
        print(b.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
