"""Reproducing a trained variant: which code trained it, deterministic training, and the check
that a retrained variant equals a recorded one.

Every artifact records the code revision it was trained with (``code_revision``): the git
commit when trained from a checkout, else the installed package's version, and whether the
training code had uncommitted changes. ``python -m training.train --variant V --check ZOO``
retrains V and compares it with ZOO's V (``differences``): every epoch of the history (but
its seconds), the best epoch, and the test and short-text accuracies must be equal, digit for
digit as recorded.

On one kind of machine that holds when TensorFlow runs deterministically (``use_threads``):
fixed seeds (``keras.utils.set_random_seed``, per variant) and one thread per process (the
default), or TensorFlow's deterministic ops (``--op-determinism``). Another CPU may
still give other numbers: XLA compiles for the CPU it runs on (its vector width decides how
sums of floats are ordered), and TensorFlow's and oneDNN's kernels pick their code paths by
CPU features, so float rounding, and from it a training run, can differ.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from zoo.artifact import HISTORY_KEYS, Artifact

REPO = Path(__file__).resolve().parent.parent
#: The files that decide how a variant trains: a change outside them (docs, the app, a zoo
#: folder being written) leaves the training code clean.
CODE_PATHS = ("training", "zoo", "requirements.txt", "pyproject.toml")
PACKAGE = "simplernn-zoo"
#: What ``differences`` compares besides the history (``seconds`` aside: wall-clock time).
COMPARED_METADATA = ("best_epoch", "val_accuracy", "test_accuracy", "test_loss", "short_text_accuracy")


def code_revision(repo: Path = REPO) -> dict:
    """The revision of the code that trains: ``{"git": commit, "dirty": bool}`` from a git
    checkout (dirty: uncommitted changes to ``CODE_PATHS``), else ``{"package": version}``,
    else ``{"unknown": why}``."""
    git = shutil.which("git")
    if git and (repo / ".git").exists():
        try:
            commit = _git(git, repo, "rev-parse", "HEAD")
            changes = _git(git, repo, "status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)
            return {"git": commit, "dirty": bool(changes)}
        except (OSError, subprocess.CalledProcessError):
            pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return {"package": version(PACKAGE)}
    except PackageNotFoundError:
        return {"unknown": "neither a git checkout nor an installed package"}


def _git(git: str, repo: Path, *args: str) -> str:
    return subprocess.run([git, "-C", str(repo), *args], capture_output=True, text=True, check=True,
                          timeout=30).stdout.strip()


_settings: dict = {"threads": None, "op_determinism": False}


def use_threads(threads: int | None, *, op_determinism: bool = False) -> None:
    """Run TensorFlow with ``threads`` intra- and inter-op threads (its default when 0 or None)
    and, with ``op_determinism``, TensorFlow's deterministic ops. Call it before TensorFlow
    runs anything; seeds are set per variant (``training.fit``).

    With one thread, training is deterministic on one kind of machine without TensorFlow's
    deterministic ops (``tests/test_reproduce.py`` trains twice and compares): every op runs
    on the CPU in one order, and XLA's compiled steps are deterministic. Keras does not
    compile with XLA once ``enable_op_determinism`` is on, which makes training slower
    (``docs/training.md`` measures it): it is for more threads, where the order of a sum may
    change from run to run.
    """
    import tensorflow as tf

    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TensorFlow already runs in this process: it keeps the threads it has
            pass
    if op_determinism:
        tf.config.experimental.enable_op_determinism()
    _settings.update(threads=tf.config.threading.get_intra_op_parallelism_threads() or None,
                     op_determinism=op_determinism)


def determinism() -> dict:
    """What ``use_threads`` set in this process: ``{"threads": n or None, "op_determinism": bool}``."""
    return dict(_settings)


def differences(trained: Artifact, recorded: Artifact) -> list[str]:
    """What differs between a retrained variant and the recorded one, one line each (none: equal).

    Compared: each epoch of each ``HISTORY_KEYS`` but ``seconds``, and ``COMPARED_METADATA``.
    """
    lines = []
    for key in HISTORY_KEYS:
        if key == "seconds":
            continue
        ours, theirs = trained.history.get(key, []), recorded.history.get(key, [])
        if len(ours) != len(theirs):
            lines.append(f"history {key}: {len(ours)} epochs, recorded {len(theirs)}")
            continue
        for epoch, (a, b) in enumerate(zip(ours, theirs), start=1):
            if a != b:
                lines.append(f"history {key} epoch {epoch}: {a}, recorded {b}")
    for key in COMPARED_METADATA:
        ours, theirs = trained.metadata.get(key), recorded.metadata.get(key)
        if ours != theirs:
            lines.append(f"{key}: {ours}, recorded {theirs}")
    return lines
