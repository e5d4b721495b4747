"""Stage lyapunov_pl, one job per network: the gather of its lyapunov_shard blocks, one table in the
order of the polished points, as one job for all the points would write it."""

from replication.store import Stage, run_stage, save_table


def main(stage: Stage) -> None:
    save_table(stage.output("lyapunov_pl.csv"), stage.gathered("lyapunov_pl.csv"))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
