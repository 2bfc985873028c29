"""Time the project's training pipeline against the seed's recipe, on the same reviews.

    python -m training.benchmark --data ../shared/data/aclImdb_v1.tar.gz --epochs 3 --json
    python -m training.benchmark --variant simplernn-1x32-len500 --variant simplernn-2x32-len500 --json

For each variant, in one process:

1. the naive reference, the seed's code as a user types it: ``pad_sequences`` to ``maxlen``,
   the layer-by-layer model (``build_model``), ``rmsprop``, and
   ``fit(x, y, batch_size=128, validation_split=0.2)``; ``x`` is the 25,000 training reviews
   encoded with the zoo's vocabulary, the validation reviews last, so that both runs validate
   on the same 5,000 reviews;
2. the project's pipeline, exactly as ``python -m training.train`` trains
   (``training.train.fit_variant``).

Both train for ``--epochs`` epochs from the same seed, once per seed with ``--seeds N``. An
epoch's time includes its validation. ``*_epoch_s`` is the mean of the epochs after the first
(which also traces and compiles), and ``speedup`` is their ratio; ``speedup_total`` compares
whole runs, compilation included. Validation accuracies (after the last epoch, and the best
epoch's) are means over the seeds. The last line printed is a JSON object: the first variant's numbers
at the top level, every variant's under ``variants``, with the machine, the library versions
and the TensorFlow threads.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

import keras
import numpy as np

from training.model import build_model
from training.train import Corpus, fit_variant, use_threads
from zoo import catalog
from zoo.benchmark import machine_record as zoo_machine_record
from zoo.catalog import VariantSpec
from zoo.imdb import DataError, load_imdb

DEFAULT_VARIANT = "simplernn-1x32-len500"
DEFAULT_EPOCHS = 3


def naive_fit(spec: VariantSpec, corpus: Corpus, *, seed: int, verbose: int = 0) -> dict[str, list[float]]:
    """The seed's recipe on ``corpus``: returns per-epoch ``seconds`` and ``val_accuracy``."""
    keras.utils.set_random_seed(seed)
    x = keras.utils.pad_sequences(corpus.train_sequences + corpus.validation_sequences, maxlen=spec.maxlen)
    y = np.concatenate([corpus.train.labels, corpus.validation.labels])
    model = build_model(spec)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    timer = EpochTimer()
    history = model.fit(x, y, epochs=spec.recipe.epochs, batch_size=128, validation_split=0.2,
                        callbacks=[timer], verbose=verbose)
    return {"seconds": timer.seconds, "val_accuracy": [round(float(a), 5) for a in history.history["val_accuracy"]]}


def pipeline_fit(spec: VariantSpec, corpus: Corpus, *, seed: int, verbose: int = 0) -> dict[str, list[float]]:
    """``training.train``'s pipeline on ``corpus``: returns per-epoch ``seconds`` and ``val_accuracy``."""
    _, recorder, _ = fit_variant(spec, corpus, seed=seed, verbose=verbose)
    return {"seconds": recorder.history["seconds"], "val_accuracy": recorder.history["val_accuracy"]}


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of every epoch, its validation included."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(round(time.perf_counter() - self.started, 3))


def summarize(name: str, runs: list[dict[str, list[float]]]) -> dict:
    """``{name}_epoch_s`` (mean of the epochs after the first, or of the only one, over all runs),
    the first epoch, the total, and the validation accuracy after the last epoch and at its best
    (means over the runs, one run per seed)."""
    steady = [s for run in runs for s in (run["seconds"][1:] or run["seconds"])]
    return {
        f"{name}_epoch_s": round(float(np.mean(steady)), 3),
        f"{name}_first_epoch_s": round(float(np.mean([run["seconds"][0] for run in runs])), 3),
        f"{name}_total_s": round(float(np.mean([sum(run["seconds"]) for run in runs])), 3),
        f"{name}_val_accuracy": round(float(np.mean([run["val_accuracy"][-1] for run in runs])), 5),
        f"{name}_best_val_accuracy": round(float(np.mean([max(run["val_accuracy"]) for run in runs])), 5),
        f"{name}_runs": runs,
    }


def benchmark_variant(spec: VariantSpec, corpus: Corpus, *, seeds: list[int], verbose: int = 0) -> dict:
    """Train ``spec`` the naive way, then the pipeline's way, once per seed, and compare."""
    naive_runs, pipeline_runs = [], []
    for seed in seeds:
        print(f"{spec.id}, seed {seed}: naive reference, {spec.recipe.epochs} epochs...", file=sys.stderr, flush=True)
        naive_runs.append(naive_fit(spec, corpus, seed=seed, verbose=verbose) | {"seed": seed})
        print(f"{spec.id}, seed {seed}: pipeline, {spec.recipe.epochs} epochs...", file=sys.stderr, flush=True)
        pipeline_runs.append(pipeline_fit(spec, corpus, seed=seed, verbose=verbose) | {"seed": seed})
    naive, pipeline = summarize("naive", naive_runs), summarize("pipeline", pipeline_runs)
    result = {
        "variant": spec.id,
        "epochs": spec.recipe.epochs,
        "seeds": seeds,
        "speedup": round(naive["naive_epoch_s"] / pipeline["pipeline_epoch_s"], 2),
        "speedup_first_epoch": round(naive["naive_first_epoch_s"] / pipeline["pipeline_first_epoch_s"], 2),
        "speedup_total": round(naive["naive_total_s"] / pipeline["pipeline_total_s"], 2),
        "val_accuracy_difference_pp": round(100 * (pipeline["pipeline_val_accuracy"] - naive["naive_val_accuracy"]), 2),
        "best_val_accuracy_difference_pp": round(
            100 * (pipeline["pipeline_best_val_accuracy"] - naive["naive_best_val_accuracy"]), 2),
        **naive,
        **pipeline,
    }
    print(f"{spec.id}: naive {result['naive_epoch_s']:.2f} s/epoch (val acc {result['naive_val_accuracy']:.4f}), "
          f"pipeline {result['pipeline_epoch_s']:.2f} s/epoch (val acc {result['pipeline_val_accuracy']:.4f}): "
          f"speedup {result['speedup']:.2f}x", file=sys.stderr, flush=True)
    return result


def machine_record(threads: int | None) -> dict:
    """``zoo.benchmark.machine_record``, with the TensorFlow threads the run asked for."""
    record = zoo_machine_record()
    record["threads"]["requested"] = threads or "TensorFlow default"
    return record


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training.benchmark",
        description="Time the training pipeline against the seed's recipe (pad_sequences + fit) on the same reviews.",
    )
    parser.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA, else download)")
    parser.add_argument("--variant", action="append", metavar="ID", choices=list(catalog.BY_ID),
                        help=f"variant to time (repeatable; default: {DEFAULT_VARIANT})")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="epochs per run (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="use only this many training reviews (quick runs)")
    parser.add_argument("--seed", type=int, default=1337, help="random seed of the first pair of runs (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=1, metavar="N",
                        help="train both ways N times, with seeds SEED, SEED+1, ...; accuracies are means over the "
                             "runs (validation accuracy moves by points from epoch to epoch, so one run "
                             "compares noise; default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1,
                        help="TensorFlow threads for both runs (default: %(default)s, as training.train)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object on the last line")
    parser.add_argument("--verbose", action="store_true", help="Keras progress lines while training")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_threads(args.threads)
    if args.epochs < 1 or args.seeds < 1:
        print("error: --epochs and --seeds must be at least 1", file=sys.stderr)
        return 2
    try:
        imdb = load_imdb(args.data)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    corpus = Corpus.prepare(imdb, catalog.NUM_WORDS, args.limit)
    started = time.perf_counter()
    results = []
    for variant_id in args.variant or [DEFAULT_VARIANT]:
        spec = catalog.get(variant_id)
        spec = replace(spec, recipe=replace(spec.recipe, epochs=args.epochs, patience=None))
        results.append(benchmark_variant(spec, corpus, seeds=[args.seed + i for i in range(args.seeds)],
                                         verbose=2 if args.verbose else 0))
    report = {
        **results[0],
        "variants": results,
        "data": {"train_reviews": len(corpus.train), "validation_reviews": len(corpus.validation),
                 "limit": args.limit, "fingerprint": imdb.fingerprint},
        "benchmark_s": round(time.perf_counter() - started, 1),
        **machine_record(args.threads),
    }
    if args.json:
        print(json.dumps(report))
    else:
        print(f"{'variant':<28}{'naive s/epoch':>15}{'pipeline s/epoch':>18}{'speedup':>9}{'naive val':>11}{'pipeline val':>14}"
              f"  (val: mean over {args.seeds} seed(s) after {args.epochs} epochs)")
        for r in results:
            print(f"{r['variant']:<28}{r['naive_epoch_s']:>15.2f}{r['pipeline_epoch_s']:>18.2f}{r['speedup']:>8.2f}x"
                  f"{r['naive_val_accuracy']:>11.4f}{r['pipeline_val_accuracy']:>14.4f}")
        print(f"{report['machine']['cpu']}, {report['machine']['cores']} cores, threads {report['threads']['intra_op']}; "
              f"TensorFlow {report['libraries']['tensorflow']}, Keras {report['libraries']['keras']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
