"""Train one variant of a visitor's own settings: the command the app's *Train your own* tab runs.

    python -m training.own --cell SimpleRNN --layers 1 --units 32 --maxlen 200 --epochs 3 \\
        --reviews 10000 --out /tmp/mine/zoo --progress /tmp/mine/progress.jsonl --stop /tmp/mine/stop

It trains with the code ``python -m training.train`` runs (``training.fit.train_variant``: the
seed's recipe, every epoch recorded and checkpointed, the best validation epoch kept, evaluated
and written as a zoo artifact), on ``--reviews`` training reviews (a fixed, seeded sample:
``training.corpus``'s ``--limit``), read from ``$IMDB_DATA`` through the corpus cache
``training.train`` uses, and measures it on a fixed, seeded sample of ``zoo.own.TEST_SAMPLE``
test reviews of that corpus (the artifact records how many). Its settings are checked against the server's caps
(``zoo.own``) whatever called it.

``--progress`` receives one JSON line per event (``zoo.own.read_events``). When the file named
by ``--stop`` appears, training stops at the next batch; the epochs already finished are
evaluated and written, the best of them kept (the checkpoint's ``--resume`` path).

With ``--serve`` it is the app's warm trainer (``zoo.own.TrainingLine``): it imports TensorFlow
while another process finds (or encodes) the corpus file of every review count the server offers,
smallest first, and says it is ready once TensorFlow is in; then it waits for one job on stdin
(one JSON line: ``{"arguments": [...], "log": PATH}``, the arguments of this command), waits
only for that job's own corpus file, runs the job exactly as the command would, and exits. A job
then starts training within a second of being handed over instead of after the import and the
read (seconds each). The reading process ends once every file is found, or when a job came.

With ``--parent PID`` (the app's server) it ends, and ends the process reading for it, as soon
as that process is gone: a server stopped leaves no trainer behind. A job trains at a lower
priority than the server (``lower_priority``): the visitors' Classify answers come first.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

import numpy as np

from training.corpus import Corpus, Encoded, cache_path, corpus_key, default_cache_dir
from zoo.evaluation import SHORT_TEXT_KINDS
from zoo.imdb import SPLIT_SEED, DataError, load_imdb
from zoo.own import TEST_SAMPLE, Caps, OwnSettings, job_niceness, review_choices

#: Batch progress is written at most this often, in seconds.
BATCH_EVERY = 0.5
#: How often a trainer looks whether the app's server is still there, in seconds.
PARENT_EVERY = 1.0
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
    parser.add_argument("--out", type=Path, help="the zoo folder to write the variant into (required)")
    parser.add_argument("--progress", type=Path, help="append progress events here as JSON lines (default: stdout)")
    parser.add_argument("--stop", type=Path, help="stop at the next batch once this file exists, keeping the best epoch")
    parser.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA)")
    parser.add_argument("--cache", type=Path, default=default_cache_dir(), help="the corpus cache (training.train's)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--serve", action="store_true",
                        help="prepare TensorFlow and the reviews, then take one job's arguments from stdin as a JSON "
                             "line (the app's warm trainer)")
    parser.add_argument("--ready", type=Path, help="with --serve: write 'ready' into this file once prepared")
    parser.add_argument("--parent", type=int,
                        help="end as soon as the process with this id (the app's server) is gone")
    args = parser.parse_args(argv)
    if args.out is None and not args.serve:
        parser.error("the following arguments are required: --out")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.parent is not None:
        exit_with(args.parent)
        if not args.serve:  # a job the app started itself (the warm trainer lowers it when a job comes)
            lower_priority()
    return serve(args) if args.serve else run(args)


def exit_with(pid: int, every: float = PARENT_EVERY) -> None:
    """End this process, and the processes it started, once the process ``pid`` is gone (a
    thread looks every ``every`` seconds): a trainer never outlives the app's server."""
    import psutil

    def gone(parent: psutil.Process | None) -> bool:
        try:
            return parent is None or not parent.is_running() or parent.status() == psutil.STATUS_ZOMBIE
        except psutil.Error:
            return True

    try:
        parent = psutil.Process(pid)
    except psutil.Error:
        parent = None

    def watch() -> None:
        while not gone(parent):
            time.sleep(every)
        for child in psutil.Process().children(recursive=True):  # the process reading the reviews
            try:
                child.kill()
            except psutil.Error:
                pass
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def lower_priority() -> None:
    """Let the app's server have the CPU first (its visitors' Classify answers): this process's
    priority lowered by ``zoo.own.job_niceness``, with psutil on every OS (a niceness on POSIX,
    the "below normal" class on Windows)."""
    import psutil

    niceness = job_niceness()
    if not niceness:
        return
    try:
        psutil.Process().nice(psutil.BELOW_NORMAL_PRIORITY_CLASS if sys.platform == "win32" else niceness)
    except (psutil.Error, OSError):  # not allowed here: train at the priority it has
        pass


def run(args: argparse.Namespace, prepared: dict[int, Path] | None = None) -> int:
    """Train the job ``args`` names; its reviews from ``prepared`` (review count: corpus file)
    when it has them. Returns the exit status."""
    progress = Progress(args.progress)
    settings = OwnSettings(args.cell, args.layers, args.units, args.maxlen, args.epochs, args.reviews)
    problems = settings.problems(Caps.from_env())
    if problems:
        progress("error", message="Refused: " + "; ".join(problems) + ".")
        return 2
    progress("reading", reviews=settings.reviews)
    try:
        corpus = read_corpus(args, settings, prepared or {})
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


def read_corpus(args: argparse.Namespace, settings: OwnSettings, prepared: dict[int, Path]) -> Corpus:
    """The encoded reviews: the prepared file, else through ``training.train``'s cache (read in
    another process while TensorFlow is imported here)."""
    import zipfile

    from training.train import read_corpora

    if settings.reviews in prepared:
        try:
            return test_sample(Corpus.read(prepared[settings.reviews]))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # a damaged cache file: through the cache, which encodes and replaces it
    key = corpus_key(settings.spec())
    with tempfile.TemporaryDirectory(prefix="simplernn-own-") as spare:
        files = read_corpora(args.data, [key], settings.reviews, args.cache, Path(spare), in_background=True)
        return test_sample(Corpus.read(files[key]))


def test_sample(corpus: Corpus, count: int = TEST_SAMPLE) -> Corpus:
    """``corpus`` with a fixed, seeded sample of ``count`` of its test reviews (and those reviews'
    first and last sentences); unchanged when it holds no more."""
    if len(corpus.test) <= count:
        return corpus
    rows = np.sort(np.random.default_rng(SPLIT_SEED).permutation(len(corpus.test))[:count])
    splits = dict(corpus.splits)
    for name in ("test", *SHORT_TEXT_KINDS):
        encoded = corpus.splits[name]
        splits[name] = Encoded([encoded.sequences[i] for i in rows], encoded.labels[rows])
    return Corpus(corpus.vocabulary, splits, {**corpus.record, "test_reviews": count})


def serve(args: argparse.Namespace) -> int:
    """The warm trainer: import TensorFlow while the reviews are found, say it is ready, then run
    the one job stdin hands over (nothing when it closes)."""
    from training.reproduce import use_threads

    spare = Path(tempfile.mkdtemp(prefix="simplernn-own-spare-"))
    try:
        with Reading(args, spare) as reading:
            import training.fit  # noqa: F401  (TensorFlow's import, while the other process reads)

            use_threads(1)
            if args.ready is not None:
                args.ready.write_text("ready", encoding="utf-8")
            line = reading.until_job(sys.stdin)
            if not line.strip():
                return 0  # the app went away before handing over a job
            job = json.loads(line)
            with open(job["log"], "ab") as log:  # the job's log from here on, as if it had started the command
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
            job_args = parse_args(job["arguments"])
            if args.parent is not None:
                lower_priority()
            try:
                prepared = reading.file(job_args.reviews)
            except DataError as problem:  # told to the job, as the command would tell it
                Progress(job_args.progress)("error", message=f"The reviews could not be read ({problem}).")
                return 2
        return run(job_args, prepared)
    finally:
        shutil.rmtree(spare, ignore_errors=True)
        if args.ready is not None:  # the app may have gone without removing it
            args.ready.unlink(missing_ok=True)


def corpus_file(data: str | None, key: tuple[int, float], count: int, cache: Path, spare: Path) -> Path:
    """The corpus file of ``count`` training reviews: its cache file when there is one (the job
    reads it), else encoded (``training.corpus.corpus_files``). The archive is read once per
    process, whatever the count (``zoo.imdb.load_imdb`` keeps it)."""
    from training.corpus import corpus_files

    path = cache_path(cache, load_imdb(data).fingerprint, *key, count)
    return path if path.is_file() else corpus_files(data, [key], count, cache, spare)[key]


class Reading:
    """The corpus file of every review count the server offers (``zoo.own.review_choices``),
    smallest first, found or encoded in another process while this one imports TensorFlow."""

    def __init__(self, args: argparse.Namespace, spare: Path) -> None:
        key = corpus_key(OwnSettings().spec())
        # The reading process ends by itself should this one be killed (a cancelled job, a server's exit).
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=exit_with, initargs=(os.getpid(),))
        self.files: dict[int, Future] = {
            count: self.pool.submit(corpus_file, args.data, key, count, args.cache, spare)
            for count in sorted(review_choices(Caps.from_env()))}

    def __enter__(self) -> Reading:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Let the reading process go once its current file is done (the others are not read)."""
        self.pool.shutdown(wait=False, cancel_futures=True)

    def until_job(self, stdin) -> str:
        """The job's line from ``stdin`` ('' once it closed); meanwhile, the reading process ends
        as soon as every file is found (it holds the reviews' text)."""
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(stdin.readline()), name="job-line", daemon=True).start()
        while True:
            try:
                return lines.get(timeout=0.5)
            except queue.Empty:
                if all(future.done() for future in self.files.values()):
                    self.close()

    def file(self, count: int) -> dict[int, Path]:
        """``{count: its corpus file}``, waited for (the other counts are no longer read); empty when
        the server does not offer ``count`` (the job reads it itself).

        Raises:
            DataError: the reviews could not be read.
        """
        for other, future in self.files.items():
            if other != count:
                future.cancel()
        if count not in self.files:
            return {}
        try:
            return {count: self.files[count].result()}
        except BrokenProcessPool as error:
            raise DataError(f"the process reading the reviews ended unexpectedly ({error})") from error


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
