"""Config validation: every shipped config is valid; bad values are named in one line."""

import copy
from pathlib import Path

import pytest
import yaml
from snakemake.utils import update_config

from helpers import BAD_CONFIGS, get_key, set_key
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


# The sample sizes config/paper.yaml's claims rest on. Changing one is a statistics decision: it
# comes with the power it leaves (for the Lyapunov map's sequences, docs/paper-config.md's power
# table), and then with this pin.
PAPER_SAMPLE_SIZES = {
    "field.n_samples": 640, "lyapunov.n_samples": 40, "lyapunov.directions": 64, "train.seeds": 24,
    "train.steps": 200000, "control_zeros.runs": 8, "quadratic.zero_seeds": 32, "quadratic.zero_samples": 4000,
    "quadratic.adam_seeds": 64, "quadratic.steps": 1000000, "quadratic_flow.seeds": 32,
    "quadratic_flow.steps": 1000000, "quadratic_flow.n_samples": 4000, "rates.seeds": 8, "rates.n_samples": 4000,
    "rates.spread_seeds": 16, "rates.spread_steps": 400000, "gamma_limit.critical_points": 6,
    "gamma_limit.runs": 128, "gamma_limit.average_steps": 80000, "gamma_limit.n_samples": 32000,
    "capture.directions": 16, "capture.steps": 50000, "width_sweep.seeds": 24, "width_sweep.steps": 200000,
    "flow.sweep_runs": 8}


def test_the_paper_config_s_sample_sizes_are_pinned():
    config = validate(load("paper.yaml"), SCHEMA, palette=False)
    assert {key: get_key(config, key) for key in PAPER_SAMPLE_SIZES} == PAPER_SAMPLE_SIZES
