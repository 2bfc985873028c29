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
from training.seeds import Task
from zoo.catalog import VariantSpec

#: Relative cost of one step of each cell (matrix products per step), to start the longest variants first.
#: The order-free references take no recurrent steps: a fraction of one layer's cost.
_CELL_COST = {"SimpleRNN": 1.0, "GRU": 3.0, "LSTM": 4.0, "BagOfWords": 0.05, "TfIdf": 0.05}


def estimated_cost(spec: VariantSpec) -> float:
    """A rough relative training time: epochs x steps x layers (x2 both ways) x cell cost (crops add rows)."""
    recipe = spec.recipe
    layers = max(spec.layers, 1) * (2 if spec.bidirectional else 1)
    return recipe.epochs * spec.maxlen * layers * _CELL_COST[spec.cell] * (1 + recipe.crop_fraction)


def train_in_parallel(tasks: list[Task], corpora: dict[tuple, Corpus], files: dict[tuple, Path],
                      args: argparse.Namespace, jobs: int, started: float) -> int:
    """Train ``tasks`` in ``jobs`` worker processes, each reading its corpus from ``files``
    (``training.corpus.corpus_files``); returns the exit status (1 if any failed)."""
    from training.reproduce import code_revision
    from training.train import corpus_key, read_line, task_name

    for corpus in corpora.values():
        print(read_line(corpus, started), flush=True)
    order = sorted(tasks, key=lambda task: estimated_cost(task.spec), reverse=True)
    print(f"Training {len(order)} run(s) in {jobs} processes of {args.threads or 'default'} thread(s) each.",
          flush=True)
    options = {"threads": args.threads, "resume": args.resume, "work": str(args.work) if args.work else None,
               "op_determinism": args.op_determinism, "code": code_revision()}
    names = {task: task_name(task, args.seeds) for task in tasks}
    jobs_list = [(names[task], task, str(files[corpus_key(task.spec)])) for task in order]
    return _summary([names[task] for task in tasks], _run(jobs_list, options, jobs, started), started)


def _run(tasks: list[tuple[str, Task, str]], options: dict, jobs: int, started: float) -> dict[str, tuple]:
    """Run the tasks (name, task, corpus file) in ``jobs`` processes; returns
    ``{name: ("done", folder, s) | ("failed", why, s)}``."""
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
            for name, _, _ in tasks:
                results.setdefault(name, ("failed", "no worker took it", 0.0))
    for worker in workers:
        worker.join(timeout=30)
    return results


def _summary(names: list[str], results: dict[str, tuple], started: float) -> int:
    from training.train import _duration

    failed = [name for name in names if results.get(name, ("failed",))[0] != "done"]
    print(f"\nTrained {len(names) - len(failed)} of {len(names)} run(s) in "
          f"{_duration(time.perf_counter() - started)} of wall time:")
    for name in names:
        kind, detail, seconds = results.get(name, ("failed", "not run", 0.0))
        print(f"  {name:<44} {_duration(seconds):>7}  " + (f"wrote {detail}" if kind == "done" else f"FAILED: {detail}"))
    if failed:
        print(f"error: {len(failed)} run(s) failed: {', '.join(failed)}; the others were written", file=sys.stderr)
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
    from training.reproduce import use_threads

    use_threads(options["threads"], op_determinism=options["op_determinism"])
    corpora: dict[str, Corpus] = {}
    pid = os.getpid()
    while (job := todo.get()) is not None:
        name, task, path = job
        spec = task.spec
        events.put(("start", pid, name, None))
        try:
            corpus = corpora.get(path) or corpora.setdefault(path, Corpus.read(Path(path)))
            work = Path(options["work"]) / task.work_name if options["work"] else None
            folder = train_variant(spec, corpus, seed=task.seed, out=task.out, verbose=0, code=options["code"],
                                   work=work, resume=options["resume"],
                                   progress=EpochReporter(spec, lambda line, n=name: events.put(("epoch", pid, n, line))))
            events.put(("done", pid, name, str(folder)))
        except Exception as error:  # reported to the parent; this worker goes on with the next variant
            events.put(("failed", pid, name, f"{type(error).__name__}: {error}".splitlines()[0]))
        keras.backend.clear_session()
