"""The field estimate with its error bar and bias bound, the truncation of the sums, and the
common-random-numbers protocol shared by the estimators (see the package docstring)."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch
from scipy.optimize import root

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


@dataclass
class FieldEstimate:
    """A Monte Carlo estimate of f(theta).

    ``samples`` holds the per-sequence values (S, d); ``mean`` their average, ``stderr``
    their per-component standard error, ``truncation_bound`` a bound on the bias
    (package docstring), ``n_terms`` = (K_alpha, K_beta).
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


def check_samples(n_samples):
    if int(n_samples) != n_samples or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got n_samples={n_samples}")


def control_means(raw: np.ndarray, hyper: AdamHyper, k_alpha: int, k_beta: int) -> np.ndarray:
    """The exact means of the controls (m, v, m^2, m v, v^2), shape (5, d), from the raw moments
    E[G^r], r = 1..4 (``raw``, shape (4, d)) of one step's gradient.

    Every G_k is an independent copy of G and the kept weights sum to one, so with
    A = sum a_k^2, C = sum a_k b_k and D = sum b_k^2:
    E m = E G, E v = E G^2, E m^2 = A E G^2 + (1 - A) (E G)^2,
    E m v = C E G^3 + (1 - C) E G E G^2, E v^2 = D E G^4 + (1 - D) (E G^2)^2.
    """
    mu1, mu2, mu3, mu4 = raw
    a, b = sum_weights(hyper.alpha, hyper.beta, k_alpha, k_beta)
    sq_a, cross, sq_b = a @ a, a @ b[:k_alpha], b @ b
    return np.stack([mu1, mu2, sq_a * mu2 + (1 - sq_a) * mu1**2, cross * mu3 + (1 - cross) * mu1 * mu2,
                     sq_b * mu4 + (1 - sq_b) * mu2**2])


def _cross_fitted(values: np.ndarray, m: np.ndarray, v: np.ndarray, means: np.ndarray) -> np.ndarray:
    """values - c (X - E X) per component, X the controls (m, v, m^2, m v, v^2) and E X their exact
    ``means`` (5, d), c fitted by least squares (with an intercept) on the other FOLDS of the
    sequences (consecutive blocks; the sequences are i.i.d.). A value's coefficients never saw its
    own sequence, so every corrected value keeps the mean exactly and their spread is an honest
    error bar. The normal equations are scaled to unit diagonal, and a ridge of 1e-10 keeps c
    finite and smooth in the data when controls are constant or collinear (a constant column gets
    c = 0)."""
    # Per component, the design (1 + 5, S) with an intercept row, then batched matrix products over
    # d. Component-major arrays (the ERM sums' layout) are not copied.
    mt, vt, yt = (torch.from_numpy(np.ascontiguousarray(a.T)) for a in (m, v, values))  # (d, S)
    e = torch.from_numpy(means)[..., None]
    z = torch.empty(mt.shape[0], 1 + CONTROLS, mt.shape[1], dtype=mt.dtype)
    z[:, 0] = 1.0
    for j, control in enumerate((mt, vt, mt * mt, mt * vt, vt * vt)):
        torch.sub(control, e[j], out=z[:, 1 + j])
    bounds = [len(values) * f // FOLDS for f in range(FOLDS + 1)]
    folds = [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:])]
    gram = torch.stack([z[..., f] @ z[..., f].transpose(1, 2) for f in folds])  # (FOLDS, d, 6, 6)
    rhs = torch.stack([z[..., f] @ yt[:, f, None] for f in folds])
    # Fold k is fitted on the sums over the other folds; all folds solved at once.
    gram, rhs = gram.sum(dim=0) - gram, rhs.sum(dim=0) - rhs
    diag = torch.diagonal(gram, dim1=2, dim2=3)
    scale = torch.where(diag > 0, diag.rsqrt(), torch.zeros_like(diag))[..., None]  # (FOLDS, d, 6, 1)
    unit = scale * gram * scale.transpose(2, 3) + 1e-10 * torch.eye(1 + CONTROLS, dtype=gram.dtype)
    coef = (scale * torch.linalg.solve(unit, scale * rhs))[:, :, 1:].transpose(2, 3)  # (FOLDS, d, 1, 5)
    out = torch.empty_like(yt)
    for k, f in enumerate(folds):
        out[:, f] = yt[:, f] - (coef[k] @ z[:, 1:, f])[:, 0]
    return out.T.numpy()


def combine(m, v, second_moment, hyper: AdamHyper, k_alpha, k_beta, means=None) -> FieldEstimate:
    """Combine per-sequence normalised sums m, v (S, d) into a FieldEstimate.

    With ``means``, the exact means of the controls (m, v, m^2, m v, v^2) (``control_means``), the
    per-sequence values get the control variates - sum_j c_j (X_j - E X_j), c cross-fitted per
    component (``_cross_fitted``): unbiased, and the error is what the second-order expansion of
    -m / (eps + sqrt(v)) about the means leaves. The samples then need not obey the bound B.
    """
    alpha, beta, eps = hyper.alpha, hyper.beta, hyper.eps
    samples = -m / (eps + np.sqrt(v))
    if means is not None:
        samples = _cross_fitted(samples, m, v, means)
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
