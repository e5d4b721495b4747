"""F7: the zero shift delta of the 1-D quadratic against u = 1 - beta and M, in units of its
leading-order value, with the fits the claims test and the local slopes over halving ranges; and
Adam's stationary spread against a constant gamma. The symmetric law is left out: its shift is 0
by symmetry (a sanity row of the claims)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from replication.figures import apply_style, log_axes, save_figure
from replication.rates import constant_in_u, local_slopes
from replication.stats import mean_of
from replication.store import Stage, run_stage


def errorbars(ax, table: pd.DataFrame, x: str, y: str, label: str, **style) -> None:
    """Mean and 95% t interval over the fields at each x."""
    means = [(value, mean_of(g[y])) for value, g in table.groupby(x)]
    xs, estimates = np.array([v for v, _ in means]), [e for _, e in means]
    ax.errorbar(xs, [e.value for e in estimates], yerr=[e.half_width(0.95) for e in estimates], capsize=3,
                label=label, **style)


def beta_panels(ax_fit, ax_slope, shifts: pd.DataFrame, laws: pd.DataFrame) -> None:
    """-2 M delta / (u gamma_1 sigma) against u, which tends to 1 as u -> 0, with the claims' fit; and
    the local slopes of |delta| against u (1 is the leading order)."""
    for (index, m), sub in shifts[shifts["sweep"] == "beta"].groupby(["law_index", "batch_size"]):
        law = laws.loc[index]
        label = f"{law['law']}, M={m}"
        sub = sub.assign(u=1 - sub["beta"])
        scaled = sub.assign(ratio=-2 * m * sub["value"] / (sub["u"] * law["skewness"] * law["scale"]))
        errorbars(ax_fit, scaled, "u", "ratio", label, marker="o", linestyle="none")
        fit = constant_in_u(sub)
        grid = np.linspace(0, sub["u"].max(), 50)
        ax_fit.plot(grid, -2 * m * fit(grid) / (law["skewness"] * law["scale"]), color=ax_fit.lines[-1].get_color(),
                    linewidth=1)
        errorbars(ax_slope, local_slopes(sub, "u"), "midpoint", "slope", label, marker="o")
    ax_fit.axhline(1.0, color="0.3", linewidth=1, label="leading order")
    ax_fit.set(xlabel=r"$u = 1-\beta$", ylabel=r"$-2M\delta / (u\,\gamma_1\sigma)$", title="constant in u (fit: claims)")
    ax_slope.axhline(1.0, color="0.3", linewidth=1)
    log_axes(ax_slope, y=False)
    ax_slope.set(xlabel=r"$u$ (midpoint of neighbours)", ylabel=r"local slope of $|\delta|$ in $u$",
                 title="local slopes, halving ranges")


def batch_size_panels(ax_constant, ax_slope, shifts: pd.DataFrame, laws: pd.DataFrame) -> None:
    """M delta(M) in units of its first-order value (tends to 1 up to a relative O(u)), and the local
    slopes of |delta| against M (-1 is the leading order)."""
    for (index, beta), sub in shifts[shifts["sweep"] == "batch_size"].groupby(["law_index", "beta"]):
        law = laws.loc[index]
        alpha = sub["alpha"].iloc[0]
        first_order = -(1 - alpha) / (1 - alpha * beta) * (1 - beta) * law["skewness"] * law["scale"] / 2
        label = f"{law['law']}, beta={beta:g}"
        errorbars(ax_constant, sub.assign(scaled=sub["batch_size"] * sub["value"] / first_order), "batch_size",
                  "scaled", label, marker="o")
        errorbars(ax_slope, local_slopes(sub, "batch_size"), "midpoint", "slope", label, marker="o")
    ax_constant.axhline(1.0, color="0.3", linewidth=1, label="first order")
    ax_slope.axhline(-1.0, color="0.3", linewidth=1)
    for ax in (ax_constant, ax_slope):
        log_axes(ax, y=False)
    ax_constant.set(xlabel="M", ylabel=r"$M\delta(M)$ / first-order value", title="constant in M")
    ax_slope.set(xlabel="M (midpoint of neighbours)", ylabel=r"local slope of $|\delta|$ in $M$",
                 title="local slopes, doubling M")


def spread_panel(ax, spreads: pd.DataFrame) -> None:
    for law, sub in spreads.groupby("law"):
        errorbars(ax, sub, "gamma", "value", law, marker="o")
    log_axes(ax)
    ax.set(xlabel=r"$\gamma$", ylabel="stationary spread", title="spread (expected slope 1/2)")


def main(stage: Stage) -> None:
    apply_style(stage.params)
    rates = pd.read_csv(stage.input("rates", "rates.csv"))
    # The skewed laws: the symmetric law's shift is 0 by symmetry (a sanity row of the claims).
    shifts = rates[(rates["kind"] == "zero_shift") & ~rates["symmetric"]]
    laws = shifts.drop_duplicates("law_index").set_index("law_index")
    fig, axes = plt.subplots(2, 3, figsize=(13.0, 7.2))
    beta_panels(axes[0, 0], axes[0, 1], shifts, laws)
    batch_size_panels(axes[1, 0], axes[1, 1], shifts, laws)
    spread_panel(axes[0, 2], rates[(rates["kind"] == "spread") & ~rates["diverged"].astype(bool)])
    axes[1, 2].axis("off")
    handles = {label: h for ax in axes.flat for h, label in zip(*ax.get_legend_handles_labels())}
    axes[1, 2].legend(handles.values(), handles.keys(), fontsize="x-small", loc="center")
    save_figure(fig, stage.output("F7_rates.pdf"), stage.output("F7_rates.png"), stage.params["dpi"])


if __name__ == "__main__":
    run_stage(main, snakemake)  # noqa: F821 (Snakemake's script global)
