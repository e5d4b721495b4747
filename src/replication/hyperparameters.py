"""Adam's hyperparameters of a stage: the ``adam`` section of its parameters (the config's), with
the values the stage varies itself (a momentum pair, a sweep of betas) put in."""

from __future__ import annotations

from adam_ode.adam import AdamHyper


def adam_hyper(params: dict, **varied) -> AdamHyper:
    """AdamHyper(alpha, beta, eps) from ``params["adam"]``, where ``varied`` replaces or adds keys."""
    return AdamHyper(**(params["adam"] | varied))
