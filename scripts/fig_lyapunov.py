"""F4: where F is a Lyapunov function of the Adam flow near the minimum set, over (r, M), and what
decides the claims: the judged cell (boxed) and the worst-case directions' normalised derivative."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Rectangle

from replication.figures import apply_style, save_figure
from replication.stats import below_zero
from replication.store import Stage, run_stage

def cell_text(fraction: float, worst: float) -> str:
    """The fraction of random directions that pass; below it, where a search ran, the largest
    normalised derivative grad F . f / (|grad F| |f|) of the worst-case directions."""
    return f"{fraction:.2f}" if np.isnan(worst) else f"{fraction:.2f}\n({worst:+.2f})"


def heatmap(ax, sub: pd.DataFrame, colorbar: bool, judged: bool) -> None:
    """Over (r, M): the fraction of random directions with grad F . f significantly below 0, the
    worst-case directions' normalised derivative, and the judged cell boxed where it decides."""
    random, searched = sub[sub["search"] == "random"], sub[sub["search"] == "worst"]
    grid = random.pivot_table(index="radius", columns="batch_size", values="negative", aggfunc="mean")
    worst = searched.pivot_table(index="radius", columns="batch_size", values="normalised", aggfunc="max")
    worst = worst.reindex(index=grid.index, columns=grid.columns)
    labels = np.vectorize(cell_text)(grid.to_numpy(), worst.to_numpy())
    sns.heatmap(grid, ax=ax, vmin=0, vmax=1, cmap="viridis", annot=labels, fmt="", annot_kws={"fontsize": 6},
                yticklabels=[f"{r:.2g}" for r in grid.index], cbar=colorbar,
                cbar_kws={"label": r"fraction with $\nabla F\cdot f<0$"})
    if judged:
        row = int(np.argmin(np.abs(np.log(grid.index.to_numpy()) - np.log(sub["judged_radius"].iloc[0]))))
        ax.add_patch(Rectangle((len(grid.columns) - 1, row), 1, 1, fill=False, edgecolor="red", lw=2))


def main(stage: Stage) -> None:
    apply_style(stage.params)
    table = stage.tables("lyapunov", "lyapunov_pl.csv")
    # Significantly negative: the upper end of the 95% interval of grad F . f is below 0.
    table["negative"] = below_zero(table["derivative"], table["derivative_se"], table["derivative_n"])
    networks = list(dict.fromkeys(table["network"]))
    momenta = list(table.groupby(["alpha", "beta"], sort=False).groups)
    overparametrized = set(table.loc[table["overparametrized"], "network"])
    # One row per network, one column per momentum pair (alpha, beta).
    fig, axes = plt.subplots(len(networks), len(momenta), figsize=(4.6 * len(momenta), 3.8 * len(networks)),
                             squeeze=False)
    for i, name in enumerate(networks):
        for j, (alpha, beta) in enumerate(momenta):
            sub = table[(table["network"] == name) & (table["alpha"] == alpha) & (table["beta"] == beta)]
            heatmap(axes[i, j], sub, j == len(momenta) - 1, name in overparametrized)
            axes[i, j].set(title=f"{name}, $\\alpha$ = {alpha:g}, $\\beta$ = {beta:g}",
                           xlabel="mini-batch size $M$" if i == len(networks) - 1 else "",
                           ylabel="radius $r$" if j == 0 else "")
    save_figure(fig, stage.output("F4_lyapunov.pdf"), stage.output("F4_lyapunov.png"), stage.params["dpi"])


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
