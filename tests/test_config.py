"""Config validation: every shipped config is valid; bad values are named in one line."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from replication.config import ConfigError, validate

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def load(*overlays):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    for name in overlays:
        update_config(config, yaml.safe_load((ROOT / "config" / name).read_text()))
    return config


@pytest.mark.parametrize("overlays", [(), ("test.yaml",), ("paper.yaml",)])
def test_shipped_configs_are_valid(overlays):
    validate(load(*overlays), SCHEMA)


def set_key(config, dotted, value):
    *parents, last = dotted.split(".")
    node = config
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value


@pytest.mark.parametrize("key, value, message", [
    ("adam.alpha", 0.99, "adam.alpha"),
    ("adam.beta", 1.0, "adam.beta"),
    ("adam.eps", 0.0, "adam.eps"),
    ("train.steps", 0, "train.steps"),
    ("train.gamma_0", 0.0, "train.gamma_0"),
    ("train.rho", 1.5, "train.rho"),
    ("train.batch_size", 0, "train.batch_size"),
    ("networks.over.widths", [], "networks.over.widths"),
    ("networks.over.activation", "relu", "networks.over.activation"),
    ("quadratic.laws.0.name", "cauchy", "quadratic.laws.0.name"),
    ("data.n", 1, "data.n"),
    ("lyapunov.radii", [], "lyapunov.radii"),
    ("claims.z_match", 0.0, "claims.z_match"),
    ("trian", {}, "trian"),
    ("train.steps", "many", "train.steps"),
    ("lyapunov.batch_sizes", [1, 99], "lyapunov.batch_sizes"),
])
def test_bad_values_are_rejected_with_the_key_named(key, value, message):
    config = copy.deepcopy(load())
    set_key(config, key, value)
    with pytest.raises(ConfigError) as error:
        validate(config, SCHEMA)
    text = str(error.value)
    assert message in text and "\n" not in text


def test_schema_defaults_are_the_default_config():
    """An empty config validates to config/config.yaml, so omitted keys give the same keys."""
    assert validate({}, SCHEMA) == load()
    partial = {"train": {"steps": 15000}}
    validate(partial, SCHEMA)
    assert partial["train"]["batch_size"] == load()["train"]["batch_size"] and partial["train"]["steps"] == 15000
