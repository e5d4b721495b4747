"""What a claim's verdict would do with a smaller run, from a pilot run.

Fewer Monte Carlo sequences (``with_fewer_sequences``), a parametric bootstrap: the pilot's
estimates stand in for the truth; a run with 1 / f of the sequences draws each estimate afresh,
normal with f times the pilot's variance (the standard error of a mean over n / f sequences), and
reports f^(1/2) times the pilot's standard error. What the draws leave out: where the sequences
also choose what is measured (the worst-case directions are searched with the estimator), a
smaller run searches with a noisier one; and the control-variate fit over fewer sequences widens
the error a little more than f^(1/2).

Fewer seeds (``with_fewer_seeds``), the m-out-of-n bootstrap: the pilot's seeds stand in for the
law of a seed, and a run with 1 / f of them draws n / f of its seeds with replacement, every row of
a drawn seed kept together. What it leaves out: the verdicts of so few draws from n seeds vary a
little less than those of n / f fresh seeds would, since the pilot's seeds are all there is.
Fewer random directions of a Lyapunov map (``with_fewer_directions``) is the same bootstrap, with
the directions around each minimum as its seeds.

The fraction of draws whose verdict equals the pilot's is the chance that the smaller run repeats it."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from .claims import (CHECKS, ClaimInputs, lyapunov_claims, network_controls, quadratic_claims, rate_claims,
                     with_error_control)
from .stats import clopper_pearson


def _check_factor(factor) -> None:
    if int(factor) != factor or factor < 1:
        raise ValueError(f"factor must be an integer >= 1, got factor={factor}")


def with_fewer_sequences(table: pd.DataFrame, factor: int, rng: np.random.Generator,
                         estimate: str = "derivative") -> pd.DataFrame:
    """``table`` as a run with 1 / ``factor`` of its sequences could have measured it: the column
    ``estimate`` drawn around the pilot's value, its ``_se`` and ``_n`` columns scaled."""
    _check_factor(factor)
    if (table[f"{estimate}_n"] < 2 * factor).any():
        raise ValueError(f"factor={factor} leaves fewer than 2 sequences for some {estimate} of the table")
    scale = np.sqrt(factor)
    drawn = table.copy()
    drawn[f"{estimate}_se"] = scale * table[f"{estimate}_se"]
    drawn[estimate] = table[estimate] + drawn[f"{estimate}_se"] * rng.standard_normal(len(table))
    drawn[f"{estimate}_n"] = table[f"{estimate}_n"] // factor
    return drawn


def with_fewer_seeds(table: pd.DataFrame, factor: int, rng: np.random.Generator,
                     within: tuple[str, ...] = (), unit: str = "seed") -> pd.DataFrame:
    """``table`` as a run with 1 / ``factor`` of its seeds (the column ``unit``) could have measured
    it: in each group of the columns ``within`` (experiments whose seeds are their own), n // factor
    of its n seeds drawn with replacement, every row of a drawn seed kept together and relabelled as
    a seed of its own."""
    _check_factor(factor)
    groups = table.groupby(list(within), sort=False).indices.values() if within else [np.arange(len(table))]
    rows, labels = [], []
    for group in groups:
        by_seed = pd.Series(group).groupby(table[unit].to_numpy()[group]).indices
        seeds = np.sort(list(by_seed))
        if len(seeds) < 2 * factor:
            raise ValueError(f"factor={factor} leaves fewer than 2 of the {len(seeds)} seeds of some group of "
                             f"the table")
        for label, s in enumerate(rng.choice(seeds, len(seeds) // factor)):
            rows.append(group[by_seed[s]])
            labels.append(np.full(len(by_seed[s]), label))
    return table.iloc[np.concatenate(rows)].assign(**{unit: np.concatenate(labels)}).reset_index(drop=True)


def with_fewer_directions(table: pd.DataFrame, factor: int, rng: np.random.Generator) -> pd.DataFrame:
    """A Lyapunov map as a run with 1 / ``factor`` of its random directions could have measured it:
    around each minimum, n // factor of its n directions drawn with replacement, every radius and
    setting of a drawn direction kept together (one direction serves every radius). The worst-case
    rows stay as they are: a smaller run would start its searches from fewer directions."""
    random = table["search"] == "random"
    drawn = with_fewer_seeds(table[random], factor, rng, within=("network", "minimum"), unit="direction")
    return pd.concat([drawn, table[~random]], ignore_index=True)


def repeat_rates(table: pd.DataFrame, claims: Callable[[pd.DataFrame], list[dict]], factors: Iterable[int],
                 replicates: int, seed: int, estimate: str = "derivative") -> pd.DataFrame:
    """Per row of ``claims(table)`` (the pilot's verdicts) and per factor: of ``replicates`` draws
    with 1 / factor of the sequences (``with_fewer_sequences``), how many repeat the pilot's
    verdict, with the Clopper-Pearson 95% interval of that rate, and how many repeat its estimate
    (an all-cases count or a grid value such as r0)."""
    return _repeats(table, claims, factors, replicates, seed, partial(with_fewer_sequences, estimate=estimate),
                    "sequences", int(table[f"{estimate}_n"].min()))


def seed_repeat_rates(table: pd.DataFrame, claims: Callable[[pd.DataFrame], list[dict]], factors: Iterable[int],
                      replicates: int, seed: int, within: tuple[str, ...] = ()) -> pd.DataFrame:
    """``repeat_rates`` with 1 / factor of the seeds (``with_fewer_seeds``); ``seeds`` is the
    smallest group's."""
    seeds = table.groupby(list(within))["seed"].nunique().min() if within else table["seed"].nunique()
    return _repeats(table, claims, factors, replicates, seed, partial(with_fewer_seeds, within=within), "seeds",
                    int(seeds))


def _repeats(table, claims: Callable, factors: Iterable[int], replicates: int, seed: int, fewer: Callable, unit: str,
             size: int) -> pd.DataFrame:
    """The rows of ``repeat_rates``: ``table`` is what ``claims`` judges and ``fewer(table, factor,
    rng)`` shrinks (a table, or a tuple of them); ``size`` of ``unit`` is the pilot's."""
    pilot = claims(table)
    rng = np.random.default_rng(seed)
    rows = []
    for factor in factors:
        draws = [{row["id"]: row for row in claims(fewer(table, factor, rng))} for _ in range(replicates)]
        for row in pilot:
            verdicts = sum(draw[row["id"]]["verdict"] == row["verdict"] for draw in draws)
            estimates = sum(_same(draw[row["id"]]["estimate"], row["estimate"]) for draw in draws)
            low, high = clopper_pearson(verdicts, replicates)
            rows.append({"id": row["id"], "factor": factor, unit: size // factor, "verdict": row["verdict"],
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


MAPS = "lyapunov_*/lyapunov_pl.csv"


def map_claims(table: pd.DataFrame, params: dict) -> list[dict]:
    """The rows of every claim check that reads the Lyapunov maps and nothing else (F4, F5), from the
    joined maps ``table`` and the claims stage's ``params``, with Holm's adjustment within each family
    (those families' rows all come from these checks)."""
    inputs = ClaimInputs(SimpleNamespace(params=params), tables={MAPS: table})
    rows = [row for check in CHECKS if check.reads == (MAPS,) for row in check.rows_of(inputs)]
    return with_error_control(pd.DataFrame(rows)).to_dict("records")


def directions_per_minimum(table: pd.DataFrame) -> int:
    """The fewest random directions of a Lyapunov map around any of its minima."""
    random = table[table["search"] == "random"]
    return int(random.groupby(["network", "minimum"])["direction"].nunique().min())


def direction_repeat_rates(tables: list[pd.DataFrame], params: dict, factors: Iterable[int], replicates: int,
                           seed: int) -> pd.DataFrame:
    """``repeat_rates`` of the rows of ``map_claims`` with 1 / factor of the random directions around
    each minimum (``with_fewer_directions``); ``directions`` is the pilot's number."""
    table = pd.concat(tables, ignore_index=True)
    return _repeats(table, partial(map_claims, params=params), factors, replicates, seed, with_fewer_directions,
                    "directions", directions_per_minimum(table))


def rate_repeat_rates(rates: pd.DataFrame, kappa_c: float, tolerance: float, factors: Iterable[int], replicates: int,
                      seed: int) -> pd.DataFrame:
    """``seed_repeat_rates`` of the F7 rows of a run's ``rates`` table (``claims.rate_claims``, then
    Holm's adjustment within F7, as the claims stage judges them): the zero-shift fields and the
    spread runs have seeds of their own."""
    def claims(table):
        return with_error_control(pd.DataFrame(rate_claims(table, kappa_c, tolerance))).to_dict("records")
    return seed_repeat_rates(rates, claims, factors, replicates, seed, within=("kind",))


def quadratic_repeat_rates(zeros: pd.DataFrame, limits: pd.DataFrame, kappa: float, factors: Iterable[int],
                           replicates: int, seed: int) -> pd.DataFrame:
    """``seed_repeat_rates`` for the F2 rows (``claims.quadratic_claims``, then Holm's adjustment
    within F2): 1 / factor of the zero-finding fields (``zeros``' seeds) and of the Adam runs
    (``limits``' runs, numbered on from one beta to the next), each drawn on its own; ``seeds``
    counts the fields."""
    def fewer(tables, factor, rng):
        return (with_fewer_seeds(tables[0], factor, rng),
                with_fewer_seeds(tables[1], factor, rng, within=("beta",), unit="run"))

    def claims(tables):
        return with_error_control(pd.DataFrame(quadratic_claims(*tables, kappa))).to_dict("records")
    return _repeats((zeros, limits), claims, factors, replicates, seed, fewer, "seeds", int(zeros["seed"].nunique()))
