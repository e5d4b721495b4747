"""Step-size schedules and training time (Remark 1.6), without torch: the config's validation
uses them to check that windows fit inside runs before any job starts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PolynomialSchedule:
    """gamma_n = gamma_0 * (1 + n / n_0)^(-rho) for n >= 1; rho = 0 is the constant schedule.

    ``gamma_0`` may be a vector: one scale per run.
    """

    gamma_0: float | np.ndarray
    n_0: float = 1.0
    rho: float = 0.0

    def __post_init__(self):
        g = np.asarray(self.gamma_0, dtype=float)
        if g.size == 0 or not np.all(np.isfinite(g)) or not np.all(g > 0):
            raise ValueError(f"gamma_0 must be finite and > 0, got gamma_0={self.gamma_0}")
        if not self.n_0 > 0:
            raise ValueError(f"n_0 must be > 0, got n_0={self.n_0}")
        if not 0.0 <= self.rho <= 1.0:
            raise ValueError(f"rho must lie in [0, 1] (0: constant), got rho={self.rho}")

    def __call__(self, n: np.ndarray | int) -> np.ndarray:
        """Step sizes at steps n (broadcast against the runs' gamma_0)."""
        n = np.asarray(n, dtype=float)
        g0 = np.asarray(self.gamma_0, dtype=float)
        return np.multiply.outer(1.0 + n / self.n_0, np.ones_like(g0)) ** (-self.rho) * g0


def constant_schedule(gamma: float | np.ndarray) -> PolynomialSchedule:
    return PolynomialSchedule(gamma, n_0=1.0, rho=0.0)


def polynomial_schedule(gamma_0: float | np.ndarray, n_0: float, rho: float) -> PolynomialSchedule:
    """The decaying schedule of Remark 1.6; rho must lie in (0, 1]."""
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"rho must lie in (0, 1] for a decaying schedule, got rho={rho}")
    return PolynomialSchedule(gamma_0, n_0=n_0, rho=rho)


# Steps whose step sizes are held at once: a 1e6-step schedule of 224 runs would take 1.8 GB whole.
CHUNK = 4096


def step_sizes(schedule: PolynomialSchedule, runs: int, start: int, stop: int) -> np.ndarray:
    """gamma_n for n = start..stop-1, broadcast to every run: shape (stop - start, runs)."""
    n = np.arange(start, stop)
    return np.broadcast_to(schedule(n).reshape(len(n), -1), (len(n), runs))


def training_times(schedule: PolynomialSchedule, n_steps: int, steps: np.ndarray | None = None) -> np.ndarray:
    """t_n = gamma_1 + ... + gamma_n (t_0 = 0) at ``steps`` (sorted, in 0..n_steps; default all);
    shape (len(steps),) + the shape of gamma_0. Summed in order, a chunk of steps at a time, so
    memory grows with len(steps), not with n_steps."""
    g0 = np.asarray(schedule.gamma_0, dtype=float)
    steps = np.arange(n_steps + 1) if steps is None else np.asarray(steps)
    out = np.empty((len(steps), g0.size))
    total = np.zeros(g0.size)
    out[steps == 0] = total
    for start in range(1, n_steps + 1, CHUNK):
        stop = min(start + CHUNK, n_steps + 1)
        with np.errstate(over="ignore"):  # absurd step sizes give infinite training time
            running = np.cumsum(np.concatenate([total[None], step_sizes(schedule, g0.size, start, stop)]), axis=0)
        low, high = np.searchsorted(steps, [start, stop])
        out[low:high] = running[steps[low:high] - start + 1]
        total = running[-1]
    return out.reshape((len(steps),) + g0.shape)


def window_end(times: np.ndarray, n: int, horizon: float) -> int:
    """The first step m with t_m >= t_n + horizon, so that steps n..m cover the flow window
    [t_n, t_n + horizon] of training times ``times`` (t_0, t_1, ...). Raises ValueError when the
    window runs past the last step."""
    end = int(np.searchsorted(times, times[n] + horizon))
    if end == len(times):
        raise ValueError(f"the window [t_n, t_n + {horizon:g}] from step n = {n} runs past the last step "
                         f"(t = {times[-1]:.4g} there)")
    return end


def geometric_grid(n_steps: int, n_points: int) -> np.ndarray:
    """Distinct integer steps 0, ..., n_steps spaced roughly geometrically."""
    grid = np.unique(np.round(np.geomspace(1, n_steps, max(n_points - 1, 1))).astype(int))
    return np.concatenate([[0], grid])
