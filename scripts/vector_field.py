"""Stage vector_field: |grad F| and the Adam field f, with standard errors, along training.

Uses common random numbers: one set of index sequences for every point, so differences
along a path are not Monte Carlo noise.
"""

import numpy as np
import pandas as pd
import torch

from replication.estimators import common_random_numbers
from replication.problems import erm_problem
from replication.store import Stage, load_arrays, run_stage, save_table


def field_at(problem, crn, theta: torch.Tensor) -> dict:
    """|grad F| and |f| with its standard error at theta, and the largest |f_i| / SE(f_i)."""
    J = problem.per_sample_gradients(theta)
    est = crn.at_jacobian(J)
    norm = np.linalg.norm(est.mean)
    _, norm_se = est.project(est.mean / norm) if norm > 0 else (0.0, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(est.stderr > 0, np.abs(est.mean) / est.stderr, 0.0)
    return {"grad_norm": float(np.linalg.norm(J.mean(dim=0).numpy())), "field_norm": float(norm),
            "field_norm_se": float(norm_se), "field_max_z": float(z.max()), "dim": int(problem.dim),
            "truncation_bound": est.truncation_bound}


def main(stage: Stage) -> None:
    p = stage.params
    rows = []
    for name, net in p["networks"].items():
        problem = erm_problem(stage.input("data", "dataset.npz"), net)
        train = load_arrays(stage.input(f"train_{name}", "trajectories.npz"))
        crn = common_random_numbers(p, problem, p["batch_size"], "vector_field", name)
        wanted = np.geomspace(1, train["steps"][-1], p["field"]["path_points"])
        picks = np.unique([0, *np.abs(train["steps"][:, None] - wanted[None]).argmin(axis=0), len(train["steps"]) - 1])
        for r in np.flatnonzero(train["diverged_at"] < 0):
            for k in picks:
                at = field_at(problem, crn, torch.from_numpy(train["thetas"][k, r]))
                rows.append({"network": name, "overparametrized": net["overparametrized"], "run": int(r),
                             "step": int(train["steps"][k]), "time": float(train["times"][k, r]),
                             "loss": float(train["losses"][k, r]), **at})
            stage.log(f"network {name} run {r}: {len(picks)} points, final |f| {rows[-1]['field_norm']:.3e}")
    save_table(stage.output("field_path.csv"), pd.DataFrame(rows))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
