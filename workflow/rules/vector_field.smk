rule vector_field:
    input:
        unpack(upstream_provenance("vector_field")),
    output:
        out("vector_field", "field_path.csv"),
    log:
        log_of("vector_field"),
    benchmark:
        benchmark_of("vector_field")
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(500),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("vector_field"),
    script:
        "../../scripts/vector_field.py"
