"""Content keys: a stage's key hashes its parameters, its upstream keys and its code."""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from pathlib import Path


def canonical_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def digest(text: str | bytes, length: int = 64) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:length]


def _module_file(name: str, src: Path) -> Path | None:
    base = src.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=None)
def _imported_files(path: Path, src: Path, packages: tuple[str, ...]) -> tuple[Path, ...]:
    """Files of the ``packages`` modules that ``path`` imports directly (parsed once per run:
    every stage's digest walks the same library modules)."""
    package = ".".join(path.relative_to(src).with_suffix("").parts[:-1]) if src in path.parents else ""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            base = ".".join(parts + ([node.module] if node.module else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for name in names:
            if name.split(".")[0] in packages:
                parts = name.split(".")
                for i in range(1, len(parts) + 1):
                    module = _module_file(".".join(parts[:i]), src)
                    if module is not None:
                        found.append(module)
    return tuple(found)


def code_files(script: Path, src: Path, packages=("adam_ode", "replication")) -> list[Path]:
    """The script and every module of ``packages`` under ``src`` it imports, transitively."""
    seen: dict[Path, None] = {}
    todo = [Path(script)]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen[path] = None
            todo.extend(_imported_files(path, Path(src), tuple(packages)))
    return sorted(seen)


def normalised_code(path: Path) -> str:
    """The code of a Python file without its comments, docstrings and layout (the source
    regenerated from its syntax tree), so that edits which cannot change what runs keep keys."""
    return _normalised(Path(path).read_text(), str(path))


@functools.lru_cache(maxsize=None)
def _normalised(source: str, filename: str) -> str:
    # Keyed by the source itself: every stage's digest normalises the same library modules.
    tree = ast.parse(source, filename)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def code_digest(script: Path, src: Path, root: Path, packages=("adam_ode", "replication")) -> str:
    """sha256 over the relative paths and normalised code of the files a stage runs."""
    h = hashlib.sha256()
    for path in code_files(script, src, packages):
        h.update(str(path.relative_to(root)).encode() + b"\0" + normalised_code(path).encode() + b"\0")
    return h.hexdigest()


def stage_key(params: dict, upstream: dict[str, str], code: str) -> str:
    """A short hash of the canonical JSON of (params, upstream keys, code digest)."""
    return digest(canonical_json({"params": params, "upstream": upstream, "code": code}), 12)
