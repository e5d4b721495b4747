import dataclasses
import math

import numpy as np
import pytest
import torch
from scipy.optimize import brentq

from adam_ode.adam import AdamHyper
from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from adam_ode.vector_field.erm import (ERMCommonRandomNumbers, _batch_moments, _erm_index_sums, _erm_sums, _pair_weights, _weights,
                                      BATCH_ELEMENTS, erm_adam_field, estimates_at_jacobian)
from adam_ode.vector_field.estimate import (batch_of_estimates, control_means, field_bound, field_zero, gauss_newton_zero, noiseless_field,
                                           truncation_lengths)
from adam_ode.vector_field.quadratic import QuadraticCommonRandomNumbers
from adam_ode.vector_field.sampled import adam_field

ALPHA, BETA, EPS = 0.9, 0.99, 1e-8


def brute_force_field(J, batch_size, alpha, beta, eps, n_samples, seed):
    """Plain estimator straight from Definition 1.3: explicit sums over each sampled sequence,
    un-normalised weights, truncated where alpha^k and beta^k fall below 1e-10."""
    rng = np.random.default_rng(seed)
    n, d = J.shape
    k_beta = math.ceil(math.log(1e-10) / math.log(beta))
    k_alpha = math.ceil(math.log(1e-10) / math.log(alpha))
    values = np.empty((n_samples, d))
    for s in range(n_samples):
        u = rng.integers(0, n, (k_beta, batch_size))
        g = J[u].mean(axis=1)  # G_k = (1/M) sum_m grad l_{U_km}
        m = (1 - alpha) * np.einsum("k,kd->d", alpha ** np.arange(k_alpha), g[:k_alpha])
        v = (1 - beta) * np.einsum("k,kd->d", beta ** np.arange(k_beta), g**2)
        values[s] = -m / (eps + np.sqrt(v))
    return values.mean(axis=0), values.std(axis=0, ddof=1) / math.sqrt(n_samples)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_fast_erm_estimator_agrees_with_brute_force(small_erm, batch_size):
    for point in range(3):
        theta = small_erm.net.init(1, torch.Generator().manual_seed(100 + point))[0]
        J = small_erm.per_sample_gradients(theta).numpy()
        fast = erm_adam_field(J, batch_size, AdamHyper(ALPHA, BETA, EPS), n_samples=3000, seed=point)
        mean, se = brute_force_field(J, batch_size, ALPHA, BETA, EPS, n_samples=600, seed=50 + point)
        z = np.abs(fast.mean - mean) / np.sqrt(fast.stderr**2 + se**2)
        assert z.max() <= 4, f"point {point}, M={batch_size}: max z = {z.max():.2f}"
        assert np.median(np.abs(fast.mean)) > 5 * np.median(fast.stderr)  # a real signal
        assert fast.truncation_bound < 1e-3


def test_batches_larger_than_a_chunk_of_terms(small_erm):
    """M = 16: the terms are drawn in chunks of 4 M / (64 M^2) = 256 < K_alpha = 263 (alpha = beta =
    0.9), so the m-sum spans chunks (an index slice once took all of K_alpha into the first)."""
    J = np.random.default_rng(4).standard_normal((16, 3)) + 0.3
    fast = erm_adam_field(J, 16, AdamHyper(0.9, 0.9, EPS), n_samples=400, seed=0, control_variate=True)
    mean, se = brute_force_field(J, 16, 0.9, 0.9, EPS, n_samples=400, seed=1)
    assert (np.abs(fast.mean - mean) / np.hypot(fast.stderr, se)).max() <= 4


def test_noiseless_problems_give_the_closed_form():
    g = np.array([0.3, -2.0, 1e-3, 0.0, 7.5])
    J = np.tile(g, (5, 1))  # every sample has the same gradient: no noise
    for batch_size in (1, 4):
        est = erm_adam_field(J, batch_size, AdamHyper(0.9, 0.999, EPS), n_samples=64, seed=0)
        np.testing.assert_allclose(est.mean, noiseless_field(g, EPS), rtol=0, atol=1e-12)
        assert est.stderr.max() <= 1e-14

    quad = StochasticQuadratic(NoiseLaw("normal", mean=1.0, scale=0.0), dim=3)
    theta = np.array([0.0, 1.0, 4.0])
    est = adam_field(quad.sample_gradients(theta), AdamHyper(0.9, 0.999, EPS), n_samples=8, seed=0)
    np.testing.assert_allclose(est.mean, noiseless_field(theta - 1.0, EPS), rtol=0, atol=1e-12)
    assert np.all(est.stderr == 0)


def test_every_estimate_obeys_the_field_bound(small_erm):
    rng = np.random.default_rng(0)
    for alpha, beta, batch_size in [(0.9, 0.99, 1), (0.0, 0.9, 2), (0.5, 0.3, 1), (0.9, 0.95, 5)]:
        bound = field_bound(alpha, beta)
        theta = small_erm.net.init(1, torch.Generator().manual_seed(int(rng.integers(1000))))[0]
        J = small_erm.per_sample_gradients(theta).numpy()
        est = erm_adam_field(J, batch_size, AdamHyper(alpha, beta, EPS), n_samples=200, seed=1)
        assert np.abs(est.samples).max() <= bound, (alpha, beta)
    # Heavy-tailed noise pushes single sequences far from the mean.
    quad = StochasticQuadratic(NoiseLaw("lognormal", mean=0.0, scale=5.0, shape=2.0), dim=4)
    est = adam_field(quad.sample_gradients(np.zeros(4)), AdamHyper(0.5, 0.3, EPS), n_samples=500, seed=2)
    assert np.abs(est.samples).max() <= field_bound(0.5, 0.3)


def test_interpolating_point_has_zero_jacobian_and_zero_field(interpolating_erm):
    problem, theta_star = interpolating_erm
    assert problem.loss(theta_star).item() == 0.0
    J = problem.per_sample_gradients(theta_star)
    assert torch.count_nonzero(J) == 0
    est = erm_adam_field(J, 2, AdamHyper(0.9, 0.999, EPS), n_samples=16, seed=0)
    assert np.all(est.mean == 0) and np.all(est.stderr == 0)


def test_truncation_bound_covers_the_truncation_error(small_erm):
    theta = small_erm.net.init(1, torch.Generator().manual_seed(7))[0]
    J = small_erm.per_sample_gradients(theta).numpy()
    coarse = erm_adam_field(J, 2, AdamHyper(ALPHA, BETA, EPS), n_samples=4000, seed=1, tol=0.05)
    fine = erm_adam_field(J, 2, AdamHyper(ALPHA, BETA, EPS), n_samples=4000, seed=2, tol=1e-9)
    assert coarse.n_terms[1] < fine.n_terms[1] / 5
    gap = np.abs(coarse.mean - fine.mean) - 4 * np.sqrt(coarse.stderr**2 + fine.stderr**2)
    assert gap.max() <= coarse.truncation_bound
    assert fine.truncation_bound < 1e-6 < coarse.truncation_bound


def test_common_random_numbers(small_erm):
    hyper = AdamHyper(ALPHA, BETA, EPS)
    thetas = small_erm.net.init(2, torch.Generator().manual_seed(3))
    crn = ERMCommonRandomNumbers(small_erm, 2, hyper, n_samples=132, seed=9)
    crn_cv = ERMCommonRandomNumbers(small_erm, 2, hyper, n_samples=132, seed=9, control_variate=True)
    for theta in thetas:
        J = small_erm.per_sample_gradients(theta).numpy()
        for estimator, cv in ((crn, False), (crn_cv, True)):
            direct = erm_adam_field(J, 2, hyper, n_samples=132, seed=9, control_variate=cv)
            np.testing.assert_allclose(estimator.estimate(theta).mean, direct.mean, rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(estimator.estimate(theta.numpy()).stderr, direct.stderr, rtol=1e-13, atol=1e-15)
            np.testing.assert_array_equal(estimator(theta), estimator.estimate(theta).mean)
            np.testing.assert_array_equal(estimator.at_jacobian(J).samples, estimator.estimate(theta).samples)
            np.testing.assert_allclose(estimator.mean_at(torch.from_numpy(J)).numpy(), estimator(theta), rtol=1e-13, atol=1e-15)
    J0 = small_erm.per_sample_gradients(thetas[0]).numpy()
    other_seed = erm_adam_field(J0, 2, hyper, n_samples=132, seed=10)
    assert not np.allclose(other_seed.mean, crn(thetas[0]))

    quad = StochasticQuadratic(NoiseLaw("exponential", mean=1.0, scale=1.0), dim=2)
    qcrn = QuadraticCommonRandomNumbers(quad, AdamHyper(ALPHA, BETA, EPS), n_samples=3000, seed=4)
    theta = np.array([0.3, 1.7])
    generic = adam_field(quad.sample_gradients(theta), AdamHyper(ALPHA, BETA, EPS), n_samples=3000, seed=5)
    est = qcrn.estimate(theta)
    z = np.abs(est.mean - generic.mean) / np.sqrt(est.stderr**2 + generic.stderr**2)
    assert z.max() <= 4
    # Same seed, same numbers: the generic estimator is deterministic in theta too.
    again = adam_field(quad.sample_gradients(theta), AdamHyper(ALPHA, BETA, EPS), n_samples=3000, seed=5)
    assert np.array_equal(again.mean, generic.mean)


@pytest.mark.parametrize("control_variate, batch_elements", [(True, BATCH_ELEMENTS), (False, BATCH_ELEMENTS), (True, 0)])
def test_estimates_of_several_estimators_at_once_are_each_one_s_estimate_bit_for_bit(small_erm, control_variate,
                                                                                   batch_elements, monkeypatch):
    """One batch for estimators of other momenta, batch sizes and seeds gives every float of their
    one-by-one estimates: samples, mean, error bar and bias bound; so do estimates too large to batch
    (here all of them, with the limit at 0), made one by one. Mixing numbers of sequences is refused."""
    import adam_ode.vector_field.erm as erm

    monkeypatch.setattr(erm, "BATCH_ELEMENTS", batch_elements)
    batches = []
    monkeypatch.setattr(erm, "batch_of_estimates", lambda *args: batches.append(args) or batch_of_estimates(*args))
    settings = [(0.9, 0.99, 1, 3), (0.0, 0.2, 2, 4), (0.9, 0.9, 4, 5), (0.9, 0.99, 2, 6)]
    estimators = [ERMCommonRandomNumbers(small_erm, m, AdamHyper(a, b, EPS), n_samples=40, seed=seed,
                                         control_variate=control_variate) for a, b, m, seed in settings]
    for theta in small_erm.net.init(2, torch.Generator().manual_seed(3)):
        J = small_erm.per_sample_gradients(theta)
        for together, alone in zip(estimates_at_jacobian(estimators, J), (e.at_jacobian(J) for e in estimators)):
            for read in ("samples", "mean", "stderr", "truncation_bound", "n_terms"):
                np.testing.assert_array_equal(getattr(together, read), getattr(alone, read))
    assert len(batches) == (2 if batch_elements else 0)  # one batch per point, or none above the limit
    other = ERMCommonRandomNumbers(small_erm, 1, AdamHyper(ALPHA, BETA, EPS), n_samples=80, seed=1,
                                   control_variate=control_variate)
    with pytest.raises(ValueError, match="one number of sequences"):
        estimates_at_jacobian([*estimators, other], J)


def quadratic_zero(law, alpha, beta, seed, n_samples=400, batch_size=1, control_variate=False):
    return QuadraticCommonRandomNumbers(StochasticQuadratic(law, 1, batch_size), AdamHyper(alpha, beta, EPS),
                                        n_samples=n_samples, seed=seed, control_variate=control_variate).zero()


def test_the_zero_search_is_brent_s_root_of_the_field():
    law = NoiseLaw("exponential", mean=1.0, scale=1.0)
    crn = QuadraticCommonRandomNumbers(StochasticQuadratic(law, 1), AdamHyper(0.9, 0.9, EPS), n_samples=400, seed=3)
    zero = crn.zero()
    assert zero == pytest.approx(brentq(lambda t: crn(np.array([t]))[0], -50, 50, xtol=1e-14), abs=1e-12)
    assert abs(crn([zero])[0]) < 1e-10 and crn([zero - 0.1])[0] > 0 > crn([zero + 0.1])[0]
    with pytest.raises(ValueError, match="1-D"):
        QuadraticCommonRandomNumbers(StochasticQuadratic(law, 2), AdamHyper(0.9, 0.9, EPS), n_samples=20, seed=0).zero()


@pytest.mark.parametrize("name, shape", [("two_point", 0.1), ("exponential", None), ("normal", None),
                                         ("rademacher", None), ("lognormal", 0.5)])
def test_batch_means_drawn_directly_have_the_law_of_summed_draws(name, shape):
    """A binomial count, a gamma or a normal for the mean of M draws: the same law as M draws
    averaged (two-sample Kolmogorov-Smirnov), and the moments E[G^r] that the control variates use
    are those of the summed draws (z-scores)."""
    from scipy import stats

    law = NoiseLaw(name, mean=1.0, scale=2.0, shape=shape, mirrored=name == "two_point")
    direct = law.standardized(np.random.default_rng(0), 40000, batch_size=5)
    summed = law.standardized(np.random.default_rng(1), (40000, 5)).mean(axis=1)
    # Rounded: the atoms of the discrete laws, computed two ways, differ in the last bit.
    assert stats.ks_2samp(direct.round(10), summed.round(10)).pvalue > 1e-3
    problem, theta = StochasticQuadratic(law, 1, batch_size=5), 0.4
    g = theta - (law.mean + law.scale * summed)
    powers = np.stack([g**r for r in range(1, 5)])
    z = (powers.mean(axis=1) - problem.gradient_moments([theta])[:, 0]) / (powers.std(axis=1) / math.sqrt(len(g)))
    assert np.abs(z).max() < 4, z


def test_control_variates_keep_the_quadratic_field_and_shrink_its_error():
    """The control variates leave the estimate unbiased (z against the plain estimator at other seeds)
    and shrink its standard error, at beta = 0.99 by more than tenfold."""
    law = NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1)
    problem, hyper = StochasticQuadratic(law, 1, batch_size=3), AdamHyper(0.9, 0.99, EPS)
    for theta in (0.5, 0.97, 1.6):
        plain = QuadraticCommonRandomNumbers(problem, hyper, n_samples=8000, seed=1).estimate([theta])
        cv = QuadraticCommonRandomNumbers(problem, hyper, n_samples=2000, seed=2, control_variate=True).estimate([theta])
        assert abs(plain.mean[0] - cv.mean[0]) / math.hypot(plain.stderr[0], cv.stderr[0]) < 4
        assert cv.stderr[0] < plain.stderr[0] / 10
    with pytest.raises(ValueError, match="multiple of 4"):
        QuadraticCommonRandomNumbers(problem, hyper, n_samples=30, seed=0, control_variate=True)


def test_zero_shift_at_small_u_is_the_leading_order_shift():
    """At u = 1 - beta = 0.001 the zero shift of the two-point law (gamma_1 sigma = 8) is
    -(1 - alpha)/(1 - alpha beta) u gamma_1 sigma / (2 M) to within its O(u^2) term (about 0.15%
    here): the field's zero, with the control variates, within 1.5% of the formula at M = 1 and 4."""
    law = NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1)
    for batch_size in (1, 4):
        predicted = StochasticQuadratic(law, 1, batch_size).leading_zero_shift(0.9, 0.999)
        assert predicted == pytest.approx(-0.1 / (1 - 0.9 * 0.999) * 0.001 * 4 / batch_size)
        shifts = [quadratic_zero(law, 0.9, 0.999, seed, 1000, batch_size, control_variate=True) - 1 for seed in range(3)]
        assert np.mean(shifts) == pytest.approx(predicted, rel=0.015)


@pytest.mark.parametrize(
    "law, skewed",
    [(NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1), True),
     (NoiseLaw("exponential", mean=1.0, scale=1.0), True),
     (NoiseLaw("normal", mean=1.0, scale=1.0), False),
     (NoiseLaw("rademacher", mean=1.0, scale=1.0), False)],
)
def test_zero_of_the_field_in_1d_quadratic(law, skewed):
    """alpha = beta = 0.9: skewed laws move the zero of f away from E[X], symmetric ones do not."""
    zeros = np.array([quadratic_zero(law, 0.9, 0.9, seed) for seed in range(8)])
    mean, se = zeros.mean(), zeros.std(ddof=1) / math.sqrt(len(zeros))
    if skewed:
        assert abs(mean - law.mean) > 5 * se, (mean, se)
    else:
        assert abs(mean - law.mean) < 3 * se, (mean, se)


def test_mirroring_the_law_mirrors_the_zero_of_f():
    """X -> 2 E[X] - X turns G into -G at the mirrored point, so f(2 E[X] - theta) = -f(theta): with
    the same random numbers the mirrored law's zero is exactly the reflection; the skewness flips."""
    law = NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1)
    mirrored = dataclasses.replace(law, mirrored=True)
    assert mirrored.skewness == -law.skewness < 0
    rng = np.random.default_rng(0)
    assert np.array_equal(mirrored.sample(np.random.default_rng(0), 5), 2.0 - law.sample(rng, 5))
    for seed in range(3):
        assert quadratic_zero(mirrored, 0.9, 0.9, seed) == pytest.approx(2.0 - quadratic_zero(law, 0.9, 0.9, seed),
                                                                         abs=1e-11)


def test_zero_shift_shrinks_with_one_minus_beta():
    law = NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1)
    shift = {b: 1.0 - np.mean([quadratic_zero(law, 0.9, b, s) for s in range(4)]) for b in (0.95, 0.99)}
    assert shift[0.95] > 2.5 * shift[0.99] > 0


@pytest.mark.parametrize(
    "kwargs, name",
    [({"alpha": 0.95, "beta": 0.9}, "sqrt\\(beta\\)"), ({"beta": 1.0}, "beta"), ({"beta": 0.0}, "beta"),
     ({"eps": 0.0}, "eps"), ({"eps": -1.0}, "eps"), ({"batch_size": 0}, "batch_size"),
     ({"n_samples": 1}, "n_samples"), ({"n_samples": 22, "control_variate": True}, "multiple of 4"),
     ({"J": np.array([[np.nan, 1.0]])}, "finite")],
)
def test_bad_input_is_rejected(kwargs, name):
    args = dict(J=np.ones((3, 2)), batch_size=1, alpha=0.9, beta=0.999, eps=1e-8, n_samples=10, seed=0) | kwargs
    with pytest.raises(ValueError, match=name):
        hyper = AdamHyper(args.pop("alpha"), args.pop("beta"), args.pop("eps"))
        erm_adam_field(hyper=hyper, **args)


def test_generic_estimator_rejects_bad_input():
    quad = StochasticQuadratic(NoiseLaw("normal"), 1)
    with pytest.raises(ValueError, match="sqrt\\(beta\\)"):
        adam_field(quad.sample_gradients(np.zeros(1)), AdamHyper(0.99, 0.9, EPS), n_samples=10, seed=0)
    with pytest.raises(ValueError, match="non-finite"):
        adam_field(lambda rng, n: np.full((n, 1), np.inf), AdamHyper(0.9, 0.99, EPS), n_samples=10, seed=0)


def test_pair_weights_by_pair_counting_and_by_count_products_agree():
    """The two ways to form sum_k b_k c_k c_k^T (counting index pairs; C^T diag(b) C) give the same
    matrix, whichever the estimator picks for (N, M)."""
    rng = np.random.default_rng(0)
    for n, batch_size in [(16, 1), (8, 2), (16, 4), (4, 4), (3, 5)]:
        idx = rng.integers(0, n, (5, 40, batch_size))
        b = rng.random(40)
        counts = np.stack([np.stack([np.bincount(batch, minlength=n) for batch in seq]) for seq in idx])
        full = np.einsum("skn,k,skl->snl", counts, b, counts)
        upper, lower = np.triu_indices(n)
        expected = full[:, upper, lower] * np.where(upper == lower, 1, 2)
        np.testing.assert_allclose(_pair_weights(idx, b, n), expected, rtol=1e-13)


def test_a_large_estimate_is_chunked_not_killed(tmp_path):
    """(S, N, d) = (200, 64, 20000): the pair products J_j * J_l would be a 333 MB temporary and
    the per-sequence (N, d) products 2 GB; the estimator keeps the process small. Measured in a subprocess by its peak resident memory."""
    script = tmp_path / "big.py"
    script.write_text(
        "import resource, numpy as np\n"
        "from adam_ode.adam import AdamHyper\n"
        "from adam_ode.vector_field.erm import erm_adam_field\n"
        "J = np.random.default_rng(0).standard_normal((64, 20000))\n"
        "f = erm_adam_field(J, 4, AdamHyper(0.9, 0.99, 1e-8), n_samples=200, seed=0)\n"
        "assert np.all(np.isfinite(f.mean))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    import subprocess
    import sys
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    peak_mb = int(out.stdout.split()[-1]) / 1024
    assert peak_mb < 1024, f"peak resident memory {peak_mb:.0f} MB"


def test_mini_batch_quadratic_field_agrees_with_brute_force_and_shrinks_the_shift():
    """X is the mean of M draws: the closed-form CRN field equals the generic Monte Carlo
    estimator, the variance is scale^2 / M, and the zero of f moves towards E[X] as M grows."""
    law = NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1)
    quad = StochasticQuadratic(law, dim=2, batch_size=4)
    draws = quad.noise(np.random.default_rng(0), (200000, 1))
    assert abs(draws.mean() - 1.0) < 0.02 and abs(draws.var() - 9.0 / 4) < 0.05
    theta = np.array([0.2, 1.4])
    est = QuadraticCommonRandomNumbers(quad, AdamHyper(ALPHA, BETA, EPS), n_samples=3000, seed=1).estimate(theta)
    generic = adam_field(quad.sample_gradients(theta), AdamHyper(ALPHA, BETA, EPS), n_samples=3000, seed=2)
    z = np.abs(est.mean - generic.mean) / np.sqrt(est.stderr**2 + generic.stderr**2)
    assert z.max() <= 4

    shifts = {m: np.mean([quadratic_zero(law, 0.9, 0.9, s, 1000, m) - law.mean for s in range(4)]) for m in (1, 4)}
    assert shifts[1] < 2.5 * shifts[4] < 0
    with pytest.raises(ValueError, match="batch_size"):
        StochasticQuadratic(law, 1, batch_size=0)


def test_field_jacobian_is_the_derivative_of_the_estimate(small_erm):
    """d f / d theta by reverse mode through J(theta), with and without the control variates,
    against central differences of the common-random-numbers estimate (smooth in theta)."""
    theta = small_erm.net.init(1, torch.Generator().manual_seed(5))[0].numpy()
    for cv in (False, True):
        crn = ERMCommonRandomNumbers(small_erm, 2, AdamHyper(0.9, 0.99, EPS), n_samples=64, seed=4, control_variate=cv)
        h = 1e-6
        central = np.stack([(crn(theta + h * e) - crn(theta - h * e)) / (2 * h) for e in np.eye(len(theta))], axis=1)
        np.testing.assert_allclose(crn.jacobian(theta), central, rtol=1e-5, atol=1e-6 * np.abs(central).max())


def test_field_jacobian_is_finite_where_a_unit_is_saturated(small_erm):
    """A saturated tanh unit has per-sample gradients exactly 0 in its weights, so sqrt(v) = 0 there;
    the Jacobian is still the derivative of the estimate (0 in those rows), not nan."""
    theta = small_erm.net.init(1, torch.Generator().manual_seed(5))[0].numpy()
    theta[[2, 10]] = [1e3, 1e3]  # unit 2: input weight and bias, tanh' underflows to 0 at every input
    crn = ERMCommonRandomNumbers(small_erm, 2, AdamHyper(0.9, 0.99, EPS), n_samples=64, seed=4, control_variate=True)
    assert np.all(small_erm.per_sample_gradients(torch.from_numpy(theta)).numpy()[:, [2, 10]] == 0)
    h = 1e-6
    central = np.stack([(crn(theta + h * e) - crn(theta - h * e)) / (2 * h) for e in np.eye(len(theta))], axis=1)
    jacobian = crn.jacobian(theta)
    assert np.all(np.isfinite(jacobian)) and np.all(jacobian[[2, 10]] == 0)
    np.testing.assert_allclose(jacobian, central, rtol=1e-5, atol=1e-6 * np.abs(central).max())


def test_the_zeros_of_f_beside_a_minimum_set_with_noise_form_a_level_set_of_f():
    """On data no network fits (one input with labels y_0, y_0, y_0 + 1) the noise stays on the
    minimum set Z: at theta in Z, G is a multiple of grad N(theta, x_0), and f = -sign(grad N) phi(s)
    with phi the field of a scalar problem in the shift s of x_0's residual. So f vanishes where the
    network fits every other input and x_0's output moves by the zero s* of phi, at
    F - inf F = 3 s*^2 / 8 whatever the minimum: found by Gauss-Newton from two minima (trained,
    then polished), the zeros share that shift and level, where MINPACK's hybrid method, facing
    the singular Jacobian of f there, does not move."""
    from adam_ode.adam import run_adam
    from adam_ode.checks import distance_to_zero_set, polish_minimum
    from adam_ode.erm import MLP, ERMProblem, conflicting_labels, make_dataset
    from adam_ode.schedule import polynomial_schedule

    problem = ERMProblem(MLP([1, 16, 1], "tanh"), *conflicting_labels(*make_dataset(8, 1, 3, target="sine"), 1.0))
    residuals, jacobian = problem.numpy_residuals()
    trained = run_adam(problem.net.init(2, torch.Generator().manual_seed(0)),
                       problem.stochastic_gradient(2, torch.Generator().manual_seed(1)),
                       polynomial_schedule(0.02, 500, 0.6), AdamHyper(0.9, 0.9, EPS), 5000, record_steps=np.array([5000]))
    field = ERMCommonRandomNumbers(problem, 2, AdamHyper(0.9, 0.9, EPS), n_samples=400, seed=1, control_variate=True)
    shifts, levels = [], []
    for start in trained.thetas[-1].numpy():
        minimum = polish_minimum(residuals, jacobian, start, 1e-20).theta
        with pytest.raises(RuntimeError, match="no zero"):
            field_zero(field, minimum)
        zero = gauss_newton_zero(field, field.jacobian, minimum, 60)
        assert zero.relative_residual < 1e-3 and zero.evaluations <= 60
        shift = problem.net(torch.from_numpy(zero.theta), problem.x) - problem.net(torch.from_numpy(minimum), problem.x)
        shifts.append(shift[:, 0].numpy())
        levels.append(float(residuals(zero.theta) @ residuals(zero.theta)))
        assert distance_to_zero_set(residuals, jacobian, zero.theta) > 1e-3
    for shift in shifts:
        np.testing.assert_allclose(shift[1:5], 0, atol=1e-3 * abs(shift[0]))
        np.testing.assert_allclose(shift[[0, 6, 7]], shift[0], rtol=1e-9)
    assert shifts[0][0] == pytest.approx(shifts[1][0], rel=1e-3) and shifts[0][0] < 0
    assert levels[0] == pytest.approx(levels[1], rel=1e-3)
    assert levels[0] == pytest.approx(3 * shifts[0][0] ** 2 / 8, rel=1e-3)


def test_control_means_are_exact():
    """E[G^r] of a mini-batch mean by enumerating every batch; the means of (m, v, m^2, m v, v^2)
    against a long Monte Carlo run of the estimator's own sums."""
    J = np.random.default_rng(1).standard_normal((5, 3)) + np.array([0.5, 0.0, -2.0])
    batches = np.array(np.meshgrid(*[np.arange(5)] * 3, indexing="ij")).reshape(3, -1).T
    G = J[batches].mean(axis=1)
    exact = np.stack([(G**r).mean(axis=0) for r in (1, 2, 3, 4)])
    np.testing.assert_allclose(_batch_moments(torch.from_numpy(J), 3), exact, rtol=1e-12)
    hyper = AdamHyper(0.9, 0.95, EPS)
    n_terms = truncation_lengths(0.9, 0.95, 1e-6)
    blocks = list(_erm_index_sums(5, 3, hyper, *n_terms, 20000, 0))
    m, v = (a.numpy().T for a in _erm_sums(*_weights(blocks), torch.from_numpy(J)))
    controls = np.stack([m, v, m * m, m * v, v * v])
    means = control_means(torch.from_numpy(exact), hyper, *n_terms).numpy()
    z = (controls.mean(axis=1) - means) / (controls.std(axis=1) / math.sqrt(len(m)))
    assert np.abs(z).max() <= 4, z


def test_control_variates_keep_the_mean_and_shrink_the_error(small_erm):
    """The control variates (m, v, m^2, m v, v^2) agree with brute force, cut the standard error
    more than 30-fold at beta = 0.999, and at S = 400 (the default) their 95% intervals cover a
    far more precise estimate about 95% of the time (at S = 32 they do not: measured 0.66-0.69,
    the fitted coefficients then absorb part of the noise)."""
    theta = small_erm.net.init(1, torch.Generator().manual_seed(7))[0]
    J = small_erm.per_sample_gradients(theta).numpy()
    hyper = AdamHyper(0.9, 0.999, EPS)
    plain = erm_adam_field(J, 2, hyper, n_samples=400, seed=1)
    cv = erm_adam_field(J, 2, hyper, n_samples=400, seed=1, control_variate=True)
    assert np.median(plain.stderr / cv.stderr) > 30
    mean, se = brute_force_field(J, 2, 0.9, 0.999, EPS, n_samples=150, seed=2)
    assert (np.abs(cv.mean - mean) / np.hypot(cv.stderr, se)).max() <= 4
    reference = erm_adam_field(J, 2, hyper, n_samples=8000, seed=3, control_variate=True).mean
    covered = [np.abs(est.mean - reference) <= 1.96 * est.stderr
               for est in (erm_adam_field(J, 2, hyper, n_samples=400, seed=seed, control_variate=True)
                           for seed in range(10, 40))]
    assert 0.85 <= np.mean(covered) <= 0.99  # measured 0.90; near 1 the error bars would be too wide


@pytest.mark.parametrize("law, reference", [
    (NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1), "bernoulli"),
    (NoiseLaw("exponential", mean=1.0, scale=2.0), "expon"),
    (NoiseLaw("lognormal", mean=1.0, scale=1.0, shape=0.5), "lognorm"),
    (NoiseLaw("rademacher", mean=1.0, scale=1.0), "rademacher"),
])
def test_the_laws_standardised_cumulants_are_scipy_s(law, reference):
    """Skewness, excess kurtosis and the fifth cumulant (the second-order zero shift's inputs)
    from scipy.stats' exact raw moments of each law (mirrored: odd cumulants change sign)."""
    from scipy import stats

    dist = {"bernoulli": stats.bernoulli(0.1), "expon": stats.expon(), "lognorm": stats.lognorm(0.5),
            "rademacher": stats.randint(0, 2)}[reference]
    raw = [1.0] + [float(dist.moment(n)) for n in range(1, 6)]
    central = [sum(math.comb(n, j) * raw[j] * (-raw[1]) ** (n - j) for j in range(n + 1)) for n in range(6)]
    sd = math.sqrt(central[2])
    expected = (central[3] / sd**3, central[4] / sd**4 - 3, (central[5] - 10 * central[3] * central[2]) / sd**5)
    for mirrored, sign in ((False, 1), (True, -1)):
        found = dataclasses.replace(law, mirrored=mirrored)
        assert (found.skewness, found.excess_kurtosis, found.fifth_cumulant) == pytest.approx(
            (sign * expected[0], expected[1], sign * expected[2]), rel=1e-7)


def test_second_order_shift_adds_the_derived_u_squared_term():
    """C_2 = sigma / (8 M) (14 gamma_1 + 3 (g_5 - gamma_1 k_4) / M): -4 and 2.375 for the two-point
    law of F7 (sigma = 3, p = 0.1) at M = 1 and 4, 8 and 1.15625 for the exponential (sigma = 1)."""
    for law, expected in ((NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1), (-4.0, 2.375)),
                          (NoiseLaw("exponential", mean=1.0, scale=1.0), (8.0, 1.15625))):
        for m, c2 in zip((1, 4), expected):
            problem = StochasticQuadratic(law, 1, m)
            gap = problem.second_order_zero_shift(0.9, 0.99) - problem.leading_zero_shift(0.9, 0.99)
            assert gap == pytest.approx(c2 * 1e-4)


def test_a_row_s_fields_are_independent_of_each_other_and_of_another_size_s():
    """The fields of a row draw different sequences, and a config with more sequences per field draws
    other fields, not a continuation of these (so the default and the paper config are independent
    evidence): no sequence's sums recur within a row or between the two sizes."""
    from replication.quadratic_fields import quadratic_fields

    law = NoiseLaw("two_point", mean=1.0, scale=3.0, shape=0.1)
    params = {"adam": {"alpha": 0.9, "eps": EPS}, "field": {"tol": 1e-6, "control_variate": False}, "seed": 2025,
              "seeds": 3}
    small = quadratic_fields({**params, "n_samples": 64}, law, 0.9, 1, "row", 0)
    large = quadratic_fields({**params, "n_samples": 128}, law, 0.9, 1, "row", 0)
    sums = np.concatenate([field.mx[:, 0] for field in small + large])
    assert len(np.unique(sums)) == len(sums) == 3 * (64 + 128)
