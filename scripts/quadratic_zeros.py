"""Stage quadratic_zeros: the zero of the Adam field of the 1-D stochastic quadratic, for every
law and beta, once per independent common-random-numbers field (their spread is the error bar;
``replication.quadratic_fields.zero_table``)."""

import torch

from replication.quadratic_fields import zero_table
from replication.store import Stage, save_table


def main(stage: Stage) -> None:
    save_table(stage.output("zeros.csv"), zero_table(stage.params, stage.log))
    stage.finish()


if __name__ == "__main__":
    torch.set_num_threads(snakemake.threads)  # noqa: F821 (Snakemake's script global)
    main(Stage(snakemake.params.stage, snakemake.log[0]))  # noqa: F821
