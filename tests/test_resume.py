"""A training run killed at any point leaves the zoo as it was, and ``--resume`` finishes the
job from the last completed epoch (``training.checkpoint``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from tests.support.corpus import REPO, TINY_VARIANTS
from tests.support.files import leftovers, snapshot
from zoo.artifact import HISTORY_FILE, HISTORY_KEYS, MANIFEST_FILE, Artifact

VARIANT = TINY_VARIANTS[0]  # simplernn-1x32-len100
#: The killed run's epochs: enough that it is still training when the test sees its first checkpoint
#: and kills it (the rest take seconds even on a busy machine; the test looks every 50 ms), few
#: enough that the resumed run, which trains every epoch left, ends soon (0.1-0.4 s an epoch).
EPOCHS = 20


def train_command(corpus: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "training.train", "--data", str(corpus), "--out", str(out), "--variant", VARIANT,
            "--epochs", str(EPOCHS), "--quiet", *extra]


def test_a_run_killed_mid_epoch_leaves_the_zoo_and_resume_finishes_it(tiny_corpus, tiny_zoo_copy, tmp_path):
    from training.checkpoint import STATE_FILE, default_work_dir

    zoo_before = snapshot(tiny_zoo_copy)
    work = default_work_dir(tiny_zoo_copy, VARIANT)
    assert work == tmp_path / ".training-work" / "zoo" / VARIANT  # beside the zoo, not in it
    env = os.environ | {"PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    log = open(tmp_path / "killed.log", "w")
    child = subprocess.Popen(train_command(tiny_corpus, tiny_zoo_copy), cwd=REPO, env=env, stdout=log,
                             stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while not (work / STATE_FILE).exists():
            assert child.poll() is None, (tmp_path / "killed.log").read_text()
            assert time.monotonic() < deadline, "no checkpoint after 240 s"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        log.close()
    assert child.returncode == -signal.SIGKILL
    saved = json.loads((work / STATE_FILE).read_text())
    done = saved["epochs_done"]
    assert 1 <= done < EPOCHS and all(len(saved["history"][key]) == done for key in HISTORY_KEYS)

    # The zoo is exactly as it was: the killed run only ever wrote into its work folder.
    assert snapshot(tiny_zoo_copy) == zoo_before
    assert leftovers(tiny_zoo_copy) == []

    resumed = subprocess.run(train_command(tiny_corpus, tiny_zoo_copy, "--resume"), cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"Resuming {VARIANT} after epoch {done} of {EPOCHS}" in resumed.stdout
    epochs_run = [int(n) for n in re.findall(rf"^Epoch (\d+)/{EPOCHS}$", resumed.stdout, flags=re.M)]
    assert epochs_run == list(range(done + 1, EPOCHS + 1))

    folder = tiny_zoo_copy / VARIANT
    artifact = Artifact.read(folder)
    artifact.verify()
    history = json.loads((folder / HISTORY_FILE).read_text())
    assert all(len(history[key]) == EPOCHS for key in HISTORY_KEYS)
    # The epochs before the kill are the killed run's, not retrained ones.
    assert {key: history[key][:done] for key in HISTORY_KEYS} == saved["history"]
    assert artifact.metadata["best_epoch"] == 1 + int(np.argmax(history["val_accuracy"]))
    assert artifact.load_model() is not None
    # Everything else in the zoo is untouched, and the work folder is gone.
    def others(files: dict) -> dict:
        return {name: data for name, data in files.items() if not name.startswith(f"{VARIANT}/")}

    assert others(snapshot(tiny_zoo_copy)) == others(zoo_before)
    assert (tiny_zoo_copy / MANIFEST_FILE).read_bytes() == zoo_before[MANIFEST_FILE]
    assert not (tmp_path / ".training-work").exists()


# --- the checkpoint itself, in-process -------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tiny_corpus):
    from training.corpus import Corpus
    from zoo import catalog
    from zoo.imdb import load_imdb

    return Corpus.prepare(load_imdb(tiny_corpus), catalog.NUM_WORDS, catalog.SEED_RECIPE.validation_split)


def spec_with(epochs: int, **recipe):
    from zoo import catalog

    spec = catalog.get(VARIANT)
    return replace(spec, recipe=replace(spec.recipe, epochs=epochs, **recipe))


def fit(corpus, work: Path, epochs: int, *, resume: bool, seed: int = 5):
    from training.checkpoint import EpochCheckpoint
    from training.fit import fit_variant

    spec = spec_with(epochs)
    checkpoint = EpochCheckpoint(work, spec, seed=seed, data=corpus.data_record(), resume=resume)
    model, recorder, _ = fit_variant(spec, corpus, seed=seed, verbose=0, checkpoint=checkpoint)
    return model, recorder


@dataclass(frozen=True)
class InMemory:
    """What a run had in memory when it ended, as plain arrays."""

    history: dict
    best_epoch: int
    best_weights: list
    weights: list
    optimizer_variables: list


@pytest.fixture(scope="module")
def two_epochs(corpus, tmp_path_factory) -> tuple[Path, InMemory]:
    """A checkpoint after two epochs, and what the run had in memory then."""
    work = tmp_path_factory.mktemp("work") / VARIANT
    model, recorder = fit(corpus, work, 2, resume=False)
    # Keep arrays, not the model: a model kept until interpreter exit keeps its training input
    # iterator (a tf.data generator) alive, and TensorFlow may crash finalizing it at exit.
    kept = InMemory(recorder.history, recorder.best_epoch, recorder.best_weights, model.get_weights(),
                    [np.asarray(v) for v in model.optimizer.variables])
    return work, kept


def test_the_checkpoint_holds_weights_optimizer_history_and_best_weights(two_epochs, corpus, tmp_path):
    from training.checkpoint import EpochCheckpoint
    from training.model import build_training_model, compile_model
    from training.fit import EpochRecorder

    work, kept = two_epochs
    state = json.loads((work / "checkpoint.json").read_text())
    assert state["epochs_done"] == 2 and state["folder"] == "epoch-0002"
    assert sorted(p.name for p in work.iterdir()) == ["checkpoint.json", "epoch-0002"]  # older epochs removed
    assert state["history"] == kept.history and state["best_epoch"] == kept.best_epoch

    # Restored into a fresh model: the same weights, optimizer state and recorder.
    spec = spec_with(5)
    fresh, fresh_recorder = build_training_model(spec), EpochRecorder(spec.recipe.patience)
    compile_model(fresh, spec.recipe)
    checkpoint = EpochCheckpoint(work, spec, seed=5, data=corpus.data_record(), resume=True)
    assert checkpoint.attach(fresh, fresh_recorder, []) == 2
    for restored, trained in zip(fresh.get_weights(), kept.weights, strict=True):
        np.testing.assert_array_equal(restored, trained)
    assert int(fresh.optimizer.iterations) == int(kept.optimizer_variables[0]) > 0
    for restored, trained in zip(fresh.optimizer.variables, kept.optimizer_variables, strict=True):
        np.testing.assert_array_equal(np.asarray(restored), trained)
    assert fresh_recorder.history == kept.history and fresh_recorder.best_epoch == kept.best_epoch
    for restored, best in zip(fresh_recorder.best_weights, kept.best_weights, strict=True):
        np.testing.assert_array_equal(restored, best)


def test_resuming_with_more_epochs_continues_and_a_finished_run_trains_no_more(two_epochs, corpus, tmp_path):
    work = tmp_path / VARIANT
    shutil.copytree(two_epochs[0], work)
    # What a run killed while saving epoch 3 leaves: a partial epoch folder that checkpoint.json
    # does not point at yet.
    (work / "epoch-0003").mkdir()
    (work / "epoch-0003" / "training.weights.h5").write_bytes(b"the first bytes of an HDF5 file")
    _, recorder = fit(corpus, work, 3, resume=True)
    assert len(recorder.history["loss"]) == 3
    assert json.loads((work / "checkpoint.json").read_text())["epochs_done"] == 3
    assert sorted(p.name for p in work.iterdir()) == ["checkpoint.json", "epoch-0003"]
    assert recorder.history["loss"][:2] == two_epochs[1].history["loss"]
    _, again = fit(corpus, work, 3, resume=True)  # all 3 epochs done: nothing left to train
    assert again.history == recorder.history


def test_a_checkpoint_from_another_run_is_refused(two_epochs, corpus, tmp_path, capsys):
    from training.checkpoint import CheckpointError

    work = tmp_path / VARIANT
    shutil.copytree(two_epochs[0], work)
    with pytest.raises(CheckpointError, match="from a run with another seed.*without --resume to start over"):
        fit(corpus, work, 3, resume=True, seed=6)
    (work / "checkpoint.json").write_text('{"format": 1, "varia')
    with pytest.raises(CheckpointError, match="checkpoint.json is unreadable"):
        fit(corpus, work, 3, resume=True)
    # Without --resume, the run starts afresh and says what it overwrites.
    _, recorder = fit(corpus, work, 1, resume=False)
    assert "Starting simplernn-1x32-len100 afresh" in capsys.readouterr().out
    assert json.loads((work / "checkpoint.json").read_text())["epochs_done"] == 1


# Keras leaves the HDF5 file of the failed save open; h5py reports the failed flush when it is
# garbage-collected, after the folder is gone.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_checkpoint_save_on_a_full_disk_keeps_the_previous_one(two_epochs, corpus, tmp_path, capsys):
    from tests.support.files import mounted_small_disk

    with mounted_small_disk(tmp_path / "disk", "6m") as disk:
        work = disk / VARIANT
        shutil.copytree(two_epochs[0], work)  # about 4 MB: no room for a second epoch folder
        _, recorder = fit(corpus, work, 3, resume=True)
        assert len(recorder.history["loss"]) == 3  # the epoch trained; only its checkpoint failed
        assert "warning: could not save the checkpoint of epoch 3" in capsys.readouterr().out
        assert sorted(p.name for p in work.iterdir()) == ["checkpoint.json", "epoch-0002"]
        assert json.loads((work / "checkpoint.json").read_text())["epochs_done"] == 2
        _, again = fit(corpus, work, 2, resume=True)
        assert again.history == two_epochs[1].history


@pytest.mark.slow
def test_a_process_whose_checkpoint_save_hit_a_full_disk_exits_cleanly():
    """The failed save's HDF5 file, left open by Keras, crashed the process at exit (HDF5's own
    exit handler, after Python had ended: a segmentation fault after "passed")."""
    test = f"{Path(__file__).relative_to(REPO)}::test_a_checkpoint_save_on_a_full_disk_keeps_the_previous_one"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"exit status {result.returncode}: {result.stdout[-1500:]}"
    assert " passed" in result.stdout or " skipped" in result.stdout


def test_closing_what_a_failed_save_left_open_closes_only_that_folders_hdf5_files(tmp_path):
    import h5py

    from training.checkpoint import close_hdf5_files

    (tmp_path / "failed").mkdir()
    left_open = h5py.File(tmp_path / "failed" / "training.weights.h5", "w")
    left_open.create_group("layers").create_dataset("w", data=np.ones(3))
    elsewhere = h5py.File(tmp_path / "other.h5", "w")
    close_hdf5_files(tmp_path / "failed")
    assert not left_open.id.valid and elsewhere.id.valid
    elsewhere.close()


@pytest.mark.slow
def test_resume_restores_the_exact_state_an_uninterrupted_run_had(corpus, tmp_path, monkeypatch):
    """Killed (here: an exception) at the start of epoch 2, then resumed: at that point the resumed
    run holds the same weights, bit for bit. With an EMA recipe, because its checkpoint is taken while
    the averaged weights are swapped in for validation, and the raw ones must come back."""
    import training.fit as train
    from training.checkpoint import EpochCheckpoint

    spec = spec_with(3, ema_momentum=0.9, batch_size=16)  # several steps per epoch: EMA differs from raw
    at_epoch_2 = []

    class Killed(Exception):
        pass

    class Recorder(train.EpochRecorder):
        def on_epoch_begin(self, epoch, logs=None):
            super().on_epoch_begin(epoch, logs)
            if epoch == 1:
                at_epoch_2.append(self.model.get_weights())
                if len(at_epoch_2) == 1:
                    raise Killed

    monkeypatch.setattr(train, "EpochRecorder", Recorder)
    work = tmp_path / VARIANT
    with pytest.raises(Killed):
        train.fit_variant(spec, corpus, seed=3, verbose=0,
                          checkpoint=EpochCheckpoint(work, spec, seed=3, data=corpus.data_record()))
    _, recorder, _ = train.fit_variant(spec, corpus, seed=3, verbose=0,
                                    checkpoint=EpochCheckpoint(work, spec, seed=3, data=corpus.data_record(), resume=True))
    uninterrupted, resumed = at_epoch_2
    for a, b in zip(uninterrupted, resumed):
        np.testing.assert_array_equal(a, b)
    assert len(recorder.history["loss"]) == 3


def test_a_save_that_finds_the_disk_full_keeps_the_checkpoint_and_resume_only_saves(corpus, tiny_zoo_path, tmp_path,
                                                                                     capsys):
    from tests.support.files import fill_up, mounted_small_disk
    from training.fit import train_variant
    from zoo.artifact import DiskFullError

    spec, work = spec_with(2), tmp_path / "work"
    with mounted_small_disk(tmp_path / "disk", "3m") as disk:
        out = disk / "zoo"
        shutil.copytree(tiny_zoo_path / VARIANT, out / VARIANT)
        shutil.copy(tiny_zoo_path / MANIFEST_FILE, out / MANIFEST_FILE)
        before = snapshot(out)
        fill_up(disk, leave=200_000)
        with pytest.raises(DiskFullError, match="nothing was replaced"):
            train_variant(spec, corpus, seed=5, out=out, verbose=0, work=work)
        assert snapshot(out) == before
        assert json.loads((work / "checkpoint.json").read_text())["epochs_done"] == 2

        (disk / "filler").unlink()
        capsys.readouterr()
        folder = train_variant(spec, corpus, seed=5, out=out, verbose=0, work=work, resume=True)
        assert "after epoch 2 (training had finished: evaluating and saving)" in capsys.readouterr().out
        assert len(Artifact.read(folder).history["loss"]) == 2
        Artifact.read(folder).verify()
        assert not work.exists()


def test_ctrl_c_says_what_is_kept_and_how_to_go_on_without_a_traceback(monkeypatch, capsys):
    import training.train as train

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "run", interrupted)
    assert train.main(["--variant", "simplernn-1x32-len100"]) == 130
    err = capsys.readouterr().err
    assert "interrupted." in err and "--resume" in err and "Traceback" not in err
