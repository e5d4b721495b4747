"""Stage flow_shard, one job per network on clean data and block of its training runs (``runs``, the
block's range; the flow stage joins the blocks): D(T) of the Adam flow, the gradient flow and the
noiseless Adam flow over a window T of training time.

- sweep (the claims; in the block that starts at run 0): from fixed random initialisations, far
  from the minimum set, Adam with a constant step size gamma for each gamma of the sweep (several
  runs each, every step recorded) against the three flows started at the same point;
- start (a figure panel): from the block's training runs' iterates Theta_n, D(n, T) along training.

Every flow is deterministic and the field's sequences are drawn from the network's seed alone, so a
block computes exactly the rows a job for all the runs would.
"""

import numpy as np
import pandas as pd
import torch

from adam_ode.adam import run_adam
from adam_ode.flow import deviation, euler_flow, flow_deviations, gradient_flow_field, integrate_flow, noiseless_flow_field
from adam_ode.schedule import constant_schedule
from replication.estimators import common_random_numbers
from replication.hyperparameters import adam_hyper
from replication.problems import erm_problem
from replication.store import Stage, load_arrays, run_stage, save_table, seed_for


def flow_solvers(p: dict, problem) -> dict:
    """The three flows over the window T from a point: flow name -> solver."""
    _, gradient = problem.numpy_functions()
    field = common_random_numbers(p, problem, p["batch_size"], "flow", p["network"])
    noiseless = noiseless_flow_field(gradient, p["adam"]["eps"])
    # Near the minimum set the Adam flow is stiff: from n = 10000 RK45 needed 7778 field evaluations,
    # BDF 1170, for the same D to 1e-5; BDF's Jacobians are exact (by automatic differentiation, at
    # the cost of three estimates instead of d + 1). The noiseless field is sign-like for small eps,
    # which stalls adaptive solvers.
    return {
        "adam": lambda theta: integrate_flow(field, theta, p["horizon"], method="BDF", rtol=1e-6, atol=1e-9,
                                             jacobian=field.jacobian),
        "gradient": lambda theta: integrate_flow(gradient_flow_field(gradient), theta, p["horizon"], rtol=1e-6,
                                                 atol=1e-9),
        "noiseless": lambda theta: euler_flow(noiseless, theta, p["horizon"], p["euler_steps"]),
    }


def sweep_rows(stage: Stage, problem, solvers: dict) -> list[dict]:
    """D(T) of each flow for Adam at each constant step size gamma, from fixed starts."""
    p, name, rows = stage.params, stage.params["network"], []
    starts = problem.net.init(p["sweep_starts"],
                              torch.Generator().manual_seed(seed_for(p["seed"], "flow", name, "starts")))
    for k, theta_0 in enumerate(starts):
        flows = {flow: solve(theta_0.numpy()) for flow, solve in solvers.items()}
        for gamma in p["sweep_gammas"]:
            # One step past T / gamma, so that the recorded path covers the window despite rounding.
            steps = int(np.ceil(p["horizon"] / gamma)) + 1
            generator = torch.Generator().manual_seed(seed_for(p["seed"], "flow", name, "sweep", k, gamma))
            path = run_adam(theta_0.expand(p["sweep_runs"], -1).clone(),
                            problem.stochastic_gradient(p["batch_size"], generator),
                            constant_schedule(np.full(p["sweep_runs"], gamma)), adam_hyper(p), steps)
            for r in np.flatnonzero(path.diverged_at < 0):
                rows += [{"network": name, "overparametrized": p["overparametrized"], "kind": "sweep", "start": k,
                          "run": int(r), "seed": k * p["sweep_runs"] + int(r), "gamma_0": gamma, "time": 0.0,
                          "flow": flow, "deviation": deviation(path.times[:, r], path.thetas[:, r].numpy(), 0,
                                                               p["horizon"], solution)}
                         for flow, solution in flows.items()]
            stage.log(f"network {name} start {k} gamma {gamma:g}: median D " + ", ".join(
                f"{flow} {np.median([row['deviation'] for row in rows[-3 * p['sweep_runs']:] if row['flow'] == flow]):.3e}"
                for flow in solvers))
    return rows


def start_rows(stage: Stage, solvers: dict) -> list[dict]:
    """D(n, T) of each flow from the training runs' iterates at the configured starts n."""
    p, name, rows = stage.params, stage.params["network"], []
    train = load_arrays(stage.input("train", "trajectories.npz"))
    start, stop = p["runs"]
    for r in np.flatnonzero(train["diverged_at"][start:stop] < 0) + start:
        indices = [int(np.searchsorted(train["steps"], n)) for n in p["starts"]]
        records = flow_deviations(train["times"][:, r], train["thetas"][:, r], indices, p["horizon"], solvers)
        for record in records:
            rows.append({"network": name, "overparametrized": p["overparametrized"], "kind": "start", "run": int(r),
                         "start": int(train["steps"][record.pop("index")]), **record})
        stage.log(f"network {name} run {r}: " + ", ".join(
            f"n={row['start']} {row['flow']} D={row['deviation']:.3e}" for row in rows[-len(records):]))
    return rows


def main(stage: Stage) -> None:
    problem = erm_problem(stage.input("data", "dataset.npz"), stage.params)
    solvers = flow_solvers(stage.params, problem)
    sweep = sweep_rows(stage, problem, solvers) if stage.params["runs"][0] == 0 else []
    rows = sweep + start_rows(stage, solvers)
    save_table(stage.output("deviation.csv"), pd.DataFrame(rows))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
