"""Stage gamma_limit: Corollary 1.10 in ERM as a gamma -> 0 limit, for one underparametrized network.

On each of several data sets (one critical point each, distinct by construction): polish a critical point of F, find the
zeros of several independent common-random-numbers Adam fields next to it, and run Adam with
constant step sizes gamma from the first zero; its stationary mean at each gamma is compared with
the critical point and the zeros in function space (the predictions at the data), on the line
from the critical point (position 0) to the first zero (position 1). Without noise (the full-batch
gradient, Corollaries 1.12 and 1.13) Adam runs at the same step sizes from starts around the
first zero.
"""

import numpy as np
import pandas as pd
import torch

from adam_ode.adam import AdamHyper, stationary_means
from adam_ode.checks import polish_minimum
from adam_ode.erm import MLP, ERMProblem, make_dataset
from adam_ode.vector_field.erm import ERMCommonRandomNumbers
from adam_ode.vector_field.estimate import field_zero
from replication.store import Stage, save_table, seed_for

torch.set_num_threads(snakemake.threads)
stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
d = p["data"]
rows, found = [], 0
# Data sets are drawn in order; one whose critical point has no zero of f nearby (the root finder
# fails for a field), or whose zero is the critical point itself, is skipped.
for k in range(4 * p["critical_points"]):
    if found == p["critical_points"]:
        break
    x, y = make_dataset(d["n"], d["input_dim"], seed_for(p["seed"], "gamma_limit", "data", k), target=d["target"])
    problem = ERMProblem(MLP(p["network"]["widths"], p["network"]["activation"]), x, y)
    _, gradient = problem.numpy_functions()
    residuals, jacobian = problem.numpy_residuals()
    starts = problem.net.init(4, torch.Generator().manual_seed(seed_for(p["seed"], "gamma_limit", "init", k))).numpy()
    critical = min((polish_minimum(residuals, jacobian, theta, 0.0, max_iter=p["max_iter"]) for theta in starts),
                   key=lambda m: m.excess)

    def field(j):
        return ERMCommonRandomNumbers(problem, p["batch_size"], AdamHyper(**p["adam"]), n_samples=p["n_samples"],
                                      seed=seed_for(p["seed"], "gamma_limit", "field", k, j), tol=p["tol"],
                                      control_variate=True)

    try:
        zeros = [field_zero(field(j), critical.theta) for j in range(p["fields"])]
    except RuntimeError as error:
        stage.log(f"data set {k}: critical point with F = {critical.excess:.6g} skipped: {error}")
        continue

    def predictions(theta):
        return problem.net(torch.as_tensor(theta), problem.x)[..., 0].numpy()

    u = predictions(zeros[0]) - predictions(critical.theta)
    if not np.linalg.norm(u) > 0:  # the network interpolates this data set: no noise at its minimum
        stage.log(f"data set {k}: the zero of f is the critical point (F = {critical.excess:.3g}); skipped")
        continue

    def position(theta):
        return (predictions(theta) - predictions(critical.theta)) @ u / (u @ u)

    generator = torch.Generator().manual_seed(seed_for(p["seed"], "gamma_limit", "adam", k))
    means = stationary_means(zeros[0], problem.stochastic_gradient(p["batch_size"], generator), p["gammas"],
                             AdamHyper(**p["adam"]), runs=p["runs"], burn_in_steps=p["burn_in_steps"],
                             average_steps=p["average_steps"])
    # The same experiment without noise (Corollaries 1.12, 1.13): the full-batch gradient at the same
    # step sizes, from starts around the first zero, at most half its distance from the critical point.
    rng = np.random.default_rng(seed_for(p["seed"], "gamma_limit", "noiseless", k))
    directions = rng.standard_normal((p["noiseless_runs"], len(zeros[0])))
    radius = 0.5 * np.linalg.norm(zeros[0] - critical.theta)
    starts = zeros[0] + radius * rng.uniform(size=(len(directions), 1)) * directions / np.linalg.norm(
        directions, axis=1, keepdims=True)
    noiseless = stationary_means(starts, problem.full_gradient, p["gammas"], AdamHyper(**p["adam"]),
                                 runs=p["noiseless_runs"], burn_in_steps=p["burn_in_steps"],
                                 average_steps=p["average_steps"])
    # Points are numbered in the order found, so that every root seed has points 0, 1, ...
    common = {"point": found, "data_set": k, "critical_loss": critical.excess,
              "critical_grad_norm": float(np.linalg.norm(gradient(critical.theta))), "separation": float(np.linalg.norm(u))}
    rows += [{**common, "kind": "zero", "gamma": 0.0, "run": j, "position": position(z)} for j, z in enumerate(zeros)]
    for kind, table in (("adam", means), ("noiseless", noiseless)):
        rows += [{**common, "kind": kind, "gamma": gamma, "run": r, "position": position(m)}
                 for gamma, runs in zip(p["gammas"], table) for r, m in enumerate(runs) if np.all(np.isfinite(m))]
    found += 1
    stage.log(f"point {found - 1} (data set {k}): F = {critical.excess:.6g}, |grad F| = {common['critical_grad_norm']:.1e}, "
              f"|u| = {common['separation']:.3e}, zeros at {[round(position(z), 3) for z in zeros]}, Adam at " + ", ".join(
                  f"gamma {g:g}: {np.mean([position(m) for m in runs]):.3f}" for g, runs in zip(p["gammas"], means))
              + "; without noise at " + ", ".join(f"{np.mean([position(m) for m in runs]):.2g}" for runs in noiseless))
if found < p["critical_points"]:
    raise RuntimeError(f"zeros of f were found next to only {found} of {4 * p['critical_points']} critical points "
                       f"(gamma_limit.critical_points = {p['critical_points']}); see the log")
save_table(stage.output("positions.csv"), pd.DataFrame(rows))
stage.finish()
