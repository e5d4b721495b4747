"""The pip path (requirements.txt) and the conda path (environment.yml) pin the same versions."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins_from_requirements():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def pins_from_environment():
    pins = {}
    for dep in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]:
        entries = dep["pip"] if isinstance(dep, dict) else [dep]
        for entry in entries:
            match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*==?\s*([0-9][^\s]*)", entry)
            if match and match.group(1) != "python":
                pins[match.group(1).lower()] = match.group(2)
    return pins


def test_pip_and_conda_pins_agree():
    req, env = pins_from_requirements(), pins_from_environment()
    assert req == env, f"only in requirements.txt: {req.items() - env.items()}; only in environment.yml: {env.items() - req.items()}"
    assert "torch" in req and all(v[0].isdigit() for v in req.values())
