"""Stage lyapunov_shard, one job per network and block of its polished points (``points``, the
block's range; the lyapunov_pl stage joins the blocks): grad F . f (with its SE),
|grad F|^2 / (F - inf F) and the noise ratio C = E|G|^2 / |grad F|^2 of inequality (17) at
theta* + r u.

theta* runs over the block's polished points (the minimum set Z for an overparametrized
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
grid without a pilot. It joins that pair's grid, and every network whose Lyapunov test it judges
is measured there at that pair's settings (the other pairs' tests do not read it).
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
from replication.store import Stage, load_arrays, run_stage, save_table, seed_for


def normalised_at(problem, crn, center, radius):
    """u -> grad F . f / (|grad F| |f|) at center + radius u, a torch function of u (for autograd)."""
    def objective(u):
        J = problem.per_sample_gradients(torch.from_numpy(center) + radius * u)
        return normalised_derivative(J.mean(dim=0), crn.mean_at(J))
    return objective


class LyapunovMap:
    """The measurements of one network's job: its settings (alpha, beta, M), radii (the grid and
    the judged radius of every momentum pair), where the worst-case searches run, and the field
    estimators."""

    def __init__(self, stage: Stage):
        p = self.p = stage.params
        sizes = p["batch_sizes"]
        self.settings = [(m["alpha"], m["beta"], size) for m in p["momenta"] for size in sizes]
        zeros = pd.read_csv(stage.input("control_zeros", "zeros.csv")) if "control_zeros" in stage.upstream else None
        offsets = {(a, b): zero_offset(zeros, a, b, max(sizes)) if zeros is not None else None
                   for a, b, _ in self.settings}
        judged = {pair: p["pilot_radius_fraction"] * offset.distance if offset else min(p["radii"])
                  for pair, offset in offsets.items()}
        self.radii = sorted(set(p["radii"]) | set(judged.values()))
        # Which settings a radius measures: all of them on the grid and at the largest radius (where the
        # edge searches run); a momentum pair's own at its judged radius, which judges no other pair.
        self.settings_at = {r: [s for s in self.settings
                                if r in p["radii"] or r == max(self.radii) or judged[s[:2]] == r] for r in self.radii}
        # Where the searches run: every setting at its judged radius, the largest M at the largest radius.
        self.searches = ({(judged[s[:2]], s) for s in self.settings}
                         | {(max(self.radii), s) for s in self.settings if s[2] == max(sizes)})
        self.judgement = {pair: {"judged_radius": r, "pilot_distance": offsets[pair].distance if offsets[pair] else np.nan}
                          for pair, r in judged.items()}
        self.problem = erm_problem(stage.input("data", "dataset.npz"), p)  # the network's keys sit at the top level
        self.minima = load_arrays(stage.input("minima", "minima.npz"))
        on_set = self.minima["on_minimum_set"]
        self.keep = np.flatnonzero(on_set if p["overparametrized"] else np.ones(len(self.minima["losses"]), bool))
        self.searched = (self.keep[:p["worst_case_points"]] if p["overparametrized"] and p["worst_case_steps"] > 0
                         else [])
        self.crns = self.estimators()
        self.checks = self.estimators("check") if len(self.searched) else {}  # only the searches use them

    def estimators(self, *labels):
        p = self.p
        return {(a, b, m): common_random_numbers(p, self.problem, m, "lyapunov_pl", p["network"], a, b, m, *labels,
                                                 momenta={"alpha": a, "beta": b}) for a, b, m in self.settings}

    def base(self, i: int) -> dict:
        """What a row at polished point i says of it. Morse-Bott: where the residual Jacobian has full
        row rank at theta*, the minimum set is a smooth manifold there with a non-degenerate normal
        Hessian 2 J^T J, and Taylor's theorem alone bounds the PL and noise ratios (pl_claims, noise_claims)."""
        jacobian = self.problem.excess_jacobian(torch.from_numpy(self.minima["thetas"][i])).numpy()
        singular = np.linalg.svd(jacobian, compute_uv=False)
        return {"network": self.p["network"], "overparametrized": self.p["overparametrized"], "minimum": int(i),
                "center_loss": float(self.minima["losses"][i]), "residuals": len(jacobian),
                "jacobian_rank": int(np.linalg.matrix_rank(jacobian)), "jacobian_condition": singular[0] / singular[-1]}

    def worst_row(self, key, center, radius, measured, points, base) -> dict:
        """A search looks for a point with grad F . f > 0; where a random direction already is one, it
        starts there. The direction found is measured again with independent sequences."""
        start = int(np.argmax([at[key]["normalised"] for at in measured]))
        d, se, n = np.array([[at[key][c] for c in ("derivative", "derivative_se", "derivative_n")]
                             for at in measured]).T
        found_already = below_zero(-d, se, n).any()
        u = worst_direction(normalised_at(self.problem, self.crns[key], center, radius), points[start] - center,
                            0 if found_already else self.p["worst_case_steps"])
        found = measure_points(self.problem, {key: self.checks[key]}, (center + radius * u)[None])[0][key]
        return {**base, "radius": radius, "direction": start, "search": "worst", "alpha": key[0], "beta": key[1],
                "batch_size": key[2], **self.judgement[key[:2]], **found}

    def rows_at(self, i: int, rng) -> list[dict]:
        """Every radius, direction and setting around polished point i, and its worst-case searches."""
        center, base, rows = self.minima["thetas"][i], self.base(i), []
        points = sphere_points(center, self.radii, self.p["directions"], rng)
        for ri, radius in enumerate(self.radii):
            crns = {key: self.crns[key] for key in self.settings_at[radius]}
            measured = measure_points(self.problem, crns, points[ri])
            rows += [{**base, "radius": radius, "direction": u, "search": "random", "alpha": a, "beta": b,
                      "batch_size": m, **self.judgement[a, b], **values}
                     for u, at in enumerate(measured) for (a, b, m), values in at.items()]
            for key in sorted(s for r, s in self.searches if r == radius) if i in self.searched else ():
                rows.append(self.worst_row(key, center, radius, measured, points[ri], base))
        return rows


def main(stage: Stage) -> None:
    lyapunov, rows = LyapunovMap(stage), []
    p = stage.params
    start, stop = p["points"]
    rng = np.random.default_rng(seed_for(p["seed"], "lyapunov_pl", p["network"], "directions"))
    for i in lyapunov.keep[lyapunov.keep < stop]:
        if i < start:
            # The directions of the points before the block, drawn and dropped: the block goes on with
            # the one stream a job for all the points would draw from, so the gathered table is its table.
            sphere_points(lyapunov.minima["thetas"][i], lyapunov.radii, p["directions"], rng)
            continue
        found = lyapunov.rows_at(i, rng)
        rows += found
        worst = [row["normalised"] for row in found if row["search"] == "worst"]
        cells = sum(map(len, lyapunov.settings_at.values()))
        stage.log(f"network {p['network']} point {i}: {p['directions']} directions x {cells} (r, alpha, beta, M) "
                  f"({len(lyapunov.radii)} radii, {len(lyapunov.settings)} (alpha, beta, M))" + (
                      f"; {len(worst)} worst-case searches, largest normalised derivative (fresh sequences) "
                      f"{max(worst):.3f}" if worst else ""))
    save_table(stage.output("lyapunov_pl.csv"), pd.DataFrame(rows))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
