"""Claim checks: each turns pipeline tables into rows of the claims dashboard.

Every row states its statistic, estimate, 95% interval, threshold and verdict
(supported / contradicted / inconclusive). Rows marked ``is_control`` are negative
controls: their expected verdict is "contradicted", so a check that cannot fail shows up.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

COLUMNS = ["id", "reference", "statement", "statistic", "estimate", "ci_low", "ci_high", "threshold",
           "verdict", "is_control", "figure", "n"]


def _row(**fields) -> dict:
    return {c: fields.get(c) for c in COLUMNS}


def mean_se(values) -> tuple[float, float, int]:
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values))), len(values)


def separated(estimate: float, se: float, z_strong: float, z_weak: float) -> str:
    """'estimate != 0': supported at >= z_strong SE, contradicted below z_weak SE."""
    if abs(estimate) >= z_strong * se:
        return "supported"
    return "contradicted" if abs(estimate) < z_weak * se else "inconclusive"


def matched(estimate: float, se: float, z_strong: float, z_weak: float) -> str:
    """'estimate == 0': supported below z_weak SE, contradicted at >= z_strong SE."""
    verdict = separated(estimate, se, z_strong, z_weak)
    return {"supported": "contradicted", "contradicted": "supported"}.get(verdict, verdict)


def clopper_pearson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    a = (1 - level) / 2
    low = stats.beta.ppf(a, successes, n - successes + 1) if successes > 0 else 0.0
    high = stats.beta.ppf(1 - a, successes + 1, n - successes) if successes < n else 1.0
    return float(low), float(high)


def quadratic_claims(zeros: pd.DataFrame, limits: pd.DataFrame, z_strong: float, z_weak: float) -> list[dict]:
    """Corollary 1.10 on the 1-D stochastic quadratic (figure F2)."""
    rows = []
    limits = limits[~limits["diverged"]]
    for (law, beta), group in zeros.groupby(["law", "beta"]):
        name, symmetric, mean = group["law_name"].iloc[0], bool(group["symmetric"].iloc[0]), group["mean"].iloc[0]
        z, z_se, n_z = mean_se(group["zero"])
        l, l_se, n_l = mean_se(limits[(limits["law"] == law) & (limits["beta"] == beta)]["limit"])
        tag = f"{name}[{law}].beta={beta:g}"
        ref = "Corollary 1.10"

        def add(cid, statement, statistic, estimate, se, n, verdict_fn, threshold, control):
            rows.append(_row(id=cid, reference=ref, statement=statement, statistic=statistic, estimate=estimate,
                             ci_low=estimate - 1.96 * se, ci_high=estimate + 1.96 * se, threshold=threshold,
                             verdict=verdict_fn(estimate, se, z_strong, z_weak), is_control=control,
                             figure="F2_zeros", n=n))

        combined = math.hypot(l_se, z_se)
        add(f"F2.limit_is_zero.{tag}", f"Adam's limit equals the zero of f ({name} noise, beta={beta:g})",
            "Adam limit - zero of f", l - z, combined, n_l, matched, f"abs < {z_weak:g} SE", False)
        if beta <= 0.95:
            add(f"F2.zero_shift.{tag}", f"the zero of f differs from E[X] ({name} noise, beta={beta:g})",
                "zero of f - E[X]", z - mean, z_se, n_z, separated, f"abs >= {z_strong:g} SE", symmetric)
            add(f"F2.limit_not_critical.{tag}",
                f"Adam's limit is not the critical point E[X] ({name} noise, beta={beta:g})",
                "Adam limit - E[X]", l - mean, l_se, n_l, separated, f"abs >= {z_strong:g} SE", symmetric)
        if symmetric:
            add(f"F2.zero_is_mean.{tag}", f"for symmetric noise the zero of f is E[X] (beta={beta:g})",
                "zero of f - E[X]", z - mean, z_se, n_z, matched, f"abs < {z_weak:g} SE", False)
    return rows


def flow_claims(deviation: pd.DataFrame, z_weak: float) -> list[dict]:
    """Theorem 1.5: at the last start n, Adam is closer to the Adam flow than to the others (F1)."""
    rows = []
    for network, table in deviation.groupby("network"):
        last = table[table["start"] == table["start"].max()].pivot_table(index="run", columns="flow", values="deviation")
        for other, control in (("gradient", False), ("noiseless", False)):
            for first, second, is_control in (("adam", other, control), (other, "adam", True)):
                diff = last[second] - last[first]
                m, se, n = mean_se(diff)
                verdict = "supported" if m - z_weak * se > 0 else ("contradicted" if m + z_weak * se < 0 else "inconclusive")
                rows.append(_row(
                    id=f"F1.tracks.{network}.{first}_vs_{second}", reference="Theorem 1.5",
                    statement=f"{network} network: Adam stays closer to the {first} flow than to the {second} flow",
                    statistic=f"D_{second}(n,T) - D_{first}(n,T) at the last n, mean over runs",
                    estimate=m, ci_low=m - 1.96 * se, ci_high=m + 1.96 * se, threshold=f"> {z_weak:g} SE above 0",
                    verdict=verdict, is_control=is_control, figure="F1_flow", n=n))
    return rows


def lyapunov_claims(table: pd.DataFrame) -> list[dict]:
    """Theorems 2.1/2.4: grad F . f < 0 at every sampled point of the smallest radius and the
    largest batch size (F4); at a control network's critical point this must fail."""
    rows = []
    for network, sub in table.groupby("network"):
        control = not bool(sub["overparametrized"].iloc[0])
        corner = sub[(sub["radius"] == sub["radius"].min()) & (sub["batch_size"] == sub["batch_size"].max())]
        negative = int((corner["derivative"] + 1.96 * corner["derivative_se"] < 0).sum())
        n = len(corner)
        low, high = clopper_pearson(negative, n)
        verdict = "supported" if negative == n else ("contradicted" if high < 1 else "inconclusive")
        rows.append(_row(
            id=f"F4.lyapunov.{network}", reference="Theorems 2.1, 2.4",
            statement=f"{network} network: grad F . f < 0 at every point at r={corner['radius'].iloc[0]:g}, "
                      f"M={corner['batch_size'].iloc[0]} around the polished points",
            statistic="fraction of points with 95% upper bound of grad F . f below 0",
            estimate=negative / n, ci_low=low, ci_high=high, threshold="= 1 (all points)",
            verdict=verdict, is_control=control, figure="F4_lyapunov", n=n))
    return rows


def pl_claims(table: pd.DataFrame) -> list[dict]:
    """PL near the minimum set: min_u |grad F|^2/F stays bounded below as r -> 0 (log-log slope
    in r below 1); at a control critical point with F > 0 it falls like r^2 (F5)."""
    rows = []
    points = table.drop_duplicates(["network", "minimum", "radius", "direction"])
    for network, sub in points.groupby("network"):
        control = not bool(sub["overparametrized"].iloc[0])
        worst = sub.groupby(["minimum", "radius"])["pl_ratio"].min().reset_index()
        slopes = [np.polyfit(np.log(g["radius"]), np.log(g["pl_ratio"]), 1)[0] for _, g in worst.groupby("minimum")]
        if len(slopes) < 2:
            continue
        m, se, n = mean_se(slopes)
        low, high = m - 1.96 * se, m + 1.96 * se
        verdict = "supported" if high < 1 else ("contradicted" if low > 1 else "inconclusive")
        rows.append(_row(
            id=f"F5.pl.{network}", reference="PL condition, Section 2",
            statement=f"{network} network: |grad F|^2 / F stays bounded below as r -> 0",
            statistic="log-log slope of min over directions of |grad F|^2/F in r, mean over points",
            estimate=m, ci_low=low, ci_high=high, threshold="< 1 (95% upper bound)",
            verdict=verdict, is_control=control, figure="F5_pl", n=n))
    return rows


def excluded_runs(diverged: dict[str, np.ndarray]) -> pd.DataFrame:
    """Training runs left out of every claim: network -> first non-finite step per run (-1: fine)."""
    rows = [{"network": name, "run": int(r), "diverged_at_step": int(steps[r])}
            for name, steps in diverged.items() for r in np.flatnonzero(steps >= 0)]
    return pd.DataFrame(rows, columns=["network", "run", "diverged_at_step"])


def as_markdown(claims: pd.DataFrame, excluded: pd.DataFrame) -> str:
    """The dashboard as a Markdown table, controls flagged by their expected verdict, after a
    line that says which training runs diverged and were left out."""
    if excluded.empty:
        note = "No training run diverged; none was excluded."
    else:
        note = "Excluded from every claim (diverged, first non-finite step): " + ", ".join(
            f"{row.network} run {row.run} at step {row.diverged_at_step}" for row in excluded.itertuples()) + "."
    lines = [note, "","| id | statement | statistic | estimate [95% CI] | threshold | verdict | control (expected: contradicted) |",
             "|---|---|---|---|---|---|---|"]
    def cell(text) -> str:
        return str(text).replace("|", "\\|")

    for row in claims.itertuples():
        ok = "" if not row.is_control else ("yes, as expected" if row.verdict == "contradicted" else "yes, NOT as expected")
        lines.append(f"| {row.id} | {cell(row.statement)} | {cell(row.statistic)} | {row.estimate:.4g} "
                     f"[{row.ci_low:.4g}, {row.ci_high:.4g}] | {cell(row.threshold)} | {row.verdict} | {ok} |")
    return "\n".join(lines) + "\n"
