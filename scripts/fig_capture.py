"""F6: F along training time for Adam started inside the measured Lyapunov neighbourhood, and
the fraction of random initialisations reaching F < tol against the width (d / N)."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from replication.figures import apply_style, log_axes, save_figure
from replication.store import Stage

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
apply_style(p)
capture = pd.read_csv(stage.input("capture", "capture.csv"))
widths = pd.read_csv(stage.input("widths", "widths.csv"))
fig, axes = plt.subplots(1, 3, figsize=(13.0, 3.6))
sns.lineplot(capture[capture["step"] > 0], x="time", y="loss", hue="network", units="run", estimator=None,
             linewidth=0.5, alpha=0.6, ax=axes[0])
log_axes(axes[0])
axes[0].set(title=r"started at $\theta^* + r u$", xlabel="training time $t$", ylabel="$F(\\Theta_n)$, every run")

sns.lineplot(widths[widths["step"] > 0], x="time", y="loss", hue="width", palette="viridis", estimator="median",
             errorbar=("pi", 50), ax=axes[1])
log_axes(axes[1])
axes[1].set(title="random initialisation", xlabel="training time $t$", ylabel="$F(\\Theta_n)$ (median, 25-75%)")

final = widths.sort_values("step").groupby(["width", "run"]).last().reset_index()
final["d/N"] = final["dim"] / final["n"]
final["converged"] = final["loss"] < p["converged_loss"]
sns.pointplot(final, x="d/N", y="converged", native_scale=True, errorbar=("ci", 95), ax=axes[2])
log_axes(axes[2], y=False)
axes[2].set(title="reaching the minimum set", xlabel="parameters per data point $d/N$",
            ylabel=f"fraction of runs with final $F < {p['converged_loss']:g}$", ylim=(-0.05, 1.05))
save_figure(fig, stage.output("F6_capture.pdf"), stage.output("F6_capture.png"), p["dpi"])
stage.finish()
