"""Stage quadratic_flow: which flow Adam follows on a 2-D stochastic quadratic with skewed noise.

One batch of Adam runs with polynomially decaying steps: the main scale gamma_0 (D(n, T) from
several starts n) and a sweep of scales (D from the step n where training time first reaches
sweep_time, the same window of training time for every scale). From each Theta_n it
integrates the Adam flow (common-random-numbers field), the gradient flow and the noiseless
Adam flow. Also writes the three flows from theta_0 and Adam's paths, for the picture in
the plane.
"""

import numpy as np
import pandas as pd
import torch

from adam_ode.adam import run_adam
from adam_ode.flow import euler_flow, flow_deviations, gradient_flow_field, integrate_flow, noiseless_flow_field
from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from adam_ode.schedule import geometric_grid, polynomial_schedule, training_times, window_end
from adam_ode.vector_field.estimate import field_zero
from adam_ode.vector_field.quadratic import QuadraticCommonRandomNumbers
from replication.hyperparameters import adam_hyper
from replication.store import Stage, run_stage, save_arrays, save_table, seed_for


def flow_solvers(p: dict, problem, crn) -> dict:
    """flow name -> solver(theta, horizon)."""
    return {
        "adam": lambda theta, horizon: integrate_flow(crn, theta, horizon, rtol=1e-6, atol=1e-9),
        "gradient": lambda theta, horizon: integrate_flow(gradient_flow_field(problem.gradient), theta, horizon),
        # The noiseless field is sign-like for small eps, which stalls adaptive solvers.
        "noiseless": lambda theta, horizon: euler_flow(noiseless_flow_field(problem.gradient, p["adam"]["eps"]), theta,
                                                       horizon, p["euler_steps"]),
    }


def runs(p: dict) -> tuple[list[str], np.ndarray, list[list[int]], np.ndarray]:
    """Runs 0..S-1 at the main gamma_0, then S runs per sweep scale: each run's kind, scale, starts n
    of D(n, T), and the steps to record (a geometric grid and every step of every window)."""
    seeds = p["seeds"]
    kinds = ["start"] * seeds + ["sweep"] * (seeds * len(p["sweep_gamma_0"]))
    gamma_0 = np.concatenate([np.full(seeds, p["gamma_0"]), np.repeat(p["sweep_gamma_0"], seeds)])
    # Training time depends on the run only through its scale: one column per scale, not per run.
    scales, scale_of = np.unique(gamma_0, return_inverse=True)
    times = training_times(polynomial_schedule(scales, p["n_0"], p["rho"]), p["steps"])
    sweep_start = np.array([np.searchsorted(times[:, scale_of[r]], p["sweep_time"]) for r in range(len(gamma_0))])
    run_starts = [list(p["starts"]) if kind == "start" else [int(sweep_start[r])] for r, kind in enumerate(kinds)]
    windows = [np.arange(n, window_end(times[:, scale_of[r]], min(n, p["steps"]), p["horizon"]) + 1)
               for r in range(len(gamma_0)) for n in run_starts[r]]
    return kinds, gamma_0, run_starts, np.unique(np.concatenate([geometric_grid(p["steps"], 200), *windows]))


def main(stage: Stage) -> None:
    p = stage.params
    problem = StochasticQuadratic(NoiseLaw(**p["law"]), len(p["theta_0"]))
    hyper = adam_hyper(p)
    crn = QuadraticCommonRandomNumbers(problem, hyper, n_samples=p["n_samples"],
                                       seed=seed_for(p["seed"], "quadratic_flow", "field"), tol=p["field"]["tol"])
    flows = flow_solvers(p, problem, crn)
    window_flows = {name: (lambda theta, solve=solve: solve(theta, p["horizon"])) for name, solve in flows.items()}
    kinds, gamma_0, run_starts, record = runs(p)
    theta_0 = torch.tensor(np.tile(p["theta_0"], (len(gamma_0), 1)), dtype=torch.float64)
    rng = np.random.default_rng(seed_for(p["seed"], "quadratic_flow", "adam"))
    path = run_adam(theta_0, problem.stochastic_gradient(rng), polynomial_schedule(gamma_0, p["n_0"], p["rho"]),
                    hyper, p["steps"], record_steps=record)
    thetas = path.thetas.numpy()
    stage.log(f"{len(gamma_0)} runs, {p['steps']} steps, {len(record)} recorded; diverged: {(path.diverged_at >= 0).sum()}")
    rows = []
    for r in np.flatnonzero(path.diverged_at < 0):
        indices = [int(np.searchsorted(path.steps, n)) for n in run_starts[r]]
        rows += [{"network": "quadratic", "kind": kinds[r], "gamma_0": float(gamma_0[r]), "run": int(r),
                  "seed": int(r % p["seeds"]), "start": int(path.steps[found.pop("index")]), **found}
                 for found in flow_deviations(path.times[:, r], thetas[:, r], indices, p["horizon"], window_flows)]
        stage.log(f"run {r} ({kinds[r]}, gamma_0 {gamma_0[r]:g}): " + ", ".join(
            f"n={row['start']} {row['flow']} D={row['deviation']:.3e}" for row in rows[-3 * len(indices):]))
    # The picture in the plane: the three flows from theta_0 against Adam's main runs.
    flow_times = np.linspace(0.0, p["path_time"], 400)
    solutions = {name: solve(np.asarray(p["theta_0"], dtype=float), p["path_time"]) for name, solve in flows.items()}
    shown = path.times[:, 0] <= p["path_time"]
    save_arrays(stage.output("paths.npz"), adam_times=path.times[shown, :p["seeds"]],
                adam_thetas=thetas[shown, :p["seeds"]], flow_times=flow_times,
                **{f"flow_{name}": s.sol(flow_times).T for name, s in solutions.items()},
                zero=field_zero(crn, problem.minimizer), mean=problem.minimizer)
    save_table(stage.output("deviation.csv"), pd.DataFrame(rows))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
