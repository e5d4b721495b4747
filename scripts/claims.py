"""Stage claims: the claims dashboard (claims.csv, claims.md) from the pipeline's tables."""

import pandas as pd

from replication.claims import (CONFLICTING, capture_claims, excluded_runs, flow_claims, limit_claims, lyapunov_claims,
                                network_controls, noise_claims, pl_claims, quadratic_claims, rate_claims,
                                step_size_claims, with_error_control)
from replication.dashboard import as_markdown
from replication.neighbourhood import capture_tolerance
from replication.store import Stage, atomic_write, load_arrays, save_table

stage = Stage(snakemake.params.stage, snakemake.log[0])
c = stage.params["claims"]
controls = network_controls(stage.params["networks"])
# F4 and F6 compare minimum sets: interpolating networks (claims) and conflicting data (controls);
# F5's rows at an underparametrized critical point are sanity rows. The width sweep (convergence from
# random initialisation, not a claim of Theorem 2.4) is a figure panel only.
overparametrized = [name for name, net in stage.params["networks"].items() if net["overparametrized"]]
quadratic_flow = pd.read_csv(stage.input("quadratic_flow", "deviation.csv"))
lyapunov = stage.tables("lyapunov", "lyapunov_pl.csv")
# The PL and noise ratios do not depend on (alpha, beta): one copy, at the random directions.
random = lyapunov[lyapunov["search"] == "random"]
random = random[(random[["alpha", "beta"]] == random[["alpha", "beta"]].iloc[0]).all(axis=1)]
capture = pd.read_csv(stage.input("capture", "capture.csv"))
# F6's tolerance lies below the level of the zeros of f beside the minimum set (the control_zeros pilot)
# at the capture runs' (alpha, beta, M), so that a run that settles there is not captured.
zeros = pd.read_csv(stage.input("control_zeros", "zeros.csv")) if "control_zeros" in stage.upstream else None
capture_tol, zero_level = capture_tolerance(zeros, capture, c["converged_loss"], c["capture_level_fraction"])
network_flows = stage.tables("flow", "deviation.csv")
# F1: on the quadratic the flows have different limits, so D along training decides; on the
# networks every flow ends on the minimum set, so only the step-size sweep from far starts does.
rows = (
    flow_claims(quadratic_flow, c["slope_margin"])
    + step_size_claims(quadratic_flow, c["slope_margin"])
    + step_size_claims(network_flows, c["slope_margin"])
    + quadratic_claims(pd.read_csv(stage.input("zeros", "zeros.csv")), pd.read_csv(stage.input("adam", "limits.csv")),
                       c["equivalence_margin"])
    + limit_claims(pd.read_csv(stage.input("gamma_limit", "positions.csv")), stage.params["gamma_limit_network"],
                   c["equivalence_margin"])
    + lyapunov_claims(lyapunov[lyapunov["network"].isin(overparametrized)], controls, c["control_fraction"])
    + pl_claims(random[random["network"].map(controls) != CONFLICTING], c["rate_tolerance"], controls)
    + noise_claims(random[random["network"].isin(overparametrized)], stage.params["batch_size"],
                   c["rate_tolerance"], controls)
    + capture_claims(capture[capture["network"].isin(overparametrized)], c["capture_reduction"], capture_tol,
                     controls, c["control_fraction"], zero_level)
    + rate_claims(pd.read_csv(stage.input("rates", "rates.csv")), c["constant_margin"], c["rate_tolerance"])
)
claims = with_error_control(pd.DataFrame(rows))
excluded = excluded_runs({name.removeprefix("train_"): load_arrays(stage.input(name, "trajectories.npz"))["diverged_at"]
                          for name in stage.upstream if name.startswith("train_")})
save_table(stage.output("claims.csv"), claims)
save_table(stage.output("excluded.csv"), excluded)
atomic_write(stage.output("claims.md"), as_markdown(claims, excluded).encode())
stage.log(claims["verdict"].value_counts().to_string())
stage.finish()
