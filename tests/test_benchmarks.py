"""Smoke tests of `make bench`'s scripts on tiny sizes: they run and write complete tables.

Speed is not asserted here (benchmarks print measured ratios); agreement is: the batched engine
equals the plain torch.optim.Adam loop in float64.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run(script: str, out: Path, *args: str) -> str:
    result = subprocess.run([sys.executable, script, *args], cwd=BENCHMARKS, capture_output=True, text=True,
                            env={**os.environ, "BENCHMARK_OUT": str(out)}, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_training_benchmark_agrees_with_the_plain_loop(tmp_path):
    stdout = run("training.py", tmp_path, "--steps", "5", "--repeats", "1", "--runs", "1", "3")
    table = pd.read_csv(tmp_path / "training.csv")
    assert list(table["runs"]) == [1, 3]
    # The printed ratio is the one measured: plain time over batched time per run-step.
    assert np.allclose(table["speedup"], table["plain_us_per_step"] / table["batched_us_per_run_step"], rtol=1e-12)
    assert (table["max_abs_difference"] <= 1e-10).all() and "target >= 50x" in stdout


def test_field_benchmark_writes_every_table(tmp_path):
    stdout = run("field.py", tmp_path, "--brute-samples", "2", "--fast-samples", "16", "--repeats", "1",
                 "--ns", "32", "40", "--ds", "200", "300")
    table = pd.read_csv(tmp_path / "field.csv")
    assert list(table["method"]) == ["brute force", "pair counts", "pair counts + control variate (pipeline)"]
    # Time to 1% follows from the measured time per sequence and SE ~ 1/sqrt(S); the estimators
    # agree with the brute force (median |z| over the components).
    expected = table["seconds_per_sequence"] * table["sequences"] * (table["median_relative_se"] / 0.01) ** 2
    assert np.allclose(table["seconds_to_1pct"], expected, rtol=1e-12) and table["speedup_to_1pct"].iloc[0] == 1
    assert (table["median_z_vs_brute_force"].iloc[1:] < 3).all()
    scaling = pd.read_csv(tmp_path / "field_scaling.csv")
    assert len(scaling) == 4 and "target >= 100x" in stdout and "cost per sequence ~ n^" in stdout
