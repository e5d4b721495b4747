"""The quadratic field estimators of the pipeline's stages, seeded from the config."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from adam_ode.vector_field.quadratic import QuadraticCommonRandomNumbers

from .hyperparameters import adam_hyper
from .store import seed_for


def quadratic_fields(params: dict, law: NoiseLaw, beta: float, batch_size: int,
                     *labels) -> list[QuadraticCommonRandomNumbers]:
    """``params["seeds"]`` independent common-random-numbers fields of ``params["n_samples"]``
    sequences on the 1-D quadratic (a stage's adam and field parameters, at this beta). Field k is
    seeded from the root seed, ``labels``, the sample size and k: a config with more sequences
    draws other fields, not a continuation of these, so two configs' rows are independent."""
    field = params["field"]
    problem, hyper = StochasticQuadratic(law, 1, batch_size), adam_hyper(params, beta=beta)
    return [QuadraticCommonRandomNumbers(
        problem, hyper, n_samples=params["n_samples"], tol=field["tol"], control_variate=field["control_variate"],
        seed=seed_for(params["seed"], *labels, params["n_samples"], k)) for k in range(params["seeds"])]


def quadratic_zero_shifts(params: dict, law: NoiseLaw, beta: float, batch_size: int, *labels) -> list[float]:
    """zero(f) - E[X] of each of ``quadratic_fields``."""
    return [field.zero() - law.mean for field in quadratic_fields(params, law, beta, batch_size, *labels)]


def zero_table(params: dict, log=lambda message: None) -> pd.DataFrame:
    """The quadratic_zeros stage's table: per law of ``params["laws"]`` (every skewed law also
    mirrored about its mean, with its own random numbers) and per beta, one row per field
    (``zero_seeds`` fields of ``zero_samples`` sequences) with its zero of f and the law's
    leading-order zero shift (theory, no draws), from which the F2 margins come."""
    laws = [(index, NoiseLaw(**spec)) for index, spec in enumerate(params["laws"])]
    laws += [(index, dataclasses.replace(law, mirrored=True)) for index, law in laws if not law.symmetric]
    alpha, rows = params["adam"]["alpha"], []
    fields = params | {"seeds": params["zero_seeds"], "n_samples": params["zero_samples"]}  # quadratic_fields' sizes
    for index, law in laws:
        for beta in params["betas"]:
            zeros = [law.mean + shift for shift in quadratic_zero_shifts(
                fields, law, beta, 1, "quadratic_zeros", index, beta, *(("mirrored",) if law.mirrored else ()))]
            leading = StochasticQuadratic(law, 1).leading_zero_shift(alpha, beta)
            rows += [{"law": index, "law_name": law.name, "symmetric": law.symmetric, "mirrored": law.mirrored,
                      "skewness": law.skewness, "mean": law.mean, "scale": law.scale, "alpha": alpha, "beta": beta,
                      "leading_shift": leading, "seed": seed, "zero": zero} for seed, zero in enumerate(zeros)]
            log(f"law {law.name}{' (mirrored)' if law.mirrored else ''} beta {beta}: "
                f"zeros {[round(z, 5) for z in zeros]} (leading-order shift {leading:.4g})")
    return pd.DataFrame(rows)


def sweep_points(params: dict) -> dict[str, list[tuple[float, int]]]:
    """quadratic_rates' sweeps -> their (beta, M) points: every beta of ``betas`` at each M of
    ``beta_batch_sizes``, and every M of ``batch_sizes`` at ``batch_size_beta``."""
    return {"beta": [(beta, m) for m in params["beta_batch_sizes"] for beta in params["betas"]],
            "batch_size": [(params["batch_size_beta"], m) for m in params["batch_sizes"]]}


def shift_table(params: dict, laws: list[NoiseLaw], log=lambda message: None) -> pd.DataFrame:
    """The zero shifts of the quadratic_rates stage: per law and point of ``sweep_points``, one row
    per independent field with zero(f) - E[X]; a point on both sweeps is computed once and listed
    under each."""
    computed, rows = {}, []
    for sweep, points in sweep_points(params).items():
        for index, law in enumerate(laws):
            for beta, batch_size in points:
                if (index, beta, batch_size) not in computed:
                    computed[index, beta, batch_size] = quadratic_zero_shifts(
                        params, law, beta, batch_size, "quadratic_rates", index, beta, batch_size)
                    log(f"{law.name} beta={beta:g} M={batch_size}: mean shift "
                        f"{np.mean(computed[index, beta, batch_size]):.5g}")
                rows += [{"kind": "zero_shift", "sweep": sweep, "law": law.name, "law_index": index,
                          "symmetric": law.symmetric, "skewness": law.skewness, "scale": law.scale,
                          "alpha": params["adam"]["alpha"], "beta": beta, "batch_size": batch_size, "gamma": np.nan,
                          "seed": seed, "value": shift, "diverged": False}
                         for seed, shift in enumerate(computed[index, beta, batch_size])]
    return pd.DataFrame(rows)
