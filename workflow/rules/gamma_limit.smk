rule gamma_limit:
    output:
        out("gamma_limit", "positions.csv"),
    log:
        log_of("gamma_limit"),
    benchmark:
        benchmark_of("gamma_limit")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(1050),
        runtime=per_attempt(20),
    params:
        stage=stage_spec("gamma_limit"),
    script:
        "../../scripts/gamma_limit.py"
