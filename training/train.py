"""Train zoo variants on the IMDB reviews and write them as artifacts.

    python -m training.train --variant simplernn-1x32-len500 --data ../shared/data/aclImdb_v1.tar.gz
    python -m training.train --all --jobs 2 --out bundled_zoo

The reviews are encoded once with the zoo's text pipeline and cached (``training.corpus``).
For each variant: train with the variant's recipe while recording every epoch, keep the
weights of the best validation epoch, evaluate on the test split (full reviews and their
first/last sentences) through the compiled serving path, and write the artifact folder
atomically into ``--out`` (``zoo-out/`` unless asked otherwise: the bundled zoo is only
written when named). With ``--jobs N``, N processes train the variants side by side
(``training.parallel``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import keras
import numpy as np

from training.batches import ReviewBatches
from training.checkpoint import CheckpointError, EpochCheckpoint, default_work_dir
from training.corpus import Corpus, default_cache_dir
from training.model import build_model, build_training_model, compile_model
from zoo import catalog
from zoo.artifact import (
    CARD_FILE, HISTORY_FILE, HISTORY_KEYS, METADATA_FILE, MODEL_FILE, VOCABULARY_FILE,
    DiskFullError, make_metadata, read_manifest, write_json, write_variant,
)
from zoo.benchmark import cpu_model
from zoo.card import render_card
from zoo.catalog import VariantSpec
from zoo.evaluation import evaluate_rows
from zoo.imdb import DataError, Imdb, load_imdb

DEFAULT_SEED = 1337
#: Where trained variants go unless ``--out`` says otherwise: a working folder git ignores.
#: The bundled zoo is written only when asked for by name (``--out bundled_zoo``).
DEFAULT_OUT = Path("zoo-out")
#: The short name of this training pipeline, recorded in every artifact it writes.
PIPELINE = "fused-rnn-length-batches"
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
    ``maxlen`` rows that serving reads, after every epoch.

    With ``checkpoint``, the state is saved after every epoch, and a resumed run starts
    after the checkpoint's last epoch. ``progress`` is one more callback (after the others).

    Returns:
        The trained model, the recorder holding its history and best weights, and the
        encoded validation rows.
    """
    keras.utils.set_random_seed(seed)
    recipe = spec.recipe
    x_val = corpus.validation.padded(spec.maxlen)
    batches = ReviewBatches(corpus.train.sequences, corpus.train.labels, spec.maxlen, recipe, seed)

    model = build_training_model(spec)
    compile_model(model, recipe)
    recorder = EpochRecorder(recipe.patience)
    # With an EMA, validate and keep the averaged weights (swapped in before the recorder runs).
    callbacks = ([keras.callbacks.SwapEMAWeights(swap_on_epoch=True)] if recipe.ema_momentum else []) + [recorder]
    start = checkpoint.attach(model, recorder, callbacks, rng=batches.rng) if checkpoint else 0
    callbacks += [progress] if progress else []
    model.fit(
        batches.dataset(), epochs=recipe.epochs, initial_epoch=start, validation_data=(x_val, corpus.validation.labels),
        validation_batch_size=VALIDATION_BATCH_SIZE, shuffle=False, callbacks=callbacks, verbose=verbose,
    )
    return model, recorder, x_val


def train_variant(
    spec: VariantSpec, corpus: Corpus, *, seed: int, out: Path, verbose: int = 1,
    work: Path | None = None, resume: bool = False, progress: keras.callbacks.Callback | None = None,
) -> Path:
    """Train one variant and write its artifact into the zoo folder ``out``.

    Every epoch is checkpointed into ``work`` (default: ``checkpoint.default_work_dir``),
    which is deleted once the variant is written; ``resume`` continues from it.

    Returns:
        The written variant folder.
    """
    checkpoint = EpochCheckpoint(work or default_work_dir(out, spec.id), spec, seed=seed, data=corpus.data_record(),
                                 resume=resume)
    model, recorder, x_val = fit_variant(spec, corpus, seed=seed, verbose=verbose, checkpoint=checkpoint,
                                         progress=progress)

    # Export a fresh, uncompiled model with the best epoch's weights: no optimizer state ships.
    best = build_model(spec)
    best.set_weights(recorder.best_weights)
    _check_export(model, best, recorder.best_weights, x_val[:8])
    # The serving path (zoo.inference), on the texts zoo.evaluation.evaluate would encode.
    test = evaluate_rows(best, corpus.test.padded(spec.maxlen), corpus.test.labels)
    short = {kind: evaluate_rows(best, texts.padded(spec.maxlen), texts.labels)["accuracy"]
             for kind, texts in corpus.short_texts().items()}

    def fill(folder: Path) -> None:
        best.save(folder / MODEL_FILE)
        corpus.vocabulary.write(folder / VOCABULARY_FILE)
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
            training=training_record(),
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


def training_record() -> dict:
    """What the artifact records about how it was trained: the pipeline, and the machine its
    seconds per epoch were measured on."""
    return {"pipeline": PIPELINE, "machine": {"cpu": cpu_model(), "cores": os.cpu_count()}}


def corpora_for(specs: list[VariantSpec], imdb: Imdb, limit: int | None, cache: Path | None) -> dict[tuple, Corpus]:
    """One corpus per distinct ``(num_words, validation_split)`` among ``specs``."""
    corpora = {}
    for spec in specs:
        key = corpus_key(spec)
        if key not in corpora:
            corpora[key] = Corpus.load(imdb, *key, limit=limit, cache=cache)
    return corpora


def corpus_key(spec: VariantSpec) -> tuple[int, float]:
    """What a variant's corpus depends on besides the data: its vocabulary size and split."""
    return spec.num_words, spec.recipe.validation_split


def use_threads(threads: int | None) -> None:
    """Run TensorFlow with ``threads`` intra- and inter-op threads (its default when 0 or None).

    Must be called before TensorFlow runs anything.
    """
    if threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training.train",
        description="Train zoo variants on the IMDB reviews and write them as artifacts into a zoo folder.",
        epilog="Variants: " + ", ".join(catalog.BY_ID),
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--variant", action="append", metavar="ID", choices=list(catalog.BY_ID),
                       help="a variant id to train (repeatable)")
    which.add_argument("--all", action="store_true", help="train every catalog variant")
    parser.add_argument("--epochs", type=int, help="epochs per variant (default: the variant's recipe, 10 for the seed recipe)")
    parser.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA, else download the official archive)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="zoo folder to write into (default: %(default)s, which git ignores; "
                             "the bundled zoo is replaced only with --out bundled_zoo)")
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="train N variants at a time, each in its own process "
                             "(default: one per core, at most one per variant; 1 trains in this process)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed for weights and shuffling (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="use only this many training and this many test reviews (quick runs)")
    parser.add_argument("--skip-existing", action="store_true", help="leave variants the zoo folder already holds")
    parser.add_argument("--threads", type=int, default=1,
                        help="TensorFlow threads per process (default: %(default)s; for 32-unit cells one thread per "
                             "process is faster than two, so --jobs uses the other cores)")
    parser.add_argument("--quiet", action="store_true", help="no per-batch progress bar, one line per epoch")
    parser.add_argument("--resume", action="store_true",
                        help="continue each variant from its last completed epoch, saved in its work folder")
    parser.add_argument("--work", type=Path, metavar="DIR",
                        help="keep each variant's per-epoch checkpoint in DIR/<variant> "
                             "(default: OUT/../.training-work/<OUT name>/<variant>; deleted once the variant is written)")
    parser.add_argument("--cache", type=Path, metavar="DIR", default=default_cache_dir(),
                        help="where the tokenized reviews are cached, keyed by the data's fingerprint and the text "
                             "pipeline's version (default: %(default)s, or $SIMPLERNN_ZOO_CACHE)")
    parser.add_argument("--no-cache", action="store_true", help="tokenize the reviews afresh and cache nothing")
    parser.add_argument("--timings", type=Path, help=argparse.SUPPRESS)  # JSON of the phases, for training.benchmark
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    specs = list(catalog.CATALOG) if args.all else [catalog.get(i) for i in args.variant]
    if args.skip_existing:
        done = set(read_manifest(args.out))
        specs = [s for s in specs if s.id not in done]
    if args.epochs:
        specs = [replace(s, recipe=replace(s.recipe, epochs=args.epochs)) for s in specs]
    jobs = min(args.jobs or os.cpu_count() or 1, len(specs))
    started = time.perf_counter()
    try:
        print("Reading the IMDB reviews...", flush=True)
        imdb = load_imdb(args.data)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if jobs > 1:
        from training.parallel import train_in_parallel

        return train_in_parallel(specs, imdb, args, jobs, started)

    use_threads(args.threads)
    corpora = corpora_for(specs, imdb, args.limit, None if args.no_cache else args.cache)
    if args.timings:
        write_json(args.timings, {"prepare_s": round(time.perf_counter() - started, 3)})
    for corpus in corpora.values():
        print(f"{len(corpus.train)} training, {len(corpus.validation)} validation, {len(corpus.test)} test reviews; "
              f"vocabulary of {len(corpus.vocabulary)} ({_duration(time.perf_counter() - started)} to read and encode)",
              flush=True)
    for number, spec in enumerate(specs, 1):
        elapsed = time.perf_counter() - started
        left = ", ".join(s.id for s in specs[number:]) or "nothing"
        print(f"\n[{number}/{len(specs)}] {spec.id} · {spec.recipe.epochs} epochs · elapsed {_duration(elapsed)} · after it: {left}", flush=True)
        try:
            folder = train_variant(spec, corpora[corpus_key(spec)], seed=args.seed, out=args.out,
                                   verbose=2 if args.quiet else 1,
                                   work=args.work / spec.id if args.work else None, resume=args.resume)
        except CheckpointError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except DiskFullError as error:
            print(f"error: {error}\n{RESUME_HINT}", file=sys.stderr)
            return 1
        print(f"wrote {folder}", flush=True)
    print(f"\nTrained {len(specs)} variant(s) in {_duration(time.perf_counter() - started)}.")
    return 0


RESUME_HINT = ("The last checkpoint is kept: once there is space, the same command with --resume continues from it "
               "instead of starting over.")


if __name__ == "__main__":
    sys.exit(main())
