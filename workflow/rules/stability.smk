rule stability:
    input:
        unpack(upstream_provenance("stability")),
    output:
        csv=report(
            f"{RESULTS}/stability/{{key}}/claims.csv",
            caption="../report/stability.rst",
            category="Claims",
        ),
        md=f"{RESULTS}/stability/{{key}}/claims.md",
        provenance=f"{RESULTS}/stability/{{key}}/provenance.json",
    log:
        log_of("stability"),
    benchmark:
        benchmark_of("stability")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(250),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("stability"),
    script:
        "../../scripts/stability.py"
