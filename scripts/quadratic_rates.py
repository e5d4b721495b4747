"""Stage quadratic_rates: how the zero of f moves with beta and the mini-batch size, and how far
Adam with a constant step size spreads around it, on the 1-D stochastic quadratic.

For a skewed law and a symmetric control law: the shift zero(f) - E[X] against 1 - beta and
against M (one common-random-numbers field per seed), and the stationary standard deviation
of Adam's iterates against gamma (second half of each run). The spread's control is the
same problem without noise.
"""

import dataclasses

import numpy as np
import pandas as pd
import torch
from scipy.optimize import brentq

from adam_ode.adam import AdamHyper, run_adam
from adam_ode.schedule import constant_schedule
from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from adam_ode.vector_field.quadratic import QuadraticCommonRandomNumbers
from replication.store import Stage, save_table, seed_for

torch.set_num_threads(snakemake.threads)
stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
a = p["adam"]
laws = {"skewed": NoiseLaw(**p["law"]), "control": NoiseLaw(**p["control_law"])}


def zero_shift(law, beta, batch_size, seed):
    problem = StochasticQuadratic(law, 1, batch_size)
    crn = QuadraticCommonRandomNumbers(problem, AdamHyper(a["alpha"], beta, a["eps"]), n_samples=p["n_samples"],
                                       seed=seed, tol=p["field"]["tol"])
    half_width = 10 * law.scale + 1
    return brentq(lambda t: crn([t])[0], law.mean - half_width, law.mean + half_width, xtol=1e-13) - law.mean


rows = []
for role, law in laws.items():
    for kind, values in (("beta", p["betas"]), ("batch_size", p["batch_sizes"])):
        for value in values:
            beta, batch_size = (value, 1) if kind == "beta" else (a["beta"], value)
            for seed in range(p["seeds"]):
                shift = zero_shift(law, beta, batch_size, seed_for(p["seed"], "quadratic_rates", role, kind, value, seed))
                rows.append({"kind": kind, "role": role, "law": law.name, "x": 1 - beta if kind == "beta" else value,
                             "seed": seed, "value": shift, "diverged": False})
            stage.log(f"{role} {law.name} {kind}={value}: mean shift {np.mean([r['value'] for r in rows[-p['seeds']:]]):.4g}")

# Stationary spread: every gamma and seed in one batch, started at E[X] - 1 (without noise,
# a start at E[X] would never move).
gammas = np.repeat(p["gammas"], p["spread_seeds"])
second_half = np.arange(p["spread_steps"] // 2, p["spread_steps"] + 1)
for role, law in (("skewed", laws["skewed"]), ("control", dataclasses.replace(laws["skewed"], scale=0.0))):
    problem = StochasticQuadratic(law, 1)
    rng = np.random.default_rng(seed_for(p["seed"], "quadratic_rates", "spread", role))
    path = run_adam(torch.full((len(gammas), 1), law.mean - 1.0, dtype=torch.float64), problem.stochastic_gradient(rng),
                    constant_schedule(gammas), AdamHyper(a["alpha"], a["beta"], a["eps"]), p["spread_steps"],
                    record_steps=second_half)
    spread = path.thetas[:, :, 0].std(dim=0).numpy()
    for run, (gamma, value) in enumerate(zip(gammas, spread)):
        rows.append({"kind": "spread", "role": role, "law": law.name if role == "skewed" else "no noise",
                     "x": float(gamma), "seed": run % p["spread_seeds"], "value": float(value),
                     "diverged": bool(path.diverged_at[run] >= 0)})
    stage.log(f"spread ({role}): " + ", ".join(f"gamma {g:g}: {s:.3g}" for g, s in
                                                zip(p["gammas"], spread.reshape(len(p["gammas"]), -1).mean(axis=1))))
save_table(stage.output("rates.csv"), pd.DataFrame(rows))
stage.finish()
