"""F1: D(n, T) of the Adam flow, the gradient flow and the noiseless Adam flow against t_n."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from replication.figures import apply_style, log_axes, save_figure
from replication.store import Stage

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
apply_style(p)
table = pd.read_csv(stage.input("flow", "deviation.csv"))
networks = list(table["network"].unique())
fig, axes = plt.subplots(1, len(networks), figsize=(4.2 * len(networks), 3.4), squeeze=False, sharey=True)
for ax, name in zip(axes[0], networks):
    sns.lineplot(table[table["network"] == name], x="time", y="deviation", hue="flow", style="flow",
                 markers=True, dashes=False, estimator="median", errorbar=("pi", 50), ax=ax)
    log_axes(ax)
    ax.set(title=f"network: {name}",
           xlabel="training time $t_n$ at the start", ylabel="$D(n, T)$ (median, 25-75% of runs)")
save_figure(fig, stage.output("F1_flow.pdf"), stage.output("F1_flow.png"), p["dpi"])
stage.finish()
