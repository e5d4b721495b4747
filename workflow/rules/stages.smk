# Every stage but the figures, one rule each: what it writes into results/<stage>/<key>/
# besides provenance.json. What a job asks a cluster for is the config's `resources`.
STAGE_RULES = {
    "data": ["dataset.npz"],
    "train": ["trajectories.npz"],
    "minima": ["minima.npz"],
    "vector_field": ["field_path.csv"],
    "gamma_limit": ["positions.csv"],
    "control_zeros": ["zeros.csv"],
    "lyapunov_pl": ["lyapunov_pl.csv"],
    "flow": ["deviation.csv"],
    "quadratic_zeros": ["zeros.csv"],
    "quadratic_adam": ["limits.csv"],
    "quadratic_flow": ["deviation.csv", "paths.npz"],
    "quadratic_rates": ["rates.csv"],
    "capture": ["capture.csv"],
    "width_sweep": ["widths.csv"],
    # The dashboards: the claims at the config's root seed, and their agreement across root
    # seeds (`make stability`), each in the report with its caption.
    "claims": ["claims.csv", "claims.md", "excluded.csv"],
    "stability": ["claims.csv", "claims.md"],
}
CRITICAL_PATH = {"data", "train", "minima", "lyapunov_pl", "flow"}
for stage, files in STAGE_RULES.items():

    rule:
        name:
            stage
        input:
            unpack(upstream_files(stage)),
        output:
            stage_outputs(stage, files),
        log:
            log_of(stage),
        benchmark:
            benchmark_of(stage)
        # The longest chains first (data -> train -> minima -> lyapunov_pl, and flow): with the
        # paper config they set the end-to-end time on few cores.
        priority: 1 if stage in CRITICAL_PATH else 0
        # The dashboards take seconds: on a cluster they run on the submitting host.
        localrule: stage in DASHBOARDS
        conda:
            "../../environment.yml"
        threads: 1
        resources:
            mem_mb=per_attempt(config["resources"][stage]["mem_mb"]),
            runtime=per_attempt(config["resources"][stage]["runtime"]),
        params:
            stage=stage_spec(stage),
            # The script is looked up at job time, when `stage` is the loop's last value: a param is bound now.
            script=stage,
        script:
            "../../scripts/{params.script}.py"
