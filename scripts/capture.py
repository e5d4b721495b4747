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

from adam_ode.adam import AdamHyper, run_adam
from adam_ode.schedule import geometric_grid, polynomial_schedule
from adam_ode.checks import sphere_points
from replication.problems import erm_problem
from replication.neighbourhood import lyapunov_radius
from replication.store import Stage, load_arrays, save_table, seed_for

torch.set_num_threads(snakemake.threads)
stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
table = stage.tables("lyapunov", "lyapunov_pl.csv")
table = table[(table["alpha"] == p["adam"]["alpha"]) & (table["beta"] == p["adam"]["beta"])]
schedule = polynomial_schedule(p["gamma_0"], p["n_0"], p["rho"])
rows = []
for name, net in p["networks"].items():
    problem = erm_problem(stage.input("data", "dataset.npz"), net)
    minima = load_arrays(stage.input(f"minima_{name}", "minima.npz"))
    keep = np.flatnonzero(minima["on_minimum_set"] if net["overparametrized"] else np.ones(len(minima["losses"]), bool))
    measured = lyapunov_radius(table[table["network"] == name], p["batch_size"])
    radius = measured if measured is not None else float(table["radius"].min())
    rng = np.random.default_rng(seed_for(p["seed"], "capture", name))
    starts = np.concatenate([sphere_points(minima["thetas"][i], [radius], p["directions"], rng)[0] for i in keep])
    generator = torch.Generator().manual_seed(seed_for(p["seed"], "capture", name, "batches"))
    path = run_adam(torch.from_numpy(starts), problem.stochastic_gradient(p["batch_size"], generator), schedule,
                    AdamHyper(**p["adam"]), p["steps"], record_steps=geometric_grid(p["steps"], p["record_points"]),
                    loss=problem.loss)
    losses = path.losses.numpy()
    for run in range(len(starts)):
        for k, step in enumerate(path.steps):
            rows.append({"network": name, "overparametrized": net["overparametrized"], "alpha": p["adam"]["alpha"],
                         "beta": p["adam"]["beta"], "batch_size": p["batch_size"], "radius": radius,
                         "radius_measured": measured is not None, "minimum": int(keep[run // p["directions"]]),
                         "run": run, "step": int(step), "time": float(path.times[k, run]), "loss": float(losses[k, run]),
                         "floor": problem.loss_floor,
                         "diverged": bool(path.diverged_at[run] >= 0)})
    stage.log(f"network {name}: r={radius:g} ({'measured' if measured is not None else 'no measured neighbourhood'}), "
              f"{len(starts)} runs, median F {np.median(losses[0]):.3e} -> {np.median(losses[-1]):.3e}")
save_table(stage.output("capture.csv"), pd.DataFrame(rows))
stage.finish()
