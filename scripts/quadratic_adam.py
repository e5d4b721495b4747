"""Stage quadratic_adam: long Adam runs on the 1-D stochastic quadratic, for every law and beta;
the limit of each run is its mean over the final window of steps."""

import numpy as np
import pandas as pd
import torch

from adam_ode.adam import run_adam
from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from replication.hyperparameters import adam_hyper, stage_schedule
from replication.store import Stage, run_stage, save_table, seed_for


def main(stage: Stage) -> None:
    p = stage.params
    schedule = stage_schedule(p)
    rows = [row for index, spec in enumerate(p["laws"]) for row in law_rows(stage, index, NoiseLaw(**spec), schedule)]
    save_table(stage.output("limits.csv"), pd.DataFrame(rows))


def law_rows(stage: Stage, index: int, law: NoiseLaw, schedule) -> list[dict]:
    """One row per run of the law ``index``: its beta and the mean of its final window of steps."""
    p = stage.params
    betas = np.repeat(p["betas"], p["adam_seeds"])  # every beta's runs advance in one batch
    rng = np.random.default_rng(seed_for(p["seed"], "quadratic_adam", index))
    theta_0 = torch.full((len(betas), 1), law.mean - 2 * law.scale, dtype=torch.float64)
    path = run_adam(theta_0, StochasticQuadratic(law, 1).stochastic_gradient(rng), schedule,
                    adam_hyper(p, beta=betas), p["steps"], record_steps=[p["steps"]],
                    average_from=int((1 - p["final_window"]) * p["steps"]))
    limits = path.average[:, 0].numpy()
    stage.log(f"law {law.name}: mean limits "
              f"{dict(zip(p['betas'], limits.reshape(len(p['betas']), -1).mean(axis=1).round(4)))}")
    return [{"law": index, "law_name": law.name, "symmetric": law.symmetric, "mean": law.mean, "beta": float(beta),
             "run": run, "limit": float(limit), "diverged": bool(path.diverged_at[run] >= 0)}
            for run, (beta, limit) in enumerate(zip(betas, limits))]


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
