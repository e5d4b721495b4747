"""Stage control_zeros: a pilot for the controls of F4 and F6, on data no network can fit.

There the mini-batch noise does not vanish on the minimum set Z, and the zeros of f lie beside
Z, at F - inf F > 0. The F4 control can fail only at radii below their distance from Z, and a
loss tolerance separates "Adam reaches Z" from "Adam reaches a zero of f" (F6) only below their
F - inf F. Both are measured here, on pilot minima: the training and polish of the train and
minima stages, repeated from initialisations and mini-batches of this stage's own seeds, so that
the minima and points that lyapunov_pl and capture judge never enter. Per pilot minimum and
(alpha, beta, M): a zero of f found by Gauss-Newton from the minimum, its distance from Z and its
F - inf F.
"""

import numpy as np
import pandas as pd
import torch

from adam_ode.adam import run_adam
from adam_ode.checks import distance_to_zero_set, polish_minimum
from adam_ode.schedule import polynomial_schedule
from adam_ode.vector_field.estimate import gauss_newton_zero
from replication.estimators import common_random_numbers
from replication.hyperparameters import adam_hyper
from replication.problems import erm_problem
from replication.store import Stage, run_stage, save_table, seed_for

COLUMNS = ["network", "pilot", "alpha", "beta", "batch_size", "distance", "level", "relative_residual", "found",
           "evaluations"]


def pilot_minima(p: dict, problem, name: str) -> list[np.ndarray]:
    """Adam runs with the train stage's settings from the pilot's seeds, polished as the minima
    stage polishes; the points that reach the minimum set."""
    t, runs = p["train"], p["runs"]
    seed = seed_for(p["seed"], "control_zeros", name)
    gamma_0 = np.resize(np.atleast_1d(t["gamma_0"]), runs)  # train.gamma_0 may give one value per training run
    path = run_adam(problem.net.init(runs, torch.Generator().manual_seed(seed)),
                    problem.stochastic_gradient(t["batch_size"], torch.Generator().manual_seed(seed + 1)),
                    polynomial_schedule(gamma_0, t["n_0"], t["rho"]), adam_hyper(p), t["steps"],
                    record_steps=np.array([t["steps"]]))
    residuals, jacobian = problem.numpy_residuals()
    polished = [polish_minimum(residuals, jacobian, theta, p["minima"]["tol"], max_iter=p["minima"]["max_iter"])
                for theta, diverged in zip(path.thetas[-1].numpy(), path.diverged_at) if diverged < 0]
    return [m.theta for m in polished if m.converged]



def zero_rows(stage: Stage, name: str, problem, pilot: int, theta: np.ndarray, residuals, jacobian) -> list[dict]:
    """At one pilot minimum, per setting (alpha, beta, M): the zero of f that Gauss-Newton finds from
    it, its distance from the minimum set (of the residuals, with their Jacobian) and its F - inf F."""
    p, rows = stage.params, []
    for s in p["settings"]:
        alpha, beta, m = s["alpha"], s["beta"], s["batch_size"]
        field = common_random_numbers(p, problem, m, "control_zeros", name, alpha, beta, m,
                                      momenta={"alpha": alpha, "beta": beta})
        zero = gauss_newton_zero(field, field.jacobian, theta, p["max_evaluations"])
        r = residuals(zero.theta)
        rows.append({"network": name, "pilot": pilot, "alpha": alpha, "beta": beta, "batch_size": m,
                     "distance": distance_to_zero_set(residuals, jacobian, zero.theta), "level": float(r @ r),
                     "relative_residual": zero.relative_residual,
                     "found": zero.relative_residual <= p["residual_tol"], "evaluations": zero.evaluations})
        stage.log(f"pilot {pilot}, alpha={alpha:g}, beta={beta:g}, M={m}: distance {rows[-1]['distance']:.3g}, "
                  f"F - inf F {rows[-1]['level']:.3g}, |f| down to {zero.relative_residual:.2g} of its value on Z")
    return rows


def main(stage: Stage) -> None:
    rows = []
    for name, net in stage.params["networks"].items():
        problem = erm_problem(stage.input("data", "dataset.npz"), net)
        minima = pilot_minima(stage.params, problem, name)
        stage.log(f"network {name}: {len(minima)} pilot minima on the minimum set")
        residuals, jacobian = problem.numpy_residuals()
        rows += [row for pilot, theta in enumerate(minima)
                 for row in zero_rows(stage, name, problem, pilot, theta, residuals, jacobian)]
    save_table(stage.output("zeros.csv"), pd.DataFrame(rows, columns=COLUMNS))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
