"""Stage minima: polish every run's final iterate by trust-region Gauss-Newton in float64.

For an overparametrized network this lands on the minimum set Z (F - inf F <= tol, inf F = 0
on clean data); for an underparametrized network it lands on a critical point with F > inf F.
"""

import numpy as np

from adam_ode.checks import polish_minimum
from replication.problems import erm_problem
from replication.store import Stage, load_arrays, run_stage, save_arrays


def main(stage: Stage) -> None:
    p = stage.params
    problem = erm_problem(stage.input("data", "dataset.npz"), p)
    train = load_arrays(stage.input("train", "trajectories.npz"))
    loss, gradient = problem.numpy_functions()
    residuals, jacobian = problem.numpy_residuals()
    thetas, excesses, grad_norms, runs = [], [], [], []
    for r, theta in enumerate(train["thetas"][-1]):
        if train["diverged_at"][r] >= 0:
            stage.log(f"run {r}: diverged during training, skipped")
            continue
        found = polish_minimum(residuals, jacobian, theta, p["tol"], max_iter=p["max_iter"])
        g = np.linalg.norm(gradient(found.theta))
        stage.log(f"run {r}: F - inf F {loss(theta) - problem.loss_floor:.3e} -> {found.excess:.3e}, "
                  f"|grad F| {g:.3e}, {found.evaluations} evaluations")
        thetas.append(found.theta)
        excesses.append(found.excess)
        grad_norms.append(g)
        runs.append(r)
    excesses = np.array(excesses)
    on_minimum_set = excesses <= p["tol"]
    if p["overparametrized"] and not on_minimum_set.any():
        raise RuntimeError(f"no run of network {p['network']} reached F - inf F <= {p['tol']} (inf F = "
                           f"{problem.loss_floor:.6g}); the minimum set was not found")
    save_arrays(stage.output("minima.npz"), thetas=np.array(thetas), losses=problem.loss_floor + excesses,
                excesses=excesses, grad_norms=np.array(grad_norms), runs=np.array(runs), on_minimum_set=on_minimum_set,
                floor=problem.loss_floor)


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
