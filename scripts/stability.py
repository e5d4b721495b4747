"""Stage stability: the claims dashboard of the config's root seed, with the fraction of root
seeds that give each row's verdict (a row that is not unanimous reads "unstable")."""

import pandas as pd

from replication.dashboard import as_markdown, with_seed_agreement
from replication.store import Stage, atomic_write, run_stage, save_table


def main(stage: Stage) -> None:
    names = sorted(stage.upstream, key=lambda name: int(name.removeprefix("claims_")))
    claims = with_seed_agreement([pd.read_csv(stage.input(name, "claims.csv")) for name in names])
    excluded = pd.read_csv(stage.input(names[0], "excluded.csv"))
    save_table(stage.output("claims.csv"), claims)
    atomic_write(stage.output("claims.md"), as_markdown(claims, excluded).encode())
    stage.log(f"root seeds {stage.params['root_seeds']}: {int((claims['seed_agreement'] == 1).sum())} of "
              f"{len(claims)} rows agree at every seed")


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
