"""Running the project's commands as a person does: ``python -m ...`` in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.corpus import REPO


def run(*args: str, module: str = "zoo") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("ZOO_SOURCE", "IMDB_DATA")}
    env |= {"PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
