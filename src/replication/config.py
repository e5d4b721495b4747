"""Config validation: the JSON schema first, then the conditions that span several keys.

Errors are one readable line naming the key and the violated condition.
"""

from __future__ import annotations

import copy
import functools
import math

import jsonschema
import numpy as np
import yaml

from adam_ode.schedule import polynomial_schedule, training_times, window_end


class ConfigError(ValueError):
    pass


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _path_value(config, path):
    for key in path:
        config = config[key]
    return config


def _filling_defaults(validator_class):
    """A validator that also inserts the schema's defaults for missing keys (in place)."""
    check_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if isinstance(instance, dict):
            for name, sub in props.items():
                if isinstance(sub, dict) and "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from check_properties(validator, props, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties})


_Validator = _filling_defaults(jsonschema.Draft202012Validator)


@functools.lru_cache(maxsize=None)
def _validator(schema_path: str):
    with open(schema_path) as handle:
        return _Validator(yaml.safe_load(handle))


def _non_finite(node, path=()):
    """The path of the first number that is nan or +-inf (YAML's .nan, .inf), or None."""
    if isinstance(node, float) and not math.isfinite(node):
        return path
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        found = _non_finite(child, path + (key,))
        if found is not None:
            return found
    return None


def validate(config: dict, schema_path, *, palette: bool = True) -> dict:
    """Fill in defaults, check the schema and the cross-field conditions; returns ``config``.
    ``palette=False`` skips asking seaborn about figures.palette (importing it takes about a second)."""
    # No key of the pipeline takes nan or an infinity, and range checks let both through.
    where = _non_finite(config)
    if where is not None:
        raise ConfigError(f"config key '{_where(where)}': must be a finite number, got {_path_value(config, where)}")
    validator = _validator(str(schema_path))
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        error = errors[0]
        message = error.message
        if error.validator == "not" and list(error.validator_value) == ["required"]:  # e.g. a law that takes no shape
            message = f"must not set {', '.join(map(repr, error.validator_value['required']))} here"
        elif error.validator == "uniqueItems":  # a slope or an extrapolation needs distinct points
            message = f"{error.instance} repeats a value: every point of a sweep must be distinct"
        raise ConfigError(f"config key '{_where(error.absolute_path)}': {message}")
    _cross_checks(config)
    if palette:
        _check_style(config["figures"], validator.schema["properties"]["figures"]["properties"]["palette"]["default"])
    return config


def overlaid(base: dict, overlay: dict) -> dict:
    """``base`` updated by ``overlay`` as Snakemake updates a config by a later --configfile: key by
    key, nested mappings merged, anything else replaced."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = overlaid(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def _cross_checks(c: dict) -> None:
    a, b = c["adam"]["alpha"], c["adam"]["beta"]
    if not a < math.sqrt(b):
        raise ConfigError(f"config key 'adam.alpha': {a} must be < sqrt(adam.beta) = {math.sqrt(b):.6g}")
    momenta = [(m["alpha"], m["beta"]) for m in c["lyapunov"]["momenta"]]
    if (a, b) not in momenta:
        raise ConfigError(f"config key 'lyapunov.momenta': must contain (adam.alpha, adam.beta) = ({a}, {b}) (the "
                          "capture runs start inside the neighbourhood measured there)")
    if len(set(momenta)) < len(momenta):
        raise ConfigError(f"config key 'lyapunov.momenta': pairs must be distinct, got {momenta}")
    for alpha, beta in momenta:
        if not alpha < math.sqrt(beta):
            raise ConfigError(f"config key 'lyapunov.momenta': alpha={alpha} must be < sqrt(beta) = "
                              f"{math.sqrt(beta):.6g} for beta={beta}")
    for key, betas in (("quadratic.betas", c["quadratic"]["betas"]), ("rates.betas", c["rates"]["betas"]),
                       ("rates.batch_size_beta", [c["rates"]["batch_size_beta"]])):
        for beta in betas:
            if not a < math.sqrt(beta):
                raise ConfigError(f"config key '{key}': adam.alpha={a} must be < sqrt(beta) for beta={beta}")
    n = c["data"]["n"]
    for key, sizes in (("train.batch_size", [c["train"]["batch_size"]]), ("lyapunov.batch_sizes", c["lyapunov"]["batch_sizes"])):
        if any(m > n for m in sizes):
            raise ConfigError(f"config key '{key}': mini-batch sizes must be <= data.n = {n}, got {sizes}")
    if c["train"]["batch_size"] not in c["lyapunov"]["batch_sizes"]:
        raise ConfigError(f"config key 'lyapunov.batch_sizes': must contain train.batch_size = "
                          f"{c['train']['batch_size']} (the capture runs start inside the neighbourhood measured there)")
    for name, net in c["networks"].items():
        if net["widths"][0] != c["data"]["input_dim"] or net["widths"][-1] != 1:
            raise ConfigError(
                f"config key 'networks.{name}.widths': must start with data.input_dim = "
                f"{c['data']['input_dim']} and end with 1, got {net['widths']}")
        # Interpolating N points imposes N equations on the d parameters: generically d >= N.
        d = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(net["widths"], net["widths"][1:]))
        if net["overparametrized"] != (d >= c["data"]["n"]):
            raise ConfigError(
                f"config key 'networks.{name}.overparametrized': must be {str(d >= c['data']['n']).lower()}: the "
                f"network has d = {d} parameters and data.n = {c['data']['n']} points (overparametrized means d >= N)")
    if not any(net["overparametrized"] and net["data"] == "clean" for net in c["networks"].values()):
        raise ConfigError("config key 'networks': at least one network must be overparametrized on clean data")
    g = c["gamma_limit"]
    if g["network"] not in c["networks"]:
        raise ConfigError(f"config key 'gamma_limit.network': {g['network']!r} is not a network of 'networks' "
                          f"({sorted(c['networks'])})")
    if c["networks"][g["network"]]["overparametrized"]:
        raise ConfigError(f"config key 'gamma_limit.network': {g['network']!r} must be underparametrized "
                          "(its critical points have F > 0)")
    if g["batch_size"] > n:
        raise ConfigError(f"config key 'gamma_limit.batch_size': must be <= data.n = {n}, got {g['batch_size']}")
    gamma_0 = c["train"]["gamma_0"]
    if isinstance(gamma_0, list) and len(gamma_0) != c["train"]["seeds"]:
        raise ConfigError(f"config key 'train.gamma_0': a list needs one value per seed "
                          f"(train.seeds = {c['train']['seeds']}), got {len(gamma_0)}")
    if any(s > c["train"]["steps"] for s in c["flow"]["starts"]):
        raise ConfigError(f"config key 'flow.starts': starts must be <= train.steps = {c['train']['steps']}")
    q = c["quadratic_flow"]
    if any(s > q["steps"] for s in q["starts"]):
        raise ConfigError(f"config key 'quadratic_flow.starts': starts must be <= quadratic_flow.steps = {q['steps']}")
    _check_runs(c)


def _check_runs(c: dict) -> None:
    """Recording grids no finer than the steps, and every flow window inside its run (the train
    and quadratic_flow stages record [t_n, t_n + T] step by step)."""
    for section in ("train", "capture", "width_sweep"):
        s = c[section]
        if s["record_points"] > s["steps"] + 1:
            raise ConfigError(f"config key '{section}.record_points': must be <= {section}.steps + 1 = "
                              f"{s['steps'] + 1} (one recorded point per step at most), got {s['record_points']}")
    t = c["train"]
    with np.errstate(over="ignore"):  # a tiny n_0 overflows n / n_0: the step size is then 0, a legal limit
        times = training_times(polynomial_schedule(t["gamma_0"], t["n_0"], t["rho"]), t["steps"]).reshape(t["steps"] + 1, -1)
    try:
        for run in times.T:
            for n in c["flow"]["starts"]:
                window_end(run, n, c["flow"]["horizon"])
    except ValueError as error:
        raise ConfigError(f"config key 'flow.horizon': {error} of training (train.steps = {t['steps']})") from None
    q = c["quadratic_flow"]
    with np.errstate(over="ignore"):
        times = training_times(polynomial_schedule(np.array([q["gamma_0"], *q["sweep_gamma_0"]]), q["n_0"], q["rho"]),
                               q["steps"])
    try:
        for n in q["starts"]:
            window_end(times[:, 0], n, q["horizon"])
    except ValueError as error:
        raise ConfigError(f"config key 'quadratic_flow.horizon': {error} (quadratic_flow.steps = {q['steps']})") from None
    for r, gamma_0 in enumerate(q["sweep_gamma_0"], start=1):
        try:
            window_end(times[:, r], min(int(np.searchsorted(times[:, r], q["sweep_time"])), q["steps"]), q["horizon"])
        except ValueError as error:
            raise ConfigError(f"config key 'quadratic_flow.sweep_time': at gamma_0 = {gamma_0:g}, {error} "
                              f"(quadratic_flow.steps = {q['steps']})") from None


def _check_style(figures: dict, default: str) -> None:
    # Importing seaborn adds about a second to every Snakemake start; the tests check the default palette.
    if figures["palette"] == default:
        return
    import seaborn  # what seaborn accepts is what it knows, not a list kept here

    try:
        seaborn.color_palette(figures["palette"])
    except ValueError:
        raise ConfigError(f"config key 'figures.palette': {figures['palette']!r} is not a palette seaborn knows") from None
