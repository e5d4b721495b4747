"""The config fuzzed (hypothesis): every leaf key of the schema, walked from the default config,
gets values outside its declared domain, which validation must refuse in one line naming that
key, and values inside it, which must either validate or be refused in one line by a condition
between keys (never a traceback).

Domains are read from the schema itself (type, bounds, enum, pattern, items), so a key added
to the schema is fuzzed without touching this file. In-domain integers are drawn up to 10^6:
larger step counts are valid but make a run, and this test, needlessly long.
"""

import copy
import math
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import set_key
from replication.config import ConfigError, validate
from replication.docs.config_keys import resolve

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "workflow" / "schemas" / "config.schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_PATH.read_text())
DEFAULT = validate(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()), SCHEMA_PATH)
LARGE = 10**6


def leaves(schema: dict, value, path=()):
    """(dotted key, leaf schema) for every leaf below ``schema`` that the default config sets."""
    schema = resolve(schema, SCHEMA["$defs"])
    if isinstance(value, dict):
        extra = schema.get("additionalProperties")
        for name, child in value.items():
            sub = schema.get("properties", {}).get(name, extra if isinstance(extra, dict) else None)
            if sub is not None:
                yield from leaves(sub, child, (*path, name))
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        yield from leaves(schema["items"], value[0], (*path, 0))
    else:
        yield ".".join(map(str, path)), schema


LEAVES = dict(leaves(SCHEMA, DEFAULT))
FINITE = {"allow_nan": False, "allow_infinity": False}


def inside(schema: dict) -> st.SearchStrategy:
    """Values inside a leaf's declared domain."""
    schema = resolve(schema, SCHEMA["$defs"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema:
        return st.one_of([inside(option) for option in schema["oneOf"]])
    kind = schema.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.from_regex(schema["pattern"], fullmatch=True) if "pattern" in schema else st.text(min_size=1)
    if kind == "array":
        return st.lists(inside(schema["items"]), min_size=schema.get("minItems", 0), max_size=6,
                        unique=bool(schema.get("uniqueItems")))
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if kind == "integer":
        low = -LARGE if low is None else math.floor(low) + ("exclusiveMinimum" in schema)
        return st.integers(low, min(LARGE, high if high is not None else LARGE))
    return st.floats(low, high, exclude_min="exclusiveMinimum" in schema, exclude_max="exclusiveMaximum" in schema,
                     **FINITE)


def outside(schema: dict) -> st.SearchStrategy:
    """Values outside a leaf's declared domain: the wrong type, a non-finite number, beyond a
    bound, not in an enum or pattern, or a list holding such a value."""
    schema = resolve(schema, SCHEMA["$defs"])
    wrong_type = st.sampled_from([[], {}, None]) | st.text(alphabet="xyz", min_size=1).map(lambda s: "x" + s)
    if "enum" in schema:
        return wrong_type | st.text(min_size=1).filter(lambda s: s not in schema["enum"])
    if "oneOf" in schema:  # a number or a list of numbers, both positive
        return st.sampled_from([math.nan, math.inf, -1.0, 0.0, [], [0.0], [math.nan]]) | st.text(min_size=1)
    kind = schema.get("type")
    if kind == "boolean":
        return wrong_type | st.integers()
    if kind == "string":
        if "pattern" in schema:
            return st.text(min_size=1).filter(lambda s: not re.fullmatch(schema["pattern"], s))
        # A name that must exist elsewhere (x-domain): no network or palette is called "zz...".
        unknown = st.text(alphabet="abc", min_size=1).map(lambda s: "zz" + s) if "x-domain" in schema else st.nothing()
        return st.integers() | st.booleans() | st.none() | unknown
    if kind == "array":
        beyond = st.lists(outside(schema["items"]), min_size=1, max_size=3)
        repeated = inside(schema["items"]).map(lambda item: [item, item]) if schema.get("uniqueItems") else beyond
        return (beyond | repeated | (st.just([]) if schema.get("minItems", 0) > 0 else beyond)
                | st.text(min_size=1))
    bounds = [st.sampled_from([math.nan, math.inf, -math.inf]), wrong_type, st.booleans()]
    if "minimum" in schema:
        bounds.append(st.floats(max_value=schema["minimum"], exclude_max=True, **FINITE))
    if "exclusiveMinimum" in schema:
        bounds.append(st.floats(max_value=schema["exclusiveMinimum"], **FINITE))
    if "maximum" in schema:
        bounds.append(st.floats(min_value=schema["maximum"], exclude_min=True, **FINITE))
    if "exclusiveMaximum" in schema:
        bounds.append(st.floats(min_value=schema["exclusiveMaximum"], **FINITE))
    if kind == "integer":
        bounds.append(st.floats(-1e6, 1e6, **FINITE).filter(lambda x: not x.is_integer()))
    return st.one_of(bounds)


def checked(key: str, value):
    config = copy.deepcopy(DEFAULT)
    set_key(config, key, value)
    return validate(config, SCHEMA_PATH)


def refusal(key: str, value) -> str:
    with pytest.raises(ConfigError) as error:
        checked(key, value)
    text = str(error.value)
    assert "\n" not in text, text
    return text


KEYS = st.sampled_from(sorted(LEAVES))
FAST = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.filter_too_much,
                                                                         HealthCheck.too_slow])


def test_every_leaf_key_is_walked():
    assert {"adam.alpha", "networks.over.widths", "quadratic.laws.0.shape", "rates.symmetric_law.name",
            "lyapunov.momenta.0.beta", "figures.palette"} <= set(LEAVES)
    assert len(LEAVES) > 100


@FAST
@given(st.data())
def test_values_outside_a_domain_are_refused_naming_the_key(data):
    key = data.draw(KEYS)
    value = data.draw(outside(LEAVES[key]))
    named = re.match(r"config key '([^']*)'", refusal(key, value)).group(1)
    assert named == key or named.startswith(key + ".") or key.startswith(named + "."), (key, value, named)


@FAST
@given(st.data())
def test_values_inside_a_domain_validate_or_break_a_stated_relation(data):
    key = data.draw(KEYS)
    value = data.draw(inside(LEAVES[key]))
    try:
        checked(key, value)
    except ConfigError as error:
        assert "\n" not in str(error) and str(error).startswith("config key '")


def test_regressions_found_by_fuzzing():
    """A step-size offset n_0 near the smallest float overflowed n / n_0 in the window check and
    raised a RuntimeWarning: the step sizes are then 0, so no flow window fits, and that is the
    one-line refusal."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert refusal("train.n_0", 1e-310).startswith("config key 'flow.horizon'")
        assert refusal("quadratic_flow.n_0", 1e-310).startswith("config key 'quadratic_flow.horizon'")
