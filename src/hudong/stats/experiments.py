"""Statistics of experiments on organic content (issue #16.4): comparisons of a treatment arm with control from each
arm's sufficient statistics, so that a million units cost a few sums.

One arm of one metric is ``Moments``: the number of units n and the sums of the unit values y (and y²), of a
denominator x for ratio metrics (engagements per impression: y = a post's engagements, x = its impressions; Σx, Σx²,
Σxy), and of a pre-period covariate z for CUPED (Σz, Σz², Σyz).

- **Means and proportions**: the sample mean; variance (Σy² − (Σy)²/n)/(n − 1), or p(1 − p) for a proportion.
- **Ratio metrics** (delta method; Deng, Knoblich, Lu, "Applying the Delta Method in Metric Analytics", KDD 2018):
  R = Σy/Σx, Var ≈ (s²_y/x̄² − 2 s_yx ȳ/x̄³ + ȳ² s²_x/x̄⁴) per unit.
- **CUPED** (Deng, Xu, Kohavi, Walker, WSDM 2013): y′ = y − θ(z − z̄), θ = cov(y, z)/var(z) pooled over both arms;
  Var(y′) = s²_y + θ² s²_z − 2θ s_yz. The relative lift is taken against the unadjusted control mean.
- **Frequentist**: Welch's t on the difference (absolute) or on the relative lift (Δ/μ_c, delta method:
  Var = s²_t/(μ_c² n_t) + s²_c μ_t²/(μ_c⁴ n_c)), Welch–Satterthwaite degrees of freedom, two-sided p and interval.
- **Bayesian** (flat prior on the effect, normal likelihood): chance to beat control P(Δ > 0), the credible
  interval, and the expected loss of shipping either arm (risk): E[max(0, Δ)] for keeping control, E[max(0, −Δ)]
  for shipping the treatment.
- **Always-valid sequential p-values** (mSPRT; Johari, Koomen, Pekelis, Walsh, KDD 2017): for normal data with
  V = 2σ² and mixing N(θ₀, τ²), Λ_n = √(V/(V + nτ²)) exp(n²τ²(Δ̄_n − θ₀)²/(2V(V + nτ²))), p_n = min(p_{n−1}, 1/Λ_n):
  an operator may look every day and stop when p ≤ α without inflating false positives.
- **Sample-ratio mismatch**: Pearson's χ² of the observed unit counts against the planned split.
- **Multiple comparisons**: Holm's step-down (family-wise) and Benjamini–Hochberg (false discovery rate).
- **Power**: units per arm to detect an absolute effect δ with two-sided α and power 1 − β:
  n = 2 (z₁₋α/₂ + z₁₋β)² σ² / δ².

The frequentist, Bayesian, CUPED and SRM results agree with GrowthBook's open stats engine (``gbstats``) to 1e-6
(tests/test_experiment_stats.py); definitions and fixtures: ../shared/reference/metrics-reference.md §8.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special, stats

Kind = Literal["mean", "proportion", "ratio"]


@dataclass(frozen=True)
class Moments:
    """Sufficient statistics of one arm (see the module doc)."""

    n: int
    y: float
    y2: float = 0.0
    x: float | None = None  # ratio metrics: the denominators
    x2: float | None = None
    xy: float | None = None
    z: float | None = None  # CUPED: the pre-period covariate
    z2: float | None = None
    yz: float | None = None

    @classmethod
    def of(cls, y: Sequence[float] | np.ndarray, *, denominator: Sequence[float] | np.ndarray | None = None,
           pre: Sequence[float] | np.ndarray | None = None) -> Moments:  # fmt: skip
        """The moments of unit values ``y`` (with their denominators, and/or pre-period values)."""
        y = np.asarray(y, dtype=float)
        out = {"n": len(y), "y": float(y.sum()), "y2": float((y * y).sum())}
        if denominator is not None:
            x = np.asarray(denominator, dtype=float)
            out |= {"x": float(x.sum()), "x2": float((x * x).sum()), "xy": float((x * y).sum())}
        if pre is not None:
            z = np.asarray(pre, dtype=float)
            out |= {"z": float(z.sum()), "z2": float((z * z).sum()), "yz": float((y * z).sum())}
        return cls(**out)

    def __add__(self, other: Moments) -> Moments:
        def s(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else a + b

        return Moments(self.n + other.n, self.y + other.y, self.y2 + other.y2, s(self.x, other.x), s(self.x2, other.x2),
                       s(self.xy, other.xy), s(self.z, other.z), s(self.z2, other.z2), s(self.yz, other.yz))


def _var(n: int, total: float, squares: float) -> float:
    return (squares - total * total / n) / (n - 1) if n > 1 else 0.0


def _cov(n: int, a: float, b: float, products: float) -> float:
    return (products - a * b / n) / (n - 1) if n > 1 else 0.0


@dataclass(frozen=True)
class ArmEstimate:
    mean: float  # the (adjusted) mean or ratio
    unadjusted: float  # the mean before CUPED
    variance: float  # per unit
    n: int


def estimate(m: Moments, kind: Kind = "mean", theta: float | None = None) -> ArmEstimate:
    """One arm's mean (ratio, proportion) and its per-unit variance; ``theta``: the CUPED coefficient."""
    n = m.n
    if n == 0:
        return ArmEstimate(0.0, 0.0, 0.0, 0)
    if kind == "ratio":
        if m.x is None or m.x2 is None or m.xy is None:
            raise ValueError("a ratio metric needs the denominators' moments (x, x2, xy)")
        ybar, xbar = m.y / n, m.x / n
        if xbar == 0:
            return ArmEstimate(0.0, 0.0, 0.0, n)
        vy, vx, c = _var(n, m.y, m.y2), _var(n, m.x, m.x2), _cov(n, m.y, m.x, m.xy)
        var = vy / xbar**2 - 2 * c * ybar / xbar**3 + ybar**2 * vx / xbar**4 if n > 1 else 0.0
        return ArmEstimate(m.y / m.x, m.y / m.x, var, n)
    mean = m.y / n
    var = mean * (1 - mean) if kind == "proportion" else _var(n, m.y, m.y2)
    if theta is None:
        return ArmEstimate(mean, mean, var, n)
    if m.z is None or m.z2 is None or m.yz is None:
        raise ValueError("CUPED needs the pre-period moments (z, z2, yz)")
    vz, c = _var(n, m.z, m.z2), _cov(n, m.y, m.z, m.yz)
    return ArmEstimate(mean - theta * m.z / n, mean, var + theta**2 * vz - 2 * theta * c, n)


def cuped_theta(control: Moments, treatment: Moments, kind: Kind = "mean") -> float:
    """θ = cov(y, z)/var(z) over both arms pooled (0 when either variance is 0)."""
    m = control + treatment
    if m.z is None or m.z2 is None or m.yz is None:
        raise ValueError("CUPED needs the pre-period moments (z, z2, yz)")
    vz = _var(m.n, m.z, m.z2)
    ybar = m.y / m.n if m.n else 0.0
    vy = ybar * (1 - ybar) if kind == "proportion" else _var(m.n, m.y, m.y2)
    if vz == 0 or vy == 0:
        return 0.0
    return _cov(m.n, m.y, m.z, m.yz) / vz


@dataclass(frozen=True)
class Comparison:
    """Treatment against control on one metric. ``effect``: relative lift (Δ/μ_c) or absolute difference."""

    control: ArmEstimate
    treatment: ArmEstimate
    relative: bool
    effect: float
    se: float
    dof: float
    p_value: float
    ci: tuple[float, float]
    chance_to_win: float  # P(effect > 0) under a flat prior
    credible: tuple[float, float]
    risk_control: float  # expected loss of keeping control: E[max(0, effect)]
    risk_treatment: float  # expected loss of shipping the treatment: E[max(0, −effect)]
    theta: float | None = None  # CUPED coefficient, when adjusted
    error: str = ""  # why there is no result (zero baseline, no variance, empty arm)


def compare(control: Moments, treatment: Moments, *, kind: Kind = "mean", relative: bool = True,
            alpha: float = 0.05, cuped: bool = False) -> Comparison:  # fmt: skip
    """Frequentist and Bayesian comparison of two arms (see the module doc)."""
    theta = cuped_theta(control, treatment, kind) if cuped else None
    a, b = estimate(control, kind, theta), estimate(treatment, kind, theta)
    error = ""
    if a.n < 2 or b.n < 2:
        error = "an arm has fewer than two units"
    elif relative and (a.mean == 0 or a.unadjusted == 0):
        error = "the control mean is 0: no relative lift"
    elif a.variance <= 0 or b.variance <= 0:
        error = "an arm has no variance"
    if error:
        nan = float("nan")
        return Comparison(a, b, relative, nan, nan, nan, 1.0, (nan, nan), 0.5, (nan, nan), 0.0, 0.0, theta, error)
    diff = b.mean - a.mean
    if relative:
        effect = diff / a.unadjusted
        var = b.variance / (a.unadjusted**2 * b.n) + a.variance * b.unadjusted**2 / (a.unadjusted**4 * a.n)
    else:
        effect, var = diff, b.variance / b.n + a.variance / a.n
    se = math.sqrt(var)
    va, vb = a.variance / a.n, b.variance / b.n
    dof = (va + vb) ** 2 / (vb**2 / (b.n - 1) + va**2 / (a.n - 1))
    t = effect / se
    p = float(2 * stats.t.sf(abs(t), dof))
    half = float(stats.t.ppf(1 - alpha / 2, dof)) * se
    zq = float(stats.norm.ppf(1 - alpha / 2))
    ratio = effect / se
    pdf, cdf = float(stats.norm.pdf(ratio)), float(stats.norm.cdf(ratio))
    return Comparison(
        a, b, relative, effect, se, dof, p, (effect - half, effect + half), cdf, (effect - zq * se, effect + zq * se),
        effect * cdf + se * pdf, se * pdf - effect * (1 - cdf), theta)


# ---- fixtures of metrics-reference §8 ---------------------------------------------------------------------------
def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """(z, two-sided p) of the pooled two-proportion z-test."""
    p = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    return z, float(2 * stats.norm.sf(abs(z)))


def prob_b_beats_a(successes_a: int, n_a: int, successes_b: int, n_b: int) -> float:
    """P(p_B > p_A) with Beta(1 + successes, 1 + failures) posteriors, exactly (Evan Miller's sum)."""
    aa, ba = 1 + successes_a, 1 + n_a - successes_a
    ab, bb = 1 + successes_b, 1 + n_b - successes_b
    i = np.arange(ab)
    terms = (special.betaln(aa + i, ba + bb) - np.log(bb + i) - special.betaln(1 + i, bb) - special.betaln(aa, ba))
    return float(np.exp(special.logsumexp(terms)))


# ---- sequential testing -----------------------------------------------------------------------------------------
def msprt_pvalues(diffs: np.ndarray, n: np.ndarray, sigma2: float | np.ndarray, tau2: float, theta0: float = 0.0
                  ) -> np.ndarray:  # fmt: skip
    """Always-valid p-values after each look: ``diffs[k]`` = Ȳ_n − X̄_n (treatment − control means) and ``n[k]`` the
    units per arm at look k; ``sigma2`` the per-unit variance (known, or estimated up to the look); mixing
    N(``theta0``, ``tau2``). Works along the last axis (many experiments at once)."""
    v = 2 * np.asarray(sigma2, dtype=float)
    n = np.asarray(n, dtype=float)
    d = np.asarray(diffs, dtype=float) - theta0
    log_lambda = 0.5 * np.log(v / (v + n * tau2)) + n**2 * tau2 * d**2 / (2 * v * (v + n * tau2))
    p = np.minimum(1.0, np.exp(-log_lambda))
    return np.minimum.accumulate(p, axis=-1)


# ---- checks and corrections --------------------------------------------------------------------------------------
def srm_pvalue(counts: Sequence[int], weights: Sequence[float]) -> float:
    """Pearson χ² p-value of the observed unit counts against the planned split (small: the split is broken)."""
    total, wsum = sum(counts), sum(weights)
    if total == 0:
        return 1.0
    chi2 = sum((o - w / wsum * total) ** 2 / (w / wsum * total) for o, w in zip(counts, weights, strict=True) if w > 0)
    return float(stats.chi2.sf(chi2, len(counts) - 1))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (family-wise error rate)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    m = len(p)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out.tolist()


def benjamini_hochberg(pvalues: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (false discovery rate)."""
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out.tolist()


def units_per_arm(mde: float, variance: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Units per arm to detect an absolute effect ``mde`` on a metric with per-unit ``variance`` (two-sided)."""
    if mde <= 0 or variance <= 0:
        raise ValueError("the minimal detectable effect and the variance must be positive")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return math.ceil(2 * z * z * variance / (mde * mde))


def minimal_detectable_effect(n_per_arm: int, variance: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest absolute effect ``n_per_arm`` units per arm detect with the given power."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(z * math.sqrt(2 * variance / n_per_arm))
