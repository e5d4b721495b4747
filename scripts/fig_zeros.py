"""F2: the zero of f, Adam's limit and E[X] against beta, for every law of the 1-D quadratic."""

import matplotlib.pyplot as plt
import pandas as pd

from replication.figures import apply_style, log_axes, save_figure
from replication.store import Stage

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
apply_style(p)
zeros = pd.read_csv(stage.input("zeros", "zeros.csv"))
limits = pd.read_csv(stage.input("adam", "limits.csv"))
limits = limits[~limits["diverged"]]
laws = zeros[["law", "law_name", "mean"]].drop_duplicates().sort_values("law")
fig, axes = plt.subplots(1, len(laws), figsize=(3.3 * len(laws), 3.3), squeeze=False, sharey=True)
for ax, (_, law) in zip(axes[0], laws.iterrows()):
    for table, column, label, marker in ((zeros, "zero", "zero of $f$", "o"), (limits, "limit", "Adam limit", "s")):
        stats = table[table["law"] == law["law"]].groupby("beta")[column].agg(["mean", "sem"])
        ax.errorbar(1 - stats.index, stats["mean"], yerr=1.96 * stats["sem"], marker=marker, capsize=3,
                    label=f"{label} (95% CI)", linestyle="-" if marker == "o" else "--")
    ax.axhline(law["mean"], color="0.3", linewidth=1, label="$E[X]$ (critical point of $F$)")
    log_axes(ax, y=False)
    ax.set(xlabel=r"$1-\beta$", title=law["law_name"])
axes[0, 0].set_ylabel(r"position $\theta$")
axes[0, -1].legend(fontsize="small")
save_figure(fig, stage.output("F2_zeros.pdf"), stage.output("F2_zeros.png"), p["dpi"])
stage.finish()
