"""The paper registry is the one place that links claims, rules, scripts, checks and captions:
everything it names exists, and what is generated from it has not drifted."""

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from replication import claims
from replication.config import validate
from replication.docs.generate import PAPER_END, PAPER_START, config_of, pipeline_map
from replication.paper import FIGURES
from replication.stages import StageTable

ROOT = Path(__file__).resolve().parents[1]
BY_NUMBER = {figure.number: figure.name for figure in FIGURES}


def test_readme_map_is_the_generated_one():
    text = (ROOT / "README.md").read_text()
    assert text.split(PAPER_START, 1)[1].split(PAPER_END, 1)[0].strip() == pipeline_map()


def test_every_named_piece_exists():
    config = validate(yaml.safe_load((ROOT / "config" / "config.yaml").read_text()),
                      ROOT / "workflow" / "schemas" / "config.schema.yaml")
    rules = {stage for stage, _ in StageTable(ROOT).register(config)["stages"]}  # one rule per stage
    for figure in FIGURES:
        assert (ROOT / "scripts" / f"{figure.script}.py").is_file(), figure.script
        assert set(figure.stages) <= rules, figure.name
        assert all((ROOT / "scripts" / script).is_file() for script in figure.scripts), figure.name
        checks = [check for check in claims.CHECKS if check.figure == figure.name]
        assert checks, f"no claim check decides {figure.name}"
        # The README's map says a figure's rows are <number>.*: every check's patterns must agree.
        assert all(p.startswith(f"{figure.number}.") for check in checks for p in check.rows), figure.name


@pytest.mark.parametrize("overlay", [[], ["test.yaml"], ["paper.yaml"]])
def test_the_claim_checks_read_what_the_claims_stage_reads(overlay):
    """Every table a registered check declares is an input of the claims stage, and every input of
    the claims stage is read by a check (the training runs: by the list of excluded runs)."""
    config = config_of(*(ROOT / "config" / name for name in overlay))
    table = StageTable(ROOT)
    key = table.register(config)["claims"]
    upstream = set(table.specs["claims"][key]["upstream"])
    declared = {path.split("/")[0] for check in claims.CHECKS for path in check.reads}
    optional = {"control_zeros"}  # the pilot exists only where the config has conflicting data

    def inputs_of(name):
        return {u for u in upstream if u == name or (name.endswith("_*") and u.startswith(name[:-1]))}

    assert all(inputs_of(name) or name in optional for name in declared), declared
    read = set().union(*(inputs_of(name) for name in declared))
    assert upstream - read == {u for u in upstream if u.startswith("train_")}


def test_captions_open_with_the_registry_title():
    captions = {p.stem for p in (ROOT / "workflow" / "report").glob("F*.rst")}
    assert captions == {figure.name for figure in FIGURES}
    for figure in FIGURES:
        text = (ROOT / "workflow" / "report" / f"{figure.name}.rst").read_text()
        assert text.startswith(f"**{figure.number} - {figure.title}"), figure.name


def test_every_claim_row_of_a_run_belongs_to_one_figure():
    """The dashboard's `figure` column and the registry's row patterns agree (pinned ids)."""
    from test_workflow import PINNED

    for row in PINNED:
        assert claims.figure_of(row) == BY_NUMBER[row.split(".")[0]], row


def test_a_claim_outside_the_registry_is_refused():
    assert claims.figure_of("F4.batch_size.over.alpha=0,beta=0.2") == "F4_lyapunov"
    with pytest.raises(ValueError, match="matches the rows of 0 figures"):
        claims.figure_of("F9.unregistered")


def test_a_check_reads_only_what_it_declares_and_writes_only_its_rows():
    stage = SimpleNamespace(params={"claims": {}, "networks": {}}, upstream={"rates": "nowhere"})
    inputs = claims.ClaimInputs(stage).restricted_to(("zeros/zeros.csv",))
    with pytest.raises(KeyError, match="rates/rates.csv, which its registry entry does not declare"):
        inputs("rates/rates.csv")
    sly = claims.ClaimCheck(lambda rates: [], "F7_rates", ("F7.*",),
                            {"rates": claims.Source(lambda t: t("rates/rates.csv"))})  # reads what it does not name
    with pytest.raises(KeyError, match="rates/rates.csv, which its registry entry does not declare"):
        sly.rows_of(claims.ClaimInputs(stage))
    stray = claims.ClaimCheck(lambda: [{"id": "F7.other"}], "F7_rates", ("F7.spread*",), {})
    with pytest.raises(ValueError, match="outside its registered patterns"):
        stray.rows_of(claims.ClaimInputs(stage))


def test_no_figure_draws_a_bootstrap():
    """seaborn's bootstrap intervals (errorbar="ci") resample from a fresh random stream on every
    draw, so the same results would give other figure bytes; the figures draw exact intervals."""
    for figure in FIGURES:
        script = (ROOT / "scripts" / f"{figure.script}.py").read_text()
        assert 'errorbar=("ci"' not in script and "n_boot" not in script, figure.script
