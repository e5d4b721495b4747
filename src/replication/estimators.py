"""The ERM field estimators of the pipeline's stages, seeded from the config (the quadratic ones are
in ``quadratic_fields``, so that a stage hashes only the estimator it runs)."""

from __future__ import annotations

from adam_ode.erm import ERMProblem
from adam_ode.vector_field.erm import ERMCommonRandomNumbers

from .hyperparameters import adam_hyper
from .store import seed_for


def common_random_numbers(params: dict, problem: ERMProblem, batch_size: int, *labels,
                          momenta: dict | None = None) -> ERMCommonRandomNumbers:
    """The ERM field estimator of a stage (its adam and field parameters; ``momenta``, a dict with
    alpha and beta, replaces adam's), with index sequences seeded from the config's root seed and
    ``labels``."""
    field = params["field"]
    return ERMCommonRandomNumbers(problem, batch_size, adam_hyper(params, **(momenta or {})),
                                  n_samples=field["n_samples"], seed=seed_for(params["seed"], *labels),
                                  tol=field["tol"], control_variate=field["control_variate"])

