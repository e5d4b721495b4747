"""The Lyapunov neighbourhood as the lyapunov_pl stage measures it: which sampled points have
grad F . f significantly below 0, and the radius r0 and batch size M0 read off the grid."""

from __future__ import annotations

import pandas as pd

from .stats import below_zero


def significant_fraction(table: pd.DataFrame) -> pd.Series:
    """Per (radius, batch_size): the fraction of sampled points whose 95% upper bound of
    grad F . f lies below 0 (a Monte Carlo mean over derivative_n sequences: t quantile)."""
    negative = pd.Series(below_zero(table["derivative"], table["derivative_se"], table["derivative_n"]),
                         index=table.index)
    return negative.groupby([table["radius"], table["batch_size"]]).mean()


def lyapunov_radius(table: pd.DataFrame, batch_size: int) -> float | None:
    """r0: the largest radius such that at batch size M and every radius <= r0 all sampled
    points have grad F . f significantly below 0 (None if the smallest radius fails)."""
    fraction = significant_fraction(table).xs(batch_size, level="batch_size").sort_index()
    failing = fraction.index[fraction < 1]
    inside = fraction.index[fraction.index < failing.min()] if len(failing) else fraction.index
    return float(inside.max()) if len(inside) else None


def threshold_batch_size(table: pd.DataFrame) -> int | None:
    """M0: the smallest batch size from which on every sampled point at the smallest radius has
    grad F . f significantly below 0 (None if even the largest fails)."""
    at_smallest = significant_fraction(table).xs(table["radius"].min(), level="radius").sort_index()
    sizes = list(at_smallest.index)
    passing = [m for i, m in enumerate(sizes) if (at_smallest.loc[sizes[i:]] == 1).all()]
    return int(passing[0]) if passing else None
