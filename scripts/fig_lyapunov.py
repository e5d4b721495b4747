"""F4: where F is a Lyapunov function of the Adam flow near the minimum set, over (r, M)."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from replication.figures import apply_style, save_figure
from replication.stats import below_zero
from replication.store import Stage

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
apply_style(p)
table = pd.read_csv(stage.input("lyapunov", "lyapunov_pl.csv"))
# Significantly negative: the upper end of the 95% interval of grad F . f is below 0.
table["negative"] = below_zero(table["derivative"], table["derivative_se"], table["derivative_n"])
table = table[table["search"] == "random"]  # the worst-case directions are quoted in the claims
panels = list(table.groupby(["network", "beta"]).groups)
fig, axes = plt.subplots(2, len(panels), figsize=(5.4 * len(panels), 7.6), squeeze=False)
for col, (name, beta) in enumerate(panels):
    sub = table[(table["network"] == name) & (table["beta"] == beta)]
    for row, (column, label, cmap, limits) in enumerate((
            ("negative", r"fraction with $\nabla F\cdot f<0$ (95% upper bound)", "viridis", (0, 1)),
            ("normalised", r"mean $\nabla F\cdot f/(|\nabla F||f|)$", "vlag", (-1, 1)))):
        grid = sub.pivot_table(index="radius", columns="batch_size", values=column, aggfunc="mean")
        sns.heatmap(grid, ax=axes[row, col], vmin=limits[0], vmax=limits[1], cmap=cmap, annot=True, fmt=".2f",
                    cbar_kws={"label": label})
        axes[row, col].set(title=f"network: {name}, $\\beta$ = {beta:g}", xlabel="mini-batch size $M$",
                           ylabel="radius $r$")
save_figure(fig, stage.output("F4_lyapunov.pdf"), stage.output("F4_lyapunov.png"), p["dpi"])
stage.finish()
