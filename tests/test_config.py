"""Config validation: every shipped config is valid; bad values are named in one line."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from helpers import BAD_CONFIGS, set_key
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


@pytest.mark.parametrize("key, value, message", BAD_CONFIGS)
def test_bad_values_are_rejected_with_the_key_named(key, value, message):
    config = copy.deepcopy(load())
    set_key(config, key, value)
    with pytest.raises(ConfigError) as error:
        validate(config, SCHEMA)
    text = str(error.value)
    assert message in text and "\n" not in text


def test_schema_defaults_are_the_default_config():
    """An empty config validates to what config/config.yaml validates to, so omitted keys give the same
    keys (a new section may live in the schema alone: docs/extending.md)."""
    assert validate({}, SCHEMA) == validate(load(), SCHEMA)
    partial = {"train": {"steps": 15000}}
    validate(partial, SCHEMA)
    assert partial["train"]["batch_size"] == load()["train"]["batch_size"] and partial["train"]["steps"] == 15000


def test_the_default_palette_is_one_seaborn_knows():
    """Validation takes the schema's default palette on trust (importing seaborn costs every
    Snakemake start 2 s); any other name is put to seaborn."""
    import seaborn

    default = yaml.safe_load(SCHEMA.read_text())["properties"]["figures"]["properties"]["palette"]["default"]
    assert len(seaborn.color_palette(default)) >= 3


def test_a_sweep_that_repeats_a_point_is_refused_by_name():
    """A slope over one distinct step size is undefined: the config says so before any job."""
    config = copy.deepcopy(load())
    set_key(config, "flow.sweep_gammas", [0.01, 0.01, 0.01])
    with pytest.raises(ConfigError, match=r"'flow.sweep_gammas': \[0.01, 0.01, 0.01\] repeats a value"):
        validate(config, SCHEMA)
