"""Flows to compare Adam against, and the deviation metric of Theorem 1.5.

Time is training time t (t_n = gamma_1 + ... + gamma_n), so Adam's interpolated path
Theta_bar(t_n + s) is compared with the flow Psi_s(Theta_n) of the same field.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.integrate import solve_ivp

from .vector_field.estimate import noiseless_field

Field = Callable[[np.ndarray], np.ndarray]


def gradient_flow_field(gradient: Field) -> Field:
    """theta -> -grad F(theta)."""
    return lambda theta: -gradient(theta)


def noiseless_flow_field(gradient: Field, eps: float) -> Field:
    """theta -> -grad F / (eps + |grad F|): the Adam field when there is no noise
    (``vector_field.noiseless_field`` at grad F(theta))."""
    return lambda theta: noiseless_field(gradient(theta), eps)


def integrate_flow(field: Field, theta_0: np.ndarray, horizon: float, *, method: str = "RK45",
                   rtol: float = 1e-8, atol: float = 1e-10, jacobian: Callable[[np.ndarray], np.ndarray] | None = None):
    """Solve Psi' = field(Psi), Psi_0 = theta_0 on [0, horizon] with scipy's solve_ivp.

    ``jacobian``: theta -> d field / d theta, for the implicit methods (BDF, Radau, LSODA), which
    otherwise take it by finite differences (d + 1 field evaluations each time). Returns the
    solve_ivp result; ``.sol(s)`` is the dense solution. Raises RuntimeError if the solver fails.
    """
    if not horizon > 0:
        raise ValueError(f"horizon must be > 0, got horizon={horizon}")
    result = solve_ivp(lambda t, y: field(y), (0.0, horizon), np.asarray(theta_0, dtype=float),
                       method=method, rtol=rtol, atol=atol, dense_output=True,
                       **({} if jacobian is None else {"jac": lambda t, y: jacobian(y)}))
    if not result.success:
        raise RuntimeError(f"solve_ivp failed: {result.message}")
    return result


class PiecewiseLinearPath:
    """A path known on a grid of times, linear in between; ``sol(s)`` has shape (d, len(s))."""

    def __init__(self, times: np.ndarray, points: np.ndarray):
        self.t, self.y = times, points

    def sol(self, s):
        s = np.atleast_1d(s)
        return np.vstack([np.interp(s, self.t, column) for column in self.y.T])


def euler_flow(field: Field, theta_0: np.ndarray, horizon: float, n_steps: int) -> PiecewiseLinearPath:
    """Explicit Euler with ``n_steps`` equal steps on [0, horizon].

    For sign-like fields such as the noiseless Adam field with tiny eps, where adaptive
    solvers stall (the solution slides along {grad_i F = 0}, the field jumps across it):
    Euler's polygon stays within O(horizon / n_steps) of the sliding solution.
    """
    if not horizon > 0 or n_steps < 1:
        raise ValueError(f"need horizon > 0 and n_steps >= 1, got {horizon}, {n_steps}")
    h = horizon / n_steps
    points = np.empty((n_steps + 1, len(theta_0)))
    points[0] = theta_0
    for k in range(n_steps):
        points[k + 1] = points[k] + h * field(points[k])
    return PiecewiseLinearPath(np.linspace(0.0, horizon, n_steps + 1), points)


def deviation(times: np.ndarray, path: np.ndarray, start: int, horizon: float, flow) -> float:
    """D(n, T) = sup_{0 <= s <= T} |Theta_bar(t_n + s) - Psi_s(Theta_n)|.

    ``times`` (K,) and ``path`` (K, d) are one run's recorded training times and iterates,
    ``start`` the index of Theta_n in them, ``flow`` a dense solution started at Theta_n
    (``integrate_flow`` or ``euler_flow``). The sup is taken over the recorded points in the window and its
    end point T, where Theta_bar is interpolated linearly as in the paper; record every
    step in the window for the exact sup of the piecewise linear path.
    """
    s = np.asarray(times, dtype=float)[start:] - times[start]
    if s[-1] < horizon:
        raise ValueError(f"the recorded path covers s <= {s[-1]:.6g} < horizon T={horizon}")
    inside = s <= horizon
    ends = np.append(s[inside], horizon)
    end = PiecewiseLinearPath(s, path[start:]).sol(horizon).T
    points = np.vstack([path[start:][inside], end])
    return float(np.linalg.norm(points - flow.sol(ends).T, axis=1).max())


def flow_deviations(times: np.ndarray, path: np.ndarray, starts: list[int], horizon: float,
                    flows: dict[str, Callable[[np.ndarray], object]]) -> list[dict]:
    """D(n, T) of each named flow from each start index of one run's recorded path.

    ``flows[name](theta_n)`` returns the flow's dense solution started at theta_n. Returns
    one record per (start, flow): start index, training time t_n, flow name, deviation.
    """
    return [{"index": int(k), "time": float(times[k]), "flow": name,
             "deviation": deviation(times, path, k, horizon, solve(path[k]))}
            for k in starts for name, solve in flows.items()]
