"""The zero shift delta = zero(f) - E[X] of the 1-D quadratic against u = 1 - beta and M, as the F7
claims and figure read it from ``quadratic_rates``' table (one row per independent field).

To leading order delta = -(1 - alpha)/(1 - alpha beta) u gamma_1 sigma / (2 M) (docs/mathematics.md,
section 7), so delta / u -> c0 = -gamma_1 sigma / (2 M) as u -> 0 for every alpha, and M delta is
constant in M at fixed beta up to a relative O(u).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .stats import Estimate, Extrapolation, extrapolate_to_zero, mean_of, mean_of_estimates


def constant_in_u(shifts: pd.DataFrame) -> Extrapolation:
    """delta / u = c0 + c1 u (+ c2 u^2 where the line's lack of fit asks for it), weighted least
    squares through the fields' means at each u, for one law and M."""
    ratio = shifts.assign(u=1 - shifts["beta"]).assign(ratio=lambda t: t["value"] / t["u"]).groupby("u")["ratio"]
    return extrapolate_to_zero(list(ratio.groups), [mean_of(values) for _, values in ratio])


def upper_half(sizes) -> list:
    """The upper half of a grid of batch sizes (its larger half when the count is odd)."""
    sizes = sorted(set(sizes))
    return sizes[len(sizes) // 2:]


def constant_in_batch_size(shifts: pd.DataFrame) -> Estimate:
    """M delta(M) over the upper half of the M grid, for one law at one beta: the average of the
    fields' means at each M (independent fields, so the variances add)."""
    scaled = shifts.assign(scaled=shifts["batch_size"] * shifts["value"])
    upper = scaled[scaled["batch_size"].isin(upper_half(scaled["batch_size"]))]
    return mean_of_estimates([mean_of(values) for _, values in upper.groupby("batch_size")["scaled"]])


def slope_in_batch_size(shifts: pd.DataFrame) -> Estimate:
    """The log-log slope of |delta| against M over the upper half of the M grid: one fit per field
    index (the fields at different M are independent), then their mean."""
    upper = shifts[shifts["batch_size"].isin(upper_half(shifts["batch_size"]))]
    return mean_of([np.polyfit(np.log(g["batch_size"]), np.log(g["value"].abs()), 1)[0]
                    for _, g in upper.groupby("seed")])


def local_slopes(shifts: pd.DataFrame, x: str) -> pd.DataFrame:
    """Log-log slopes of |delta| between neighbouring grid values of ``x`` ("u" or "batch_size"),
    per field index, for one law and sweep: one row per field and pair of neighbours, at their
    geometric midpoint."""
    table = shifts.assign(u=1 - shifts["beta"]).pivot_table(index="seed", columns=x, values="value")
    grid = np.array(sorted(table.columns))
    rows = []
    for low, high in zip(grid[:-1], grid[1:]):
        slopes = np.log(table[high].abs() / table[low].abs()) / np.log(high / low)
        rows += [{"midpoint": float(np.sqrt(low * high)), "low": float(low), "high": float(high), "seed": seed,
                  "slope": float(s)} for seed, s in slopes.items()]
    return pd.DataFrame(rows)
