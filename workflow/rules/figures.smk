# One rule per figure of the paper registry (replication.paper): its script, its caption.
# Figures take seconds: on a cluster they run on the submitting host (localrule).
for figure in PAPER_FIGURES:

    rule:
        name:
            figure.script
        input:
            unpack(upstream_files("figures")),
        output:
            pdf=report(
                f"{RESULTS}/figures/{{key}}/{figure.name}.pdf",
                caption=f"../report/{figure.name}.rst",
                category="Figures",
            ),
            png=f"{RESULTS}/figures/{{key}}/{figure.name}.png",
            provenance=f"{RESULTS}/figures/{{key}}/provenance.json",
        log:
            log_of("figures"),
        benchmark:
            benchmark_of("figures")
        localrule: True
        conda:
            "../../environment.yml"
        threads: 1
        resources:
            mem_mb=per_attempt(config["resources"]["figures"]["mem_mb"]),
            runtime=per_attempt(config["resources"]["figures"]["runtime"]),
        params:
            stage=stage_spec("figures"),
            # The script is looked up at job time, when `figure` is the loop's last value: a param is bound now.
            script=figure.script,
        script:
            "../../scripts/{params.script}.py"
