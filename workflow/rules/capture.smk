rule capture:
    input:
        unpack(upstream_provenance("capture")),
    output:
        out("capture", "capture.csv"),
    log:
        log_of("capture"),
    benchmark:
        benchmark_of("capture")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(500),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("capture"),
    script:
        "../../scripts/capture.py"


rule width_sweep:
    input:
        unpack(upstream_provenance("width_sweep")),
    output:
        out("width_sweep", "widths.csv"),
    log:
        log_of("width_sweep"),
    benchmark:
        benchmark_of("width_sweep")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(450),
        runtime=per_attempt(20),
    params:
        stage=stage_spec("width_sweep"),
    script:
        "../../scripts/width_sweep.py"
