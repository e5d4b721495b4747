"""The Adam field of the stochastic quadratic on fixed sequences, in closed form in theta."""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import brentq

from ..adam import AdamHyper
from ..quadratic import StochasticQuadratic
from .estimate import (CHUNK_ELEMENTS, CommonRandomNumbers, FieldEstimate, block_generators, check_controls,
                       check_samples, combine, control_means, sum_weights, truncation_lengths)


class QuadraticCommonRandomNumbers(CommonRandomNumbers):
    """The field of a ``StochasticQuadratic`` on fixed sequences, in closed form in theta.
    With G_k = theta - X_k, the normalised sums are m = theta - sum_k a_k X_k and
    v = theta^2 - 2 theta sum_k b_k X_k + sum_k b_k X_k^2, so three moments per sequence
    and component are stored and every evaluation costs O(S d). The batch means X_k are drawn
    directly (``NoiseLaw.standardized``), so the cost does not grow with M.

    ``control_variate``: the control variates (m, v, m^2, m v, v^2) with their exact means from
    the first four moments of G (``estimate.combine``), as the ERM estimator has them.
    """

    def __init__(self, problem: StochasticQuadratic, hyper: AdamHyper, *, n_samples: int, seed: int,
                 tol: float = 1e-6, control_variate: bool = False):
        check_samples(n_samples)
        check_controls(n_samples, control_variate)
        self.problem, self.hyper, self.control_variate = problem, hyper, control_variate
        self.n_terms = k_alpha, k_beta = truncation_lengths(hyper.alpha, hyper.beta, tol)
        a, b = sum_weights(hyper.alpha, hyper.beta, k_alpha, k_beta)
        d = problem.dim
        blocks = []
        for rng, size in block_generators(seed, n_samples):
            length = max(1, CHUNK_ELEMENTS // (size * d))
            moments = np.zeros((3, size, d))
            for start in range(0, k_beta, length):
                stop = min(k_beta, start + length)
                x = problem.noise(rng, (stop - start, size, d))
                moments[0] += np.einsum("k,ksd->sd", a[start:min(stop, k_alpha)], x[: max(0, k_alpha - start)])
                moments[1] += np.einsum("k,ksd->sd", b[start:stop], x)
                moments[2] += np.einsum("k,ksd->sd", b[start:stop], x**2)
            blocks.append(moments)
        self.mx, self.vx, self.vxx = np.concatenate(blocks, axis=1)

    def estimate(self, theta) -> FieldEstimate:
        theta = np.asarray(theta, dtype=float)
        m = theta - self.mx
        v = np.maximum(theta**2 - 2 * theta * self.vx + self.vxx, 0.0)
        raw = self.problem.gradient_moments(theta)
        means = control_means(torch.from_numpy(raw), self.hyper, *self.n_terms) if self.control_variate else None
        return combine(m, v, raw[1], self.hyper, *self.n_terms, means)

    def zero(self, xtol: float = 1e-13) -> float:
        """The zero of the 1-D field by Brent's method, bracketed by E[X] -+ (10 scale + 1), where
        the field is far from 0 (it is -sign(theta - E[X]) up to the noise's pull)."""
        if self.problem.dim != 1:
            raise ValueError(f"zero() finds the zero of a 1-D field, got dim={self.problem.dim}")
        law = self.problem.law
        half_width = 10 * law.scale + 1
        return brentq(lambda t: self([t])[0], law.mean - half_width, law.mean + half_width, xtol=xtol)
