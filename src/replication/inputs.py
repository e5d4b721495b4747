"""Rebuilding library objects from upstream results."""

from __future__ import annotations

import torch

from adam_ode.erm import MLP, ERMProblem

from .store import load_arrays


def erm_problem(dataset_path, network: dict) -> ERMProblem:
    """The ERM problem of a stored data set and a network spec (widths, activation)."""
    data = load_arrays(dataset_path)
    return ERMProblem(MLP(network["widths"], network["activation"]),
                      torch.from_numpy(data["x"]), torch.from_numpy(data["y"]))
