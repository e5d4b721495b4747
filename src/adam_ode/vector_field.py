"""Monte Carlo estimators of the Adam vector field (Definition 1.3; docs/mathematics.md, sections 2 and 5).

    f(theta) = - E[ (1-alpha) sum_k alpha^k G_k / (eps + sqrt((1-beta) sum_k beta^k G_k^2)) ]

with G_k = G(theta, X_k) for one i.i.d. sequence X_0, X_1, ... feeding both sums.

Truncation. The m-sum keeps K_alpha terms and the v-sum K_beta >= K_alpha terms of the
same sequence, with the kept weights renormalised to sum to one (as Adam's bias
correction does), so a noiseless problem gives -grad F / (eps + |grad F|) exactly and every
per-sequence value obeys |f_i| <= B = (1-alpha) / sqrt((1-beta)(1-alpha^2/beta)).
K_alpha and K_beta are the smallest lengths with (alpha/sqrt(beta))^K_alpha <= tol,
alpha^K_alpha <= beta^K_beta / 2 and beta^K_beta <= tol.

Bias bound. Per component and per sequence, the truncated value differs from the
untruncated one by at most
  B (alpha/sqrt(beta))^K_alpha                       (the m-tail, by Cauchy-Schwarz)
+ B (alpha^K_alpha / (1 - alpha^K_alpha) + beta^K_beta)   (the renormalisation)
+ min(B, r beta^K_beta E[G^2] / (2 v_K))             (the v-tail, in expectation over it),
where r = |m_K| / (eps + sqrt(v_K)) and m_K, v_K are the un-normalised truncated sums. The
v-tail is independent of (m_K, v_K), so the last term is averaged over the drawn sequences
(Jensen: the pathwise bound is concave in the tail). ``truncation_bound`` is the largest
component of this sum.

Common random numbers. Everything random is drawn from ``seed`` alone, so estimating at
two points with the same seed reuses the same sequences and theta -> estimate is a
smooth deterministic function (for ODE solvers and root finders). The classes
``ERMCommonRandomNumbers`` and ``QuadraticCommonRandomNumbers`` precompute the
theta-independent part of the sequences once.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch
from scipy.optimize import root

from .adam import AdamHyper
from .erm import ERMProblem
from .quadratic import StochasticQuadratic

# Sequences that share one spawned generator; fixed so results never depend on chunking.
_BLOCK = 64
# Elements per temporary array; fixed for the same reason.
_CHUNK_ELEMENTS = 1 << 22
# Default bytes for the (sequences, N, d) temporary of the ERM estimators.
MEMORY_BUDGET = 256 * 2**20


def field_bound(alpha: float, beta: float) -> float:
    """B = (1-alpha) / sqrt((1-beta)(1-alpha^2/beta)), a bound on every component of f."""
    return (1 - alpha) / math.sqrt((1 - beta) * (1 - alpha**2 / beta))


def truncation_lengths(alpha: float, beta: float, tol: float) -> tuple[int, int]:
    """(K_alpha, K_beta): the numbers of terms kept in the m- and v-sums (module docstring)."""
    if not 0 < tol < 1:
        raise ValueError(f"tol must lie in (0, 1), got tol={tol}")
    k_beta = math.ceil(math.log(tol) / math.log(beta))
    if alpha == 0:
        return 1, k_beta
    k_alpha = max(
        math.ceil(math.log(tol) / math.log(alpha / math.sqrt(beta))),
        math.ceil(math.log(beta**k_beta / 2) / math.log(alpha)),
    )
    return k_alpha, max(k_alpha, k_beta)


def sum_weights(alpha: float, beta: float, k_alpha: int, k_beta: int) -> tuple[np.ndarray, np.ndarray]:
    """Renormalised weights a_k (k < K_alpha) and b_k (k < K_beta), each summing to one."""
    a = (1 - alpha) * alpha ** np.arange(k_alpha) / (1 - alpha**k_alpha)
    b = (1 - beta) * beta ** np.arange(k_beta) / (1 - beta**k_beta)
    return a, b


@dataclass
class FieldEstimate:
    """A Monte Carlo estimate of f(theta).

    ``samples`` holds the per-sequence values (S, d); ``mean`` their average, ``stderr``
    their per-component standard error, ``truncation_bound`` a bound on the bias
    (module docstring), ``n_terms`` = (K_alpha, K_beta).
    """

    mean: np.ndarray
    stderr: np.ndarray
    truncation_bound: float
    samples: np.ndarray
    n_terms: tuple[int, int]

    def project(self, direction: np.ndarray) -> tuple[float, float]:
        """(direction . f, its standard error), from the per-sequence values."""
        values = self.samples @ np.asarray(direction, dtype=float)
        return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def _check(n_samples):
    if int(n_samples) != n_samples or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got n_samples={n_samples}")


def _estimate(m, v, second_moment, hyper: AdamHyper, k_alpha, k_beta, first_moment=None) -> FieldEstimate:
    """Combine per-sequence normalised sums m, v (S, d) into a FieldEstimate.

    With ``first_moment`` = E[G] (the exact mean of m, whose weights sum to 1), the
    per-sequence values get the control variate -c (m - E[G]), c fitted per component by
    least squares: consistent (bias O(1/S)), with variance reduced by 1 / (1 - rho^2), rho the
    correlation of the value with m. The samples then need not obey the bound B.
    """
    alpha, beta, eps = hyper.alpha, hyper.beta, hyper.eps
    root = np.sqrt(v)
    samples = -m / (eps + root)
    if first_moment is not None:
        centred = m - m.mean(axis=0)
        spread = (centred**2).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(spread > 0, ((samples - samples.mean(axis=0)) * centred).sum(axis=0) / spread, 0.0)
        samples = samples - c * (m - first_moment)
    bound = field_bound(alpha, beta)
    a_k, b_k = alpha**k_alpha, beta**k_beta
    deterministic = bound * ((alpha / math.sqrt(beta)) ** k_alpha + a_k / (1 - a_k) + b_k)
    m_k = np.abs(m) * (1 - a_k)
    v_k = v * (1 - b_k)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = m_k / (eps + np.sqrt(v_k))
        tail = np.where(m_k > 0, np.minimum(bound, r * b_k * second_moment / (2 * v_k)), 0.0)
    return FieldEstimate(
        mean=samples.mean(axis=0),
        stderr=samples.std(axis=0, ddof=1) / math.sqrt(len(samples)),
        truncation_bound=float(deterministic + tail.mean(axis=0).max()),
        samples=samples,
        n_terms=(k_alpha, k_beta),
    )


def _block_generators(seed: int, n_samples: int) -> Iterator[tuple[np.random.Generator, int]]:
    children = np.random.SeedSequence(seed).spawn(-(-n_samples // _BLOCK))
    for i, child in enumerate(children):
        yield np.random.default_rng(child), min(_BLOCK, n_samples - i * _BLOCK)


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
    _check(n_samples)
    k_alpha, k_beta = truncation_lengths(hyper.alpha, hyper.beta, tol)
    a, b = sum_weights(hyper.alpha, hyper.beta, k_alpha, k_beta)
    # The dimension, from a throwaway generator, so that chunk sizes depend on d alone.
    d = np.asarray(sample_gradients(np.random.default_rng(0), 1)).shape[1]
    ms, vs = [], []
    square_sum, count = 0.0, 0
    for rng, size in _block_generators(seed, n_samples):
        m = v = 0.0
        length = max(1, _CHUNK_ELEMENTS // (size * d))
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
    return _estimate(
        np.concatenate(ms), np.concatenate(vs), square_sum / count, hyper, k_alpha, k_beta
    )


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
    step = max(1, _CHUNK_ELEMENTS // (_BLOCK * batch_size**2))
    for rng, size in _block_generators(seed, n_samples):
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
    _check(n_samples)
    _check_batch_size(batch_size)
    k_alpha, k_beta = truncation_lengths(hyper.alpha, hyper.beta, tol)
    sums = [
        _erm_sums(w, p, jac, memory_budget)
        for w, p in _erm_index_sums(jac.shape[0], batch_size, hyper, k_alpha, k_beta, n_samples, seed)
    ]
    return _estimate(
        np.concatenate([s[0] for s in sums]), np.concatenate([s[1] for s in sums]),
        _erm_second_moment(jac, batch_size), hyper, k_alpha, k_beta,
        jac.mean(dim=0).numpy() if control_variate else None,
    )


class CommonRandomNumbers(ABC):
    """A field estimator whose random numbers are drawn once, at construction: theta -> estimate
    is then deterministic and smooth, for root finders, ODE solvers and direction searches.
    ``estimate(theta)`` returns the FieldEstimate, calling the object its mean."""

    @abstractmethod
    def estimate(self, theta) -> FieldEstimate: ...

    def __call__(self, theta) -> np.ndarray:
        return self.estimate(theta).mean


class ERMCommonRandomNumbers(CommonRandomNumbers):
    """The ERM field estimator with its index sequences drawn once, for reuse at many theta.
    Holds w (S, N) and P (S, N, N): memory 8 S N^2 bytes. ``estimate(theta)`` then costs the
    per-sample gradients and S N^2 d operations, with no new randomness. ``control_variate`` as
    in ``erm_adam_field``; the fitted coefficients are smooth in J, so theta -> estimate stays
    smooth.
    """

    def __init__(self, problem: ERMProblem, batch_size: int, hyper: AdamHyper, *, n_samples: int, seed: int,
                 tol: float = 1e-6, memory_budget: int = MEMORY_BUDGET, control_variate: bool = False):
        _check(n_samples)
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
        return _estimate(m, v, _erm_second_moment(jac, self.batch_size), self.hyper, *self.n_terms,
                         jac.mean(dim=0).numpy() if self.control_variate else None)


class QuadraticCommonRandomNumbers(CommonRandomNumbers):
    """The field of a ``StochasticQuadratic`` on fixed sequences, in closed form in theta.
    With G_k = theta - X_k, the normalised sums are m = theta - sum_k a_k X_k and
    v = theta^2 - 2 theta sum_k b_k X_k + sum_k b_k X_k^2, so three moments per sequence
    and component are stored and every evaluation costs O(S d).
    """

    def __init__(self, problem: StochasticQuadratic, hyper: AdamHyper, *, n_samples: int, seed: int,
                 tol: float = 1e-6):
        _check(n_samples)
        self.problem, self.hyper = problem, hyper
        self.n_terms = k_alpha, k_beta = truncation_lengths(hyper.alpha, hyper.beta, tol)
        a, b = sum_weights(hyper.alpha, hyper.beta, k_alpha, k_beta)
        d = problem.dim
        mx, vx, vxx = [], [], []
        for rng, size in _block_generators(seed, n_samples):
            length = max(1, _CHUNK_ELEMENTS // (size * d * problem.batch_size))
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
        return _estimate(m, v, self.problem.second_moment(theta), self.hyper, *self.n_terms)


def field_zero(field: Callable[[np.ndarray], np.ndarray], theta_0: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """A zero of a (common-random-numbers, hence smooth) field near theta_0, by scipy's root
    (MINPACK's hybrid method). Raises RuntimeError if none is found."""
    result = root(field, np.asarray(theta_0, dtype=float), tol=tol)
    if not result.success:
        raise RuntimeError(f"no zero of the field found near theta_0: {result.message}")
    return result.x


def noiseless_field(gradient, eps: float):
    """The closed form for G = grad F: -grad F / (eps + |grad F|), componentwise."""
    return -gradient / (eps + abs(gradient))
