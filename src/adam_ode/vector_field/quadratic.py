"""The Adam field of the stochastic quadratic on fixed sequences, in closed form in theta."""

from __future__ import annotations

import numpy as np

from ..adam import AdamHyper
from ..quadratic import StochasticQuadratic
from .estimate import (CHUNK_ELEMENTS, CommonRandomNumbers, FieldEstimate, block_generators, check_samples, combine,
                       sum_weights, truncation_lengths)


class QuadraticCommonRandomNumbers(CommonRandomNumbers):
    """The field of a ``StochasticQuadratic`` on fixed sequences, in closed form in theta.
    With G_k = theta - X_k, the normalised sums are m = theta - sum_k a_k X_k and
    v = theta^2 - 2 theta sum_k b_k X_k + sum_k b_k X_k^2, so three moments per sequence
    and component are stored and every evaluation costs O(S d).
    """

    def __init__(self, problem: StochasticQuadratic, hyper: AdamHyper, *, n_samples: int, seed: int,
                 tol: float = 1e-6):
        check_samples(n_samples)
        self.problem, self.hyper = problem, hyper
        self.n_terms = k_alpha, k_beta = truncation_lengths(hyper.alpha, hyper.beta, tol)
        a, b = sum_weights(hyper.alpha, hyper.beta, k_alpha, k_beta)
        d = problem.dim
        mx, vx, vxx = [], [], []
        for rng, size in block_generators(seed, n_samples):
            length = max(1, CHUNK_ELEMENTS // (size * d * problem.batch_size))
            moments = np.zeros((3, size, d))
            for start in range(0, k_beta, length):
                stop = min(k_beta, start + length)
                x = problem.noise(rng, (stop - start, size, d))
                moments[0] += np.einsum("k,ksd->sd", a[start:min(stop, k_alpha)], x[: max(0, k_alpha - start)])
                moments[1] += np.einsum("k,ksd->sd", b[start:stop], x)
                moments[2] += np.einsum("k,ksd->sd", b[start:stop], x**2)
            mx.append(moments[0])
            vx.append(moments[1])
            vxx.append(moments[2])
        self.mx, self.vx, self.vxx = (np.concatenate(c) for c in (mx, vx, vxx))

    def estimate(self, theta) -> FieldEstimate:
        theta = np.asarray(theta, dtype=float)
        m = theta - self.mx
        v = np.maximum(theta**2 - 2 * theta * self.vx + self.vxx, 0.0)
        return combine(m, v, self.problem.second_moment(theta), self.hyper, *self.n_terms)


