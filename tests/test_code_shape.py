"""Functions you can read in one screen: none over 60 lines in the library, the training code,
the app and the scripts."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.corpus import REPO

MAX_LINES = 60
CHECKED = ("zoo", "training", "views", "scripts", "streamlit_app.py")


def long_functions(path: Path, limit: int = MAX_LINES) -> list[str]:
    """``name (lines)`` of every function or method in ``path`` longer than ``limit`` lines,
    decorators aside, nested functions counted inside their parent and on their own."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{node.name} ({node.end_lineno - node.lineno + 1})" for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > limit]


def test_no_function_is_longer_than_a_screen():
    files = [REPO / CHECKED[-1], *(path for part in CHECKED[:-1] for path in sorted((REPO / part).rglob("*.py")))]
    found = {str(path.relative_to(REPO)): long for path in files if (long := long_functions(path))}
    assert found == {}


def test_a_long_function_would_be_seen(tmp_path):
    module = tmp_path / "long.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    module.write_text(f"def long():\n{body}\n\n\ndef short():\n    return 1\n", encoding="utf-8")
    assert long_functions(module) == [f"long ({MAX_LINES + 1})"]
