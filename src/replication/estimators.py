"""The ERM field estimators of the pipeline's stages, seeded from the config."""

from __future__ import annotations

from adam_ode.vector_field import ERMCommonRandomNumbers

from .store import seed_for


def common_random_numbers(params: dict, n: int, batch_size: int, *labels, momenta: dict | None = None
                          ) -> ERMCommonRandomNumbers:
    """The ERM field estimator of a stage (its adam and field parameters; ``momenta``, a dict with
    alpha and beta, replaces adam's), with index sequences seeded from the config's root seed and
    ``labels``."""
    a, field = params["adam"], params["field"]
    alpha, beta = (a["alpha"], a["beta"]) if momenta is None else (momenta["alpha"], momenta["beta"])
    return ERMCommonRandomNumbers(n, batch_size, alpha, beta, a["eps"],
                                  field["n_samples"],
                                  seed_for(params["seed"], *labels), field["tol"],
                                  control_variate=field["control_variate"])
