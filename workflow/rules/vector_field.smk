rule vector_field:
    input:
        unpack(upstream_provenance("vector_field")),
    output:
        out("vector_field", "field_path.csv"),
    params:
        stage=stage_spec("vector_field"),
    log:
        log_of("vector_field"),
    benchmark:
        benchmark_of("vector_field")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../../scripts/vector_field.py"
