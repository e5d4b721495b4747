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
        mem_mb=600,
        runtime=60,
    params:
        stage=stage_spec("flow"),
    script:
        "../../scripts/flow.py"
