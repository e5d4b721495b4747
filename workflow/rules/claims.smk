rule claims:
    input:
        unpack(upstream_provenance("claims")),
    output:
        csv=report(
            f"{RESULTS}/claims/{{key}}/claims.csv",
            caption="../report/claims.rst",
            category="Claims",
        ),
        md=f"{RESULTS}/claims/{{key}}/claims.md",
        excluded=f"{RESULTS}/claims/{{key}}/excluded.csv",
        provenance=f"{RESULTS}/claims/{{key}}/provenance.json",
    log:
        log_of("claims"),
    benchmark:
        benchmark_of("claims")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(250),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("claims"),
    script:
        "../../scripts/claims.py"
