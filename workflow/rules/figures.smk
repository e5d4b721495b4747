rule fig_flow:
    input:
        unpack(upstream_provenance("figures")),
    output:
        pdf=report(
            f"{RESULTS}/figures/{{key}}/F1_flow.pdf",
            caption="../report/F1_flow.rst",
            category="Figures",
        ),
        png=f"{RESULTS}/figures/{{key}}/F1_flow.png",
        provenance=f"{RESULTS}/figures/{{key}}/provenance.json",
    log:
        f"{RESULTS}/logs/figures/{{key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/{{key}}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(550),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("figures"),
    script:
        "../../scripts/fig_flow.py"


rule fig_zeros:
    input:
        unpack(upstream_provenance("figures")),
    output:
        pdf=report(
            f"{RESULTS}/figures/{{key}}/F2_zeros.pdf",
            caption="../report/F2_zeros.rst",
            category="Figures",
        ),
        png=f"{RESULTS}/figures/{{key}}/F2_zeros.png",
        provenance=f"{RESULTS}/figures/{{key}}/provenance.json",
    log:
        f"{RESULTS}/logs/figures/{{key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/{{key}}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(550),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("figures"),
    script:
        "../../scripts/fig_zeros.py"


rule fig_field_path:
    input:
        unpack(upstream_provenance("figures")),
    output:
        pdf=report(
            f"{RESULTS}/figures/{{key}}/F3_field_path.pdf",
            caption="../report/F3_field_path.rst",
            category="Figures",
        ),
        png=f"{RESULTS}/figures/{{key}}/F3_field_path.png",
        provenance=f"{RESULTS}/figures/{{key}}/provenance.json",
    log:
        f"{RESULTS}/logs/figures/{{key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/{{key}}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(550),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("figures"),
    script:
        "../../scripts/fig_field_path.py"


rule fig_lyapunov:
    input:
        unpack(upstream_provenance("figures")),
    output:
        pdf=report(
            f"{RESULTS}/figures/{{key}}/F4_lyapunov.pdf",
            caption="../report/F4_lyapunov.rst",
            category="Figures",
        ),
        png=f"{RESULTS}/figures/{{key}}/F4_lyapunov.png",
        provenance=f"{RESULTS}/figures/{{key}}/provenance.json",
    log:
        f"{RESULTS}/logs/figures/{{key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/{{key}}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(550),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("figures"),
    script:
        "../../scripts/fig_lyapunov.py"


rule fig_pl:
    input:
        unpack(upstream_provenance("figures")),
    output:
        pdf=report(
            f"{RESULTS}/figures/{{key}}/F5_pl.pdf",
            caption="../report/F5_pl.rst",
            category="Figures",
        ),
        png=f"{RESULTS}/figures/{{key}}/F5_pl.png",
        provenance=f"{RESULTS}/figures/{{key}}/provenance.json",
    log:
        f"{RESULTS}/logs/figures/{{key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/{{key}}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(550),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("figures"),
    script:
        "../../scripts/fig_pl.py"


rule fig_capture:
    input:
        unpack(upstream_provenance("figures")),
    output:
        pdf=report(
            f"{RESULTS}/figures/{{key}}/F6_capture.pdf",
            caption="../report/F6_capture.rst",
            category="Figures",
        ),
        png=f"{RESULTS}/figures/{{key}}/F6_capture.png",
        provenance=f"{RESULTS}/figures/{{key}}/provenance.json",
    log:
        f"{RESULTS}/logs/figures/{{key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/{{key}}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(550),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("figures"),
    script:
        "../../scripts/fig_capture.py"


rule fig_rates:
    input:
        unpack(upstream_provenance("figures")),
    output:
        pdf=report(
            f"{RESULTS}/figures/{{key}}/F7_rates.pdf",
            caption="../report/F7_rates.rst",
            category="Figures",
        ),
        png=f"{RESULTS}/figures/{{key}}/F7_rates.png",
        provenance=f"{RESULTS}/figures/{{key}}/provenance.json",
    log:
        f"{RESULTS}/logs/figures/{{key}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figures/{{key}}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=per_attempt(550),
        runtime=per_attempt(10),
    params:
        stage=stage_spec("figures"),
    script:
        "../../scripts/fig_rates.py"
