"""Stage capture, one job per network: Adam started at theta* + r u inside the measured Lyapunov
neighbourhood.

theta* runs over the polished points of the network (the minimum set for overparametrized
ones, a critical point with F > 0 for the controls); r is the largest radius at which every
sampled point had grad F . f significantly negative (the lyapunov_pl stage, at the training
batch size), or the smallest radius where there is none; u over random unit directions.
Records F along training time for every run.
"""

import numpy as np
import pandas as pd
import torch

from adam_ode.checks import sphere_points
from replication.hyperparameters import mini_batch_adam
from replication.neighbourhood import lyapunov_radius
from replication.problems import erm_problem
from replication.store import Stage, load_arrays, run_stage, save_table, seed_for


def captured(stage: Stage, lyapunov: pd.DataFrame) -> list[dict]:
    """The network's runs, started around its polished points, as rows of F along training."""
    p, name = stage.params, stage.params["network"]
    problem = erm_problem(stage.input("data", "dataset.npz"), p)  # the network's keys sit at the top level
    minima = load_arrays(stage.input("minima", "minima.npz"))
    keep = np.flatnonzero(minima["on_minimum_set"] if p["overparametrized"] else np.ones(len(minima["losses"]), bool))
    measured = lyapunov_radius(lyapunov, p["batch_size"])
    radius = measured if measured is not None else float(lyapunov["radius"].min())
    rng = np.random.default_rng(seed_for(p["seed"], "capture", name))
    starts = np.concatenate([sphere_points(minima["thetas"][i], [radius], p["directions"], rng)[0] for i in keep])
    generator = torch.Generator().manual_seed(seed_for(p["seed"], "capture", name, "batches"))
    path = mini_batch_adam(problem, torch.from_numpy(starts), generator, p)
    losses = path.losses.numpy()
    stage.log(f"network {name}: r={radius:g} ({'measured' if measured is not None else 'no measured neighbourhood'}), "
              f"{len(starts)} runs, median F {np.median(losses[0]):.3e} -> {np.median(losses[-1]):.3e}")
    head = {"network": name, "overparametrized": p["overparametrized"], "alpha": p["adam"]["alpha"],
            "beta": p["adam"]["beta"], "batch_size": p["batch_size"], "radius": radius,
            "radius_measured": measured is not None}
    return [{**head, "minimum": int(keep[record["run"] // p["directions"]]), **record, "floor": problem.loss_floor,
             "diverged": bool(path.diverged_at[record["run"]] >= 0)} for record in path.records()]


def main(stage: Stage) -> None:
    p = stage.params
    lyapunov = pd.read_csv(stage.input("lyapunov", "lyapunov_pl.csv"))
    lyapunov = lyapunov[(lyapunov["alpha"] == p["adam"]["alpha"]) & (lyapunov["beta"] == p["adam"]["beta"])]
    save_table(stage.output("capture.csv"), pd.DataFrame(captured(stage, lyapunov)))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
