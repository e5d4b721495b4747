"""F3: |grad F| and |f| along Adam's path, for each network (overparametrized and control)."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from replication.figures import apply_style, log_axes, save_figure
from replication.store import Stage

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
apply_style(p)
table = pd.read_csv(stage.input("field", "field_path.csv"))
table = table[table["step"] > 0]
long = table.melt(id_vars=["network", "run", "time"], value_vars=["grad_norm", "field_norm"],
                  var_name="quantity", value_name="norm")
long["quantity"] = long["quantity"].map({"grad_norm": r"$|\nabla F(\Theta_n)|$", "field_norm": r"$|f(\Theta_n)|$ (MC)"})
networks = list(table["network"].unique())
fig, axes = plt.subplots(1, len(networks), figsize=(4.2 * len(networks), 3.4), squeeze=False, sharey=True)
for ax, name in zip(axes[0], networks):
    sns.lineplot(long[long["network"] == name], x="time", y="norm", hue="quantity", estimator="median",
                 errorbar=("pi", 50), ax=ax)
    mc = table[table["network"] == name].groupby("time")["field_norm_se"].median()
    ax.plot(mc.index, mc.values, color="0.5", linewidth=0.8, linestyle=":", label="MC standard error of $|f|$")
    log_axes(ax)
    ax.set(title=f"network: {name}", xlabel="training time $t$", ylabel="norm")
    ax.legend(fontsize="small")
save_figure(fig, stage.output("F3_field_path.pdf"), stage.output("F3_field_path.png"), p["dpi"])
stage.finish()
