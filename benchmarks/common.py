"""Shared by the benchmark scripts: median wall time over repeats, and the CSV they write (with the
commit of the code that measured it, in commits.json beside the tables)."""

import json
import os
import statistics
import time
from pathlib import Path

import pandas as pd

from replication.docs.stamps import STAGE_CODE, commit

# BENCHMARK_OUT redirects the tables (the smoke tests write to a temporary directory).
OUT = Path(os.environ.get("BENCHMARK_OUT", Path(__file__).resolve().parents[1] / "results" / "benchmarks"))


def median_time(function, repeats: int) -> float:
    """Median wall time of ``function()`` in seconds, after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_table(table: pd.DataFrame, name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.csv"
    table.to_csv(path, index=False)
    commits = OUT / "commits.json"
    recorded = json.loads(commits.read_text()) if commits.is_file() else {}
    # The benchmarks' own code measured too: a change under benchmarks/ marks the commit as well.
    commits.write_text(json.dumps({**recorded, name: commit(paths=(*STAGE_CODE, "benchmarks"))}, indent=1,
                                  sort_keys=True) + "\n")
    return path
