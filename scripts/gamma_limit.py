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

from adam_ode.adam import stationary_means
from adam_ode.checks import polish_minimum
from adam_ode.erm import MLP, ERMProblem, make_dataset
from adam_ode.vector_field.erm import ERMCommonRandomNumbers
from adam_ode.vector_field.estimate import field_zero
from replication.hyperparameters import adam_hyper
from replication.store import Stage, run_stage, save_table, seed_for


def critical_point(p: dict, k: int):
    """Data set k and its problem, with the polished critical point of F of least loss from four starts."""
    d = p["data"]
    x, y = make_dataset(d["n"], d["input_dim"], seed_for(p["seed"], "gamma_limit", "data", k), target=d["target"])
    problem = ERMProblem(MLP(p["network"]["widths"], p["network"]["activation"]), x, y)
    residuals, jacobian = problem.numpy_residuals()
    starts = problem.net.init(4, torch.Generator().manual_seed(seed_for(p["seed"], "gamma_limit", "init", k))).numpy()
    critical = min((polish_minimum(residuals, jacobian, theta, 0.0, max_iter=p["max_iter"]) for theta in starts),
                   key=lambda m: m.excess)
    return problem, critical


def field(p: dict, problem, k: int, j: int) -> ERMCommonRandomNumbers:
    return ERMCommonRandomNumbers(problem, p["batch_size"], adam_hyper(p), n_samples=p["n_samples"],
                                  seed=seed_for(p["seed"], "gamma_limit", "field", k, j), tol=p["field"]["tol"],
                                  control_variate=True)


def stationary(p: dict, problem, k: int, first_zero: np.ndarray, critical: np.ndarray):
    """Adam's stationary means at each gamma from the first zero, with mini-batches; and the same
    without noise (the full-batch gradient, Corollaries 1.12 and 1.13), from starts around the first
    zero, at most half its distance from the critical point."""
    generator = torch.Generator().manual_seed(seed_for(p["seed"], "gamma_limit", "adam", k))
    means = stationary_means(first_zero, problem.stochastic_gradient(p["batch_size"], generator), p["gammas"],
                             adam_hyper(p), runs=p["runs"], burn_in_steps=p["burn_in_steps"],
                             average_steps=p["average_steps"])
    rng = np.random.default_rng(seed_for(p["seed"], "gamma_limit", "noiseless", k))
    directions = rng.standard_normal((p["noiseless_runs"], len(first_zero)))
    radius = 0.5 * np.linalg.norm(first_zero - critical)
    starts = first_zero + radius * rng.uniform(size=(len(directions), 1)) * directions / np.linalg.norm(
        directions, axis=1, keepdims=True)
    noiseless = stationary_means(starts, problem.full_gradient, p["gammas"], adam_hyper(p),
                                 runs=p["noiseless_runs"], burn_in_steps=p["burn_in_steps"],
                                 average_steps=p["average_steps"])
    return means, noiseless


def point_rows(stage: Stage, k: int, found: int) -> list[dict]:
    """The rows of data set k as point ``found``, or [] (logged) where it is skipped: no zero of f
    next to its critical point (the root finder fails for a field), or the zero is the critical point."""
    p = stage.params
    problem, critical = critical_point(p, k)
    try:
        zeros = [field_zero(field(p, problem, k, j), critical.theta) for j in range(p["fields"])]
    except RuntimeError as error:
        stage.log(f"data set {k}: critical point with F = {critical.excess:.6g} skipped: {error}")
        return []

    def predictions(theta):
        return problem.net(torch.as_tensor(theta), problem.x)[..., 0].numpy()

    u = predictions(zeros[0]) - predictions(critical.theta)
    if not np.linalg.norm(u) > 0:  # the network interpolates this data set: no noise at its minimum
        stage.log(f"data set {k}: the zero of f is the critical point (F = {critical.excess:.3g}); skipped")
        return []

    def position(theta):
        return (predictions(theta) - predictions(critical.theta)) @ u / (u @ u)

    means, noiseless = stationary(p, problem, k, zeros[0], critical.theta)
    _, gradient = problem.numpy_functions()
    common = {"point": found, "data_set": k, "critical_loss": critical.excess,
              "critical_grad_norm": float(np.linalg.norm(gradient(critical.theta))), "separation": float(np.linalg.norm(u))}
    rows = [{**common, "kind": "zero", "gamma": 0.0, "run": j, "position": position(z)} for j, z in enumerate(zeros)]
    for kind, table in (("adam", means), ("noiseless", noiseless)):
        rows += [{**common, "kind": kind, "gamma": gamma, "run": r, "position": position(m)}
                 for gamma, runs in zip(p["gammas"], table) for r, m in enumerate(runs) if np.all(np.isfinite(m))]
    stage.log(f"point {found} (data set {k}): F = {critical.excess:.6g}, |grad F| = {common['critical_grad_norm']:.1e}, "
              f"|u| = {common['separation']:.3e}, zeros at {[round(position(z), 3) for z in zeros]}, Adam at " + ", ".join(
                  f"gamma {g:g}: {np.mean([position(m) for m in runs]):.3f}" for g, runs in zip(p["gammas"], means))
              + "; without noise at " + ", ".join(f"{np.mean([position(m) for m in runs]):.2g}" for runs in noiseless))
    return rows


def main(stage: Stage) -> None:
    # Data sets are drawn in order until enough critical points are found; points are numbered in the
    # order found, so that every root seed has points 0, 1, ...
    p, rows, found = stage.params, [], 0
    for k in range(4 * p["critical_points"]):
        if found == p["critical_points"]:
            break
        point = point_rows(stage, k, found)
        rows += point
        found += bool(point)
    if found < p["critical_points"]:
        raise RuntimeError(f"zeros of f were found next to only {found} of {4 * p['critical_points']} critical points "
                           f"(gamma_limit.critical_points = {p['critical_points']}); see the log")
    save_table(stage.output("positions.csv"), pd.DataFrame(rows))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
