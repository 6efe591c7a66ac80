"""The experiment statistics (hudong.stats.experiments, issue #16.4): the reference fixtures of metrics-reference §8,
agreement with GrowthBook's open stats engine (gbstats) to 1e-6 on random data, the sequential test's error rate
under daily peeking (2,000 simulated experiments), CUPED's variance reduction, corrections and power."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from hudong.stats import experiments as X


# ---- metrics-reference §8 fixtures --------------------------------------------------------------------------------
def test_two_proportion_z_and_beta_binomial_fixtures():
    z, p = X.two_proportion_z(200, 10_000, 250, 10_000)
    assert round(z, 3) == 2.384 and round(p, 4) == 0.0171
    assert round(X.prob_b_beats_a(200, 10_000, 250, 10_000), 5) == 0.99142


def test_power_and_minimal_detectable_effect_are_inverse():
    n = X.units_per_arm(0.1, 1.0)
    assert n == math.ceil(2 * (1.959964 + 0.841621) ** 2 / 0.01) == 1570
    assert X.minimal_detectable_effect(n, 1.0) == pytest.approx(0.1, rel=1e-3)
    with pytest.raises(ValueError):
        X.units_per_arm(0, 1.0)


def test_corrections_match_their_definitions():
    p = [0.01, 0.04, 0.03, 0.005]
    assert X.holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert X.benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])


# ---- agreement with gbstats -------------------------------------------------------------------------------------
gb_stats = pytest.importorskip("gbstats.models.statistics", reason="the peer engine: pip install --no-deps gbstats")
gb_freq = pytest.importorskip("gbstats.frequentist.tests")
gb_bayes = pytest.importorskip("gbstats.bayesian.tests")
gb_utils = pytest.importorskip("gbstats.utils")


def _gb_mean(m: X.Moments):
    return gb_stats.SampleMeanStatistic(n=m.n, sum=m.y, sum_squares=m.y2)


def _gb(m: X.Moments, kind: str, theta: float | None = None):
    if kind == "proportion":
        return gb_stats.ProportionStatistic(n=m.n, sum=m.y)
    if kind == "ratio":
        return gb_stats.RatioStatistic(n=m.n, m_statistic=_gb_mean(m), m_d_sum_of_products=m.xy,
                                       d_statistic=gb_stats.SampleMeanStatistic(n=m.n, sum=m.x, sum_squares=m.x2))
    if theta is not None:
        return gb_stats.RegressionAdjustedStatistic(
            n=m.n, post_statistic=_gb_mean(m), pre_statistic=gb_stats.SampleMeanStatistic(n=m.n, sum=m.z, sum_squares=m.z2),
            post_pre_sum_of_products=m.yz, theta=theta)
    return _gb_mean(m)


def _arms(rng: np.random.Generator, kind: str) -> tuple[X.Moments, X.Moments]:
    out = []
    for lift in (0.0, rng.uniform(-0.1, 0.2)):
        n = int(rng.integers(50, 5000))
        pre = rng.gamma(2.0, 3.0, n)
        if kind == "proportion":
            y = (rng.random(n) < 0.05 * (1 + lift)).astype(float)
            out.append(X.Moments.of(y))
        elif kind == "ratio":
            impressions = rng.integers(50, 2000, n).astype(float)
            engagements = rng.binomial(impressions.astype(int), 0.03 * (1 + lift)).astype(float)
            out.append(X.Moments.of(engagements, denominator=impressions))
        else:
            y = 0.6 * pre + rng.normal(5 * (1 + lift), 2.0, n)
            out.append(X.Moments.of(y, pre=pre))
    return out[0], out[1]


@pytest.mark.parametrize("kind,cuped", [("mean", False), ("mean", True), ("proportion", False), ("ratio", False)])
@pytest.mark.parametrize("relative", [True, False])
def test_frequentist_and_bayesian_results_equal_gbstats(kind, cuped, relative):
    rng = np.random.default_rng(zlib.crc32(f"{kind}-{cuped}-{relative}".encode()))
    compared = 0
    for _ in range(25):
        a, b = _arms(rng, kind)
        ours = X.compare(a, b, kind=kind, relative=relative, cuped=cuped)
        sa, sb = _gb(a, kind, 0.0 if cuped else None), _gb(b, kind, 0.0 if cuped else None)
        if cuped:
            theta = gb_stats.compute_theta(sa, sb)
            assert ours.theta == pytest.approx(theta, abs=1e-9)
            sa, sb = _gb(a, kind, theta), _gb(b, kind, theta)
        diff = "relative" if relative else "absolute"
        f = gb_freq.TwoSidedTTest(sa, sb, gb_freq.FrequentistConfig(difference_type=diff)).compute_result()
        if ours.error:  # e.g. no conversion at all in control: both engines decline to compare
            assert f.error_message and ours.p_value == f.p_value == 1
            continue
        compared += 1
        assert ours.effect == pytest.approx(f.expected, abs=1e-6)
        assert ours.p_value == pytest.approx(f.p_value, abs=1e-6)
        assert list(ours.ci) == pytest.approx(f.ci, abs=1e-6)
        bay = gb_bayes.EffectBayesianABTest(sa, sb, gb_bayes.EffectBayesianConfig(difference_type=diff)).compute_result()
        assert ours.chance_to_win == pytest.approx(bay.chance_to_win, abs=1e-6)
        assert list(ours.credible) == pytest.approx(bay.ci, abs=1e-6)
        assert [ours.risk_control, ours.risk_treatment] == pytest.approx(bay.risk, abs=1e-6)
    assert compared >= 20


def test_sample_ratio_mismatch_equals_gbstats():
    for counts, weights in (([5000, 5100], [0.5, 0.5]), ([5000, 5400], [0.5, 0.5]), ([3000, 3100, 2900], [1, 1, 1]),
                            ([8000, 2100], [0.8, 0.2])):
        assert X.srm_pvalue(counts, weights) == pytest.approx(gb_utils.check_srm(counts, weights), abs=1e-9)
    assert X.srm_pvalue([5000, 5400], [0.5, 0.5]) < 0.001  # a broken split is caught


# ---- sequential testing under daily peeking ------------------------------------------------------------------------
def test_msprt_keeps_the_false_positive_rate_under_daily_peeking_while_naive_tests_do_not():
    rng = np.random.default_rng(16)
    experiments, days, per_day, alpha = 2000, 30, 40, 0.05
    c = rng.normal(0, 1, (experiments, days, per_day)).sum(axis=2).cumsum(axis=1)  # no true effect
    t = rng.normal(0, 1, (experiments, days, per_day)).sum(axis=2).cumsum(axis=1)
    n = per_day * np.arange(1, days + 1)
    diff = (t - c) / n
    p = X.msprt_pvalues(diff, n, sigma2=1.0, tau2=0.01)
    msprt_fpr = float((p.min(axis=1) <= alpha).mean())
    z = diff / np.sqrt(2 / n)
    naive_fpr = float((2 * (1 - _phi(np.abs(z))) <= alpha).any(axis=1).mean())
    assert msprt_fpr <= alpha, msprt_fpr
    assert naive_fpr > 2 * alpha, naive_fpr  # peeking daily with a fixed-horizon test: far above 5 %
    # and with a real effect the sequential test does stop
    t2 = rng.normal(0.2, 1, (200, days, per_day)).sum(axis=2).cumsum(axis=1)
    power = (X.msprt_pvalues((t2 - c[:200]) / n, n, 1.0, 0.01).min(axis=1) <= alpha).mean()
    assert power > 0.8


def _phi(x: np.ndarray) -> np.ndarray:
    from scipy.stats import norm

    return norm.cdf(x)


def test_cuped_reduces_the_variance_by_the_squared_correlation():
    rng = np.random.default_rng(5)
    pre = rng.normal(10, 3, 20_000)
    y = 0.8 * pre + rng.normal(0, 2, 20_000)
    a, b = X.Moments.of(y[:10_000], pre=pre[:10_000]), X.Moments.of(y[10_000:] + 0.1, pre=pre[10_000:])
    plain, adjusted = X.compare(a, b, relative=False), X.compare(a, b, relative=False, cuped=True)
    rho2 = np.corrcoef(pre, y)[0, 1] ** 2
    assert (adjusted.se / plain.se) ** 2 == pytest.approx(1 - rho2, abs=0.01)
    assert adjusted.ci[0] < 0.1 < adjusted.ci[1] and adjusted.ci[1] - adjusted.ci[0] < plain.ci[1] - plain.ci[0]


def test_degenerate_inputs_say_why():
    zero = X.Moments.of([0.0, 0.0, 0.0])
    some = X.Moments.of([1.0, 2.0, 3.0])
    assert "control mean is 0" in X.compare(zero, some).error
    assert "fewer than two units" in X.compare(X.Moments.of([1.0]), some).error
    assert X.compare(zero, some).p_value == 1.0
