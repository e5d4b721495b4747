import pytest
import torch

from adam_ode.erm import MLP, ERMProblem, make_dataset
from helpers import LONG, TINY, UNTIL_FLOW, checksums, copy_repository, overlay, snakemake

# Markers by file: `pytest -m unit` is the minute-long library suite; `make test` runs everything.
MARKERS = {"test_workflow.py": "workflow", "test_extending.py": "workflow", "test_faults.py": "faults",
           "test_cluster.py": "cluster"}


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(MARKERS.get(item.path.name, "unit"))
    items.sort(key=lambda item: item.path.name == "test_cluster.py")  # last: SLURM installs meanwhile


@pytest.fixture(scope="session")
def tiny_reference(tmp_path_factory):
    """The tiny config run once locally on two cores: (repository, checksums of its results).
    Tests that change it work on a copy (helpers.copy_run)."""
    repo = copy_repository(tmp_path_factory.mktemp("reference"))
    snakemake(repo, "--cores", "2", *TINY)
    return repo, checksums(repo)


@pytest.fixture(scope="session")
def long_reference(tmp_path_factory):
    """Checksums of the tiny config with LONG training (jobs long enough to be killed mid-run): every
    network's training and the flow stage. (`--until train flow` in one run trips Snakemake.)"""
    repo = copy_repository(tmp_path_factory.mktemp("long"))
    for until in (["--until", "train"], UNTIL_FLOW):
        snakemake(repo, "--cores", "2", *overlay(repo, "long.yaml", LONG), *until)
    return checksums(repo)


@pytest.fixture(scope="session")
def small_erm():
    """An overparametrized problem: N = 6 points, d = 1-8-1 = 25 parameters."""
    x, y = make_dataset(6, 1, seed=3, target="sine")
    return ERMProblem(MLP((1, 8, 1), "tanh"), x, y)


@pytest.fixture(scope="session")
def interpolating_erm():
    """Targets produced by the student network itself at theta_star: F(theta_star) = 0 exactly."""
    net = MLP((2, 5, 1), "softplus")
    x, _ = make_dataset(7, 2, seed=11)
    theta_star = net.init(1, torch.Generator().manual_seed(5))[0]
    return ERMProblem(net, x, net(theta_star, x).detach()), theta_star
