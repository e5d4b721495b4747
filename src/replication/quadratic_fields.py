"""The quadratic field estimators of the pipeline's stages, seeded from the config."""

from __future__ import annotations

from adam_ode.adam import AdamHyper
from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from adam_ode.vector_field.quadratic import QuadraticCommonRandomNumbers

from .store import seed_for


def quadratic_fields(params: dict, law: NoiseLaw, beta: float, batch_size: int,
                     *labels) -> list[QuadraticCommonRandomNumbers]:
    """``params["seeds"]`` independent common-random-numbers fields of ``params["n_samples"]``
    sequences on the 1-D quadratic (a stage's adam and field parameters, at this beta). Field k is
    seeded from the root seed, ``labels``, the sample size and k: a config with more sequences
    draws other fields, not a continuation of these, so two configs' rows are independent."""
    field, adam = params["field"], params["adam"]
    problem, hyper = StochasticQuadratic(law, 1, batch_size), AdamHyper(adam["alpha"], beta, adam["eps"])
    return [QuadraticCommonRandomNumbers(
        problem, hyper, n_samples=params["n_samples"], tol=field["tol"], control_variate=field["control_variate"],
        seed=seed_for(params["seed"], *labels, params["n_samples"], k)) for k in range(params["seeds"])]


def quadratic_zero_shifts(params: dict, law: NoiseLaw, beta: float, batch_size: int, *labels) -> list[float]:
    """zero(f) - E[X] of each of ``quadratic_fields``."""
    return [field.zero() - law.mean for field in quadratic_fields(params, law, beta, batch_size, *labels)]
