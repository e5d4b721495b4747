"""The house rule docs/extending.md states: no function in src/ or scripts/ longer than 60 lines,
but the one it names with its reason."""

import ast

from helpers import ROOT

EXEMPT = {("src/adam_ode/adam.py", "run_adam")}


def test_no_function_is_longer_than_60_lines_but_the_one_named():
    long = set()
    for path in sorted((ROOT / "src").rglob("*.py")) + sorted((ROOT / "scripts").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 60:
                long.add((str(path.relative_to(ROOT)), node.name))
    assert long == EXEMPT
    assert all(f"`{name}` in `{path}`" in (ROOT / "docs" / "extending.md").read_text() for path, name in EXEMPT)
