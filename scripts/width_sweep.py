"""Stage width_sweep: mini-batch Adam from random initialisation for one-hidden-layer networks of
several widths (d/N from below to above 1), recording F along training time; and, as the
control, the widest network on the conflicting-label data set, which it cannot interpolate."""

import numpy as np
import pandas as pd
import torch

from adam_ode.adam import run_adam
from adam_ode.schedule import geometric_grid, polynomial_schedule
from replication.hyperparameters import adam_hyper
from replication.problems import erm_problem
from replication.store import Stage, run_stage, save_table, seed_for


def main(stage: Stage) -> None:
    p = stage.params
    schedule = polynomial_schedule(p["gamma_0"], p["n_0"], p["rho"])
    rows = []
    for width, data in [(w, "clean") for w in p["widths"]] + [(max(p["widths"]), "conflicting")]:
        net = {"widths": [p["input_dim"], width, 1], "activation": p["activation"], "data": data}
        problem = erm_problem(stage.input("data", "dataset.npz"), net)
        # The same seeds for both data sets: the control differs from the claim in the data alone.
        seed = seed_for(p["seed"], "width_sweep", width)
        path = run_adam(problem.net.init(p["seeds"], torch.Generator().manual_seed(seed)),
                        problem.stochastic_gradient(p["batch_size"], torch.Generator().manual_seed(seed + 1)),
                        schedule, adam_hyper(p), p["steps"],
                        record_steps=geometric_grid(p["steps"], p["record_points"]), loss=problem.loss)
        losses = path.losses.numpy()
        rows += [{"data": data, "width": width, "dim": problem.dim, "n": problem.n, "floor": problem.loss_floor,
                  "run": run, "step": int(step), "time": float(path.times[k, run]), "loss": float(losses[k, run]),
                  "diverged": bool(path.diverged_at[run] >= 0)}
                 for run in range(p["seeds"]) for k, step in enumerate(path.steps)]
        stage.log(f"width {width}, {data} data (d={problem.dim}, N={problem.n}, inf F={problem.loss_floor:.4g}): "
                  f"final F {np.sort(losses[-1]).round(8).tolist()}")
    save_table(stage.output("widths.csv"), pd.DataFrame(rows))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
