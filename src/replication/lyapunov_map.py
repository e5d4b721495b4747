"""What the lyapunov_pl stage measures at each sampled point near the minimum set."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from adam_ode.checks import lyapunov_derivative, noise_ratio, pl_ratio
from adam_ode.erm import ERMProblem
from adam_ode.vector_field.erm import estimates_at_jacobian


def measure_points(problem: ERMProblem, estimators: dict, thetas: np.ndarray,
                   estimate: Callable = estimates_at_jacobian) -> list[dict]:
    """Per point of ``thetas`` (P, d) and per key (alpha, beta, M) of ``estimators``: grad F . f, its
    standard error and the normalised derivative grad F . f / (|grad F| |f|); and the PL ratio and
    the noise ratio of inequality (17) at M. ``estimate(estimators, J)`` gives every estimator's
    FieldEstimate at the per-sample gradients J, by default in one batch (``estimates_at_jacobian``)."""
    out = []
    for theta, J in zip(thetas, problem.per_sample_gradients(torch.from_numpy(thetas))):
        g = J.mean(dim=0).numpy()
        gnorm = float(np.linalg.norm(g))
        r = problem.excess_residuals(torch.from_numpy(theta))
        excess = float(r @ r)  # F - inf F, without the cancellation of F - loss_floor on conflicting data
        common = {"loss": excess + problem.loss_floor, "grad_norm": gnorm,
                  "pl_ratio": pl_ratio(g, excess) if excess > 0 else np.nan}
        noise = {m: noise_ratio(J.numpy(), m) if gnorm > 0 else np.nan for m in {key[2] for key in estimators}}
        at = {}
        for (alpha, beta, m), est in zip(estimators, estimate(list(estimators.values()), J)):
            deriv, se = lyapunov_derivative(g, est)
            fnorm = float(np.linalg.norm(est.mean))
            at[alpha, beta, m] = {**common, "derivative": deriv, "derivative_se": se,
                                  "derivative_n": len(est.samples), "noise_ratio": noise[m],
                                  "normalised": deriv / (gnorm * fnorm) if gnorm * fnorm > 0 else 0.0}
        out.append(at)
    return out
