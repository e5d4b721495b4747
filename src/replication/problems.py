"""The ERM problems of the pipeline, rebuilt from the stored data set."""

from __future__ import annotations

import torch

from adam_ode.erm import MLP, ERMProblem

from .store import load_arrays


def erm_problem(dataset_path, network: dict) -> ERMProblem:
    """The ERM problem of a stored data set and a network spec (widths, activation, and which
    data: "clean", or "conflicting" for the control data set)."""
    data = load_arrays(dataset_path)
    suffix = "_conflicting" if network.get("data", "clean") == "conflicting" else ""
    return ERMProblem(MLP(network["widths"], network["activation"]),
                      torch.from_numpy(data["x" + suffix]), torch.from_numpy(data["y" + suffix]))
