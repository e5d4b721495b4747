"""Checks on the results directory before any job starts."""

from __future__ import annotations

import tempfile
from pathlib import Path


def require_writable(results: Path | str) -> None:
    """Raise OSError with a readable message unless files can be created under ``results``."""
    results = Path(results)
    try:
        results.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=results, prefix=".write-test-"):
            pass
    except OSError as error:
        raise OSError(f"results directory '{results}' is not writable: {error.strerror or error}") from None
