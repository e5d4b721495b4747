"""The claims dashboard as a reader sees it: counts, control outcomes, seed agreement, Markdown."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .verdicts import CONTRADICTED, SUPPORTED, VERDICTS

UNSTABLE = "unstable"


def control_outcome(row) -> str:
    """A control comes out as its ``expected`` verdict (contradicted, unless the theory predicts the
    changed experiment's outcome itself), or the opposite; undecided is not a failure, but not
    evidence either."""
    if not row.is_control:
        return ""
    expected = getattr(row, "expected", None) or CONTRADICTED
    opposite = SUPPORTED if expected == CONTRADICTED else CONTRADICTED
    return {expected: "as expected", opposite: "NOT as expected"}.get(row.verdict, "not decided")


def family_of(claim_id: str) -> str:
    """The claim family of a row: F1 ... F7, the first part of its id."""
    return claim_id.split(".", 1)[0]


def one_per_test(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per independent test (the ``test`` column; each row its own where there is none),
    with the verdict of the test: that of its rows where they agree, else contradicted if one is,
    else the first undecided one (a test is supported only when all its rows are)."""
    if "test" not in rows or rows.empty:
        return rows

    def combined(verdicts: pd.Series) -> str:
        if verdicts.nunique() == 1:
            return verdicts.iloc[0]
        if (verdicts == CONTRADICTED).any():
            return CONTRADICTED
        return verdicts[verdicts != SUPPORTED].iloc[0]

    tests = rows["test"].fillna(rows["id"])
    verdict = rows.groupby(tests, sort=False)["verdict"].agg(combined)
    first = rows.assign(test=tests).drop_duplicates("test")
    return first.assign(verdict=first["test"].map(verdict))


def _verdict_counts(rows: pd.DataFrame) -> str:
    counts = rows["verdict"].value_counts()
    return ", ".join(f"{int(counts[v])} {v}" for v in (*VERDICTS, UNSTABLE) if v in counts)


def _control_counts(rows: pd.DataFrame) -> str:
    outcomes = pd.Series([control_outcome(r) for r in rows.itertuples()], dtype=object).value_counts()
    return ", ".join(f"{int(n)} {outcome}" for outcome, n in outcomes.items())


def summary(claims: pd.DataFrame) -> str:
    """How many claim tests are decided, supported, contradicted, underpowered, unstable, and how
    the controls came out: in all, then per family (the verdicts are those after Holm's
    adjustment within each family). Verdicts are counted once per independent test
    (``one_per_test``); sanity rows are counted apart, never as evidence."""
    sanity = claims["kind"].eq("sanity") if "kind" in claims else pd.Series(False, index=claims.index)
    evidence = one_per_test(claims[~sanity])
    rows, controls = evidence[~evidence["is_control"]], evidence[evidence["is_control"]]
    counts = rows["verdict"].value_counts()
    decided = int(counts.get(SUPPORTED, 0) + counts.get(CONTRADICTED, 0))
    text = (f"{len(rows)} claim tests ({int((~claims[~sanity]['is_control']).sum())} rows), {decided} decided: "
            f"{_verdict_counts(rows)}. {len(controls)} controls: {_control_counts(controls) or 'none'}.")
    families = evidence.groupby(evidence["id"].map(family_of))
    if families.ngroups > 1:
        text += " Per family, after Holm's adjustment within it: " + "; ".join(
            f"{family} {_verdict_counts(g[~g['is_control']]) or 'no claims'}"
            + (f" (controls: {_control_counts(g[g['is_control']])})" if g["is_control"].any() else "")
            for family, g in families) + "."
    if sanity.any():
        passed = int(claims.loc[sanity, "verdict"].eq(SUPPORTED).sum())
        text += f" Sanity checks (not counted as evidence): {passed} of {int(sanity.sum())} pass."
    agreement = claims["seed_agreement"].dropna() if "seed_agreement" in claims else pd.Series(dtype=float)
    return text + (f" Seed agreement: {int((agreement == 1).sum())} of {len(agreement)} rows give the same verdict at "
                   f"every root seed." if len(agreement) else " Seed agreement: not measured in this run (`make stability`).")


def with_seed_agreement(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The first table (the config's own root seed) with ``seed_agreement``, the fraction of the
    tables giving its verdict (a row missing from a table disagrees), ``seed_verdicts`` listing
    them, and the verdict "unstable" wherever they disagree."""
    verdicts = pd.concat([t.set_index("id")["verdict"].rename(k) for k, t in enumerate(tables)], axis=1)
    primary = tables[0].set_index("id")
    agree = verdicts.eq(primary["verdict"], axis=0).mean(axis=1)
    out = primary.assign(seed_agreement=agree,
                         seed_verdicts=verdicts.fillna("missing").agg("/".join, axis=1)).reset_index()
    out.loc[out["seed_agreement"] < 1, "verdict"] = UNSTABLE
    return out


def as_markdown(claims: pd.DataFrame, excluded: pd.DataFrame) -> str:
    """The dashboard as a Markdown table, after the summary and a line naming the excluded runs."""
    if excluded.empty:
        note = "No training run diverged; none was excluded."
    else:
        note = "Excluded from every claim (diverged, first non-finite step): " + ", ".join(
            f"{row.network} run {row.run} at step {row.diverged_at_step}" for row in excluded.itertuples()) + "."

    def cell(text) -> str:
        return str(text).replace("|", "\\|")

    def p_values(row) -> str:
        """The row's p-value and, where it enters Holm's adjustment, the adjusted one."""
        if np.isnan(row.p_value):
            return ""
        return f"{row.p_value:.2g}" + ("" if np.isnan(row.p_adjusted) else f" ({row.p_adjusted:.2g})")

    lines = [summary(claims), "", note, "", "| id | kind | statement | statistic | estimate [interval] | margin | "
             "threshold | p (Holm) | verdict | seed agreement | control: changed ingredient (expected verdict): outcome "
             "(what NOT as expected would have meant) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in claims.itertuples():
        control = (f"{cell(row.changed_ingredient)} (expected: {getattr(row, 'expected', None) or CONTRADICTED}): "
                   f"{control_outcome(row)} (NOT as expected if {cell(row.fails_if)})"
                   if row.is_control else "")
        agreement = "" if np.isnan(row.seed_agreement) else f"{row.seed_agreement:.2g}"
        lines.append(f"| {row.id} | {row.kind} | {cell(row.statement)} | {cell(row.statistic)} | {row.estimate:.4g} "
                     f"[{row.ci_low:.4g}, {row.ci_high:.4g}] ({row.ci_level:.0%}) | {row.margin:.3g} | "
                     f"{cell(row.threshold)} | {p_values(row)} | {row.verdict} | {agreement} | {control} |")
    return "\n".join(lines) + "\n"
