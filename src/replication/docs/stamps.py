"""Which run a generated results block came from, and whether the current code still stands behind
it (``python -m replication.docs.stamps`` re-marks every block; ``make docs`` does too).

A stamped block opens with a line that names the config, the commit and the stage keys of the run,
then an HTML comment that records them all:

    <!-- run: {"config": "default", "configfiles": [], "stability": true, "commit": "...", "keys": {...}} -->

The run is stale for a stage where the current code plans another key for it (its code, its
parameters or an upstream key changed) or plans it where the run has none: the opening line then
says **stale** and names those stages. Keys are content hashes, so a block whose keys are all still
planned shows exactly what the current code computes, whatever commit it was generated at.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from ..config import overlaid, validate
from ..stages import StageTable

ROOT = Path(__file__).resolve().parents[3]
RECORD = re.compile(r"^(?P<line>[^\n]*)\n<!-- run: (?P<record>\{[^\n]*\}) -->$", re.M)
STAMPED = ("README.md", "docs/results.md", "docs/paper-config.md")
UNCOMMITTED = " with uncommitted changes"


def config_of(*overlays: Path, root: Path = ROOT) -> dict:
    """The validated config that `snakemake --configfile <overlays>` runs."""
    config = yaml.safe_load((root / "config" / "config.yaml").read_text())
    for path in overlays:
        config = overlaid(config, yaml.safe_load(Path(path).read_text()))
    return validate(config, root / "workflow" / "schemas" / "config.schema.yaml", palette=False)


def run_stages(view: Path) -> list[tuple[str, str, dict, list[str]]]:
    """(stage, key, params, upstream keys) of every job behind a finished run's view (results/current/<name>/):
    the stage directories its figures and claims link to and, through their provenance files,
    every directory upstream of those. The run that was made, whatever the code is now."""
    results = view.parent.parent
    pending = {link.resolve().parent for link in view.iterdir()}
    seen = {}
    while pending:
        directory = pending.pop()
        seen[directory] = json.loads((directory / "provenance.json").read_text())
        for name, key in seen[directory]["upstream"].items():
            found = set(results.glob(f"*/{key}"))
            if not found:
                raise SystemExit(f"{directory / 'provenance.json'} names its input {name} = {key}, which is not "
                                 f"under {results}: copy the run's stage directories along with its view")
            pending |= found - set(seen)
    return sorted(((p["stage"], p["key"], p["params"], sorted(p["upstream"].values())) for p in seen.values()),
                  key=lambda job: job[:2])


# What a stage runs or reads; the docs generators are neither.
STAGE_CODE = ("src", "scripts", "workflow", "config", ":(exclude)src/replication/docs")


def commit(root: Path = ROOT, paths: tuple[str, ...] = STAGE_CODE) -> str:
    """HEAD's short hash, marked where the code under ``paths`` (git pathspecs) differs from it: a
    run of uncommitted code."""
    head = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=root, capture_output=True, text=True)
    if head.returncode != 0:
        return "unknown"
    changed = subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=root, capture_output=True,
                             text=True).stdout.strip()
    return head.stdout.strip() + (UNCOMMITTED if changed else "")


def committed(record: dict) -> bool:
    """Whether the record's run names a commit that holds its code (not uncommitted changes)."""
    return not record["commit"].endswith(UNCOMMITTED)


def run_record(view: Path, configfiles: list[str], root: Path = ROOT, page: Path | None = None) -> dict:
    """The stamp of the finished run behind ``view`` (results/current/<name>/) of the config that
    ``configfiles`` overlay on config/config.yaml. Its commit is HEAD's, unless ``page`` already
    stamps that very run (the same keys) with a commit of its own: then that commit, whose code
    made the run, stays (a run of uncommitted code takes the commit that holds its code later)."""
    keys: dict[str, list[str]] = {}
    for stage, key, *_ in run_stages(view):
        keys.setdefault(stage, []).append(key)
    record = {"config": view.name, "configfiles": configfiles, "stability": (view / "stability.csv").is_file(),
              "commit": None, "keys": {stage: sorted(found) for stage, found in sorted(keys.items())}}
    earlier = [r["commit"] for r in (records_in(page.read_text()) if page is not None and page.is_file() else [])
               if {**r, "commit": None} == record and committed(r)]
    return {**record, "commit": earlier[0] if earlier else commit(root)}


def planned_keys(record: dict, root: Path = ROOT) -> dict[str, set[str]]:
    """stage -> the keys the code under ``root`` plans for the record's config (every root seed of
    `make stability` where the run was one)."""
    config = config_of(*(root / path for path in record["configfiles"]), root=root)
    table = StageTable(root)
    if record["stability"]:
        table.register_stability(config)
    else:
        table.register(config)
    return {stage: set(specs) for stage, specs in table.specs.items()}


def stale_stages(record: dict, root: Path = ROOT) -> list[str]:
    """The stages whose keys in the run the current code no longer plans, or that it plans and the
    run lacks; ["every stage"] where the block predates recorded keys."""
    if record["keys"] is None:
        return ["every stage"]
    planned, ran = planned_keys(record, root), {stage: set(keys) for stage, keys in record["keys"].items()}
    return sorted(stage for stage in planned.keys() | ran.keys()
                  if stage not in ran or not ran[stage] <= planned.get(stage, set()))


def opening_line(record: dict, stale: list[str]) -> str:
    seeds = " at every root seed of `make stability`" if record["stability"] else ""
    run = f"the `{record['config']}` config's run{seeds}, code of commit {record['commit']}"
    if stale:
        why = ("its stage keys were not recorded" if stale == ["every stage"] else
               f"the current code plans other keys for {', '.join(f'`{s}`' for s in stale)}")
        return f"**Stale**: from {run}; {why}, so these numbers may not be what it computes now."
    count = sum(len(keys) for keys in record["keys"].values())
    return f"From {run}: {count} stage keys (listed in this block's source), each still planned by the current code."


def stamped(record: dict, body: str, root: Path = ROOT) -> str:
    """``body`` under the run's opening line and record."""
    return f"{opening_line(record, stale_stages(record, root))}\n<!-- run: {json.dumps(record)} -->\n{body}"


def records_in(text: str) -> list[dict]:
    return [json.loads(match["record"]) for match in RECORD.finditer(text)]


def mark(path: Path, root: Path = ROOT) -> list[str]:
    """Rewrite the opening line of every stamped block in ``path`` for the current code; the
    opening lines."""
    lines = []

    def remarked(match: re.Match) -> str:
        record = json.loads(match["record"])
        lines.append(opening_line(record, stale_stages(record, root)))
        return f"{lines[-1]}\n<!-- run: {match['record']} -->"

    path.write_text(RECORD.sub(remarked, path.read_text()))
    return lines


def main() -> None:
    for name in STAMPED:
        for line in mark(ROOT / name):
            print(f"{name}: {line}")


if __name__ == "__main__":
    main()
