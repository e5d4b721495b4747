"""Running the workflow from tests: a copy of the repository, Snakemake, dry-run plans."""

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from replication.paper import FIGURES

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TINY = ["--configfile", "config/test.yaml"]
LONG = {"train": {"steps": 8000}}  # an overlay of the tiny config whose training runs for seconds
UNTIL_FLOW = ["--until", "flow"]  # the flow stage and what it needs: the kill tests stop it or training
# Every computed table and the claims, not the figures: where a test checks how jobs run (cores,
# locks), drawing adds only the figure jobs' start-up, seconds each.
NO_FIGURES = ["--omit-from", *(figure.script for figure in FIGURES)]


def without_figures(checksums: dict[str, str]) -> dict[str, str]:
    return {path: digest for path, digest in checksums.items() if not path.startswith("results/figures/")}


def copy_repository(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in files:
        if (ROOT / name).is_file() and not name.startswith("results/"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def copy_run(repo: Path, dest: Path) -> Path:
    """A finished run elsewhere: the repository with its results and Snakemake's records (links
    and modification times kept, so Snakemake finds nothing to do)."""
    shutil.copytree(repo, dest, symlinks=True, dirs_exist_ok=True)
    return dest


LAUNCH = [sys.executable, "workflow/launch.py"]  # what `make run` calls


def snakemake(repo: Path, *args, check=True, env=None, timeout=None, launch=False) -> subprocess.CompletedProcess:
    result = subprocess.run([*(LAUNCH if launch else [SNAKEMAKE]), *args], cwd=repo, capture_output=True, text=True,
                            env=env, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def planned_jobs(repo: Path, *args, config=TINY) -> dict[str, int]:
    """rule -> number of jobs a dry run would execute (empty: nothing to do)."""
    out = snakemake(repo, "-n", *config, *args)
    text = out.stdout + out.stderr
    if "Nothing to be done" in text:
        return {}
    block = text.split("Job stats:")[1].split("total")[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", block, re.M)}


def overlay(repo: Path, name: str, changes: dict) -> list[str]:
    (repo / "config" / name).write_text(yaml.safe_dump(changes))
    return ["--configfile", "config/test.yaml", f"config/{name}"]


def checksums(repo: Path) -> dict[str, str]:
    return {str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((repo / "results").rglob("*"))
            if p.is_file() and not p.is_symlink() and "logs" not in p.parts and "benchmarks" not in p.parts}


# Bad configs: (dotted key, bad value, what the message must name).
BAD_CONFIGS = [
    ("adam.alpha", 0.99, "adam.alpha"),
    ("adam.beta", 1.0, "adam.beta"),
    ("adam.eps", 0.0, "adam.eps"),
    ("train.steps", 0, "train.steps"),
    ("train.gamma_0", 0.0, "train.gamma_0"),
    ("train.rho", 1.5, "train.rho"),
    ("train.batch_size", 0, "train.batch_size"),
    ("networks.over.widths", [], "networks.over.widths"),
    ("networks.over.activation", "relu", "networks.over.activation"),
    ("quadratic.laws.0.name", "cauchy", "quadratic.laws.0.name"),
    ("data.n", 2, "data.n"),
    ("lyapunov.radii", [], "lyapunov.radii"),
    ("claims.equivalence_margin", 0.5, "claims.equivalence_margin"),
    ("trian", {}, "trian"),
    ("train.steps", "many", "train.steps"),
    ("lyapunov.batch_sizes", [1, 99], "lyapunov.batch_sizes"),
    ("lyapunov.batch_sizes", [1, 4], "lyapunov.batch_sizes"),
    ("quadratic_flow.starts", [10, 10**9], "quadratic_flow.starts"),
    ("rates.betas", [0.5, 0.9], "rates.betas"),
    ("gamma_limit.network", "over", "gamma_limit.network"),
    ("gamma_limit.network", "nonet", "gamma_limit.network"),
    ("adam.eps", float("inf"), "adam.eps"),
    ("networks.under.overparametrized", True, "networks.under.overparametrized"),
    ("networks.over.widths", [1, 2, 1], "networks.over.overparametrized"),
    ("quadratic.laws.0.shape", 1.5, "quadratic.laws.0.shape"),  # a probability
    ("quadratic.laws.2.shape", 0.5, "quadratic.laws.2"),  # the normal law takes no shape
    ("rates.symmetric_law.name", "exponential", "rates.symmetric_law.name"),  # must be symmetric
    ("rates.laws.1.name", "normal", "rates.laws.1.name"),  # must be skewed
    ("rates.betas", [0.99, 0.99, 0.999], "rates.betas"),  # a fit needs distinct points
    ("flow.sweep_gammas", [0.01, 0.01, 0.01], "flow.sweep_gammas"),
    ("quadratic_flow.sweep_gamma_0", [0.05, 0.05], "quadratic_flow.sweep_gamma_0"),
    ("gamma_limit.gammas", [0.02, 0.01, 0.01], "gamma_limit.gammas"),
    ("rates.gammas", [0.001, 0.001], "rates.gammas"),
    ("lyapunov.radii", [0.001, 0.01, 0.001], "lyapunov.radii"),
    ("width_sweep.widths", [1, 4, 4], "width_sweep.widths"),
    ("rates.batch_size_beta", 0.5, "rates.batch_size_beta"),
    ("rates.n_samples", 2002, "rates.n_samples"),  # the control variates' folds
    ("claims.constant_margin", 0.2, "claims.constant_margin"),
    ("train.record_points", 10**6, "train.record_points"),
    ("flow.horizon", 1e6, "flow.horizon"),
    ("quadratic_flow.sweep_time", 1e6, "quadratic_flow.sweep_time"),
    ("figures.palette", "colourblind", "figures.palette"),
    ("lyapunov.radii", [1e-3, float("nan")], "lyapunov.radii.1"),
    ("lyapunov.momenta", [{"alpha": 0.9, "beta": 0.9}, {"alpha": 0.5, "beta": 0.2}], "lyapunov.momenta"),
    ("lyapunov.momenta", [{"alpha": 0.9, "beta": 0.9}, {"alpha": 0.9, "beta": 0.9}], "lyapunov.momenta"),
]
# Validation is tested in-process for every case above (test_config); these go through Snakemake
# end to end: a schema error, a cross-key error, and a YAML .nan.
END_TO_END_BAD_CONFIGS = [case for case in BAD_CONFIGS if case[2] in ("adam.alpha", "lyapunov.radii.1")
                          or case[1] == [1, 99]]


def get_key(config: dict, dotted: str):
    node = config
    for key in dotted.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def set_key(config: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    node = config
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[last] = value
