"""Stage flow, for one network: from Adam iterates Theta_n, integrate the Adam flow, the gradient
flow and the noiseless Adam flow over a window T of training time and record D(n, T) for each."""

import numpy as np
import pandas as pd
import torch

from adam_ode.flow import euler_flow, flow_deviations, gradient_flow_field, integrate_flow, noiseless_adam_field
from replication.inputs import common_random_numbers, erm_problem
from replication.store import Stage, load_arrays, save_table

torch.set_num_threads(snakemake.threads)
stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
name = p["network"]
problem = erm_problem(stage.input("data", "dataset.npz"), p)
train = load_arrays(stage.input("train", "trajectories.npz"))
_, gradient = problem.numpy_functions()
crn = common_random_numbers(p, problem.n, p["batch_size"], "flow", name)


def adam_field(theta):
    return crn.estimate(problem.per_sample_gradients(torch.from_numpy(theta))).mean


noiseless = noiseless_adam_field(gradient, p["adam"]["eps"])
# Near the minimum set the Adam flow is stiff: from n = 10000 RK45 needed 7778 field evaluations,
# BDF 1170, for the same D to 1e-5. The noiseless field is sign-like for small eps, which stalls
# adaptive solvers.
solvers = {
    "adam": lambda theta: integrate_flow(adam_field, theta, p["horizon"], method="BDF", rtol=1e-6, atol=1e-9),
    "gradient": lambda theta: integrate_flow(gradient_flow_field(gradient), theta, p["horizon"], rtol=1e-6, atol=1e-9),
    "noiseless": lambda theta: euler_flow(noiseless, theta, p["horizon"], p["euler_steps"]),
}
rows = []
for r in np.flatnonzero(train["diverged_at"] < 0):
    starts = [int(np.searchsorted(train["steps"], n)) for n in p["starts"]]
    records = flow_deviations(train["times"][:, r], train["thetas"][:, r], starts, p["horizon"], solvers)
    for record in records:
        rows.append({"network": name, "overparametrized": p["overparametrized"], "run": int(r),
                     "start": int(train["steps"][record.pop("index")]), **record})
    stage.log(f"network {name} run {r}: " + ", ".join(
        f"n={row['start']} {row['flow']} D={row['deviation']:.3e}" for row in rows[-len(records):]))
save_table(stage.output("deviation.csv"), pd.DataFrame(rows))
stage.finish()
