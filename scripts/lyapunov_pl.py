"""Stage lyapunov_pl, one job per network: the gather of its lyapunov_shard blocks, one table in the
order of the polished points, as one job for all the points would write it (floats read back
exactly: every file is written with 17 significant digits)."""

import pandas as pd

from replication.store import Stage, run_stage, save_table


def main(stage: Stage) -> None:
    shards = sorted((name for name in stage.upstream if name.startswith("shard_")), key=lambda name: int(name[6:]))
    paths = [stage.input(name, "lyapunov_pl.csv") for name in shards]
    # A block whose points all diverged in training has no rows (and no header).
    tables = [pd.read_csv(path, float_precision="round_trip") for path in paths if path.stat().st_size > 1]
    stage.log(f"network {stage.params['network']}: {len(tables)} of {len(shards)} blocks have points")
    save_table(stage.output("lyapunov_pl.csv"), pd.concat(tables, ignore_index=True) if tables else pd.DataFrame())


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
