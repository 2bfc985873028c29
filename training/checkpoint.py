"""Resuming a long training run from its last completed epoch.

After every epoch the whole training state goes into a per-variant work folder, outside
the zoo folder (by default ``<zoo>/../.training-work/<zoo name>/<variant>``)::

    checkpoint.json          which epoch folder is current, the epochs done, the recorder's
                             history and best epoch, RNG states, and what the run was for
    epoch-0007/
        training.weights.h5  the training model's weights and the optimizer's state
        best.npz             the weights of the best validation epoch so far

An epoch folder is written completely before ``checkpoint.json`` is replaced (atomically)
to point at it, so a run killed at any moment leaves the previous checkpoint usable.
``python -m training.train ... --resume`` continues from it; the folder is deleted once the
variant is written into the zoo. Keras' own ``BackupAndRestore`` keeps the weights and the
epoch only; a zoo artifact also needs every epoch's history and the best epoch's weights.

A resumed run is not bit-for-bit the run that was killed: the batches drawn after the
resume point come from the data RNG as it was saved, while TensorFlow's own generators
start afresh. Weights, optimizer state, history and best weights carry over exactly.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import asdict, replace
from pathlib import Path

import keras
import numpy as np

from training import WORK_FOLDER
from zoo.artifact import fsync_file, write_json
from zoo.catalog import VariantSpec

FORMAT_VERSION = 1
STATE_FILE = "checkpoint.json"
WEIGHTS_FILE = "training.weights.h5"
BEST_FILE = "best.npz"


class CheckpointError(Exception):
    """A checkpoint cannot be used to resume; the message says why and what to do."""


def default_work_dir(out: Path, variant_id: str) -> Path:
    """Where a variant trained into the zoo folder ``out`` keeps its checkpoint: next to the
    zoo, never inside it (a zoo folder holds only finished variants)."""
    out = Path(out).resolve()
    return out.parent / WORK_FOLDER / out.name / variant_id


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves the training state after every epoch, and restores it for ``--resume``.

    Put it after the ``EpochRecorder`` in the callbacks, so that the epoch it saves is
    already in the history (``attach`` does that).
    """

    def __init__(self, folder: Path, spec: VariantSpec, *, seed: int, data: dict, resume: bool = False):
        super().__init__()
        self.folder = Path(folder)
        self.spec, self.seed, self.data, self.resume = spec, seed, data, resume
        self.recorder = None
        self.rng: np.random.Generator | None = None
        self.ema_swap: keras.callbacks.SwapEMAWeights | None = None

    # ------------------------------------------------------------------ wiring into fit

    def attach(self, model: keras.Model, recorder, callbacks: list, rng: np.random.Generator | None = None) -> int:
        """Join a run about to start: restore the saved state when resuming, and append
        this callback to ``callbacks``.

        Args:
            model: the compiled training model.
            recorder: the run's ``EpochRecorder`` (its history and best weights are saved).
            callbacks: the callbacks ``fit`` gets; this one is appended after the recorder.
            rng: the generator that draws the training batches, saved and restored too.

        Returns:
            The epoch to start from (``fit``'s ``initial_epoch``): 0 for a fresh run, the
            recipe's epochs when the saved run had already finished or stopped early.

        Raises:
            CheckpointError: resuming, but the checkpoint is unreadable or from another run.
        """
        self.set_model(model)
        self.recorder, self.rng = recorder, rng
        self.ema_swap = next((c for c in callbacks if isinstance(c, keras.callbacks.SwapEMAWeights)), None)
        callbacks.append(self)
        if not self.resume:
            if self.state_path.exists():
                print(f"Starting {self.spec.id} afresh; its checkpoint in {self.folder} will be overwritten "
                      "(--resume continues from it).", flush=True)
            return 0
        if not self.state_path.exists():
            print(f"No checkpoint for {self.spec.id} in {self.folder}: training from the first epoch.", flush=True)
            return 0
        return self._restore()

    @property
    def state_path(self) -> Path:
        return self.folder / STATE_FILE

    def on_epoch_end(self, epoch, logs=None):
        try:
            self.save(epoch + 1)
        except OSError as error:
            # Losing a checkpoint must not lose the training itself; the previous one still stands.
            print(f"warning: could not save the checkpoint of epoch {epoch + 1} in {self.folder}: "
                  f"{error.strerror or error}; training goes on", flush=True)

    # ------------------------------------------------------------------ saving

    def save(self, epochs_done: int) -> None:
        """Write the state after ``epochs_done`` epochs: first its epoch folder, then the
        ``checkpoint.json`` that points at it, then remove older epoch folders."""
        name = f"epoch-{epochs_done:04d}"
        epoch_dir = self.folder / name
        shutil.rmtree(epoch_dir, ignore_errors=True)
        epoch_dir.mkdir(parents=True)
        try:
            self.model.save_weights(epoch_dir / WEIGHTS_FILE)  # includes the optimizer's variables
            best = self.recorder.best_weights or []
            with open(epoch_dir / BEST_FILE, "wb") as file:
                np.savez(file, *best)
            for path in epoch_dir.iterdir():
                fsync_file(path)
        except BaseException:
            close_hdf5_files(epoch_dir)
            shutil.rmtree(epoch_dir, ignore_errors=True)
            raise
        write_json(self.state_path, self._state(name, epochs_done))
        for old in self.folder.glob("epoch-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)

    def _state(self, name: str, epochs_done: int) -> dict:
        recorder = self.recorder
        return {
            "format": FORMAT_VERSION,
            "variant": self.spec.id,
            "run": self._run_identity(),
            "folder": name,
            "epochs_done": epochs_done,
            "stopped": bool(self.model.stop_training),
            "history": recorder.history,
            "best_epoch": recorder.best_epoch,
            "data_rng": self.rng.bit_generator.state if self.rng is not None else None,
            "python_rng": _python_state(),
            "numpy_rng": _numpy_state(),
            "ema_in_model": bool(self.ema_swap and self.ema_swap._ema_weights_in_model),
        }

    def _run_identity(self) -> dict:
        """What must match for a checkpoint to continue this run. The number of epochs may
        change: a run can be resumed with a larger ``--epochs``."""
        spec = replace(self.spec, recipe=replace(self.spec.recipe, epochs=0))
        return json.loads(json.dumps({"spec": asdict(spec), "seed": self.seed, "data": self.data}))

    # ------------------------------------------------------------------ restoring

    def _restore(self) -> int:
        state = self._read_state()
        epoch_dir = self.folder / state["folder"]
        model = self.model
        try:
            # The optimizer's variables must exist before its saved values can be loaded into them.
            model.optimizer.build(model.trainable_variables)
            model.load_weights(epoch_dir / WEIGHTS_FILE)
            with np.load(epoch_dir / BEST_FILE, allow_pickle=False) as best:
                best_weights = [best[f"arr_{i}"] for i in range(len(best.files))]
        except (OSError, ValueError, KeyError) as error:
            raise CheckpointError(f"the checkpoint in {epoch_dir} cannot be loaded ({error}); "
                                  f"delete {self.folder} and train without --resume") from error
        self.recorder.history = {key: list(values) for key, values in state["history"].items()}
        self.recorder.best_epoch = state["best_epoch"]
        self.recorder.best_weights = best_weights or None
        if self.rng is not None and state["data_rng"]:
            self.rng.bit_generator.state = state["data_rng"]
        _set_python_state(state["python_rng"])
        _set_numpy_state(state["numpy_rng"])
        if self.ema_swap is not None:
            # Saved after the EMA weights were swapped in for validation: swap back at the next epoch.
            self.ema_swap._ema_weights_in_model = state["ema_in_model"]
        done, epochs = state["epochs_done"], self.spec.recipe.epochs
        finished = state["stopped"] or done >= epochs
        print(f"Resuming {self.spec.id} after epoch {done}"
              + (" (training had finished: evaluating and saving)" if finished else f" of {epochs}")
              + f", from {self.folder}", flush=True)
        return epochs if finished else done

    def _read_state(self) -> dict:
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise CheckpointError(f"{self.state_path} is unreadable ({error}); delete {self.folder} "
                                  "and train without --resume") from error
        if state.get("format") != FORMAT_VERSION or state.get("variant") != self.spec.id:
            raise CheckpointError(f"{self.state_path} is not a checkpoint of {self.spec.id} in format "
                                  f"{FORMAT_VERSION}; delete {self.folder} and train without --resume")
        if state.get("run") != self._run_identity():
            saved = state.get("run") or {}
            differs = [key for key in ("spec", "seed", "data") if saved.get(key) != self._run_identity()[key]]
            raise CheckpointError(
                f"the checkpoint in {self.folder} is from a run with another {' and '.join(differs) or 'setup'} "
                "(recipe, seed or training data); resume with the same arguments, or train without --resume to start over"
            )
        return state

    # ------------------------------------------------------------------ cleaning up

    def discard(self) -> None:
        """Delete the work folder (the variant is safely in the zoo), and its parents if empty."""
        shutil.rmtree(self.folder, ignore_errors=True)
        for parent in self.folder.parents:  # only the default layout's own folders
            if WORK_FOLDER not in parent.parts or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()


def close_hdf5_files(folder: Path) -> None:
    """Close the HDF5 files under ``folder`` that a failed Keras save left open.

    ``save_weights`` has no ``finally``: when a write fails (a full disk), its HDF5 file stays
    open. Left alone, HDF5's own exit handler closes it after Python has ended, trips over the
    half-written file and crashes the process with a segmentation fault. Closed here, the
    failure is reported now (and ignored: the save already failed) and nothing is left for exit.
    """
    import gc

    import h5py

    for obj in gc.get_objects():
        if isinstance(obj, h5py.File) and obj.id.valid and Path(obj.filename).is_relative_to(folder):
            try:
                obj.close()
            except Exception:  # noqa: BLE001 - the flush of a failed save fails again; the save is lost anyway
                pass


def _python_state() -> list:
    version, internal, gauss = random.getstate()
    return [version, list(internal), gauss]


def _set_python_state(state: list) -> None:
    version, internal, gauss = state
    random.setstate((version, tuple(internal), gauss))


def _numpy_state() -> list:
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return [name, keys.tolist(), int(pos), int(has_gauss), float(cached)]


def _set_numpy_state(state: list) -> None:
    name, keys, pos, has_gauss, cached = state
    np.random.set_state((name, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))
