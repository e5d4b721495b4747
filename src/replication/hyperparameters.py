"""Adam as a stage runs it: the ``adam`` section of its parameters (the config's), with the values
the stage varies itself (a momentum pair, a sweep of betas) put in, its step sizes, and mini-batch
Adam on an ERM problem with them."""

from __future__ import annotations

import numpy as np
import torch

from adam_ode.adam import AdamHyper, AdamPath, run_adam
from adam_ode.erm import ERMProblem
from adam_ode.schedule import PolynomialSchedule, geometric_grid, polynomial_schedule


def adam_hyper(params: dict, **varied) -> AdamHyper:
    """AdamHyper(alpha, beta, eps) from ``params["adam"]``, where ``varied`` replaces or adds keys."""
    return AdamHyper(**(params["adam"] | varied))


def stage_schedule(params: dict) -> PolynomialSchedule:
    """gamma_n from the stage's ``gamma_0``, ``n_0`` and ``rho``."""
    return polynomial_schedule(params["gamma_0"], params["n_0"], params["rho"])


def mini_batch_adam(problem: ERMProblem, theta_0: torch.Tensor, generator: torch.Generator, params: dict,
                    record_steps: np.ndarray | None = None, **options) -> AdamPath:
    """``params["steps"]`` steps of Adam from ``theta_0`` on mini-batches of ``params["batch_size"]``
    drawn by ``generator``, with the stage's step sizes and hyperparameters, F recorded at
    ``record_steps`` (by default ``params["record_points"]`` steps on a geometric grid); ``options``
    go to ``run_adam`` (progress reports)."""
    if record_steps is None:
        record_steps = geometric_grid(params["steps"], params["record_points"])
    return run_adam(theta_0, problem.stochastic_gradient(params["batch_size"], generator), stage_schedule(params),
                    adam_hyper(params), params["steps"], record_steps=record_steps, loss=problem.loss, **options)
