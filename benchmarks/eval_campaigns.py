"""Campaign attribution and lift, measured (issue #17.3; docs/campaigns.md).

    .venv/bin/python benchmarks/eval_campaigns.py [--seeds 10] [--journeys 200000]

1. Markov attribution of ``--journeys`` random journeys over 12 channels: hudong's exact absorbing-chain solution
   (``stats.attribution.markov``) against the ChannelAttribution package (simulation; GPL, installed for the
   tests), time and the largest difference in attributed conversions, side by side.
2. The lift's calibration on the demo shop, for ``--seeds`` seeds at full scale: in a shop where no campaign ever
   happened, how often a 95 % interval excludes 0 at three placebo windows (want ≈ 5 %); in the real shop, how
   often the planted lift of 618 and the spring festival (``demo.commerce.planted_lift``) falls inside the
   interval, how often the interval lies above 0, and the mean relative error.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from hudong.demo import commerce
from hudong.demo.draw import stage_rng
from hudong.demo.people import make_people
from hudong.stats import attribution as A
from hudong.stats import incrementality as I

WINDOWS = [(("2026-04-21", "2026-05-31"), ("2026-06-01", "2026-06-18"), "cmp-2026-618"),
           (("2026-02-15", "2026-03-19"), ("2026-03-20", "2026-04-20"), "cmp-2026-springtea"),
           (("2026-04-21", "2026-05-11"), ("2026-05-12", "2026-05-28"), None)]  # fmt: skip


def _journeys(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    channels = np.array([f"c{i:02d}" for i in range(12)])
    weight = rng.dirichlet(np.ones(12))
    pull = rng.uniform(0.01, 0.12, 12)  # each channel's own pull towards conversion
    lengths = rng.geometric(0.45, n)
    rows = []
    for k in lengths:
        path = rng.choice(12, size=k, p=weight)
        conv = rng.random() < 1 - np.prod(1 - pull[path])
        rows.append((" > ".join(channels[path]), int(conv)))
    df = pd.DataFrame(rows, columns=["path", "conv"])
    return df.groupby("path", as_index=False).agg(conversions=("conv", "sum"), total=("conv", "size")).assign(
        nulls=lambda d: d["total"] - d["conversions"])  # fmt: skip


def attribution(n: int) -> None:
    paths = _journeys(n)
    journeys = paths.assign(channels=[p.split(" > ") for p in paths["path"]])
    t = time.perf_counter()
    mine, p = A.markov(journeys)
    t_mine = time.perf_counter() - t
    print(f"Markov attribution, {n:,} journeys ({len(paths):,} distinct paths), 12 channels, P(conv) = {p:.4f}")
    print(f"  hudong (exact absorbing chain)          {t_mine:8.2f} s")
    try:
        import ChannelAttribution as ca  # noqa: N813 - the package's own name
    except ImportError:
        print("  ChannelAttribution not installed (make setup installs it): no peer figure")
        return
    t = time.perf_counter()
    out = ca.markov_model(paths, "path", "conversions", var_null="nulls", nsim_start=1e6, max_step=100, seed=0,
                          verbose=False, flg_pro=False)  # fmt: skip
    t_peer = time.perf_counter() - t
    theirs = out.set_index("channel_name")["total_conversions"]
    diff = (mine.set_index("channel")["conversions"] - theirs).abs().max()
    print(f"  ChannelAttribution 2.2.5 (simulation)   {t_peer:8.2f} s   largest difference {diff:.2f} conversions "
          f"of {paths['conversions'].sum():,}")


def _daily(shop: commerce.Orders) -> pd.Series:
    return pd.Series(1.0, index=pd.to_datetime(shop.time, unit="s")).resample("D").sum()


def lift(seeds: int) -> None:
    people = make_people(stage_rng(7, "people"), 1.0)
    placebo = covered = found = planted = 0
    errors = []
    t = time.perf_counter()
    for seed in range(7, 7 + seeds):
        calm = _daily(commerce.orders(stage_rng(seed, "orders"), people, 1.0, without=tuple(commerce.BUMPS)))
        real = commerce.orders(stage_rng(seed, "orders"), people, 1.0)
        y = _daily(real)
        for pre, post, campaign in WINDOWS:
            span = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in (pre, post)]
            r = I.impact(calm, *span)
            placebo += not (r.effect_lower < 0 < r.effect_upper)
            if campaign:
                _, added = commerce.planted_lift(real, campaign)
                r = I.impact(y, *span)
                planted += 1
                covered += r.effect_lower <= added <= r.effect_upper
                found += r.effect_lower > 0
                errors.append((r.effect - added) / added)
    n_placebo = seeds * len(WINDOWS)
    print(f"Lift on the demo shop, {seeds} seeds, full scale ({time.perf_counter() - t:.0f} s)")
    print(f"  placebo windows (no campaign) with a 95 % effect: {placebo} of {n_placebo} "
          f"({placebo / n_placebo:.0%}; nominal 5 %)")
    print(f"  planted lifts inside the 95 % interval:           {covered} of {planted}")
    print(f"  planted lifts found (interval above 0):           {found} of {planted}")
    print(f"  mean relative error of the estimate:              {np.mean(errors):+.0%} (mean absolute "
          f"{np.mean(np.abs(errors)):.0%})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--journeys", type=int, default=200_000)
    a = ap.parse_args()
    attribution(a.journeys)
    lift(a.seeds)


if __name__ == "__main__":
    main()
