"""Stage quadratic_adam: long Adam runs on the 1-D stochastic quadratic, for every law and beta;
the limit of each run is its mean over the final window of steps."""

import numpy as np
import pandas as pd
import torch

from adam_ode.adam import run_adam
from adam_ode.quadratic import NoiseLaw, StochasticQuadratic, joined_stochastic_gradient
from replication.hyperparameters import adam_hyper, stage_schedule
from replication.store import Stage, run_stage, save_table, seed_for


def main(stage: Stage) -> None:
    """Every law's runs advance in one batch, each law drawing from its own stream."""
    p = stage.params
    laws = [NoiseLaw(**spec) for spec in p["laws"]]
    betas = np.repeat(p["betas"], p["adam_seeds"])
    problems = [(StochasticQuadratic(law, 1), np.random.default_rng(seed_for(p["seed"], "quadratic_adam", index)))
                for index, law in enumerate(laws)]
    theta_0 = torch.cat([torch.full((len(betas), 1), law.mean - 2 * law.scale, dtype=torch.float64) for law in laws])
    path = run_adam(theta_0, joined_stochastic_gradient(problems, [len(betas)] * len(laws)), stage_schedule(p),
                    adam_hyper(p, beta=np.tile(betas, len(laws))), p["steps"], record_steps=[p["steps"]],
                    average_from=int((1 - p["final_window"]) * p["steps"]))
    limits, diverged = path.average[:, 0].numpy().reshape(len(laws), -1), (path.diverged_at >= 0).reshape(len(laws), -1)
    rows = [row for index, law in enumerate(laws) for row in law_rows(stage, index, law, betas, limits[index],
                                                                      diverged[index])]
    save_table(stage.output("limits.csv"), pd.DataFrame(rows))


def law_rows(stage: Stage, index: int, law: NoiseLaw, betas: np.ndarray, limits: np.ndarray,
             diverged: np.ndarray) -> list[dict]:
    """One row per run of the law ``index``: its beta and the mean of its final window of steps."""
    stage.log(f"law {law.name}: mean limits "
              f"{dict(zip(stage.params['betas'], limits.reshape(len(stage.params['betas']), -1).mean(axis=1).round(4)))}")
    return [{"law": index, "law_name": law.name, "symmetric": law.symmetric, "mean": law.mean, "beta": float(beta),
             "run": run, "limit": float(limit), "diverged": bool(failed)}
            for run, (beta, limit, failed) in enumerate(zip(betas, limits, diverged))]


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
