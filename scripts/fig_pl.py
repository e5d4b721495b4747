"""F5: near the minimum set, the PL ratio |grad F|^2 / (F - inf F) (minimum over directions) and
the noise ratio E|G|^2 / |grad F|^2 of inequality (17) (maximum over directions), against r."""

import matplotlib.pyplot as plt
import seaborn as sns

from replication.figures import apply_style, log_axes, save_figure
from replication.neighbourhood import random_directions
from replication.store import Stage, run_stage


def main(stage: Stage) -> None:
    p = stage.params
    apply_style(p)
    table = random_directions(stage.tables("lyapunov", "lyapunov_pl.csv"))
    points = table.drop_duplicates(["network", "minimum", "radius", "direction"])
    worst_pl = points.groupby(["network", "minimum", "radius"], as_index=False)["pl_ratio"].min()
    at_m = table[table["batch_size"] == p["batch_size"]]
    worst_noise = at_m.groupby(["network", "minimum", "radius"], as_index=False)["noise_ratio"].max()
    fig, axes = plt.subplots(1, 2, figsize=(9.2, 3.6))
    for ax, data, column, label in (
            (axes[0], worst_pl, "pl_ratio", r"$\min_u |\nabla F|^2 / (F - \inf F)$ at $\theta^* + r u$"),
            (axes[1], worst_noise, "noise_ratio", rf"$\max_u E|G|^2 / |\nabla F|^2$ ($M = {p['batch_size']}$)")):
        sns.lineplot(data, x="radius", y=column, hue="network", units="minimum", estimator=None, marker="o", ax=ax)
        log_axes(ax)
        ax.set(xlabel=r"distance $r$ to the polished point $\theta^*$", ylabel=label)
    axes[0].set_title("PL inequality")
    axes[1].set_title("noise against the gradient, inequality (17)")
    save_figure(fig, stage.output("F5_pl.pdf"), stage.output("F5_pl.png"), p["dpi"])


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
