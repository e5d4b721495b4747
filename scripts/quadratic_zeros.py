"""Stage quadratic_zeros: the zero of the Adam field of the 1-D stochastic quadratic, for every
law and beta, once per independent common-random-numbers field (the spread is the error bar);
every skewed law also mirrored about its mean, with its own random numbers (the control of F2)."""

import dataclasses

import pandas as pd
from scipy.optimize import brentq

from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from adam_ode.adam import AdamHyper
from adam_ode.vector_field.quadratic import QuadraticCommonRandomNumbers
from replication.store import Stage, save_table, seed_for

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
a = p["adam"]
laws = [(index, NoiseLaw(**spec)) for index, spec in enumerate(p["laws"])]
laws += [(index, dataclasses.replace(law, mirrored=True)) for index, law in laws if not law.symmetric]
rows = []
for index, law in laws:
    problem = StochasticQuadratic(law, 1)
    for beta in p["betas"]:
        for seed in range(p["seeds"]):
            crn = QuadraticCommonRandomNumbers(
                problem, AdamHyper(a["alpha"], beta, a["eps"]), n_samples=p["n_samples"],
                seed=seed_for(p["seed"], "quadratic_zeros", index, beta, seed, *(("mirrored",) if law.mirrored else ())),
                tol=p["field"]["tol"])
            half_width = 10 * law.scale + 1
            zero = brentq(lambda t: crn([t])[0], law.mean - half_width, law.mean + half_width, xtol=1e-13)
            rows.append({"law": index, "law_name": law.name, "symmetric": law.symmetric, "mirrored": law.mirrored,
                         "skewness": law.skewness, "mean": law.mean, "scale": law.scale, "beta": beta, "seed": seed,
                         "zero": zero})
        stage.log(f"law {law.name}{' (mirrored)' if law.mirrored else ''} beta {beta}: "
                  f"zeros {[round(r['zero'], 4) for r in rows[-p['seeds']:]]}")
save_table(stage.output("zeros.csv"), pd.DataFrame(rows))
stage.finish()
