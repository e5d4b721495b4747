# Every stage but the figures (figures.smk), one rule each, from its record in
# replication.stages: what it writes into results/<stage>/<key>/ besides provenance.json. What a
# job asks a cluster for is the config's `resources`.
CRITICAL_PATH = {
    "data",
    "train",
    "minima",
    "lyapunov_shard",
    "lyapunov_pl",
    "capture",
    "flow_shard",
}
# The dashboards and the gathers take seconds: on a cluster they run on the submitting host.
LOCAL = {*DASHBOARDS, "lyapunov_pl", "flow"}
for stage in [name for name in STAGES if name != "figures"]:

    rule:
        name:
            stage
        input:
            unpack(upstream_files(stage)),
        output:
            stage_outputs(stage, STAGES[stage].outputs),
        log:
            log_of(stage),
        benchmark:
            benchmark_of(stage)
        # The longest chains first (data -> train -> minima -> lyapunov_shard -> capture, and
        # flow_shard): with the paper config they set the end-to-end time on few cores.
        priority: 1 if stage in CRITICAL_PATH else 0
        localrule: stage in LOCAL
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
