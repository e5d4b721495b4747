"""Stage train: mini-batch Adam on one network, all seeds as one batch.

Records Theta_n and F(Theta_n) on a geometric grid of steps and on every step of the flow
windows [t_n, t_n + T] (for the deviation D(n, T) of the flow stage).
"""

import sys

import numpy as np
import torch

from adam_ode.schedule import geometric_grid, training_times, window_end
from replication.hyperparameters import mini_batch_adam, stage_schedule
from replication.problems import erm_problem
from replication.store import Stage, run_stage, save_arrays, seed_for


def recorded_steps(p: dict, schedule) -> np.ndarray:
    """A geometric grid of steps and every step of the flow windows [t_n, t_n + T], for the run
    whose window is longest."""
    times = training_times(schedule, p["steps"]).reshape(p["steps"] + 1, -1)
    windows = [np.arange(n, max(window_end(t, n, p["windows"]["horizon"]) for t in times.T) + 1)
               for n in p["windows"]["starts"]]
    return np.unique(np.concatenate([geometric_grid(p["steps"], p["record_points"]), *windows]))


def main(stage: Stage) -> None:
    p = stage.params
    problem = erm_problem(stage.input("data", "dataset.npz"), p)
    seed = seed_for(p["seed"], "train", p["network"])
    schedule = stage_schedule(p)
    theta_0 = problem.net.init(p["seeds"], torch.Generator().manual_seed(seed))
    stage.log(f"network {p['network']} widths={p['widths']} d={problem.dim} N={problem.n} runs={p['seeds']}")

    def progress(n, theta):
        stage.log(f"step {n}/{p['steps']}: median loss {problem.loss(theta).median().item():.3e}")

    path = mini_batch_adam(problem, theta_0, torch.Generator().manual_seed(seed + 1), p,
                           record_steps=recorded_steps(p, schedule), progress=progress,
                           progress_every=max(1, p["steps"] // 10))
    if np.all(path.diverged_at >= 0):
        message = f"network {p['network']}: every run diverged (first non-finite steps {path.diverged_at.tolist()})"
        stage.log(message)
        sys.exit(message)
    for r in np.flatnonzero(path.diverged_at >= 0):
        stage.log(f"run {r} diverged at step {path.diverged_at[r]}")
    save_arrays(stage.output("trajectories.npz"), steps=path.steps, times=path.times,
                thetas=path.thetas.numpy(), losses=path.losses.numpy(), diverged_at=path.diverged_at)


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
