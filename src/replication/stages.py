"""The stage table: every stage instance of a config, with its parameters, the instances it
reads and the digest of the code it runs, keyed by the content key that names its results
directory, results/<stage>/<key>/.

The workflow registers a config's pipeline here and passes each job its spec; the tests read
the same table to find which stages a config key reaches.
"""

from __future__ import annotations

from pathlib import Path

from .keys import code_digest, stage_key
from .paper import BY_NAME


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
        registered = []

        def add(stage, params, upstream=(), code=None):
            registered.append((stage, key := self.add(stage, params, upstream, code)))
            return key

        ADAM = C["adam"]
        FIELD = C["field"]
        # What the field estimators read; path_points only places the vector_field stage's points.
        ESTIMATOR = {k: FIELD[k] for k in ("n_samples", "tol", "control_variate")}

        DATA = add("data", {"seed": C["seed"], **C["data"]})

        TRAIN, MINIMA = {}, {}
        for net_name, net in C["networks"].items():
            TRAIN[net_name] = add(
                "train",
                {
                    "seed": C["seed"],
                    "network": net_name,
                    # What builds its ERM problem (replication.problems), not the overparametrized flag.
                    **{k: net[k] for k in ("widths", "activation", "data")},
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
        # The pilot of the conflicting-data controls: where the zeros of f lie beside the minimum
        # set, at each momentum pair's largest M (F4) and at the capture runs' setting (F6).
        CONFLICTING = {n: net for n, net in C["networks"].items() if net["data"] == "conflicting"}
        L = C["lyapunov"]
        SETTINGS = [{**m, "batch_size": max(L["batch_sizes"])} for m in L["momenta"]]
        CAPTURED = {"alpha": ADAM["alpha"], "beta": ADAM["beta"], "batch_size": C["train"]["batch_size"]}
        PILOT = (
            [
                (
                    "control_zeros",
                    "control_zeros",
                    add(
                        "control_zeros",
                        {
                            "adam": ADAM,
                            "field": ESTIMATOR,
                            "seed": C["seed"],
                            "networks": {
                                n: {k: net[k] for k in ("widths", "activation", "data")}
                                for n, net in CONFLICTING.items()
                            },
                            "train": {
                                k: C["train"][k]
                                for k in ("steps", "batch_size", "gamma_0", "n_0", "rho")
                            },
                            "minima": C["minima"],
                            "settings": SETTINGS + [CAPTURED] * (CAPTURED not in SETTINGS),
                            **C["control_zeros"],
                        },
                        [("data", "data", DATA)],
                    ),
                )
            ]
            if CONFLICTING
            else []
        )
        # One Lyapunov job per network: they run side by side, and a network's change reruns its own.
        # The overparametrized ones are judged where the pilot says the control can fail.
        LYAPUNOV = {
            net_name: add(
                "lyapunov_pl",
                {
                    "adam": {"eps": ADAM["eps"]},  # alpha and beta: lyapunov.momenta
                    "field": ESTIMATOR,
                    "seed": C["seed"],
                    "network": net_name,
                    **net,
                    **L,
                },
                [("data", "data", DATA), ("minima", "minima", MINIMA[net_name])]
                + (PILOT if net["overparametrized"] else []),
            )
            for net_name, net in C["networks"].items()
        }
        _lyapunov = [(f"lyapunov_{n}", "lyapunov_pl", k) for n, k in LYAPUNOV.items()]
        # One flow job per network on clean data (the conflicting-label data set is the control of
        # the minimum-set claims F4 and F6): the flow integrations are the longest stage.
        FLOW = {
            net_name: add(
                "flow",
                {
                    "adam": ADAM,
                    "field": ESTIMATOR,
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
        # The quadratic stages take their betas from their own sections.
        ADAM_NO_BETA = {k: ADAM[k] for k in ("alpha", "eps")}
        QUAD_FIELD = {k: FIELD[k] for k in ("tol", "control_variate")}
        QUAD_ZEROS = add(
            "quadratic_zeros",
            {
                "adam": ADAM_NO_BETA,
                "field": QUAD_FIELD,
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
            # adam.beta: the stationary spread's runs; the zero shifts take their betas from `rates`.
            {"adam": ADAM, "field": QUAD_FIELD, "seed": C["seed"], **C["rates"]},
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
            [("data", "data", DATA)] + _lyapunov + _minima,
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
            "F4_lyapunov": _lyapunov,
            "F5_pl": _lyapunov,
            "F6_capture": [
                ("capture", "capture", CAPTURE),
                ("widths", "width_sweep", WIDTHS),
            ]
            + PILOT,
            "F7_rates": [("rates", "quadratic_rates", RATES)],
        }
        # Thresholds a figure draws (declared once, in the claims section).
        FIGURE_PARAMS = {
            "F5_pl": {"batch_size": C["train"]["batch_size"]},
            "F6_capture": {
                k: C["claims"][k] for k in ("converged_loss", "capture_level_fraction")
            },
        }
        FIGURES = {
            name: add(
                "figures",
                {"figure": name, **C["figures"], **FIGURE_PARAMS.get(name, {})},
                inputs,
                code=BY_NAME[name].script,
            )
            for name, inputs in FIGURE_INPUTS.items()
        }
        CLAIMS = add(
            "claims",
            {
                "claims": C["claims"],
                # Which networks are claims and which are controls (claims.network_controls).
                "networks": {
                    name: {k: net[k] for k in ("data", "overparametrized")}
                    for name, net in C["networks"].items()
                },
                "batch_size": C["train"]["batch_size"],
                "gamma_limit_network": G["network"],
            },
            [
                ("zeros", "quadratic_zeros", QUAD_ZEROS),
                ("adam", "quadratic_adam", QUAD_ADAM),
                ("gamma_limit", "gamma_limit", GAMMA_LIMIT),
                ("quadratic_flow", "quadratic_flow", QUAD_FLOW),
                ("capture", "capture", CAPTURE),
                ("rates", "quadratic_rates", RATES),
            ]
            + PILOT
            + _flows
            + _lyapunov
            + _trained,
        )
        return {"stages": registered, "figures": FIGURES, "claims": CLAIMS}

    def register_stability(self, C: dict) -> str:
        """The claims at root seeds seed, seed + 1, ... (`make stability`): the key of the stage
        that compares them."""
        seeds = [C["seed"] + k for k in range(C["stability"]["replicates"])]
        claims = [self.register({**C, "seed": seed})["claims"] for seed in seeds]
        return self.add("stability", {"root_seeds": seeds}, [(f"claims_{k}", "claims", key) for k, key in enumerate(claims)])
