"""Check every result against its provenance: ``python -m replication.verify [results] [--quarantine]``.

Lists each file whose sha256 differs from the one recorded when it was written, or that is
missing. With --quarantine, moves the affected key directories to results/quarantine/, so
that the next run recomputes them instead of using them. Exit status 1 if anything is wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .store import PROVENANCE, DamagedInput, checked


def verify(results: Path | str) -> dict[Path, list[str]]:
    """Check every key directory's files as a job checks its inputs (``store.checked``): key
    directory -> its problems (if any)."""
    problems: dict[Path, list[str]] = {}
    for prov in sorted(Path(results).glob(f"*/*/{PROVENANCE}")):
        directory = prov.parent
        try:
            names = json.loads(prov.read_text())["checksums"]
        except (OSError, ValueError, KeyError) as error:
            problems[directory] = [f"{prov}: unreadable provenance ({error})"]
            continue
        found = []
        for name in names:
            try:
                checked(directory / name)
            except DamagedInput as error:
                found.append(str(error))
        if found:
            problems[directory] = found
    return problems


def quarantine(directory: Path, results: Path | str) -> Path:
    """Move a bad key directory to results/quarantine/<stage>/ (kept for inspection, never
    used again): the pipeline then recomputes it."""
    target = Path(results) / "quarantine" / directory.parent.name / directory.name
    suffix = 0
    while target.exists():
        suffix += 1
        target = target.with_name(f"{directory.name}.{suffix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(directory, target)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default="results")
    parser.add_argument("--quarantine", action="store_true", help="move bad key directories aside")
    args = parser.parse_args(argv)
    problems = verify(args.results)
    for directory, lines in problems.items():
        for line in lines:
            print(line)
        if args.quarantine:
            print(f"{directory}: moved to {quarantine(directory, args.results)}")
    print(f"verify: {len(problems)} bad key director{'y' if len(problems) == 1 else 'ies'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
