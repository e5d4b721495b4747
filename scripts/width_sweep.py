"""Stage width_sweep: mini-batch Adam from random initialisation for one-hidden-layer networks of
several widths (d/N from below to above 1), recording F along training time; and, as the
control, the widest network on the conflicting-label data set, which it cannot interpolate."""

import numpy as np
import pandas as pd
import torch

from replication.hyperparameters import mini_batch_adam
from replication.problems import erm_problem
from replication.store import Stage, run_stage, save_table, seed_for


def main(stage: Stage) -> None:
    p = stage.params
    runs = [(width, "clean") for width in p["widths"]] + [(max(p["widths"]), "conflicting")]
    save_table(stage.output("widths.csv"),
               pd.DataFrame([row for width, data in runs for row in width_rows(stage, width, data)]))


def width_rows(stage: Stage, width: int, data: str) -> list[dict]:
    """F along training, one row per run and recorded step, for the network of ``width`` on ``data``."""
    p = stage.params
    net = {"widths": [p["input_dim"], width, 1], "activation": p["activation"], "data": data}
    problem = erm_problem(stage.input("data", "dataset.npz"), net)
    # The same seeds for both data sets: the control differs from the claim in the data alone.
    seed = seed_for(p["seed"], "width_sweep", width)
    path = mini_batch_adam(problem, problem.net.init(p["seeds"], torch.Generator().manual_seed(seed)),
                           torch.Generator().manual_seed(seed + 1), p)
    losses = path.losses.numpy()
    stage.log(f"width {width}, {data} data (d={problem.dim}, N={problem.n}, inf F={problem.loss_floor:.4g}): "
              f"final F {np.sort(losses[-1]).round(8).tolist()}")
    head = {"data": data, "width": width, "dim": problem.dim, "n": problem.n, "floor": problem.loss_floor}
    return [{**head, **record, "diverged": bool(path.diverged_at[record["run"]] >= 0)} for record in path.records()]


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
