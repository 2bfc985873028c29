"""The test suite's own rules: pytest ends the way Python ends (exit handlers, coverage data),
waits stay under pytest's time limit, and the browser's set-up is defined once."""

from __future__ import annotations

import ast
import configparser
import os
import subprocess
import sys
from pathlib import Path

from tests.support.corpus import REPO

_INI = configparser.ConfigParser()
_INI.read(REPO / "pytest.ini")
PYTEST_TIMEOUT_S = int(_INI["pytest"]["timeout"])
SECONDS_WAITS = {"run", "check_output", "check_call", "call", "wait", "communicate", "result", "join", "urlopen"}
PYTHON_FILES = sorted(p for folder in ("tests", "scripts", "zoo", "training") for p in (REPO / folder).rglob("*.py"))


def test_pytest_exits_through_python_so_exit_handlers_run(tmp_path):
    """An exit handler (what coverage uses to write its data) runs after the session, and the
    exit status is pytest's own."""
    marker = tmp_path / "exit-handlers-ran"
    (tmp_path / "exit_probe.py").write_text(
        f"import atexit\natexit.register(lambda: open({str(marker)!r}, 'w').write('ran'))\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "exit_probe",
         "tests/test_text.py", "-k", "clips_a_text"],
        cwd=REPO, env=os.environ | {"PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}, capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert marker.read_text() == "ran"


def test_every_wait_in_tests_and_scripts_is_shorter_than_pytests_limit():
    """A subprocess allowed longer than pytest allows the whole test is ended by pytest first,
    without its output."""
    too_long = []
    for path in PYTHON_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            # Waits in seconds (Playwright's timeouts are milliseconds and per step).
            name = getattr(node.func, "attr", getattr(node.func, "id", None)) if isinstance(node, ast.Call) else None
            for keyword in node.keywords if name in SECONDS_WAITS else []:
                if keyword.arg != "timeout":
                    continue
                value = keyword.value
                seconds = value.value if isinstance(value, ast.Constant) else constants.get(getattr(value, "id", None))
                if isinstance(seconds, (int, float)) and seconds >= PYTEST_TIMEOUT_S:
                    too_long.append(f"{path.relative_to(REPO)}:{node.lineno} timeout={seconds}")
    assert too_long == []


def test_the_browser_and_free_port_are_defined_once_in_the_harness():
    others = [p for p in PYTHON_FILES if p != Path(__file__)]
    chromium_paths = [str(p.relative_to(REPO)) for p in others if '"/usr/bin/chromium"' in p.read_text(encoding="utf-8")]
    free_ports = [str(p.relative_to(REPO)) for p in others if "def free_port(" in p.read_text(encoding="utf-8")]
    assert chromium_paths == free_ports == ["scripts/harness.py"]
