# The adam-ode replication pipeline. Run `snakemake --cores all` (default config) or add
# `--configfile config/paper.yaml` for the full-scale sweeps; see README.md.


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/minima.smk"
include: "workflow/rules/vector_field.smk"
include: "workflow/rules/gamma_limit.smk"
include: "workflow/rules/lyapunov_pl.smk"
include: "workflow/rules/flow.smk"
include: "workflow/rules/quadratic.smk"
include: "workflow/rules/capture.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/stability.smk"


report: "workflow/report/workflow.rst"


# Figures and claims take seconds: on a cluster they run on the submitting host, not as jobs
# (the figure rules say so themselves: localrule).
localrules:
    claims,
    stability,


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
