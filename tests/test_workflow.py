"""The workflow on the tiny config: content-keyed caching, shared results, linting, report.

One full run in a copy of the repository, then dry runs (`snakemake -n`) that list which
jobs each change would run.
"""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake.utils import update_config

from helpers import ROOT, TINY, checksums, copy_run, overlay, planned_jobs, set_key, snakemake
from replication.config import validate
from replication.docs.config_keys import compare
from replication.paper import FIGURES


def set_key_path(config: dict, dotted: str, value) -> None:
    """Set a dotted key in a nested overlay, creating the sections on the way."""
    *parents, last = dotted.split(".")
    for part in parents:
        config = config.setdefault(part, {})
    config[last] = value


@pytest.fixture(scope="module")
def repo(tiny_reference, tmp_path_factory):
    return copy_run(tiny_reference[0], tmp_path_factory.mktemp("workflow"))


def test_full_run_produces_figures_claims_and_provenance(repo):
    view = repo / "results" / "current" / "test"
    for figure in FIGURES:
        assert (view / f"{figure.name}.pdf").resolve().stat().st_size > 1000
        assert (view / f"{figure.name}.png").is_file()
    claims = pd.read_csv(view / "claims.csv")
    assert set(claims["verdict"]) <= {"supported", "contradicted", "inconclusive", "underpowered"}
    assert set(claims["figure"]) == {figure.name for figure in FIGURES}  # every figure decided by its rows
    assert set(claims["kind"]) == {"difference", "equivalence", "rate", "all-cases", "sanity"}
    assert claims["id"].is_unique
    assert {"margin", "half_width", "changed_ingredient", "fails_if", "seed_agreement", "p_value", "p_adjusted",
            "verdict_unadjusted"} <= set(claims.columns)
    # Holm's adjustment only ever withdraws support, and only where a claim row's adjusted p reaches 5%.
    changed = claims[claims["verdict"] != claims["verdict_unadjusted"]]
    assert (changed["verdict_unadjusted"] == "supported").all() and (changed["p_adjusted"] >= 0.05).all()
    controls = claims[claims["is_control"]]
    assert len(controls) and controls["changed_ingredient"].notna().all() and controls["fails_if"].notna().all()
    assert not (controls["kind"] == "sanity").any()  # what symmetry or Taylor forces is never a control
    assert (claims[claims["kind"] == "equivalence"]["margin"] > 0).all()
    assert (claims[["estimate", "ci_low", "ci_high"]].notna().all(axis=1) | (claims["verdict"] == "inconclusive")).all()
    provenance = sorted((repo / "results").glob("*/*/provenance.json"))
    assert {p.parent.parent.name for p in provenance} >= {"data", "train", "minima", "vector_field", "lyapunov_pl",
                                                        "flow_shard", "flow", "quadratic_zeros", "quadratic_adam", "quadratic_flow",
                                                        "quadratic_rates", "capture", "width_sweep", "figures", "claims",
                                                        "control_zeros"}
    for stage in ("train", "lyapunov_pl"):
        logs = list((repo / "results" / "logs" / stage).glob("*.log"))
        assert logs and all(log.read_text().strip() for log in logs)
        assert list((repo / "results" / "benchmarks" / stage).glob("*.tsv"))


# Verdicts of the tiny config that do not depend on its size: the same code and config give the
# same numbers, so a change to a verdict rule or to the statistics behind them fails here.
PINNED = {
    "F1.step_size.over.adam": "supported",
    "F1.step_size.over.gradient": "contradicted",
    "F2.zero_shift.two_point[0].beta=0.9": "supported",
    "F2.zero_shift.two_point[0].beta=0.9.mirrored": "supported",
    "F2.limit_is_zero.two_point[0].beta=0.9": "underpowered",
    "F3.limit_is_zero.under.point=0": "underpowered",
    "F3.noiseless_limit.under.point=0": "supported",
    "F4.lyapunov.over.alpha=0.9,beta=0.9": "underpowered",  # two minima bound the fraction by 0.16 only
    "F4.lyapunov.conflicting.alpha=0.9,beta=0.9": "contradicted",
    "F5.pl.over": "supported",
    "F5.noise_bound.over": "supported",
    "F6.capture.over": "underpowered",
    "F6.capture.conflicting": "contradicted",
    "F7.spread_rate.no_noise": "supported",
}


def test_tiny_config_verdicts_are_pinned(repo):
    claims = pd.read_csv(repo / "results" / "current" / "test" / "claims.csv").set_index("id")
    assert claims.loc[list(PINNED), "verdict"].to_dict() == PINNED


def test_second_run_does_nothing(repo):
    assert planned_jobs(repo) == {}


def test_training_change_reruns_training_and_downstream_not_data(repo):
    jobs = planned_jobs(repo, *overlay(repo, "steps.yaml", {"train": {"steps": 700}}))
    assert jobs.get("train") == 3 and "data" not in jobs  # one per network
    assert {"minima", "vector_field", "lyapunov_shard", "lyapunov_pl", "flow_shard", "flow", "claims"} <= set(jobs)
    assert "quadratic_zeros" not in jobs and "quadratic_adam" not in jobs


def test_the_paper_config_plans_its_long_stages_in_shards(repo):
    """24 polished points per network in blocks of 8: 3 lyapunov_shard jobs per network, each
    gathered by one lyapunov_pl job; the first 6 of 24 training runs per clean network
    (flow.training_runs) in one block of 6: one flow_shard job per network, gathered by one flow
    job; one capture job per network."""
    jobs = planned_jobs(repo, config=["--configfile", "config/paper.yaml"])
    assert jobs["lyapunov_shard"] == 3 * 3 and jobs["lyapunov_pl"] == 3
    assert jobs["flow_shard"] == 2 * 1 and jobs["flow"] == 2 and jobs["capture"] == 3


def test_gathered_shards_are_the_single_job_s_table(repo, tmp_path):
    """lyapunov.minima_per_job = 1 and flow.runs_per_job = 1 measure each of a network's two polished
    points, and integrate each of its two training runs, in a job of its own; the gathered tables
    are, byte for byte, those of the tiny run, where one job did both."""
    def tables(run, stage, filename):
        directories = sorted((run / "results" / stage).iterdir())
        return {(json.loads((d / "provenance.json").read_text())["params"]["network"],
                 len(json.loads((d / "provenance.json").read_text())["upstream"])): (d / filename).read_bytes()
                for d in directories}

    gathers = {"lyapunov_pl": "lyapunov_pl.csv", "flow": "deviation.csv"}
    single = {stage: tables(repo, stage, filename) for stage, filename in gathers.items()}
    run = copy_run(repo, tmp_path)
    snakemake(run, "--cores", "2", *overlay(run, "shards.yaml", {"lyapunov": {"minima_per_job": 1},
                                                                 "flow": {"runs_per_job": 1}}),
              "--until", "lyapunov_pl", "flow")
    for stage, filename in gathers.items():
        sharded = {network: table for (network, shards), table in tables(run, stage, filename).items() if shards == 2}
        assert set(single[stage]) == {(network, 1) for network in sharded}
        assert all(sharded[network] == table for (network, _), table in single[stage].items())


def test_a_judged_radius_measures_only_the_pair_it_judges(repo):
    """Every setting is measured on the grid and at the largest radius; off the grid, a momentum pair's
    judged radius holds that pair's settings alone, at every batch size (no other pair's test reads
    it). The tiny run's pilot puts at least one judged radius off the grid."""
    off_grid = 0
    for shard in (repo / "results" / "lyapunov_shard").iterdir():
        grid = json.loads((shard / "provenance.json").read_text())["params"]["radii"]
        table = pd.read_csv(shard / "lyapunov_pl.csv")
        table = table[table["search"] == "random"]
        settings = set(table[["alpha", "beta", "batch_size"]].itertuples(index=False))
        for radius, at in table.groupby("radius"):
            measured = set(at[["alpha", "beta", "batch_size"]].itertuples(index=False))
            if radius in grid or radius == table["radius"].max():
                assert measured == settings
            else:
                off_grid += 1
                judged = {(a, b, m) for a, b, m, r in table[["alpha", "beta", "batch_size", "judged_radius"]]
                          .itertuples(index=False) if r == radius}
                assert judged and measured == judged
    assert off_grid > 0


@pytest.mark.parametrize("key, value", [("field.control_variate", False), ("quadratic.final_window", 0.3),
                                        ("lyapunov.worst_case_steps", 2), ("claims.rate_tolerance", 0.2)])
def test_a_key_reruns_exactly_the_stages_the_stage_table_names(repo, key, value):
    """config/README.md's "read by" column comes from the stage table; the dry run agrees with it."""
    tiny = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    update_config(tiny, yaml.safe_load((ROOT / "config" / "test.yaml").read_text()))
    changed = copy.deepcopy(tiny)
    set_key(changed, key, value)
    schema = ROOT / "workflow" / "schemas" / "config.schema.yaml"
    expected = set(compare(validate(tiny, schema), validate(changed, schema))[1]) - {"stability"}  # `all` does not build the stability stage
    overlay_config = {}
    set_key_path(overlay_config, key, value)
    jobs = planned_jobs(repo, *overlay(repo, "key.yaml", overlay_config))
    assert {"figures" if rule.startswith("fig_") else rule for rule in jobs} - {"all"} == expected


def test_style_change_reruns_only_figures(repo):
    jobs = planned_jobs(repo, *overlay(repo, "style.yaml", {"figures": {"dpi": 72}}))
    assert set(jobs) - {"all"} == {"fig_flow", "fig_zeros", "fig_field_path", "fig_lyapunov", "fig_pl",
                                      "fig_capture", "fig_rates"}


def test_reverting_a_change_does_nothing(repo):
    # The overlays above were only dry runs; build one for real, then revert to the original.
    change = {"claims": {"rate_tolerance": 0.2}}
    snakemake(repo, "--cores", "2", *overlay(repo, "revert.yaml", change))
    assert planned_jobs(repo) == {}
    assert planned_jobs(repo, *overlay(repo, "revert.yaml", change)) == {}


def test_touching_every_file_does_nothing(repo):
    for path in repo.rglob("*"):
        if path.is_file() and not path.is_symlink() and ".snakemake" not in path.parts:
            os.utime(path)
    assert planned_jobs(repo) == {}


def test_editing_one_plotting_script_reruns_only_its_figure(repo):
    script = repo / "scripts" / "fig_pl.py"
    original = script.read_text()
    try:
        script.write_text(original + "EDITED = True\n")
        assert set(planned_jobs(repo)) - {"all"} == {"fig_pl"}
    finally:
        script.write_text(original)
    assert planned_jobs(repo) == {}


def test_comments_and_docstrings_anywhere_in_the_code_rerun_nothing(repo):
    files = sorted((repo / "src").rglob("*.py")) + sorted((repo / "scripts").glob("*.py"))
    originals = {path: path.read_text() for path in files}
    try:
        for path, text in originals.items():
            # The first blank line is often inside the module docstring: that edit must not count either.
            path.write_text("# a comment\n" + text.replace("\n\n", "\n\n# a comment\n", 1) + "\n# trailing\n")
        assert planned_jobs(repo) == {}
    finally:
        for path, text in originals.items():
            path.write_text(text)


def test_two_configs_share_results_without_clobbering(repo):
    """A second config that differs in its claims thresholds: it reuses every computed stage, adds
    its own claims, and overwrites nothing. (Configs with other seeds run side by side in
    test_faults.)"""
    before = checksums(repo)
    other = overlay(repo, "other.yaml", {"name": "other", "claims": {"equivalence_margin": 0.3}})
    assert set(planned_jobs(repo, *other)) == {"claims", "all"}
    snakemake(repo, "--cores", "2", *other)
    after = checksums(repo)
    assert all(after[name] == digest for name, digest in before.items())  # nothing overwritten
    assert {name.split("/")[1] for name in set(after) - set(before)} == {"claims"}
    assert planned_jobs(repo) == {} and planned_jobs(repo, *other) == {}
    current = repo / "results" / "current"
    assert (current / "test" / "claims.csv").resolve() != (current / "other" / "claims.csv").resolve()


def test_report_has_every_figure_with_its_caption(repo):
    snakemake(repo, "--cores", "1", *TINY, "--report", "results/report.html")
    html = (repo / "results" / "report.html").read_text(errors="replace")
    for figure in FIGURES:  # every caption opens with its registry title (test_paper)
        assert figure.title in html and f"{figure.name}.pdf" in html, figure.name


def test_lint_and_format_are_clean():
    lint = snakemake(ROOT, "--lint", check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run([str(Path(sys.executable).with_name("snakefmt")), "--check", "Snakefile", "workflow"],
                         cwd=ROOT, capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
