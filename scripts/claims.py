"""Stage claims: the claims dashboard (claims.csv, claims.md) from the pipeline's tables."""

import pandas as pd

from replication.claims import (as_markdown, excluded_runs, flow_claims, lyapunov_claims, pl_claims,
                                quadratic_claims)
from replication.store import Stage, atomic_write, load_arrays, save_table

stage = Stage(snakemake.params.stage, snakemake.log[0])
t = stage.params["claims"]
rows = (
    quadratic_claims(pd.read_csv(stage.input("zeros", "zeros.csv")), pd.read_csv(stage.input("adam", "limits.csv")),
                     t["z_separation"], t["z_match"])
    + flow_claims(pd.read_csv(stage.input("flow", "deviation.csv")), t["z_match"])
    + lyapunov_claims(pd.read_csv(stage.input("lyapunov", "lyapunov_pl.csv")))
    + pl_claims(pd.read_csv(stage.input("lyapunov", "lyapunov_pl.csv")))
)
claims = pd.DataFrame(rows)
excluded = excluded_runs({name.removeprefix("train_"): load_arrays(stage.input(name, "trajectories.npz"))["diverged_at"]
                          for name in stage.upstream if name.startswith("train_")})
save_table(stage.output("claims.csv"), claims)
save_table(stage.output("excluded.csv"), excluded)
atomic_write(stage.output("claims.md"), as_markdown(claims, excluded).encode())
stage.log(claims["verdict"].value_counts().to_string())
stage.finish()
