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
networks = list(dict.fromkeys(table["network"]))
momenta = list(table.groupby(["alpha", "beta"], sort=False).groups)
# One row per network and quantity, one column per momentum pair (alpha, beta).
fig, axes = plt.subplots(2 * len(networks), len(momenta), figsize=(5.0 * len(momenta), 3.6 * 2 * len(networks)),
                         squeeze=False)
for i, name in enumerate(networks):
    for col, (alpha, beta) in enumerate(momenta):
        sub = table[(table["network"] == name) & (table["alpha"] == alpha) & (table["beta"] == beta)]
        for j, (column, label, cmap, limits) in enumerate((
                ("negative", r"fraction with $\nabla F\cdot f<0$ (95% upper bound)", "viridis", (0, 1)),
                ("normalised", r"mean $\nabla F\cdot f/(|\nabla F||f|)$", "vlag", (-1, 1)))):
            ax = axes[2 * i + j, col]
            grid = sub.pivot_table(index="radius", columns="batch_size", values=column, aggfunc="mean")
            sns.heatmap(grid, ax=ax, vmin=limits[0], vmax=limits[1], cmap=cmap, annot=True, fmt=".2f",
                        cbar_kws={"label": label})
            ax.set(title=f"network: {name}, $\\alpha$ = {alpha:g}, $\\beta$ = {beta:g}", xlabel="mini-batch size $M$",
                   ylabel="radius $r$")
save_figure(fig, stage.output("F4_lyapunov.pdf"), stage.output("F4_lyapunov.png"), p["dpi"])
stage.finish()
