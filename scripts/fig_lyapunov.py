"""F4: where F is a Lyapunov function of the Adam flow near the minimum set, over (r, M)."""

import matplotlib.pyplot as plt
import seaborn as sns

from replication.figures import apply_style, save_figure
from replication.stats import below_zero
from replication.store import Stage

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
apply_style(p)
table = stage.tables("lyapunov", "lyapunov_pl.csv")
# Significantly negative: the upper end of the 95% interval of grad F . f is below 0.
table["negative"] = below_zero(table["derivative"], table["derivative_se"], table["derivative_n"])
table = table[table["search"] == "random"]  # the worst-case directions are quoted in the claims
networks = list(dict.fromkeys(table["network"]))
momenta = list(table.groupby(["alpha", "beta"], sort=False).groups)
# One row per network, one column per momentum pair (alpha, beta).
fig, axes = plt.subplots(len(networks), len(momenta), figsize=(4.6 * len(momenta), 3.4 * len(networks)),
                         squeeze=False, sharex=True, sharey=True)
for i, name in enumerate(networks):
    for j, (alpha, beta) in enumerate(momenta):
        sub = table[(table["network"] == name) & (table["alpha"] == alpha) & (table["beta"] == beta)]
        grid = sub.pivot_table(index="radius", columns="batch_size", values="negative", aggfunc="mean")
        sns.heatmap(grid, ax=axes[i, j], vmin=0, vmax=1, cmap="viridis", annot=True, fmt=".2f",
                    cbar=j == len(momenta) - 1, cbar_kws={"label": r"fraction with $\nabla F\cdot f<0$"})
        axes[i, j].set(title=f"{name}, $\\alpha$ = {alpha:g}, $\\beta$ = {beta:g}",
                       xlabel="mini-batch size $M$" if i == len(networks) - 1 else "",
                       ylabel="radius $r$" if j == 0 else "")
save_figure(fig, stage.output("F4_lyapunov.pdf"), stage.output("F4_lyapunov.png"), p["dpi"])
stage.finish()
