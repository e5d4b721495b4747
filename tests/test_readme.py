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
