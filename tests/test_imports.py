"""Imports run one way: ``scripts`` -> ``training`` -> ``zoo``, and the app -> ``views`` -> ``zoo``;
nothing imports ``tests``; no two modules import each other, directly or round a circle; and
no test module imports another (shared helpers live in ``tests/support``, fixtures in ``conftest.py``).

Read from the source with ``ast`` (every ``import``, at the top of a file or inside a
function), so a late import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from tests.support.corpus import REPO

APP = "streamlit_app"
#: What each part of the tree may import from the others (besides itself).
ALLOWED = {
    "zoo": set(),
    "views": {"zoo"},
    APP: {"views", "zoo"},
    "training": {"zoo"},
    "scripts": {"training", "views", "zoo"},
    "tests": {"zoo", "views", APP, "training", "scripts"},
}


def module_files() -> dict[str, Path]:
    """Every module of the tree by dotted name: ``zoo.store``, ``views``, ``streamlit_app``..."""
    files = {APP: REPO / f"{APP}.py"}
    for package in ("zoo", "views", "training", "scripts", "tests"):
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def imported_names(name: str, path: Path) -> set[str]:
    """What a module imports, as absolute dotted names (``from .a import b`` gives ``pkg.a`` and ``pkg.a.b``)."""
    names = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the tree it imports."""
    files = module_files()
    graph = {}
    for name, path in files.items():
        targets = set()
        for imported in imported_names(name, path):
            while imported and imported not in files:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def part(module: str) -> str:
    return module.split(".")[0]


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import graph's strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def imported_test_modules(name: str, path: Path) -> set[str]:
    """The test modules (``tests/test_*.py``, and ``conftest``, which pytest loads itself and no
    module should import) that module ``name`` imports, itself aside, however it names them:
    ``tests.test_app``, ``from tests import test_app``, ``.test_app``, ``test_app``."""
    found = set()
    for imported in imported_names(name, path):
        parts = imported.split(".")
        if parts[0] == "tests":
            parts = parts[1:]
        if parts and (parts[0].startswith("test_") or parts[0] == "conftest") and f"tests.{parts[0]}" != name:
            found.add(f"tests.{parts[0]}")
    return found


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    assert "zoo.errors" in graph["zoo.store"]  # from .errors import ...
    assert "zoo.hub" in graph["zoo.store"]  # from .hub import ...
    assert "training.parallel" in graph["training.train"]  # an import inside a function
    assert "views.loading" in graph[APP] and "zoo" in graph[APP]
    assert {"zoo", "views", "training", "scripts", "tests", APP} == {part(module) for module in graph}


def test_imports_run_one_way_and_nothing_imports_the_tests():
    wrong = sorted(f"{module} -> {target}" for module, targets in import_graph().items() for target in targets
                   if part(target) != part(module) and part(target) not in ALLOWED[part(module)])
    assert wrong == []


def test_no_test_module_imports_another():
    imports = {name: sorted(imported_test_modules(name, path)) for name, path in module_files().items()}
    assert {name: found for name, found in imports.items() if found} == {}


def test_an_import_between_test_modules_would_be_seen(tmp_path):
    lines = ["from tests.test_app import open_app", "import tests.test_hub", "from tests import test_cli",
             "from .test_faults import x", "from test_links import y", "from tests.support.app import open_app",
             "from tests.conftest import REPO", "from tests.test_own import helper"]
    module = tmp_path / "test_own.py"
    module.write_text("\n".join(lines), encoding="utf-8")
    assert imported_test_modules("tests.test_own", module) == {
        "tests.test_app", "tests.test_hub", "tests.test_cli", "tests.test_faults", "tests.test_links", "tests.conftest"}


def test_no_modules_import_each_other_round_a_circle():
    assert circles(import_graph()) == []


def test_a_circle_and_a_wrong_way_arrow_would_be_seen():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "tests" not in ALLOWED["scripts"] and "training" not in ALLOWED["views"] | ALLOWED[APP]


def test_importing_the_library_sets_no_environment_variable():
    import subprocess
    import sys

    code = ("import os; before = dict(os.environ); import zoo, zoo.store, zoo.cli, zoo.hub, zoo.inference; "
            "print(sorted(set(os.environ.items()) ^ set(before.items())))")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
