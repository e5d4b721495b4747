rule quadratic_zeros:
    output:
        out("quadratic_zeros", "zeros.csv"),
    params:
        stage=stage_spec("quadratic_zeros"),
    log:
        log_of("quadratic_zeros"),
    benchmark:
        benchmark_of("quadratic_zeros")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../../scripts/quadratic_zeros.py"


rule quadratic_adam:
    output:
        out("quadratic_adam", "limits.csv"),
    params:
        stage=stage_spec("quadratic_adam"),
    log:
        log_of("quadratic_adam"),
    benchmark:
        benchmark_of("quadratic_adam")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../../scripts/quadratic_adam.py"
