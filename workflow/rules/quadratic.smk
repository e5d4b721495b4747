rule quadratic_zeros:
    output:
        out("quadratic_zeros", "zeros.csv"),
    log:
        log_of("quadratic_zeros"),
    benchmark:
        benchmark_of("quadratic_zeros")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(450),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("quadratic_zeros"),
    script:
        "../../scripts/quadratic_zeros.py"


rule quadratic_adam:
    output:
        out("quadratic_adam", "limits.csv"),
    log:
        log_of("quadratic_adam"),
    benchmark:
        benchmark_of("quadratic_adam")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(600),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("quadratic_adam"),
    script:
        "../../scripts/quadratic_adam.py"


rule quadratic_flow:
    input:
        unpack(upstream_provenance("quadratic_flow")),
    output:
        out("quadratic_flow", "deviation.csv", "paths.npz"),
    log:
        log_of("quadratic_flow"),
    benchmark:
        benchmark_of("quadratic_flow")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(1300),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("quadratic_flow"),
    script:
        "../../scripts/quadratic_flow.py"


rule quadratic_rates:
    input:
        unpack(upstream_provenance("quadratic_rates")),
    output:
        out("quadratic_rates", "rates.csv"),
    log:
        log_of("quadratic_rates"),
    benchmark:
        benchmark_of("quadratic_rates")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(550),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("quadratic_rates"),
    script:
        "../../scripts/quadratic_rates.py"
