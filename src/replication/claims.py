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
    if abs(estimate) >= z_strong * se and estimate != 0:
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


def _all_row(successes: int, n: int, units: str, **fields) -> dict:
    """A claim that holds for every one of n cases: the fraction with its Clopper-Pearson 95%
    interval; supported when all pass, contradicted when the interval excludes 1."""
    low, high = clopper_pearson(successes, n)
    verdict = "supported" if successes == n else ("contradicted" if high < 1 else "inconclusive")
    return _row(estimate=successes / n, ci_low=low, ci_high=high, threshold=f"= 1 (all {units})", verdict=verdict,
                n=n, **fields)


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


def interval_verdict(low: float, high: float, band_low: float, band_high: float) -> str:
    """'the quantity lies in [band_low, band_high]': supported if the 95% CI lies inside the
    band, contradicted if it misses the band, inconclusive otherwise."""
    if band_low <= low and high <= band_high:
        return "supported"
    return "contradicted" if high < band_low or low > band_high else "inconclusive"


def loglog_slopes(table: pd.DataFrame, by: str, x: str, y: str) -> list[float]:
    """One fitted slope of log y against log x per group of ``by`` (groups with >= 2 points)."""
    return [float(np.polyfit(np.log(g[x]), np.log(g[y]), 1)[0])
            for _, g in table.groupby(by) if g[x].nunique() >= 2]


def _slope_row(cid, reference, statement, statistic, slopes, band, threshold, control, figure) -> dict:
    m, se, n = mean_se(slopes)
    low, high = m - 1.96 * se, m + 1.96 * se
    return _row(id=cid, reference=reference, statement=statement, statistic=statistic, estimate=m, ci_low=low,
                ci_high=high, threshold=threshold, verdict=interval_verdict(low, high, *band), is_control=control,
                figure=figure, n=n)


def flow_claims(deviation: pd.DataFrame, margin: float, z: float) -> list[dict]:
    """Theorem 1.5 / Corollary 1.9 (F1): D(n, T) of the Adam flow falls with t_n (log-log slope
    below -margin) and ends below the other flows' D by >= z SE. Controls: the gradient flow and
    the noiseless flow, whose D must not fall. One set of rows per problem (``network``)."""
    rows = []
    starts = deviation[deviation["kind"] == "start"] if "kind" in deviation else deviation
    for network, table in starts.groupby("network"):
        for flow, sub in table.groupby("flow"):
            rows.append(_slope_row(
                f"F1.follows.{network}.{flow}", "Theorem 1.5",
                f"{network}: Adam follows the {flow} flow (D(n,T) falls as t_n grows)",
                "log-log slope of D(n,T) against t_n, mean over runs", loglog_slopes(sub, "run", "time", "deviation"),
                (-np.inf, -margin), f"< {-margin:g} (95% CI)", flow != "adam", "F1_flow"))
        last = table[table["start"] == table["start"].max()].pivot_table(index="run", columns="flow", values="deviation")
        for other in ("gradient", "noiseless"):
            m, se, n = mean_se(last[other] - last["adam"])
            verdict = "supported" if m >= z * se else ("contradicted" if m <= -z * se else "inconclusive")
            rows.append(_row(
                id=f"F1.closest.{network}.adam_vs_{other}", reference="Corollary 1.9",
                statement=f"{network}: at the last start Adam is closer to the Adam flow than to the {other} flow",
                statistic=f"D_{other}(n,T) - D_adam(n,T) at n={int(table['start'].max())}, mean over runs",
                estimate=m, ci_low=m - 1.96 * se, ci_high=m + 1.96 * se, threshold=f">= {z:g} SE above 0",
                verdict=verdict, is_control=False, figure="F1_flow", n=n))
    return rows


def step_size_claims(deviation: pd.DataFrame, margin: float) -> list[dict]:
    """Theorem 1.5 (F1): at a fixed window of training time, D of the Adam flow shrinks with
    gamma_0 (log-log slope above margin). Controls: the other flows, whose D must not."""
    sweep = deviation[deviation["kind"] == "sweep"]
    return [_slope_row(
        f"F1.step_size.{network}.{flow}", "Theorem 1.5",
        f"{network}: D(n,T) of the {flow} flow shrinks with gamma_0 at a fixed training-time window",
        "log-log slope of D(n,T) against gamma_0, mean over seeds", loglog_slopes(sub, "seed", "gamma_0", "deviation"),
        (margin, np.inf), f"> {margin:g} (95% CI)", flow != "adam", "F1_flow")
        for (network, flow), sub in sweep.groupby(["network", "flow"])]


def limit_claims(limits: pd.DataFrame, z_strong: float, z_weak: float) -> list[dict]:
    """Corollary 1.10 in ERM (F3), for every underparametrized network: Adam's limit (the
    final-window average) sits at the zero of f next to its run's critical point, and that
    zero is not the critical point of F. Control: the zeros of two independent
    common-random-numbers fields, which must not differ. Points are compared through their
    predictions at the data (parameter symmetries leave those alone), run by run; the statistic
    is the data point with the largest |mean difference| / SE over runs."""
    rows = []
    for network, table in limits[~limits["overparametrized"]].groupby("network"):
        at = table.pivot_table(index=["run", "sample"], columns="point", values="prediction").dropna()
        if not {"limit", "critical", "zero", "zero_repeat"} <= set(at.columns) or at.index.get_level_values("run").nunique() < 2:
            rows.append(_row(id=f"F3.zero_not_critical.{network}", reference="Corollary 1.10",
                             statement=f"{network} network: the zero of f is not the critical point of F",
                             statistic="no zero of f was found next to two or more critical points (minima log)",
                             estimate=np.nan, ci_low=np.nan, ci_high=np.nan, threshold="needs >= 2 runs",
                             verdict="inconclusive", is_control=False, figure="F3_field_path", n=0))
            continue
        checks = (("limit_is_zero", "Adam's limits sit at the zero of f", "limit", "zero", matched, False),
                  ("zero_not_critical", "the zero of f is not the critical point of F", "zero", "critical", separated, False),
                  ("limit_not_critical", "Adam's limits are not the critical point of F", "limit", "critical", separated,
                   False),
                  ("zero_repeat", "the zeros of f of two independent fields differ", "zero", "zero_repeat", separated,
                   True))
        for name, statement, first, second, verdict_fn, control in checks:
            by_sample = (at[first] - at[second]).groupby("sample")
            mean, n = by_sample.mean(), by_sample.size()
            se = by_sample.std(ddof=1) / np.sqrt(n)
            with np.errstate(divide="ignore", invalid="ignore"):
                j = (mean.abs() / se).fillna(0.0).idxmax()
            estimate, s = float(mean[j]), float(se[j])
            rows.append(_row(
                id=f"F3.{name}.{network}", reference="Corollary 1.10", statement=f"{network} network: {statement}",
                statistic=f"prediction at data point {j}: {first} - {second}, mean over runs (the data point with the "
                          "largest |mean|/SE)", estimate=estimate, ci_low=estimate - 1.96 * s,
                ci_high=estimate + 1.96 * s,
                threshold=f"all data points < {z_weak:g} SE" if verdict_fn is matched else f"some data point >= {z_strong:g} SE",
                verdict=verdict_fn(estimate, s, z_strong, z_weak), is_control=control, figure="F3_field_path",
                n=int(n[j])))
    return rows


def significant_fraction(table: pd.DataFrame) -> pd.Series:
    """Per (radius, batch_size): the fraction of sampled points whose 95% upper bound of
    grad F . f lies below 0."""
    negative = table["derivative"] + 1.96 * table["derivative_se"] < 0
    return negative.groupby([table["radius"], table["batch_size"]]).mean()


def lyapunov_radius(table: pd.DataFrame, batch_size: int) -> float | None:
    """r0: the largest radius such that at batch size M and every radius <= r0 all sampled
    points have grad F . f significantly below 0 (None if the smallest radius fails)."""
    fraction = significant_fraction(table).xs(batch_size, level="batch_size").sort_index()
    failing = fraction.index[fraction < 1]
    inside = fraction.index[fraction.index < failing.min()] if len(failing) else fraction.index
    return float(inside.max()) if len(inside) else None


def lyapunov_claims(table: pd.DataFrame) -> list[dict]:
    """Theorems 2.1/2.4 (F4): grad F . f < 0 at every sampled point of the smallest radius and
    the largest batch size, and the measured r0 (largest such radius at M = N) and M0 (smallest
    batch size from which on the smallest radius passes). At a control network's critical
    point all three must fail."""
    rows = []
    for network, sub in table.groupby("network"):
        control = not bool(sub["overparametrized"].iloc[0])
        corner = sub[(sub["radius"] == sub["radius"].min()) & (sub["batch_size"] == sub["batch_size"].max())]
        negative = int((corner["derivative"] + 1.96 * corner["derivative_se"] < 0).sum())
        rows.append(_all_row(
            negative, len(corner), "points", id=f"F4.lyapunov.{network}", reference="Theorems 2.1, 2.4",
            statement=f"{network} network: grad F . f < 0 at every point at r={corner['radius'].iloc[0]:g}, "
                      f"M={corner['batch_size'].iloc[0]} around the polished points",
            statistic="fraction of points with 95% upper bound of grad F . f below 0",
            is_control=control, figure="F4_lyapunov"))
        radii, sizes = sorted(sub["radius"].unique()), sorted(sub["batch_size"].unique())
        r0 = lyapunov_radius(sub, sizes[-1])
        bracket = (r0, radii[radii.index(r0) + 1] if radii.index(r0) + 1 < len(radii) else np.inf) if r0 else (0.0, radii[0])
        rows.append(_row(
            id=f"F4.radius.{network}", reference="Theorems 2.1, 2.4",
            statement=f"{network} network: there is a Lyapunov neighbourhood of radius r0 > 0 (M={sizes[-1]})",
            statistic="r0: largest grid radius with every point of it and of all smaller radii significantly negative; "
                      "interval: the grid bracket of the true r0", estimate=r0 or 0.0, ci_low=bracket[0],
            ci_high=bracket[1], threshold="r0 >= smallest grid radius", verdict="supported" if r0 else "contradicted",
            is_control=control, figure="F4_lyapunov", n=len(radii)))
        at_smallest = significant_fraction(sub).xs(radii[0], level="radius").sort_index()
        passing = [m for i, m in enumerate(sizes) if (at_smallest.loc[sizes[i:]] == 1).all()]
        m0 = passing[0] if passing else None
        # Bracket of the true M0 on the grid; none on the grid passes: M0 > the largest M.
        previous = (sizes[sizes.index(m0) - 1] if sizes.index(m0) > 0 else 0) if m0 else sizes[-1]
        rows.append(_row(
            id=f"F4.batch_size.{network}", reference="Theorem 2.4 (threshold not in our copy of the text)",
            statement=f"{network} network: from some batch size M0 on, F is a Lyapunov function at r={radii[0]:g}",
            statistic="M0: smallest grid batch size from which on every point is significantly negative; "
                      "interval: the grid bracket", estimate=m0 or np.inf, ci_low=previous, ci_high=m0 or np.inf,
            threshold="M0 exists on the grid", verdict="supported" if m0 else "contradicted", is_control=control,
            figure="F4_lyapunov", n=len(sizes)))
    return rows


def pl_claims(table: pd.DataFrame) -> list[dict]:
    """PL near the minimum set: min_u |grad F|^2/F stays bounded below as r -> 0 (log-log slope
    in r below 1); at a control critical point with F > 0 it falls like r^2 (F5)."""
    rows = []
    points = table.drop_duplicates(["network", "minimum", "radius", "direction"])
    for network, sub in points.groupby("network"):
        control = not bool(sub["overparametrized"].iloc[0])
        worst = sub.groupby(["minimum", "radius"])["pl_ratio"].min().reset_index()
        slopes = loglog_slopes(worst, "minimum", "radius", "pl_ratio")
        if len(slopes) < 2:
            continue
        c, c_se, _ = mean_se(worst[worst["radius"] == worst["radius"].min()]["pl_ratio"])
        m, se, n = mean_se(slopes)
        low, high = m - 1.96 * se, m + 1.96 * se
        verdict = "supported" if high < 1 else ("contradicted" if low > 1 else "inconclusive")
        rows.append(_row(
            id=f"F5.pl.{network}", reference="PL condition, Section 2",
            statement=f"{network} network: |grad F|^2 / F stays bounded below as r -> 0 (c = {c:.3g} "
                      f"[{c - 1.96 * c_se:.3g}, {c + 1.96 * c_se:.3g}] at r={worst['radius'].min():g})",
            statistic="log-log slope of min over directions of |grad F|^2/F in r, mean over points",
            estimate=m, ci_low=low, ci_high=high, threshold="< 1 (95% upper bound)",
            verdict=verdict, is_control=control, figure="F5_pl", n=n))
    return rows


def capture_claims(capture: pd.DataFrame, reduction: float, tol: float) -> list[dict]:
    """Corollary 1.11 / Theorem 2.4 (F6, panel 1): every run started inside the measured Lyapunov
    neighbourhood ends with F below both F(start) / reduction and tol. Control: the same at an
    underparametrized critical point, where F plateaus at F_min > 0."""
    rows = []
    capture = capture[~capture["diverged"]]
    for network, sub in capture.groupby("network"):
        ends = sub.sort_values("step").groupby("run")["loss"].agg(["first", "last"])
        captured = int(((ends["last"] <= ends["first"] / reduction) & (ends["last"] < tol)).sum())
        rows.append(_all_row(
            captured, len(ends), "runs", id=f"F6.capture.{network}", reference="Corollary 1.11, Theorem 2.4",
            statement=f"{network} network: Adam started at theta* + r u (r={sub['radius'].iloc[0]:g}) drives F down "
                      f"(final F <= F(start)/{reduction:g} and < {tol:g})", statistic="fraction of runs",
            is_control=not bool(sub["overparametrized"].iloc[0]), figure="F6_capture"))
    return rows


def width_claims(widths: pd.DataFrame, tol: float) -> list[dict]:
    """F6, panel 2: from random initialisation every run of the widest network reaches F < tol;
    the control, the narrowest network (d < N), must not."""
    rows = []
    final = widths[~widths["diverged"]].sort_values("step").groupby(["width", "run"]).last().reset_index()
    for width, control in ((final["width"].max(), False), (final["width"].min(), True)):
        sub = final[final["width"] == width]
        rows.append(_all_row(
            int((sub["loss"] < tol).sum()), len(sub), "runs", id=f"F6.converges.width={width}",
            reference="Theorem 2.4",
            statement=f"width {width} (d/N = {sub['dim'].iloc[0] / sub['n'].iloc[0]:.3g}): every run from random "
                      f"initialisation reaches F < {tol:g}", statistic="fraction of runs",
            is_control=control, figure="F6_capture"))
    return rows


RATES = {  # kind -> (x label, expected slope, reference)
    "beta": ("1 - beta", 1.0, "Dereich, Do, Jentzen, von Wurstemberger 2025"),
    "batch_size": ("M", -1.0, "Dereich, Do, Jentzen, von Wurstemberger 2025"),
    "spread": ("gamma", 0.5, "Dereich, Do, Jentzen, von Wurstemberger 2025"),
}


def rate_claims(rates: pd.DataFrame, tolerance: float) -> list[dict]:
    """F7: fitted log-log slopes (one per seed, then mean and 95% CI) of the zero shift
    |zero(f) - E[X]| against 1 - beta and M, and of Adam's stationary spread against gamma.
    A slope matches when its CI lies within ``tolerance`` of the expected value. Controls: a
    symmetric law (no shift, so no rate) and, for the spread, the problem without noise."""
    rows = []
    rates = rates[~rates["diverged"].astype(bool)].assign(size=lambda t: t["value"].abs())
    for (kind, role), sub in rates.groupby(["kind", "role"], sort=False):
        label, expected, reference = RATES[kind]
        what = "|zero of f - E[X]|" if kind != "spread" else "stationary spread of Adam"
        rows.append(_slope_row(
            f"F7.{kind}_rate.{role}", reference,
            f"{what} scales like ({label})^{expected:g} ({sub['law'].iloc[0]})",
            f"log-log slope against {label}, mean over seeds", loglog_slopes(sub, "seed", "x", "size"),
            (expected - tolerance, expected + tolerance), f"within {tolerance:g} of {expected:g} (95% CI)",
            role == "control", "F7_rates"))
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
    lines = [note, "", "| id | reference | statement | statistic | estimate [95% CI] | threshold | verdict | "
             "control (expected: contradicted) |", "|---|---|---|---|---|---|---|---|"]
    def cell(text) -> str:
        return str(text).replace("|", "\\|")

    for row in claims.itertuples():
        ok = "" if not row.is_control else ("yes, as expected" if row.verdict == "contradicted" else "yes, NOT as expected")
        lines.append(f"| {row.id} | {cell(row.reference)} | {cell(row.statement)} | {cell(row.statistic)} | {row.estimate:.4g} "
                     f"[{row.ci_low:.4g}, {row.ci_high:.4g}] | {cell(row.threshold)} | {row.verdict} | {ok} |")
    return "\n".join(lines) + "\n"
