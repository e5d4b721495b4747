"""The Adam field for any noise, from i.i.d. draws of G(theta, X) (Definition 1.3 directly)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..adam import AdamHyper
from .estimate import CHUNK_ELEMENTS, FieldEstimate, block_generators, check_samples, combine, sum_weights, truncation_lengths


def adam_field(
    sample_gradients: Callable[[np.random.Generator, int], np.ndarray],
    hyper: AdamHyper,
    *,
    n_samples: int,
    seed: int,
    tol: float = 1e-6,
) -> FieldEstimate:
    """Estimate f for any noise from S = ``n_samples`` i.i.d. sequences.

    ``sample_gradients(rng, n)`` must return n i.i.d. draws of G(theta, X) as an (n, d)
    array, using the ``numpy.random.Generator`` it is given as its only randomness. With
    the same seed, two calls reuse the same random numbers (common random numbers) as
    long as the sampler consumes them the same way at every theta.
    E[G^2] in the bias bound is estimated from the draws.
    """
    check_samples(n_samples)
    k_alpha, k_beta = truncation_lengths(hyper.alpha, hyper.beta, tol)
    a, b = sum_weights(hyper.alpha, hyper.beta, k_alpha, k_beta)
    # The dimension, from a throwaway generator, so that chunk sizes depend on d alone.
    d = np.asarray(sample_gradients(np.random.default_rng(0), 1)).shape[1]
    ms, vs = [], []
    square_sum, count = 0.0, 0
    for rng, size in block_generators(seed, n_samples):
        m = v = 0.0
        length = max(1, CHUNK_ELEMENTS // (size * d))
        for start in range(0, k_beta, length):
            stop = min(k_beta, start + length)
            draws = np.asarray(sample_gradients(rng, size * (stop - start)), dtype=float)
            if not np.all(np.isfinite(draws)):
                raise ValueError("sample_gradients returned non-finite values")
            g = draws.reshape(stop - start, size, d)
            m = m + np.einsum("k,ksd->sd", a[start:stop], g[: max(0, k_alpha - start)])
            v = v + np.einsum("k,ksd->sd", b[start:stop], g**2)
            square_sum = square_sum + (g**2).sum(axis=(0, 1))
            count += g.shape[0] * size
        ms.append(m)
        vs.append(v)
    return combine(
        np.concatenate(ms), np.concatenate(vs), square_sum / count, hyper, k_alpha, k_beta
    )


