rule train:
    input:
        unpack(upstream_provenance("train")),
    output:
        out("train", "trajectories.npz"),
    log:
        log_of("train"),
    benchmark:
        benchmark_of("train")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(450),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("train"),
    script:
        "../../scripts/train.py"
