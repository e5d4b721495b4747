"""The Adam field of mini-batch empirical risk minimisation, exactly in distribution through count
and pair-count weights of the sampled indices, and its common-random-numbers form."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from ..adam import AdamHyper
from ..erm import ERMProblem
from .estimate import (BLOCK, CHUNK_ELEMENTS, CommonRandomNumbers, FieldEstimate, batch_of_control_means,
                       batch_of_estimates, block_generators, check_controls, check_samples, combine, control_means,
                       sequence_values, sum_weights, truncation_lengths)



# The size of one estimate's sums (d x sequences) up to which estimates_at_jacobian batches: the
# Lyapunov map's 15 settings at d = 193 run 1.2x faster in one batch at 160 sequences (31k numbers
# each), 0.6-0.7x at 640 (124k), measured with benchmarks/field.py and lyapunov_shard.
BATCH_ELEMENTS = 1 << 15


def _pair_index(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs j <= l of N sample indices, row-major: N (N + 1) / 2 of them."""
    return np.triu_indices(n)


def _pair_weights(idx: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """The pair weights p (s, N (N + 1) / 2) of sum_k b_k c_k c_k^T for the index chunk ``idx``
    (s, L, M) with weights b (L,): its upper triangle, the off-diagonal entries doubled (it is
    symmetric). By counting the M (M + 1) / 2 unordered index pairs of every batch, or, where that
    costs more (8 M (M + 1) > N^2, measured), as C^T diag(b) C with the dense counts C (s, L, N).
    Either way the same numbers."""
    size, length, batch_size = idx.shape
    upper, lower = _pair_index(n)
    if 8 * batch_size * (batch_size + 1) <= n * n:
        first, second = np.triu_indices(batch_size)
        weights = np.outer(b, np.where(first == second, 1.0, 2.0)).ravel()
        full = np.empty((size, n * n))
        # Sequence by sequence: the temporaries stay in cache and share one weight row (3x faster).
        for row, batches in enumerate(idx):
            x, y = batches[:, first], batches[:, second]
            full[row] = np.bincount((np.minimum(x, y) * n + np.maximum(x, y)).ravel(), weights=weights, minlength=n * n)
        return full.reshape(size, n, n)[:, upper, lower]
    out = torch.zeros(size, n, n, dtype=torch.float64)
    step = max(1, CHUNK_ELEMENTS // (size * n))
    for start in range(0, length, step):
        part = idx[:, start:start + step]
        flat = (np.arange(size * part.shape[1]).reshape(size, -1, 1) * n + part).ravel()
        counts = torch.from_numpy(np.bincount(flat, minlength=size * part.shape[1] * n).reshape(size, -1, n)
                                  .astype(np.float64))
        out += torch.bmm((counts * torch.from_numpy(b[start:start + step])[None, :, None]).transpose(1, 2), counts)
    full = out.numpy()
    return np.where(upper == lower, 1.0, 2.0) * full[:, upper, lower]


def _erm_index_sums(
    n: int, batch_size: int, hyper: AdamHyper, k_alpha: int, k_beta: int, n_samples: int, seed: int,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per block of sequences: count weights w (s, N) and pair-count weights p (s, N (N + 1) / 2).

    With G_k = c_k^T J / M (c_k the counts of batch k), the normalised sums are exactly
    m = w^T J and v_i = sum_{j,l} P_jl J_ji J_li = sum_{j<=l} p_jl J_ji J_li, with
    w = sum_k a_k c_k / M, P = sum_k b_k c_k c_k^T / M^2 and p its upper triangle, the
    off-diagonal entries doubled. Indices are i.i.d. uniform, with replacement.
    """
    a, b = sum_weights(hyper.alpha, hyper.beta, k_alpha, k_beta)
    a_terms = np.repeat(a / batch_size, batch_size)
    step = max(1, CHUNK_ELEMENTS // (BLOCK * batch_size**2))
    for rng, size in block_generators(seed, n_samples):
        rows = np.arange(size)[:, None]
        head = rng.integers(0, n, (size, k_alpha, batch_size))
        w = np.bincount((rows * n + head.reshape(size, -1)).ravel(), weights=np.tile(a_terms, size),
                        minlength=size * n).reshape(size, n)
        pairs = np.zeros((size, n * (n + 1) // 2))
        for start in range(0, k_beta, step):
            stop = min(k_beta, start + step)
            # The v-tail beyond K_alpha is independent of the m-sum: fresh indices.
            tail = rng.integers(0, n, (size, max(0, stop - max(start, k_alpha)), batch_size))
            idx = np.concatenate([head[:, start:min(stop, k_alpha)], tail], axis=1)
            pairs += _pair_weights(idx, b[start:stop] / batch_size**2, n)
        yield w, pairs


def _erm_sums_of(weights: list[tuple[torch.Tensor, torch.Tensor]], jac: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``_erm_sums`` for several (w, pairs) at one J: each chunk of pair products is built once and
    serves all of them, and only one chunk is ever held."""
    n, d = jac.shape[-2:]
    upper, lower = (torch.from_numpy(i) for i in _pair_index(n))
    step = max(1, CHUNK_ELEMENTS // d)
    ms = [jac.mT @ w.T for w, _ in weights]
    vs = [0.0] * len(weights)
    for start in range(0, len(upper), step):
        rows = slice(start, start + step)
        products = (jac[..., upper[rows], :] * jac[..., lower[rows], :]).mT
        vs = [v + products @ pairs[:, rows].T for v, (_, pairs) in zip(vs, weights)]
    return [(m, v.clamp_min(0.0)) for m, v in zip(ms, vs)]


def _erm_sums(w: torch.Tensor, pairs: torch.Tensor, jac: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """m = w J and v = p K, K the (N (N + 1) / 2, d) products J_j * J_l of the pairs j <= l:
    two matrix products, K built in fixed chunks of pairs (so the numbers never depend on memory).
    ``jac`` (..., N, d); m and v (..., d, S), component-major, the layout the control-variate fit
    reads. Differentiable in J."""
    return _erm_sums_of([(w, pairs)], jac)[0]


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


def _batch_moments(jac: torch.Tensor, batch_size: int) -> torch.Tensor:
    """E[G^r], r = 1..4 (..., 4, d), for G the mean of M i.i.d. uniform rows of J (..., N, d)."""
    return _moments_of_mean(_row_moments(jac), batch_size)


def _row_moments(jac: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The mean and the central moments 2, 3 and 4 (each (..., d)) of a uniform row of J."""
    mean = jac.mean(dim=-2)
    return (mean, *(((jac - mean[..., None, :]) ** r).mean(dim=-2) for r in (2, 3, 4)))


def _moments_of_mean(row_moments: tuple[torch.Tensor, ...], batch_size: int) -> torch.Tensor:
    """``_batch_moments`` from ``_row_moments``: the cumulants of the mean of M rows are
    kappa_r / M^(r-1), those of one row from its central moments."""
    mean, c2, c3, c4 = row_moments
    k1, k2, k3, k4 = mean, c2 / batch_size, c3 / batch_size**2, (c4 - 3 * c2**2) / batch_size**3
    return torch.stack([k1, k2 + k1**2, k3 + 3 * k2 * k1 + k1**3,
                        k4 + 4 * k3 * k1 + 3 * k2**2 + 6 * k2 * k1**2 + k1**4], dim=-2)


def _estimate(w, pairs, jac: torch.Tensor, batch_size: int, hyper: AdamHyper, n_terms, control_variate: bool):
    m, v = _erm_sums(w, pairs, jac)
    raw = _batch_moments(jac, batch_size)
    return combine(m.mT, v.mT, raw[1], hyper, *n_terms, control_means(raw, hyper, *n_terms) if control_variate else None)


def _weights(blocks) -> tuple[torch.Tensor, torch.Tensor]:
    """w (S, N) and the pair weights (S, N (N + 1) / 2) of ``_erm_index_sums``' blocks."""
    return tuple(torch.from_numpy(np.concatenate(parts)) for parts in zip(*blocks))


def erm_adam_field(
    J, batch_size: int, hyper: AdamHyper, *, n_samples: int, seed: int,
    tol: float = 1e-6, control_variate: bool = False,
) -> FieldEstimate:
    """Estimate f(theta) for ERM with mini-batches of size M = ``batch_size``.

    ``J`` is the (N, d) matrix of per-sample gradients grad l_j(theta). Exact in
    distribution: the same value per sequence as the plain estimator, computed through
    count and pair-count weights (see ``_erm_index_sums``), streamed block by block.
    ``control_variate``: the control variates (m, v, m^2, m v, v^2) with their exact means
    (``estimate.combine``; the moments of G from J).
    """
    jac = _as_jacobian(J)
    check_samples(n_samples)
    _check_batch_size(batch_size)
    check_controls(n_samples, control_variate)
    n_terms = truncation_lengths(hyper.alpha, hyper.beta, tol)
    blocks = list(_erm_index_sums(jac.shape[0], batch_size, hyper, *n_terms, n_samples, seed))
    return _estimate(*_weights(blocks), jac, batch_size, hyper, n_terms, control_variate)


class ERMCommonRandomNumbers(CommonRandomNumbers):
    """The ERM field estimator with its index sequences drawn once, for reuse at many theta.
    Holds w (S, N) and the pair weights (S, N (N + 1) / 2): memory 4 S N^2 bytes.
    ``estimate(theta)`` then costs the per-sample gradients and S N^2 d / 2 multiply-adds, with no
    new randomness. ``control_variate`` as in ``erm_adam_field``; the fitted coefficients are
    smooth in J, so theta -> estimate stays smooth.
    """

    def __init__(self, problem: ERMProblem, batch_size: int, hyper: AdamHyper, *, n_samples: int, seed: int,
                 tol: float = 1e-6, control_variate: bool = False):
        check_samples(n_samples)
        _check_batch_size(batch_size)
        check_controls(n_samples, control_variate)
        self.problem, self.batch_size, self.hyper = problem, batch_size, hyper
        self.control_variate = control_variate
        self.n_terms = truncation_lengths(hyper.alpha, hyper.beta, tol)
        blocks = list(_erm_index_sums(problem.n, batch_size, hyper, *self.n_terms, n_samples, seed))
        self.w, self.pairs = _weights(blocks)

    def estimate(self, theta) -> FieldEstimate:
        return self.at_jacobian(self.problem.per_sample_gradients(torch.as_tensor(theta, dtype=torch.float64)))

    def at_jacobian(self, J) -> FieldEstimate:
        """The estimate at the theta whose per-sample gradients are ``J`` (N, d), for callers that
        already hold them."""
        return _estimate(self.w, self.pairs, _as_jacobian(J), self.batch_size, self.hyper, self.n_terms,
                         self.control_variate)

    def mean_at(self, J: torch.Tensor) -> torch.Tensor:
        """The estimate's mean at per-sample gradients ``J`` (..., N, d), as a torch function of J
        that autograd and torch.func differentiate exactly (``at_jacobian``'s mean, to rounding)."""
        m, v = _erm_sums(self.w, self.pairs, J)
        raw = _batch_moments(J, self.batch_size)
        means = control_means(raw, self.hyper, *self.n_terms) if self.control_variate else None
        return sequence_values(m, v, self.hyper, means).mean(dim=-1)

    def jacobian(self, theta) -> np.ndarray:
        """d f / d theta (d, d) of the mean, exact, for implicit ODE solvers. Component i of the
        estimate depends on theta only through column i of J (the sums, the moments of G and the
        control-variate fit are all per component), so one reverse pass gives every
        a_ji = d f_i / d J_ji, and d f_i / d theta_k = sum_j a_ji d J_ji / d theta_k, the latter
        the per-sample Hessians by forward mode: about the cost of three estimates, against
        d + 1 for finite differences."""
        theta = torch.as_tensor(theta, dtype=torch.float64)
        J = self.problem.per_sample_gradients(theta).requires_grad_()
        (a,) = torch.autograd.grad(self.mean_at(J).sum(), J)
        hessians = torch.func.jacfwd(self.problem.per_sample_gradients)(theta)  # (N, d, d)
        return torch.einsum("ji,jik->ik", a, hessians).numpy()


def estimates_at_jacobian(estimators: list[ERMCommonRandomNumbers], J) -> list[FieldEstimate]:
    """``[estimator.at_jacobian(J) for estimator in estimators]``, the same numbers, for estimators of
    one number of sequences and one eps: the pair products of J and the moments of its rows built
    once, and every control mean and control-variate fit in one batch. At a few hundred sequences
    torch's cost per operation, not the arithmetic, dominates an estimate, and one batch pays it once. Where
    an estimate's sums hold more than ``BATCH_ELEMENTS`` numbers (d x sequences), the batch's
    temporaries leave the cache, and the estimates are made one by one."""
    jac = _as_jacobian(J)
    kinds = sorted({(len(e.w), e.hyper.eps, e.control_variate) for e in estimators})
    if len(kinds) > 1:
        raise ValueError(f"estimates_at_jacobian needs one number of sequences, one eps and one control-variate "
                         f"setting, got (n_samples, eps, control_variate) = {kinds}")
    if jac.shape[1] * kinds[0][0] > BATCH_ELEMENTS:
        return [e.at_jacobian(jac) for e in estimators]
    m, v = (torch.stack(sums) for sums in zip(*_erm_sums_of([(e.w, e.pairs) for e in estimators], jac)))
    rows = _row_moments(jac)
    moments = {size: _moments_of_mean(rows, size) for size in sorted({e.batch_size for e in estimators})}
    raw = [moments[e.batch_size] for e in estimators]
    hypers, n_terms = [e.hyper for e in estimators], [e.n_terms for e in estimators]
    means = batch_of_control_means(torch.stack(raw), hypers, n_terms) if kinds[0][2] else None
    return batch_of_estimates(m, v, [r[1] for r in raw], hypers, n_terms, means)
