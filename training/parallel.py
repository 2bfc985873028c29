"""``python -m training.train --jobs N``: train variants in N processes side by side.

A 32-unit recurrent cell keeps one core busy and no more (one TensorFlow thread per process
is faster than two), so a whole zoo trains fastest as one process per core. The parent
encodes the corpus once into the cache (``training.corpus``), then hands the variants, the
longest first, to N worker processes, each reading the cached corpus. Every variant is
trained exactly as in a sequential run (same seed, same code), so the artifacts are the same.
Workers report each epoch to the parent, which prints one combined progress line per event
and one summary at the end. A variant that fails (an exception, or its process dying) is
reported; the others go on and are kept.

Each worker is a ``concurrent.futures.ProcessPoolExecutor`` of one spawned process (the same
on every OS; no forked TensorFlow state), kept from variant to variant. One pool per worker
rather than one pool of N: a process that dies breaks its pool (``BrokenProcessPool``) and
the pool ends every process it holds, so with one process per pool the variant it was
training is the only one lost, and a fresh pool takes the next.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from training.corpus import Corpus, corpus_key
from training.progress import corpus_summary, duration
from training.seeds import Task, task_name
from zoo.catalog import VariantSpec
from zoo.errors import first_line

#: Relative cost of one step of each cell (matrix products per step), to start the longest variants first.
#: The order-free references take no recurrent steps: a fraction of one layer's cost.
_CELL_COST = {"SimpleRNN": 1.0, "GRU": 3.0, "LSTM": 4.0, "BagOfWords": 0.05, "TfIdf": 0.05}


def estimated_cost(spec: VariantSpec) -> float:
    """A rough relative training time: epochs x steps x layers (x2 both ways) x cell cost (crops add rows)."""
    recipe = spec.recipe
    layers = max(spec.layers, 1) * (2 if spec.bidirectional else 1)
    return recipe.epochs * spec.maxlen * layers * _CELL_COST[spec.cell] * (1 + recipe.crop_fraction)


@dataclass(frozen=True)
class Run:
    """One training run as a worker gets it: its name in the progress lines, the task, and
    the cached corpus file it reads."""

    name: str
    task: Task
    corpus_file: str


#: What a worker answers for a run: ``("done", folder, seconds)`` or ``("failed", why, seconds)``.
Outcome = tuple[str, str, float]


def train_in_parallel(tasks: list[Task], corpora: dict[tuple, Corpus], files: dict[tuple, Path],
                      args: argparse.Namespace, jobs: int, started: float) -> int:
    """Train ``tasks`` in ``jobs`` worker processes, each reading its corpus from ``files``
    (``training.corpus.corpus_files``); returns the exit status (1 if any failed).

    Raises:
        KeyboardInterrupt: Ctrl+C; the workers are ended first, quietly.
    """
    from training.reproduce import code_revision

    for corpus in corpora.values():
        print(corpus_summary(corpus, started), flush=True)
    order = sorted(tasks, key=lambda task: estimated_cost(task.spec), reverse=True)
    print(f"Training {len(order)} run(s) in {jobs} processes of {args.threads or 'default'} thread(s) each.",
          flush=True)
    options = {"threads": args.threads, "resume": args.resume, "work": str(args.work) if args.work else None,
               "op_determinism": args.op_determinism, "code": code_revision()}
    names = {task: task_name(task, args.seeds) for task in tasks}
    runs = [Run(names[task], task, str(files[corpus_key(task.spec)])) for task in order]
    results = run_in_workers(runs, jobs, started, train_one, options)
    return _summary([names[task] for task in tasks], results, started)


@dataclass
class Board:
    """The combined progress display: what runs, what is done, one line per event."""

    total: int
    started: float
    running: list[str] = field(default_factory=list)
    results: dict[str, Outcome] = field(default_factory=dict)

    def status(self) -> str:
        return (f"[{len(self.results)}/{self.total} done · {duration(time.perf_counter() - self.started)}] "
                f"running: {', '.join(self.running) or 'none'}")

    def event(self, kind: str, name: str, detail: str | None) -> None:
        """A worker's news: ``("start", name, None)`` or ``("epoch", name, line)``."""
        if name in self.results:
            return  # news that arrived after the run's outcome
        if kind == "start" and name not in self.running:
            self.running.append(name)
            print(f"{self.status()}\n  {name}: started", flush=True)
        elif kind == "epoch":
            print(f"  {name}: {detail}", flush=True)

    def finish(self, name: str, outcome: Outcome) -> None:
        kind, detail, seconds = outcome
        self.results[name] = outcome
        if name in self.running:
            self.running.remove(name)
        word = f"wrote {detail}" if kind == "done" else f"FAILED: {detail}"
        print(f"  {name}: {word} ({duration(seconds)})\n{self.status()}", flush=True)


def run_in_workers(runs: list[Run], jobs: int, started: float, work: Callable[[Run, dict], Outcome],
                   options: dict) -> dict[str, Outcome]:
    """Run ``work(run, options)`` for each of ``runs`` (in order) in ``jobs`` worker processes,
    printing the combined progress; returns ``{name: outcome}``.

    ``work`` runs in a worker and tells its news with ``tell``; it must be importable by name.
    A worker whose process dies is replaced, and its run is failed.
    """
    context = multiprocessing.get_context("spawn")
    # A SimpleQueue's put writes to the pipe before it returns (no feeder thread), so a run's
    # news is always there to read before its outcome.
    events = context.SimpleQueue()
    board = Board(len(runs), started)
    waiting = list(runs)
    pools = [_pool(context, events) for _ in range(jobs)]
    busy: dict[Future, tuple[int, Run, float]] = {}  # future -> (worker, run, start time)
    interrupted = _CtrlC()
    try:
        while (waiting or busy) and not interrupted.is_set():
            for worker in sorted(set(range(jobs)) - {w for w, _, _ in busy.values()}):
                if waiting:
                    run = waiting.pop(0)
                    busy[pools[worker].submit(work, run, options)] = (worker, run, time.perf_counter())
            done, _ = wait(busy, timeout=0.5, return_when=FIRST_COMPLETED)
            _read_events(events, board)
            for future in done:
                worker, run, since = busy.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool as error:
                    outcome = ("failed", f"its process ended unexpectedly ({first_line(error)})",
                               time.perf_counter() - since)
                    pools[worker].shutdown(wait=True)
                    pools[worker] = _pool(context, events)
                board.finish(run.name, outcome)
    except KeyboardInterrupt:
        interrupted.set()
    finally:
        interrupted.restore()
    if interrupted.is_set():
        _end_workers(pools)
        raise KeyboardInterrupt
    for pool in pools:
        pool.shutdown(wait=True)
    return board.results


class _CtrlC(threading.Event):
    """Ctrl+C as a flag the loop reads between steps: a KeyboardInterrupt raised inside the
    executor's own code (holding a future's lock, say) could leave ``shutdown`` waiting forever."""

    def __init__(self) -> None:
        super().__init__()
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, lambda *_: self.set())

    def restore(self) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _pool(context, events) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_start_worker, initargs=(events,))


def _read_events(events, board: Board) -> None:
    while not events.empty():
        board.event(*events.get())


def _end_workers(pools: list[ProcessPoolExecutor]) -> None:
    """After Ctrl+C: drop what no worker has started, and end the workers now (each unfinished
    variant keeps its last completed epoch's checkpoint)."""
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)
    for child in multiprocessing.active_children():
        child.terminate()
    for child in multiprocessing.active_children():
        child.join(timeout=30)


def _summary(names: list[str], results: dict[str, Outcome], started: float) -> int:
    failed = [name for name in names if results.get(name, ("failed",))[0] != "done"]
    print(f"\nTrained {len(names) - len(failed)} of {len(names)} run(s) in "
          f"{duration(time.perf_counter() - started)} of wall time:")
    for name in names:
        kind, detail, seconds = results.get(name, ("failed", "not run", 0.0))
        print(f"  {name:<44} {duration(seconds):>7}  " + (f"wrote {detail}" if kind == "done" else f"FAILED: {detail}"))
    if failed:
        print(f"error: {len(failed)} run(s) failed: {', '.join(failed)}; the others were written", file=sys.stderr)
    return 1 if failed else 0


# --- in the worker processes ---------------------------------------------------------------------

_events = None  # the parent's event queue, set when the worker starts
_corpora: dict[str, Corpus] = {}  # the corpora this worker has read, by file
_ready = False  # TensorFlow's threads set (``use_threads``)


def _start_worker(events) -> None:
    """A worker starts: Ctrl+C is the parent's to handle (it ends the workers), so a worker
    never prints a traceback for it."""
    global _events
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _events = events


def tell(kind: str, name: str, detail: str | None = None) -> None:
    """Send the parent a run's news: ``"start"``, or ``"epoch"`` with its progress line."""
    _events.put((kind, name, detail))


def train_one(run: Run, options: dict) -> Outcome:
    """Train one run in this worker; an exception is its outcome, and the worker goes on."""
    import keras

    from training.fit import EpochReporter, train_variant
    from training.reproduce import use_threads

    global _ready
    if not _ready:
        use_threads(options["threads"], op_determinism=options["op_determinism"])
        _ready = True
    started = time.perf_counter()
    tell("start", run.name)
    task = run.task
    try:
        corpus = _corpora.get(run.corpus_file) or _corpora.setdefault(run.corpus_file, Corpus.read(Path(run.corpus_file)))
        work = Path(options["work"]) / task.work_name if options["work"] else None
        folder = train_variant(task.spec, corpus, seed=task.seed, out=task.out, verbose=0, code=options["code"],
                               work=work, resume=options["resume"],
                               progress=EpochReporter(task.spec, lambda line: tell("epoch", run.name, line)))
        outcome = ("done", str(folder), time.perf_counter() - started)
    except Exception as error:  # reported to the parent; this worker goes on with the next variant
        outcome = ("failed", f"{type(error).__name__}: {first_line(error)}", time.perf_counter() - started)
    keras.backend.clear_session()
    return outcome
