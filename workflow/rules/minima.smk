rule minima:
    input:
        unpack(upstream_provenance("minima")),
    output:
        out("minima", "minima.npz"),
    params:
        stage=stage_spec("minima"),
    log:
        log_of("minima"),
    benchmark:
        benchmark_of("minima")
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    script:
        "../../scripts/minima.py"
