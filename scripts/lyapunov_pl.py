"""Stage lyapunov_pl, one job per network: grad F . f (with its SE), |grad F|^2 / (F - inf F) and the
noise ratio C = E|G|^2 / |grad F|^2 of inequality (17) at theta* + r u.

theta* runs over the network's polished points (the minimum set Z for an overparametrized
network, critical points with F > 0 for a control), r over the radii, u over
random unit directions, and (alpha, beta, M) over the momentum pairs and mini-batch sizes.
At the first polished points of an overparametrized network, worst-case directions: a few
optimiser steps maximising the normalised derivative grad F . f / (|grad F| |f|) over the
sphere, from the random direction where it was largest (common random numbers make the
objective smooth, and autograd through the estimator gives its exact gradient), at the
judged radius for every (alpha, beta, M) (where the Lyapunov test and M0 are read) and at the
largest radius for the largest M (the edge of the grid, where r0 would show); where a random
direction already has grad F . f significantly > 0, that direction is the one kept. The
maximum over one set of sequences is biased upwards, so each direction found is measured again
with independent sequences.

The judged radius of a momentum pair: where the conflicting-data control can fail, below the
distance from Z to the zeros of f beside it (on clean data they are Z itself), a fraction of the
smallest such distance the control_zeros pilot found at the largest M; the smallest radius of the
grid without a pilot. It joins the grid, and every network whose Lyapunov test it judges is
measured there.
"""

import numpy as np
import pandas as pd
import torch

from adam_ode.checks import normalised_derivative, sphere_points, worst_direction
from replication.estimators import common_random_numbers
from replication.lyapunov_map import measure_points
from replication.neighbourhood import zero_offset
from replication.problems import erm_problem
from replication.stats import below_zero
from replication.store import Stage, load_arrays, save_table, seed_for

torch.set_num_threads(snakemake.threads)
stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
sizes = p["batch_sizes"]
settings = [(m["alpha"], m["beta"], size) for m in p["momenta"] for size in sizes]
zeros = pd.read_csv(stage.input("control_zeros", "zeros.csv")) if "control_zeros" in stage.upstream else None
offsets = {(a, b): zero_offset(zeros, a, b, max(sizes)) if zeros is not None else None for a, b, _ in settings}
judged = {pair: p["pilot_radius_fraction"] * offset.distance if offset else min(p["radii"])
          for pair, offset in offsets.items()}
radii = sorted(set(p["radii"]) | set(judged.values()))
# Where the searches run: every setting at its judged radius, the largest M at the largest radius.
searches = {(judged[s[:2]], s) for s in settings} | {(max(radii), s) for s in settings if s[2] == max(sizes)}
rows = []


def normalised_at(problem, crn, center, radius):
    """u -> grad F . f / (|grad F| |f|) at center + radius u, a torch function of u (for autograd)."""
    def objective(u):
        J = problem.per_sample_gradients(torch.from_numpy(center) + radius * u)
        return normalised_derivative(J.mean(dim=0), crn.mean_at(J))
    return objective


def estimators(problem, name, *labels):
    return {(a, b, m): common_random_numbers(p, problem, m, "lyapunov_pl", name, a, b, m, *labels,
                                             momenta={"alpha": a, "beta": b}) for a, b, m in settings}


name = p["network"]
problem = erm_problem(stage.input("data", "dataset.npz"), p)  # the network's keys sit at the top level
minima = load_arrays(stage.input("minima", "minima.npz"))
keep = np.flatnonzero(minima["on_minimum_set"] if p["overparametrized"] else np.ones(len(minima["losses"]), bool))
searched = keep[:p["worst_case_points"]] if p["overparametrized"] and p["worst_case_steps"] > 0 else []
crns = estimators(problem, name)
checks = estimators(problem, name, "check") if len(searched) else {}  # only the searches use them
rng = np.random.default_rng(seed_for(p["seed"], "lyapunov_pl", name, "directions"))
judgement = {pair: {"judged_radius": r, "pilot_distance": offsets[pair].distance if offsets[pair] else np.nan}
             for pair, r in judged.items()}
for i in keep:
    center = minima["thetas"][i]
    points = sphere_points(center, radii, p["directions"], rng)
    # Morse-Bott: where the residual Jacobian has full row rank at theta*, the minimum set is a smooth
    # manifold there with a non-degenerate normal Hessian 2 J^T J, and Taylor's theorem alone bounds
    # the PL and noise ratios (pl_claims, noise_claims).
    jacobian = problem.excess_jacobian(torch.from_numpy(center)).numpy()
    singular = np.linalg.svd(jacobian, compute_uv=False)
    base = {"network": name, "overparametrized": p["overparametrized"], "minimum": int(i),
            "center_loss": float(minima["losses"][i]), "residuals": len(jacobian),
            "jacobian_rank": int(np.linalg.matrix_rank(jacobian)), "jacobian_condition": singular[0] / singular[-1]}
    worst = []
    for ri, radius in enumerate(radii):
        measured = measure_points(problem, crns, points[ri])
        rows += [{**base, "radius": radius, "direction": u, "search": "random", "alpha": a, "beta": b,
                  "batch_size": m, **judgement[a, b], **values}
                 for u, at in enumerate(measured) for (a, b, m), values in at.items()]
        for key in sorted(s for r, s in searches if r == radius) if i in searched else ():
            start = int(np.argmax([at[key]["normalised"] for at in measured]))
            # A search looks for a point with grad F . f > 0; where a random direction already is one, it starts there.
            d, se, n = np.array([[at[key][c] for c in ("derivative", "derivative_se", "derivative_n")]
                                 for at in measured]).T
            found_already = below_zero(-d, se, n).any()
            u = worst_direction(normalised_at(problem, crns[key], center, radius), points[ri][start] - center,
                                0 if found_already else p["worst_case_steps"])
            found = measure_points(problem, {key: checks[key]}, (center + radius * u)[None])[0][key]
            worst.append(found["normalised"])
            rows.append({**base, "radius": radius, "direction": start, "search": "worst", "alpha": key[0],
                         "beta": key[1], "batch_size": key[2], **judgement[key[:2]], **found})
    stage.log(f"network {name} point {i}: {len(radii)} radii x {p['directions']} directions x "
              f"{len(settings)} (alpha, beta, M)" + (f"; {len(worst)} worst-case searches, largest normalised "
                                                     f"derivative (fresh sequences) {max(worst):.3f}" if worst else ""))
save_table(stage.output("lyapunov_pl.csv"), pd.DataFrame(rows))
stage.finish()
