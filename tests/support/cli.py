"""Running the project's commands: ``python -m ...`` in a process of its own, as a person does
(``run``), or the same entry point called in this process (``call``).

A real process pays TensorFlow's import (seconds) every time; ``call`` pays it once per test
process. Use ``run`` where the process itself is under test: what reaches its terminal, its
exit status, ``python -m`` finding the module.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

import pytest

from tests.support.corpus import REPO

#: What a test's own environment may hold that would change the command's defaults.
STRIPPED_ENV = ("ZOO_SOURCE", "IMDB_DATA")


def run(*args: str, module: str = "zoo") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
    env |= {"PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)


def call(*args: str) -> subprocess.CompletedProcess:
    """``python -m zoo *args`` as ``run`` starts it, but in this process: ``zoo.cli.main`` called with
    the same arguments, environment (without ``STRIPPED_ENV``) and working folder, its standard
    output and error captured, and its exit status what ``python -m zoo`` would exit with
    (``main``'s answer, or the code of a ``SystemExit``: argparse's ``--help`` and usage errors).

    Whatever the command changes in the environment is undone afterwards.
    """
    from zoo.cli import main

    stdout, stderr = io.StringIO(), io.StringIO()
    saved_env = dict(os.environ)
    with pytest.MonkeyPatch.context() as patch:
        for name in STRIPPED_ENV:
            patch.delenv(name, raising=False)
        patch.chdir(REPO)
        patch.setattr(sys, "argv", [str(REPO / "zoo" / "__main__.py"), *args])  # the program name of `python -m zoo`
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                try:
                    code = main(list(args))
                except SystemExit as exit_:  # as the interpreter turns it into an exit status
                    code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        finally:  # only what changed: other threads may be reading the environment
            for name in set(os.environ) - set(saved_env):
                del os.environ[name]
            os.environ.update({name: value for name, value in saved_env.items() if os.environ.get(name) != value})
    return subprocess.CompletedProcess(["python", "-m", "zoo", *args], code, stdout.getvalue(), stderr.getvalue())
