"""F1: D(n, T) of the Adam flow, the gradient flow and the noiseless Adam flow against t_n (the
2-D skewed quadratic and each network), D against the step-size scale over a fixed window of
training time (each problem), and the quadratic's paths in the plane."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from replication.figures import apply_style, log_axes, save_figure
from replication.store import Stage, load_arrays

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
apply_style(p)
quadratic = pd.read_csv(stage.input("quadratic", "deviation.csv"))
networks = [pd.read_csv(stage.input(name, "deviation.csv")) for name in stage.upstream if name.startswith("flow_")]
table = pd.concat([quadratic, *networks])
problems = list(table["network"].unique())
order = ["adam", "gradient", "noiseless"]
fig, axes = plt.subplots(2, len(problems) + 1, figsize=(4.2 * (len(problems) + 1), 7.2), squeeze=False)
starts = table[table["kind"] == "start"]
for ax, name in zip(axes[0], problems):
    sns.lineplot(starts[starts["network"] == name], x="time", y="deviation", hue="flow", hue_order=order,
                 style="flow", markers=True, dashes=False, estimator="median", errorbar=("pi", 50), ax=ax)
    log_axes(ax)
    ax.set(title=name if name == "quadratic" else f"network: {name}",
           xlabel="training time $t_n$ at the start", ylabel="$D(n, T)$ (median, 25-75% of runs)")

paths = load_arrays(stage.input("quadratic", "paths.npz"))
ax = axes[1, 0]
for run in range(min(4, paths["adam_thetas"].shape[1])):
    ax.plot(*paths["adam_thetas"][:, run].T, color="0.6", linewidth=0.6, label="Adam runs" if run == 0 else None)
for colour, flow in zip(sns.color_palette(n_colors=3), order):
    ax.plot(*paths[f"flow_{flow}"].T, color=colour, linewidth=1.6, label=f"{flow} flow")
ax.plot(*paths["zero"], "k*", markersize=10, label="zero of $f$")
ax.plot(*paths["mean"], "kx", markersize=8, label=r"$E[X]$ (critical point)")
ax.set(title="quadratic: paths in the plane", xlabel=r"$\theta_1$", ylabel=r"$\theta_2$")
ax.legend(fontsize="x-small")

sweeps = table[table["kind"] == "sweep"]
for ax, name in zip(axes[1, 1:], problems):
    sweep = sweeps[sweeps["network"] == name]
    sns.lineplot(sweep, x="gamma_0", y="deviation", hue="flow", hue_order=order, style="flow", markers=True,
                 dashes=False, estimator="median", errorbar=("pi", 50), ax=ax)
    log_axes(ax)
    where = f"window at $t \\approx$ {sweep['time'].min():.3g}" if name == "quadratic" else "constant steps from random starts"
    ax.set(title=f"{name}: {where}", xlabel=r"step-size scale $\gamma_0$", ylabel="$D(T)$ (median, 25-75% of runs)")
axes[0, -1].set_axis_off()
save_figure(fig, stage.output("F1_flow.pdf"), stage.output("F1_flow.png"), p["dpi"])
stage.finish()
