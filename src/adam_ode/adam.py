"""Adam (Definition 1.1), batched over independent runs.

The state is plain data: R runs advance together, every tensor carries a leading run
dimension, and the update is exactly the one of ``torch.optim.Adam`` (bias-corrected
moments, eps outside the square root) with learning rate gamma_n at step n.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch

from .schedule import CHUNK, PolynomialSchedule, constant_schedule, step_sizes, training_times


@dataclass(frozen=True, eq=False)
class AdamHyper:
    """Adam's momentum parameters and eps: 0 <= alpha < sqrt(beta), 0 < beta < 1, eps > 0.
    ``alpha`` and ``beta`` may hold one value per run (arrays that broadcast), so sweeps batch."""

    alpha: float | np.ndarray
    beta: float | np.ndarray
    eps: float

    def __post_init__(self):
        for alpha, beta in np.broadcast(self.alpha, self.beta):
            if not 0.0 < beta < 1.0:
                raise ValueError(f"beta must lie in (0, 1), got beta={beta}")
            if not 0.0 <= alpha < 1.0:
                raise ValueError(f"alpha must lie in [0, 1), got alpha={alpha}")
            if not alpha < math.sqrt(beta):
                raise ValueError(
                    f"alpha must be < sqrt(beta), got alpha={alpha} >= sqrt(beta)={math.sqrt(beta):.6g}"
                )
        if not self.eps > 0.0:
            raise ValueError(f"eps must be > 0, got eps={self.eps}")


@dataclass
class AdamPath:
    """Iterates recorded at ``steps``: ``thetas[k, r]`` is Theta_{steps[k]} of run r."""

    steps: np.ndarray  # (K,)
    times: np.ndarray  # (K, R) training times t_n
    thetas: torch.Tensor  # (K, R, d)
    losses: torch.Tensor | None  # (K, R)
    diverged_at: np.ndarray  # (R,) first step with a non-finite iterate, -1 if none
    average: torch.Tensor | None = None  # (R, d) mean of Theta_n over n >= average_from

    def records(self) -> list[dict]:
        """F along training, one record per run and recorded step: run, step n, time t_n and loss."""
        losses = self.losses.numpy()
        return [{"run": run, "step": int(step), "time": float(self.times[k, run]), "loss": float(losses[k, run])}
                for run in range(losses.shape[1]) for k, step in enumerate(self.steps)]


GradientOracle = Callable[[torch.Tensor, int], torch.Tensor]

# Steps whose random draws an oracle takes in one call (``DrawnAhead``).
DRAWN_AHEAD = 64


class DrawnAhead:
    """An oracle's random draws, one step at a time, taken ``block`` steps at once.

    ``draw(steps, shape)`` returns tensors whose leading axis counts ``steps`` steps of draws for
    a batch of parameters shaped ``shape``. numpy's and torch's CPU generators fill an array in
    order, so the draws are the numbers that step-by-step calls would give, for a per-call cost
    paid once per block. The generator then runs up to ``block - 1`` steps ahead: it must serve
    nothing else, and the batch shape must not change.
    """

    def __init__(self, draw: Callable[[int, torch.Size], tuple[torch.Tensor, ...]], block: int = DRAWN_AHEAD):
        self._draw, self._block = draw, block
        self._shape: torch.Size | None = None
        self._ahead: Iterator[tuple[torch.Tensor, ...]] = iter(())

    def __call__(self, shape: torch.Size) -> tuple[torch.Tensor, ...]:
        """The next step's draws for a batch of parameters shaped ``shape``."""
        if self._shape is None:
            self._shape = shape
        elif shape != self._shape:
            raise ValueError(f"this oracle draws ahead for parameters of shape {tuple(self._shape)}, got "
                             f"{tuple(shape)}: make one oracle per batch shape")
        step = next(self._ahead, None)
        if step is None:
            self._ahead = zip(*(draws.unbind() for draws in self._draw(self._block, shape)))
            step = next(self._ahead)
        return step


def run_adam(
    theta_0: torch.Tensor,
    stochastic_gradient: GradientOracle,
    schedule: PolynomialSchedule,
    hyper: AdamHyper,
    n_steps: int,
    *,
    record_steps: np.ndarray | None = None,
    loss: Callable[[torch.Tensor], torch.Tensor] | None = None,
    progress: Callable[[int, torch.Tensor], None] | None = None,
    progress_every: int = 0,
    average_from: int | None = None,
) -> AdamPath:
    """Run R Adam trajectories for ``n_steps`` steps from ``theta_0`` of shape (R, d).

    ``stochastic_gradient(theta, n)`` returns G(Theta_{n-1}, X_n) for all runs, shape (R, d),
    and draws the noise X_n itself. ``schedule`` gives gamma_n (a scalar, or one per run);
    ``hyper``'s alpha and beta are scalars or one value per run, so sweeps batch too.
    Records Theta_n (and ``loss(Theta_n)``) at ``record_steps`` (default: every step).
    ``progress(n, Theta_n)`` is called every ``progress_every`` steps (0: never).
    With ``average_from``, ``path.average`` is the mean of Theta_n over average_from <= n <= n_steps
    (Adam's limit estimated without recording every step).
    """
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got n_steps={n_steps}")
    theta = theta_0.detach().clone()
    if theta.ndim != 2:
        raise ValueError(f"theta_0 must have shape (runs, d), got {tuple(theta.shape)}")
    runs = theta.shape[0]
    steps = np.arange(n_steps + 1) if record_steps is None else np.unique(record_steps)
    if steps[0] < 0 or steps[-1] > n_steps:
        raise ValueError(f"record_steps must lie in [0, n_steps={n_steps}]")
    if average_from is not None and not 0 <= average_from <= n_steps:
        raise ValueError(f"average_from must lie in [0, n_steps={n_steps}], got {average_from}")
    alpha, beta = (np.broadcast_to(np.asarray(x, dtype=float), runs) for x in (hyper.alpha, hyper.beta))
    # The bias corrections and training times depend on a run only through its (alpha, beta, gamma_0):
    # computed once per distinct triple, then spread to the runs (a sweep has few distinct values and
    # many runs).
    coefficients = np.stack([alpha, beta, np.broadcast_to(np.asarray(schedule.gamma_0, dtype=float).reshape(-1), runs)],
                            axis=1)
    distinct, run_of = np.unique(coefficients, axis=0, return_inverse=True)
    distinct_schedule = dataclasses.replace(schedule, gamma_0=distinct[:, 2])
    times = training_times(distinct_schedule, n_steps, steps).take(run_of, axis=1)
    one_minus_alpha, beta_t, one_minus_beta = (torch.tensor(x, dtype=theta.dtype)[:, None]
                                               for x in (1 - alpha, beta, 1 - beta))
    eps = hyper.eps

    thetas = torch.empty((len(steps), runs, theta.shape[1]), dtype=theta.dtype)
    losses = torch.empty((len(steps), runs), dtype=theta.dtype) if loss is not None else None
    diverged_at = np.full(runs, -1)
    m = torch.zeros_like(theta)
    v = torch.zeros_like(theta)
    path = AdamPath(steps, times, thetas, losses, diverged_at)
    total = torch.zeros_like(theta) if average_from is not None else None
    if average_from == 0:
        total += theta

    def record(slot: int) -> None:
        thetas[slot] = theta
        if losses is not None:
            with torch.no_grad():
                losses[slot] = loss(theta)

    slot = 0
    if steps[0] == 0:
        record(0)
        slot = 1
    for n in range(1, n_steps + 1):
        if (n - 1) % CHUNK == 0:
            # The bias corrections and step sizes of the next CHUNK steps, per run, in float64 as
            # torch.optim.Adam computes them (gamma_n / (1 - alpha^n) and sqrt(1 - beta^n)): a
            # table lookup per step instead of five tensor operations.
            ns = np.arange(n, min(n + CHUNK, n_steps + 1))[:, None]
            step_size = step_sizes(distinct_schedule, len(distinct), n, n + len(ns)) / (1 - distinct[:, 0]**ns)
            steps_ahead = zip(*(torch.from_numpy(x.take(run_of, axis=1)).to(theta.dtype)[..., None].unbind()
                                for x in (step_size, np.sqrt(1 - distinct[:, 1]**ns))))
        g = stochastic_gradient(theta, n)
        if g.requires_grad:  # an oracle built on autograd: the update takes its values, not its graph
            g = g.detach()
        step, correction = next(steps_ahead)
        # The operations of torch.optim.Adam, in its order, with per-run coefficients.
        m.lerp_(g, one_minus_alpha)
        v.mul_(beta_t).addcmul_(g * one_minus_beta, g)
        denom = (v.sqrt() / correction).add_(eps)
        theta.addcdiv_(step * m, denom, value=-1.0)
        # Non-finite entries propagate into the sum: one cheap test per step, per run only when it fails.
        if not math.isfinite(theta.sum()):
            bad = ~torch.isfinite(theta.sum(dim=1)).numpy() & (diverged_at < 0)
            diverged_at[bad] = n
        if total is not None and n >= average_from:
            total += theta
        if slot < len(steps) and steps[slot] == n:
            record(slot)
            slot += 1
        if progress is not None and progress_every and n % progress_every == 0:
            progress(n, theta)
    if total is not None:
        path.average = total / (n_steps - average_from + 1)
    return path


def stationary_means(theta_0: np.ndarray, stochastic_gradient: GradientOracle, gammas, hyper: AdamHyper, *,
                     runs: int, burn_in_steps: int, average_steps: int) -> np.ndarray:
    """Adam's stationary mean at each constant step size: ``runs`` runs per gamma from theta_0
    (one point (d,), or one start per run (runs, d)), all in one batch, each averaged over the
    ``average_steps`` steps after ``burn_in_steps``.

    Returns the per-run means, shape (len(gammas), runs, d); NaN rows for runs that diverged.
    Corollary 1.10 concerns the gamma -> 0 limit of these means (``replication.stats``
    extrapolates it).
    """
    starts = np.broadcast_to(np.asarray(theta_0, dtype=float), (runs, np.shape(theta_0)[-1]))
    theta = torch.as_tensor(np.tile(starts, (len(gammas), 1)))
    gammas = np.repeat(np.asarray(gammas, dtype=float), runs)
    n_steps = burn_in_steps + average_steps
    path = run_adam(theta, stochastic_gradient, constant_schedule(gammas), hyper, n_steps,
                    record_steps=np.array([n_steps]), average_from=burn_in_steps + 1)
    means = path.average.numpy().copy()
    means[path.diverged_at >= 0] = np.nan
    return means.reshape(-1, runs, means.shape[1])
