"""Time whole training runs: ``python -m training.train`` against the seed's code, side by side.

    python -m training.benchmark --data ../shared/data/aclImdb_v1.tar.gz --json
    python -m training.benchmark --data ../shared/data/aclImdb_v1.tar.gz --variant simplernn-2x32-len500 --rounds 2

Each round runs two whole trainings of one variant for ``--epochs`` epochs, one after the
other, each in a fresh Python process timed from outside (interpreter start and TensorFlow's
import included in both):

1. **the seed's code**, as a user types it: read the reviews and encode them with the zoo's
   text pipeline, ``pad_sequences`` to ``maxlen``, the layer-by-layer model
   (``training.model.build_model``), ``rmsprop``, ``fit(x, y, batch_size, validation_split)``
   with the recipe's batch size and split (the validation reviews last, so both runs validate
   on the same reviews), then ``model.evaluate`` on the test reviews and ``model.save``;
2. **the pipeline**: the real command, ``python -m training.train --variant V --epochs E``,
   with a fresh, empty corpus cache (``--warm-cache``: the cache a second run finds), so it
   reads and encodes the reviews too, trains, evaluates the full test reviews and their first
   and last sentences, and writes the artifact.

Reported for each: ``whole_s`` (the process's wall clock), ``prepare_s`` (reading and
encoding), ``epoch_s`` (the mean of the epochs after the first), ``first_epoch_s`` and
``compile_s`` (the first epoch minus a steady one: tracing and XLA compiling), and
``finish_s`` (the rest: start-up, evaluation, writing), and ``whole_cpu_s`` (the CPU time the
process used, where the OS reports it). ``speedup`` is the seed's whole run over the
pipeline's, per round, and its median over the rounds; ``cpu_speedup`` the same in CPU time,
which other work on a shared machine disturbs far less than wall clock. The two runs of a
round run back to back and the ratios are the meaningful part; the load average before each
run is recorded. The last line printed with ``--json`` is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from training.train import DEFAULT_SEED
from zoo import catalog
from zoo.machine import load_average
from zoo.seed import SEED_VARIANT

DEFAULT_EPOCHS = 10


def seed_code_run(variant_id: str, *, data: str | None, epochs: int, seed: int, out: Path,
                  limit: int | None = None) -> dict:
    """The seed's code on the zoo's data, whole: returns its phases' seconds and accuracies.

    Keras (and TensorFlow) is imported here, not by this module: ``Corpus.prepare`` encodes in
    spawned processes, which import the main module again.
    """
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Records the wall time of every epoch, its validation included."""

        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(round(time.perf_counter() - self.started, 3))

    started = time.perf_counter()
    from training.corpus import Corpus
    from training.model import build_model
    from zoo.imdb import load_imdb

    spec = catalog.get(variant_id)
    recipe = spec.recipe
    corpus = Corpus.prepare(load_imdb(data), spec.num_words, recipe.validation_split, limit, short=False)
    x = keras.utils.pad_sequences(corpus.train.sequences + corpus.validation.sequences, maxlen=spec.maxlen)
    y = np.concatenate([corpus.train.labels, corpus.validation.labels])
    x_test = keras.utils.pad_sequences(corpus.test.sequences, maxlen=spec.maxlen)
    prepared = time.perf_counter()

    keras.utils.set_random_seed(seed)
    model = build_model(spec)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x, y, epochs=epochs, batch_size=recipe.batch_size, validation_split=recipe.validation_split,
                        callbacks=[timer], verbose=0)
    fitted = time.perf_counter()
    test_loss, test_accuracy = model.evaluate(x_test, corpus.test.labels, batch_size=recipe.batch_size, verbose=0)
    model.save(out / "seed.keras")
    return {
        "prepare_s": round(prepared - started, 3),
        "seconds": timer.seconds,
        "fit_s": round(fitted - prepared, 3),
        "val_accuracy": [round(float(a), 5) for a in history.history["val_accuracy"]],
        "test_accuracy": round(float(test_accuracy), 5),
    }


def _child(args: list[str], env: dict) -> tuple[float, float | None, subprocess.CompletedProcess]:
    """Run ``python ARGS``; returns its wall clock, its CPU seconds (None where the OS does not
    report children's times, as on Windows) and the finished process."""
    started, before = time.perf_counter(), os.times()
    result = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, encoding="utf-8")
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return time.perf_counter() - started, (cpu or None), result


def _phases(whole: float, cpu: float | None, prepare: float, seconds: list[float]) -> dict:
    steady = seconds[1:] or seconds
    epoch = float(np.mean(steady))
    return {
        "whole_s": round(whole, 2),
        "whole_cpu_s": round(cpu, 2) if cpu else None,
        "prepare_s": round(prepare, 2),
        "first_epoch_s": round(seconds[0], 2),
        "epoch_s": round(epoch, 3),
        "compile_s": round(max(0.0, seconds[0] - epoch), 2),
        "epochs_s": round(sum(seconds), 2),
        "finish_s": round(whole - prepare - sum(seconds), 2),
        "seconds": seconds,
    }


def benchmark_round(variant_id: str, *, data: str | None, epochs: int, seed: int, threads: int, warm_cache: Path | None,
                    limit: int | None) -> dict:
    """One round: the seed's code, then the pipeline, each a whole run in a fresh process."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    with tempfile.TemporaryDirectory(prefix="training-benchmark-") as scratch:
        scratch = Path(scratch)
        common = ["--epochs", str(epochs), "--seed", str(seed), "--threads", str(threads)]
        common += ["--data", data] if data else []
        common += ["--limit", str(limit)] if limit else []

        seed_load = load_average()
        print(f"{variant_id}: the seed's code, {epochs} epochs...", file=sys.stderr, flush=True)
        whole, cpu, result = _child(["-m", "training.benchmark", "--seed-code-run", variant_id, "--out", str(scratch), *common],
                               env)
        if result.returncode != 0:
            raise RuntimeError(f"the seed's code failed: {result.stderr.strip().splitlines()[-1:]}")
        seed_run = json.loads(result.stdout.strip().splitlines()[-1])

        pipeline_load = load_average()
        print(f"{variant_id}: python -m training.train, {epochs} epochs...", file=sys.stderr, flush=True)
        cache = warm_cache or scratch / "cache"
        timings = scratch / "timings.json"
        whole_pipeline, cpu_pipeline, result = _child(
            ["-m", "training.train", "--variant", variant_id, "--out", str(scratch / "zoo"), "--quiet", "--jobs", "1",
             "--cache", str(cache), "--timings", str(timings), *common], env)
        if result.returncode != 0:
            raise RuntimeError(f"training.train failed: {result.stderr.strip().splitlines()[-1:]}")
        metadata = json.loads((scratch / "zoo" / variant_id / "metadata.json").read_text(encoding="utf-8"))
        history = json.loads((scratch / "zoo" / variant_id / "history.json").read_text(encoding="utf-8"))
        pipeline_prepare = json.loads(timings.read_text(encoding="utf-8"))["prepare_s"]

    seed_phases = _phases(whole, cpu, seed_run["prepare_s"], seed_run["seconds"])
    pipeline_phases = _phases(whole_pipeline, cpu_pipeline, pipeline_prepare, history["seconds"])
    return {
        "seed_code": seed_phases | {"load_average": seed_load, "val_accuracy": seed_run["val_accuracy"][-1],
                                    "best_val_accuracy": max(seed_run["val_accuracy"]),
                                    "test_accuracy": seed_run["test_accuracy"]},
        "pipeline": pipeline_phases | {"load_average": pipeline_load, "val_accuracy": history["val_accuracy"][-1],
                                       "best_val_accuracy": max(history["val_accuracy"]),
                                       "test_accuracy": metadata["test_accuracy"]},
        "speedup": round(seed_phases["whole_s"] / pipeline_phases["whole_s"], 2),
        "cpu_speedup": round(cpu / cpu_pipeline, 2) if cpu and cpu_pipeline else None,
        "epoch_speedup": round(seed_phases["epoch_s"] / pipeline_phases["epoch_s"], 2),
    }


def machine_record(threads: int | None) -> dict:
    """``zoo.benchmark.machine_record``, with the TensorFlow threads each run asked for."""
    from zoo.benchmark import machine_record as zoo_machine_record

    record = zoo_machine_record()
    record["threads"] = {"requested": threads or "TensorFlow default"}
    return record


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training.benchmark",
        description="Time whole runs of python -m training.train against the seed's code (pad_sequences + fit + "
                    "evaluate), side by side, on the same reviews.",
    )
    parser.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA, else download)")
    parser.add_argument("--variant", default=SEED_VARIANT, choices=list(catalog.BY_ID), metavar="ID",
                        help="variant to time (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="epochs per run (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=1, metavar="N",
                        help="run the pair N times, alternating; the speedup is the median (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="use only this many training and test reviews (quick runs)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed of both runs (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1,
                        help="TensorFlow threads for both runs (default: %(default)s, as training.train)")
    parser.add_argument("--warm-cache", type=Path, metavar="DIR",
                        help="give the pipeline this corpus cache (as a second run finds it) instead of an empty one")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object on the last line")
    parser.add_argument("--seed-code-run", metavar="ID", help=argparse.SUPPRESS)  # the seed's code, in a child process
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.rounds < 1:
        parser.error("--epochs and --rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.seed_code_run:
        from training.reproduce import use_threads

        use_threads(args.threads)
        print(json.dumps(seed_code_run(args.seed_code_run, data=args.data, epochs=args.epochs, seed=args.seed,
                                       out=args.out, limit=args.limit)))
        return 0

    from zoo.imdb import DataError, resolve_path

    try:
        data = str(resolve_path(args.data))
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    rounds = []
    for number in range(args.rounds):
        try:
            rounds.append(benchmark_round(args.variant, data=data, epochs=args.epochs, seed=args.seed,
                                          threads=args.threads, warm_cache=args.warm_cache, limit=args.limit))
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        r = rounds[-1]
        print(f"round {number + 1}: seed code {r['seed_code']['whole_s']:.1f} s, pipeline {r['pipeline']['whole_s']:.1f} s: "
              f"{r['speedup']:.2f}x", file=sys.stderr, flush=True)
    report = {
        "variant": args.variant,
        "epochs": args.epochs,
        "rounds": rounds,
        "speedup": round(float(np.median([r["speedup"] for r in rounds])), 2),
        "epoch_speedup": round(float(np.median([r["epoch_speedup"] for r in rounds])), 2),
        "cpu_speedup": round(float(np.median([r["cpu_speedup"] for r in rounds])), 2)
        if all(r["cpu_speedup"] for r in rounds) else None,
        "cache": "warm" if args.warm_cache else "cold",
        "limit": args.limit,
        "benchmark_s": round(time.perf_counter() - started, 1),
        **machine_record(args.threads),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    keys = ("whole_s", "whole_cpu_s", "prepare_s", "first_epoch_s", "compile_s", "epoch_s", "finish_s", "best_val_accuracy",
            "test_accuracy", "load_average")
    print(f"{args.variant}, {args.epochs} epochs, {args.rounds} round(s); corpus cache {report['cache']}")
    print(f"{'':<22}" + "".join(f"{name:>14}" for name in ("seed code", "pipeline")))
    for number, r in enumerate(rounds, 1):
        for key in keys:
            cells = [r[name][key] for name in ("seed_code", "pipeline")]
            print(f"{f'{number}: {key}':<22}" + "".join(f"{str(c):>14}" for c in cells))
        print(f"{f'{number}: speedup':<22}{r['speedup']:>13.2f}x  (steady epochs {r['epoch_speedup']:.2f}x)")
    print(f"median whole-run speedup {report['speedup']:.2f}x; {report['machine']['cpu']}, "
          f"{report['machine']['cores']} cores, threads {args.threads}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
