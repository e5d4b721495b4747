rule data:
    output:
        out("data", "dataset.npz"),
    params:
        stage=stage_spec("data"),
    log:
        log_of("data"),
    benchmark:
        benchmark_of("data")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../../scripts/data.py"
