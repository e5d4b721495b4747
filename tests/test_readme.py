"""The README's library example runs and prints an estimate with error bars."""

import re
from pathlib import Path

import numpy as np


def test_library_example_runs():
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", text, re.S)[0]
    namespace = {"print": lambda *args: None}
    exec(code, namespace)
    f = namespace["f"]
    assert f.mean.shape == (49,) and np.all(f.stderr > 0) and f.truncation_bound < 1e-4


def test_results_section_is_generated_from_claims(tmp_path):
    import pandas as pd

    from replication.readme import END, SHOWN, START, refresh

    run = tmp_path / "run"
    run.mkdir()
    pd.DataFrame([{"id": "F9.x", "estimate": 1.0, "ci_low": 0.5, "ci_high": 1.5, "threshold": "> 0",
                   "verdict": "supported", "is_control": False},
                  {"id": "F9.y", "estimate": 0.0, "ci_low": -1.0, "ci_high": 1.0, "threshold": "> 0",
                   "verdict": "inconclusive", "is_control": True}]).to_csv(run / "claims.csv", index=False)
    for name in SHOWN:
        (run / name).write_bytes(b"png")
    readme = tmp_path / "README.md"
    readme.write_text(f"# t\n{START}\nSTALE\n{END}\nafter\n")
    refresh(run, readme, tmp_path / "images")
    text = readme.read_text()
    assert "STALE" not in text and text.endswith(f"{END}\nafter\n")
    assert "| `F9.x` | 1 [0.5, 1.5] | > 0 | supported |  |" in text
    assert "**not as expected**" in text and "1 claim supported, 1 control inconclusive" in text
    assert (tmp_path / "images" / SHOWN[0]).read_bytes() == b"png"


def test_performance_section_comes_from_the_benchmark_files(tmp_path):
    import pandas as pd

    from replication.readme import BENCH_END, BENCH_START, END, START, benchmark_tables, refresh

    assert benchmark_tables(tmp_path) is None  # nothing measured yet: the section is left alone
    for name in ("training", "field", "field_scaling", "pipeline", "memory"):
        pd.DataFrame([{"what": name, "value": 1.23456}]).to_csv(tmp_path / f"{name}.csv", index=False)
    run = tmp_path / "run"
    run.mkdir()
    pd.DataFrame([{"id": "F9.x", "estimate": 1.0, "ci_low": 0.5, "ci_high": 1.5, "threshold": "> 0",
                   "verdict": "supported", "is_control": False}]).to_csv(run / "claims.csv", index=False)
    for name in ("F1_flow.png", "F2_zeros.png"):
        (run / name).write_bytes(b"png")
    readme = tmp_path / "README.md"
    readme.write_text(f"{START}\n{END}\n{BENCH_START}\nSTALE\n{BENCH_END}\n")
    refresh(run, readme, tmp_path / "images", benchmarks=tmp_path)
    text = readme.read_text()
    assert "STALE" not in text and text.count("| pipeline | 1.23 |") == 1 and "benchmarks/training.py" in text
