"""Content keys: which code a stage's key hashes, and that only edits which can change what runs
change it."""

from pathlib import Path

from replication.keys import code_digest, code_files, normalised_code

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A script importing lib.a, which imports lib.b relatively; lib.c is imported by nobody."""
    src = tmp_path / "src"
    write(src / "lib" / "__init__.py", "")
    write(src / "lib" / "a.py", '"""Module a."""\nfrom .b import g\n\n\ndef f(x):\n    return g(x) + 1\n')
    write(src / "lib" / "b.py", "def g(x):\n    return 2 * x\n")
    write(src / "lib" / "c.py", "def h(x):\n    return x\n")
    script = write(tmp_path / "scripts" / "stage.py", "import numpy\nfrom lib.a import f\nprint(f(1))\n")
    return script, src


def test_code_files_follow_imports_transitively_within_the_packages(tmp_path):
    script, src = tree(tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in code_files(script, src, packages=("lib",))}
    assert names == {"scripts/stage.py", "src/lib/__init__.py", "src/lib/a.py", "src/lib/b.py"}


def test_the_project_stages_hash_the_modules_they_import():
    files = {p.relative_to(ROOT).as_posix() for p in code_files(ROOT / "scripts" / "lyapunov_shard.py", ROOT / "src")}
    assert {"src/adam_ode/checks.py", "src/replication/estimators.py", "src/adam_ode/vector_field/erm.py"} <= files
    assert "src/replication/claims.py" not in files
    assert "src/adam_ode/vector_field/quadratic.py" not in files  # one estimator's edit reruns only its stages
    training = {p.relative_to(ROOT).as_posix() for p in code_files(ROOT / "scripts" / "train.py", ROOT / "src")}
    assert not any("vector_field" in name for name in training)  # training does not rerun when an estimator changes
    quadratic = {p.relative_to(ROOT).as_posix() for p in code_files(ROOT / "scripts" / "quadratic_zeros.py", ROOT / "src")}
    assert "src/adam_ode/vector_field/quadratic.py" in quadratic and "src/adam_ode/vector_field/erm.py" not in quadratic


def test_comments_docstrings_and_layout_keep_the_digest_code_changes_do_not(tmp_path):
    script, src = tree(tmp_path)
    before = code_digest(script, src, tmp_path, ("lib",))
    a = src / "lib" / "a.py"
    write(a, '"""Module a, reworded."""\nfrom .b import g  # why\n\n\ndef f(x):\n    """Doc."""\n    return (g(x)\n'
             '            + 1)\n')
    assert normalised_code(a) == 'from .b import g\n\ndef f(x):\n    return g(x) + 1'
    assert code_digest(script, src, tmp_path, ("lib",)) == before
    write(src / "lib" / "c.py", "def h(x):\n    return -x\n")  # not imported by the stage
    assert code_digest(script, src, tmp_path, ("lib",)) == before
    write(src / "lib" / "b.py", "def g(x):\n    return 3 * x\n")  # imported through a
    assert code_digest(script, src, tmp_path, ("lib",)) != before
