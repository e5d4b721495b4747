"""The paper registry is the one place that links claims, rules, scripts, checks and captions:
everything it names exists, and what is generated from it has not drifted."""

import fnmatch
from pathlib import Path

import yaml

from replication import claims
from replication.config import validate
from replication.docs.generate import PAPER_END, PAPER_START, pipeline_map
from replication.paper import FIGURES
from replication.stages import StageTable

ROOT = Path(__file__).resolve().parents[1]


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
        assert all(callable(getattr(claims, name, None)) for name in figure.claim_functions), figure.name


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
        owners = [f.name for f in FIGURES if any(fnmatch.fnmatch(row, pattern) for pattern in f.rows)]
        assert len(owners) == 1, (row, owners)


def test_a_claim_outside_the_registry_is_refused():
    import pytest

    from replication.paper import figure_of

    assert figure_of("F4.batch_size.over.alpha=0,beta=0.2") == "F4_lyapunov"
    with pytest.raises(ValueError, match="matches the rows of 0 figures"):
        figure_of("F9.unregistered")


def test_no_figure_draws_a_bootstrap():
    """seaborn's bootstrap intervals (errorbar="ci") resample from a fresh random stream on every
    draw, so the same results would give other figure bytes; the figures draw exact intervals."""
    for figure in FIGURES:
        script = (ROOT / "scripts" / f"{figure.script}.py").read_text()
        assert 'errorbar=("ci"' not in script and "n_boot" not in script, figure.script
