"""The Adam field of mini-batch empirical risk minimisation, exactly in distribution through count
and pair-count weights of the sampled indices, and its common-random-numbers form."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from ..adam import AdamHyper
from ..erm import ERMProblem
from .estimate import (BLOCK, CHUNK_ELEMENTS, CommonRandomNumbers, FieldEstimate, block_generators, check_samples,
                       combine, sum_weights, truncation_lengths)

# Default bytes for the (sequences, N, d) temporary of the ERM estimators.
MEMORY_BUDGET = 256 * 2**20


def _erm_index_sums(
    n: int, batch_size: int, hyper: AdamHyper, k_alpha: int, k_beta: int, n_samples: int, seed: int,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per block of sequences: count weights w (s, N) and pair-count weights P (s, N, N).

    With G_k = c_k^T J / M (c_k the counts of batch k), the normalised sums are exactly
    m = w^T J and v_i = sum_{j,l} P_jl J_ji J_li, with w = sum_k a_k c_k / M and
    P = sum_k b_k c_k c_k^T / M^2. Indices are i.i.d. uniform, with replacement.
    """
    a, b = sum_weights(hyper.alpha, hyper.beta, k_alpha, k_beta)
    a_terms = np.repeat(a / batch_size, batch_size)
    step = max(1, CHUNK_ELEMENTS // (BLOCK * batch_size**2))
    for rng, size in block_generators(seed, n_samples):
        rows = np.arange(size)[:, None]
        head = rng.integers(0, n, (size, k_alpha, batch_size))
        w = np.zeros((size, n))
        np.add.at(w, (rows, head.reshape(size, -1)), a_terms[None, :])
        pairs = np.zeros(size * n * n)
        for start in range(0, k_beta, step):
            stop = min(k_beta, start + step)
            # The v-tail beyond K_alpha is independent of the m-sum: fresh indices.
            tail = rng.integers(0, n, (size, max(0, stop - max(start, k_alpha)), batch_size))
            idx = np.concatenate([head[:, start:k_alpha], tail], axis=1)
            flat = rows[:, :, None, None] * n * n + idx[..., :, None] * n + idx[..., None, :]
            weights = np.broadcast_to(
                np.repeat(b[start:stop] / batch_size**2, batch_size**2), (size, flat[0].size)
            )
            pairs += np.bincount(flat.ravel(), weights=weights.ravel(), minlength=pairs.size)
        yield w, pairs.reshape(size, n, n)


def _erm_sums(w: np.ndarray, pairs: np.ndarray, jac: torch.Tensor,
              memory_budget: int) -> tuple[np.ndarray, np.ndarray]:
    """m = w J and v_i = sum_jl P_jl J_ji J_li per sequence, in chunks of sequences whose
    (chunk, N, d) temporary fits in ``memory_budget`` bytes."""
    n, d = jac.shape
    chunk = max(1, memory_budget // (8 * n * d))
    m = torch.from_numpy(w) @ jac
    v = torch.empty_like(m)
    for start in range(0, len(pairs), chunk):
        p_t = torch.from_numpy(pairs[start : start + chunk])
        v[start : start + chunk] = (jac[None] * torch.matmul(p_t, jac)).sum(dim=1)
    return m.numpy(), v.clamp_min(0.0).numpy()


def _as_jacobian(jac) -> torch.Tensor:
    jac = torch.as_tensor(jac, dtype=torch.float64)
    if jac.ndim != 2:
        raise ValueError(f"J must have shape (N, d), got {tuple(jac.shape)}")
    if not torch.isfinite(jac).all():
        raise ValueError("J must be finite, got non-finite entries")
    return jac


def _check_batch_size(batch_size) -> None:
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got batch_size={batch_size}")


def _erm_second_moment(jac: torch.Tensor, batch_size: int) -> np.ndarray:
    """E[G^2] for the mini-batch mean of M i.i.d. uniform rows of J."""
    mean = jac.mean(dim=0)
    return (mean**2 + (jac.pow(2).mean(dim=0) - mean**2) / batch_size).numpy()


def erm_adam_field(
    J, batch_size: int, hyper: AdamHyper, *, n_samples: int, seed: int,
    tol: float = 1e-6, memory_budget: int = MEMORY_BUDGET, control_variate: bool = False,
) -> FieldEstimate:
    """Estimate f(theta) for ERM with mini-batches of size M = ``batch_size``.

    ``J`` is the (N, d) matrix of per-sample gradients grad l_j(theta). Exact in
    distribution: the same value per sequence as the plain estimator, computed through
    count and pair-count weights (see ``_erm_index_sums``), streamed block by block;
    temporaries are chunked to ``memory_budget`` bytes, which does not change the result.
    ``control_variate``: subtract c (m - E[G]) with E[G] = mean of the rows of J (``_estimate``).
    """
    jac = _as_jacobian(J)
    check_samples(n_samples)
    _check_batch_size(batch_size)
    k_alpha, k_beta = truncation_lengths(hyper.alpha, hyper.beta, tol)
    sums = [
        _erm_sums(w, p, jac, memory_budget)
        for w, p in _erm_index_sums(jac.shape[0], batch_size, hyper, k_alpha, k_beta, n_samples, seed)
    ]
    return combine(
        np.concatenate([s[0] for s in sums]), np.concatenate([s[1] for s in sums]),
        _erm_second_moment(jac, batch_size), hyper, k_alpha, k_beta,
        jac.mean(dim=0).numpy() if control_variate else None,
    )


class ERMCommonRandomNumbers(CommonRandomNumbers):
    """The ERM field estimator with its index sequences drawn once, for reuse at many theta.
    Holds w (S, N) and P (S, N, N): memory 8 S N^2 bytes. ``estimate(theta)`` then costs the
    per-sample gradients and S N^2 d operations, with no new randomness. ``control_variate`` as
    in ``erm_adam_field``; the fitted coefficients are smooth in J, so theta -> estimate stays
    smooth.
    """

    def __init__(self, problem: ERMProblem, batch_size: int, hyper: AdamHyper, *, n_samples: int, seed: int,
                 tol: float = 1e-6, memory_budget: int = MEMORY_BUDGET, control_variate: bool = False):
        check_samples(n_samples)
        _check_batch_size(batch_size)
        self.problem, self.batch_size, self.hyper = problem, batch_size, hyper
        self.memory_budget, self.control_variate = memory_budget, control_variate
        self.n_terms = truncation_lengths(hyper.alpha, hyper.beta, tol)
        blocks = list(_erm_index_sums(problem.n, batch_size, hyper, *self.n_terms, n_samples, seed))
        self.w = np.concatenate([w for w, _ in blocks])
        self.pairs = np.concatenate([p for _, p in blocks])

    def estimate(self, theta) -> FieldEstimate:
        jac = _as_jacobian(self.problem.per_sample_gradients(torch.as_tensor(theta, dtype=torch.float64)))
        m, v = _erm_sums(self.w, self.pairs, jac, self.memory_budget)
        return combine(m, v, _erm_second_moment(jac, self.batch_size), self.hyper, *self.n_terms,
                         jac.mean(dim=0).numpy() if self.control_variate else None)


