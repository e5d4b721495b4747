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
        mem_mb=350,
        runtime=5,
    params:
        stage=stage_spec("data"),
    script:
        "../../scripts/data.py"
