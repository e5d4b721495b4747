"""Pipeline benchmark: overhead and memory on the default config.

In two fresh copies of the repository (tracked files only, the current .venv linked in):
the default config end to end with --cores 2 and with --cores 1, then, on the finished run,
`snakemake -n` and a full cache-hit `make run` (median of repeats), and the run's critical path
and longest job (``critical_path_of_run``). Resources: the peak RSS
and wall time of every job (Snakemake's benchmark files) against the mem_mb and runtime its
rule declares (first attempt). Then the paper config's verdict stages that run without the long
ones (``PAPER_STAGES``, one thread each, so their wall time is their CPU time), so that the cost
of the F2 and F7 experiments, of F3 with its noiseless control and of the F4/F6 controls' pilot
is known per config; on the default config also the stages that the pilot's radii and the
longer capture runs lengthen (``DEFAULT_STAGES``). Writes
results/benchmarks/pipeline.csv, memory.csv and stage_minutes.csv.
"""

import argparse
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from common import write_table
from replication.config import overlaid, validate
from replication.stages import StageTable

ROOT = Path(__file__).resolve().parents[1]
# The stages of the zero-shift experiments (F2, F7), of the noiseless F3 control and of the pilot of
# the F4 and F6 controls, timed at the paper config's sizes too; lyapunov_shard and capture need the
# paper config's training and minima first (an hour), so they are timed on the default config only.
PAPER_STAGES = ("quadratic_zeros", "quadratic_rates", "gamma_limit", "control_zeros")
DEFAULT_STAGES = PAPER_STAGES + ("lyapunov_shard", "capture")


def fresh_copy(parent: Path, name: str) -> Path:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    repo = parent / name
    for path in filter(None, files.decode().split("\0")):
        if (ROOT / path).is_file():
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, repo / path)
    (repo / ".venv").symlink_to(ROOT / ".venv")
    return repo


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def declared_resources(snakemake: str, repo: Path) -> dict[str, dict[str, int]]:
    """stage -> {mem_mb, runtime} at the first attempt, as Snakemake plans every job (a forced dry
    run); the fig_* rules write to the one figures stage, so it gets their largest declaration."""
    plan = subprocess.run([snakemake, "-n", "--forceall"], cwd=repo, capture_output=True, text=True, check=True).stdout
    declared: dict[str, dict[str, int]] = {}
    for rule, block in re.findall(r"^(?:local)?rule (\w+):\n(.*?)(?=^\S|\Z)", plan, re.M | re.S):
        stage = "figures" if rule.startswith("fig_") else rule
        for name, value in re.findall(r"\b(mem_mb|runtime)=(\d+)", block):
            declared.setdefault(stage, {})[name] = max(int(value), declared.get(stage, {}).get(name, 0))
    return declared


def job_times(repo: Path) -> pd.DataFrame:
    """Every finished job's wall time and peak RSS, from Snakemake's benchmark files."""
    jobs = []
    for tsv in (repo / "results" / "benchmarks").glob("*/*.tsv"):
        row = pd.read_csv(tsv, sep="\t").iloc[-1]
        jobs.append({"stage": tsv.parent.name, "key": tsv.stem, "seconds": row["s"], "max_rss_mb": row["max_rss"]})
    return pd.DataFrame(jobs)


def stage_minutes(snakemake: str, repo: Path, default_jobs: pd.DataFrame) -> pd.DataFrame:
    """Minutes of one core per verdict stage, on the default config (its run above) and on the
    paper config (``PAPER_STAGES`` alone)."""
    config = validate(overlaid(*(yaml.safe_load((repo / "config" / f).read_text()) for f in ("config.yaml", "paper.yaml"))),
                      repo / "workflow" / "schemas" / "config.schema.yaml", palette=False)
    targets = [f"results/{stage}/{key}/provenance.json" for stage, key in StageTable(repo).register(config)["stages"]
               if stage in PAPER_STAGES]
    subprocess.run([snakemake, *targets, "--cores", "2", "--configfile", "config/paper.yaml"], cwd=repo, check=True,
                   capture_output=True)
    paper_jobs = job_times(repo)
    paper_jobs = paper_jobs[~paper_jobs["key"].isin(default_jobs["key"])]
    rows = [{"config": name, "stage": stage, "cpu_minutes": jobs[jobs["stage"] == stage]["seconds"].sum() / 60}
            for name, jobs, stages in (("default", default_jobs, DEFAULT_STAGES), ("paper", paper_jobs, PAPER_STAGES))
            for stage in stages]
    return pd.DataFrame(rows)


def critical_path_of_run(repo: Path) -> tuple[float, float]:
    """The finished default run's critical path (the longest chain of job wall times through its
    job graph: its wall time with a cluster slot for every job) and its longest job, in seconds."""
    from replication.docs.generate import critical_path, jobs_of
    from replication.docs.stamps import config_of

    jobs = jobs_of(config_of(root=repo), repo / "results")
    return critical_path(jobs)[0], jobs["seconds"].max()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    snakemake = str(ROOT / ".venv" / "bin" / "snakemake")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        walls = {}
        for cores in (2, 1):
            repo = fresh_copy(Path(tmp), f"cores{cores}")
            walls[cores] = timed([snakemake, "--cores", str(cores)], repo)
            rows.append({"measure": f"default config end to end, --cores {cores}", "seconds": walls[cores]})
        repo = Path(tmp) / "cores2"
        dry = statistics.median(timed([snakemake, "-n"], repo) for _ in range(args.repeats))
        cached = statistics.median(timed(["make", "run"], repo) for _ in range(args.repeats))
        rows += [{"measure": "snakemake -n on a finished run", "seconds": dry},
                 {"measure": "cache-hit make run", "seconds": cached},
                 {"measure": "speed-up --cores 1 -> --cores 2 (ratio)", "seconds": walls[1] / walls[2]}]
        path, longest = critical_path_of_run(repo)
        rows += [{"measure": "critical path of the --cores 2 run, a cluster slot per job", "seconds": path},
                 {"measure": "longest job of the --cores 2 run", "seconds": longest}]
        declared = declared_resources(snakemake, repo)
        jobs = job_times(repo)
        minutes = stage_minutes(snakemake, repo, jobs)
    serial = jobs["seconds"].sum()
    rows.append({"measure": "sum of job times / wall time at --cores 2 (ratio)", "seconds": serial / walls[2]})
    table = pd.DataFrame(rows)
    write_table(table, "pipeline")

    memory = jobs.groupby("stage").agg(max_rss_mb=("max_rss_mb", "max"), max_seconds=("seconds", "max"),
                                       jobs=("key", "count")).reset_index()
    memory["declared_mem_mb"] = [declared[s]["mem_mb"] for s in memory["stage"]]
    memory["declared_over_measured"] = memory["declared_mem_mb"] / memory["max_rss_mb"]
    memory["declared_runtime_min"] = [declared[s]["runtime"] for s in memory["stage"]]
    memory["runtime_over_measured"] = 60 * memory["declared_runtime_min"] / memory["max_seconds"]
    write_table(memory, "memory")
    write_table(minutes, "stage_minutes")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(memory.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(minutes.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"targets: snakemake -n <= 3 s ({dry:.2f}); cache-hit make run <= 10 s ({cached:.2f}); end to end <= 600 s "
          f"({walls[2]:.0f}); --cores 1 -> 2 >= 1.6x ({walls[1] / walls[2]:.2f}x); peak RSS <= 2048 MB "
          f"({memory['max_rss_mb'].max():.0f}); declared mem_mb within 2x of the peak: "
          f"{int(memory['declared_over_measured'].between(1, 2).sum())} of {len(memory)} stages "
          "(the fig_* rules counted as one)")


if __name__ == "__main__":
    main()
