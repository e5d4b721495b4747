"""F7: the zero shift |zero of f - E[X]| against 1 - beta and against M, and Adam's stationary
spread against a constant gamma, each with its control, on log-log axes."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from replication.figures import apply_style, log_axes, save_figure
from replication.paper import RATES
from replication.stats import mean_of
from replication.store import Stage

stage = Stage(snakemake.params.stage, snakemake.log[0])
p = stage.params
apply_style(p)
rates = pd.read_csv(stage.input("rates", "rates.csv"))
rates["size"] = rates["value"].abs()
rates["law"] = rates["law"] + " (" + rates["role"] + ")"
fig, axes = plt.subplots(1, 3, figsize=(13.0, 3.6))
for ax, kind in zip(axes, ("beta", "batch_size", "spread")):
    label, expected, _ = RATES[kind]
    sns.lineplot(rates[rates["kind"] == kind], x="x", y="size", hue="law", style="law", markers=True, dashes=False,
                 estimator="mean", errorbar=lambda values: mean_of(values).interval(0.95), ax=ax)
    log_axes(ax)
    ax.set(title=f"expected slope {expected:g}", xlabel=label,
           ylabel="stationary spread" if kind == "spread" else "|zero of f - E[X]| (mean, 95% CI)")
    ax.legend(fontsize="x-small")
save_figure(fig, stage.output("F7_rates.pdf"), stage.output("F7_rates.png"), p["dpi"])
stage.finish()
