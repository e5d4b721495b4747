# The adam-ode replication pipeline. Run `snakemake --cores all` (default config) or add
# `--configfile config/paper.yaml` for the full-scale sweeps; see README.md.


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/stages.smk"
include: "workflow/rules/figures.smk"


report: "workflow/report/workflow.rst"


rule all:
    default_target: True
    input:
        stage_files(),
        figure_files(),
        claims_files(),


rule figures:
    input:
        figure_files(),
        claims_files(),


# make stability: the whole pipeline at every root seed of the stability section.
rule all_seeds:
    input:
        stage_files(),
        figure_files(),
        stability_files(),


onsuccess:
    update_current_view()
