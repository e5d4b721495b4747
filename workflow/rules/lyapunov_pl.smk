rule lyapunov_pl:
    input:
        unpack(upstream_provenance("lyapunov_pl")),
    output:
        out("lyapunov_pl", "lyapunov_pl.csv"),
    params:
        stage=stage_spec("lyapunov_pl"),
    log:
        log_of("lyapunov_pl"),
    benchmark:
        benchmark_of("lyapunov_pl")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    script:
        "../../scripts/lyapunov_pl.py"
