rule flow:
    input:
        unpack(upstream_provenance("flow")),
    output:
        out("flow", "deviation.csv"),
    log:
        log_of("flow"),
    benchmark:
        benchmark_of("flow")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(500),
        runtime=per_attempt(50),
    params:
        stage=stage_spec("flow"),
    script:
        "../../scripts/flow.py"
