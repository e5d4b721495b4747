"""The field estimate with its error bar and bias bound, the truncation of the sums, and the
common-random-numbers protocol shared by the estimators (see the package docstring)."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cached_property, lru_cache, partial
from typing import Callable, Iterator

import numpy as np
import torch
from scipy.optimize import least_squares, root

from ..adam import AdamHyper

# Sequences that share one spawned generator; fixed so results never depend on chunking.
BLOCK = 64
# Elements per temporary array; fixed for the same reason.
CHUNK_ELEMENTS = 1 << 22
# The control variates (m, v, m^2, m v, v^2) and the folds their coefficients are cross-fitted on (``combine``).
# With 20 sequences, 15 stand behind every fit of five coefficients and an intercept.
CONTROLS, FOLDS, CONTROL_SAMPLES = 5, 4, 20


def field_bound(alpha: float, beta: float) -> float:
    """B = (1-alpha) / sqrt((1-beta)(1-alpha^2/beta)), a bound on every component of f."""
    return (1 - alpha) / math.sqrt((1 - beta) * (1 - alpha**2 / beta))


def truncation_lengths(alpha: float, beta: float, tol: float) -> tuple[int, int]:
    """(K_alpha, K_beta): the numbers of terms kept in the m- and v-sums (package docstring)."""
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


class FieldEstimate:
    """A Monte Carlo estimate of f(theta).

    ``samples`` holds the per-sequence values (S, d); ``mean`` their average, ``stderr``
    their per-component standard error, ``truncation_bound`` a bound on the bias
    (package docstring), ``n_terms`` = (K_alpha, K_beta). The error bar and the bias bound are
    computed when first read: callers that only project the estimate (the Lyapunov check, at
    hundreds of thousands of points) never pay for them.
    """

    def __init__(self, samples: np.ndarray, n_terms: tuple[int, int], bias_bound: Callable[[], float]):
        self.samples, self.n_terms, self._bias_bound = samples, n_terms, bias_bound
        self.mean = samples.mean(axis=0)

    @cached_property
    def stderr(self) -> np.ndarray:
        return self.samples.std(axis=0, ddof=1) / math.sqrt(len(self.samples))

    @cached_property
    def truncation_bound(self) -> float:
        return self._bias_bound()

    def project(self, direction: np.ndarray) -> tuple[float, float]:
        """(direction . f, its standard error), from the per-sequence values."""
        values = self.samples @ np.asarray(direction, dtype=float)
        return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def check_samples(n_samples):
    if int(n_samples) != n_samples or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got n_samples={n_samples}")


def check_controls(n_samples, control_variate: bool) -> None:
    if control_variate and (n_samples < CONTROL_SAMPLES or n_samples % FOLDS):
        raise ValueError(f"n_samples must be a multiple of {FOLDS} and >= {CONTROL_SAMPLES} with the control variates "
                         f"(their coefficients are fitted per component on {FOLDS - 1} of {FOLDS} equal folds), "
                         f"got n_samples={n_samples}")


def control_means(raw: torch.Tensor, hyper: AdamHyper, k_alpha: int, k_beta: int) -> torch.Tensor:
    """The exact means of the controls (m, v, m^2, m v, v^2), shape (..., 5, d), from the raw moments
    E[G^r], r = 1..4 (``raw``, shape (..., 4, d)) of one step's gradient.

    Every G_k is an independent copy of G and the kept weights sum to one, so with
    A = sum a_k^2, C = sum a_k b_k and D = sum b_k^2:
    E m = E G, E v = E G^2, E m^2 = A E G^2 + (1 - A) (E G)^2,
    E m v = C E G^3 + (1 - C) E G E G^2, E v^2 = D E G^4 + (1 - D) (E G^2)^2.
    """
    return _means_of_controls(raw, *_weight_products(hyper.alpha, hyper.beta, k_alpha, k_beta))


def batch_of_control_means(raw: torch.Tensor, hypers: list[AdamHyper], n_terms: list[tuple[int, int]]) -> torch.Tensor:
    """``control_means`` for B estimators at once, the numbers of B calls: ``raw`` (B, 4, d), one
    set of hyperparameters and truncation lengths per estimator; returns (B, 5, d)."""
    products = torch.tensor([_weight_products(h.alpha, h.beta, *terms) for h, terms in zip(hypers, n_terms)],
                            dtype=raw.dtype)
    return _means_of_controls(raw, *products.T[..., None])


@lru_cache(maxsize=None)
def _weight_products(alpha: float, beta: float, k_alpha: int, k_beta: int) -> tuple[float, float, float]:
    """(A, C, D) = (sum a_k^2, sum a_k b_k, sum b_k^2) of the kept weights: fixed by the
    hyperparameters and O(K_beta) to compute, so computed once, not at every estimate."""
    a, b = sum_weights(alpha, beta, k_alpha, k_beta)
    return a @ a, a @ b[:k_alpha], b @ b


def _means_of_controls(raw: torch.Tensor, sq_a, cross, sq_b) -> torch.Tensor:
    mu1, mu2, mu3, mu4 = raw.unbind(-2)
    return torch.stack([mu1, mu2, sq_a * mu2 + (1 - sq_a) * mu1**2, cross * mu3 + (1 - cross) * mu1 * mu2,
                        sq_b * mu4 + (1 - sq_b) * mu2**2], dim=-2)


def _cross_fitted(values: torch.Tensor, m: torch.Tensor, v: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
    """values - c (X - E X) per component, X the controls (m, v, m^2, m v, v^2) and E X their exact
    ``means`` (..., 5, d), c fitted by least squares (with an intercept) on the other FOLDS of the
    sequences (consecutive blocks; the sequences are i.i.d.). A value's coefficients never saw its
    own sequence, so every corrected value keeps the mean exactly and their spread is an honest
    error bar. The normal equations are scaled to unit diagonal, and a ridge of 1e-10 keeps c
    finite and smooth in the data when controls are constant or collinear (a constant column gets
    c = 0). ``values``, ``m``, ``v``: (..., d, S), component-major; differentiable (torch.func).
    """
    # Fold-major views (..., d, FOLDS, S / FOLDS): the design (1 + 5) per fold is then built
    # contiguous, and every product below is one batched matrix product without copies.
    yf, mf, vf = (a.unflatten(-1, (FOLDS, -1)) for a in (values, m, v))
    z = torch.stack([torch.ones_like(mf), mf, vf, mf * mf, mf * vf, vf * vf], dim=-2)  # (..., d, FOLDS, 6, S/FOLDS)
    z[..., 1:, :] -= means.mT[..., None, :, None]
    gram, rhs = z @ z.mT, z @ yf[..., None]
    # Fold k is fitted on the sums over the other folds; all folds solved at once.
    gram, rhs = gram.sum(dim=-3, keepdim=True) - gram, rhs.sum(dim=-3, keepdim=True) - rhs
    diag = torch.diagonal(gram, dim1=-2, dim2=-1)
    scale = torch.where(diag > 0, diag.clamp_min(torch.finfo(diag.dtype).tiny).rsqrt(), 0.0)[..., None]
    unit = scale * gram * scale.mT + 1e-10 * torch.eye(1 + CONTROLS, dtype=gram.dtype)
    coef = (scale * torch.linalg.solve(unit, scale * rhs))[..., 1:, :]  # (..., d, FOLDS, 5, 1)
    return (yf - (coef.mT @ z[..., 1:, :])[..., 0, :]).flatten(-2)


def sequence_values(m: torch.Tensor, v: torch.Tensor, hyper: AdamHyper, means: torch.Tensor | None = None) -> torch.Tensor:
    """The per-sequence values -m / (eps + sqrt(v)) from the normalised sums m, v (..., d, S),
    component-major; with ``means`` (``control_means``, (..., 5, d)), the cross-fitted control
    variates (``_cross_fitted``). Differentiable in m and v (torch.func), for exact derivatives of
    a common-random-numbers field."""
    values = -m / (hyper.eps + _root(v))
    return values if means is None else _cross_fitted(values, m, v, means)


def _root(v: torch.Tensor) -> torch.Tensor:
    """sqrt(v), with the derivative 0 where v = 0 (autograd's would be inf, and inf * 0 = nan).
    v = 0 only where every gradient of the sequence vanishes in that component (a saturated unit),
    and then m = 0 too, so the derivative of -m / (eps + sqrt(v)) there is exactly -m' / eps.
    Taken as sqrt(max(v, tiny)): it differs from sqrt(v) by at most sqrt(tiny) = 1.5e-154, which
    vanishes in eps + sqrt(v) for every eps > 1e-137, and it costs two passes, not four."""
    return v.clamp_min(torch.finfo(v.dtype).tiny).sqrt()


def combine(m, v, second_moment, hyper: AdamHyper, k_alpha, k_beta, means=None) -> FieldEstimate:
    """Combine per-sequence normalised sums m, v (S, d) into a FieldEstimate.

    With ``means``, the exact means of the controls (m, v, m^2, m v, v^2) (``control_means``), the
    per-sequence values get the control variates - sum_j c_j (X_j - E X_j), c cross-fitted per
    component (``_cross_fitted``): unbiased, and the error is what the second-order expansion of
    -m / (eps + sqrt(v)) about the means leaves. The samples then need not obey the bound B.
    """
    m, v = (torch.as_tensor(a, dtype=torch.float64).T for a in (m, v))
    samples = sequence_values(m, v, hyper, None if means is None else torch.as_tensor(means))
    return FieldEstimate(samples.T.numpy(), (k_alpha, k_beta),
                         lambda: _bias_bound(m, v, second_moment, hyper, k_alpha, k_beta))


def batch_of_estimates(m: torch.Tensor, v: torch.Tensor, second_moments, hypers: list[AdamHyper],
                       n_terms: list[tuple[int, int]], means: torch.Tensor | None = None) -> list[FieldEstimate]:
    """``combine`` for B estimators at once, the numbers of B calls: the sums m, v (B, d, S),
    component-major; a second moment, hyperparameters (all with one eps) and truncation lengths per
    estimator; ``means`` (B, 5, d) or None. One batch of control-variate fits instead of B."""
    samples = sequence_values(m, v, hypers[0], means)
    return [FieldEstimate(s.T.numpy(), terms, partial(_bias_bound, mi, vi, second, hyper, *terms))
            for s, mi, vi, second, hyper, terms in zip(samples, m, v, second_moments, hypers, n_terms)]


def _bias_bound(m: torch.Tensor, v: torch.Tensor, second_moment, hyper: AdamHyper, k_alpha: int, k_beta: int) -> float:
    """The bias bound of the package docstring, from the sums m, v (d, S), component-major."""
    alpha, beta, eps = hyper.alpha, hyper.beta, hyper.eps
    bound = field_bound(alpha, beta)
    a_k, b_k = alpha**k_alpha, beta**k_beta
    deterministic = bound * ((alpha / math.sqrt(beta)) ** k_alpha + a_k / (1 - a_k) + b_k)
    m_k = m.abs() * (1 - a_k)
    v_k = v * (1 - b_k)
    r = m_k / (eps + v_k.sqrt())
    second = torch.as_tensor(second_moment, dtype=torch.float64).reshape(-1, 1)
    tail = torch.where(m_k > 0, torch.clamp_max(r * b_k * second / (2 * v_k), bound), 0.0)
    return float(deterministic + tail.mean(dim=-1).max())


def block_generators(seed: int, n_samples: int) -> Iterator[tuple[np.random.Generator, int]]:
    children = np.random.SeedSequence(seed).spawn(-(-n_samples // BLOCK))
    for i, child in enumerate(children):
        yield np.random.default_rng(child), min(BLOCK, n_samples - i * BLOCK)


class CommonRandomNumbers(ABC):
    """A field estimator whose random numbers are drawn once, at construction: theta -> estimate
    is then deterministic and smooth, for root finders, ODE solvers and direction searches.
    ``estimate(theta)`` returns the FieldEstimate, calling the object its mean."""

    @abstractmethod
    def estimate(self, theta) -> FieldEstimate: ...

    def __call__(self, theta) -> np.ndarray:
        return self.estimate(theta).mean


@dataclass(frozen=True)
class FieldZero:
    theta: np.ndarray
    relative_residual: float  # max |f(theta)| / max |f(theta_0)|: how far f vanishes there
    evaluations: int


def gauss_newton_zero(field: Callable[[np.ndarray], np.ndarray], jacobian: Callable[[np.ndarray], np.ndarray],
                      theta_0: np.ndarray, max_evaluations: int) -> FieldZero:
    """A zero of a smooth field near theta_0 where the zeros need not be isolated: trust-region
    Gauss-Newton on |f|^2 (scipy's least_squares, 'trf', the variables scaled by the Jacobian's
    column norms). Its least-norm steps settle on the near part of a manifold of zeros, where the
    Jacobian of f is singular and MINPACK's hybrid method (``field_zero``) does not move.
    Convergence onto such a manifold is linear, so the search stops after ``max_evaluations``
    and ``relative_residual`` says how far f vanishes where it stopped."""
    theta_0 = np.asarray(theta_0, dtype=float)
    result = least_squares(field, theta_0, jac=jacobian, method="trf", x_scale="jac", xtol=1e-15, ftol=1e-15,
                           gtol=1e-15, max_nfev=max_evaluations)
    start = np.abs(field(theta_0)).max()
    return FieldZero(result.x, float(np.abs(result.fun).max() / start) if start > 0 else 0.0, int(result.nfev))


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
