import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from adam_ode.adam import AdamHyper
from adam_ode.checks import (distance_to_zero_set, lyapunov_derivative, noise_ratio, pl_ratio, polish_minimum, sphere_points,
                             worst_direction)
from adam_ode.erm import ERMProblem, MLP, make_dataset
from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from adam_ode.vector_field.quadratic import QuadraticCommonRandomNumbers


def test_pl_ratio_and_lyapunov_derivative_on_quadratics():
    # Noiseless: F = |theta - mu|^2 / 2, so |grad F|^2 / F = 2 and grad F . f = -sum g_i^2/(eps+|g_i|).
    mu, eps = np.array([1.0, -1.0, 0.5]), 1e-3
    quad = StochasticQuadratic(NoiseLaw("normal", mean=0.0, scale=0.0), dim=3)
    theta = mu + np.array([0.2, -1.5, 3.0])
    g = theta - mu
    assert pl_ratio(g, 0.5 * g @ g) == pytest.approx(2.0, rel=1e-15)
    crn = QuadraticCommonRandomNumbers(quad, AdamHyper(0.9, 0.999, eps), n_samples=4, seed=0)
    value, se = lyapunov_derivative(g, crn.estimate(g))
    assert value == pytest.approx(-(g**2 / (eps + np.abs(g))).sum(), rel=1e-12) and se == 0

    # Noisy: F = |theta - mu|^2/2 + d sigma^2/2 and the derivative is negative far from mu.
    noisy = StochasticQuadratic(NoiseLaw("normal", mean=0.0, scale=0.5), dim=3)
    theta = np.array([3.0, -2.0, 4.0])
    assert pl_ratio(noisy.gradient(theta), noisy.loss(theta)) == pytest.approx(
        (theta**2).sum() / (0.5 * (theta**2).sum() + 1.5 * 0.25))
    value, se = lyapunov_derivative(noisy.gradient(theta), QuadraticCommonRandomNumbers(
        noisy, AdamHyper(0.9, 0.999, 1e-8), n_samples=500, seed=1).estimate(theta))
    assert value + 4 * se < 0 < se


def test_polish_reaches_the_minimum_set_of_an_overparametrized_net():
    x, y = make_dataset(5, 1, seed=0, target="sine")
    problem = ERMProblem(MLP((1, 10, 1), "tanh"), x, y)
    f, _ = problem.numpy_functions()
    r, dr = problem.numpy_residuals()
    theta_0 = problem.net.init(1, torch.Generator().manual_seed(0))[0].numpy()
    result = polish_minimum(r, dr, theta_0, tol=1e-20)
    assert result.converged and result.excess <= 1e-20 and f(result.theta) <= 1e-20 and f(theta_0) > 1e-2
    # Where L-BFGS on F stalls (at ~1e-12 for the paper config's 1-64-1 network on 16 points).
    x, y = make_dataset(16, 1, seed=0, target="teacher")
    problem = ERMProblem(MLP((1, 64, 1), "tanh"), x, y)
    r, dr = problem.numpy_residuals()
    theta_0 = problem.net.init(1, torch.Generator().manual_seed(0))[0].numpy()
    assert polish_minimum(r, dr, theta_0, tol=1e-20).converged


def test_distance_to_the_zero_set_is_the_normal_offset():
    """Exact for linear residuals (the zero set an affine subspace); to first order at a minimum of
    an overparametrized net, moving along the normal direction J^+ e by t is at distance t."""
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((3, 7)), rng.standard_normal(3)
    on_set = np.linalg.lstsq(A, b, rcond=None)[0] + (np.eye(7) - np.linalg.pinv(A) @ A) @ rng.standard_normal(7)
    normal = np.linalg.pinv(A) @ rng.standard_normal(3)
    normal /= np.linalg.norm(normal)
    assert distance_to_zero_set(lambda t: A @ t - b, lambda t: A, on_set + 0.3 * normal) == pytest.approx(0.3)
    x, y = make_dataset(5, 1, seed=0, target="sine")
    problem = ERMProblem(MLP((1, 10, 1), "tanh"), x, y)
    r, dr = problem.numpy_residuals()
    theta = polish_minimum(r, dr, problem.net.init(1, torch.Generator().manual_seed(0))[0].numpy(), 1e-20).theta
    normal = np.linalg.pinv(dr(theta)) @ np.array([1.0, -2.0, 0.5, 0.0, 1.0])
    normal /= np.linalg.norm(normal)
    assert distance_to_zero_set(r, dr, theta) < 1e-9
    assert distance_to_zero_set(r, dr, theta + 1e-4 * normal) == pytest.approx(1e-4, rel=1e-3)


POLISH_IN_A_FRESH_PROCESS = """
import hashlib, torch
from adam_ode.checks import polish_minimum
from adam_ode.erm import MLP, ERMProblem, make_dataset
from replication.store import seed_for
digest = hashlib.sha256()
for k in range(3):  # the tiny config's gamma_limit data sets and starts
    x, y = make_dataset(5, 1, seed_for(2025, "gamma_limit", "data", k), target="sine")
    problem = ERMProblem(MLP((1, 1, 1), "tanh"), x, y)
    r, dr = problem.numpy_residuals()
    for theta in problem.net.init(4, torch.Generator().manual_seed(seed_for(2025, "gamma_limit", "init", k))).numpy():
        digest.update(polish_minimum(r, dr, theta, 0.0, max_iter=20000).theta.tobytes())
print(digest.hexdigest())
"""


def test_polish_gives_the_same_bits_in_every_process():
    """The critical points of underparametrized nets (gamma_limit's) come out bit for bit the same
    in fresh processes (why the polish is not MINPACK's Levenberg-Marquardt: ``polish_minimum``)."""
    def run(_):
        return subprocess.run([sys.executable, "-c", POLISH_IN_A_FRESH_PROCESS], capture_output=True, text=True,
                              check=True).stdout

    with ThreadPoolExecutor(2) as pool:
        digests = set(pool.map(run, range(12)))
    assert len(digests) == 1, digests


def test_sphere_points():
    center = np.arange(6.0)
    pts = sphere_points(center, [1e-3, 0.1], 32, np.random.default_rng(0))
    assert pts.shape == (2, 32, 6)
    np.testing.assert_allclose(np.linalg.norm(pts - center, axis=2), [[1e-3] * 32, [0.1] * 32])
    np.testing.assert_allclose((pts[1] - center) / 0.1, (pts[0] - center) / 1e-3)
    with pytest.raises(ValueError, match="radii"):
        sphere_points(center, [], 4, np.random.default_rng(0))


def test_noise_ratio_is_the_exact_mini_batch_second_moment():
    """Against brute force: every ordered M-tuple of indices (with replacement) is equally likely."""
    rng = np.random.default_rng(0)
    jac = rng.standard_normal((4, 3)) + 0.5
    for m in (1, 2, 3):
        tuples = np.array(np.meshgrid(*[range(4)] * m)).reshape(m, -1).T
        g = jac[tuples].mean(axis=1)
        brute = (g**2).sum(axis=1).mean() / (jac.mean(axis=0) ** 2).sum()
        assert noise_ratio(jac, m) == pytest.approx(brute, rel=1e-12)
    assert noise_ratio(np.ones((5, 2)), 3) == pytest.approx(1.0)  # no noise: C = 1
    with pytest.raises(ValueError, match="grad F"):
        noise_ratio(np.array([[1.0], [-1.0]]), 1)


def test_worst_direction_finds_the_top_eigenvector_of_a_quadratic_form():
    """max over the unit sphere of u^T A u is A's largest eigenvalue (numpy.linalg.eigh)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 6))
    a = a + a.T
    values, vectors = np.linalg.eigh(a)
    form = torch.from_numpy(a)
    u = worst_direction(lambda v: v @ form @ v, rng.standard_normal(6), steps=50)
    assert np.linalg.norm(u) == pytest.approx(1.0)
    assert u @ a @ u == pytest.approx(values[-1], rel=1e-6)
    assert abs(u @ vectors[:, -1]) == pytest.approx(1.0, abs=1e-4)
    start = rng.standard_normal(6)
    start /= np.linalg.norm(start)
    one_step = worst_direction(lambda v: v @ form @ v, start, steps=1)
    assert one_step @ a @ one_step >= start @ a @ start  # never worse than where it started
