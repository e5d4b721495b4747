# Stage keys. Every stage instance writes to results/<stage>/<key>/, where the key hashes
# its validated parameters, the keys of the stages it reads and the code it runs; the stage
# table (replication.stages) computes them, and each job receives its instance's spec.
import sys
from pathlib import Path

ROOT = Path(workflow.basedir)
sys.path.insert(0, str(ROOT / "src"))

import pandas as pd

from replication.config import ConfigError, validate
from replication.dashboard import summary
from replication.paper import FIGURES as PAPER_FIGURES
from replication.stages import STAGES, StageTable
from replication.view import refresh_view
from replication.workdir import require_writable

# A cluster job reads this file again; the main process has checked the palette (seaborn
# takes about a second to import) and owns the report's summary and the results view.
MAIN = workflow.is_main_process
try:
    validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml", palette=MAIN)
except ConfigError as error:
    sys.exit(f"Invalid configuration: {error}")

RESULTS = "results"
try:
    require_writable(RESULTS)
except OSError as error:
    sys.exit(f"Cannot run: {error}")
TABLE = StageTable(ROOT, RESULTS)
SPECS = TABLE.specs  # stage -> key -> spec passed to its script


def stage_spec(stage):
    return lambda wildcards: SPECS[stage][wildcards.key]


def upstream_files(stage):
    """Input function: the files of every upstream instance, its data files (its stage record's
    outputs) and its provenance.json."""

    def files(wildcards):
        upstream = SPECS[stage][wildcards.key]["upstream"]
        return {
            name: [f"{path}/{f}" for f in STAGES[Path(path).parent.name].outputs]
            + [f"{path}/provenance.json"]
            for name, path in upstream.items()
        }

    return files


def out(stage, *files):
    return [f"{RESULTS}/{stage}/{{key}}/{f}" for f in files] + [
        f"{RESULTS}/{stage}/{{key}}/provenance.json"
    ]


def per_attempt(amount):
    """mem_mb or runtime of a job: the config's, times the attempt, so a job killed for
    memory or time is retried with more (the profiles set retries).
    """
    return lambda wildcards, attempt: amount * attempt


# The dashboards: their claims.csv goes into the report with its caption.
DASHBOARDS = ("claims", "stability")


def stage_outputs(stage, files):
    if stage not in DASHBOARDS:
        return out(stage, *files)
    table = f"{RESULTS}/{stage}/{{key}}/{files[0]}"
    return [report(table, caption=f"../report/{stage}.rst", category="Claims")] + out(
        stage, *files[1:]
    )


def log_of(stage):
    return f"{RESULTS}/logs/{stage}/{{key}}.log"


def benchmark_of(stage):
    return f"{RESULTS}/benchmarks/{stage}/{{key}}.tsv"


wildcard_constraints:
    key="[0-9a-f]{12}",


C = config
PIPELINE = TABLE.register(C)
FIGURES, CLAIMS = PIPELINE["figures"], PIPELINE["claims"]
STABILITY = TABLE.register_stability(C)


def stage_files():
    """Every computing stage's provenance: `all` keeps each key directory of this config present."""
    return [
        f"{RESULTS}/{stage}/{key}/provenance.json"
        for stage, key in PIPELINE["stages"]
        if stage not in ("figures", "claims")
    ]


def figure_files():
    return [
        f"{RESULTS}/figures/{key}/{name}.{ext}"
        for name, key in FIGURES.items()
        for ext in ("pdf", "png")
    ]


def claims_files():
    return [f"{RESULTS}/claims/{CLAIMS}/claims.{ext}" for ext in ("csv", "md")]


def stability_files():
    return [f"{RESULTS}/stability/{STABILITY}/claims.{ext}" for ext in ("csv", "md")]


def dashboard_summary():
    """The summary line of this config's dashboard (across seeds where `make stability` ran)."""
    for path in stability_files()[:1] + claims_files()[:1]:
        if Path(path).exists():
            return summary(pd.read_csv(path))
    return "No claims table yet: run the pipeline first."


# The report's landing page (workflow/report/workflow.rst) quotes it; only the report reads it.
if MAIN:
    config["dashboard_summary"] = dashboard_summary()


def current_view():
    """Link name -> target of results/current/<name>/: this config's figures and claims."""
    links = {
        f"{name}.{ext}": f"figures/{key}/{name}.{ext}"
        for name, key in FIGURES.items()
        for ext in ("pdf", "png")
    }
    links.update(
        {f"claims.{ext}": f"claims/{CLAIMS}/claims.{ext}" for ext in ("csv", "md")}
    )
    if all(Path(path).exists() for path in stability_files()):
        links.update(
            {
                f"stability.{ext}": f"stability/{STABILITY}/claims.{ext}"
                for ext in ("csv", "md")
            }
        )
    return links


def update_current_view():
    refresh_view(Path(RESULTS), C["name"], current_view())


# Reverting a change runs no job, so the view is also refreshed whenever this config's
# results are all present.
if MAIN and all(
    (Path(RESULTS) / target).exists() for target in current_view().values()
):
    update_current_view()
