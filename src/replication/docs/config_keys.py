"""config/README.md's key table, generated: each key's meaning and domain from the schema, its
default, and the stages that read it from the stage table (``python -m replication.docs``).

A stage reads a key when changing the key changes that stage's parameters; a change then
reruns those stages and everything downstream of them (content keys include upstream keys).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import yaml

from ..config import validate
from ..stages import STAGES, StageTable
from .blocks import fill

ROOT = Path(__file__).resolve().parents[3]
SCHEMA_PATH = ROOT / "workflow" / "schemas" / "config.schema.yaml"
README = ROOT / "config" / "README.md"
START, END = "<!-- keys:start -->", "<!-- keys:end -->"
RESOURCES_START = "      # stage-resources:start (generated from the stage records in src/replication/stages.py: make docs)"
RESOURCES_END = "      # stage-resources:end"
NAME = "<name>"  # a placeholder for the names of `networks`


def _schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def resolve(schema: dict, defs: dict) -> dict:
    """The schema with its $ref and allOf parts merged (later parts narrow earlier ones)."""
    if "$ref" in schema:
        schema = {**defs[schema["$ref"].rsplit("/", 1)[1]], **{k: v for k, v in schema.items() if k != "$ref"}}
    for part in schema.get("allOf", []):
        part = resolve(part, defs)
        if "properties" in part:
            merged = dict(schema.get("properties", {}))
            for name, sub in part["properties"].items():
                merged[name] = {**resolve(merged.get(name, {}), defs), **sub}
            schema = {**schema, "properties": merged}
    return schema


def _is_law(schema: dict) -> bool:
    return {"name", "mean", "scale"} <= set(schema.get("properties", {})) or "allOf" in schema


def documented_keys(schema: dict, defs: dict, path=()):
    """(dotted key, schema) for every key a user sets: the leaves of the schema, where a list, a
    noise law or a stage's cluster resources counts as one key."""
    if schema.get("$ref") == "#/$defs/resources":
        yield ".".join(path), schema
        return
    schema = resolve(schema, defs)
    extra = schema.get("additionalProperties")
    if "properties" in schema and not _is_law(schema):
        for name, sub in schema["properties"].items():
            yield from documented_keys(sub, defs, (*path, name))
    elif isinstance(extra, dict):
        yield from documented_keys(extra, defs, (*path, NAME))
    else:
        yield ".".join(path), schema


def _bound(schema: dict) -> str:
    low = (f"> {schema['exclusiveMinimum']:g}" if "exclusiveMinimum" in schema
           else f">= {schema['minimum']:g}" if "minimum" in schema else "")
    high = (f"< {schema['exclusiveMaximum']:g}" if "exclusiveMaximum" in schema
            else f"<= {schema['maximum']:g}" if "maximum" in schema else "")
    return ", ".join(b for b in (low, high) if b)


def domain(schema: dict, defs: dict) -> str:
    """A key's domain in words, read from its schema (non-finite numbers are never allowed)."""
    schema = resolve(schema, defs)
    if _is_law(schema):
        # A law narrowed to some names (allOf: the law, then a name enum).
        names = [part["properties"]["name"]["enum"] for part in schema.get("allOf", [])
                 if "enum" in part.get("properties", {}).get("name", {})]
        return "a noise law (name, mean, scale; shape: the probability p of two_point, sigma of lognormal)" + (
            ": " + " or ".join(names[-1]) if names else "")
    if "x-domain" in schema:
        return schema["x-domain"]
    if schema.get("type") == "object":
        return "{" + ", ".join(f"{k}: {domain(v, defs)}" for k, v in schema["properties"].items()) + "}"
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    if "oneOf" in schema:
        return " or ".join(domain(option, defs) for option in schema["oneOf"])
    kind = schema.get("type")
    if kind == "array":
        items = resolve(schema["items"], defs)
        inner = ("{" + ", ".join(f"{k}: {domain(v, defs)}" for k, v in items["properties"].items()) + "}"
                 if "properties" in items and "name" not in items["properties"] else domain(items, defs))
        return (f"list of {inner}" + (f", at least {schema['minItems']}" if schema.get("minItems") else "")
                + (", distinct" if schema.get("uniqueItems") else ""))
    if kind == "string":
        return f"a name matching {schema['pattern']}" if "pattern" in schema else "a string"
    bound = _bound(schema)
    return {"integer": "integer", "boolean": "true or false"}.get(kind, "number") + (f" {bound}" if bound else "")


def _get(config: dict, key: str):
    node = config
    for part in key.split("."):
        node = node[next(iter(node)) if part == NAME else part]
    return node


def _set(config: dict, key: str, value) -> None:
    *parents, last = key.split(".")
    node = _get(config, ".".join(parents)) if parents else config
    node[next(iter(node)) if last == NAME else last] = value


def _changed(value, schema: dict, config: dict):
    """Another value of the key (valid or not: the stage table does not validate)."""
    if schema.get("x-domain") == "a name in networks":
        return next(name for name in config["networks"] if name != value)
    if "enum" in schema:
        return next(option for option in schema["enum"] if option != value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value - 1 if value > 1 else value + 1  # down: a cap such as flow.training_runs binds only there
    if isinstance(value, float):
        return value * 1.5 + 1e-3
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [_changed(value[0], {}, config), *value[1:]] if value else [1]
    if isinstance(value, dict):
        key = next(k for k, v in value.items() if isinstance(v, (int, float)) and not isinstance(v, bool))
        return {**value, key: _changed(value[key], {}, config)}
    raise TypeError(f"cannot change {value!r}")


def _instances(table: StageTable, config: dict) -> dict[str, dict[str, str]]:
    """stage -> key -> canonical JSON of the parameters, for every stage instance of a config."""
    registered = table.register(config)["stages"] + [("stability", table.register_stability(config))]
    instances: dict[str, dict[str, str]] = {}
    for stage, key in registered:
        instances.setdefault(stage, {})[key] = json.dumps(table.specs[stage][key]["params"], sort_keys=True)
    return instances


def compare(config: dict, changed: dict, table: StageTable | None = None) -> tuple[list[str], list[str]]:
    """(The stages whose parameters differ between two configs; the stages whose keys differ,
    which a change from one to the other reruns: the former and everything downstream.)"""
    table = table or StageTable(ROOT)
    before, after = _instances(table, config), _instances(table, changed)
    stages = sorted(before.keys() | after.keys())
    return ([s for s in stages if sorted(before.get(s, {}).values()) != sorted(after.get(s, {}).values())],
            [s for s in stages if set(before.get(s, {})) != set(after.get(s, {}))])


def effects(config: dict | None = None) -> dict[str, tuple[list[str], list[str]]]:
    """Documented key -> ``compare`` of the config and the config with that key changed."""
    schema = _schema()
    config = validate(copy.deepcopy(config or yaml.safe_load((ROOT / "config" / "config.yaml").read_text())),
                      SCHEMA_PATH)
    table = StageTable(ROOT)
    found = {}
    for key, sub in documented_keys(schema, schema["$defs"]):
        changed = copy.deepcopy(config)
        _set(changed, key, _changed(_get(config, key), resolve(sub, schema["$defs"]), config))
        found[key] = compare(config, changed, table)
    return found


def key_table() -> str:
    schema = _schema()
    defaults = validate({}, SCHEMA_PATH)
    read = {key: readers for key, (readers, _) in effects().items()}
    lines = ["| key | meaning | domain | default | read by |", "|---|---|---|---|---|"]
    for key, sub in documented_keys(schema, schema["$defs"]):
        resolved = resolve(sub, schema["$defs"])
        meaning = (sub.get("description") or resolved.get("description", "")).replace("|", "\\|")
        default = json.dumps(_get(defaults, key)) if key != "networks" else ""
        stages = ", ".join(read[key]) or ("none (what its jobs ask a cluster for)" if key.startswith("resources.")
                                          else "none (it names the view `results/current/<name>/`)")
        lines.append(f"| `{key}` | {meaning} | {domain(sub, schema['$defs'])} | `{default}` | {stages} |"
                     .replace("\n", " "))
    return "\n".join(lines)


def refresh(readme: Path = README) -> None:
    fill(readme, {(START, END): key_table()})


def resources_block() -> str:
    """The defaults of the schema's resources section: one entry per stage record."""
    def job(name):
        return "a figure job" if name == "figures" else f"a `{name}` job"

    return "\n".join(f'      {name}: {{$ref: "#/$defs/resources", default: {{mem_mb: {mem_mb}, runtime: {runtime}}}, '
                     f'description: "Memory (MB) and wall time (minutes) of {job(name)}."}}'
                     for name, (mem_mb, runtime) in ((r.name, r.resources) for r in STAGES.values()))


def refresh_schema(path: Path = SCHEMA_PATH) -> None:
    fill(path, {(RESOURCES_START, RESOURCES_END): resources_block()})
