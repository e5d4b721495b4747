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
import yaml

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"


def run(script: str, out: Path, *args: str) -> str:
    result = subprocess.run([sys.executable, script, *args], cwd=BENCHMARKS, capture_output=True, text=True,
                            env={**os.environ, "BENCHMARK_OUT": str(out)}, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_training_benchmark_agrees_with_both_peers(tmp_path):
    stdout = run("training.py", tmp_path, "--steps", "5", "--repeats", "1", "--runs", "1", "3", "--law-steps", "30")
    table = pd.read_csv(tmp_path / "training.csv")
    laws = pd.read_csv(tmp_path / "training_laws.csv")
    assert laws["identical"].all() and np.allclose(laws["speedup"], laws["per_law_us_per_step"] / laws["joined_us_per_step"])
    assert list(table["runs"]) == [1, 3] and set(table["stacked_adam"]) <= {"foreach", "fused"}
    # The printed ratios are the ones measured: a peer's time over the batched time per run-step.
    assert np.allclose(table["speedup"], table["plain_us_per_step"] / table["batched_us_per_run_step"], rtol=1e-12)
    assert np.allclose(table["speedup_vs_stacked"], table["stacked_us_per_run_step"] / table["batched_us_per_run_step"],
                       rtol=1e-12)
    assert (table[["max_abs_difference", "stacked_max_abs_difference"]] <= 1e-10).all().all()
    assert "target >= 3x" in stdout and "Profile of the batched engine" in stdout


def test_field_benchmark_writes_every_table(tmp_path):
    stdout = run("field.py", tmp_path, "--brute-samples", "2", "--fast-samples", "24", "--chain-steps", "50",
                 "--betas", "0.9", "--repeats", "1", "--ns", "32", "40", "--ds", "200", "300",
                 "--directions", "2", "4", "--lyapunov-samples", "40")
    table = pd.read_csv(tmp_path / "field.csv")
    assert list(table["method"]) == ["brute force", "pair counts", "pair counts + control variates (pipeline)",
                                     "pair counts + control variates, sequences drawn once (pipeline, per theta)",
                                     "stationary chain", "stationary chain + control variate m",
                                     "stationary chain + control variates m, v"]
    # Times to the target are positive and finite and follow from the measured times and sizes; the
    # ratios are those of the times; the pair-count estimators agree with the long reference run.
    assert np.isfinite(table["seconds_to_target"]).all() and (table["seconds_to_target"] > 0).all()
    assert (table["size_at_target"] >= 32).all() and (table["size_at_target"].iloc[2:4] >= 400).all()
    assert np.allclose(table["speedup_vs_brute_force"], table["seconds_to_target"].iloc[0] / table["seconds_to_target"],
                       rtol=1e-12)
    best_chain = table["seconds_to_target"].iloc[4:].min()
    assert np.allclose(table["speedup_vs_best_chain"], best_chain / table["seconds_to_target"], rtol=1e-12)
    assert (table["median_z_vs_reference"].iloc[1:4] < 3).all()
    scaling = pd.read_csv(tmp_path / "field_scaling.csv")
    assert len(scaling) == 4 and "target >= 3x" in stdout and "cost per sequence ~ n^" in stdout
    # Batching the estimates over directions changes no float; the ratio printed is the one measured.
    directions = pd.read_csv(tmp_path / "field_directions.csv")
    assert list(directions["directions_per_call"]) == [2, 4] and directions["identical"].all()
    assert np.allclose(directions["speedup"], directions["per_direction_ms"] / directions["batched_ms"], rtol=1e-12)
    assert "Batched over directions" in stdout and "NOT the same floats" not in stdout
    settings = pd.read_csv(tmp_path / "field_settings.csv")
    assert list(settings["sequences"]) == [40, 640] and (settings["settings"] == 15).all() and settings["identical"].all()
    assert np.allclose(settings["speedup"], settings["one_by_one_ms"] / settings["together_ms"], rtol=1e-12)
    assert "15 settings in one batch" in stdout


def test_pipeline_benchmark_reads_every_stage_s_declared_resources():
    """benchmarks/pipeline.py takes mem_mb and runtime from a forced dry run of the default config
    (its earlier reader of the rule files found nothing once the rules came from tables)."""
    sys.path.insert(0, str(BENCHMARKS))
    from pipeline import declared_resources
    from replication.config import validate
    from replication.stages import StageTable

    config = validate(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()),
                      ROOT / "workflow" / "schemas" / "config.schema.yaml", palette=False)
    stages = {stage for stage, _ in StageTable(ROOT).register(config)["stages"]}
    declared = declared_resources(str(Path(sys.executable).with_name("snakemake")), ROOT)
    assert set(declared) == stages
    assert all(resources["mem_mb"] >= 100 and resources["runtime"] >= 10 for resources in declared.values())


def test_pipeline_benchmark_reads_the_critical_path_of_a_finished_run(tmp_path):
    """The run's jobs come through the provenance behind its view and their times from the
    benchmark files: data (30 s) then train (90 s) is the longest chain."""
    import json
    import shutil

    sys.path.insert(0, str(BENCHMARKS))
    from pipeline import critical_path_of_run

    for part in ("config", "workflow/schemas"):
        shutil.copytree(ROOT / part, tmp_path / part)
    results = tmp_path / "results"
    for stage, key, upstream, seconds in (("data", "d1", {}, 30.0), ("train", "t1", {"data": "d1"}, 90.0),
                                          ("claims", "c1", {"train_over": "t1"}, 5.0)):
        (results / stage / key).mkdir(parents=True)
        (results / stage / key / "provenance.json").write_text(
            json.dumps({"stage": stage, "key": key, "params": {}, "upstream": upstream}))
        (results / "benchmarks" / stage).mkdir(parents=True)
        pd.DataFrame([{"s": seconds, "cpu_time": seconds, "max_rss": 100.0}]).to_csv(
            results / "benchmarks" / stage / f"{key}.tsv", sep="\t", index=False)
    (results / "claims" / "c1" / "claims.csv").write_text("id\n")
    (results / "current" / "default").mkdir(parents=True)
    (results / "current" / "default" / "claims.csv").symlink_to("../../claims/c1/claims.csv")
    assert critical_path_of_run(tmp_path) == (125.0, 90.0)
