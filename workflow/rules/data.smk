rule data:
    output:
        out("data", "dataset.npz"),
    log:
        log_of("data"),
    benchmark:
        benchmark_of("data")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(350),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("data"),
    script:
        "../../scripts/data.py"
