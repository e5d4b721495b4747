import numpy as np
import pytest
from scipy.special import lambertw

from adam_ode.flow import deviation, gradient_flow_field, integrate_flow, noiseless_adam_field


def noiseless_quadratic_solution(x0, eps, t):
    """x' = -x / (eps + |x|), x0 > 0: eps log x + x = eps log x0 + x0 - t, i.e. a Lambert W."""
    return eps * np.real(lambertw((x0 / eps) * np.exp((x0 - t) / eps)))


def test_noiseless_quadratic_flow_matches_closed_form():
    mean, eps = np.array([1.0, -2.0]), 0.5
    theta_0 = mean + np.array([2.0, 0.7])
    flow = integrate_flow(noiseless_adam_field(lambda th: th - mean, eps), theta_0, horizon=5.0)
    t = np.linspace(0, 5, 41)
    exact = mean[:, None] + np.vstack([noiseless_quadratic_solution(x0, eps, t) for x0 in theta_0 - mean])
    np.testing.assert_allclose(flow.sol(t), exact, rtol=1e-6, atol=1e-8)


def test_gradient_flow_and_deviation():
    flow = integrate_flow(gradient_flow_field(lambda th: th), np.array([1.0, 2.0]), horizon=3.0)
    times = np.linspace(-1.0, 4.0, 501)
    exact = np.exp(-np.clip(times, 0, None))[:, None] * np.array([1.0, 2.0])
    start = int(np.searchsorted(times, 0.0))
    assert deviation(times, exact, start, 3.0, flow) < 1e-7
    shifted = exact + np.array([0.0, 0.01]) * (times > 1.5)[:, None]
    assert abs(deviation(times, shifted, start, 3.0, flow) - 0.01) < 1e-7
    assert deviation(times, shifted, start, 1.0, flow) < 1e-7  # the bump lies outside [0, 1]
    with pytest.raises(ValueError, match="horizon"):
        deviation(times, exact, start, 10.0, flow)
