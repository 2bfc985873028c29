"""``python -m zoo benchmark``: how fast a zoo serves, measured in one process.

- ``load_all_s``: open the zoo and load every variant's model and vocabulary (TensorFlow
  already imported; its import time is ``import_s``).
- ``rss_mb``: the process's resident memory with every variant loaded and warmed up.
- ``first_classify_s``: the first review through every variant, which compiles each
  variant's forward pass (``inference.compiled_forward``) for one row.
- ``classify_one_p50_ms``, ``classify_one_p95_ms``: one test review through every variant
  (``Zoo.classify([text])``, as the app and ``python -m zoo classify`` call it), warm, over
  ``repeats`` different reviews.
- ``keras_classify_one_p50_ms``, ``keras_slowdown``: the reference, the same reviews through
  every variant the plain Keras way (``vocabulary.encode``, then ``model.predict_on_batch``,
  whose step Keras traces once but does not compile with XLA), over ``KERAS_REPEATS`` reviews,
  and how many times slower it is than ``classify_one_p50_ms``.
- ``evaluate_25k_s``: the whole test split through every variant, text processing included
  (one ``Zoo.classify`` call), with each variant's accuracy.
"""

from __future__ import annotations

import os
import platform
import sys
import time

import numpy as np

from .artifact import ArtifactError
from .evaluation import metrics
from .imdb import Reviews
from .machine import load_average, this_machine
from .store import Zoo
from .text import tokenize

#: Reviews classified, one at a time, before the latencies are measured.
WARMUP = 3
#: Reviews the plain Keras reference classifies (it is slow, so fewer).
KERAS_REPEATS = 20


def resident_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def run_benchmark(zoo: Zoo, test: Reviews, *, repeats: int = 100, seed: int = 0) -> dict:
    """Measure ``zoo`` serving the reviews of ``test`` (see the module docstring for the keys).

    Raises:
        ArtifactError: a variant cannot be loaded.
    """
    started = time.perf_counter()
    import keras  # noqa: F401  (TensorFlow's import is timed on its own)

    import_s = time.perf_counter() - started

    started = time.perf_counter()
    for variant_id in zoo.ids:
        zoo.model(variant_id)
        zoo.vocabulary(variant_id)
    load_all_s = time.perf_counter() - started

    rng = np.random.default_rng(seed)
    picks = rng.choice(len(test), size=min(len(test), WARMUP + repeats), replace=False)
    reviews = [test.texts[i] for i in picks]
    started = time.perf_counter()
    _answers(zoo.classify([reviews[0]]))
    first_classify_s = time.perf_counter() - started
    for text in reviews[1:WARMUP]:
        _answers(zoo.classify([text]))
    latencies = []
    for text in reviews[WARMUP:]:
        started = time.perf_counter()
        _answers(zoo.classify([text]))
        latencies.append(1000 * (time.perf_counter() - started))
    rss_mb = resident_mb()
    keras_latencies = _keras_latencies(zoo, reviews[:WARMUP] + reviews[WARMUP : WARMUP + KERAS_REPEATS])
    keras_p50 = float(np.percentile(keras_latencies[WARMUP:], 50))

    started = time.perf_counter()
    results = _answers(zoo.classify(test.texts))
    evaluate_s = time.perf_counter() - started

    return {
        "variants": len(zoo.ids),
        "load_all_s": round(load_all_s, 3),
        "import_s": round(import_s, 3),
        "rss_mb": rss_mb,
        "first_classify_s": round(first_classify_s, 3),
        "classify_one_p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "classify_one_p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "classify_one_reviews": len(latencies),
        "keras_classify_one_p50_ms": round(keras_p50, 2),
        "keras_slowdown": round(keras_p50 / float(np.percentile(latencies, 50)), 1),
        "classify_one_median_words": int(np.median([len(tokenize(t)) for t in reviews[WARMUP:]])),
        "evaluate_25k_s": round(evaluate_s, 2),
        "evaluate_reviews": len(test),
        "test_accuracy": {vid: metrics(p, test.labels)["accuracy"] for vid, p in results.items()},
        "rss_after_evaluate_mb": resident_mb(),
    }


def _keras_latencies(zoo: Zoo, reviews: list[str]) -> list[float]:
    """Milliseconds per review through every variant, the plain Keras way (see the module docstring)."""
    runs = [(zoo.model(vid), zoo.vocabulary(vid), zoo.artifact(vid).spec.maxlen) for vid in zoo.ids]
    latencies = []
    for text in reviews:
        started = time.perf_counter()
        for model, vocabulary, maxlen in runs:
            model.predict_on_batch(vocabulary.encode([text], maxlen))
        latencies.append(1000 * (time.perf_counter() - started))
    return latencies


def _answers(results: dict) -> dict[str, np.ndarray]:
    """``Zoo.classify``'s results, raising the first variant's error if any is broken."""
    for result in results.values():
        if isinstance(result, ArtifactError):
            raise result
    return results


def machine_record() -> dict:
    """The machine, the library versions and the TensorFlow threads, for the record."""
    import keras
    import tensorflow as tf

    return {
        "machine": {
            **this_machine(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
            if hasattr(os, "sysconf") else None,
            "platform": platform.platform(),
            "load_average": load_average(),
        },
        "libraries": {"python": platform.python_version(), "tensorflow": tf.__version__,
                      "keras": keras.__version__, "numpy": np.__version__},
        "threads": {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                    "inter_op": tf.config.threading.get_inter_op_parallelism_threads()},
    }


def print_summary(report: dict, file=sys.stdout) -> None:
    print(f"{report['variants']} variants of {report['zoo']}", file=file)
    print(f"  load all           {report['load_all_s']:.2f} s (TensorFlow import {report['import_s']:.2f} s)", file=file)
    print(f"  memory             {report['rss_mb']:.0f} MB resident", file=file)
    print(f"  first classify     {report['first_classify_s']:.2f} s (compiles each variant's forward pass)", file=file)
    print(f"  classify one       p50 {report['classify_one_p50_ms']:.1f} ms, p95 {report['classify_one_p95_ms']:.1f} ms "
          f"({report['classify_one_reviews']} reviews, median {report['classify_one_median_words']} words)", file=file)
    print(f"  plain Keras        p50 {report['keras_classify_one_p50_ms']:.1f} ms per review "
          f"(model.predict_on_batch): {report['keras_slowdown']:.1f}x slower", file=file)
    print(f"  evaluate {report['evaluate_reviews']:,} reviews  {report['evaluate_25k_s']:.1f} s", file=file)
