"""config/README.md's key table is generated from the schema and the stage table; a key reaches
only the stages that read it."""

from pathlib import Path

from replication.docs.config_keys import END, README, START, effects, key_table

ROOT = Path(__file__).resolve().parents[1]


def test_key_table_is_the_generated_one():
    text = README.read_text()
    assert text.split(START, 1)[1].split(END, 1)[0].strip() == key_table()


def test_keys_reach_only_the_stages_that_read_them():
    found = effects()
    # The control variates reach every field estimate but the quadratic flow's and the
    # training's; the path points only the field path; the quadratic stages take their betas
    # from their own sections, and the rates' batch-size sweep from its own key.
    assert found["field.control_variate"][0] == ["control_zeros", "flow_shard", "lyapunov_shard", "quadratic_rates",
                                                 "quadratic_zeros", "vector_field"]
    # The blocks' size is read by the blocks alone; the gather's key and those of its readers follow
    # their upstream keys (the gathered bytes do not change: test_workflow).
    assert found["lyapunov.minima_per_job"] == (["lyapunov_shard"], ["capture", "claims", "figures", "lyapunov_pl",
                                                                     "lyapunov_shard", "stability"])
    assert found["flow.runs_per_job"] == (["flow_shard"], ["claims", "figures", "flow", "flow_shard", "stability"])
    # Fewer followed training runs: fewer blocks, so the gather reads fewer (the default follows all 6).
    assert found["flow.training_runs"] == (["flow_shard"], ["claims", "figures", "flow", "flow_shard", "stability"])
    assert found["rates.batch_size_beta"][0] == ["quadratic_rates"]
    assert found["field.path_points"] == (["vector_field"], ["figures", "vector_field"])
    assert "quadratic_zeros" not in found["adam.beta"][1] and "quadratic_adam" not in found["adam.beta"][1]
    assert "train" not in found["lyapunov.momenta"][1]
    # Training builds a network's problem, not its claim/control role; claims read only that role.
    assert "train" not in found["networks.<name>.overparametrized"][1]
    assert "claims" not in found["networks.<name>.widths"][0] and "claims" in found["networks.<name>.widths"][1]
    assert found["name"] == ([], [])  # only the view's name
    assert found["stability.replicates"] == (["stability"], ["stability"])
    # Every computing key reruns something; a rerun always includes its readers.
    assert all(set(readers) <= set(reruns) for readers, reruns in found.values())


def test_the_schema_s_stage_resources_are_the_generated_ones():
    """One default resources entry per stage record, written by make docs (docs/extending.md)."""
    from replication.docs.config_keys import RESOURCES_END, RESOURCES_START, SCHEMA_PATH, resources_block

    text = SCHEMA_PATH.read_text()
    assert text.split(RESOURCES_START + "\n", 1)[1].split("\n" + RESOURCES_END, 1)[0] == resources_block()
