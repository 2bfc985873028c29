"""Train one variant of a visitor's own settings: the command the app's *Train your own* tab runs.

    python -m training.own --cell SimpleRNN --layers 1 --units 32 --maxlen 200 --epochs 3 \\
        --reviews 10000 --out /tmp/mine/zoo --progress /tmp/mine/progress.jsonl --stop /tmp/mine/stop

It trains with the code ``python -m training.train`` runs (``training.fit.train_variant``: the
seed's recipe, every epoch recorded and checkpointed, the best validation epoch kept, evaluated
and written as a zoo artifact), on ``--reviews`` training reviews and as many test reviews (a
fixed, seeded sample: ``training.corpus``'s ``--limit``), read from ``$IMDB_DATA`` through the
corpus cache ``training.train`` uses. Its settings are checked against the server's caps
(``zoo.own``) whatever called it.

``--progress`` receives one JSON line per event (``zoo.own.read_events``). When the file named
by ``--stop`` appears, training stops at the next batch; the epochs already finished are
evaluated and written, the best of them kept (the checkpoint's ``--resume`` path).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from training.corpus import Corpus, default_cache_dir
from zoo.imdb import DataError
from zoo.own import Caps, OwnSettings

#: Batch progress is written at most this often, in seconds.
BATCH_EVERY = 0.5
DEFAULT_SEED = 1337  # training.train's


class StopAsked(Exception):
    """The stop file appeared."""


class Progress:
    """Appends events to the progress file, one JSON object per line, flushed at once."""

    def __init__(self, path: Path | None):
        self.path = path

    def __call__(self, phase: str, **values) -> None:
        line = json.dumps({"phase": phase, "time": round(time.time(), 3), **values})
        if self.path is None:
            print(line, flush=True)
            return
        with open(self.path, "a", encoding="utf-8") as file:
            file.write(line + "\n")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m training.own", description=__doc__.split("\n")[0])
    defaults = OwnSettings()
    for name in ("cell", "layers", "units", "maxlen", "epochs", "reviews"):
        kind = str if name == "cell" else int
        parser.add_argument(f"--{name}", type=kind, default=getattr(defaults, name),
                            help=f"(default: {getattr(defaults, name)})")
    parser.add_argument("--out", type=Path, required=True, help="the zoo folder to write the variant into")
    parser.add_argument("--progress", type=Path, help="append progress events here as JSON lines (default: stdout)")
    parser.add_argument("--stop", type=Path, help="stop at the next batch once this file exists, keeping the best epoch")
    parser.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA)")
    parser.add_argument("--cache", type=Path, default=default_cache_dir(), help="the corpus cache (training.train's)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    progress = Progress(args.progress)
    settings = OwnSettings(args.cell, args.layers, args.units, args.maxlen, args.epochs, args.reviews)
    problems = settings.problems(Caps.from_env())
    if problems:
        progress("error", message="Refused: " + "; ".join(problems) + ".")
        return 2
    progress("reading", reviews=settings.reviews)
    try:
        corpus = read_corpus(args, settings)
    except DataError as error:
        progress("error", message=f"The reviews could not be read ({error}).")
        return 2
    progress("starting", train=len(corpus.train), validation=len(corpus.validation), test=len(corpus.test))
    try:
        variant = train(settings, corpus, args, progress)
    except StopAsked:
        progress("error", message="Stopped before the first epoch ended: there is nothing to keep.")
        return 4
    progress("done", variant=variant)
    return 0


def read_corpus(args: argparse.Namespace, settings: OwnSettings) -> Corpus:
    """The encoded reviews, through ``training.train``'s cache (read in another process while
    TensorFlow is imported here)."""
    from training.corpus import corpus_key
    from training.train import read_corpora

    key = corpus_key(settings.spec())
    with tempfile.TemporaryDirectory(prefix="simplernn-own-") as spare:
        files = read_corpora(args.data, [key], settings.reviews, args.cache, Path(spare), in_background=True)
        return Corpus.read(files[key])


def train(settings: OwnSettings, corpus: Corpus, args: argparse.Namespace, progress: Progress) -> str:
    """Train and write the variant; on a stop, write the best of the epochs finished. Returns its id."""
    from training.fit import train_variant
    from training.reproduce import use_threads

    use_threads(1)
    spec = settings.spec()
    work = args.out.parent / "work"
    reporter = reporting_callback(spec.recipe.epochs, progress, args.stop)
    try:
        train_variant(spec, corpus, seed=args.seed, out=args.out, verbose=0, work=work, progress=reporter)
    except StopAsked:
        done = json.loads((work / "checkpoint.json").read_text(encoding="utf-8"))["epochs_done"] \
            if (work / "checkpoint.json").is_file() else 0
        if not done:
            raise
        progress("evaluating", epochs=done, stopped=True)
        # The checkpoint of the last finished epoch, resumed with that many epochs: only evaluated and written.
        spec = replace(spec, recipe=replace(spec.recipe, epochs=done))
        train_variant(spec, corpus, seed=args.seed, out=args.out, verbose=0, work=work, resume=True)
    return spec.id


def reporting_callback(epochs: int, progress: Progress, stop: Path | None):
    """A Keras callback that reports batches and epochs to ``progress`` and raises ``StopAsked``
    once ``stop`` exists."""
    import keras

    class Reporter(keras.callbacks.Callback):
        last = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch, self.started = epoch + 1, time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            if stop is not None and stop.exists():
                raise StopAsked
            if time.perf_counter() - self.last > BATCH_EVERY:
                self.last = time.perf_counter()
                progress("batch", epoch=self.epoch, epochs=epochs, batch=batch + 1, batches=self.params.get("steps"))

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            metrics = {k: round(float(logs[k]), 5) for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in logs}
            progress("epoch", epoch=epoch + 1, epochs=epochs, seconds=round(time.perf_counter() - self.started, 3),
                     **metrics)
            if epoch + 1 == epochs:
                progress("evaluating", epochs=epochs, stopped=False)

    return Reporter()


if __name__ == "__main__":
    sys.exit(main())
