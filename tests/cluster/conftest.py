from local_slurm import install_in_background


def pytest_collection_finish(session):
    """The cluster tests run last (tests/conftest.py); their packages install meanwhile."""
    if any(item.path.name == "test_cluster.py" for item in session.items):
        install_in_background()
