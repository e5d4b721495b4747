"""F1: D(n, T) of the Adam flow, the gradient flow and the noiseless Adam flow against t_n (the
2-D skewed quadratic and each network), D against the step-size scale over a fixed window of
training time (each problem), and the quadratic's paths in the plane."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from replication.figures import apply_style, log_axes, save_figure
from replication.store import Stage, load_arrays, run_stage

ORDER = ["adam", "gradient", "noiseless"]


def start_panels(axes, starts: pd.DataFrame, problems: list[str]) -> None:
    """D(n, T) against the training time t_n at the start, per problem."""
    for ax, name in zip(axes, problems):
        sns.lineplot(starts[starts["network"] == name], x="time", y="deviation", hue="flow", hue_order=ORDER,
                     style="flow", markers=True, dashes=False, estimator="median", errorbar=("pi", 50), ax=ax)
        log_axes(ax)
        ax.set(title=name if name == "quadratic" else f"network: {name}",
               xlabel="training time $t_n$ at the start", ylabel="$D(n, T)$ (median, 25-75% of runs)")


def plane_panel(ax, paths) -> None:
    """The quadratic's three flows from theta_0 against Adam's main runs."""
    for run in range(min(4, paths["adam_thetas"].shape[1])):
        ax.plot(*paths["adam_thetas"][:, run].T, color="0.6", linewidth=0.6, label="Adam runs" if run == 0 else None)
    for colour, flow in zip(sns.color_palette(n_colors=3), ORDER):
        ax.plot(*paths[f"flow_{flow}"].T, color=colour, linewidth=1.6, label=f"{flow} flow")
    ax.plot(*paths["zero"], "k*", markersize=10, label="zero of $f$")
    ax.plot(*paths["mean"], "kx", markersize=8, label=r"$E[X]$ (critical point)")
    ax.set(title="quadratic: paths in the plane", xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
    ax.legend(fontsize="x-small")


def sweep_panels(axes, sweeps: pd.DataFrame, problems: list[str]) -> None:
    """D(T) against the step-size scale over a fixed window of training time, per problem."""
    for ax, name in zip(axes, problems):
        sweep = sweeps[sweeps["network"] == name]
        sns.lineplot(sweep, x="gamma_0", y="deviation", hue="flow", hue_order=ORDER, style="flow", markers=True,
                     dashes=False, estimator="median", errorbar=("pi", 50), ax=ax)
        log_axes(ax)
        where = (f"window at $t \\approx$ {sweep['time'].min():.3g}" if name == "quadratic"
                 else "constant steps from random starts")
        ax.set(title=f"{name}: {where}", xlabel=r"step-size scale $\gamma_0$", ylabel="$D(T)$ (median, 25-75% of runs)")


def main(stage: Stage) -> None:
    apply_style(stage.params)
    quadratic = pd.read_csv(stage.input("quadratic", "deviation.csv"))
    networks = [pd.read_csv(stage.input(name, "deviation.csv")) for name in stage.upstream if name.startswith("flow_")]
    table = pd.concat([quadratic, *networks])
    problems = list(table["network"].unique())
    fig, axes = plt.subplots(2, len(problems) + 1, figsize=(4.2 * (len(problems) + 1), 7.2), squeeze=False)
    start_panels(axes[0], table[table["kind"] == "start"], problems)
    plane_panel(axes[1, 0], load_arrays(stage.input("quadratic", "paths.npz")))
    sweep_panels(axes[1, 1:], table[table["kind"] == "sweep"], problems)
    axes[0, -1].set_axis_off()
    save_figure(fig, stage.output("F1_flow.pdf"), stage.output("F1_flow.png"), stage.params["dpi"])


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
