"""results/current/<name>/: symbolic links to the figures and claims of one config."""

from __future__ import annotations

import os
from pathlib import Path


def _link(target: str, link: Path) -> None:
    """Point ``link`` at ``target`` atomically (a new link renamed over the old one)."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    os.replace(tmp, link)


def refresh_view(results: Path, name: str, links: dict[str, str]) -> None:
    """Make results/current/<name>/<link> point at results/<target> for every link,
    drop links that are no longer part of the view, and point results/current/latest at it."""
    view = results / "current" / name
    view.mkdir(parents=True, exist_ok=True)
    for link, target in links.items():
        _link(os.path.relpath(results / target, view), view / link)
    for stale in view.iterdir():
        if stale.is_symlink() and stale.name not in links:
            stale.unlink()
    _link(name, results / "current" / "latest")
