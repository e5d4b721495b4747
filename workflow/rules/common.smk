# Stage keys. Every stage instance writes to results/<stage>/<key>/, where the key hashes
# its validated parameters, the keys of the stages it reads and the code it runs.
import os
import sys
from pathlib import Path

ROOT = Path(workflow.basedir)
sys.path.insert(0, str(ROOT / "src"))

import pandas as pd

from replication.config import ConfigError, validate
from replication.dashboard import summary
from replication.keys import code_digest, stage_key
from replication.paper import BY_NAME as PAPER, FIGURES as PAPER_FIGURES
from replication.view import refresh_view
from replication.workdir import require_writable

try:
    validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
except ConfigError as error:
    sys.exit(f"Invalid configuration: {error}")

RESULTS = "results"
try:
    require_writable(RESULTS)
except OSError as error:
    sys.exit(f"Cannot run: {error}")
STAGES = {}  # stage -> key -> spec passed to its script
_CODE = {}


def script_path(name):
    return str(ROOT / "scripts" / f"{name}.py")


def code_of(name):
    if name not in _CODE:
        _CODE[name] = code_digest(Path(script_path(name)), ROOT / "src", ROOT)
    return _CODE[name]


def add_stage(stage, params, upstream=(), code=None):
    """Register one instance of a stage and return its key.

    upstream: (name, stage, key) triples of the instances it reads.
    """
    up = {name: f"{up_stage}/{up_key}" for name, up_stage, up_key in upstream}
    digest = code_of(code or stage)
    key = stage_key(params, up, digest)
    STAGES.setdefault(stage, {})[key] = {
        "stage": stage,
        "key": key,
        "params": params,
        "upstream": {name: f"{RESULTS}/{path}" for name, path in up.items()},
        "code": digest,
        "directory": f"{RESULTS}/{stage}/{key}",
    }
    return key


def stage_spec(stage):
    return lambda wildcards: STAGES[stage][wildcards.key]


def upstream_provenance(stage):
    """Input function: the provenance.json of every upstream instance."""
    return lambda wildcards: {
        name: f"{path}/provenance.json"
        for name, path in STAGES[stage][wildcards.key]["upstream"].items()
    }


def out(stage, *files):
    return [f"{RESULTS}/{stage}/{{key}}/{f}" for f in files] + [
        f"{RESULTS}/{stage}/{{key}}/provenance.json"
    ]


def per_attempt(amount):
    """mem_mb or runtime of a job: the size measured on the default run, times the attempt,
    so a job killed for memory or time is retried with more (the profiles set retries).
    """
    return lambda wildcards, attempt: amount * attempt


def log_of(stage):
    return f"{RESULTS}/logs/{stage}/{{key}}.log"


def benchmark_of(stage):
    return f"{RESULTS}/benchmarks/{stage}/{{key}}.tsv"


wildcard_constraints:
    key="[0-9a-f]{12}",


def register_pipeline(C):
    """Register every stage instance of config C; return its stage keys, figure keys and claims key."""
    registered = []

    def add(stage, params, upstream=(), code=None):
        registered.append((stage, key := add_stage(stage, params, upstream, code)))
        return key

    ADAM = C["adam"]
    FIELD = C["field"]

    DATA = add("data", {"seed": C["seed"], **C["data"]})

    TRAIN, MINIMA = {}, {}
    for net_name, net in C["networks"].items():
        TRAIN[net_name] = add(
            "train",
            {
                "seed": C["seed"],
                "network": net_name,
                **net,
                "adam": ADAM,
                **C["train"],
                "windows": {k: C["flow"][k] for k in ("starts", "horizon")},
            },
            [("data", "data", DATA)],
        )
        MINIMA[net_name] = add(
            "minima",
            {"network": net_name, **net, **C["minima"]},
            [("data", "data", DATA), ("train", "train", TRAIN[net_name])],
        )

    _trained = [(f"train_{n}", "train", k) for n, k in TRAIN.items()]
    _minima = [(f"minima_{n}", "minima", k) for n, k in MINIMA.items()]
    FIELD_PATH = add(
        "vector_field",
        {
            "adam": ADAM,
            "field": FIELD,
            "seed": C["seed"],
            "batch_size": C["train"]["batch_size"],
            "networks": C["networks"],
        },
        [("data", "data", DATA)] + _trained,
    )
    LYAPUNOV = add(
        "lyapunov_pl",
        {
            "adam": {"eps": ADAM["eps"]},  # alpha and beta: lyapunov.momenta
            "field": FIELD,
            "seed": C["seed"],
            "networks": C["networks"],
            **C["lyapunov"],
        },
        [("data", "data", DATA)] + _minima,
    )
    # One flow job per network on clean data (the conflicting-label data set is the control of
    # the minimum-set claims F4 and F6): the flow integrations are the longest stage.
    FLOW = {
        net_name: add(
            "flow",
            {
                "adam": ADAM,
                "field": FIELD,
                "seed": C["seed"],
                "batch_size": C["train"]["batch_size"],
                "network": net_name,
                **net,
                **C["flow"],
            },
            [("data", "data", DATA), ("train", "train", TRAIN[net_name])],
        )
        for net_name, net in C["networks"].items()
        if net["data"] == "clean"
    }
    _flows = [(f"flow_{n}", "flow", k) for n, k in FLOW.items()]
    Q = C["quadratic"]
    # The quadratic stages take their betas from the quadratic section and no estimator options.
    ADAM_NO_BETA = {k: ADAM[k] for k in ("alpha", "eps")}
    QUAD_ZEROS = add(
        "quadratic_zeros",
        {
            "adam": ADAM_NO_BETA,
            "field": {"tol": FIELD["tol"]},
            "seed": C["seed"],
            "laws": Q["laws"],
            "betas": Q["betas"],
            "seeds": Q["zero_seeds"],
            "n_samples": Q["zero_samples"],
        },
    )
    QUAD_ADAM = add(
        "quadratic_adam",
        {
            "adam": ADAM_NO_BETA,
            "seed": C["seed"],
            **{
                k: Q[k]
                for k in (
                    "laws",
                    "betas",
                    "adam_seeds",
                    "steps",
                    "gamma_0",
                    "n_0",
                    "rho",
                    "final_window",
                )
            },
        },
    )

    QUAD_FLOW = add(
        "quadratic_flow",
        {"adam": ADAM, "field": {"tol": FIELD["tol"]}, "seed": C["seed"], **C["quadratic_flow"]},
    )
    RATES = add(
        "quadratic_rates",
        {"adam": ADAM, "field": {"tol": FIELD["tol"]}, "seed": C["seed"], **C["rates"]},
    )
    G = C["gamma_limit"]
    GAMMA_LIMIT = add(
        "gamma_limit",
        {
            "adam": ADAM,
            "seed": C["seed"],
            "tol": FIELD["tol"],
            "data": {k: C["data"][k] for k in ("n", "input_dim", "target")},
            **G,
            "network": {
                k: C["networks"][G["network"]][k] for k in ("widths", "activation")
            },
        },
    )
    CAPTURE = add(
        "capture",
        {
            "adam": ADAM,
            "seed": C["seed"],
            "networks": C["networks"],
            "batch_size": C["train"]["batch_size"],
            **C["capture"],
        },
        [("data", "data", DATA), ("lyapunov", "lyapunov_pl", LYAPUNOV)] + _minima,
    )
    WIDTHS = add(
        "width_sweep",
        {
            "adam": ADAM,
            "seed": C["seed"],
            "input_dim": C["data"]["input_dim"],
            "batch_size": C["train"]["batch_size"],
            **C["width_sweep"],
        },
        [("data", "data", DATA)],
    )

    # What each figure draws from; each figure has its own script and key.
    FIGURE_INPUTS = {
        "F1_flow": _flows + [("quadratic", "quadratic_flow", QUAD_FLOW)],
        "F2_zeros": [
            ("zeros", "quadratic_zeros", QUAD_ZEROS),
            ("adam", "quadratic_adam", QUAD_ADAM),
        ],
        "F3_field_path": [
            ("field", "vector_field", FIELD_PATH),
            ("gamma_limit", "gamma_limit", GAMMA_LIMIT),
        ],
        "F4_lyapunov": [("lyapunov", "lyapunov_pl", LYAPUNOV)],
        "F5_pl": [("lyapunov", "lyapunov_pl", LYAPUNOV)],
        "F6_capture": [
            ("capture", "capture", CAPTURE),
            ("widths", "width_sweep", WIDTHS),
        ],
        "F7_rates": [("rates", "quadratic_rates", RATES)],
    }
    # Thresholds a figure draws (declared once, in the claims section).
    FIGURE_PARAMS = {
        "F5_pl": {"batch_size": C["train"]["batch_size"]},
        "F6_capture": {"converged_loss": C["claims"]["converged_loss"]},
    }
    FIGURES = {
        name: add(
            "figures",
            {"figure": name, **C["figures"], **FIGURE_PARAMS.get(name, {})},
            inputs,
            code=PAPER[name].script,
        )
        for name, inputs in FIGURE_INPUTS.items()
    }
    CLAIMS = add(
        "claims",
        {
            "claims": C["claims"],
            "networks": C["networks"],
            "batch_size": C["train"]["batch_size"],
            "gamma_limit_network": G["network"],
        },
        [
            ("zeros", "quadratic_zeros", QUAD_ZEROS),
            ("adam", "quadratic_adam", QUAD_ADAM),
            ("gamma_limit", "gamma_limit", GAMMA_LIMIT),
            ("lyapunov", "lyapunov_pl", LYAPUNOV),
            ("quadratic_flow", "quadratic_flow", QUAD_FLOW),
            ("capture", "capture", CAPTURE),
            ("widths", "width_sweep", WIDTHS),
            ("rates", "quadratic_rates", RATES),
        ]
        + _flows
        + _trained,
    )
    return {"stages": registered, "figures": FIGURES, "claims": CLAIMS}


C = config
PIPELINE = register_pipeline(C)
FIGURES, CLAIMS = PIPELINE["figures"], PIPELINE["claims"]
# make stability: the claims at root seeds seed, seed + 1, ...; only the claims differ per seed.
REPLICATES = [
    register_pipeline({**C, "seed": C["seed"] + k})["claims"]
    for k in range(C["stability"]["replicates"])
]
STABILITY = add_stage(
    "stability",
    {"root_seeds": [C["seed"] + k for k in range(C["stability"]["replicates"])]},
    [(f"claims_{k}", "claims", key) for k, key in enumerate(REPLICATES)],
)


def stage_files():
    """Every computing stage's provenance: `all` keeps each key directory of this config present."""
    return [
        f"{RESULTS}/{stage}/{key}/provenance.json"
        for stage, key in PIPELINE["stages"]
        if stage not in ("figures", "claims")
    ]


def figure_files():
    return [
        f"{RESULTS}/figures/{key}/{name}.{ext}"
        for name, key in FIGURES.items()
        for ext in ("pdf", "png")
    ]


def claims_files():
    return [f"{RESULTS}/claims/{CLAIMS}/claims.{ext}" for ext in ("csv", "md")]


def stability_files():
    return [f"{RESULTS}/stability/{STABILITY}/claims.{ext}" for ext in ("csv", "md")]


def dashboard_summary():
    """The summary line of this config's dashboard (across seeds where `make stability` ran)."""
    for path in stability_files()[:1] + claims_files()[:1]:
        if Path(path).exists():
            return summary(pd.read_csv(path))
    return "No claims table yet: run the pipeline first."


# The report's landing page (workflow/report/workflow.rst) quotes it; only the report reads it.
config["dashboard_summary"] = dashboard_summary()


def current_view():
    """Link name -> target of results/current/<name>/: this config's figures and claims."""
    links = {
        f"{name}.{ext}": f"figures/{key}/{name}.{ext}"
        for name, key in FIGURES.items()
        for ext in ("pdf", "png")
    }
    links.update(
        {f"claims.{ext}": f"claims/{CLAIMS}/claims.{ext}" for ext in ("csv", "md")}
    )
    if all(Path(path).exists() for path in stability_files()):
        links.update(
            {
                f"stability.{ext}": f"stability/{STABILITY}/claims.{ext}"
                for ext in ("csv", "md")
            }
        )
    return links


def update_current_view():
    refresh_view(Path(RESULTS), C["name"], current_view())


# Reverting a change runs no job, so the view is also refreshed whenever this config's
# results are all present.
if all((Path(RESULTS) / target).exists() for target in current_view().values()):
    update_current_view()
