"""Rebuilding library objects from upstream results."""

from __future__ import annotations

import torch

from adam_ode.erm import MLP, ERMProblem
from adam_ode.vector_field import ERMCommonRandomNumbers

from .store import load_arrays, seed_for


def erm_problem(dataset_path, network: dict) -> ERMProblem:
    """The ERM problem of a stored data set and a network spec (widths, activation, and which
    data: "clean", or "conflicting" for the control data set)."""
    data = load_arrays(dataset_path)
    suffix = "_conflicting" if network.get("data", "clean") == "conflicting" else ""
    return ERMProblem(MLP(network["widths"], network["activation"]),
                      torch.from_numpy(data["x" + suffix]), torch.from_numpy(data["y" + suffix]))


def common_random_numbers(params: dict, n: int, batch_size: int, *labels, beta: float | None = None
                          ) -> ERMCommonRandomNumbers:
    """The ERM field estimator of a stage (its adam and field parameters; ``beta`` replaces
    adam.beta), with index sequences seeded from the config's root seed and ``labels``."""
    a, field = params["adam"], params["field"]
    return ERMCommonRandomNumbers(n, batch_size, a["alpha"], a["beta"] if beta is None else beta, a["eps"],
                                  field["n_samples"],
                                  seed_for(params["seed"], *labels), field["tol"],
                                  control_variate=field["control_variate"])
