rule lyapunov_pl:
    input:
        unpack(upstream_provenance("lyapunov_pl")),
    output:
        out("lyapunov_pl", "lyapunov_pl.csv"),
    log:
        log_of("lyapunov_pl"),
    benchmark:
        benchmark_of("lyapunov_pl")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(650),
        runtime=per_attempt(30),
    params:
        stage=stage_spec("lyapunov_pl"),
    script:
        "../../scripts/lyapunov_pl.py"
