"""Stage lyapunov_pl: grad F . f (with its SE), |grad F|^2 / (F - inf F) and the noise ratio
C = E|G|^2 / |grad F|^2 of inequality (17) at theta* + r u.

theta* runs over the polished points of every network (the minimum set Z for the
overparametrized ones, critical points with F > 0 for the controls), r over the radii,
u over random unit directions, and M over the mini-batch sizes.
"""

import numpy as np
import pandas as pd
import torch

from adam_ode.checks import lyapunov_derivative, noise_ratio, pl_ratio, sphere_points
from replication.inputs import common_random_numbers, erm_problem
from replication.store import Stage, load_arrays, save_table, seed_for

torch.set_num_threads(snakemake.threads)
stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
rows = []
for name, net in p["networks"].items():
    problem = erm_problem(stage.input("data", "dataset.npz"), net)
    minima = load_arrays(stage.input(f"minima_{name}", "minima.npz"))
    keep = minima["on_minimum_set"] if net["overparametrized"] else np.ones(len(minima["losses"]), bool)
    crns = {m: common_random_numbers(p, problem.n, m, "lyapunov_pl", name, m) for m in p["batch_sizes"]}
    rng = np.random.default_rng(seed_for(p["seed"], "lyapunov_pl", name, "directions"))
    for i in np.flatnonzero(keep):
        center = minima["thetas"][i]
        points = sphere_points(center, p["radii"], p["directions"], rng)
        for ri, radius in enumerate(p["radii"]):
            thetas = torch.from_numpy(points[ri])
            jacobians = problem.per_sample_gradients(thetas)
            excess = problem.loss(thetas).numpy() - problem.loss_floor
            for u, J in enumerate(jacobians):
                g = J.mean(dim=0).numpy()
                gnorm = float(np.linalg.norm(g))
                for m, crn in crns.items():
                    est = crn.estimate(J)
                    deriv, se = lyapunov_derivative(g, est)
                    fnorm = float(np.linalg.norm(est.mean))
                    rows.append({
                        "network": name, "overparametrized": net["overparametrized"], "minimum": int(i),
                        "center_loss": float(minima["losses"][i]), "radius": radius, "direction": u,
                        "batch_size": m, "loss": float(excess[u] + problem.loss_floor), "grad_norm": gnorm,
                        "pl_ratio": pl_ratio(g, excess[u]) if excess[u] > 0 else np.nan,
                        "derivative": deriv, "derivative_se": se,
                        "noise_ratio": noise_ratio(J.numpy(), m) if gnorm > 0 else np.nan,
                        "normalised": deriv / (gnorm * fnorm) if gnorm * fnorm > 0 else 0.0,
                    })
        stage.log(f"network {name} point {i}: {len(p['radii'])} radii x {p['directions']} directions x {len(crns)} batch sizes")
save_table(stage.output("lyapunov_pl.csv"), pd.DataFrame(rows))
stage.finish()
