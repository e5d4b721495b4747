rule train:
    input:
        unpack(upstream_provenance("train")),
    output:
        out("train", "trajectories.npz"),
    params:
        stage=stage_spec("train"),
    log:
        log_of("train"),
    benchmark:
        benchmark_of("train")
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    script:
        "../../scripts/train.py"
