rule minima:
    input:
        unpack(upstream_provenance("minima")),
    output:
        out("minima", "minima.npz"),
    log:
        log_of("minima"),
    benchmark:
        benchmark_of("minima")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(450),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("minima"),
    script:
        "../../scripts/minima.py"
