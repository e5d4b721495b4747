"""The statistical contract of the claims dashboard: estimates with small-sample intervals,
and one verdict rule per kind of claim.

An ``Estimate`` carries its standard error and degrees of freedom, so every interval uses
Student's t (df = inf, the normal quantile, only where a reference is known exactly).
Differences of estimates add their variances (Welch-Satterthwaite degrees of freedom), so a
reference quantity's own error always enters the row.

Kinds of claims and their verdicts:

- difference: "the quantity lies beyond a threshold" (one-sided, or two-sided about 0):
  supported when the 95% interval lies beyond it, contradicted when the interval lies on the
  other side (two-sided: inside the declared negligible band), otherwise inconclusive;
- equivalence: "A = B" (two one-sided tests): the 90% interval of A - B must lie inside
  (-delta, delta), with delta declared relative to the separation of the competing
  hypotheses, and the rival hypothesis must be rejected; contradicted when the interval lies
  outside (-delta, delta); underpowered when it is wider than 2 delta;
- rate: a fitted exponent against the theory's value, as an equivalence with the declared
  tolerance as margin and no rival;
- all-cases: "it holds in every one of n cases": the fraction with its Clopper-Pearson 95%
  interval against a declared level (``every_case``): a claim needs every case to pass and the
  lower bound at the level; a control is contradicted only when the upper bound lies below it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .verdicts import CONTRADICTED, INCONCLUSIVE, SUPPORTED, UNDERPOWERED

DIFFERENCE_LEVEL, EQUIVALENCE_LEVEL = 0.95, 0.90


@dataclass(frozen=True)
class Estimate:
    """A statistic with its standard error and degrees of freedom (inf: normal)."""

    value: float
    se: float
    df: float
    n: int = 0

    def quantile(self, level: float) -> float:
        q = 0.5 + level / 2
        return float(stats.norm.ppf(q) if math.isinf(self.df) else stats.t.ppf(q, self.df))

    def half_width(self, level: float) -> float:
        return self.quantile(level) * self.se

    def interval(self, level: float) -> tuple[float, float]:
        h = self.half_width(level)
        return self.value - h, self.value + h

    def __sub__(self, other: Estimate) -> Estimate:
        """The difference of two independent estimates: variances add, Welch-Satterthwaite df."""
        variance = self.se**2 + other.se**2
        parts = [s**4 / df for s, df in ((self.se, self.df), (other.se, other.df)) if s > 0 and not math.isinf(df)]
        df = variance**2 / sum(parts) if parts and variance > 0 else math.inf
        return Estimate(self.value - other.value, math.sqrt(variance), df, min(self.n, other.n) or max(self.n, other.n))

    def shifted(self, constant: float) -> Estimate:
        """The estimate minus an exactly known constant."""
        return Estimate(self.value - constant, self.se, self.df, self.n)


def mean_of(values) -> Estimate:
    """The mean of n independent values, with t on n - 1 degrees of freedom."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n < 2:
        return Estimate(float(values.mean()) if n else math.nan, math.nan, math.nan, n)
    return Estimate(float(values.mean()), float(values.std(ddof=1) / math.sqrt(n)), n - 1, n)


def mean_of_estimates(estimates: list[Estimate]) -> Estimate:
    """The plain average of independent estimates: their variances add (divided by n^2), and the
    degrees of freedom follow Welch-Satterthwaite."""
    n = len(estimates)
    variance = sum(e.se**2 for e in estimates) / n**2
    parts = [(e.se**2 / n**2) ** 2 / e.df for e in estimates if e.se > 0 and not math.isinf(e.df)]
    df = variance**2 / sum(parts) if parts and variance > 0 else math.inf
    return Estimate(float(np.mean([e.value for e in estimates])), math.sqrt(variance), df,
                    sum(e.n for e in estimates))


def below_zero(value, se, n) -> np.ndarray:
    """Elementwise: the upper end of the 95% t interval of each mean (value, its SE, over n
    samples) lies below 0."""
    return np.asarray(value) + stats.t.ppf(0.5 + DIFFERENCE_LEVEL / 2, np.asarray(n) - 1) * np.asarray(se) < 0


@dataclass(frozen=True)
class Verdict:
    """What a row reports: the verdict, the interval it was decided on, its level, the margin, and
    the p-value of the test behind "supported" (two-sided scale, so that every kind is supported
    exactly when p < 0.05; NaN where a row has no test, as an all-cases count)."""

    verdict: str
    low: float
    high: float
    level: float
    margin: float
    p_value: float = math.nan

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def _tail(estimate: Estimate, t: float) -> float:
    """P(T > t) for the estimate's t (or normal) distribution."""
    return float(stats.norm.sf(t) if math.isinf(estimate.df) else stats.t.sf(t, estimate.df))


def _one_sided_p(estimate: Estimate, threshold: float, side: int) -> float:
    """p of "value beyond threshold on side" against "not beyond": small when the estimate lies far
    beyond it."""
    if not (np.isfinite(estimate.se) and estimate.se > 0):
        return math.nan
    return _tail(estimate, side * (estimate.value - threshold) / estimate.se)


def beyond(estimate: Estimate, threshold: float, side: int) -> Verdict:
    """Difference claim "value > threshold" (side +1) or "value < threshold" (side -1); its p-value
    is twice the one-sided one, the scale on which the 95% two-sided interval decides."""
    low, high = estimate.interval(DIFFERENCE_LEVEL)
    if not np.isfinite(estimate.se):
        verdict = INCONCLUSIVE
    elif (side > 0 and low > threshold) or (side < 0 and high < threshold):
        verdict = SUPPORTED
    elif (side > 0 and high < threshold) or (side < 0 and low > threshold):
        verdict = CONTRADICTED
    else:
        verdict = INCONCLUSIVE
    return Verdict(verdict, low, high, DIFFERENCE_LEVEL, abs(threshold),
                   min(1.0, 2 * _one_sided_p(estimate, threshold, side)))


def nonzero(estimate: Estimate, negligible: float) -> Verdict:
    """Difference claim "value != 0": supported when the 95% interval excludes 0, contradicted
    when it lies inside the negligible band (-negligible, negligible)."""
    low, high = estimate.interval(DIFFERENCE_LEVEL)
    if not np.isfinite(estimate.se):
        verdict = INCONCLUSIVE
    elif low > 0 or high < 0:
        verdict = SUPPORTED
    elif -negligible < low and high < negligible:
        verdict = CONTRADICTED
    else:
        verdict = INCONCLUSIVE
    p_value = min(1.0, 2 * _one_sided_p(estimate, 0.0, 1 if estimate.value >= 0 else -1))
    return Verdict(verdict, low, high, DIFFERENCE_LEVEL, negligible, p_value)


def equivalent(estimate: Estimate, delta: float, rival: Estimate | None = None) -> Verdict:
    """Equivalence claim "value = 0 within delta" by two one-sided tests at 5% each (the 90%
    interval inside (-delta, delta)); with a rival (its estimate of value - the rival's
    prediction), supported only when the rival's 95% interval excludes 0 as well. Its p-value is
    the larger of the two one-sided p-values and the rival's (an intersection-union test)."""
    low, high = estimate.interval(EQUIVALENCE_LEVEL)
    rival_test = None if rival is None else nonzero(rival, 0.0)
    rival_rejected = rival_test is None or rival_test.verdict == SUPPORTED
    parts = [_one_sided_p(estimate, -delta, +1), _one_sided_p(estimate, delta, -1),
             0.0 if rival_test is None else rival_test.p_value]
    p_value = math.nan if np.isnan(parts).any() else max(parts)
    if not (np.isfinite(estimate.se) and delta > 0):
        verdict = INCONCLUSIVE
    elif low >= delta or high <= -delta:
        verdict = CONTRADICTED
    elif high - low > 2 * delta:
        verdict = UNDERPOWERED
    elif -delta < low and high < delta and rival_rejected:
        verdict = SUPPORTED
    else:
        verdict = INCONCLUSIVE
    return Verdict(verdict, low, high, EQUIVALENCE_LEVEL, delta, p_value)


def in_band(estimate: Estimate, expected: float, tolerance: float, rival: Estimate | None = None) -> Verdict:
    """The estimate equals ``expected`` within ``tolerance`` (an equivalence, reported in the
    estimate's own units: a fitted exponent, a constant), with an optional rival as in
    ``equivalent``."""
    verdict = equivalent(estimate.shifted(expected), tolerance, rival)
    return Verdict(verdict.verdict, verdict.low + expected, verdict.high + expected, verdict.level, tolerance,
                   verdict.p_value)


@dataclass(frozen=True)
class Extrapolation:
    """A weighted polynomial fit y(x) = c_0 + c_1 x (+ c_2 x^2) and its value at x = 0."""

    intercept: Estimate
    coefficients: np.ndarray  # c_0, c_1, ...
    degree: int
    lack_of_fit_p: float  # of the linear fit: a small value asked for the quadratic term

    def __call__(self, x) -> np.ndarray:
        return np.polynomial.polynomial.polyval(np.asarray(x, dtype=float), self.coefficients)


def extrapolate_to_zero(x, means: list[Estimate], level: float = 0.05) -> Extrapolation:
    """The x -> 0 limit of independent means observed at x (e.g. Adam's stationary mean at step
    sizes gamma): weighted least squares (weights 1 / SE^2) of a line, or of a parabola when the
    line's lack-of-fit chi^2 test rejects it at ``level`` (and there are >= 4 points). The
    intercept is a linear combination of the means, so its standard error is exact given theirs
    and its degrees of freedom follow Welch-Satterthwaite."""
    x = np.asarray(x, dtype=float)
    y, se = np.array([m.value for m in means]), np.array([m.se for m in means])
    df = np.array([m.df for m in means])

    def fit(degree):
        design = np.vander(x, degree + 1, increasing=True)
        weighted = design / se[:, None]
        # Row 0 of the pseudo-inverse: the intercept's weights on the observations.
        solve = np.linalg.pinv(weighted) / se[None, :]
        coefficients = solve @ y
        chi2 = float((((y - design @ coefficients) / se) ** 2).sum())
        return coefficients, solve[0], chi2

    if len(x) < 3:
        raise ValueError(f"an extrapolation needs >= 3 points, got {len(x)}")
    coefficients, weights, chi2 = fit(1)
    p_value = float(stats.chi2.sf(chi2, len(x) - 2))
    degree = 2 if p_value < level and len(x) >= 4 else 1
    if degree == 2:
        coefficients, weights, _ = fit(2)
    parts = (weights * se) ** 2
    variance = float(parts.sum())
    finite = np.isfinite(df)
    dof = variance**2 / float((parts[finite] ** 2 / df[finite]).sum()) if finite.any() else math.inf
    return Extrapolation(Estimate(float(coefficients[0]), math.sqrt(variance), dof, len(x)), coefficients, degree,
                         p_value)


def clopper_pearson(successes: int, n: int, level: float = DIFFERENCE_LEVEL) -> tuple[float, float]:
    a = (1 - level) / 2
    low = stats.beta.ppf(a, successes, n - successes + 1) if successes > 0 else 0.0
    high = stats.beta.ppf(1 - a, successes + 1, n - successes) if successes < n else 1.0
    return float(low), float(high)


def every_case(successes: int, n: int, fraction: float, control: bool = False) -> Verdict:
    """All-cases rule on the Clopper-Pearson 95% interval of the passing fraction, against the
    declared level ``fraction`` (its margin). A claim ("it holds in every case") is supported when
    every case passes and the lower bound reaches ``fraction``, underpowered when every case
    passes but the bound stays below it (too few cases), contradicted when one fails. A control
    (expected to fail) is contradicted when the upper bound lies below ``fraction``, supported when
    every case passes, and inconclusive in between."""
    low, high = clopper_pearson(successes, n)
    if control:
        verdict = CONTRADICTED if high < fraction else SUPPORTED if successes == n else INCONCLUSIVE
    else:
        verdict = CONTRADICTED if successes < n else SUPPORTED if low >= fraction else UNDERPOWERED
    return Verdict(verdict, low, high, DIFFERENCE_LEVEL, fraction)


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of p-values (NaN entries are left out and stay NaN): the
    adjusted p of the i-th smallest of m is max over j <= i of min(1, (m - j + 1) p_(j)), so that
    rejecting where it is below 0.05 keeps the family-wise error at 5% under any dependence."""
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    factors = len(order) - np.arange(len(order))
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(factors * p[order]))
    return adjusted
