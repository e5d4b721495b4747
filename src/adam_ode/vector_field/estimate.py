"""The field estimate with its error bar and bias bound, the truncation of the sums, and the
common-random-numbers protocol shared by the estimators (see the package docstring)."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
from scipy.optimize import root

from ..adam import AdamHyper

# Sequences that share one spawned generator; fixed so results never depend on chunking.
BLOCK = 64
# Elements per temporary array; fixed for the same reason.
CHUNK_ELEMENTS = 1 << 22


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


def combine(m, v, second_moment, hyper: AdamHyper, k_alpha, k_beta, first_moment=None) -> FieldEstimate:
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
