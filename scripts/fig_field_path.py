"""F3: |grad F| and |f| along Adam's path, for each network; and, at each critical point of the
gamma_limit stage, Adam's stationary mean against the constant step size gamma, with the
extrapolation to gamma -> 0, the critical point and the zero of f, and Adam's stationary mean
without noise (the full-batch gradient)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from replication.figures import apply_style, log_axes, save_figure
from replication.stats import extrapolate_to_zero, mean_of
from replication.store import Stage, run_stage

def norms_panel(ax, table: pd.DataFrame, name: str) -> None:
    """|grad F| and |f| along training for one network, with the Monte Carlo error of |f|."""
    long = table.melt(id_vars=["network", "run", "time"], value_vars=["grad_norm", "field_norm"],
                      var_name="quantity", value_name="norm")
    long["quantity"] = long["quantity"].map({"grad_norm": r"$|\nabla F(\Theta_n)|$",
                                             "field_norm": r"$|f(\Theta_n)|$ (MC)"})
    sns.lineplot(long, x="time", y="norm", hue="quantity", estimator="median", errorbar=("pi", 50), ax=ax)
    mc = table.groupby("time")["field_norm_se"].median()
    ax.plot(mc.index, mc.values, color="0.5", linewidth=0.8, linestyle=":", label="MC standard error of $|f|$")
    log_axes(ax)
    ax.set(title=f"network: {name}", xlabel="training time $t$", ylabel="norm")
    ax.legend(fontsize="small")


def limit_panel(ax, sub: pd.DataFrame, point: int) -> None:
    """At one critical point: Adam's stationary mean against gamma with its extrapolation to 0, the
    same without noise, the zero of f and the critical point."""
    adam = sub[sub["kind"] == "adam"].groupby("gamma")["position"]
    means = [mean_of(values) for _, values in adam]
    gammas = np.array(list(adam.groups))
    ax.errorbar(gammas, [m.value for m in means], yerr=[m.half_width(0.95) for m in means], marker="o", capsize=3,
                linestyle="none", label="Adam's stationary mean (95% CI)")
    fit = extrapolate_to_zero(gammas, means)
    grid = np.linspace(0, gammas.max(), 50)
    ax.plot(grid, fit(grid), color="C0", linewidth=1, label=f"fit, degree {fit.degree}")
    ax.errorbar([0], [fit.intercept.value], yerr=[fit.intercept.half_width(0.95)], marker="s", color="C0", capsize=3)
    quiet = sub[sub["kind"] == "noiseless"].groupby("gamma")["position"].mean()
    ax.plot(quiet.index, quiet.values, marker="x", color="C3", linestyle="none",
            label="the same without noise (full-batch gradient)")
    zero = sub[(sub["kind"] == "zero") & (sub["run"] > 0)]["position"].mean()
    ax.axhline(zero, color="C2", linestyle="--", label="zero of $f$ (independent fields)")
    ax.axhline(0.0, color="0.3", linewidth=1, label="critical point of $F$")
    ax.locator_params(axis="x", nbins=4)
    ax.set(title=f"critical point {point}", xlabel=r"constant step size $\gamma$",
           ylabel="position: critical point (0) to zero of $f$ (1)")
    ax.legend(fontsize="x-small")


def main(stage: Stage) -> None:
    apply_style(stage.params)
    table = pd.read_csv(stage.input("field", "field_path.csv"))
    table = table[table["step"] > 0]
    positions = pd.read_csv(stage.input("gamma_limit", "positions.csv"))
    networks, points = list(table["network"].unique()), sorted(positions["point"].unique())
    columns = max(len(networks), len(points))
    fig, axes = plt.subplots(2, columns, figsize=(4.2 * columns, 7.0), squeeze=False)
    for ax, name in zip(axes[0], networks):
        norms_panel(ax, table[table["network"] == name], name)
    for ax, point in zip(axes[1], points):
        limit_panel(ax, positions[positions["point"] == point], point)
    for ax in [*axes[0, len(networks):], *axes[1, len(points):]]:
        ax.set_axis_off()
    save_figure(fig, stage.output("F3_field_path.pdf"), stage.output("F3_field_path.png"), stage.params["dpi"])


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
