"""Stage flow, one job per network on clean data: the gather of its flow_shard blocks (the step-size
sweep, then the training runs in order), as one job for all the runs would write it."""

from replication.store import Stage, run_stage, save_table


def main(stage: Stage) -> None:
    save_table(stage.output("deviation.csv"), stage.gathered("deviation.csv"))


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
