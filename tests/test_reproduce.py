"""A variant retrains exactly: the same command twice gives the same history, weights and
accuracies, ``--check`` says so (and says what differs when it does not), every artifact
records the code that trained it, and ``--seeds`` records the noise between seeds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.support.corpus import REPO
from training.reproduce import code_revision, differences
from zoo.artifact import HISTORY_FILE, METADATA_FILE, Artifact

VARIANT = "simplernn-1x32-len100"
PLAIN = "bow-32d-len500"


def train(argv: list[str]) -> subprocess.CompletedProcess:
    """``python -m training.train ARGV`` in a process of its own (TensorFlow's threads are set as
    it starts, as for a user)."""
    env = os.environ | {"PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-m", "training.train", *argv], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


def main(argv: list[str]) -> int:
    """``train(argv)``, its output printed (for ``capsys``); returns its exit status."""
    done = train(argv)
    print(done.stdout)
    print(done.stderr, file=sys.stderr)
    return done.returncode


TRAIN = ["--variant", VARIANT, "--epochs", "2", "--quiet", "--jobs", "1"]


@dataclass
class Twice:
    root: Path  #: ``first`` and ``second``: the two zoos
    check: subprocess.CompletedProcess  #: the second run, which checked itself against the first


@pytest.fixture(scope="module")
def twice(tiny_corpus, tmp_path_factory) -> Twice:
    """The same variants trained twice into two zoos, with two seeds each: a fused SimpleRNN
    (compiled with XLA) and an order-free reference (plain Keras, not compiled). The second run
    is checked against the first (``--check``), as a user checks a retrain: no third training."""
    root = tmp_path_factory.mktemp("twice")
    command = [*TRAIN, "--variant", PLAIN, "--data", str(tiny_corpus), "--seeds", "2"]
    assert main([*command, "--out", str(root / "first")]) == 0
    return Twice(root, train([*command, "--out", str(root / "second"), "--check", str(root / "first")]))


def weights(zoo: Path, variant: str) -> list[np.ndarray]:
    return Artifact.read(zoo / variant).load_model().get_weights()


def test_training_twice_gives_the_same_history_weights_and_accuracies(twice):
    for variant in (VARIANT, PLAIN):
        first, second = Artifact.read(twice.root / "first" / variant), Artifact.read(twice.root / "second" / variant)
        assert differences(first, second) == []
        history = lambda a: {k: v for k, v in a.history.items() if k != "seconds"}  # noqa: E731
        assert history(first) == history(second) and len(first.history["loss"]) == 2
        for a, b in zip(weights(twice.root / "first", variant), weights(twice.root / "second", variant)):
            assert np.array_equal(a, b)
        assert first.metadata["seed_runs"] == second.metadata["seed_runs"]


def test_check_passes_on_an_equal_retrain_and_lists_what_differs_otherwise(twice, tiny_corpus, tmp_path, capsys):
    assert twice.check.returncode == 0, twice.check.stderr[-3000:]
    assert "2 of 2 variant(s) equal" in twice.check.stdout

    # The order-free reference, which trains in a fraction of the SimpleRNN's time (no XLA compile).
    again = ["--variant", PLAIN, "--epochs", "2", "--quiet", "--jobs", "1", "--data", str(tiny_corpus),
             "--out", str(tmp_path / "again")]

    first = Path(shutil.copytree(twice.root / "first", tmp_path / "first"))  # the module's zoos stay as trained
    changed = first / PLAIN
    history = json.loads((changed / HISTORY_FILE).read_text())
    metadata = json.loads((changed / METADATA_FILE).read_text())
    history["val_accuracy"][1] += 0.01
    metadata["test_accuracy"] = 0.5
    (changed / HISTORY_FILE).write_text(json.dumps(history))
    (changed / METADATA_FILE).write_text(json.dumps(metadata))
    assert main([*again, "--check", str(first)]) == 3
    err = capsys.readouterr().err
    assert "history val_accuracy epoch 2" in err and "test_accuracy" in err and "1 differ" in err


def test_every_artifact_records_the_code_that_trained_it(twice):
    training = Artifact.read(twice.root / "second" / VARIANT).metadata["training"]
    revision = code_revision()
    assert training["code"] == revision
    assert (training["threads"], training["op_determinism"]) == (1, False)  # XLA on, one thread: still exact
    assert len(revision["git"]) == 40 and isinstance(revision["dirty"], bool)


def test_outside_a_checkout_the_package_version_is_recorded(tmp_path, monkeypatch):
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.1.0")
    assert code_revision(tmp_path) == {"package": "0.1.0"}


def test_seeds_are_recorded_in_the_served_artifact_which_is_the_named_seeds_run(twice):
    served = Artifact.read(twice.root / "second" / VARIANT)
    runs = served.metadata["seed_runs"]
    assert runs["seeds"] == [1337, 1338] and served.metadata["seed"] == 1337
    assert runs["test_accuracy"][0] == served.metadata["test_accuracy"]
    other = Artifact.read(twice.root / ".training-work" / "second" / "seeds" / "seed-1338" / VARIANT)
    assert runs["test_accuracy"][1] == other.metadata["test_accuracy"]
    assert runs["history"][1]["val_accuracy"] == other.history["val_accuracy"]
    assert set(runs["short_text_accuracy"]) == {"first_sentence", "last_sentence"}
