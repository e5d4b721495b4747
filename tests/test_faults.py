"""Faults: bad configs stop before any job, damaged results are found and recomputed,
results are bit-reproducible (run twice, 1 or 2 cores), and a killed run recovers."""

import copy
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from helpers import (END_TO_END_BAD_CONFIGS, LAUNCH, LONG, NO_FIGURES, ROOT, TINY, UNTIL_FLOW, checksums, copy_repository,
                     copy_run, overlay, set_key, snakemake, without_figures)
from replication.config import ConfigError, validate
from test_config_fuzz import DEFAULT, KEYS, LEAVES, SCHEMA_PATH, inside


@pytest.fixture(scope="module")
def clean_repo(tmp_path_factory):
    return copy_repository(tmp_path_factory.mktemp("faults"))


@pytest.mark.parametrize("key, value, message", END_TO_END_BAD_CONFIGS)
def test_bad_config_stops_before_any_job_with_one_line(clean_repo, key, value, message):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    set_key(config, key, value)
    result = snakemake(clean_repo, "--cores", "1", *overlay(clean_repo, "bad.yaml", config), check=False)
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if line.startswith("Invalid configuration:")]
    assert result.returncode != 0 and len(errors) == 1 and message in errors[0], output
    assert "Traceback" not in output
    assert not (clean_repo / "results").exists()


def test_verify_names_damaged_results_and_the_rerun_recomputes_them(tiny_reference, tmp_path):
    repo, expected = copy_run(tiny_reference[0], tmp_path), tiny_reference[1]
    verify = [sys.executable, "-m", "replication.verify", "results"]
    assert subprocess.run(verify, cwd=repo, capture_output=True).returncode == 0
    truncated = next((repo / "results" / "train").glob("*/trajectories.npz"))
    truncated.write_bytes(truncated.read_bytes()[:100])
    edited = next((repo / "results" / "claims").glob("*/claims.csv"))
    edited.write_text(edited.read_text().replace("supported", "contradicted", 1))
    removed = next((repo / "results" / "minima").glob("*/minima.npz"))
    removed.unlink()

    # The same check, and the same words, as a job that reads the file (store.checked).
    report = subprocess.run(verify, cwd=repo, capture_output=True, text=True)
    assert report.returncode == 1
    for damaged in (truncated, edited):
        assert f"{damaged.relative_to(repo)} differs from the file its provenance.json recorded" in report.stdout
    assert f"{removed.relative_to(repo)} is missing" in report.stdout

    moved = subprocess.run(verify + ["--quarantine"], cwd=repo, capture_output=True, text=True)
    assert moved.returncode == 1 and not truncated.exists() and not edited.exists() and not removed.parent.exists()
    snakemake(repo, "--cores", "2", *TINY)
    assert subprocess.run(verify, cwd=repo, capture_output=True).returncode == 0
    recomputed = {k: v for k, v in checksums(repo).items() if not k.startswith("results/quarantine/")}
    assert recomputed == expected


@pytest.mark.parametrize("reader, damaged", [
    ("minima", "train/*/trajectories.npz"),  # a stage
    ("fig_rates", "quadratic_rates/*/rates.csv"),  # a figure
    ("claims", "quadratic_rates/*/rates.csv"),  # the claims
])
def test_a_job_stops_on_a_damaged_input_and_names_it(tiny_reference, tmp_path, reader, damaged):
    """Bit rot in an upstream file (one byte, the mtime kept, so Snakemake sees nothing): the next
    job that reads it stops in one line that names the file and the fix, and writes nothing."""
    repo = copy_run(tiny_reference[0], tmp_path)
    path = next((repo / "results").glob(damaged))
    data, stat = bytearray(path.read_bytes()), path.stat()
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = snakemake(repo, "--cores", "1", *TINY, "--forcerun", reader, check=False)
    lines = [line for line in (result.stdout + result.stderr).splitlines()
             if f"{path.relative_to(repo)} differs from the file its provenance.json recorded" in line]
    assert result.returncode != 0 and lines and "--quarantine" in lines[0], result.stderr[-3000:]
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("stage, marker, output", [
    ("train", "step 1600/", "trajectories.npz"),   # during training
    ("flow_shard", "network", "deviation.csv"),    # during field estimation inside the ODE solver
])
def test_sigkill_mid_stage_recovers_bit_identically(long_reference, tmp_path, stage, marker, output):
    killed = copy_repository(tmp_path)
    args = ["--cores", "2", *overlay(killed, "long.yaml", LONG), *UNTIL_FLOW]
    process = subprocess.Popen([*LAUNCH, *args], cwd=killed, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:
        logs = list((killed / "results" / "logs" / stage).glob("*.log"))
        if any(marker in log.read_text() for log in logs):
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"{stage} never logged {marker!r}")
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    # Jobs of the stage still running when killed (another may have finished before).
    running = [log.stem for log in (killed / "results" / "logs" / stage).glob("*.log")
               if marker in log.read_text() and "finished" not in log.read_text()]
    assert running and not any((killed / "results" / stage / key / output).exists() for key in running), \
        "a killed job left its output"

    # A killed Snakemake leaves its lock: plain Snakemake refuses and names --unlock; `make run`'s
    # launcher sees that no Snakemake runs here, removes the stale lock in one line and resumes.
    locked = snakemake(killed, *args, check=False)
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    resumed = snakemake(killed, *args, launch=True)
    assert [line for line in resumed.stdout.splitlines() if "left by a killed run" in line] != []
    # Every file equals the reference run's, and every flow result (what `--until flow` asks for) is there.
    results = checksums(killed)
    assert results.items() <= long_reference.items()
    assert {name for name in long_reference if name.startswith(("results/data/", "results/flow/"))} <= results.keys()


def test_sigkill_while_writing_never_leaves_a_partial_file(tmp_path):
    """A writer killed in the middle of a 400 MB write leaves no file under the final name."""
    target = tmp_path / "big.npz"
    writer = subprocess.Popen([sys.executable, "-c",
                               "import sys; from replication.store import atomic_write; "
                               "atomic_write(sys.argv[1], bytes(400 * 2**20))", str(target)])
    deadline = time.time() + 60
    while not list(tmp_path.glob(".big.npz.*.tmp")) and time.time() < deadline:
        time.sleep(0.001)
    writer.kill()
    writer.wait()
    assert list(tmp_path.glob(".big.npz.*.tmp")), "the write was not caught in progress"
    assert not target.exists()


def test_unwritable_results_gives_a_clear_error(clean_repo):
    results = clean_repo / "results"
    results.write_text("a file where the results directory should be")
    try:
        result = snakemake(clean_repo, "--cores", "1", *TINY, check=False)
    finally:
        results.unlink()
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Cannot run: results directory 'results' is not writable" in output
    assert "Traceback" not in output


def test_concurrent_runs_on_one_core_each_are_bit_identical_and_the_same_config_is_locked(tiny_reference, tmp_path):
    """The tiny config and another seed side by side, each on one core: both finish, the same config
    again is refused, and the tiny config's tables and claims are the two-core run's bit for bit
    (the figures draw on one thread whatever --cores is)."""
    repo = copy_repository(tmp_path)
    other = overlay(repo, "other.yaml", {"name": "other", "seed": 12})
    runs = [subprocess.Popen([*LAUNCH, "--cores", "1", *args, *NO_FIGURES], cwd=repo, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for args in (TINY, other)]
    deadline = time.time() + 120
    while len(list((repo / ".snakemake" / "locks").glob("*.lock"))) < 4 and time.time() < deadline:
        time.sleep(0.1)  # until both hold their input and output locks; the same config again must be refused
    again = snakemake(repo, "--cores", "1", *TINY, *NO_FIGURES, check=False, launch=True)
    assert again.returncode != 0 and "Directory cannot be locked" in again.stdout + again.stderr
    assert "left by a killed run" not in again.stdout
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    for name in ("test", "other"):
        assert (repo / "results" / "current" / name / "claims.csv").resolve().is_file()
    assert without_figures(tiny_reference[1]).items() <= checksums(repo).items()
    verify = subprocess.run([sys.executable, "-m", "replication.verify", "results"],
                            cwd=repo, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout


def test_diverged_runs_are_flagged_excluded_and_all_diverged_fails(tmp_path):
    repo = copy_repository(tmp_path)
    snakemake(repo, "--cores", "2", *overlay(repo, "blowup.yaml", {"name": "blowup", "train": {"gamma_0": [0.02, 1e306]}}),
              *NO_FIGURES)
    view = repo / "results" / "current" / "blowup"
    note = next(line for line in (view / "claims.md").read_text().splitlines() if line.startswith("Excluded"))
    assert "over run 1 at step" in note
    excluded = (view / "claims.md").resolve().parent / "excluded.csv"
    assert excluded.read_text().count("\n") == 1 + 3  # header + run 1 of each of the three networks
    for table in (repo / "results").glob("*/*/*.csv"):
        assert "nan" not in table.read_text().lower(), table
    train_logs = "".join(p.read_text() for p in (repo / "results" / "logs" / "train").glob("*.log"))
    assert "run 1 diverged at step" in train_logs

    failed = snakemake(repo, "--cores", "2", *overlay(repo, "blowup.yaml", {"name": "all", "train": {"gamma_0": 1e306}}),
                       check=False)
    assert failed.returncode != 0 and "every run diverged" in failed.stdout + failed.stderr
    logs = "".join(p.read_text() for p in (repo / "results" / "logs" / "train").glob("*.log"))
    assert "every run diverged" in logs


@pytest.fixture(scope="module")
def planning_repo(tmp_path_factory):
    return copy_repository(tmp_path_factory.mktemp("planning"))


@settings(max_examples=3, deadline=None)
@given(st.data())
def test_a_sample_of_fuzzed_valid_configs_plans(planning_repo, data):
    """Values the config fuzz draws inside a key's domain that validate: Snakemake plans them."""
    key = data.draw(KEYS)
    config = copy.deepcopy(DEFAULT)
    set_key(config, key, data.draw(inside(LEAVES[key])))
    try:
        validate(copy.deepcopy(config), SCHEMA_PATH)
    except ConfigError:
        assume(False)
    result = snakemake(planning_repo, "-n", "--cores", "1", *overlay(planning_repo, "valid.yaml", config), check=False)
    assert result.returncode == 0 and "Traceback" not in result.stderr, (key, result.stdout[-2000:] + result.stderr[-2000:])
