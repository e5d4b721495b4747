"""The documentation's generated blocks, from finished runs and the registry, so that no number in
them is ever typed by hand (``python -m replication.docs``, ``make docs``):

- README.md: the default run's summary line (from its stability.csv where `make stability` ran,
  else its claims.csv) and the map from the paper's claims to rules (``replication.paper``);
- docs/results.md: that run's claims table, and the figures it shows, copied into
  workflow/report/images/;
- docs/performance.md: the tables of `make bench`, where its CSV files exist;
- docs/paper-config.md: a paper-config run's per-job table (wall time, peak memory against what
  the config's ``resources`` ask a cluster for) and, where it got that far, its claims table and
  how often its Lyapunov verdicts would repeat with fewer sequences (``replication.power``).

Each block sits between ``<!-- name:start -->`` and ``<!-- name:end -->`` in its file; a block of
a run's results opens with its stamp (``replication.docs.stamps``): the config, the commit and the
stage keys it came from, marked stale where the current code plans other keys.
"""

from __future__ import annotations

import argparse
import heapq
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from adam_ode.vector_field.estimate import CONTROL_SAMPLES

from ..dashboard import control_outcome, summary
from ..paper import FIGURES
from ..power import (direction_repeat_rates, directions_per_minimum, lyapunov_repeat_rates, quadratic_repeat_rates,
                     rate_repeat_rates)
from ..stages import StageTable
from ..stats import clopper_pearson
from ..store import checked
from .blocks import fill
from .stamps import ROOT, committed, config_of, records_in, run_record, run_stages, stamped
START, END = "<!-- claims:start -->", "<!-- claims:end -->"
SUMMARY_START, SUMMARY_END = "<!-- summary:start -->", "<!-- summary:end -->"
BENCH_START, BENCH_END = "<!-- bench:start -->", "<!-- bench:end -->"
PAPER_START, PAPER_END = "<!-- paper:start -->", "<!-- paper:end -->"
RUN_START, RUN_END = "<!-- paper-run:start -->", "<!-- paper-run:end -->"
RUN_CLAIMS_START, RUN_CLAIMS_END = "<!-- paper-claims:start -->", "<!-- paper-claims:end -->"
RUN_POWER_START, RUN_POWER_END = "<!-- paper-power:start -->", "<!-- paper-power:end -->"
RUN_SEED_POWER_START, RUN_SEED_POWER_END = "<!-- paper-seed-power:start -->", "<!-- paper-seed-power:end -->"
# The cores of the machine the published runs ran on: a run table says what a fresh run of its jobs takes there.
RUN_CORES = 2
# The Lyapunov map's power at fewer sequences: 1/2, 1/4, 1/8 of them, 100 draws each, seed 0; only
# where at least CONTROL_SAMPLES sequences are left, the fewest the estimator runs with.
POWER_FACTORS, POWER_REPLICATES, POWER_SEED = (2, 4, 8), 100, 0
# The power at fewer seeds (the rates, the quadratic zeros) and at fewer directions (the Lyapunov map), whole
# units drawn again: 1/2 and 1/4 of them, as many draws, the same seed.
SEED_POWER_FACTORS = (2, 4)
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


def _markdown(table: pd.DataFrame) -> str:
    def cell(value):
        return f"{value:.3g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def benchmark_tables(directory: Path) -> str | None:
    """The performance section from the CSV files of `make bench` (None if any is missing)."""
    names = ("training", "training_laws", "field", "field_scaling", "field_directions", "field_settings", "pipeline",
             "memory", "stage_minutes")
    if not all((directory / f"{name}.csv").is_file() for name in names):
        return None
    titles = {"training": "Training: batched Adam against the plain torch.optim.Adam loop and the stacked ensemble "
                          "(benchmarks/training.py)",
              "training_laws": "quadratic_adam's five noise laws, one run_adam call per law against one call for all "
                               "laws, per step of all laws (benchmarks/training.py)",
              "field": "Field estimation to a median relative SE of 1e-4 against brute force and the stationary chain "
                       "(benchmarks/field.py)",
              "field_scaling": "Field estimation cost per sequence as N and d grow (benchmarks/field.py)",
              "field_directions": "The Lyapunov map's estimates, one direction per call (the pipeline) against one call "
                                  "batched over a block of directions, per direction (benchmarks/field.py)",
              "field_settings": "The Lyapunov map's 15 settings at a point, one estimate per setting against all in one "
                                "batch (the pipeline), per estimate (benchmarks/field.py)",
              "pipeline": "Pipeline overhead on the default config (benchmarks/pipeline.py)",
              "memory": "Peak memory and time per stage against the declared mem_mb and runtime (benchmarks/pipeline.py)",
              "stage_minutes": "CPU minutes of the verdict stages per config, one thread each: the zero-shift stages "
                               "(F2, F7), gamma_limit (F3), the controls' pilot control_zeros (F4, F6); on the default "
                               "config also lyapunov_pl and capture (benchmarks/pipeline.py)"}
    recorded = json.loads((directory / "commits.json").read_text()) if (directory / "commits.json").is_file() else {}
    commits = sorted({recorded.get(name, "not recorded") for name in names})
    opening = f"From `make bench`, code of commit {', '.join(commits)}."
    return "\n\n".join([opening] + [f"**{titles[name]}**\n\n{_markdown(pd.read_csv(directory / f'{name}.csv'))}"
                                     for name in names])


def jobs_of(config: dict, results: Path) -> pd.DataFrame:
    """One row per job of a config, with what its stage asks a cluster for and, where its benchmark
    file exists, its wall time, peak RSS and when it ended (the file's time). The jobs
    are those of the config's finished run (``run_stages``) where it has one, else those the
    current code plans."""
    view = results / "current" / config["name"]
    if (view / "claims.csv").is_file():
        stages = run_stages(view)
    else:
        table = StageTable(ROOT)
        stages = [(stage, key, spec["params"], sorted(Path(path).name for path in spec["upstream"].values()))
                  for stage, key in table.register(config)["stages"] for spec in [table.specs[stage][key]]]
    rows = []
    for stage, key, params, upstream in stages:
        instance = next((params[k] for k in ("network", "figure") if isinstance(params.get(k), str)), "")
        for block in ("points", "runs"):  # a block of a network's polished points or training runs
            if isinstance(params.get(block), list):
                instance += " {}-{}".format(*params[block])
        asks = config["resources"][stage]
        row = {"stage": stage, "instance": instance, "key": key, "upstream": upstream, "asks_mb": asks["mem_mb"],
               "asks_min": asks["runtime"]}
        tsv = results / "benchmarks" / stage / f"{key}.tsv"
        if tsv.is_file():
            measured = pd.read_csv(tsv, sep="\t").iloc[-1]
            row |= {"seconds": measured["s"], "max_rss_mb": measured["max_rss"], "ended": tsv.stat().st_mtime}
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=["stage", "instance", "key", "upstream", "asks_mb", "asks_min", "seconds",
                                               "max_rss_mb", "ended"])


def job_graph(jobs: pd.DataFrame) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Per job key, its measured wall time (0 for a job that did not finish) and the keys of the
    jobs among ``jobs`` that it reads."""
    seconds = dict(zip(jobs["key"], jobs["seconds"].fillna(0.0)))
    return seconds, {key: [k for k in before if k in seconds] for key, before in zip(jobs["key"], jobs["upstream"])}


def critical_path(jobs: pd.DataFrame) -> tuple[float, list[str]]:
    """The longest chain of measured wall times through the job graph, gathers and claims included
    (a job that did not finish counts 0): the run's wall time with a cluster slot for every job.
    Its seconds and its stages in order."""
    seconds, upstream = job_graph(jobs)
    stage = dict(zip(jobs["key"], jobs["stage"]))
    longest: dict[str, tuple[float, list[str]]] = {}

    def chain(key: str) -> tuple[float, list[str]]:
        if key not in longest:
            before = max((chain(k) for k in upstream[key]), default=(0.0, []))
            longest[key] = (before[0] + seconds[key], before[1] + [stage[key]])
        return longest[key]

    return max((chain(key) for key in seconds), default=(0.0, []))


def scheduled_span(jobs: pd.DataFrame, cores: int) -> float:
    """The wall time of the jobs on ``cores`` slots of one thread each, every job as long as it was
    measured (a job that did not finish counts 0), with each slot that comes free taking, of the jobs
    whose inputs are done, the one with the longest chain of wall times after it: list scheduling,
    within (2 - 1 / cores) of the best schedule (Graham). What a fresh run of these jobs would take."""
    seconds, upstream = job_graph(jobs)
    downstream: dict[str, list[str]] = {key: [] for key in seconds}
    for key, before in upstream.items():
        for k in before:
            downstream[k].append(key)
    remaining: dict[str, float] = {}

    def chain_after(key: str) -> float:
        if key not in remaining:
            remaining[key] = seconds[key] + max((chain_after(k) for k in downstream[key]), default=0.0)
        return remaining[key]

    waiting = {key: len(before) for key, before in upstream.items()}
    ready = [(-chain_after(key), key) for key, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    now = 0.0
    while ready or running:
        while ready and len(running) < cores:
            key = heapq.heappop(ready)[1]
            heapq.heappush(running, (now + seconds[key], key))
        now, done = heapq.heappop(running)
        for key in downstream[done]:
            waiting[key] -= 1
            if waiting[key] == 0:
                heapq.heappush(ready, (-chain_after(key), key))
    return now


def in_last_run(ran: pd.DataFrame, gap: float = 60.0) -> pd.Series:
    """Whether each finished job ran in the last run: the jobs whose times join up to the last job's
    end, with no stretch longer than ``gap`` seconds where none ran (a run keeps a job going until
    its last). A job that ended before such a stretch was reused from an earlier run's results."""
    joined, start = pd.Series(False, index=ran.index), ran["ended"].max()
    for index, job in ran.sort_values("ended", ascending=False).iterrows():
        if job["ended"] < start - gap:
            break
        joined[index], start = True, min(start, job["ended"] - job["seconds"])
    return joined


def run_table(jobs: pd.DataFrame) -> str:
    """The summary of a run and one row per job, the longest first."""
    ran = jobs.dropna(subset=["seconds"])
    last = ran[in_last_run(ran)]
    span = (last["ended"].max() - (last["ended"] - last["seconds"]).min()) / 60
    reused = (f" ({len(ran) - len(last)} of them reused from an earlier run, outside the span)"
              if len(last) < len(ran) else "")
    peak = ran.loc[ran["max_rss_mb"].idxmax()]
    path, chain = critical_path(jobs)
    longest = ran.loc[ran["seconds"].idxmax()]
    longest_job = f"`{longest['stage']}` {longest['instance']}".strip()
    lines = [f"{len(ran)} of {len(jobs)} jobs finished{reused}; from the first job's start to the last job's end "
             f"{span:.1f} min (from the benchmark files' times); the jobs' wall times sum to {ran['seconds'].sum() / 60:.1f} min; "
             f"peak memory {peak['max_rss_mb']:.0f} MB (`{peak['stage']}`, sampled). The longest job: "
             f"{longest['seconds'] / 60:.1f} min ({longest_job}); the critical path, "
             f"the longest chain of wall times through the job graph and so the wall time with a cluster slot for "
             f"every job: {path / 60:.1f} min ({' -> '.join(f'`{s}`' for s in chain)}). All {len(ran)} jobs on "
             f"{RUN_CORES} cores, as a fresh run would schedule them (each core that comes free takes the ready job with "
             f"the longest chain after it): {scheduled_span(jobs, RUN_CORES) / 60:.1f} min.", "",
             "| stage | instance | wall (min) | peak RSS (MB, sampled) | asks a cluster for (MB, min) |",
             "|---|---|---|---|---|"]
    for row in jobs.sort_values("seconds", ascending=False, na_position="last").itertuples():
        measured = ("did not finish | | " if np.isnan(row.seconds) else f"{row.seconds / 60:.1f} | {row.max_rss_mb:.0f} | ")
        lines.append(f"| `{row.stage}` | {row.instance} | {measured}{row.asks_mb}, {row.asks_min} |")
    return "\n".join(lines)


def refresh(run: Path, root: Path = ROOT, benchmarks: Path | None = None, paper: Path | None = None,
            results: Path = ROOT / "results") -> None:
    """Fill every generated block under ``root`` from the default run ``run`` (a results/current/<name>/
    view), `make bench`'s CSV files in ``benchmarks`` and the run of the overlay ``paper``."""
    claims = pd.read_csv(run / "stability.csv" if (run / "stability.csv").is_file() else run / "claims.csv")
    record = run_record(run, [], page=root / "docs" / "results.md")
    fill(root / "README.md", {(SUMMARY_START, SUMMARY_END): stamped(record, summary(claims)),
                              (PAPER_START, PAPER_END): pipeline_map()})
    fill(root / "docs" / "results.md", {(START, END): stamped(record, claims_table(claims))})
    performance = benchmark_tables(benchmarks) if benchmarks is not None else None
    if performance is not None:
        fill(root / "docs" / "performance.md", {(BENCH_START, BENCH_END): performance})
    if paper is not None:
        fill(root / "docs" / "paper-config.md", paper_blocks(paper, results, root / "docs" / "paper-config.md"))
    images = root / "workflow" / "report" / "images"
    images.mkdir(parents=True, exist_ok=True)
    for name in SHOWN:
        shutil.copyfile(run / name, images / name)

def paper_blocks(paper: Path, results: Path, page: Path) -> dict[tuple[str, str], str]:
    """docs/paper-config.md's job table and claims, where the paper overlay's run got that far;
    stamped with its keys once it has finished (before that its jobs are what the code plans).
    No blocks where ``page`` already holds that finished run's: later code and config changes
    (other resources, other stage names) do not rewrite what the run was."""
    config = config_of(paper)
    jobs, view = jobs_of(config, results), results / "current" / config["name"]
    finished = (view / "claims.csv").is_file()
    record = run_record(view, [str(paper)], page=page) if finished else None
    if record is not None and committed(record) and record in records_in(page.read_text()):
        return {}  # that run's blocks are written: they stay as they are (the stamps re-mark their lines)
    blocks = {}
    if jobs["seconds"].notna().any():
        table = run_table(jobs)
        blocks[RUN_START, RUN_END] = stamped(record, table) if finished else table
    if finished:
        claims = pd.read_csv(view / "stability.csv" if record["stability"] else view / "claims.csv")
        blocks[RUN_CLAIMS_START, RUN_CLAIMS_END] = stamped(record, claims_table(claims))
        for markers, power in (((RUN_POWER_START, RUN_POWER_END), lyapunov_power(view, results)),
                               ((RUN_SEED_POWER_START, RUN_SEED_POWER_END), seed_power(view, results))):
            if power is not None:
                blocks[markers] = stamped(record, power)
    return blocks


def _claims_provenance(view: Path) -> dict:
    return json.loads(((view / "claims.csv").resolve().parent / "provenance.json").read_text())


def _seed_claims_provenances(view: Path) -> dict:
    """Root seed -> the provenance of its claims, for every root seed of a `make stability` run; the
    view's claims alone (as root seed None) for a single run."""
    stability = view / "stability.csv"
    if not stability.is_file():
        return {None: _claims_provenance(view)}
    run = json.loads((stability.resolve().parent / "provenance.json").read_text())
    claims = stability.resolve().parents[2] / "claims"
    return {seed: json.loads((claims / run["upstream"][f"claims_{i}"] / "provenance.json").read_text())
            for i, seed in enumerate(run["params"]["root_seeds"])}


def _maps(claims: dict, results: Path) -> list[pd.DataFrame]:
    """The Lyapunov maps a claims table read, each checked against its provenance."""
    keys = [key for name, key in sorted(claims["upstream"].items()) if name.startswith("lyapunov_")]
    return [pd.read_csv(checked(results / "lyapunov_pl" / key / "lyapunov_pl.csv")) for key in keys]


def lyapunov_power(view: Path, results: Path) -> str | None:
    """How often each F4 verdict and estimate of a finished run would repeat with 1/2, 1/4 and 1/8
    of the Lyapunov map's sequences, as far as CONTROL_SAMPLES allow (the root seed's maps, those
    the view's claims read), and each F4 and F5 verdict with 1/2 and 1/4 of its random directions,
    as far as two per minimum allow, at every root seed of a `make stability` run
    (``replication.power``); None where the run has no Lyapunov map."""
    claims = _claims_provenance(view)
    tables = _maps(claims, results)
    if not tables:
        return None
    params = claims["params"]
    blocks = []
    fewest = min(int(table["derivative_n"].min()) for table in tables)
    factors = [f for f in POWER_FACTORS if fewest // f >= CONTROL_SAMPLES]
    if factors:
        rates = lyapunov_repeat_rates(tables, params["networks"], params["claims"]["control_fraction"], factors,
                                      POWER_REPLICATES, POWER_SEED)
        caption = (f"{_draws('F4')}, and the fraction that repeat its estimate (the count of passing minima, r0 or "
                   f"M0), with fewer of the run's {fewest} sequences per estimate:")
        blocks.append(power_table(rates, caption, "sequences", estimates=True))
    directions = directions_per_minimum(pd.concat(tables))
    factors = [f for f in SEED_POWER_FACTORS if directions // f >= 2]
    if factors:
        blocks.append(direction_power(view, results, factors, directions))
    return "\n\n".join(blocks) or None


def direction_power(view: Path, results: Path, factors: list[int], directions: int) -> str:
    """The F4 and F5 verdicts' repeat rates with 1/factor of the run's ``directions`` random
    directions, one figure per root seed in each cell: a verdict that repeats at one root seed may
    not at another, and the smallest decides."""
    seeds = _seed_claims_provenances(view)
    rates = {seed: direction_repeat_rates(_maps(claims, results), claims["params"], factors, POWER_REPLICATES,
                                          POWER_SEED).set_index(["id", "factor"])["repeats"]
             for seed, claims in seeds.items()}
    first = next(iter(rates.values()))
    order = " / ".join(map(str, seeds))
    at = "" if None in seeds else f" at root seeds {order}, one figure per root seed in that order"
    every = clopper_pearson(POWER_REPLICATES, POWER_REPLICATES)[0]
    lines = [f"Of {POWER_REPLICATES} draws per cell (seed {POWER_SEED}), the fraction that repeat the F4 or F5 verdict "
             f"of the run{at} (all {POWER_REPLICATES}: the Clopper-Pearson 95% interval [{every:.2f}, 1]), with "
             f"{' and '.join(f'1/{f}' for f in factors)} of the run's {directions} random directions around each "
             f"minimum:", "",
             "| id | " + " | ".join(f"{directions // f} directions" for f in factors) + " |",
             "|---|" + "---|" * len(factors)]
    for id in first.index.get_level_values("id").unique():
        cells = [" / ".join(f"{seed_rates.get((id, f), float('nan')):.2f}" for seed_rates in rates.values())
                 for f in factors]
        lines.append(f"| `{id}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def seed_power(view: Path, results: Path) -> str | None:
    """How often each F7 and F2 verdict of a finished run would repeat with 1/2 and 1/4 of its
    seeds (``replication.power``): the rates' zero-shift fields and spread runs, and the quadratic
    zeros' fields and Adam runs; None where the run has neither. The tables are those the view's
    claims read: of a `make stability` run, the root seed's."""
    claims = _claims_provenance(view)
    upstream = claims["upstream"]

    def read(stage: str, name: str, file: str) -> pd.DataFrame:
        return pd.read_csv(checked(results / stage / upstream[name] / file))

    def margin(name: str) -> float:
        return claims["params"]["claims"][name]

    fractions = " and ".join(f"1/{f}" for f in SEED_POWER_FACTORS)
    tables = []
    if "rates" in upstream:
        rates = rate_repeat_rates(read("quadratic_rates", "rates", "rates.csv"), margin("constant_margin"),
                                  margin("rate_tolerance"), SEED_POWER_FACTORS, POWER_REPLICATES, POWER_SEED)
        caption = (f"{_draws('F7')}, with {fractions} of the run's {_pilot_size(rates, 'seeds')} seeds per zero-shift "
                   f"field (and of its spread runs):")
        tables.append(power_table(rates, caption, "seeds"))
    if "zeros" in upstream and "adam" in upstream:
        limits = read("quadratic_adam", "adam", "limits.csv")
        zeros = quadratic_repeat_rates(read("quadratic_zeros", "zeros", "zeros.csv"), limits,
                                       margin("equivalence_margin"), SEED_POWER_FACTORS, POWER_REPLICATES, POWER_SEED)
        caption = (f"{_draws('F2')}, with {fractions} of the run's {_pilot_size(zeros, 'seeds')} fields per zero of f "
                   f"(and of its {limits.groupby('beta')['run'].nunique().min()} Adam runs per law and beta):")
        tables.append(power_table(zeros, caption, "seeds"))
    return "\n\n".join(tables) or None


def _draws(family: str) -> str:
    return (f"Of {POWER_REPLICATES} draws per column (seed {POWER_SEED}), the fraction that repeat each {family} "
            f"verdict of the run [its Clopper-Pearson 95% interval]")


def _pilot_size(rates: pd.DataFrame, unit: str) -> int:
    return int(rates[unit].iloc[0] * rates["factor"].iloc[0])


def power_table(rates: pd.DataFrame, caption: str, unit: str, estimates: bool = False) -> str:
    """``caption``, then one row per claim and one column per size of the smaller run (``unit``,
    sequences or seeds): the fraction of draws that repeat the verdict [its Clopper-Pearson 95%
    interval], and with ``estimates`` the fraction that repeat the estimate."""
    columns = rates.drop_duplicates("factor")
    heading = ": verdict; estimate" if estimates else ""
    lines = [caption, "", "| id | verdict | " + " | ".join(f"{n} {unit}{heading}" for n in columns[unit]) + " |",
             "|---|---|" + "---|" * len(columns)]
    for id, row in rates.groupby("id", sort=False):
        cells = [f"{r.repeats:.2f} [{r.repeats_low:.2f}, {r.repeats_high:.2f}]"
                 + (f"; {r.estimate_repeats:.2f}" if estimates else "") for r in row.itertuples()]
        lines.append(f"| `{id}` | {row['verdict'].iloc[0]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pipeline_map() -> str:
    """The README's map from the paper's claims to the rules, rows and figures that test them (a
    figure's rows all start with its number: the claim registry's checks say which rows they make)."""

    def code(names):
        return ", ".join(f"`{name}`" for name in names)

    return "\n".join(f"- **{f.number}** {f.claim} ({f.reference}): rules {code(f.stages)}; claims `{f.number}.*`; "
                     f"figure `{f.name}` (`scripts/{f.script}.py`)" for f in FIGURES)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", default="results/current/default", type=Path)
    parser.add_argument("--benchmarks", default="results/benchmarks", type=Path)
    parser.add_argument("--paper", default="config/paper.yaml", type=Path,
                        help="the overlay whose run's jobs and claims docs/paper-config.md shows")
    args = parser.parse_args(argv)
    refresh(args.run, benchmarks=args.benchmarks, paper=args.paper)

