"""F6: F - inf F along training time for Adam started inside the measured Lyapunov neighbourhood,
and the fraction of random initialisations reaching F - inf F < tol against the width (d / N),
with the widest network on the conflicting-label data as the control."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from replication.figures import apply_style, log_axes, save_figure
from replication.neighbourhood import capture_tolerance
from replication.stats import clopper_pearson
from replication.store import Stage, run_stage


def main(stage: Stage) -> None:
    p = stage.params
    apply_style(p)
    capture = stage.tables("capture", "capture.csv")
    widths = pd.read_csv(stage.input("widths", "widths.csv"))
    for table in (capture, widths):
        table["excess"] = table["loss"] - table["floor"]
    fig, axes = plt.subplots(1, 3, figsize=(13.0, 3.6))
    sns.lineplot(capture[capture["step"] > 0], x="time", y="excess", hue="network", units="run", estimator=None,
                 linewidth=0.5, alpha=0.6, ax=axes[0])
    # What separates capture from settling at a zero of f beside the minimum set (the claims' tolerance).
    zeros = pd.read_csv(stage.input("control_zeros", "zeros.csv")) if "control_zeros" in stage.upstream else None
    tol, level = capture_tolerance(zeros, capture, p["converged_loss"], p["capture_level_fraction"])
    axes[0].axhline(tol, color="black", linestyle="--", linewidth=0.8, label="tolerance")
    if level is not None:
        axes[0].axhline(level, color="red", linestyle=":", linewidth=0.8, label="zeros of f (conflicting, pilot)")
    axes[0].legend(fontsize="x-small")
    log_axes(axes[0])
    axes[0].set(title=r"started at $\theta^* + r u$", xlabel="training time $t$",
                ylabel=r"$F(\Theta_n) - \inf F$, every run")

    widths["series"] = widths["width"].astype(str) + " (" + widths["data"] + ")"
    sns.lineplot(widths[widths["step"] > 0], x="time", y="excess", hue="series", style="data", palette="viridis",
                 estimator="median", errorbar=("pi", 50), ax=axes[1])
    log_axes(axes[1])
    axes[1].set(title="random initialisation", xlabel="training time $t$",
                ylabel=r"$F(\Theta_n) - \inf F$ (median, 25-75%)")
    axes[1].legend(title="width (data)", fontsize="x-small")

    final = widths.sort_values("step").groupby(["data", "width", "run"]).last().reset_index()
    final["d/N"] = final["dim"] / final["n"]
    final["converged"] = final["excess"] < p["converged_loss"]
    # Clopper-Pearson intervals, not seaborn's bootstrap: its resampling draws from numpy's global stream.
    for data, sub in final.groupby("data"):
        counts = sub.groupby("d/N")["converged"].agg(["sum", "count"])
        fraction = counts["sum"] / counts["count"]
        low, high = np.array([clopper_pearson(int(k), int(n), 0.95) for k, n in counts.to_numpy()]).T
        axes[2].errorbar(counts.index, fraction, yerr=[fraction - low, high - fraction], marker="o", capsize=3, label=data)
    axes[2].legend(title="data", fontsize="x-small")
    log_axes(axes[2], y=False)
    axes[2].set(title="reaching the minimum set", xlabel="parameters per data point $d/N$",
                ylabel=rf"fraction of runs with final $F - \inf F < {p['converged_loss']:g}$ (95% CI)", ylim=(-0.05, 1.05))
    save_figure(fig, stage.output("F6_capture.pdf"), stage.output("F6_capture.png"), p["dpi"])


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
