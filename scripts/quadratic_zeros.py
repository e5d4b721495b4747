"""Stage quadratic_zeros: the zero of the Adam field of the 1-D stochastic quadratic, for every
law and beta, once per independent common-random-numbers field (their spread is the error bar;
``replication.quadratic_fields.quadratic_zero_shifts``); every skewed law also mirrored about its mean,
with its own random numbers. Each row carries the
leading-order zero shift of its law and beta (theory, no draws), from which the F2 margins come."""

import dataclasses

import pandas as pd
import torch

from adam_ode.quadratic import NoiseLaw, StochasticQuadratic
from replication.quadratic_fields import quadratic_zero_shifts
from replication.store import Stage, save_table


def main(stage: Stage) -> None:
    p = stage.params
    laws = [(index, NoiseLaw(**spec)) for index, spec in enumerate(p["laws"])]
    laws += [(index, dataclasses.replace(law, mirrored=True)) for index, law in laws if not law.symmetric]
    rows = []
    for index, law in laws:
        for beta in p["betas"]:
            zeros = [law.mean + shift for shift in quadratic_zero_shifts(
                p, law, beta, 1, "quadratic_zeros", index, beta, *(("mirrored",) if law.mirrored else ()))]
            leading = StochasticQuadratic(law, 1).leading_zero_shift(p["adam"]["alpha"], beta)
            rows += [{"law": index, "law_name": law.name, "symmetric": law.symmetric, "mirrored": law.mirrored,
                      "skewness": law.skewness, "mean": law.mean, "scale": law.scale, "alpha": p["adam"]["alpha"],
                      "beta": beta, "leading_shift": leading, "seed": seed, "zero": zero}
                     for seed, zero in enumerate(zeros)]
            stage.log(f"law {law.name}{' (mirrored)' if law.mirrored else ''} beta {beta}: "
                      f"zeros {[round(z, 5) for z in zeros]} (leading-order shift {leading:.4g})")
    save_table(stage.output("zeros.csv"), pd.DataFrame(rows))
    stage.finish()


if __name__ == "__main__":
    torch.set_num_threads(snakemake.threads)  # noqa: F821 (Snakemake's script global)
    main(Stage(snakemake.params.stage, snakemake.log[0]))  # noqa: F821
