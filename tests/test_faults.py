"""Faults: bad configs stop before any job, damaged results are found and recomputed,
results are bit-reproducible (run twice, 1 or 2 cores), and a killed run recovers."""

import copy
import os
import signal
import subprocess
import time

import pytest
import yaml

from helpers import (BAD_CONFIGS, ROOT, SNAKEMAKE, TINY, checksums, copy_repository, overlay, set_key,
                     snakemake)


@pytest.fixture(scope="module")
def clean_repo(tmp_path_factory):
    return copy_repository(tmp_path_factory.mktemp("faults"))


@pytest.mark.parametrize("key, value, message", BAD_CONFIGS)
def test_bad_config_stops_before_any_job_with_one_line(clean_repo, key, value, message):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    set_key(config, key, value)
    result = snakemake(clean_repo, "--cores", "1", *overlay(clean_repo, "bad.yaml", config), check=False)
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if line.startswith("Invalid configuration:")]
    assert result.returncode != 0 and len(errors) == 1 and message in errors[0], output
    assert "Traceback" not in output
    assert not (clean_repo / "results").exists()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tiny config run once on two cores: the reference checksums."""
    repo = copy_repository(tmp_path_factory.mktemp("reference"))
    snakemake(repo, "--cores", "2", *TINY)
    return repo, checksums(repo)


def test_same_config_on_one_core_is_bit_identical(reference, tmp_path):
    _, expected = reference
    repo = copy_repository(tmp_path)
    snakemake(repo, "--cores", "1", *TINY)
    assert checksums(repo) == expected


def test_verify_names_damaged_results_and_the_rerun_recomputes_them(reference):
    repo, expected = reference
    verify = [str(ROOT / ".venv" / "bin" / "python"), "-m", "replication.verify", "results"]
    assert subprocess.run(verify, cwd=repo, capture_output=True).returncode == 0
    truncated = next((repo / "results" / "train").glob("*/trajectories.npz"))
    truncated.write_bytes(truncated.read_bytes()[:100])
    edited = next((repo / "results" / "claims").glob("*/claims.csv"))
    edited.write_text(edited.read_text().replace("supported", "contradicted", 1))

    report = subprocess.run(verify, cwd=repo, capture_output=True, text=True)
    assert report.returncode == 1
    assert f"{truncated.relative_to(repo)}: checksum mismatch" in report.stdout
    assert f"{edited.relative_to(repo)}: checksum mismatch" in report.stdout

    moved = subprocess.run(verify + ["--quarantine"], cwd=repo, capture_output=True, text=True)
    assert moved.returncode == 1 and not truncated.exists() and not edited.exists()
    snakemake(repo, "--cores", "2", *TINY)
    assert subprocess.run(verify, cwd=repo, capture_output=True).returncode == 0
    recomputed = {k: v for k, v in checksums(repo).items() if not k.startswith("results/quarantine/")}
    assert recomputed == expected


def test_sigkill_during_training_recovers_bit_identically(tmp_path):
    longer = {"train": {"steps": 20000}}
    killed = copy_repository(tmp_path / "killed")
    args = ["--cores", "1", *overlay(killed, "long.yaml", longer)]
    process = subprocess.Popen([SNAKEMAKE, *args], cwd=killed, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        logs = list((killed / "results" / "logs" / "train").glob("*.log"))
        if any("step 4000/" in log.read_text() for log in logs):
            break
        time.sleep(0.2)
    else:
        pytest.fail("training never reached step 4000")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert not list((killed / "results" / "train").glob("*/trajectories.npz")), "a killed job left its output"

    # A killed Snakemake leaves its lock; it says so and names --unlock.
    locked = snakemake(killed, *args, check=False)
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    snakemake(killed, "--unlock", *args)
    snakemake(killed, *args)
    uninterrupted = copy_repository(tmp_path / "uninterrupted")
    snakemake(uninterrupted, "--cores", "2", *overlay(uninterrupted, "long.yaml", longer))
    assert checksums(killed) == checksums(uninterrupted)
