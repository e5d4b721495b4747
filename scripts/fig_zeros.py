"""F2: the zero of f, Adam's limit and E[X] against beta, for every law of the 1-D quadratic."""

import matplotlib.pyplot as plt
import pandas as pd
from scipy.stats import t

from replication.figures import apply_style, log_axes, save_figure
from replication.store import Stage, run_stage


def main(stage: Stage) -> None:
    apply_style(stage.params)
    zeros = pd.read_csv(stage.input("zeros", "zeros.csv"))
    mirrored, zeros = zeros[zeros["mirrored"]], zeros[~zeros["mirrored"]]
    limits = pd.read_csv(stage.input("adam", "limits.csv"))
    limits = limits[~limits["diverged"]]
    laws = zeros[["law", "law_name", "mean"]].drop_duplicates().sort_values("law")
    fig, axes = plt.subplots(1, len(laws), figsize=(3.3 * len(laws), 3.3), squeeze=False, sharey=True)
    for ax, (_, law) in zip(axes[0], laws.iterrows()):
        for table, column, label, marker, line in ((zeros, "zero", "zero of $f$", "o", "-"),
                                                   (limits, "limit", "Adam limit", "s", "--"),
                                                   (mirrored, "zero", "zero of $f$, mirrored law (control)", "^", ":")):
            sub = table[table["law"] == law["law"]]
            if sub.empty:
                continue
            stats = sub.groupby("beta")[column].agg(["mean", "sem", "count"])
            ax.errorbar(1 - stats.index, stats["mean"], yerr=t.ppf(0.975, stats["count"] - 1) * stats["sem"], marker=marker,
                        capsize=3, label=f"{label} (95% CI)", linestyle=line)
        ax.axhline(law["mean"], color="0.3", linewidth=1, label="$E[X]$ (critical point of $F$)")
        log_axes(ax, y=False)
        ax.set(xlabel=r"$1-\beta$", title=law["law_name"])
    axes[0, 0].set_ylabel(r"position $\theta$")
    handles = {label: h for ax in axes[0] for h, label in zip(*ax.get_legend_handles_labels())}
    axes[0, -1].legend(handles.values(), handles.keys(), fontsize="small")
    save_figure(fig, stage.output("F2_zeros.pdf"), stage.output("F2_zeros.png"), stage.params["dpi"])


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
