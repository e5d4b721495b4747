"""Stage quadratic_rates: how the zero of f moves with u = 1 - beta and with the mini-batch size M,
and how far Adam with a constant step size spreads around it, on the 1-D stochastic quadratic.

The zero shifts: for every law (the skewed laws, then the symmetric one), on two sweeps, the
beta sweep (every beta of ``betas`` at each M of ``beta_batch_sizes``) and the batch-size sweep
(every M of ``batch_sizes`` at ``batch_size_beta``), one independent common-random-numbers field
per seed and point; a point on both sweeps is computed once and listed under each. The spread:
the standard deviation of Adam's iterates over the second half of each constant-step run, with
noise (the first skewed law) and without.
"""

import dataclasses

import numpy as np
import pandas as pd
import torch

from adam_ode.adam import run_adam
from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from adam_ode.schedule import constant_schedule
from replication.hyperparameters import adam_hyper
from replication.quadratic_fields import shift_table
from replication.store import Stage, run_stage, save_table, seed_for


def stationary_spreads(stage: Stage, law: NoiseLaw) -> list[dict]:
    """Every gamma and seed in one batch, started at E[X] - 1 (without noise, a start at E[X]
    would never move)."""
    p, adam = stage.params, stage.params["adam"]
    gammas = np.repeat(p["gammas"], p["spread_seeds"])
    second_half = np.arange(p["spread_steps"] // 2, p["spread_steps"] + 1)
    rows = []
    for noise, spread_law in (("skewed", law), ("none", dataclasses.replace(law, scale=0.0))):
        problem = StochasticQuadratic(spread_law, 1)
        rng = np.random.default_rng(seed_for(p["seed"], "quadratic_rates", "spread", noise))
        path = run_adam(torch.full((len(gammas), 1), law.mean - 1.0, dtype=torch.float64),
                        problem.stochastic_gradient(rng), constant_schedule(gammas),
                        adam_hyper(p), p["spread_steps"],
                        record_steps=second_half)
        spread = path.thetas[:, :, 0].std(dim=0).numpy()
        rows += [{"kind": "spread", "sweep": "gamma", "law": law.name if noise == "skewed" else "no noise",
                  "law_index": 0, "symmetric": False, "skewness": spread_law.skewness, "scale": spread_law.scale,
                  "alpha": adam["alpha"], "beta": adam["beta"], "batch_size": 1, "gamma": float(gamma),
                  "seed": run % p["spread_seeds"], "value": float(value), "diverged": bool(path.diverged_at[run] >= 0)}
                 for run, (gamma, value) in enumerate(zip(gammas, spread))]
        stage.log(f"spread ({noise}): " + ", ".join(f"gamma {g:g}: {s:.3g}" for g, s in
                                                    zip(p["gammas"], spread.reshape(len(p["gammas"]), -1).mean(axis=1))))
    return rows


def main(stage: Stage) -> None:
    laws = [NoiseLaw(**spec) for spec in stage.params["laws"]] + [NoiseLaw(**stage.params["symmetric_law"])]
    shifts = shift_table(stage.params, laws, stage.log)
    save_table(stage.output("rates.csv"), pd.concat([shifts, pd.DataFrame(stationary_spreads(stage, laws[0]))],
                                                    ignore_index=True))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
