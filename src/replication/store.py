"""Writing results so that nothing partial is ever taken as finished, and checking them later.

Every file is written to a temporary name in its directory and renamed into place.
``provenance.json`` is written last: it holds the parameters, upstream keys, code digest,
package versions and the sha256 of every other file of the key directory.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np

PROVENANCE = "provenance.json"
_UMASK = os.umask(0)
os.umask(_UMASK)
PACKAGES = ("torch", "numpy", "scipy", "pandas", "seaborn", "matplotlib", "snakemake")


def atomic_write(path: Path | str, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_arrays(path, **arrays) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(path, buffer.getvalue())


def load_arrays(path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return dict(data)


def save_json(path, obj) -> None:
    atomic_write(path, (json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n").encode())


def save_table(path, frame) -> None:
    """A pandas DataFrame as CSV with full float precision (repr round-trips)."""
    atomic_write(path, frame.to_csv(index=False, float_format="%.17g").encode())


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def write_provenance(directory, stage: str, key: str, params: dict, upstream: dict,
                     code: str, files: list[str]) -> None:
    """Record how the key directory was made; call after every other file is in place."""
    directory = Path(directory)
    save_json(directory / PROVENANCE, {
        "stage": stage, "key": key, "params": params, "upstream": upstream, "code_digest": code,
        "versions": versions(), "checksums": {f: sha256(directory / f) for f in sorted(files)},
    })


class DamagedInput(RuntimeError):
    """An upstream file that is not the one its provenance.json recorded: the job stops before reading it."""


def checked(path: Path) -> Path:
    """``path``, once its sha256 equals the one its key directory's provenance.json recorded when it
    was written; hashed on every read, since bit rot keeps the mtime."""
    provenance, results = path.parent / PROVENANCE, path.parents[2]
    fix = (f"quarantine it (python -m replication.verify {results} --quarantine, or make verify ARGS=--quarantine) "
           "and rerun, which recomputes it")
    try:
        expected = json.loads(provenance.read_text())["checksums"].get(path.name)
    except (OSError, ValueError, KeyError, AttributeError) as error:
        raise DamagedInput(f"{provenance} is unreadable ({type(error).__name__}: {error}): {fix}") from None
    if expected is None:
        raise DamagedInput(f"{path} is not among the files its provenance.json lists: {fix}")
    if not path.is_file():
        raise DamagedInput(f"{path} is missing: {fix}")
    if sha256(path) != expected:
        raise DamagedInput(f"{path} differs from the file its provenance.json recorded: {fix}")
    return path


class Stage:
    """One stage instance: where it writes, what it read, how to finish it.

    ``spec`` is the plain dict the workflow passes: stage, key, params, upstream
    (name -> key directory), code digest and its own directory.
    """

    def __init__(self, spec: dict, log: str | None = None):
        self.name = spec["stage"]
        self.key = spec["key"]
        self.params = spec["params"]
        self.upstream = spec["upstream"]
        self.code = spec["code"]
        self.directory = Path(spec["directory"])
        self.files: list[str] = []
        self._checked: set[Path] = set()
        self._log = open(log, "a") if log else None
        self._start = time.perf_counter()

    def log(self, message: str) -> None:
        """A progress line with the elapsed wall time, to the rule's log file."""
        if self._log is not None:
            self._log.write(f"[{time.perf_counter() - self._start:8.1f} s] {message}\n")
            self._log.flush()

    def input(self, name: str, filename: str) -> Path:
        """Path of an upstream file, checked against its provenance (``checked``) on the first read."""
        path = Path(self.upstream[name]) / filename
        if path not in self._checked:
            self._checked.add(checked(path))
        return path

    def tables(self, prefix: str, filename: str):
        """One pandas table from the CSV files of the upstream instances named prefix_<network>, one per
        network."""
        import pandas as pd  # here, not at the top: the stages that write only arrays (data, train, minima) never load it

        return pd.concat([pd.read_csv(self.input(name, filename)) for name in self.upstream
                          if name.startswith(f"{prefix}_")], ignore_index=True)

    def gathered(self, filename: str):
        """The table of a gather stage: its upstream blocks ``shard_0``, ``shard_1``, ... joined in
        order, as one job for all of them would have written it (every table is written with 17
        significant digits, and read back exactly). A block without rows has no header and adds none."""
        import pandas as pd

        shards = sorted((name for name in self.upstream if name.startswith("shard_")), key=lambda name: int(name[6:]))
        paths = [self.input(name, filename) for name in shards]
        tables = [pd.read_csv(path, float_precision="round_trip") for path in paths if path.stat().st_size > 1]
        self.log(f"{len(tables)} of {len(shards)} blocks have rows")
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()

    def output(self, filename: str) -> Path:
        """Path of one output file; remembered for the checksums."""
        self.files.append(filename)
        return self.directory / filename

    def finish(self) -> None:
        write_provenance(self.directory, self.name, self.key, self.params,
                         {k: Path(v).name for k, v in self.upstream.items()}, self.code, self.files)
        self.log(f"finished {self.name}/{self.key}: {', '.join(self.files)}")


def run_stage(main: Callable[[Stage], None], job) -> None:
    """What every stage script does under Snakemake (``job`` is the script's global ``snakemake``):
    ``main`` computes the job's stage instance, which is then finished (its provenance written); a
    damaged input stops the job in one line that names the file. Torch, where the script imported
    it, gets the job's threads."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(job.threads)
    stage = Stage(job.params.stage, job.log[0])
    try:
        main(stage)
    except DamagedInput as error:
        stage.log(str(error))
        sys.exit(f"{stage.name}: {error}")
    stage.finish()


def seed_for(root_seed: int, *labels) -> int:
    """A 63-bit seed derived from the config's root seed and labels naming the use."""
    text = json.dumps([root_seed, *labels], sort_keys=True)
    return int(hashlib.sha256(text.encode()).hexdigest()[:15], 16)
