"""A generated block of a file: the text between its start and end markers, replaced whole."""

from __future__ import annotations

from pathlib import Path


def replace_block(text: str, start: str, end: str, body: str) -> str:
    if start not in text or end not in text:
        raise SystemExit(f"no {start} ... {end} block to fill")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def fill(path: Path, blocks: dict[tuple[str, str], str]) -> None:
    """Replace each (start, end) block of the file with its body."""
    text = path.read_text()
    for (start, end), body in blocks.items():
        text = replace_block(text, start, end, body)
    path.write_text(text)
