rule flow:
    input:
        unpack(upstream_provenance("flow")),
    output:
        out("flow", "deviation.csv"),
    params:
        stage=stage_spec("flow"),
    log:
        log_of("flow"),
    benchmark:
        benchmark_of("flow")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../../scripts/flow.py"
