"""docs/extending.md's worked example, built from the page's own patches on a copy of the
repository: it touches exactly the files the page lists (at most six, generated docs included),
and the tiny config's claims get its row."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

from helpers import ROOT, TINY, copy_run, snakemake

DOC = ROOT / "docs" / "extending.md"


def git(repo: Path, *args: str, **kwargs) -> str:
    return subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args], cwd=repo,
                          check=True, capture_output=True, text=True, **kwargs).stdout


def test_the_worked_example_adds_an_experiment_in_the_files_it_lists(tiny_reference, tmp_path):
    repo = copy_run(tiny_reference[0], tmp_path)  # the finished tiny run: only what the example changes reruns
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "before the example")
    text = DOC.read_text()
    git(repo, "apply", input="".join(re.findall(r"```diff\n(.*?)```", text, re.S)))
    subprocess.run([sys.executable, "-c", "from replication.docs.config_keys import refresh, refresh_schema; "
                                          "refresh_schema(); refresh()"], cwd=repo,
                   check=True, env={**os.environ, "PYTHONPATH": str(repo / "src")})
    changed = sorted(line[3:] for line in git(repo, "status", "--porcelain", "--untracked-files=all").splitlines())
    listed = sorted(re.findall(r"^\| `([^`]+)` \|", text, re.M))
    assert changed == listed and len(listed) <= 6

    # The copy's own library: the environment's editable install points at this checkout's.
    run = snakemake(repo, "--cores", "2", *TINY, env={**os.environ, "PYTHONPATH": str(repo / "src")})
    jobs = run.stderr.split("Job stats:")[1].split("total")[0]
    assert {"mild_skew", "claims", "fig_rates"} <= set(jobs.split()) and "train" not in jobs
    claims = pd.read_csv(repo / "results" / "current" / "test" / "claims.csv").set_index("id")
    row = claims.loc["F7.leading_order.mild_skew"]
    assert row["figure"] == "F7_rates" and row["kind"] == "equivalence" and row["verdict"] == "supported"

