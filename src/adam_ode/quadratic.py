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
        sign = -1.0 if self.mirrored else 1.0
        if self.symmetric:
            return 0.0
        if self.name == "exponential":
            return sign * 2.0
        if self.name == "two_point":
            return sign * (1 - 2 * self.p) / math.sqrt(self.p * (1 - self.p))
        w = math.exp(self.sigma**2)
        return sign * (w + 2) * math.sqrt(w - 1)

    def standardized(self, rng: np.random.Generator, size) -> np.ndarray:
        """Draws of (X - mean) / scale: mean 0, variance 1."""
        draws = self._draws(rng, size)
        return -draws if self.mirrored else draws

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
        if self.batch_size == 1:
            return self.law.sample(rng, size)
        return self.law.sample(rng, (*np.atleast_1d(size), self.batch_size)).mean(axis=-1)

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

    def sample_gradients(self, theta: np.ndarray):
        """A sampler for ``vector_field.adam_field``: (rng, n) -> n draws of theta - X."""
        theta = np.asarray(theta, dtype=float)

        def sampler(rng: np.random.Generator, n: int) -> np.ndarray:
            return theta - self.noise(rng, (n, self.dim))

        return sampler

    def stochastic_gradient(self, rng: np.random.Generator):
        """An oracle for ``adam.run_adam``: a fresh X_n for every run at every step."""

        def oracle(theta: torch.Tensor, n: int) -> torch.Tensor:
            x = torch.from_numpy(self.noise(rng, tuple(theta.shape)))
            return theta - x.to(theta.dtype)

        return oracle
