"""Stage claims: the claims dashboard (claims.csv, claims.md) from the pipeline's tables."""

import pandas as pd

from replication.claims import (as_markdown, capture_claims, excluded_runs, flow_claims, limit_claims,
                                lyapunov_claims, pl_claims, quadratic_claims, rate_claims, step_size_claims,
                                width_claims)
from replication.store import Stage, atomic_write, load_arrays, save_table

stage = Stage(snakemake.params.stage, snakemake.log[0])
t = stage.params["claims"]
quadratic_flow = pd.read_csv(stage.input("quadratic_flow", "deviation.csv"))
lyapunov = pd.read_csv(stage.input("lyapunov", "lyapunov_pl.csv"))
rows = (
    flow_claims(quadratic_flow, t["slope_margin"], t["z_match"])
    + step_size_claims(quadratic_flow, t["slope_margin"])
    + flow_claims(pd.concat([pd.read_csv(stage.input(name, "deviation.csv")) for name in stage.upstream
                             if name.startswith("flow_")]), t["slope_margin"], t["z_match"])
    + quadratic_claims(pd.read_csv(stage.input("zeros", "zeros.csv")), pd.read_csv(stage.input("adam", "limits.csv")),
                       t["z_separation"], t["z_match"])
    + limit_claims(pd.read_csv(stage.input("field", "limits.csv")), t["z_separation"], t["z_match"])
    + lyapunov_claims(lyapunov)
    + pl_claims(lyapunov)
    + capture_claims(pd.read_csv(stage.input("capture", "capture.csv")), t["capture_reduction"],
                     t["converged_loss"])
    + width_claims(pd.read_csv(stage.input("widths", "widths.csv")), t["converged_loss"])
    + rate_claims(pd.read_csv(stage.input("rates", "rates.csv")), t["rate_tolerance"])
)
claims = pd.DataFrame(rows)
excluded = excluded_runs({name.removeprefix("train_"): load_arrays(stage.input(name, "trajectories.npz"))["diverged_at"]
                          for name in stage.upstream if name.startswith("train_")})
save_table(stage.output("claims.csv"), claims)
save_table(stage.output("excluded.csv"), excluded)
atomic_write(stage.output("claims.md"), as_markdown(claims, excluded).encode())
stage.log(claims["verdict"].value_counts().to_string())
stage.finish()
