"""Refresh the README's results section from a finished run, so it is never typed by hand.

    python -m replication.readme [results/current/default]

Rewrites the table between the README's ``<!-- claims:start -->`` and ``<!-- claims:end -->``
markers from that run's claims.csv, and copies the figures the README shows into
workflow/report/images/.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- claims:start -->", "<!-- claims:end -->"
SHOWN = ("F1_flow.png", "F2_zeros.png")


def claims_table(claims: pd.DataFrame) -> str:
    """A compact Markdown table: one row per claim, controls marked, counts first."""
    counts = claims.groupby(["is_control", "verdict"]).size()
    summary = ", ".join(f"{n} {'control' if control else 'claim'}{'s' if n != 1 else ''} {verdict}"
                        for (control, verdict), n in counts.items())
    lines = [f"{len(claims)} rows: {summary}.", "",
             "| id | estimate [95% CI] | threshold | verdict | control |", "|---|---|---|---|---|"]
    for row in claims.itertuples():
        control = "" if not row.is_control else ("as expected" if row.verdict == "contradicted" else "**not as expected**")
        lines.append(f"| `{row.id}` | {row.estimate:.3g} [{row.ci_low:.3g}, {row.ci_high:.3g}] | "
                     f"{row.threshold} | {row.verdict} | {control} |")
    return "\n".join(lines)


def refresh(run: Path, readme: Path = ROOT / "README.md", images: Path = ROOT / "workflow" / "report" / "images") -> None:
    text = readme.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{readme} has no {START} ... {END} block")
    claims = pd.read_csv(run / "claims.csv")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{claims_table(claims)}\n{END}{tail}")
    images.mkdir(parents=True, exist_ok=True)
    for name in SHOWN:
        shutil.copyfile(run / name, images / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", default="results/current/default", type=Path)
    refresh(parser.parse_args().run)


if __name__ == "__main__":
    main()
