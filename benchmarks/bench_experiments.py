"""Experiment analysis at scale (issue #16.8: the mSPRT/CUPED analysis of 1M units in under 2 s).

    .venv/bin/python benchmarks/bench_experiments.py [--units 1000000] [--looks 30]

One experiment with ``--units`` units split between two arms, a ratio metric (engagements per impression) and a mean
metric with a pre-period covariate: hudong reduces each arm to its moments (``Moments.of``), compares the arms
(frequentist + Bayesian, delta method for the ratio, CUPED for the mean) and computes the always-valid p-values of
``--looks`` daily looks. Peer, in the same run: GrowthBook's gbstats on the same moments (its t-test, Bayesian and
CUPED classes; it has no mSPRT), when installed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hudong.stats import experiments as X


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=1_000_000)
    ap.add_argument("--looks", type=int, default=30)
    args = ap.parse_args()
    rng = np.random.default_rng(8)
    n = args.units // 2
    arms = []
    for lift in (0.0, 0.02):
        impressions = rng.integers(50, 2000, n).astype(float)
        engagements = rng.binomial(impressions.astype(int), 0.03 * (1 + lift)).astype(float)
        pre = rng.gamma(2.0, 3.0, n)
        value = 0.6 * pre + rng.normal(5 * (1 + lift), 2.0, n)
        day = rng.integers(0, args.looks, n)
        arms.append((impressions, engagements, pre, value, day))

    t0 = time.perf_counter()
    ratio = [X.Moments.of(e, denominator=i) for i, e, *_ in arms]
    mean = [X.Moments.of(v, pre=p) for _, _, p, v, _ in arms]
    t1 = time.perf_counter()
    r = X.compare(*ratio, kind="ratio")
    m = X.compare(*mean, cuped=True)
    t2 = time.perf_counter()
    # the looks: cumulative means per arm by day, then the always-valid p-values
    sums = [np.bincount(a[4], weights=a[3], minlength=args.looks).cumsum() for a in arms]
    counts = [np.bincount(a[4], minlength=args.looks).cumsum() for a in arms]
    nn = np.minimum(counts[0], counts[1])
    diffs = sums[1] / counts[1] - sums[0] / counts[0]
    p = X.msprt_pvalues(diffs, nn, sigma2=float(np.var(arms[0][3])), tau2=0.01)
    t3 = time.perf_counter()
    print(f"units: {args.units:,} in two arms; looks: {args.looks}")
    print(f"hudong  moments {t1 - t0:.3f} s · compare (ratio + CUPED mean) {(t2 - t1) * 1000:.2f} ms · "
          f"mSPRT over {args.looks} looks {(t3 - t2) * 1000:.1f} ms · total {t3 - t0:.3f} s")
    print(f"        ratio lift {r.effect:+.4f} [{r.ci[0]:+.4f}, {r.ci[1]:+.4f}] p={r.p_value:.2g}; "
          f"CUPED mean lift {m.effect:+.4f} p={m.p_value:.2g} (θ={m.theta:.3f}); first look with p ≤ 0.05: "
          f"{int(np.argmax(p <= 0.05)) + 1 if (p <= 0.05).any() else 'none'}")
    try:
        from gbstats.frequentist.tests import FrequentistConfig, TwoSidedTTest
        from gbstats.models.statistics import RegressionAdjustedStatistic, SampleMeanStatistic, compute_theta
    except ImportError:
        print("peer    gbstats not installed (pip install --no-deps gbstats==0.8.0)")
        return
    t4 = time.perf_counter()

    def stat(mm: X.Moments, theta: float) -> RegressionAdjustedStatistic:
        return RegressionAdjustedStatistic(n=mm.n, post_statistic=SampleMeanStatistic(n=mm.n, sum=mm.y, sum_squares=mm.y2),
                                           pre_statistic=SampleMeanStatistic(n=mm.n, sum=mm.z, sum_squares=mm.z2),
                                           post_pre_sum_of_products=mm.yz, theta=theta)

    theta = compute_theta(stat(mean[0], 0), stat(mean[1], 0))
    g = TwoSidedTTest(stat(mean[0], theta), stat(mean[1], theta), FrequentistConfig()).compute_result()
    t5 = time.perf_counter()
    print(f"peer    gbstats CUPED t-test on the same moments {(t5 - t4) * 1000:.2f} ms: lift {g.expected:+.4f} "
          f"p={g.p_value:.2g} (hudong − gbstats: {m.effect - g.expected:+.1e})")


if __name__ == "__main__":
    main()
