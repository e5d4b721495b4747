"""Stage claims: the claims dashboard (claims.csv, claims.md) from every registered claim check."""

import pandas as pd

from replication.claims import claim_rows, excluded_runs, with_error_control
from replication.dashboard import as_markdown
from replication.store import Stage, atomic_write, load_arrays, run_stage, save_table


def main(stage: Stage) -> None:
    claims = with_error_control(pd.DataFrame(claim_rows(stage)))
    excluded = excluded_runs({name.removeprefix("train_"): load_arrays(stage.input(name, "trajectories.npz"))[
        "diverged_at"] for name in stage.upstream if name.startswith("train_")})
    save_table(stage.output("claims.csv"), claims)
    save_table(stage.output("excluded.csv"), excluded)
    atomic_write(stage.output("claims.md"), as_markdown(claims, excluded).encode())
    stage.log(claims["verdict"].value_counts().to_string())


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
