"""Stage capture: Adam started at theta* + r u inside the measured Lyapunov neighbourhood.

theta* runs over the polished points of every network (the minimum set for overparametrized
ones, a critical point with F > 0 for the controls); r is the largest radius at which every
sampled point had grad F . f significantly negative (the lyapunov_pl stage, at the training
batch size), or the smallest radius where there is none; u over random unit directions.
Records F along training time for every run.
"""

import numpy as np
import pandas as pd
import torch

from adam_ode.adam import run_adam
from adam_ode.checks import sphere_points
from adam_ode.schedule import geometric_grid, polynomial_schedule
from replication.hyperparameters import adam_hyper
from replication.neighbourhood import lyapunov_radius
from replication.problems import erm_problem
from replication.store import Stage, load_arrays, run_stage, save_table, seed_for


def captured(stage: Stage, name: str, net: dict, lyapunov: pd.DataFrame) -> list[dict]:
    """The runs of one network, started around its polished points, as rows of F along training."""
    p = stage.params
    problem = erm_problem(stage.input("data", "dataset.npz"), net)
    minima = load_arrays(stage.input(f"minima_{name}", "minima.npz"))
    keep = np.flatnonzero(minima["on_minimum_set"] if net["overparametrized"] else np.ones(len(minima["losses"]), bool))
    measured = lyapunov_radius(lyapunov[lyapunov["network"] == name], p["batch_size"])
    radius = measured if measured is not None else float(lyapunov["radius"].min())
    rng = np.random.default_rng(seed_for(p["seed"], "capture", name))
    starts = np.concatenate([sphere_points(minima["thetas"][i], [radius], p["directions"], rng)[0] for i in keep])
    generator = torch.Generator().manual_seed(seed_for(p["seed"], "capture", name, "batches"))
    path = run_adam(torch.from_numpy(starts), problem.stochastic_gradient(p["batch_size"], generator),
                    polynomial_schedule(p["gamma_0"], p["n_0"], p["rho"]), adam_hyper(p), p["steps"],
                    record_steps=geometric_grid(p["steps"], p["record_points"]), loss=problem.loss)
    losses = path.losses.numpy()
    stage.log(f"network {name}: r={radius:g} ({'measured' if measured is not None else 'no measured neighbourhood'}), "
              f"{len(starts)} runs, median F {np.median(losses[0]):.3e} -> {np.median(losses[-1]):.3e}")
    return [{"network": name, "overparametrized": net["overparametrized"], "alpha": p["adam"]["alpha"],
             "beta": p["adam"]["beta"], "batch_size": p["batch_size"], "radius": radius,
             "radius_measured": measured is not None, "minimum": int(keep[run // p["directions"]]),
             "run": run, "step": int(step), "time": float(path.times[k, run]), "loss": float(losses[k, run]),
             "floor": problem.loss_floor, "diverged": bool(path.diverged_at[run] >= 0)}
            for run in range(len(starts)) for k, step in enumerate(path.steps)]


def main(stage: Stage) -> None:
    p = stage.params
    lyapunov = stage.tables("lyapunov", "lyapunov_pl.csv")
    lyapunov = lyapunov[(lyapunov["alpha"] == p["adam"]["alpha"]) & (lyapunov["beta"] == p["adam"]["beta"])]
    rows = [row for name, net in p["networks"].items() for row in captured(stage, name, net, lyapunov)]
    save_table(stage.output("capture.csv"), pd.DataFrame(rows))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
