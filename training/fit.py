"""Train one variant, evaluate it and write its artifact (the work of ``python -m training.train``).

``train_variant`` trains with the variant's recipe while recording every epoch, keeps the
weights of the best validation epoch, evaluates on the test split (full reviews and their
first/last sentences) through the compiled serving path, and writes the artifact folder
atomically. This module imports TensorFlow; ``training.train`` (the command) imports it
only once the reviews are being read in another process.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np

from training.batches import ReviewBatches, validation_dataset
from training.checkpoint import EpochCheckpoint, default_work_dir
from training.corpus import Corpus
from training.model import build_model, build_training_model, compile_model, tfidf_weights, trims_padding
from zoo import tokenizer_file
from zoo.artifact import (
    CARD_FILE, HISTORY_FILE, HISTORY_KEYS, METADATA_FILE, MODEL_FILE, TOKENIZER_FILE, VOCABULARY_FILE, make_metadata,
    write_json, write_variant,
)
from zoo.card import render_card
from zoo.catalog import VariantSpec
from zoo.evaluation import evaluate_rows
from zoo.machine import this_machine

#: The short name of this training pipeline, recorded in every artifact it writes (before
#: SimpleRNN's written-out backward pass and the vocabulary-table projection of
#: ``training.model``: "fused-rnn-length-batches"; the numbers are the same up to float rounding).
PIPELINE = "fused-rnn-bptt"
#: Validation only runs forward, so it reads bigger batches than training: fewer, wider steps
#: of the recurrent loop for the same numbers.
VALIDATION_BATCH_SIZE = 1000


class EpochRecorder(keras.callbacks.Callback):
    """Records every epoch, keeps the best validation epoch's weights, and stops after
    ``patience`` epochs without improvement (never, when ``patience`` is None)."""

    def __init__(self, patience: int | None = None):
        super().__init__()
        self.patience = patience
        self.history: dict[str, list[float]] = {key: [] for key in HISTORY_KEYS}
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.history["seconds"].append(round(time.perf_counter() - self.started, 3))
        for key in HISTORY_KEYS[:-1]:
            self.history[key].append(round(float(logs[key]), 5))
        best = self.history["val_accuracy"][self.best_epoch - 1] if self.best_epoch else -1.0
        # Compare the recorded (rounded) values, so the best epoch is the first with the
        # highest val_accuracy the history shows.
        if self.history["val_accuracy"][-1] > best:
            self.best_epoch = epoch + 1
            self.best_weights = self.model.get_weights()
        elif self.patience is not None and epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True


class EpochReporter(keras.callbacks.Callback):
    """Calls ``report`` with one line per finished epoch (``training.parallel``'s progress)."""

    def __init__(self, spec: VariantSpec, report):
        super().__init__()
        self.epochs, self.report = spec.recipe.epochs, report

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.report(f"epoch {epoch + 1}/{self.epochs} · loss {logs.get('loss', float('nan')):.4f} · "
                    f"val_accuracy {logs.get('val_accuracy', float('nan')):.4f} · "
                    f"{time.perf_counter() - self.started:.1f} s")


def fit_variant(
    spec: VariantSpec, corpus: Corpus, *, seed: int, verbose: int = 1, checkpoint: EpochCheckpoint | None = None,
    progress: keras.callbacks.Callback | None = None,
) -> tuple[keras.Model, EpochRecorder, np.ndarray]:
    """Train a variant's fused model (``build_training_model``) with its recipe.

    Training reads length batches (``training.batches``); validation reads the full
    ``maxlen`` rows that serving reads (or their used columns, where ``trims_padding``), after
    every epoch.

    With ``checkpoint``, the state is saved after every epoch, and a resumed run starts
    after the checkpoint's last epoch. ``progress`` is one more callback (after the others).

    Returns:
        The trained model, the recorder holding its history and best weights, and the
        encoded validation rows (shortest first).
    """
    keras.utils.set_random_seed(seed)
    recipe = spec.recipe
    # Shortest first: a validation batch's loop starts at its first used column, as a training
    # batch's does. The mean loss and accuracy do not depend on the order.
    by_length = np.argsort([len(s) for s in corpus.validation.sequences], kind="stable")
    x_val, y_val = corpus.validation.padded(spec.maxlen)[by_length], corpus.validation.labels[by_length]
    trim = trims_padding(spec)
    batches = ReviewBatches(corpus.train.sequences, corpus.train.labels, spec.maxlen, recipe, seed, trim=trim)

    model = build_training_model(spec, idf=model_constants(spec, corpus))
    compile_model(model, recipe)
    recorder = EpochRecorder(recipe.patience)
    # With an EMA, validate and keep the averaged weights (swapped in before the recorder runs).
    callbacks = ([keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if recipe.ema_momentum else []) + [recorder]
    start = checkpoint.attach(model, recorder, callbacks, rng=batches.rng) if checkpoint else 0
    callbacks += [progress] if progress else []
    model.fit(
        batches.dataset(), epochs=recipe.epochs, initial_epoch=start,
        validation_data=validation_dataset(x_val, y_val, VALIDATION_BATCH_SIZE, trim),
        shuffle=False, callbacks=callbacks, verbose=verbose,
    )
    return model, recorder, x_val


def model_constants(spec: VariantSpec, corpus: Corpus) -> np.ndarray | None:
    """What a variant's model takes from the training reviews besides its trained weights:
    a ``TfIdf`` model's inverse document frequencies (``training.model.tfidf_weights``)."""
    return tfidf_weights(corpus.train.sequences, spec.num_words) if spec.cell == "TfIdf" else None


def train_variant(
    spec: VariantSpec, corpus: Corpus, *, seed: int, out: Path, verbose: int = 1,
    work: Path | None = None, resume: bool = False, progress: keras.callbacks.Callback | None = None,
    code: dict | None = None,
) -> Path:
    """Train one variant and write its artifact into the zoo folder ``out``.

    Every epoch is checkpointed into ``work`` (default: ``checkpoint.default_work_dir``),
    which is deleted once the variant is written; ``resume`` continues from it. ``code`` is
    the code revision recorded (``training.reproduce.code_revision``, taken now when None).

    Returns:
        The written variant folder.
    """
    checkpoint = EpochCheckpoint(work or default_work_dir(out, spec.id), spec, seed=seed, data=corpus.data_record(),
                                 resume=resume)
    model, recorder, x_val = fit_variant(spec, corpus, seed=seed, verbose=verbose, checkpoint=checkpoint,
                                         progress=progress)

    # Export a fresh, uncompiled model with the best epoch's weights: no optimizer state ships.
    best = build_model(spec, idf=model_constants(spec, corpus))
    best.set_weights(recorder.best_weights)
    _check_export(model, best, recorder.best_weights, x_val[:: max(1, len(x_val) // 8)])
    # The serving path (zoo.inference), on the texts zoo.evaluation.evaluate would encode: the
    # test reviews and their first and last sentences, two at a time (XLA's work runs outside
    # Python's lock, so two threads use both cores).
    sets = {"test": corpus.test, **corpus.short_texts()}
    with ThreadPoolExecutor(max_workers=2) as pool:
        scores = dict(zip(sets, pool.map(lambda texts: evaluate_rows(best, texts.padded(spec.maxlen), texts.labels),
                                         sets.values())))
    test = scores.pop("test")
    short = {kind: score["accuracy"] for kind, score in scores.items()}

    def fill(folder: Path) -> None:
        best.save(folder / MODEL_FILE)
        corpus.vocabulary.write(folder / VOCABULARY_FILE)
        tokenizer_file.write(folder / TOKENIZER_FILE, corpus.vocabulary)
        write_json(folder / HISTORY_FILE, recorder.history)
        metadata = make_metadata(
            spec,
            params=best.count_params(),
            history=recorder.history,
            best_epoch=recorder.best_epoch,
            test_loss=test["loss"],
            test_accuracy=test["accuracy"],
            short_text_accuracy=short,
            seed=seed,
            data=corpus.data_record(),
            training=training_record(code),
            folder=folder,
        )
        write_json(folder / METADATA_FILE, metadata)
        (folder / CARD_FILE).write_text(render_card(metadata, recorder.history), encoding="utf-8")

    folder = write_variant(out, spec.id, fill)
    checkpoint.discard()  # kept when the write fails: --resume then only evaluates and saves again
    return folder


def _check_export(trained: keras.Model, exported: keras.Model, weights: list, x: np.ndarray) -> None:
    """The exported layer-by-layer model must compute what the fused training model computed."""
    trained.set_weights(weights)
    expected, actual = trained.predict_on_batch(x), exported.predict_on_batch(x)
    if not np.allclose(expected, actual, atol=1e-5):
        raise RuntimeError(f"exported model differs from the trained one by {np.abs(expected - actual).max():.2e}")


def training_record(code: dict | None = None) -> dict:
    """What the artifact records about how it was trained: the pipeline, the code revision
    (``code``, else taken now), TensorFlow's threads and whether its deterministic ops were on,
    and the machine its seconds per epoch were measured on."""
    from training.reproduce import code_revision, determinism

    return {"pipeline": PIPELINE, "code": code or code_revision(), **determinism(),
            "machine": this_machine()}
