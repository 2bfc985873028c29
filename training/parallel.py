"""``python -m training.train --jobs N``: train variants in N processes side by side.

A 32-unit recurrent cell keeps one core busy and no more (one TensorFlow thread per process
is faster than two), so a whole zoo trains fastest as one process per core. The parent
encodes the corpus once into the cache (``training.corpus``), then N worker processes take
variants from a shared queue, the longest first, each reading the cached corpus. Every
variant is trained exactly as in a sequential run (same seed, same code), so the artifacts
are the same. Workers report each epoch to the parent, which prints one combined progress
line per event and one summary at the end. A variant that fails (an exception, or its
process dying) is reported; the others go on and are kept.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import queue
import sys
import time
from pathlib import Path

from training.corpus import Corpus
from zoo.catalog import VariantSpec

#: Relative cost of one step of each cell (matrix products per step), to start the longest variants first.
_CELL_COST = {"SimpleRNN": 1.0, "GRU": 3.0, "LSTM": 4.0}


def estimated_cost(spec: VariantSpec) -> float:
    """A rough relative training time: epochs x steps x layers x cell cost (crops add rows)."""
    recipe = spec.recipe
    return recipe.epochs * spec.maxlen * spec.layers * _CELL_COST[spec.cell] * (1 + recipe.crop_fraction)


def train_in_parallel(specs: list[VariantSpec], corpora: dict[tuple, Corpus], files: dict[tuple, Path],
                      args: argparse.Namespace, jobs: int, started: float) -> int:
    """Train ``specs`` in ``jobs`` worker processes, each reading its corpus from ``files``
    (``training.corpus.corpus_files``); returns the exit status (1 if any failed)."""
    from training.train import corpus_key, read_line

    for corpus in corpora.values():
        print(read_line(corpus, started), flush=True)
    order = sorted(specs, key=estimated_cost, reverse=True)
    print(f"Training {len(order)} variant(s) in {jobs} processes of {args.threads or 'default'} thread(s) each.",
          flush=True)
    options = {"seed": args.seed, "out": str(args.out), "threads": args.threads, "resume": args.resume,
               "work": str(args.work) if args.work else None}
    tasks = [(spec, str(files[corpus_key(spec)])) for spec in order]
    return _summary(specs, _run(tasks, options, jobs, started), started)


def _run(tasks: list[tuple[VariantSpec, str]], options: dict, jobs: int, started: float) -> dict[str, tuple]:
    """Run the tasks in ``jobs`` processes; returns ``{variant id: ("done", folder, s) | ("failed", why, s)}``."""
    from training.train import _duration

    context = multiprocessing.get_context("spawn")  # the same on every OS; no forked TensorFlow state
    todo, events = context.Queue(), context.Queue()
    for task in tasks:
        todo.put(task)
    total = len(tasks)
    results: dict[str, tuple] = {}
    holding: dict[int, tuple[str, float]] = {}  # worker pid -> (variant id, start time)
    workers: list = []

    def start_worker():
        todo.put(None)  # one stop sign per worker: it stops when it takes one
        worker = context.Process(target=worker_main, args=(todo, events, options), daemon=True)
        worker.start()
        workers.append(worker)

    for _ in range(jobs):
        start_worker()

    def status() -> str:
        running = ", ".join(vid for vid, _ in holding.values()) or "none"
        return f"[{len(results)}/{total} done · {_duration(time.perf_counter() - started)}] running: {running}"

    while len(results) < total:
        try:
            event = events.get(timeout=1.0)
        except queue.Empty:
            event = None
        if event is not None:
            kind, pid, vid, detail = event
            if kind == "start":
                holding[pid] = (vid, time.perf_counter())
                print(f"{status()}\n  {vid}: started", flush=True)
            elif kind == "epoch":
                print(f"  {vid}: {detail}", flush=True)
            elif kind in ("done", "failed"):
                _, since = holding.pop(pid, (vid, time.perf_counter()))
                results[vid] = (kind, detail, time.perf_counter() - since)
                word = f"wrote {detail}" if kind == "done" else f"FAILED: {detail}"
                print(f"  {vid}: {word} ({_duration(results[vid][2])})\n{status()}", flush=True)
            continue
        # No news for a second: did a worker die while holding a variant?
        for worker in list(workers):
            if worker.exitcode is None:
                continue
            workers.remove(worker)
            if worker.pid in holding:
                vid, since = holding.pop(worker.pid)
                results[vid] = ("failed", f"its process ended with exit code {worker.exitcode}",
                                time.perf_counter() - since)
                print(f"  {vid}: FAILED: its process ended with exit code {worker.exitcode}\n{status()}", flush=True)
                if len(results) < total:
                    start_worker()  # its stop sign is still in the queue for the replacement
        if not workers and len(results) < total:
            for spec, _ in tasks:
                results.setdefault(spec.id, ("failed", "no worker took it", 0.0))
    for worker in workers:
        worker.join(timeout=30)
    return results


def _summary(specs: list[VariantSpec], results: dict[str, tuple], started: float) -> int:
    from training.train import _duration

    failed = [spec.id for spec in specs if results.get(spec.id, ("failed",))[0] != "done"]
    print(f"\nTrained {len(specs) - len(failed)} of {len(specs)} variant(s) in "
          f"{_duration(time.perf_counter() - started)} of wall time:")
    for spec in specs:
        kind, detail, seconds = results.get(spec.id, ("failed", "not run", 0.0))
        print(f"  {spec.id:<30} {_duration(seconds):>7}  " + (f"wrote {detail}" if kind == "done" else f"FAILED: {detail}"))
    if failed:
        print(f"error: {len(failed)} variant(s) failed: {', '.join(failed)}; the others were written", file=sys.stderr)
    return 1 if failed else 0


def worker_main(todo, events, options: dict) -> None:
    """A worker process: train the variants it takes from ``todo`` until it takes ``None``.

    Ctrl+C reaches it too: it then stops quietly, and the parent says what is kept."""
    try:
        _work(todo, events, options)
    except KeyboardInterrupt:
        pass


def _work(todo, events, options: dict) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from training.fit import EpochReporter, train_variant
    from training.train import use_threads

    use_threads(options["threads"])
    corpora: dict[str, Corpus] = {}
    pid = os.getpid()
    while (task := todo.get()) is not None:
        spec, path = task
        events.put(("start", pid, spec.id, None))
        try:
            corpus = corpora.get(path) or corpora.setdefault(path, Corpus.read(Path(path)))
            work = Path(options["work"]) / spec.id if options["work"] else None
            folder = train_variant(spec, corpus, seed=options["seed"], out=Path(options["out"]), verbose=0,
                                   work=work, resume=options["resume"],
                                   progress=EpochReporter(spec, lambda line, vid=spec.id: events.put(("epoch", pid, vid, line))))
            events.put(("done", pid, spec.id, str(folder)))
        except Exception as error:  # reported to the parent; this worker goes on with the next variant
            events.put(("failed", pid, spec.id, f"{type(error).__name__}: {error}".splitlines()[0]))
        keras.backend.clear_session()
