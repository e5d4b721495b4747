"""What a claim's verdict would do with fewer Monte Carlo sequences: a parametric bootstrap from a
pilot run. The pilot's estimates stand in for the truth; a run with 1 / f of the sequences draws
each estimate afresh, normal with f times the pilot's variance (the standard error of a mean over
n / f sequences), and reports f^(1/2) times the pilot's standard error. The fraction of such draws
whose verdict equals the pilot's is the chance that the smaller run repeats it.

What the draws leave out: where the sequences also choose what is measured (the worst-case
directions are searched with the estimator), a smaller run searches with a noisier one; and the
control-variate fit over fewer sequences widens the error a little more than f^(1/2)."""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np
import pandas as pd

from .claims import lyapunov_claims, network_controls
from .stats import clopper_pearson


def with_fewer_sequences(table: pd.DataFrame, factor: int, rng: np.random.Generator,
                         estimate: str = "derivative") -> pd.DataFrame:
    """``table`` as a run with 1 / ``factor`` of its sequences could have measured it: the column
    ``estimate`` drawn around the pilot's value, its ``_se`` and ``_n`` columns scaled."""
    if int(factor) != factor or factor < 1:
        raise ValueError(f"factor must be an integer >= 1, got factor={factor}")
    if (table[f"{estimate}_n"] < 2 * factor).any():
        raise ValueError(f"factor={factor} leaves fewer than 2 sequences for some {estimate} of the table")
    scale = np.sqrt(factor)
    drawn = table.copy()
    drawn[f"{estimate}_se"] = scale * table[f"{estimate}_se"]
    drawn[estimate] = table[estimate] + drawn[f"{estimate}_se"] * rng.standard_normal(len(table))
    drawn[f"{estimate}_n"] = table[f"{estimate}_n"] // factor
    return drawn


def repeat_rates(table: pd.DataFrame, claims: Callable[[pd.DataFrame], list[dict]], factors: Iterable[int],
                 replicates: int, seed: int, estimate: str = "derivative") -> pd.DataFrame:
    """Per row of ``claims(table)`` (the pilot's verdicts) and per factor: of ``replicates`` draws
    with 1 / factor of the sequences (``with_fewer_sequences``), how many repeat the pilot's
    verdict, with the Clopper-Pearson 95% interval of that rate, and how many repeat its estimate
    (an all-cases count or a grid value such as r0)."""
    pilot = claims(table)
    rng = np.random.default_rng(seed)
    rows = []
    for factor in factors:
        draws = [{row["id"]: row for row in claims(with_fewer_sequences(table, factor, rng, estimate))}
                 for _ in range(replicates)]
        for row in pilot:
            verdicts = sum(draw[row["id"]]["verdict"] == row["verdict"] for draw in draws)
            estimates = sum(_same(draw[row["id"]]["estimate"], row["estimate"]) for draw in draws)
            low, high = clopper_pearson(verdicts, replicates)
            rows.append({"id": row["id"], "factor": factor,
                         "sequences": int(table[f"{estimate}_n"].min()) // factor, "verdict": row["verdict"],
                         "repeats": verdicts / replicates, "repeats_low": low, "repeats_high": high,
                         "estimate_repeats": estimates / replicates, "replicates": replicates})
    return pd.DataFrame(rows)


def _same(a, b) -> bool:
    return bool(np.isclose(a, b, rtol=1e-12, atol=0.0) or (np.isnan(a) and np.isnan(b)))


def lyapunov_repeat_rates(tables: list[pd.DataFrame], networks: dict, fraction: float, factors: Iterable[int],
                          replicates: int, seed: int) -> pd.DataFrame:
    """``repeat_rates`` of the F4 rows (``claims.lyapunov_claims``) of a run's Lyapunov maps
    ``tables``, read as the claims stage reads them: ``networks`` and ``fraction`` are its
    ``networks`` and ``claims.control_fraction`` parameters."""
    sampled = [name for name, net in networks.items() if net["overparametrized"]]
    table = pd.concat(tables, ignore_index=True)
    controls = network_controls(networks)
    return repeat_rates(table[table["network"].isin(sampled)], lambda t: lyapunov_claims(t, controls, fraction),
                        factors, replicates, seed)
