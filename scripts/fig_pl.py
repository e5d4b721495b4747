"""F5: the PL ratio |grad F|^2 / F near the minimum set, minimum over directions, against r."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from replication.figures import apply_style, log_axes, save_figure
from replication.store import Stage

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
apply_style(p)
table = pd.read_csv(stage.input("lyapunov", "lyapunov_pl.csv"))
points = table.drop_duplicates(["network", "minimum", "radius", "direction"])
worst = points.groupby(["network", "minimum", "radius"], as_index=False)["pl_ratio"].min()
fig, ax = plt.subplots(figsize=(4.6, 3.6))
sns.lineplot(worst, x="radius", y="pl_ratio", hue="network", units="minimum", estimator=None, marker="o", ax=ax)
log_axes(ax)
ax.set(xlabel=r"distance $r$ to the polished point $\theta^*$",
       ylabel=r"$\min_u |\nabla F|^2 / F$ at $\theta^* + r u$")
save_figure(fig, stage.output("F5_pl.pdf"), stage.output("F5_pl.png"), p["dpi"])
stage.finish()
