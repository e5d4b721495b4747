"""Claim checks: each turns pipeline tables into rows of the claims dashboard.

Every row follows the contract of ``replication.stats``: its kind (difference, equivalence,
rate, all-cases, or sanity), statistic, estimate, interval (level stated), the margin declared in
the config's ``claims`` section or derived from theory or a pilot (never from the draws the row
tests), the interval's half-width, the p-value of its test and the verdict (supported,
contradicted, inconclusive, underpowered). Rows marked ``is_control`` are negative controls:
the same experiment with the one ingredient named in ``changed_ingredient`` changed, whose
``expected`` verdict is "contradicted" (or "supported", where the theory predicts the changed
experiment's outcome itself); ``fails_if`` names the model under which it would come out
supported ("NOT as expected"), and ``tests/`` runs each control's computation under that model.
Sanity rows check what symmetry or a Taylor expansion forces:
shown, never counted as evidence. ``with_error_control`` adjusts the p-values per family (Holm);
``seed_agreement`` is filled in by the stability stage.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from .dashboard import family_of
from .neighbourhood import capture_tolerance, lyapunov_radius, random_directions, threshold_batch_size
from .paper import BY_NAME
from .rates import constant_in_batch_size, constant_in_u, slope_in_batch_size, upper_half
from .stats import Verdict, below_zero, beyond, equivalent, every_case, extrapolate_to_zero, holm, in_band, mean_of, nonzero
from .verdicts import CONTRADICTED, INCONCLUSIVE, SUPPORTED

COLUMNS = ["id", "test", "kind", "reference", "statement", "statistic", "estimate", "ci_low", "ci_high", "ci_level", "margin",
           "half_width", "threshold", "p_value", "p_adjusted", "verdict", "verdict_unadjusted", "is_control",
           "changed_ingredient", "expected", "fails_if", "figure", "n", "seed_agreement"]
# The level at which every p-value, adjusted or not, decides "supported" (``stats.Verdict``).
ERROR_RATE = 0.05

CONFLICTING = ("the data: the last two inputs repeat the first with labels y_0, y_0 + delta, so the network cannot "
               "interpolate and the mini-batch noise does not vanish on the minimum set")
UNDERPARAMETRIZED = "the network: underparametrized (d < N), so the centre is a critical point with F > inf F"
_COROLLARY_1_10 = {"reference": "Corollary 1.10"}


def network_controls(networks: dict) -> dict[str, str | None]:
    """Network name -> the ingredient it changes against an interpolating network (None for one)."""
    return {name: CONFLICTING if net.get("data", "clean") == "conflicting" else
            (None if net["overparametrized"] else UNDERPARAMETRIZED) for name, net in networks.items()}


class ClaimInputs:
    """What the claim checks read in the claims stage: its upstream tables by "name/file"
    ("name_*/file" joins the tables of every network's instance), each read once, and its
    parameters. ``restricted_to`` gives a check the view of the tables it declares."""

    def __init__(self, stage, reads: tuple[str, ...] = (), tables: dict | None = None):
        self._stage, self._reads, self._tables = stage, reads, {} if tables is None else tables
        self.params = stage.params
        self.claims = stage.params["claims"]  # the config's claims section
        self.controls = network_controls(stage.params["networks"])

    def restricted_to(self, reads: tuple[str, ...]) -> "ClaimInputs":
        return ClaimInputs(self._stage, reads, self._tables)

    def __call__(self, path: str) -> pd.DataFrame:
        if path not in self._reads:
            raise KeyError(f"a claim check reads {path}, which its registry entry does not declare: {self._reads}")
        if path not in self._tables:
            name, file = path.split("/")
            self._tables[path] = (self._stage.tables(name.removesuffix("_*"), file) if name.endswith("_*")
                                  else pd.read_csv(self._stage.input(name, file)))
        return self._tables[path].copy()

    def optional(self, path: str) -> pd.DataFrame | None:
        """The table, or None where the config has no such stage (the pilot without conflicting data)."""
        return self(path) if path.split("/")[0] in self._stage.upstream else None

    def overparametrized(self, table: pd.DataFrame) -> pd.DataFrame:
        """The rows of the networks whose minimum set is sampled (F4-F6: claims and their controls)."""
        networks = [name for name, net in self.params["networks"].items() if net["overparametrized"]]
        return table[table["network"].isin(networks)]


@dataclass(frozen=True)
class Source:
    """Where a claim function's argument comes from: ``get`` of the claims stage's inputs, which
    reads at most the tables ``reads``."""
    get: Callable[[ClaimInputs], object]
    reads: tuple[str, ...] = ()


def table(path: str, view: Callable[[ClaimInputs, pd.DataFrame], pd.DataFrame] | None = None) -> Source:
    """The upstream table at ``path`` ("name/file"), through ``view(inputs, table)`` where given."""
    return Source(lambda t: t(path) if view is None else view(t, t(path)), (path,))


def setting(key: str) -> Source:
    """A key of the config's claims section (a margin, tolerance or fraction fixed before any draw)."""
    return Source(lambda t: t.claims[key])


def param(key: str) -> Source:
    """A parameter of the claims stage."""
    return Source(lambda t: t.params[key])


CONTROLS = Source(lambda t: t.controls)


@dataclass(frozen=True)
class ClaimCheck:
    """A claim function as the claims stage runs it: the figure its rows belong to, the patterns of
    their ids, and where each of its arguments comes from."""
    function: Callable[..., list[dict]]
    figure: str
    rows: tuple[str, ...]
    arguments: dict[str, Source]

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def reads(self) -> tuple[str, ...]:
        """The stage tables the check reads, in the order its arguments name them."""
        return tuple(dict.fromkeys(path for source in self.arguments.values() for path in source.reads))

    def rows_of(self, inputs: ClaimInputs) -> list[dict]:
        restricted = inputs.restricted_to(self.reads)
        rows = self.function(**{name: source.get(restricted) for name, source in self.arguments.items()})
        stray = [row["id"] for row in rows if not any(fnmatch.fnmatchcase(row["id"], p) for p in self.rows)]
        if stray:
            raise ValueError(f"{self.name} made rows outside its registered patterns {self.rows}: {stray}")
        return rows


# Every claim check in the order of its rows in claims.csv (the order of registration).
CHECKS: list[ClaimCheck] = []


def claim_check(figure: str, rows: tuple[str, ...], **arguments: Source):
    """Register the decorated claim function as a ClaimCheck whose keyword ``arguments`` say where
    each of its arguments comes from; a function run on two inputs is decorated twice (the lower
    decorator's check runs first)."""
    if figure not in BY_NAME:
        raise ValueError(f"claim check for {figure!r}, which is not a figure of the paper registry")

    def register(function):
        CHECKS.append(ClaimCheck(function, figure, tuple(rows), arguments))
        return function
    return register


def figure_of(claim_id: str) -> str:
    """The figure whose claim checks' row patterns match ``claim_id`` (exactly one must)."""
    owners = sorted({check.figure for check in CHECKS
                     if any(fnmatch.fnmatchcase(claim_id, pattern) for pattern in check.rows)})
    if len(owners) != 1:
        raise ValueError(f"claim {claim_id!r} matches the rows of {len(owners)} figures in the claim registry: {owners}")
    return owners[0]


def claim_rows(stage) -> list[dict]:
    """Every registered check's rows from the claims stage's inputs (``store.Stage``)."""
    inputs = ClaimInputs(stage)
    return [row for check in CHECKS for row in check.rows_of(inputs)]


FLOW_CONTROLS = {
    "gradient": "the flow compared with Adam's path: the gradient flow of -grad F instead of the Adam flow of f",
    "noiseless": "the flow compared with Adam's path: the noiseless Adam flow -grad F / (eps + |grad F|) instead of f",
}
# The model under which a flow control would come out "NOT as expected": Adam's path is that flow's.
FLOW_FAILS_IF = {flow: f"Adam followed the {flow} flow (its iterates that flow's path plus vanishing noise): then D "
                       f"to the {flow} flow would shrink as Adam's does"
                 for flow in FLOW_CONTROLS}
# The same for the conflicting-data control, per family: the property held without vanishing noise.
FAILS_IF = {CONFLICTING: {
    "F4": "f pointed downhill of F whatever the noise, as the noiseless field -grad F / (eps + |grad F|) does: then "
          "grad F . f < 0 at every point also where the noise does not vanish on the minimum set",
    "F6": "Adam reached the minimum set whatever the noise, as full-batch descent does: then the runs on "
          "conflicting data would be captured too (their final F - inf F below the tolerance)",
}}


def _row(id: str, kind: str, verdict: Verdict, estimate: float, n: int, threshold: str, control: str | None = None,
         fails_if: str = "", expected: str = CONTRADICTED, test: str = "", **fields) -> dict:
    """One dashboard row; ``control`` names the changed ingredient of a control, ``expected`` its
    verdict under the theory, and ``fails_if`` the model under which it would come out the other
    way ("NOT as expected"). ``test`` names the independent test the row belongs to (its own id
    unless rows of one test share it), so that the summary counts verdicts, not rows."""
    if control is not None and not fails_if:
        raise ValueError(f"control {id} does not say under which model it would fail (fails_if)")
    return {c: None for c in COLUMNS} | fields | {"test": test or id, "fails_if": fails_if,
                                                  "expected": expected if control else "", 
        "id": id, "figure": figure_of(id), "kind": kind, "estimate": estimate, "ci_low": verdict.low,
        "ci_high": verdict.high, "ci_level": verdict.level, "margin": verdict.margin, "half_width": verdict.half_width,
        "threshold": threshold, "p_value": verdict.p_value, "verdict": verdict.verdict, "is_control": control is not None,
        "changed_ingredient": control or "", "n": n, "seed_agreement": np.nan}


def _all_row(successes: int, n: int, units: str, fraction: float, control: str | None = None, **fields) -> dict:
    """A claim that holds for every one of n cases (``units``, each an independent unit): the
    passing fraction with its Clopper-Pearson interval against the declared ``fraction``."""
    threshold = (f"contradicted when the 95% upper bound of the fraction of {units} < {fraction:g}" if control else
                 f"every one of the {units} passes and the 95% lower bound of the fraction >= {fraction:g}")
    return _row(kind="all-cases", verdict=every_case(successes, n, fraction, control is not None),
                estimate=successes / n, n=n, threshold=threshold, control=control, **fields)


def loglog_slopes(table: pd.DataFrame, by: str, x: str, y: str) -> list[float]:
    """One fitted slope of log y against log x per group of ``by`` (groups with >= 2 points)."""
    return [float(np.polyfit(np.log(g[x]), np.log(g[y]), 1)[0])
            for _, g in table.groupby(by) if g[x].nunique() >= 2]


def _slope_row(id, statement, statistic, slopes, threshold: float, side: int, control, **fields) -> dict:
    """Difference claim on the mean of per-run fitted slopes: beyond ``threshold`` on ``side``."""
    slope = mean_of(slopes)
    return _row(id, "difference", beyond(slope, threshold, side), slope.value, slope.n,
                f"{'>' if side > 0 else '<'} {threshold:g} (95% t interval)", control, statement=statement,
                statistic=statistic, **fields)


def _closest_rows(stem: str, network: str, table: pd.DataFrame, replicate: str, where: str) -> list[dict]:
    """Corollary 1.9 at one point of an F1 experiment: D_other - D_adam per replicate > 0."""
    at = table.pivot_table(index=replicate, columns="flow", values="deviation")
    rows = []
    for other in FLOW_CONTROLS:
        gap = mean_of(at[other] - at["adam"])
        rows.append(_row(
            f"F1.{stem}.{network}.adam_vs_{other}", "difference", beyond(gap, 0.0, +1), gap.value, gap.n,
            "> 0 (95% t interval)", reference="Corollary 1.9",
            statement=f"{network}: {where} Adam is closer to the Adam flow than to the {other} flow",
            statistic=f"D_{other} - D_adam {where}, mean over {replicate}s"))
    return rows


@claim_check("F1_flow", ("F1.follows.*", "F1.closest.*"), deviation=table("quadratic_flow/deviation.csv"),
             margin=setting("slope_margin"))
def flow_claims(deviation: pd.DataFrame, margin: float) -> list[dict]:
    """Theorem 1.5 / Corollary 1.9 (F1) along training with decaying steps: D(n, T) of the Adam
    flow falls with t_n (log-log slope below -margin) and at the last start lies below the other
    flows' D. Controls: the gradient flow and the noiseless flow, whose D must not fall."""
    rows = []
    starts = deviation[deviation["kind"] == "start"]
    for network, table in starts.groupby("network"):
        for flow, sub in table.groupby("flow"):
            rows.append(_slope_row(
                f"F1.follows.{network}.{flow}", f"{network}: Adam follows the {flow} flow (D(n,T) falls as t_n grows)",
                "log-log slope of D(n,T) against t_n, mean over runs", loglog_slopes(sub, "run", "time", "deviation"),
                -margin, -1, FLOW_CONTROLS.get(flow), reference="Theorem 1.5", fails_if=FLOW_FAILS_IF.get(flow, "")))
        last = int(table["start"].max())
        rows += _closest_rows("closest", network, table[table["start"] == last], "run", f"at the last start n={last}")
    return rows


# On the quadratic the flows have different limits, so D along training decides (flow_claims); on the
# networks every flow ends on the minimum set, so only the step-size sweep from far starts does.
_STEP_SIZE_ROWS = ("F1.step_size.*", "F1.closest_small_step.*")


@claim_check("F1_flow", _STEP_SIZE_ROWS, deviation=table("flow_*/deviation.csv"), margin=setting("slope_margin"))
@claim_check("F1_flow", _STEP_SIZE_ROWS, deviation=table("quadratic_flow/deviation.csv"), margin=setting("slope_margin"))
def step_size_claims(deviation: pd.DataFrame, margin: float) -> list[dict]:
    """Theorem 1.5 (F1) over a window of training time T: D of the Adam flow shrinks with the step
    size (log-log slope above margin); at the smallest step size Adam is closer to the Adam flow
    than to the others. Controls: the other flows, whose D must not shrink."""
    rows = []
    for network, sweep in deviation[deviation["kind"] == "sweep"].groupby("network"):
        for flow, sub in sweep.groupby("flow"):
            rows.append(_slope_row(
                f"F1.step_size.{network}.{flow}",
                f"{network}: D(T) of the {flow} flow shrinks with the step size over a window of training time",
                "log-log slope of D(T) against the step-size scale gamma_0, mean over seeds",
                loglog_slopes(sub, "seed", "gamma_0", "deviation"), margin, +1, FLOW_CONTROLS.get(flow),
                reference="Theorem 1.5", fails_if=FLOW_FAILS_IF.get(flow, "")))
        smallest = sweep["gamma_0"].min()
        rows += _closest_rows("closest_small_step", network, sweep[sweep["gamma_0"] == smallest], "seed",
                              f"at the smallest step-size scale {smallest:g}")
    return rows


@claim_check("F2_zeros", ("F2.*",), zeros=table("zeros/zeros.csv"), limits=table("adam/limits.csv"),
             kappa=setting("equivalence_margin"))
def quadratic_claims(zeros: pd.DataFrame, limits: pd.DataFrame, kappa: float) -> list[dict]:
    """Corollary 1.10 on the 1-D stochastic quadratic (F2), per law and beta.

    Skewed law: the zero of f lies on the side of E[X] opposite to the skew (difference); Adam's
    limit equals the zero of f within kappa |delta_1|, and the rival "the limit is E[X]" is
    rejected (equivalence). delta_1 is the leading-order zero shift of the law at that beta
    (``leading_shift``, theory), so the margin is fixed before any draw. Control: every skewed law
    after the first, its shift judged equal to the first law's within kappa |delta_1| of the first
    (another gamma_1 sigma, another shift). Sanity rows: the law mirrored about E[X] (independent
    random numbers), whose zero lies on the other side since f_mirrored(mu + d) = -f(mu - d); and a
    symmetric law, whose zero is E[X] by symmetry, within kappa times the smallest leading-order
    shift of a skewed law at that beta, in units of each law's scale.
    """
    limits = limits[~limits["diverged"]]
    zero = {key: mean_of(g["zero"]) for key, g in zeros.groupby(["law", "mirrored", "beta"])}
    leading = zeros.groupby(["law", "mirrored", "beta"])["leading_shift"].first()
    laws = zeros.drop_duplicates("law").set_index("law")
    skewed = laws.index[~laws["symmetric"]]
    rows = []
    for (index, beta), group in limits.groupby(["law", "beta"]):
        law = laws.loc[index]
        tag = f"{law['law_name']}[{index}].beta={beta:g}"
        shift = zero[index, False, beta].shifted(law["mean"])
        if law["symmetric"]:
            relative = min((abs(leading[s, False, beta]) / laws.loc[s, "scale"] for s in skewed), default=math.nan)
            rows.append(_symmetric_zero_row(tag, law, beta, shift, kappa, relative))
            continue
        rows += _skewed_zero_rows(tag, law, beta, shift, zero[index, True, beta].shifted(law["mean"]))
        if index != skewed[0]:
            first = laws.loc[skewed[0]]
            rows.append(_second_law_row(tag, law, first, beta, shift - zero[skewed[0], False, beta].shifted(first["mean"]),
                                        kappa, abs(leading[skewed[0], False, beta])))
        rows.append(_limit_row(tag, law, beta, mean_of(group["limit"]), zero[index, False, beta], kappa,
                               abs(leading[index, False, beta])))
    return rows


def _symmetric_zero_row(tag: str, law: pd.Series, beta: float, shift, kappa: float, relative: float) -> dict:
    """Sanity: a symmetric law's zero of f is E[X], within kappa times the smallest leading-order
    shift of a skewed law at that beta (``relative``, in units of each law's scale)."""
    delta = kappa * relative * law["scale"]
    return _row(
        f"F2.zero_is_mean.{tag}", "sanity", equivalent(shift, delta), shift.value, shift.n,
        f"90% interval inside +-{delta:.3g} (= {kappa:g} x the smallest leading-order skewed shift / scale, "
        "x scale)",
        statement=f"for symmetric {law['law_name']} noise the zero of f is E[X], as symmetry forces "
                  f"(beta={beta:g})",
        statistic="zero of f - E[X], mean over independent fields", **_COROLLARY_1_10)


def _skewed_zero_rows(tag: str, law: pd.Series, beta: float, shift, mirrored) -> list[dict]:
    """The zero of f lies on the side of E[X] opposite to the skew; the mirrored law's on the other
    (a sanity row: f_mirrored(mu + d) = -f(mu - d))."""
    side = -int(np.sign(law["skewness"]))
    where, other = ("below", "above") if side < 0 else ("above", "below")
    return [
        _row(f"F2.zero_shift.{tag}", "difference", beyond(shift, 0.0, side), shift.value, shift.n,
             f"{'>' if side > 0 else '<'} 0 (95% t interval)",
             statement=f"the zero of f lies {where} E[X], the side opposite to the skew of {law['law_name']} noise "
                       f"(beta={beta:g})", statistic="zero of f - E[X], mean over independent fields", **_COROLLARY_1_10),
        _row(f"F2.zero_shift.{tag}.mirrored", "sanity", beyond(mirrored, 0.0, -side), mirrored.value, mirrored.n,
             f"{'>' if side < 0 else '<'} 0 (95% t interval)",
             statement=f"{law['law_name']} noise mirrored about E[X] (independent random numbers): the zero of f "
                       f"lies {other} E[X], as f_mirrored(mu + d) = -f(mu - d) forces (beta={beta:g})",
             statistic="zero of f - E[X], mean over independent fields (mirrored law)", **_COROLLARY_1_10)]


def _second_law_row(tag: str, law: pd.Series, first: pd.Series, beta: float, gap, kappa: float,
                    first_leading: float) -> dict:
    """Control: a second skewed law's shift judged equal to the first law's, within kappa times the
    first law's leading-order shift (another gamma_1 sigma, another shift)."""
    def skew(law) -> str:
        return f"{law['law_name']} (gamma_1 sigma = {law['skewness'] * law['scale']:.3g})"

    margin = kappa * first_leading
    return _row(
        f"F2.zero_shift.{tag}.against_{first['law_name']}", "equivalence", equivalent(gap, margin), gap.value,
        gap.n, f"90% interval inside +-{margin:.3g} (= {kappa:g} |leading-order zero shift of "
               f"{first['law_name']}|)", f"the noise law: {skew(law)} instead of {skew(first)}",
        fails_if="the zero shift were the same for every skewed law, not set by its gamma_1 sigma: then the "
                 "two laws' shifts would agree",
        statement=f"{law['law_name']} noise shifts the zero of f as {first['law_name']} noise does "
                  f"(beta={beta:g})",
        statistic=f"zero shift of {law['law_name']} - zero shift of {first['law_name']} (Welch: both errors)",
        **_COROLLARY_1_10)


def _limit_row(tag: str, law: pd.Series, beta: float, limit, zero, kappa: float, leading: float) -> dict:
    """Adam's limit is the zero of f within kappa |delta_1|, and the rival "the limit is E[X]" is rejected."""
    gap, delta = limit - zero, kappa * leading
    return _row(
        f"F2.limit_is_zero.{tag}", "equivalence", equivalent(gap, delta, rival=limit.shifted(law["mean"])), gap.value,
        limit.n, f"90% interval inside +-{delta:.3g} (= {kappa:g} |leading-order zero shift|) and 'limit = E[X]' "
                 "rejected",
        statement=f"Adam's limit is the zero of f, not E[X] ({law['law_name']} noise, beta={beta:g})",
        statistic="Adam limit - zero of f (Welch: both errors)", **_COROLLARY_1_10)


@claim_check("F3_field_path", ("F3.*",), positions=table("gamma_limit/positions.csv"),
             network=param("gamma_limit_network"), kappa=setting("equivalence_margin"))
def limit_claims(positions: pd.DataFrame, network: str, kappa: float) -> list[dict]:
    """Corollary 1.10 in ERM (F3) at each critical point of the ``gamma_limit`` stage, in function
    space, on the line from the critical point (position 0) to the zero of the first field (1):

    - the gamma -> 0 limit a of Adam's stationary mean (``extrapolate_to_zero``) is the zero of f,
      located by the independent fields' zeros at b: a - b within kappa (Welch: both errors),
      and the rival "a = 0, the critical point" rejected (equivalence). The margin is kappa times
      the separation of the two hypotheses as the first field (a pilot that no test row reads)
      puts it: its zero at 1, the critical point at 0;
    - the zero of f is not the critical point: b != 0, contradicted when b lies within kappa of 0;
    - the zero is reproducible: b = 1 within kappa (the first field's zero is not Monte Carlo noise);
    - the control: without noise (the full-batch gradient, Corollaries 1.12 and 1.13) the gamma -> 0
      limit is the critical point, within kappa of 0, the rival "1, the zero of f" rejected
      (expected: supported).
    """
    rows = []
    for point, table in positions.groupby("point"):
        tag = f"{network}.point={point}"
        rows += _zero_rows(tag, network, point, table, kappa)
        quiet = table[table["kind"] == "noiseless"].groupby("gamma")["position"]
        if quiet.ngroups:
            rows.append(_noiseless_row(tag, network, point, quiet, kappa))
    return rows


def _zero_rows(tag: str, network: str, point: int, table: pd.DataFrame, kappa: float) -> list[dict]:
    """At one critical point: Adam's gamma -> 0 limit is the zero of f, which is not the critical
    point and is reproducible (one test, two rows)."""
    b = mean_of(table[(table["kind"] == "zero") & (table["run"] > 0)]["position"])
    adam = table[table["kind"] == "adam"].groupby("gamma")["position"]
    fit = extrapolate_to_zero(list(adam.groups), [mean_of(values) for _, values in adam])
    gap = fit.intercept - b
    model = "a + b gamma" + (" + c gamma^2 (the line's lack of fit: p = %.2g)" % fit.lack_of_fit_p
                             if fit.degree == 2 else "")
    return [
        _row(f"F3.limit_is_zero.{tag}", "equivalence", equivalent(gap, kappa, rival=fit.intercept), gap.value,
             int(adam.size().min()), f"90% interval inside +-{kappa:.3g} (= {kappa:g} x the pilot field's "
             "zero - critical point) and 'limit = critical point' rejected",
             statement=f"{network} network, critical point {point}: Adam's gamma -> 0 limit is the zero of f, not "
                       "the critical point of F",
             statistic=f"intercept of {model} fitted to the stationary means over gamma, minus the zeros' position "
                       "(0 = critical point, 1 = first field's zero)", **_COROLLARY_1_10),
        _row(f"F3.zero_not_critical.{tag}", "difference", nonzero(b, kappa), b.value, b.n,
             f"outside 0 (95% t interval); contradicted inside +-{kappa:g}", test=f"F3.zero.{tag}",
             statement=f"{network} network, critical point {point}: the zero of f is not the critical point of F",
             statistic="position of independent fields' zeros (0 = critical point, 1 = first field's zero)",
             **_COROLLARY_1_10),
        _row(f"F3.zero_reproducible.{tag}", "equivalence", equivalent(b.shifted(1.0), kappa), b.value - 1, b.n,
             f"90% interval inside +-{kappa:g}", test=f"F3.zero.{tag}",
             statement=f"{network} network, critical point {point}: the zero of f is a property of f, not of the "
                       "random numbers (independent fields' zeros agree with the first)",
             statistic="position of independent fields' zeros, minus 1", **_COROLLARY_1_10),
    ]


def _noiseless_row(tag: str, network: str, point: int, quiet, kappa: float) -> dict:
    """The control: without noise the gamma -> 0 limit is the critical point (position 0)."""
    still = extrapolate_to_zero(list(quiet.groups), [mean_of(values) for _, values in quiet]).intercept
    statistic = (f"intercept of the fit over gamma to the stationary means of Adam with the full-batch gradient "
                 f"({int(quiet.size().min())} runs per gamma from starts around the first zero)")
    return _row(
        f"F3.noiseless_limit.{tag}", "equivalence", equivalent(still, kappa, rival=still.shifted(1.0)), still.value,
        int(quiet.size().min()), f"90% interval inside +-{kappa:.3g} (as F3.limit_is_zero) and 'limit = zero of "
        "f (position 1)' rejected", "the noise: Adam with the full-batch gradient instead of mini-batches, the "
        "same step sizes", expected=SUPPORTED,
        fails_if="the zero's offset from the critical point came from Adam's momentum and preconditioning, not "
                 "from the noise: then the noiseless limit would sit at the zero of f (position 1) as well",
        statement=f"{network} network, critical point {point}: without noise Adam's gamma -> 0 limit is the "
                  "critical point of F, not the zero of f", statistic=statistic + " (0 = critical point)",
        reference="Corollaries 1.12, 1.13")


def _grid_row(id, found, missing, bracket, grid_size, threshold, decided: Verdict, **fields) -> dict:
    """r0 or M0 on a grid (``missing`` where there is none: r0 = 0, M0 = inf), with the grid bracket
    of the true value: a measurement of the Lyapunov test, whose verdict (``decided``) it carries."""
    verdict = Verdict(decided.verdict, *bracket, 1.0, decided.margin)
    return _row(id, "all-cases", verdict, found if found is not None else missing, grid_size, threshold, **fields)


@claim_check("F4_lyapunov", ("F4.*",), table=table("lyapunov_*/lyapunov_pl.csv", ClaimInputs.overparametrized),
             controls=CONTROLS, fraction=setting("control_fraction"))
def lyapunov_claims(table: pd.DataFrame, controls: dict[str, str], fraction: float) -> list[dict]:
    """Theorems 2.1/2.4 (F4), for the networks whose minimum set is sampled, at every momentum pair
    (alpha, beta): grad F . f < 0 at every sampled point (random and worst-case directions) of the
    judged radius (the table's ``judged_radius``: where the conflicting-data control can fail, a
    fraction of the distance from Z to the zeros of f beside it, from a pilot) at the largest batch
    size, counted per minimum (the points around one minimum are not independent; a minimum
    passes when all of them do), against the declared ``fraction``; and, as measurements of that
    one test, r0 (largest radius with it and every smaller one passing) and M0 (smallest batch size
    from which on every point at the judged radius passes). Each row quotes the grid bracket of the
    true value; a value that holds on the whole grid is censored, and the statement says so. The
    M0 row quotes, per M, the largest normalised derivative grad F . f / (|grad F| |f|) and
    z = grad F . f / SE of the worst-case directions (measured with fresh sequences), the evidence
    that M0 binds or does not. ``controls``: network -> its changed ingredient."""
    rows = []
    for (network, alpha, beta), sub in table.groupby(["network", "alpha", "beta"]):
        control, tag = controls.get(network), f"{network}.alpha={alpha:g},beta={beta:g}"
        setting = f"{network} network, alpha={alpha:g}, beta={beta:g}"
        # One condition decides all three rows (every point passes at the judged radius and the
        # largest M), so they are one test: r0 and M0 are its measurements.
        fields = {"reference": "Theorems 2.1, 2.4", "fails_if": FAILS_IF.get(control, {}).get("F4", ""),
                  "test": f"F4.lyapunov.{tag}", "control": control}
        radii, sizes = sorted(sub["radius"].unique()), sorted(sub["batch_size"].unique())
        judged = radii[int(np.argmin(np.abs(np.log(radii) - np.log(sub["judged_radius"].iloc[0]))))]
        lyapunov = _lyapunov_row(tag, setting, sub, judged, sizes[-1], fraction, fields)
        decided = Verdict(lyapunov["verdict"], lyapunov["ci_low"], lyapunov["ci_high"], 1.0, fraction)
        rows += [lyapunov, _radius_row(tag, setting, sub, radii, sizes[-1], decided, fields),
                 _batch_size_row(tag, setting, sub, judged, sizes, decided, fields)]
    return rows


def _lyapunov_row(tag: str, setting: str, sub: pd.DataFrame, judged: float, largest: int, fraction: float,
                  fields: dict) -> dict:
    """The test: every point at the judged radius and the largest M passes, counted per minimum."""
    pilot = sub["pilot_distance"].iloc[0]
    where = (f"r={judged:.2g}, M={largest} (the pilot's zeros of f lie {pilot:.2g} from the minimum set at "
             f"this M)" if pilot > 0 else f"r={judged:.2g}, M={largest}")
    corner = sub[(sub["radius"] == judged) & (sub["batch_size"] == largest)]
    negative = pd.Series(below_zero(corner["derivative"], corner["derivative_se"], corner["derivative_n"]),
                         index=corner.index)
    passing = negative.groupby(corner["minimum"]).all()
    return _all_row(
        int(passing.sum()), len(passing), "minima", fraction, id=f"F4.lyapunov.{tag}",
        statement=f"{setting}: grad F . f < 0 at every point at {where} around the polished minima (random and "
                  f"worst-case directions; {int(negative.sum())} of {len(negative)} points)",
        statistic="fraction of minima at which every point has the 95% upper bound of grad F . f below 0",
        **fields)


def _radius_row(tag: str, setting: str, sub: pd.DataFrame, radii: list, largest: int, decided: Verdict,
                fields: dict) -> dict:
    """r0 with its grid bracket, a measurement of the Lyapunov test."""
    r0 = lyapunov_radius(sub, largest)
    bracket = (r0, radii[radii.index(r0) + 1] if radii.index(r0) + 1 < len(radii) else np.inf) if r0 else (0.0, radii[0])
    worst = sub[sub["search"] == "worst"]
    edge = worst[(worst["radius"] == radii[-1]) & (worst["batch_size"] == largest)]["normalised"]
    censored = ("; censored: holds up to the largest grid radius" + (
        f", where the worst-case search found a normalised derivative of at most {edge.max():.2f}" if len(edge) else "")
                if r0 == radii[-1] else "")
    return _grid_row(
        f"F4.radius.{tag}", r0, 0.0, bracket, len(radii), "a measurement of F4.lyapunov: r0 on the grid", decided,
        statement=f"{setting}: there is a Lyapunov neighbourhood of radius r0 > 0 (M={largest}){censored}",
        statistic="r0: largest grid radius with every point of it and of all smaller radii significantly negative; "
                  "interval: the grid bracket of the true r0", **fields)


def _batch_size_row(tag: str, setting: str, sub: pd.DataFrame, judged: float, sizes: list, decided: Verdict,
                    fields: dict) -> dict:
    """M0 with its grid bracket and the worst-case directions' evidence, a measurement of the Lyapunov test."""
    m0 = threshold_batch_size(sub, judged)
    # Bracket of the true M0 on the grid; none on the grid passes: M0 > the largest M.
    bracket = ((sizes[sizes.index(m0) - 1] if sizes.index(m0) > 0 else 0), m0) if m0 else (sizes[-1], np.inf)
    searched = sub[(sub["search"] == "worst") & (sub["radius"] == judged)]
    evidence = "; ".join(f"M={m}: {g['normalised'].max():+.2f} (z {(g['derivative'] / g['derivative_se']).max():+.1f})"
                         for m, g in searched.groupby("batch_size"))
    censored = "; censored: holds from the smallest grid batch size on" if m0 == sizes[0] else ""
    return _grid_row(
        f"F4.batch_size.{tag}", m0, np.inf, bracket, len(sizes), "a measurement of F4.lyapunov: M0 on the grid",
        decided,
        statement=f"{setting}: from some batch size M0 on, F is a Lyapunov function at r={judged:.2g}{censored}"
                  + (f"; worst-case directions, largest normalised derivative: {evidence}" if evidence else ""),
        statistic="M0: smallest grid batch size from which on every point (random and worst-case directions) is "
                  "significantly negative; interval: the grid bracket",
        **{**fields, "reference": "Theorem 2.4 (threshold not in our copy of the text)"})


def _worst_over_directions(sub: pd.DataFrame, column: str, extreme: str):
    """A ratio's ``extreme`` ("min" or "max") over directions per minimum and radius: the mean over
    minima of its log-log slope in r, its mean at the smallest radius, and that radius (None with
    fewer than two minima)."""
    worst = sub.groupby(["minimum", "radius"])[column].agg(extreme).reset_index()
    slopes = loglog_slopes(worst, "minimum", "radius", column)
    if len(slopes) < 2:
        return None
    smallest = worst["radius"].min()
    return mean_of(slopes), mean_of(worst[worst["radius"] == smallest][column]), smallest


def morse_bott(sub: pd.DataFrame) -> str:
    """Where every minimum's residual Jacobian has full row rank, the minimum set is a smooth
    manifold there with a non-degenerate normal Hessian (Morse-Bott), and Taylor's theorem alone
    makes the PL and noise ratios tend to constants: the sentence that says so ("" otherwise)."""
    if "jacobian_rank" not in sub:
        return ""
    minima = sub.drop_duplicates("minimum")
    if not (minima["jacobian_rank"] == minima["residuals"]).all():
        return ""
    return (f"; the residual Jacobian has full row rank {int(minima['residuals'].iloc[0])} at all {len(minima)} minima "
            f"(condition number at most {minima['jacobian_condition'].max():.2g}): the minimum set is Morse-Bott "
            "there, so Taylor's theorem forces this")


def _ratio_rows(prefix: str, points: pd.DataFrame, column: str, extreme: str, tolerance: float,
                controls: dict[str, str], label: str, exponent: int, why: str, **fields) -> list[dict]:
    """One row per network for a ratio near the minimum set, from its ``extreme`` over directions
    (none where fewer than two minima have it): at an interpolating network it tends to a constant
    (``_bounded_ratio_row``); at a network of ``controls`` Taylor's theorem forces it to scale like
    r^exponent (``why``), a sanity row (``_taylor_row``). ``label`` names the ratio, with {network}."""
    rows = []
    for network, sub in points.groupby("network"):
        found = _worst_over_directions(sub, column, extreme)
        if found is not None:
            what, id = label.format(network=network), f"{prefix}.{network}"
            rows.append(_taylor_row(id, found, extreme, tolerance, exponent, what, why, **fields)
                        if controls.get(network) else
                        _bounded_ratio_row(id, found, extreme, tolerance, what, morse_bott(sub), **fields))
    return rows


def _bounded_ratio_row(id: str, found: tuple, extreme: str, tolerance: float, what: str, forced: str,
                       **fields) -> dict:
    """A ratio that tends to a constant as r -> 0: the log-log slope in r of its extreme over
    directions, one per minimum, is 0 within ``tolerance``. Where the minimum set is measured to be
    Morse-Bott (``forced``, from ``morse_bott``) the row is a sanity check, not evidence."""
    slope, c, smallest = found
    low, high = c.interval(0.95)
    return _row(id, "sanity" if forced else "rate", in_band(slope, 0.0, tolerance), slope.value, slope.n,
                f"90% interval inside 0 +- {tolerance:g}",
                statement=f"{what} tends to a constant as r -> 0 ({extreme} over directions at r={smallest:g}: "
                          f"{c.value:.3g} [{low:.3g}, {high:.3g}]){forced}",
                statistic=f"log-log slope in r of the {extreme}imum over directions of {what}, mean over minima",
                **fields)


def _taylor_row(id: str, found: tuple, extreme: str, tolerance: float, exponent: int, what: str, why: str,
                **fields) -> dict:
    """A sanity row: where Taylor's theorem forces a ratio to scale like r^exponent, the log-log
    slope of its extreme over directions lies beyond exponent -+ tolerance (toward exponent)."""
    slope = found[0]
    side = int(np.sign(exponent))
    threshold = exponent - side * tolerance
    return _row(id, "sanity", beyond(slope, threshold, side), slope.value, slope.n,
                f"{'>' if side > 0 else '<'} {threshold:g} (95% t interval)",
                statement=f"{what} scales like r^{exponent} as r -> 0, as Taylor's theorem forces ({why})",
                statistic=f"log-log slope in r of the {extreme}imum over directions of {what}, mean over minima",
                **fields)


def _without_conflicting_data(t: ClaimInputs, table: pd.DataFrame) -> pd.DataFrame:
    # F5's rows at an underparametrized critical point are sanity rows; conflicting data has no PL claim.
    random = random_directions(table)
    return random[random["network"].map(t.controls) != CONFLICTING]


@claim_check("F5_pl", ("F5.pl.*",), table=table("lyapunov_*/lyapunov_pl.csv", _without_conflicting_data),
             tolerance=setting("rate_tolerance"), controls=CONTROLS)
def pl_claims(table: pd.DataFrame, tolerance: float, controls: dict[str, str]) -> list[dict]:
    """PL near the minimum set (F5): min_u |grad F|^2 / (F - inf F) tends to a constant c > 0 as
    r -> 0. At a network of ``controls`` (a critical point with F > inf F) Taylor's theorem forces
    the ratio to fall like r^2: a sanity row, no evidence for PL."""
    points = table.drop_duplicates(["network", "minimum", "radius", "direction"])
    return _ratio_rows("F5.pl", points, "pl_ratio", "min", tolerance, controls,
                       "{network} network: |grad F|^2 / (F - inf F)", 2,
                       "|grad F|^2 ~ r^2 at a critical point while F - inf F stays positive",
                       reference="PL condition, Section 2")


@claim_check("F5_pl", ("F5.noise_bound.*",),
             table=table("lyapunov_*/lyapunov_pl.csv", lambda t, table: t.overparametrized(random_directions(table))),
             batch_size=param("batch_size"), tolerance=setting("rate_tolerance"), controls=CONTROLS)
def noise_claims(table: pd.DataFrame, batch_size: int, tolerance: float, controls: dict[str, str]) -> list[dict]:
    """Inequality (17) near the minimum set (F5): the noise ratio C = E|G|^2 / |grad F|^2 of the
    training mini-batch, maximised over the sampled directions, stays bounded as r -> 0. Where the
    noise does not vanish on the minimum set (a network of ``controls``), Taylor's theorem forces C
    to grow like r^-2: a sanity row."""
    return _ratio_rows("F5.noise_bound", table[table["batch_size"] == batch_size], "noise_ratio", "max", tolerance,
                       controls, f"{{network}} network: E|G|^2 / |grad F|^2 at M={batch_size}", -2,
                       "E|G|^2 stays positive on the minimum set while |grad F|^2 ~ r^2",
                       reference="Inequality (17), Theorem 2.4")


def _capture_tolerance(t: ClaimInputs) -> tuple[float, float | None]:
    # The tolerance lies below the level of the zeros of f beside the minimum set (the control_zeros
    # pilot) at the capture runs' (alpha, beta, M), so that a run that settles there is not captured.
    return capture_tolerance(t.optional("control_zeros/zeros.csv"), t("capture_*/capture.csv"),
                             t.claims["converged_loss"], t.claims["capture_level_fraction"])


_CAPTURE_READS = ("capture_*/capture.csv", "control_zeros/zeros.csv")


@claim_check("F6_capture", ("F6.*",), capture=table("capture_*/capture.csv", ClaimInputs.overparametrized),
             reduction=setting("capture_reduction"), tol=Source(lambda t: _capture_tolerance(t)[0], _CAPTURE_READS),
             controls=CONTROLS, fraction=setting("control_fraction"),
             zero_level=Source(lambda t: _capture_tolerance(t)[1], _CAPTURE_READS))
def capture_claims(capture: pd.DataFrame, reduction: float, tol: float, controls: dict[str, str],
                   fraction: float, zero_level: float | None = None) -> list[dict]:
    """Corollary 1.11 / Theorem 2.4 (F6): every run started inside the measured Lyapunov
    neighbourhood ends with F - inf F below both (F(start) - inf F) / reduction and tol, counted
    per minimum (its runs share it; a minimum passes when all of them are captured). Each row
    states the final levels of F - inf F against tol, and the control's the level of the zeros of
    f beside the minimum set (``zero_level``, from a pilot) where Adam would settle on it: a tol
    below that level separates "reaches the minimum set" from "reaches a zero of f"."""
    rows = []
    capture = capture[~capture["diverged"]]
    for network, sub in capture.groupby("network"):
        excess = sub.assign(loss=sub["loss"] - sub["floor"]).sort_values("step")
        ends = excess.groupby("run").agg(first=("loss", "first"), last=("loss", "last"), minimum=("minimum", "first"))
        captured = (ends["last"] <= ends["first"] / reduction) & (ends["last"] < tol)
        passing = captured.groupby(ends["minimum"]).all()
        control = controls.get(network)
        rows.append(_all_row(
            int(passing.sum()), len(passing), "minima", fraction, id=f"F6.capture.{network}",
            reference="Corollary 1.11, Theorem 2.4", control=control,
            fails_if=FAILS_IF.get(control, {}).get("F6", ""),
            statement=f"{network} network: Adam started at theta* + r u (r={sub['radius'].iloc[0]:.2g}) drives F to inf F "
                      f"(final F - inf F <= (F(start) - inf F)/{reduction:g} and < {tol:.2g}; {int(captured.sum())} of "
                      f"{len(captured)} runs; final F - inf F median {ends['last'].median():.2g}, largest "
                      f"{ends['last'].max():.2g})" + ("" if control is None else _separation(tol, zero_level)),
            statistic="fraction of minima all of whose runs are captured"))
    return rows


def _separation(tol: float, zero_level: float | None) -> str:
    """What the control's tolerance separates: the minimum set from the zeros of f beside it."""
    if zero_level is None:
        return "; the pilot found no zero of f beside the minimum set, so the tolerance separates nothing known"
    return (f"; the zeros of f beside the minimum set lie at F - inf F = {zero_level:.2g} (pilot), "
            + ("above the tolerance: a run that settled there is not captured" if zero_level > tol else
               "BELOW the tolerance, so this control cannot separate the minimum set from them"))


def _constant_row(id: str, estimate, value: float, kappa_c: float, control, statement: str, what: str,
                  **fields) -> dict:
    """A constant of the zero shift equals ``value`` (equivalence, margin kappa_c |value|), and the
    rival "no shift" is rejected."""
    delta = kappa_c * abs(value)
    return _row(id, "equivalence", in_band(estimate, value, delta, rival=estimate), estimate.value,
                estimate.n, f"90% interval inside {value:.4g} +- {delta:.3g} (= kappa_c {kappa_c:g} x the prediction) "
                "and 'no shift' rejected", control, statement=statement, statistic=what, **fields)


def _constant_rows(test: str, tag: str, estimate, predicted, kappa_c: float, law: pd.Series, first: pd.Series,
                   what: str, details: str, **fields) -> list[dict]:
    """One constant of the zero shift against ``predicted(law)``; for a skewed law after the first also
    the control, the same estimate judged by the first law's prediction; for the symmetric law a
    sanity row instead (0 by symmetry, within the first law's margin in units of sigma)."""
    stem = f"F7.{test}.{law['law']}[{law.name}].{tag}"
    if law["symmetric"]:
        delta = kappa_c * abs(predicted(first)) * law["scale"] / first["scale"]
        return [_row(stem, "sanity", equivalent(estimate, delta), estimate.value, estimate.n,
                     f"90% interval inside +-{delta:.3g} (0 by symmetry; kappa_c x the first skewed law's constant, "
                     "in units of sigma)", statement=f"for symmetric {law['law']} noise {what} is 0 ({details})",
                     statistic=what, **fields)]
    rows = [_constant_row(stem, estimate, predicted(law), kappa_c, None, f"{law['law']} noise: {what} equals "
                          f"{predicted(law):.4g}, the leading-order value ({details})", what, **fields)]
    if law.name != first.name:
        control = (f"the noise law: {law['law']} (gamma_1 sigma = {law['skewness'] * law['scale']:.3g}) instead of "
                   f"{first['law']} (gamma_1 sigma = {first['skewness'] * first['scale']:.3g}), judged by "
                   f"{first['law']}'s constant")
        rows.append(_constant_row(f"{stem}.against_{first['law']}", estimate, predicted(first), kappa_c, control,
                                  f"{law['law']} noise: {what} equals {predicted(first):.4g}, the value of "
                                  f"{first['law']} noise ({details})", what,
                                  fails_if=f"the constant did not depend on gamma_1 sigma (a shift set by the variance "
                                           f"alone, say): then {law['law']}'s constant would equal {first['law']}'s",
                                  **fields))
    return rows


F7_REFERENCE = ("Dereich, Do, Jentzen, von Wurstemberger 2025 (O(1 - beta), O(1/M)); the constant: leading-order "
                "expansion")


def _beta_constant_rows(sweep: pd.DataFrame, law: pd.Series, first: pd.Series, kappa_c: float) -> list[dict]:
    """Per M of the beta sweep: c0 of the fit delta / u = c0 + c1 u (+ c2 u^2) against -gamma_1 sigma / (2 M)."""
    rows = []
    for batch_size, sub in sweep.groupby("batch_size"):
        fit = constant_in_u(sub)
        u = np.sort(1 - sub["beta"].unique())
        terms = ", ".join(f"c{k} = {c:.4g}" for k, c in enumerate(fit.coefficients))
        details = (f"alpha={sub['alpha'].iloc[0]:g}, M={batch_size}, u = 1 - beta in [{u[0]:.3g}, {u[-1]:.3g}] "
                   f"({len(u)} values); fit delta/u = {'c0 + c1 u + c2 u^2' if fit.degree == 2 else 'c0 + c1 u'}: "
                   f"{terms}; the line's lack of fit p = {fit.lack_of_fit_p:.2g}")
        rows += _constant_rows("beta_constant", f"M={batch_size}", fit.intercept,
                               lambda law, m=batch_size: -law["skewness"] * law["scale"] / (2 * m), kappa_c, law,
                               first, "c0 = lim delta/u as u -> 0", details, reference=F7_REFERENCE)
    return rows


def _batch_size_constant_rows(sweep: pd.DataFrame, law: pd.Series, first: pd.Series, kappa_c: float) -> list[dict]:
    """Per beta of the batch-size sweep: M delta(M) over the upper half of the M grid against its
    first-order value, with the log-log slope there quoted."""
    rows = []
    for beta, sub in sweep.groupby("beta"):
        alpha = sub["alpha"].iloc[0]
        factor = (1 - alpha) / (1 - alpha * beta) * (1 - beta)
        upper = upper_half(sub["batch_size"])
        slope = ("" if law["symmetric"] or len(upper) < 2 else
                 "; log-log slope of |delta| there {:.3f} [{:.3f}, {:.3f}]".format(
                     (e := slope_in_batch_size(sub)).value, *e.interval(0.90)))
        grid = [int(m) for m in sorted(sub["batch_size"].unique())]
        details = (f"alpha={alpha:g}, beta={beta:g}, M in {[int(m) for m in upper]} of {grid}{slope}; the margin "
                   "allows the relative O(u) correction")
        rows += _constant_rows("batch_size_constant", f"beta={beta:g}", constant_in_batch_size(sub),
                               lambda law, f=factor: -f * law["skewness"] * law["scale"] / 2, kappa_c, law, first,
                               "M delta(M) over the upper half of the M grid", details, reference=F7_REFERENCE)
    return rows


def _spread_rows(spreads: pd.DataFrame, tolerance: float) -> list[dict]:
    """Adam's stationary spread against gamma: exponent 1/2 with noise; without noise the spread of a
    deterministic run scales like gamma (a sanity row)."""
    rows = []
    for noise, sub in spreads.groupby(spreads["law"] == "no noise"):
        slope = mean_of(loglog_slopes(sub, "seed", "gamma", "value"))
        expected = 1.0 if noise else 0.5
        where = f"gamma in [{sub['gamma'].min():g}, {sub['gamma'].max():g}]"
        rows.append(_row(
            f"F7.spread_rate.{'no_noise' if noise else 'skewed'}", "sanity" if noise else "rate",
            in_band(slope, expected, tolerance), slope.value, slope.n, f"90% interval inside {expected:g} +- {tolerance:g}",
            reference="Dereich, Do, Jentzen, von Wurstemberger 2025",
            statement=(f"without noise the spread of Adam's iterates scales like gamma ({where})" if noise else
                       f"the stationary spread of Adam scales like gamma^(1/2) ({sub['law'].iloc[0]}; {where})"),
            statistic="log-log slope of the spread against gamma, mean over seeds"))
    return rows


@claim_check("F7_rates", ("F7.*",), rates=table("rates/rates.csv"), kappa_c=setting("constant_margin"),
             tolerance=setting("rate_tolerance"))
def rate_claims(rates: pd.DataFrame, kappa_c: float, tolerance: float) -> list[dict]:
    """F7, on the 1-D quadratic, where the theory's asymptotics hold (docs/mathematics.md, section 7):
    per law, c0 = lim delta / u from the beta sweep at each of its M, and M delta(M) from the
    batch-size sweep, each against its leading-order value (margin kappa_c times it, the rival "no
    shift" rejected); every skewed law after the first also judged by the first law's constants
    (the control: another gamma_1 sigma predicts another constant); the symmetric law's constants
    are 0 (sanity rows); and Adam's stationary spread against gamma."""
    shifts = rates[rates["kind"] == "zero_shift"]
    laws = shifts.drop_duplicates("law_index").set_index("law_index").sort_index()
    first = laws[~laws["symmetric"]].iloc[0]
    rows = []
    for index, law in laws.iterrows():
        mine = shifts[shifts["law_index"] == index]
        rows += _beta_constant_rows(mine[mine["sweep"] == "beta"], law, first, kappa_c)
        rows += _batch_size_constant_rows(mine[mine["sweep"] == "batch_size"], law, first, kappa_c)
    return rows + _spread_rows(rates[(rates["kind"] == "spread") & ~rates["diverged"].astype(bool)], tolerance)


def with_error_control(claims: pd.DataFrame) -> pd.DataFrame:
    """Holm's adjustment within each claim family, over the p-values of its claim rows: a row
    supported on its own p-value but not on the adjusted one becomes inconclusive, and
    ``verdict_unadjusted`` keeps what it was. Left out: sanity rows, rows without a test (NaN), and
    controls, each judged at its own level (a control that comes out supported argues against the
    paper, so adjusting it would only make that finding harder to reach)."""
    adjusted = pd.Series(np.nan, index=claims.index)
    counted = claims[(claims["kind"] != "sanity") & ~claims["is_control"].astype(bool)]
    for _, rows in counted.groupby(counted["id"].map(family_of)):
        adjusted[rows.index] = holm(rows["p_value"])
    lost = (claims["verdict"] == SUPPORTED) & (adjusted >= ERROR_RATE)
    return claims.assign(p_adjusted=adjusted, verdict_unadjusted=claims["verdict"],
                         verdict=claims["verdict"].mask(lost, INCONCLUSIVE))


def excluded_runs(diverged: dict[str, np.ndarray]) -> pd.DataFrame:
    """Training runs left out of every claim: network -> first non-finite step per run (-1: fine)."""
    rows = [{"network": name, "run": int(r), "diverged_at_step": int(steps[r])}
            for name, steps in diverged.items() for r in np.flatnonzero(steps >= 0)]
    return pd.DataFrame(rows, columns=["network", "run", "diverged_at_step"])
