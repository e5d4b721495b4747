"""The verdict rules of the claims dashboard on synthetic data with a known truth: each rule must
give the exact verdict, so putting back a rule that calls "no difference seen" support fails."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from replication.power import repeat_rates, seed_repeat_rates, with_fewer_seeds, with_fewer_sequences
from replication.stats import (CONTRADICTED, INCONCLUSIVE, SUPPORTED, UNDERPOWERED, Estimate, below_zero, beyond,
                               equivalent, every_case, extrapolate_to_zero, holm, in_band, mean_of, nonzero)


def sample(mean, sd, n, seed):
    """n values with exactly this sample mean and standard deviation (the truth is known exactly)."""
    z = np.random.default_rng(seed).standard_normal(n)
    return mean + sd * (z - z.mean()) / z.std(ddof=1)


def test_small_samples_use_student_t():
    values = sample(1.0, 2.0, 6, seed=0)
    est = mean_of(values)
    assert est.df == 5 and est.quantile(0.95) == pytest.approx(2.5706, abs=1e-4)
    assert est.interval(0.95) == pytest.approx(stats.t.interval(0.95, 5, loc=1.0, scale=2.0 / math.sqrt(6)))
    # Per-point Monte Carlo means: t with n - 1 df, so 6 sequences need 2.57 SE, 400 need 1.966.
    assert below_zero([-2.6, -2.5, -1.97, -1.96], [1.0] * 4, [6, 6, 400, 400]).tolist() == [True, False, True, False]


def test_differences_add_variances_with_welch_degrees_of_freedom():
    a, b = sample(1.0, 1.0, 6, seed=1), sample(0.2, 3.0, 16, seed=2)
    diff = mean_of(a) - mean_of(b)
    welch = stats.ttest_ind(a, b, equal_var=False)
    assert diff.value / diff.se == pytest.approx(welch.statistic)
    assert diff.df == pytest.approx(welch.df)
    exact = Estimate(0.5, 0.0, math.inf) - mean_of(b)  # an exactly known reference keeps b's error and df
    assert exact.df == pytest.approx(15) and exact.se == pytest.approx(mean_of(b).se)
    monte_carlo = Estimate(0.5, mean_of(b).se, math.inf) - mean_of(b)  # a normal part adds error, not df loss
    assert monte_carlo.se == pytest.approx(math.sqrt(2) * mean_of(b).se) and monte_carlo.df > 15


@pytest.mark.parametrize("mean, expected", [(-1.0, SUPPORTED), (1.0, CONTRADICTED), (0.0, INCONCLUSIVE)])
def test_one_sided_difference(mean, expected):
    """Claim "value < -0.25" with 8 values of sd 0.5 (95% half-width 0.42)."""
    assert beyond(mean_of(sample(mean, 0.5, 8, seed=3)), -0.25, -1).verdict == expected


@pytest.mark.parametrize("mean, sd, expected", [(0.5, 0.1, SUPPORTED), (0.0, 0.01, CONTRADICTED),
                                                (0.0, 1.0, INCONCLUSIVE)])
def test_two_sided_difference_with_a_negligible_band(mean, sd, expected):
    assert nonzero(mean_of(sample(mean, sd, 8, seed=4)), negligible=0.1).verdict == expected


def test_two_sided_difference_without_a_band_is_never_contradicted():
    assert nonzero(mean_of(sample(0.0, 1e-6, 8, seed=5)), negligible=0.0).verdict == INCONCLUSIVE


@pytest.mark.parametrize("gap, sd, expected", [
    (0.0, 0.05, SUPPORTED),       # equal: the 90% interval (+-0.034) lies inside +-0.25
    (0.5, 0.05, CONTRADICTED),    # different by 2 delta
    (0.0, 1.0, UNDERPOWERED),     # too noisy to tell: interval wider than 2 delta
    (0.2, 0.1, INCONCLUSIVE),     # narrow enough, but straddles the margin
])
def test_equivalence_needs_the_interval_inside_the_margin(gap, sd, expected):
    """A = B within delta = 0.25 (kappa 0.25 of a separation of 1 from the rival C = B + 1),
    8 runs; the rival is clearly rejected in every case."""
    a = mean_of(sample(1.0 + gap, sd, 8, seed=6))
    verdict = equivalent(a.shifted(1.0), 0.25, rival=a.shifted(2.0))
    assert verdict.verdict == expected
    assert verdict.level == 0.90 and verdict.margin == 0.25


def test_equivalence_needs_the_rival_rejected():
    """B and the rival C are both inside the interval: equal to B within delta, but not told
    apart from C, so not supported."""
    a = mean_of(sample(0.0, 0.01, 8, seed=7))
    assert equivalent(a, 0.05, rival=a.shifted(0.001)).verdict == INCONCLUSIVE
    assert equivalent(a, 0.05, rival=a.shifted(1.0)).verdict == SUPPORTED


@pytest.mark.parametrize("mean, sd, expected", [
    (0.79, 0.06, CONTRADICTED),   # the old +-0.3 band passed this pre-asymptotic slope
    (1.02, 0.05, SUPPORTED),
    (1.0, 0.5, UNDERPOWERED),
    (0.9, 0.05, INCONCLUSIVE),
])
def test_rates_must_lie_inside_the_declared_band(mean, sd, expected):
    verdict = in_band(mean_of(sample(mean, sd, 8, seed=8)), 1.0, 0.1)
    assert verdict.verdict == expected
    assert verdict.low < mean < verdict.high


def test_every_case_uses_an_exact_binomial_interval_against_a_declared_fraction():
    assert every_case(36, 36, 0.9).verdict == SUPPORTED  # lower bound 0.025^(1/36) = 0.903
    assert every_case(8, 8, 0.9).verdict == UNDERPOWERED  # 8 of 8: lower bound 0.63 only
    assert every_case(8, 8, 0.9).low == pytest.approx(0.025 ** (1 / 8))
    assert every_case(31, 32, 0.9).verdict == CONTRADICTED  # one failing case refutes "every case"
    assert every_case(31, 32, 0.9).high == pytest.approx(0.975 ** (1 / 32))
    low, high = every_case(0, 8, 0.9).low, every_case(0, 8, 0.9).high
    assert low == 0 and high == pytest.approx(1 - 0.025 ** (1 / 8))


def test_a_control_fails_to_fail_only_when_every_case_passes_and_is_decided_only_far_below_the_fraction():
    assert every_case(0, 8, 0.9, control=True).verdict == CONTRADICTED  # upper bound 0.37
    assert every_case(31, 32, 0.9, control=True).verdict == INCONCLUSIVE  # 97% pass: not decided
    assert every_case(8, 8, 0.9, control=True).verdict == SUPPORTED  # the control did not fail
    # The boundary is the upper bound: 5 of 8 (0.93) is undecided, 4 of 8 (0.85) decided.
    assert every_case(5, 8, 0.9, control=True).verdict == INCONCLUSIVE
    assert every_case(4, 8, 0.9, control=True).verdict == CONTRADICTED


def test_extrapolation_to_zero_against_numpy_and_with_a_lack_of_fit_switch():
    x = np.array([0.02, 0.01, 0.005, 0.0025, 0.00125])
    se = np.array([0.05, 0.04, 0.03, 0.02, 0.02])
    line = [Estimate(0.9 - 20 * xi, s, 63) for xi, s in zip(x, se)]
    fit = extrapolate_to_zero(x, line)
    assert fit.degree == 1 and fit.intercept.value == pytest.approx(0.9) and fit.lack_of_fit_p == pytest.approx(1.0)
    reference = np.polyfit(x, [m.value for m in line], 1, w=1 / se, cov="unscaled")
    assert fit.intercept.se == pytest.approx(math.sqrt(reference[1][1, 1]), rel=1e-9)
    assert 63 <= fit.intercept.df <= 5 * 63  # Welch-Satterthwaite over five means with 63 df each
    curved = [Estimate(1.0 - 60 * xi + 2000 * xi**2, s / 10, 63) for xi, s in zip(x, se)]
    bent = extrapolate_to_zero(x, curved)
    assert bent.degree == 2 and bent.lack_of_fit_p < 0.05 and bent.intercept.value == pytest.approx(1.0)
    assert bent(0.01) == pytest.approx(1.0 - 0.6 + 0.2)
    with pytest.raises(ValueError, match=">= 3 points"):
        extrapolate_to_zero(x[:2], line[:2])


def test_p_values_are_scipy_s_tests_and_decide_at_five_percent():
    values = sample(0.3, 1.0, 12, seed=7)
    est = mean_of(values)
    # A one-sided difference: twice scipy's one-sided t-test p; a two-sided one: scipy's.
    assert beyond(est, 0.0, +1).p_value == pytest.approx(2 * stats.ttest_1samp(values, 0.0, alternative="greater").pvalue)
    assert nonzero(est, 0.1).p_value == pytest.approx(stats.ttest_1samp(values, 0.0).pvalue)
    # TOST: the larger of the two one-sided p-values against -delta and +delta.
    tost = max(stats.ttest_1samp(values, -1.0, alternative="greater").pvalue,
               stats.ttest_1samp(values, 1.0, alternative="less").pvalue)
    assert equivalent(est, 1.0).p_value == pytest.approx(tost)
    # Every rule is supported exactly when its p-value is below 0.05.
    for mean in np.linspace(-1.5, 1.5, 31):
        e = mean_of(sample(mean, 1.0, 12, seed=8))
        for verdict in (beyond(e, 0.2, +1), nonzero(e, 0.1), equivalent(e, 1.2), equivalent(e, 1.2, rival=e.shifted(-2)),
                        in_band(e, 0.1, 1.0)):
            assert (verdict.verdict == SUPPORTED) == (verdict.p_value < 0.05)


def test_holm_adjusts_step_down_and_leaves_untested_rows_out():
    p = [0.01, 0.04, np.nan, 0.03, 0.5]
    # Sorted 0.01, 0.03, 0.04, 0.5 over m = 4: 0.04, 0.09, 0.09 (monotone), 0.5.
    assert holm(p) == pytest.approx([0.04, 0.09, np.nan, 0.09, 0.5], nan_ok=True)
    assert np.isnan(holm([np.nan])).all() and holm([]).size == 0


def test_fewer_sequences_draw_around_the_pilot_with_f_times_its_variance():
    table = pd.DataFrame({"derivative": np.full(20000, -2.0), "derivative_se": 0.5, "derivative_n": 640})
    drawn = with_fewer_sequences(table, 4, np.random.default_rng(0))
    assert (drawn["derivative_se"] == 1.0).all() and (drawn["derivative_n"] == 160).all()
    assert stats.ttest_1samp(drawn["derivative"], -2.0).pvalue > 0.01
    assert drawn["derivative"].std() == pytest.approx(1.0, rel=0.03)
    assert (table["derivative"] == -2.0).all()  # the pilot is left as it was
    with pytest.raises(ValueError, match="fewer than 2 sequences"):
        with_fewer_sequences(table, 400, np.random.default_rng(0))


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_a_verdict_repeats_as_often_as_the_closed_form_power_says(factor):
    """One point, pilot z = -3 over 640 sequences: with 640 / f, its 95% upper bound lies below 0
    with probability Phi(3 / sqrt(f) - t), t the t quantile over 640 / f sequences."""
    pilot = pd.DataFrame({"derivative": [-3.0], "derivative_se": [1.0], "derivative_n": [640]})

    def claims(table):
        negative = bool(below_zero(table["derivative"], table["derivative_se"], table["derivative_n"])[0])
        return [{"id": "point", "verdict": SUPPORTED if negative else CONTRADICTED, "estimate": float(negative)}]

    rates = repeat_rates(pilot, claims, [factor], replicates=1000, seed=1).iloc[0]
    power = stats.norm.cdf(3 / math.sqrt(factor) - stats.t.ppf(0.975, 640 // factor - 1))
    assert rates["verdict"] == SUPPORTED and rates["sequences"] == 640 // factor
    assert rates["repeats"] == rates["estimate_repeats"]
    assert abs(rates["repeats"] - power) < 4 * math.sqrt(power * (1 - power) / 1000)
    assert rates["repeats_low"] < power < rates["repeats_high"]


def test_fewer_seeds_draw_whole_seeds_with_replacement_within_each_experiment():
    """Each experiment (here: kind) keeps n // f of its own seeds, drawn from the pilot's with
    replacement; a drawn seed brings every one of its rows, relabelled as a seed of its own."""
    table = pd.DataFrame([{"kind": "a", "seed": s, "row": j, "value": 10.0 * s + j} for s in range(16) for j in range(3)]
                         + [{"kind": "b", "seed": s, "row": 0, "value": -float(s)} for s in range(32)])
    drawn = with_fewer_seeds(table, 4, np.random.default_rng(0), within=("kind",))
    assert drawn.groupby("kind")["seed"].nunique().to_dict() == {"a": 4, "b": 8}
    for (kind, label), rows in drawn.groupby(["kind", "seed"]):
        source = table[(table["kind"] == kind) & (table["seed"] == rows["value"].iloc[0] // 10 if kind == "a"
                                                   else table["value"] == rows["value"].iloc[0])]
        assert rows[["row", "value"]].values.tolist() == source[["row", "value"]].values.tolist()
    draws = pd.concat([with_fewer_seeds(table, 2, np.random.default_rng(k), within=("kind",)) for k in range(50)])
    assert draws[draws["kind"] == "b"]["value"].nunique() == 32  # with replacement, every seed can come
    assert len(table) == 16 * 3 + 32 and table["seed"].max() == 31  # the pilot is left as it was
    with pytest.raises(ValueError, match="fewer than 2 of the 16 seeds"):
        with_fewer_seeds(table, 16, np.random.default_rng(0), within=("kind",))


def test_a_mean_over_seeds_repeats_about_as_often_as_the_t_test_s_power_says():
    """A mean over 64 seeds of a normal value, 0.45 sd above 0: with 16 seeds drawn from them, its
    95% interval excludes 0 about as often as the t test's power over 16 fresh seeds (noncentral t)."""
    pilot = pd.DataFrame({"seed": range(64), "value": sample(0.45, 1.0, 64, seed=3)})

    def claims(table):
        low = mean_of(table["value"].to_numpy()).interval(0.95)[0]
        return [{"id": "mean", "verdict": SUPPORTED if low > 0 else INCONCLUSIVE, "estimate": low}]

    rates = seed_repeat_rates(pilot, claims, [4], replicates=2000, seed=1).iloc[0]
    sd = math.sqrt(63 / 64)  # the pilot's seeds as the law: its population standard deviation
    power = stats.nct.sf(stats.t.ppf(0.975, 15), 15, 0.45 / (sd / 4))
    assert rates["seeds"] == 16 and rates["verdict"] == SUPPORTED
    assert abs(rates["repeats"] - power) < 0.05


def test_fewer_directions_draw_whole_directions_around_each_minimum_and_keep_the_worst_case_rows():
    """One direction serves every radius and setting around a minimum: a drawn direction brings all
    of its rows; the worst-case rows are not drawn."""
    from replication.power import with_fewer_directions

    table = pd.DataFrame([{"network": net, "minimum": m, "search": "random", "direction": u, "radius": r,
                           "batch_size": b, "value": f"{net}{m}-{u}-{r}-{b}"}
                          for net in ("a", "b") for m in range(3) for u in range(8) for r in (1, 2) for b in (1, 4)]
                         + [{"network": "a", "minimum": 0, "search": "worst", "direction": 5, "radius": 1,
                             "batch_size": 4, "value": "worst"}])
    drawn = with_fewer_directions(table, 4, np.random.default_rng(0))
    random = drawn[drawn["search"] == "random"]
    assert random.groupby(["network", "minimum"])["direction"].nunique().eq(2).all()
    for _, rows in random.groupby(["network", "minimum", "direction"]):
        assert len(rows) == 4 and rows["value"].str.rsplit("-", n=2).str[0].nunique() == 1
    assert drawn[drawn["search"] == "worst"].to_dict("records") == table[table["search"] == "worst"].to_dict("records")
