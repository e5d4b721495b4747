"""The workflow on a real single-node SLURM (tests/cluster/local_slurm.py): the slurm profile with
sacct and with squeue, a job killed mid-run, and the cluster-generic profile. Results must equal
a local run's bit for bit.

On CI (CI=true) these tests must run; elsewhere they skip, saying why, when SLURM cannot be
installed."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpers import (LONG, NO_FIGURES, SNAKEMAKE, TINY, checksums, copy_repository, overlay, planned_jobs, snakemake,
                     without_figures)
from local_slurm import LocalSlurm, Unavailable

# Tiny jobs finish in seconds: poll their state every few seconds, not every 40 s (slurm) or 10 s.
SLURM = ["--profile", "profiles/slurm", "--slurm-init-seconds-before-status-checks", "5"]
GENERIC = ["--profile", "profiles/cluster-generic", "--seconds-between-status-checks", "2"]
TIMEOUT = 600


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """slurm(accounting) -> a running LocalSlurm; at most one runs at a time."""
    running = []

    def start(accounting=True):
        if running and running[0].accounting == accounting:
            return running[0]
        while running:
            running.pop().stop()
        try:
            running.append(LocalSlurm(tmp_path_factory.mktemp("slurm"), accounting).start())
        except Unavailable as why:
            if os.environ.get("CI") == "true":
                pytest.fail(f"CI must run the cluster tests, but: {why}")
            pytest.skip(str(why))
        return running[0]

    yield start
    while running:
        running.pop().stop()


def submitted(output: str) -> list[str]:
    """SLURM job ids of every job a run submitted (slurm and cluster-generic executors)."""
    found = re.findall(r"submitted with SLURM jobid (\d+)|with external jobid '(\d+)'", output)
    return [slurm or generic for slurm, generic in found]


def sacct_states(cluster, ids: list[str], settled=("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY"),
                 timeout=60) -> dict[str, str]:
    """job id -> state in the accounting database, once every job has reached a final state there."""
    deadline = time.time() + timeout
    while True:
        lines = subprocess.run(["sacct", "-n", "-X", "-P", "-o", "JobID,State", "-j", ",".join(ids)],
                               env=cluster.env, capture_output=True, text=True, check=True).stdout.splitlines()
        states = dict(line.split("|") for line in lines)
        states = {job: state.split()[0] for job, state in states.items()}  # "CANCELLED by 0"
        if set(states) == set(ids) and all(s in settled for s in states.values()) or time.time() > deadline:
            return states
        time.sleep(1)


def cluster_jobs(repo, *args) -> int:
    """How many jobs a run submits: all but the local rules (figures, claims, the Lyapunov and flow
    gathers; workflow/rules/stages.smk and figures.smk)."""
    return sum(n for rule, n in planned_jobs(repo, *args).items()
               if rule not in ("all", "claims", "lyapunov_pl", "flow") and not rule.startswith("fig_"))


def test_tiny_config_through_the_slurm_profile_every_job_completed_and_results_equal_local(
        slurm, tiny_reference, tmp_path):
    cluster = slurm(accounting=True)
    repo = copy_repository(tmp_path)
    expected_jobs = cluster_jobs(repo)
    result = snakemake(repo, *SLURM, *TINY, *NO_FIGURES, env=cluster.env, timeout=TIMEOUT)
    ids = submitted(result.stderr)
    assert len(ids) == expected_jobs > 12
    assert sacct_states(cluster, ids) == dict.fromkeys(ids, "COMPLETED")
    assert checksums(repo) == without_figures(tiny_reference[1])


def test_a_job_killed_mid_run_is_reported_then_retried_and_leaves_no_partial_output(
        slurm, long_reference, tmp_path):
    cluster = slurm(accounting=True)
    repo = copy_repository(tmp_path)
    output, job = _kill_training(cluster, repo, [*SLURM, *overlay(repo, "long.yaml", LONG)])
    # Reported, then retried (the profile's retries) to completion.
    assert re.search(rf"SLURM-job '{job}' failed, SLURM status is: 'FAILED'", output), output[-3000:]
    retries = [i for i in submitted(output) if int(i) > int(job)]
    states = sacct_states(cluster, [job, *retries])
    assert states[job] == "FAILED" and "COMPLETED" in [states[i] for i in retries]
    # Nothing of the killed attempt was kept: every file equals the local run's.
    results = checksums(repo)
    assert {name.split("/")[1] for name in results} == {"data", "train"}
    assert results.items() <= long_reference.items()


def _kill_training(cluster, repo, args) -> tuple[str, str]:
    """Run data and training on the cluster; while a training job trains, SIGKILL its script's
    process. Return (the run's output, the killed SLURM job id) once the run succeeded."""
    run = subprocess.Popen([SNAKEMAKE, *args, "--until", "train"], cwd=repo, env=cluster.env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        key = _training_mid_run(repo)
        queue = subprocess.run(["squeue", "-h", "-o", "%i %k"], env=cluster.env, capture_output=True, text=True,
                               check=True).stdout
        job = next(line.split()[0] for line in queue.splitlines() if key in line)
        os.kill(_script_process(job, "train.py"), signal.SIGKILL)
        assert not (repo / "results" / "train" / key / "provenance.json").exists()
        output = run.communicate(timeout=TIMEOUT)[0]
    finally:
        run.kill()
    assert run.returncode == 0, output[-3000:]
    assert any(key in name for name in checksums(repo)), "the killed job's results are missing"
    return output, job


def _training_mid_run(repo) -> str:
    """The key of a training job whose script is training now."""
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        for log in (repo / "results" / "logs" / "train").glob("*.log"):
            text = log.read_text()
            if "step 1600/" in text and "finished" not in text:
                return log.stem
        time.sleep(0.05)
    pytest.fail("no training job was caught running")


def _script_process(job: str, script: str) -> int:
    """PID of the rule script running inside SLURM job ``job``."""
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().decode()
            if ".snakemake/scripts/" in cmdline and script in cmdline and \
                    f"SLURM_JOB_ID={job}\0" in (proc / "environ").read_bytes().decode():
                return int(proc.name)
        except (OSError, ValueError):
            continue
    pytest.fail(f"no {script} process in SLURM job {job}")


def test_cluster_generic_profile_runs_the_tiny_config_through_sbatch(slurm, tiny_reference, tmp_path):
    """Data and training (two levels of the DAG, so the status command decides when training
    may start); every rule's own resources went through SLURM in the slurm profile test."""
    cluster = slurm(accounting=True)
    repo = copy_repository(tmp_path)
    until = ["--until", "train"]
    expected_jobs = cluster_jobs(repo, *until)
    result = snakemake(repo, *GENERIC, *TINY, *until, env=cluster.env, timeout=TIMEOUT)
    ids = submitted(result.stdout + result.stderr)
    assert len(ids) == expected_jobs == 4
    assert sacct_states(cluster, ids) == dict.fromkeys(ids, "COMPLETED")
    results = checksums(repo)
    assert {name.split("/")[1] for name in results} == {"data", "train"}
    assert results.items() <= tiny_reference[1].items()


def test_squeue_status_path_without_accounting(slurm, tiny_reference, tmp_path):
    cluster = slurm(accounting=False)
    off = subprocess.run(["sacct", "-n"], env=cluster.env, capture_output=True, text=True)
    assert off.returncode != 0, "accounting should be off on this cluster"
    repo = copy_repository(tmp_path)
    # The setting the README documents for sites without slurmdbd.
    result = snakemake(repo, *SLURM, "--slurm-status-command", "squeue", *TINY, "--until", "data",
                       env=cluster.env, timeout=TIMEOUT)
    assert len(submitted(result.stderr)) == 1 and "Falling back to 'sacct'" not in result.stderr
    results = checksums(repo)
    assert {name.split("/")[1] for name in results} == {"data"}
    assert results.items() <= tiny_reference[1].items()
