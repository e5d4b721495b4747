"""The stages of the pipeline, one record each, and the stage table of a config: every stage
instance with its parameters, the instances it reads and the digest of the code it runs, keyed by
the content key that names its results directory, results/<stage>/<key>/.

A record (``STAGES``) says what a stage writes and how its instances come from the config: this
is the one place where config keys become stage parameters. The workflow makes one rule per
record, and the tests read the same table to find which stages a config key reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .keys import code_digest, stage_key
from .paper import BY_NAME, FIGURES

Upstream = tuple[tuple[str, str, str], ...]  # (name the script reads it by, stage, instance label)


@dataclass(frozen=True)
class Instance:
    """One instance of a stage: its label among the stage's instances (a network's or a figure's
    name, "" where there is one), its parameters, what it reads, and its script where that is not
    named like the stage."""
    label: str
    params: dict
    upstream: Upstream = ()
    script: str | None = None


@dataclass(frozen=True)
class StageRecord:
    name: str
    outputs: tuple[str, ...]  # what it writes into results/<stage>/<key>/ besides provenance.json
    instances: Callable[[dict], list[Instance]] | None  # from the config; None: registered apart (stability)
    # What a job asks a cluster for at its first attempt by default, (mem_mb, runtime in minutes): about
    # 1.5x the peak memory and 10x the time of the default config's jobs. The schema's defaults of the
    # config's resources section are generated from it (make docs); a config with larger sizes sets its own.
    resources: tuple[int, int]


DATA: Upstream = (("data", "data", ""),)


def _each(stage: str, prefix: str, names) -> Upstream:
    """The instances of a per-network stage, read by the names prefix_<network>."""
    return tuple((f"{prefix}_{name}", stage, name) for name in names)


def _estimator(C: dict) -> dict:
    """What the field estimators read; path_points only places the vector_field stage's points."""
    return {k: C["field"][k] for k in ("n_samples", "tol", "control_variate")}


def _conflicting(C: dict) -> dict:
    return {name: net for name, net in C["networks"].items() if net["data"] == "conflicting"}


def _pilot(C: dict) -> Upstream:
    """The pilot of the conflicting-data controls, where the config has conflicting data."""
    return (("control_zeros", "control_zeros", ""),) if _conflicting(C) else ()


def _clean(C: dict) -> list[str]:
    """The networks on clean data (conflicting data is the control of the minimum-set claims)."""
    return [name for name, net in C["networks"].items() if net["data"] == "clean"]


def _data(C):
    return [Instance("", {"seed": C["seed"], **C["data"]})]


def _train(C):
    # What builds its ERM problem (replication.problems), not the overparametrized flag.
    return [Instance(name, {"seed": C["seed"], "network": name, **{k: net[k] for k in ("widths", "activation", "data")},
                            "adam": C["adam"], **C["train"],
                            "windows": {k: C["flow"][k] for k in ("starts", "horizon")}}, DATA)
            for name, net in C["networks"].items()]


def _minima(C):
    return [Instance(name, {"network": name, **net, **C["minima"]}, DATA + (("train", "train", name),))
            for name, net in C["networks"].items()]


def _vector_field(C):
    return [Instance("", {"adam": C["adam"], "field": C["field"], "seed": C["seed"],
                          "batch_size": C["train"]["batch_size"], "networks": C["networks"]},
                     DATA + _each("train", "train", C["networks"]))]


def _control_zeros(C):
    """Where the zeros of f lie beside the minimum set, at each momentum pair's largest M (F4) and
    at the capture runs' setting (F6)."""
    conflicting, L = _conflicting(C), C["lyapunov"]
    if not conflicting:
        return []
    settings = [{**m, "batch_size": max(L["batch_sizes"])} for m in L["momenta"]]
    captured = {"alpha": C["adam"]["alpha"], "beta": C["adam"]["beta"], "batch_size": C["train"]["batch_size"]}
    return [Instance("", {
        "adam": C["adam"], "field": _estimator(C), "seed": C["seed"],
        "networks": {n: {k: net[k] for k in ("widths", "activation", "data")} for n, net in conflicting.items()},
        "train": {k: C["train"][k] for k in ("steps", "batch_size", "gamma_0", "n_0", "rho")},
        "minima": C["minima"], "settings": settings + [captured] * (captured not in settings),
        **C["control_zeros"]}, DATA)]


def _blocks(count: int, size: int) -> list[tuple[int, int]]:
    """[start, stop) of the consecutive blocks of ``size`` that cover ``count`` items."""
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _gather(name: str, shard_stage: str, count: int, size: int) -> Upstream:
    """The upstream of a gather: the blocks of one network, ``shard_0``, ``shard_1``, ... in order."""
    return tuple((f"shard_{k}", shard_stage, f"{name}.{start}") for k, (start, _) in enumerate(_blocks(count, size)))


def _lyapunov_shards(C):
    # One job per network and block of lyapunov.minima_per_job polished points (at most train.seeds,
    # one per training run): the longest stage runs side by side on every core or cluster slot. The
    # overparametrized ones are judged where the pilot says the control can fail.
    L = C["lyapunov"]
    field = {**_estimator(C), "n_samples": L["n_samples"]}
    return [Instance(f"{name}.{start}", {"adam": {"eps": C["adam"]["eps"]},  # alpha and beta: lyapunov.momenta
                                         "field": field, "seed": C["seed"], "network": name, **net,
                                         **{k: v for k, v in L.items() if k not in ("minima_per_job", "n_samples")},
                                         "points": [start, stop]},
                     DATA + (("minima", "minima", name),) + (_pilot(C) if net["overparametrized"] else ()))
            for name, net in C["networks"].items() for start, stop in _blocks(C["train"]["seeds"], L["minima_per_job"])]


def _lyapunov_pl(C):
    # The gather: one table per network from its blocks, whatever their size.
    return [Instance(name, {"network": name},
                     _gather(name, "lyapunov_shard", C["train"]["seeds"], C["lyapunov"]["minima_per_job"]))
            for name in C["networks"]]


def _training_runs(C) -> int:
    return min(C["flow"]["training_runs"], C["train"]["seeds"])


def _flow_shards(C):
    # One job per clean network and block of flow.runs_per_job of the followed training runs; the
    # block of run 0 also runs the step-size sweep.
    F = C["flow"]
    return [Instance(f"{name}.{start}", {"adam": C["adam"], "field": _estimator(C), "seed": C["seed"],
                                         "batch_size": C["train"]["batch_size"], "network": name,
                                         **C["networks"][name],
                                         **{k: v for k, v in F.items() if k not in ("runs_per_job", "training_runs")},
                                         "runs": [start, stop]}, DATA + (("train", "train", name),))
            for name in _clean(C) for start, stop in _blocks(_training_runs(C), F["runs_per_job"])]


def _flow(C):
    # The gather: one table per clean network from its blocks, whatever their size.
    return [Instance(name, {"network": name}, _gather(name, "flow_shard", _training_runs(C), C["flow"]["runs_per_job"]))
            for name in _clean(C)]


def _quadratic_zeros(C):
    # The quadratic stages take their betas from their own sections.
    Q = C["quadratic"]
    return [Instance("", {"adam": {k: C["adam"][k] for k in ("alpha", "eps")},
                          "field": {k: C["field"][k] for k in ("tol", "control_variate")}, "seed": C["seed"],
                          **{k: Q[k] for k in ("laws", "betas", "zero_seeds", "zero_samples")}})]


def _quadratic_adam(C):
    Q = C["quadratic"]
    return [Instance("", {"adam": {k: C["adam"][k] for k in ("alpha", "eps")}, "seed": C["seed"],
                          **{k: Q[k] for k in ("laws", "betas", "adam_seeds", "steps", "gamma_0", "n_0", "rho",
                                               "final_window")}})]


def _quadratic_flow(C):
    return [Instance("", {"adam": C["adam"], "field": {"tol": C["field"]["tol"]}, "seed": C["seed"],
                          **C["quadratic_flow"]})]


def _quadratic_rates(C):
    # adam.beta: the stationary spread's runs; the zero shifts take their betas from `rates`.
    return [Instance("", {"adam": C["adam"], "field": {k: C["field"][k] for k in ("tol", "control_variate")},
                          "seed": C["seed"], **C["rates"]})]


def _gamma_limit(C):
    G = C["gamma_limit"]
    return [Instance("", {"adam": C["adam"], "seed": C["seed"], "field": {"tol": C["field"]["tol"]},
                          "data": {k: C["data"][k] for k in ("n", "input_dim", "target")}, **G,
                          "network": {k: C["networks"][G["network"]][k] for k in ("widths", "activation")}})]


def _capture(C):
    # One job per network: each starts where its own Lyapunov map says, as soon as that is gathered.
    return [Instance(name, {"adam": C["adam"], "seed": C["seed"], "network": name, **net,
                            "batch_size": C["train"]["batch_size"], **C["capture"]},
                     DATA + (("lyapunov", "lyapunov_pl", name), ("minima", "minima", name)))
            for name, net in C["networks"].items()]


def _width_sweep(C):
    return [Instance("", {"adam": C["adam"], "seed": C["seed"], "input_dim": C["data"]["input_dim"],
                          "batch_size": C["train"]["batch_size"], **C["width_sweep"]}, DATA)]


def _figure_inputs(C) -> dict[str, Upstream]:
    """What each figure draws from."""
    lyapunov = _each("lyapunov_pl", "lyapunov", C["networks"])
    return {"F1_flow": _each("flow", "flow", _clean(C)) + (("quadratic", "quadratic_flow", ""),),
            "F2_zeros": (("zeros", "quadratic_zeros", ""), ("adam", "quadratic_adam", "")),
            "F3_field_path": (("field", "vector_field", ""), ("gamma_limit", "gamma_limit", "")),
            "F4_lyapunov": lyapunov,
            "F5_pl": lyapunov,
            "F6_capture": _each("capture", "capture", C["networks"]) + (("widths", "width_sweep", ""),) + _pilot(C),
            "F7_rates": (("rates", "quadratic_rates", ""),)}


def _figures(C):
    # Thresholds a figure draws (declared once, in the claims section).
    drawn = {"F5_pl": {"batch_size": C["train"]["batch_size"]},
             "F6_capture": {k: C["claims"][k] for k in ("converged_loss", "capture_level_fraction")}}
    inputs = _figure_inputs(C)
    return [Instance(figure.name, {"figure": figure.name, **C["figures"], **drawn.get(figure.name, {})},
                     inputs[figure.name], BY_NAME[figure.name].script) for figure in FIGURES]


def _claims(C):
    return [Instance("", {
        "claims": C["claims"],
        # Which networks are claims and which are controls (claims.network_controls).
        "networks": {n: {k: net[k] for k in ("data", "overparametrized")} for n, net in C["networks"].items()},
        "batch_size": C["train"]["batch_size"], "gamma_limit_network": C["gamma_limit"]["network"]},
        (("zeros", "quadratic_zeros", ""), ("adam", "quadratic_adam", ""), ("gamma_limit", "gamma_limit", ""),
         ("quadratic_flow", "quadratic_flow", ""), ("rates", "quadratic_rates", ""))
        + _pilot(C) + _each("capture", "capture", C["networks"]) + _each("flow", "flow", _clean(C))
        + _each("lyapunov_pl", "lyapunov", C["networks"]) + _each("train", "train", C["networks"]))]


# In an order in which every stage comes after the stages it reads.
STAGES = {record.name: record for record in (
    StageRecord("data", ("dataset.npz",), _data, (350, 10)),
    StageRecord("train", ("trajectories.npz",), _train, (450, 10)),
    StageRecord("minima", ("minima.npz",), _minima, (450, 10)),
    StageRecord("vector_field", ("field_path.csv",), _vector_field, (500, 10)),
    StageRecord("control_zeros", ("zeros.csv",), _control_zeros, (500, 10)),
    StageRecord("lyapunov_shard", ("lyapunov_pl.csv",), _lyapunov_shards, (650, 15)),
    StageRecord("lyapunov_pl", ("lyapunov_pl.csv",), _lyapunov_pl, (250, 10)),
    StageRecord("flow_shard", ("deviation.csv",), _flow_shards, (500, 50)),
    StageRecord("flow", ("deviation.csv",), _flow, (250, 10)),
    StageRecord("quadratic_zeros", ("zeros.csv",), _quadratic_zeros, (450, 10)),
    StageRecord("quadratic_adam", ("limits.csv",), _quadratic_adam, (600, 10)),
    StageRecord("quadratic_flow", ("deviation.csv", "paths.npz"), _quadratic_flow, (1300, 10)),
    StageRecord("quadratic_rates", ("rates.csv",), _quadratic_rates, (550, 10)),
    StageRecord("gamma_limit", ("positions.csv",), _gamma_limit, (1050, 20)),
    StageRecord("capture", ("capture.csv",), _capture, (500, 10)),
    StageRecord("width_sweep", ("widths.csv",), _width_sweep, (450, 20)),
    StageRecord("figures", (), _figures, (550, 10)),  # each figure's rule writes <figure>.pdf and .png
    # The dashboards: the claims at the config's root seed, and their agreement across root seeds
    # (`make stability`), each in the report with its caption.
    StageRecord("claims", ("claims.csv", "claims.md", "excluded.csv"), _claims, (250, 10)),
    StageRecord("stability", ("claims.csv", "claims.md"), None, (250, 10)),
)}


class StageTable:
    """stage -> key -> spec (stage, key, params, upstream directories, code digest, directory)."""

    def __init__(self, root: Path, results: str = "results"):
        self.root, self.results = Path(root), results
        self.specs: dict[str, dict[str, dict]] = {}
        self._code: dict[str, str] = {}

    def code_of(self, script: str) -> str:
        if script not in self._code:
            self._code[script] = code_digest(self.root / "scripts" / f"{script}.py", self.root / "src", self.root)
        return self._code[script]

    def add(self, stage: str, params: dict, upstream=(), code: str | None = None) -> str:
        """Register one instance of a stage and return its key. upstream: (name, stage, key)
        triples of the instances it reads; code: its script, if not named like the stage."""
        up = {name: f"{up_stage}/{up_key}" for name, up_stage, up_key in upstream}
        digest = self.code_of(code or stage)
        key = stage_key(params, up, digest)
        self.specs.setdefault(stage, {})[key] = {
            "stage": stage,
            "key": key,
            "params": params,
            "upstream": {name: f"{self.results}/{path}" for name, path in up.items()},
            "code": digest,
            "directory": f"{self.results}/{stage}/{key}",
        }
        return key

    def register(self, C: dict) -> dict:
        """Register every stage instance of config C; return its stage keys, figure keys and claims key."""
        keys: dict[str, dict[str, str]] = {}
        for record in STAGES.values():
            if record.instances is None:
                continue
            keys[record.name] = {
                instance.label: self.add(record.name, instance.params,
                                         [(name, stage, keys[stage][label]) for name, stage, label in instance.upstream],
                                         instance.script)
                for instance in record.instances(C)}
        return {"stages": [(stage, key) for stage, instances in keys.items() for key in instances.values()],
                "figures": keys["figures"], "claims": keys["claims"][""]}

    def register_stability(self, C: dict) -> str:
        """The claims at root seeds seed, seed + 1, ... (`make stability`): the key of the stage
        that compares them."""
        seeds = [C["seed"] + k for k in range(C["stability"]["replicates"])]
        claims = [self.register({**C, "seed": seed})["claims"] for seed in seeds]
        return self.add("stability", {"root_seeds": seeds}, [(f"claims_{k}", "claims", key) for k, key in enumerate(claims)])
