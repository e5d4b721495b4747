"""The stochastic quadratic F(theta) = E|theta - X|^2 / 2 with G(theta, X) = theta - X.

X has i.i.d. components from a named law with mean ``mean`` and standard deviation
``scale``, so grad F(theta) = theta - E[X] and the problem is "diagonal": every component
is an independent 1-D problem. With a mini-batch of size M, X is the mean of M i.i.d. draws
(variance scale^2 / M, skewness / sqrt(M)). Symmetric laws have zero skewness; for skewed laws the
zero of the Adam field generally differs from E[X] (Corollary 1.10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .adam import DrawnAhead, GradientOracle

SYMMETRIC_LAWS = ("normal", "rademacher")
SKEWED_LAWS = ("exponential", "two_point", "lognormal")


@dataclass(frozen=True)
class NoiseLaw:
    """A law with mean ``mean`` and variance ``scale**2``.

    - normal: N(mean, scale^2);
    - rademacher: mean +- scale with probability 1/2 each;
    - exponential: mean + scale * (E - 1), E ~ Exp(1) (centred exponential, skewness 2);
    - two_point: mean + scale * sqrt((1-p)/p) with probability p, else
      mean - scale * sqrt(p/(1-p)); ``shape`` is p;
    - lognormal: mean + scale * (e^{sZ} - e^{s^2/2}) / sd, Z ~ N(0,1); ``shape`` is s.

    ``mirrored`` reflects the law about its mean (X -> 2 mean - X), which flips the sign of
    its skewness.
    """

    name: str
    mean: float = 0.0
    scale: float = 1.0
    shape: float | None = None
    mirrored: bool = False

    def __post_init__(self):
        if self.name not in SYMMETRIC_LAWS + SKEWED_LAWS:
            raise ValueError(
                f"law must be one of {list(SYMMETRIC_LAWS + SKEWED_LAWS)}, got {self.name!r}"
            )
        if not self.scale >= 0:
            raise ValueError(f"scale must be >= 0, got scale={self.scale}")
        if self.name == "two_point" and not 0 < self.p < 1:
            raise ValueError(f"two_point needs shape p in (0, 1), got p={self.p}")
        if self.name == "lognormal" and not self.sigma > 0:
            raise ValueError(f"lognormal needs shape sigma > 0, got sigma={self.sigma}")

    @property
    def p(self) -> float:
        return 0.1 if self.shape is None else self.shape

    @property
    def sigma(self) -> float:
        return 0.5 if self.shape is None else self.shape

    @property
    def symmetric(self) -> bool:
        return self.name in SYMMETRIC_LAWS

    @property
    def variance(self) -> float:
        return self.scale**2

    @property
    def skewness(self) -> float:
        """kappa_3 / scale^3 (mirroring flips its sign)."""
        return self._mirrored(self._standardized_cumulants()[0])

    @property
    def excess_kurtosis(self) -> float:
        """kappa_4 / scale^4, the fourth cumulant in units of the variance (mirroring keeps it)."""
        return self._standardized_cumulants()[1]

    @property
    def fifth_cumulant(self) -> float:
        """kappa_5 / scale^5 (mirroring flips its sign, as the skewness's)."""
        return self._mirrored(self._standardized_cumulants()[2])

    def _mirrored(self, odd_cumulant: float) -> float:
        return -odd_cumulant if self.mirrored and odd_cumulant else odd_cumulant

    def _standardized_cumulants(self) -> tuple[float, float, float]:
        """(kappa_3, kappa_4, kappa_5) / (scale^3, scale^4, scale^5) of the law before mirroring."""
        if self.name in SYMMETRIC_LAWS:
            return 0.0, (0.0 if self.name == "normal" else -2.0), 0.0
        if self.name == "exponential":
            return 2.0, 6.0, 24.0
        if self.name == "two_point":
            pq = self.p * (1 - self.p)
            return (1 - 2 * self.p) / math.sqrt(pq), (1 - 6 * pq) / pq, (1 - 2 * self.p) * (1 - 12 * pq) / pq**1.5
        w = math.exp(self.sigma**2)
        # The fifth from the raw moments E[e^(n s Z)] = e^(n^2 s^2 / 2) of e^(s Z).
        raw = [math.exp(n * n * self.sigma**2 / 2) for n in range(6)]
        central = [sum(math.comb(n, j) * raw[j] * (-raw[1]) ** (n - j) for j in range(n + 1)) for n in range(6)]
        return ((w + 2) * math.sqrt(w - 1), w**4 + 2 * w**3 + 3 * w**2 - 6,
                (central[5] - 10 * central[3] * central[2]) / central[2] ** 2.5)

    def standardized(self, rng: np.random.Generator, size, batch_size: int = 1) -> np.ndarray:
        """Draws of (X - mean) / scale, X the mean of ``batch_size`` i.i.d. draws of the law: mean 0,
        variance 1 / batch_size. The mean is drawn directly where its law has a closed form (a
        normal, a binomial count, a gamma), so the cost does not grow with the batch size; the
        lognormal's mean sums its draws."""
        draws = self._draws(rng, size) if batch_size == 1 else self._mean_draws(rng, size, batch_size)
        return -draws if self.mirrored else draws

    def _mean_draws(self, rng: np.random.Generator, size, batch_size: int) -> np.ndarray:
        if self.name == "normal":
            return rng.standard_normal(size) / math.sqrt(batch_size)
        if self.name == "rademacher":
            return 2.0 * rng.binomial(batch_size, 0.5, size) / batch_size - 1.0
        if self.name == "exponential":
            return rng.standard_gamma(batch_size, size) / batch_size - 1.0
        if self.name == "two_point":
            p = self.p
            low = -math.sqrt(p / (1 - p))
            return low + rng.binomial(batch_size, p, size) / (batch_size * math.sqrt(p * (1 - p)))
        return self._draws(rng, (*np.atleast_1d(size), batch_size)).mean(axis=-1)

    def _draws(self, rng: np.random.Generator, size) -> np.ndarray:
        if self.name == "normal":
            return rng.standard_normal(size)
        if self.name == "rademacher":
            return 2.0 * rng.integers(0, 2, size) - 1.0
        if self.name == "exponential":
            return rng.standard_exponential(size) - 1.0
        if self.name == "two_point":
            p = self.p
            return np.where(rng.random(size) < p, math.sqrt((1 - p) / p), -math.sqrt(p / (1 - p)))
        s2 = self.sigma**2
        sd = math.sqrt((math.exp(s2) - 1) * math.exp(s2))
        return (np.exp(self.sigma * rng.standard_normal(size)) - math.exp(s2 / 2)) / sd

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        return self.mean + self.scale * self.standardized(rng, size)


@dataclass(frozen=True)
class StochasticQuadratic:
    """F(theta) = E|theta - X|^2 / 2 on R^dim; X has i.i.d. components, each the mean of
    ``batch_size`` draws of ``law``."""

    law: NoiseLaw
    dim: int = 1
    batch_size: int = 1

    def __post_init__(self):
        if self.dim < 1:
            raise ValueError(f"dim must be >= 1, got dim={self.dim}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got batch_size={self.batch_size}")

    @property
    def variance(self) -> float:
        """Var X_i: the law's variance over the batch size."""
        return self.law.variance / self.batch_size

    def noise(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draws of X with shape ``size`` (each the mean of a mini-batch)."""
        return self.law.mean + self.law.scale * self.law.standardized(rng, size, self.batch_size)

    @property
    def minimizer(self) -> np.ndarray:
        """E[X], the unique critical point of F."""
        return np.full(self.dim, self.law.mean)

    def loss(self, theta):
        """F(theta) = |theta - E X|^2 / 2 + dim * Var / 2 (numpy or torch, last axis = components)."""
        diff = theta - self.law.mean
        return 0.5 * (diff**2).sum(-1) + 0.5 * self.dim * self.variance

    def gradient(self, theta):
        return theta - self.law.mean

    def second_moment(self, theta: np.ndarray) -> np.ndarray:
        """E[G(theta, X)^2] componentwise."""
        return (np.asarray(theta) - self.law.mean) ** 2 + self.variance

    def leading_zero_shift(self, alpha: float, beta: float) -> float:
        """zero(f) - E[X] to first order in u = 1 - beta, as eps -> 0:
        -(1 - alpha) / (1 - alpha beta) * u * gamma_1 sigma / (2 M), gamma_1 the law's skewness and
        sigma its standard deviation (docs/mathematics.md, section 7). Theory only: no draws."""
        u = 1 - beta
        return -(1 - alpha) / (1 - alpha * beta) * u * self.law.skewness * self.law.scale / (2 * self.batch_size)

    def second_order_zero_shift(self, alpha: float, beta: float) -> float:
        """zero(f) - E[X] to second order in u = 1 - beta, as eps -> 0: the first-order shift plus
        C_2 u^2, C_2 = sigma / (8 M) (14 gamma_1 + 3 (g_5 - gamma_1 k_4) / M), with the skewness
        gamma_1, excess kurtosis k_4 and standardised fifth cumulant g_5 of the law
        (docs/mathematics.md, section 7). Theory only: no draws."""
        law, m = self.law, self.batch_size
        c2 = law.scale / (8 * m) * (14 * law.skewness + 3 * (law.fifth_cumulant - law.skewness * law.excess_kurtosis) / m)
        return self.leading_zero_shift(alpha, beta) + c2 * (1 - beta) ** 2

    def gradient_moments(self, theta) -> np.ndarray:
        """E[G^r], r = 1..4, per component (4, dim), for G = theta - X: from the cumulants of the
        batch mean X, kappa_r / M^(r - 1) with kappa_r the law's (the third changes sign with G)."""
        k1 = np.broadcast_to(np.asarray(theta, dtype=float) - self.law.mean, (self.dim,))
        m, s2 = self.batch_size, self.law.variance
        k2, k3, k4 = s2 / m, -self.law.skewness * s2**1.5 / m**2, self.law.excess_kurtosis * s2**2 / m**3
        return np.stack([k1, k2 + k1**2, k3 + 3 * k2 * k1 + k1**3,
                         k4 + 4 * k3 * k1 + 3 * k2**2 + 6 * k2 * k1**2 + k1**4])

    def sample_gradients(self, theta: np.ndarray):
        """A sampler for ``vector_field.adam_field``: (rng, n) -> n draws of theta - X."""
        theta = np.asarray(theta, dtype=float)

        def sampler(rng: np.random.Generator, n: int) -> np.ndarray:
            return theta - self.noise(rng, (n, self.dim))

        return sampler

    def stochastic_gradient(self, rng: np.random.Generator):
        """An oracle for ``adam.run_adam``: a fresh X_n for every run at every step, drawn ahead in
        blocks of steps (``adam.DrawnAhead``: ``rng`` serves this oracle alone)."""
        draws = DrawnAhead(lambda steps, shape: (torch.from_numpy(self.noise(rng, (steps, *shape))),))

        def oracle(theta: torch.Tensor, n: int) -> torch.Tensor:
            (x,) = draws(theta.shape)
            return theta - x.to(theta.dtype)

        return oracle


def joined_stochastic_gradient(problems: list[tuple[StochasticQuadratic, np.random.Generator]],
                               runs: list[int]) -> GradientOracle:
    """One oracle for the runs of several quadratics side by side (``runs[i]`` consecutive runs of
    problem i), each drawing from its own generator what its own oracle would: ``run_adam`` then
    advances them all in one batch, with the numbers of separate calls (its update acts run by run).
    G = theta - X for every problem, so one subtraction serves them all."""

    def draw(steps: int, shape: torch.Size) -> tuple[torch.Tensor]:
        if shape[0] != sum(runs):
            raise ValueError(f"the joined problems have {sum(runs)} runs, got parameters of shape {tuple(shape)}")
        return (torch.cat([torch.from_numpy(problem.noise(rng, (steps, count, *shape[1:])))
                           for (problem, rng), count in zip(problems, runs)], dim=1),)

    draws = DrawnAhead(draw)

    def oracle(theta: torch.Tensor, n: int) -> torch.Tensor:
        (x,) = draws(theta.shape)
        return theta - x.to(theta.dtype)

    return oracle
