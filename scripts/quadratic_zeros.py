"""Stage quadratic_zeros: the zero of the Adam field of the 1-D stochastic quadratic, for every
law and beta, once per independent common-random-numbers field (their spread is the error bar;
``replication.quadratic_fields.zero_table``)."""

from replication.quadratic_fields import zero_table
from replication.store import Stage, run_stage, save_table


def main(stage: Stage) -> None:
    save_table(stage.output("zeros.csv"), zero_table(stage.params, stage.log))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
