# Every stage but the figures, one rule each: what it writes into results/<stage>/<key>/
# besides provenance.json, and the memory (MB) and time (minutes) a job asks for, from this
# version's default run (about 1.5x the peak memory and 10x the time measured; retries ask for
# multiples).
STAGE_RULES = {
    "data": (["dataset.npz"], 350, 10),
    "train": (["trajectories.npz"], 450, 10),
    "minima": (["minima.npz"], 450, 10),
    "vector_field": (["field_path.csv"], 500, 10),
    "gamma_limit": (["positions.csv"], 1050, 20),
    "lyapunov_pl": (["lyapunov_pl.csv"], 650, 30),
    "flow": (["deviation.csv"], 500, 50),
    "quadratic_zeros": (["zeros.csv"], 450, 10),
    "quadratic_adam": (["limits.csv"], 600, 10),
    "quadratic_flow": (["deviation.csv", "paths.npz"], 1300, 10),
    "quadratic_rates": (["rates.csv"], 550, 10),
    "capture": (["capture.csv"], 500, 10),
    "width_sweep": (["widths.csv"], 450, 20),
    # The dashboards: the claims at the config's root seed, and their agreement across root
    # seeds (`make stability`), each in the report with its caption.
    "claims": (["claims.csv", "claims.md", "excluded.csv"], 250, 10),
    "stability": (["claims.csv", "claims.md"], 250, 10),
}
for stage, (files, mem_mb, minutes) in STAGE_RULES.items():

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
        # The dashboards take seconds: on a cluster they run on the submitting host.
        localrule: stage in DASHBOARDS
        conda:
            "../../environment.yml"
        threads: 1
        resources:
            mem_mb=per_attempt(mem_mb),
            runtime=per_attempt(minutes),
        params:
            stage=stage_spec(stage),
            # The script is looked up at job time, when `stage` is the loop's last value: a param is bound now.
            script=stage,
        script:
            "../../scripts/{params.script}.py"
