"""Refresh the README's results and performance sections from finished runs, so they are
never typed by hand.

    python -m replication.readme [results/current/default] [--benchmarks results/benchmarks]

Rewrites the "From paper to pipeline" table from the paper registry (``replication.paper``), the
table between the README's ``<!-- claims:start -->`` and ``<!-- claims:end -->`` markers from that run's stability.csv (the claims with their seed agreement, from
`make stability`), or its claims.csv where there is none, copies the figures the README shows into
workflow/report/images/, and, where `make bench` has written its CSV files, rewrites the
block between ``<!-- bench:start -->`` and ``<!-- bench:end -->`` from them. Where a run of the
paper config (``--paper``) has left benchmark files, rewrites its per-job table (wall time, CPU
time, peak memory against what the config's ``resources`` ask a cluster for) and, where it got that
far, its claims table.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .config import overlaid, validate
from .dashboard import control_outcome, summary
from .paper import pipeline_table
from .stages import StageTable

ROOT = Path(__file__).resolve().parents[2]
START, END = "<!-- claims:start -->", "<!-- claims:end -->"
BENCH_START, BENCH_END = "<!-- bench:start -->", "<!-- bench:end -->"
PAPER_START, PAPER_END = "<!-- paper:start -->", "<!-- paper:end -->"
RUN_START, RUN_END = "<!-- paper-run:start -->", "<!-- paper-run:end -->"
RUN_CLAIMS_START, RUN_CLAIMS_END = "<!-- paper-claims:start -->", "<!-- paper-claims:end -->"
SHOWN = ("F1_flow.png", "F2_zeros.png")


def claims_table(claims: pd.DataFrame) -> str:
    """A compact Markdown table: the summary, then one row per claim with its control outcome."""
    lines = [summary(claims), "",
             "| id | kind | estimate [interval] | margin | verdict | seed agreement | control |", "|---|---|---|---|---|---|---|"]
    for row in claims.itertuples():
        outcome = control_outcome(row)
        agreement = "" if np.isnan(row.seed_agreement) else f"{row.seed_agreement:.2g}"
        lines.append(f"| `{row.id}` | {row.kind} | {row.estimate:.3g} [{row.ci_low:.3g}, {row.ci_high:.3g}] "
                     f"({row.ci_level:.0%}) | {row.margin:.3g} | {row.verdict} | {agreement} | "
                     f"{'**NOT as expected**' if outcome == 'NOT as expected' else outcome} |")
    return "\n".join(lines)


def _replace_block(text: str, start: str, end: str, body: str) -> str:
    if start not in text or end not in text:
        raise SystemExit(f"the README has no {start} ... {end} block")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def _markdown(table: pd.DataFrame) -> str:
    def cell(value):
        return f"{value:.3g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def benchmark_tables(directory: Path) -> str | None:
    """The performance section from the CSV files of `make bench` (None if any is missing)."""
    names = ("training", "field", "field_scaling", "pipeline", "memory", "stage_minutes")
    if not all((directory / f"{name}.csv").is_file() for name in names):
        return None
    titles = {"training": "Training: batched Adam against the plain torch.optim.Adam loop and the stacked ensemble "
                          "(benchmarks/training.py)",
              "field": "Field estimation to a median relative SE of 1e-4 against brute force and the stationary chain "
                       "(benchmarks/field.py)",
              "field_scaling": "Field estimation cost per sequence as N and d grow (benchmarks/field.py)",
              "pipeline": "Pipeline overhead on the default config (benchmarks/pipeline.py)",
              "memory": "Peak memory and time per stage against the declared mem_mb and runtime (benchmarks/pipeline.py)",
              "stage_minutes": "CPU minutes of the verdict stages per config, one thread each: the zero-shift stages "
                               "(F2, F7), gamma_limit (F3), the controls' pilot control_zeros (F4, F6); on the default "
                               "config also lyapunov_pl and capture (benchmarks/pipeline.py)"}
    return "\n\n".join(f"**{titles[name]}**\n\n{_markdown(pd.read_csv(directory / f'{name}.csv'))}" for name in names)


def config_of(*overlays: Path) -> dict:
    """The validated config that `snakemake --configfile <overlays>` runs."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    for path in overlays:
        config = overlaid(config, yaml.safe_load(Path(path).read_text()))
    return validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml", palette=False)


def run_stages(view: Path) -> list[tuple[str, str, dict]]:
    """(stage, key, params) of every job behind a finished run's view (results/current/<name>/):
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
    return sorted((p["stage"], p["key"], p["params"]) for p in seen.values())


def jobs_of(config: dict, results: Path) -> pd.DataFrame:
    """One row per job of a config, with what its stage asks a cluster for and, where its benchmark
    file exists, its wall time, CPU time, peak RSS and when it ended (the file's time). The jobs
    are those of the config's finished run (``run_stages``) where it has one, else those the
    current code plans."""
    view = results / "current" / config["name"]
    if (view / "claims.csv").is_file():
        stages = run_stages(view)
    else:
        table = StageTable(ROOT)
        stages = [(stage, key, table.specs[stage][key]["params"]) for stage, key in table.register(config)["stages"]]
    rows = []
    for stage, key, params in stages:
        instance = next((params[k] for k in ("network", "figure") if isinstance(params.get(k), str)), "")
        asks = config["resources"][stage]
        row = {"stage": stage, "instance": instance, "asks_mb": asks["mem_mb"], "asks_min": asks["runtime"]}
        tsv = results / "benchmarks" / stage / f"{key}.tsv"
        if tsv.is_file():
            measured = pd.read_csv(tsv, sep="\t").iloc[-1]
            row |= {"seconds": measured["s"], "cpu_seconds": measured["cpu_time"], "max_rss_mb": measured["max_rss"],
                    "ended": tsv.stat().st_mtime}
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=["stage", "instance", "asks_mb", "asks_min", "seconds", "cpu_seconds",
                                               "max_rss_mb", "ended"])


def run_table(jobs: pd.DataFrame) -> str:
    """The summary of a run and one row per job, the longest first."""
    ran = jobs.dropna(subset=["seconds"])
    span = (ran["ended"].max() - (ran["ended"] - ran["seconds"]).min()) / 60
    peak = ran.loc[ran["max_rss_mb"].idxmax()]
    lines = [f"{len(ran)} of {len(jobs)} jobs finished; from the first job's start to the last job's end {span:.1f} min "
             f"(from the benchmark files' times); the jobs' wall times sum to {ran['seconds'].sum() / 60:.1f} min; "
             f"peak memory {peak['max_rss_mb']:.0f} MB (`{peak['stage']}`).", "",
             "| stage | instance | wall (min) | CPU (min) | peak RSS (MB) | asks a cluster for (MB, min) |",
             "|---|---|---|---|---|---|"]
    for row in jobs.sort_values("seconds", ascending=False, na_position="last").itertuples():
        measured = ("did not finish | | | " if np.isnan(row.seconds) else
                    f"{row.seconds / 60:.1f} | {row.cpu_seconds / 60:.1f} | {row.max_rss_mb:.0f} | ")
        lines.append(f"| `{row.stage}` | {row.instance} | {measured}{row.asks_mb}, {row.asks_min} |")
    return "\n".join(lines)


def refresh(run: Path, readme: Path = ROOT / "README.md", images: Path = ROOT / "workflow" / "report" / "images",
            benchmarks: Path | None = None, paper: Path | None = None, results: Path = ROOT / "results") -> None:
    table = run / "stability.csv" if (run / "stability.csv").is_file() else run / "claims.csv"
    text = _replace_block(readme.read_text(), START, END, claims_table(pd.read_csv(table)))
    text = _replace_block(text, PAPER_START, PAPER_END, pipeline_table())
    performance = benchmark_tables(benchmarks) if benchmarks is not None else None
    if performance is not None:
        text = _replace_block(text, BENCH_START, BENCH_END, performance)
    if paper is not None:
        config = config_of(paper)
        jobs = jobs_of(config, results)
        if jobs["seconds"].notna().any():
            text = _replace_block(text, RUN_START, RUN_END, run_table(jobs))
        claims = results / "current" / config["name"] / "claims.csv"
        if claims.is_file():
            text = _replace_block(text, RUN_CLAIMS_START, RUN_CLAIMS_END, claims_table(pd.read_csv(claims)))
    readme.write_text(text)
    images.mkdir(parents=True, exist_ok=True)
    for name in SHOWN:
        shutil.copyfile(run / name, images / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", default="results/current/default", type=Path)
    parser.add_argument("--benchmarks", default="results/benchmarks", type=Path)
    parser.add_argument("--paper", default="config/paper.yaml", type=Path,
                        help="the overlay whose run's jobs and claims the README shows")
    args = parser.parse_args()
    refresh(args.run, benchmarks=args.benchmarks, paper=args.paper)


if __name__ == "__main__":
    main()
