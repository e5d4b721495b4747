"""Stage lyapunov_pl: grad F . f (with its SE), |grad F|^2 / (F - inf F) and the noise ratio
C = E|G|^2 / |grad F|^2 of inequality (17) at theta* + r u.

theta* runs over the polished points of every network (the minimum set Z for the
overparametrized ones, critical points with F > 0 for the controls), r over the radii, u over
random unit directions, and (beta, M) over the second-moment parameters and mini-batch sizes.
At the largest batch size, the smallest and the largest radius (the limit r -> 0 and the edge of
the grid, where r0 would show) get a worst-case direction per beta: a few
optimiser steps that maximise the normalised derivative grad F . f / (|grad F| |f|) over the
sphere, from the random direction where it was largest (common random numbers make the
objective smooth).
"""

import numpy as np
import pandas as pd
import torch

from adam_ode.checks import lyapunov_derivative, noise_ratio, pl_ratio, sphere_points, worst_direction
from replication.inputs import common_random_numbers, erm_problem
from replication.store import Stage, load_arrays, save_table, seed_for

torch.set_num_threads(snakemake.threads)
stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
rows = []


def measure(problem, crns, theta):
    """Per (beta, M): grad F . f, its SE and the normalised derivative at theta; and the PL and noise ratios."""
    J = problem.per_sample_gradients(torch.from_numpy(theta))
    g = J.mean(dim=0).numpy()
    gnorm = float(np.linalg.norm(g))
    excess = float(problem.loss(torch.from_numpy(theta))) - problem.loss_floor
    common = {"loss": excess + problem.loss_floor, "grad_norm": gnorm,
              "pl_ratio": pl_ratio(g, excess) if excess > 0 else np.nan}
    out = {}
    for (beta, m), crn in crns.items():
        est = crn.estimate(J)
        deriv, se = lyapunov_derivative(g, est)
        fnorm = float(np.linalg.norm(est.mean))
        out[beta, m] = {**common, "derivative": deriv, "derivative_se": se, "derivative_n": len(est.samples),
                        "noise_ratio": noise_ratio(J.numpy(), m) if gnorm > 0 else np.nan,
                        "normalised": deriv / (gnorm * fnorm) if gnorm * fnorm > 0 else 0.0}
    return out


for name, net in p["networks"].items():
    problem = erm_problem(stage.input("data", "dataset.npz"), net)
    minima = load_arrays(stage.input(f"minima_{name}", "minima.npz"))
    keep = minima["on_minimum_set"] if net["overparametrized"] else np.ones(len(minima["losses"]), bool)
    crns = {(beta, m): common_random_numbers(p, problem.n, m, "lyapunov_pl", name, beta, m, beta=beta)
            for beta in p["betas"] for m in p["batch_sizes"]}
    rng = np.random.default_rng(seed_for(p["seed"], "lyapunov_pl", name, "directions"))
    for i in np.flatnonzero(keep):
        center = minima["thetas"][i]
        points = sphere_points(center, p["radii"], p["directions"], rng)
        base = {"network": name, "overparametrized": net["overparametrized"], "minimum": int(i),
                "center_loss": float(minima["losses"][i])}
        for ri, radius in enumerate(p["radii"]):
            measured = [measure(problem, crns, theta) for theta in points[ri]]
            rows += [{**base, "radius": radius, "direction": u, "search": "random", "beta": beta, "batch_size": m,
                      **values} for u, at in enumerate(measured) for (beta, m), values in at.items()]
            for beta in p["betas"] if radius in (min(p["radii"]), max(p["radii"])) else ():
                key = (beta, max(p["batch_sizes"]))
                start = int(np.argmax([at[key]["normalised"] for at in measured]))
                u = worst_direction(lambda d: measure(problem, {key: crns[key]}, center + radius * d)[key]["normalised"],
                                    points[ri][start] - center, p["worst_case_steps"])
                rows.append({**base, "radius": radius, "direction": start, "search": "worst", "beta": beta,
                             "batch_size": key[1], **measure(problem, {key: crns[key]}, center + radius * u)[key]})
        worst = [r["normalised"] for r in rows if r["search"] == "worst" and r["network"] == name and r["minimum"] == i]
        stage.log(f"network {name} point {i}: {len(p['radii'])} radii x {p['directions']} directions x "
                  f"{len(crns)} (beta, M); largest normalised derivative found by the searches {max(worst):.3f}")
save_table(stage.output("lyapunov_pl.csv"), pd.DataFrame(rows))
stage.finish()
