"""What installs the project: requirements.txt (the pinned set the app installs) declares every
package the code imports, pyproject.toml makes ``zoo`` an installable package with a ``zoo``
command, and its ranges admit the pinned versions."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.support.corpus import REPO

#: The project's own top-level packages and modules.
LOCAL = {"zoo", "training", "views", "tests", "scripts", "streamlit_app"}
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> dict[str, Requirement]:
    """requirements.txt, by canonical name (both TensorFlow wheels, each with its marker)."""
    lines = (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {canonical(r.name): r for r in requirements}


def imported_packages(*paths: Path) -> set[str]:
    """Every third-party top-level module the files under ``paths`` import, at any depth of the code."""
    modules = set()
    for path in paths:
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m not in LOCAL and m != "__future__"}


def distributions(module: str) -> set[str]:
    return {canonical(d) for d in packages_distributions().get(module, [])}


def test_requirements_txt_declares_every_package_the_app_the_zoo_and_training_import():
    code = [REPO / "zoo", REPO / "training", REPO / "streamlit_app.py", *[p for p in [REPO / "views"] if p.exists()]]
    declared = set(pinned())
    undeclared = {m: sorted(distributions(m)) for m in imported_packages(*code) if not distributions(m) & declared}
    # e.g. psutil (zoo benchmark) only in requirements-dev.txt, or huggingface_hub's own HTTP library
    assert undeclared == {}


def test_pyproject_declares_what_the_zoo_package_imports_in_ranges_that_admit_the_pins():
    project = PYPROJECT["project"]
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"] == {"zoo": "zoo.cli:main"}
    assert PYPROJECT["tool"]["setuptools"]["packages"] == ["zoo"]
    extras = project["optional-dependencies"]
    ranges = [Requirement(r) for r in project["dependencies"] + extras["app"] + extras["training"]]
    names = {canonical(r.name) for r in ranges}
    for module in imported_packages(REPO / "zoo"):
        assert distributions(module) & {canonical(r.name) for r in map(Requirement, project["dependencies"])}, module
    pins = pinned()
    assert names == set(pins), "the same packages as requirements.txt"
    for requirement in ranges:
        pin = pins[canonical(requirement.name)]
        [version] = [spec.version for spec in pin.specifier]
        assert requirement.specifier.contains(version), f"{requirement} does not admit the pinned {pin}"
        assert str(requirement.marker) == str(pin.marker)


@pytest.mark.slow
def test_pip_install_gives_an_importable_zoo_and_a_zoo_command(tmp_path):
    """``pip install .`` (dependencies from this environment) outside the repository: ``import zoo``
    finds the installed package, its long description is the README, ``zoo --help`` runs, and
    without a zoo it says where to find one."""
    source = tmp_path / "source"
    shutil.copytree(REPO / "zoo", source / "zoo", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    # The zoo's dependencies come from the environment running the tests (a .pth file), not from
    # whatever the interpreter that made it has: a venv's --system-site-packages would reach past
    # it to the base interpreter. The build runs in pip's own isolated environment, with the
    # setuptools that pyproject.toml asks for, as a user's `pip install .` does.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True, timeout=120).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site) / "tests-dependencies.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps",
                              "--disable-pip-version-check", str(source)],
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-3000:]

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ZOO_SOURCE")} | {"TF_CPP_MIN_LOG_LEVEL": "3"}
    where = subprocess.run([str(python), "-c", "import zoo; print(zoo.__file__)"], cwd=outside, env=env,
                           capture_output=True, text=True, timeout=300)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stderr[-2000:]
    # The repository's README is the package's long description: Markdown, no Space front matter first.
    described = subprocess.run([str(python), "-c", "import importlib.metadata as m; d = m.metadata('simplernn-zoo'); "
                                "print(d['Description-Content-Type']); print(d.get_payload())"],
                               cwd=outside, env=env, capture_output=True, text=True, encoding="utf-8", timeout=300)
    content_type, _, description = described.stdout.partition("\n")
    assert content_type == "text/markdown" and description.startswith("# SimpleRNN Zoo\n"), described.stderr[-2000:]

    helped = subprocess.run([str(bin_dir / "zoo"), "--help"], cwd=outside, env=env, capture_output=True, text=True,
                            timeout=300)
    assert helped.returncode == 0, helped.stderr[-2000:]
    assert helped.stdout.startswith("usage: zoo ") and "classify" in helped.stdout

    listed = subprocess.run([str(bin_dir / "zoo"), "list"], cwd=outside, env=env, capture_output=True, text=True,
                            timeout=300)
    assert listed.returncode == 2
    assert listed.stderr.startswith("error: no bundled zoo at ") and "ships with the repository" in listed.stderr
