"""The Lyapunov neighbourhood as the lyapunov_pl stage measures it: which sampled points have
grad F . f significantly below 0, and the radius r0 and batch size M0 read off the grid; and
where the zeros of f lie beside the minimum set, as the control_zeros pilot measures it."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .stats import below_zero


def significant_fraction(table: pd.DataFrame) -> pd.Series:
    """Per (radius, batch_size): the fraction of sampled points whose 95% upper bound of
    grad F . f lies below 0 (a Monte Carlo mean over derivative_n sequences: t quantile)."""
    negative = pd.Series(below_zero(table["derivative"], table["derivative_se"], table["derivative_n"]),
                         index=table.index)
    return negative.groupby([table["radius"], table["batch_size"]]).mean()


def random_directions(lyapunov: pd.DataFrame) -> pd.DataFrame:
    """The lyapunov_pl rows of the random directions, one per point and batch size: the PL and noise
    ratios do not depend on the momentum pair, so one copy of them, at every radius (a judged radius
    off the grid holds its own pair's rows alone)."""
    random = lyapunov[lyapunov["search"] == "random"]
    return random.drop_duplicates(["network", "minimum", "radius", "direction", "batch_size"])


def lyapunov_radius(table: pd.DataFrame, batch_size: int) -> float | None:
    """r0: the largest radius such that at batch size M and every radius <= r0 all sampled
    points have grad F . f significantly below 0 (None if the smallest radius fails)."""
    fraction = significant_fraction(table).xs(batch_size, level="batch_size").sort_index()
    failing = fraction.index[fraction < 1]
    inside = fraction.index[fraction.index < failing.min()] if len(failing) else fraction.index
    return float(inside.max()) if len(inside) else None


def threshold_batch_size(table: pd.DataFrame, radius: float) -> int | None:
    """M0: the smallest batch size from which on every sampled point at ``radius`` has
    grad F . f significantly below 0 (None if even the largest fails)."""
    at_radius = significant_fraction(table).xs(radius, level="radius").sort_index()
    sizes = list(at_radius.index)
    passing = [m for i, m in enumerate(sizes) if (at_radius.loc[sizes[i:]] == 1).all()]
    return int(passing[0]) if passing else None


class ZeroOffset(NamedTuple):
    """Where the pilot found the zeros of f beside the minimum set, over its pilot minima: the
    smallest distance from Z, the smallest F - inf F, and how many minima had a zero found."""

    distance: float
    level: float
    pilots: int


def zero_offset(zeros: pd.DataFrame, alpha: float, beta: float, batch_size: int) -> ZeroOffset | None:
    """The control_zeros pilot's offset at (alpha, beta, M), over the pilot minima whose zero of f
    was found (None if there is none)."""
    at = zeros[np.isclose(zeros["alpha"], alpha) & np.isclose(zeros["beta"], beta)
               & (zeros["batch_size"] == batch_size) & zeros["found"]]
    if at.empty:
        return None
    return ZeroOffset(float(at["distance"].min()), float(at["level"].min()), len(at))


def capture_tolerance(zeros: pd.DataFrame | None, capture: pd.DataFrame, converged_loss: float,
                      fraction: float) -> tuple[float, float | None]:
    """F6's loss tolerance and the level it must stay below: ``fraction`` of the smallest
    F - inf F at the zeros of f beside the minimum set that the pilot found at the capture runs'
    (alpha, beta, M), at most ``converged_loss``; and that level (None without a pilot's zero)."""
    offset = zero_offset(zeros, *capture[["alpha", "beta", "batch_size"]].iloc[0]) if zeros is not None else None
    if offset is None:
        return converged_loss, None
    return min(converged_loss, fraction * offset.level), offset.level