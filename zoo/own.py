"""Training a variant of one's own from the app: the settings a visitor may choose, the caps an
operator sets, and the job that trains them in a process of its own.

The app never imports ``training`` (it shows artifacts, it does not make them). A job runs the
training command ``python -m training.own`` (the code ``python -m training.train`` runs:
``training.fit.train_variant``) as a child process into a temporary zoo folder, and follows it
through the files the command writes there:

    progress.jsonl   one JSON object per line: the phase, each finished epoch's metrics,
                     throttled batch progress, and at the end the variant id or the error
    stop             created by ``TrainingJob.stop``: the command stops at the next batch and
                     writes the best epoch so far (evaluated, as a whole artifact)
    zoo/             the zoo folder the artifact is written into (``python -m zoo list --zoo``)

``TrainingLine`` runs one job at a time for the whole server; the others wait in order. While
no job runs, it keeps one warm trainer ready (``python -m training.own --serve``: TensorFlow
imported, the reviews found) and hands the next job to it; a job's process, warm or not, ends
with its job, so a cancelled job takes its process with it and the line warms a new one.
Every such process is told the server's process id (``--parent``): it ends when the server
does, however the server ended, and it trains at a lower priority than the server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .catalog import RECURRENT_CELLS, SEED_RECIPE, VariantSpec
from .quiet import TF_LOG_ENV

#: Set to ``off`` to switch the *Train your own* tab off, whatever data is configured.
TRAINING_ENV = "ZOO_TRAINING"
MAX_EPOCHS_ENV = "ZOO_TRAIN_MAX_EPOCHS"
MAX_REVIEWS_ENV = "ZOO_TRAIN_MAX_REVIEWS"
MAX_SECONDS_ENV = "ZOO_TRAIN_MAX_SECONDS"
MAX_MAXLEN_ENV = "ZOO_TRAIN_MAX_MAXLEN"
#: How far below the server's priority a job trains: a POSIX niceness, 0 (the server's) to 19;
#: on Windows any value above 0 means "below normal". The server's visitors answer first.
NICENESS_ENV = "ZOO_TRAIN_NICENESS"
NICENESS = 10

DEPTHS = (1, 2, 3, 4)
UNIT_CHOICES = (8, 16, 32, 64)
MAXLEN_RANGE = (25, 500)
EPOCH_RANGE = (1, 10)
REVIEW_CHOICES = (5_000, 10_000, 25_000)
#: A trained variant's test accuracy is measured on this many test reviews (a fixed, seeded sample
#: of the test reviews its corpus holds; all of them when it holds fewer).
TEST_SAMPLE = 5_000

PROGRESS_FILE = "progress.jsonl"
STOP_FILE = "stop"
ZOO_FOLDER = "zoo"
LOG_FILE = "training.log"
#: A job whose page has not asked about it for this long is cancelled: its visitor left.
ABANDONED_AFTER = 30.0
#: At most this many jobs wait in the line (beyond, a visitor is asked to come back later).
LINE_LENGTH = 8
#: How long a stopped job may take to write its best epoch before it is killed.
STOP_GRACE = 60.0
#: A warm trainer that died while it waited (not killed by the line) is started again after this long.
WARM_RETRY = 60.0
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Caps:
    """The most a visitor's training may ask for; the operator's environment variables, else
    defaults that fit a free 2-vCPU CPU Space (the seed's recipe fits)."""

    epochs: int = 10
    reviews: int = 25_000
    seconds: int = 300
    maxlen: int = 500

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Caps:
        """The caps ``environ`` sets (a value that is not a positive whole number keeps the default)."""
        values = {}
        for name, env in (("epochs", MAX_EPOCHS_ENV), ("reviews", MAX_REVIEWS_ENV), ("seconds", MAX_SECONDS_ENV),
                          ("maxlen", MAX_MAXLEN_ENV)):
            text = (environ.get(env) or "").strip()
            if text.isdigit() and int(text) > 0:
                values[name] = int(text)
        return cls(**values)

    @property
    def longest(self) -> int:
        """The largest ``maxlen`` a visitor may choose here (within ``MAXLEN_RANGE``)."""
        return max(MAXLEN_RANGE[0], min(MAXLEN_RANGE[1], self.maxlen))


@dataclass(frozen=True)
class OwnSettings:
    """What a visitor chooses: the architecture, ``maxlen``, epochs and training reviews. The
    defaults are the seed tutorial's recipe (SimpleRNN(32), ``maxlen`` 500, 10 epochs, every review)."""

    cell: str = "SimpleRNN"
    layers: int = 1
    units: int = 32
    maxlen: int = 500
    epochs: int = SEED_RECIPE.epochs
    reviews: int = 25_000

    def problems(self, caps: Caps) -> list[str]:
        """Why these settings cannot be trained here, one sentence each (empty: they can)."""
        checks = [
            (self.cell in RECURRENT_CELLS, f"the cell must be one of {', '.join(RECURRENT_CELLS)}"),
            (_whole(self.layers) and self.layers in DEPTHS, "the depth must be 1 to 4 layers"),
            (_whole(self.units) and self.units in UNIT_CHOICES, "the units must be 8, 16, 32 or 64"),
            (_whole(self.maxlen) and MAXLEN_RANGE[0] <= self.maxlen <= caps.longest,
             f"maxlen must be {MAXLEN_RANGE[0]} to {caps.longest} words on this server"),
            (_whole(self.epochs) and EPOCH_RANGE[0] <= self.epochs <= min(EPOCH_RANGE[1], caps.epochs),
             f"the epochs must be 1 to {min(EPOCH_RANGE[1], caps.epochs)} on this server"),
            (_whole(self.reviews) and 100 <= self.reviews <= caps.reviews,
             f"the training reviews must be 100 to {caps.reviews:,} on this server"),
        ]
        return [message for ok, message in checks if not ok]

    def spec(self) -> VariantSpec:
        """The variant these settings train: the seed's recipe with this many epochs."""
        return VariantSpec(self.cell, self.layers, self.maxlen, units=self.units,
                           recipe=replace(SEED_RECIPE, epochs=self.epochs))

    @property
    def name(self) -> str:
        """The variant as the page names it: its settings, e.g. ``yours · simplernn-1x32-len200 · 10k reviews · 3 ep``."""
        return f"yours · {self.spec().id} · {self.reviews / 1000:g}k reviews · {self.epochs} ep"

    def numbered(self, number: int) -> str:
        """The name of a visitor's ``number``-th variant, e.g. ``yours 2 · simplernn-1x32-len200 · …``:
        two variants of the same settings keep two names (and ``own_number`` gives the number back)."""
        return self.name.replace("yours", f"yours {number}", 1)

    def arguments(self) -> list[str]:
        """These settings as ``python -m training.own``'s arguments."""
        return ["--cell", self.cell, "--layers", str(self.layers), "--units", str(self.units),
                "--maxlen", str(self.maxlen), "--epochs", str(self.epochs), "--reviews", str(self.reviews)]


_NUMBERED = re.compile(r"yours (\d+) · ")


def own_number(name: str) -> int | None:
    """The number of a visitor's variant named by ``OwnSettings.numbered`` (None: another name)."""
    match = _NUMBERED.match(name)
    return int(match.group(1)) if match else None


def review_choices(caps: Caps) -> list[int]:
    """The training review counts a visitor may choose on this server (the warm trainer reads each ahead)."""
    return [n for n in REVIEW_CHOICES if n <= caps.reviews] or [caps.reviews]


def job_niceness(environ: Mapping[str, str] = os.environ) -> int:
    """The niceness a job trains at: ``$ZOO_TRAIN_NICENESS`` (0 to 19), else ``NICENESS``."""
    text = (environ.get(NICENESS_ENV) or "").strip()
    return min(19, int(text)) if text.isdigit() else NICENESS


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def training_available(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why this deployment cannot train (None: it can): switched off, no data, or no training code."""
    if (environ.get(TRAINING_ENV) or "").strip().lower() in ("off", "0", "false", "no"):
        return f"Training in the page is switched off on this server ({TRAINING_ENV}=off)."
    data = environ.get("IMDB_DATA")
    if not data or not Path(data).expanduser().exists():
        return ("No training data is configured on this server: set IMDB_DATA to the aclImdb_v1.tar.gz archive "
                "(https://ai.stanford.edu/~amaas/data/sentiment/) and restart the app.")
    if not (ROOT / "training" / "own.py").is_file():
        return "This deployment ships without the training code (the training/ folder of the repository)."
    return None


def _warm_env() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in WARM_ENV}


def read_events(path: Path) -> list[dict]:
    """The progress file's events, in order (a line being written is left for the next read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


@dataclass(eq=False)
class TrainingJob:
    """One visitor's training: settings, a temporary folder, and (once its turn came) the process."""

    settings: OwnSettings
    seconds: int
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="simplernn-own-")))
    process: subprocess.Popen | None = None
    started: float | None = None
    ended: float | None = None
    seen: float = field(default_factory=time.monotonic)
    cancelled: bool = False
    stop_asked: float | None = None

    def __post_init__(self) -> None:
        # The folder goes when the job does: its session ended, or let go of the variant.
        weakref.finalize(self, shutil.rmtree, str(self.folder), True)

    def arguments(self) -> list[str]:
        """``python -m training.own``'s arguments for this job."""
        return [*self.settings.arguments(), "--out", str(self.folder / ZOO_FOLDER),
                "--progress", str(self.folder / PROGRESS_FILE), "--stop", str(self.folder / STOP_FILE)]

    def start(self, warm: subprocess.Popen | None = None) -> None:
        """Hand the job to a ``warm`` trainer's process (``WarmTrainer.take``), else start
        ``python -m training.own`` for it (one TensorFlow thread: the other core answers Classify)."""
        if warm is not None and warm.poll() is None:
            try:
                warm.stdin.write((json.dumps({"arguments": self.arguments(),
                                              "log": str(self.folder / LOG_FILE)}) + "\n").encode())
                warm.stdin.close()
                self.process, self.started = warm, time.monotonic()
                return
            except OSError:  # it died meanwhile: start one of the job's own
                warm.kill()
                warm.wait()
        with open(self.folder / LOG_FILE, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "training.own", *self.arguments(), "--parent", str(os.getpid())], cwd=ROOT,
                env=trainer_env(),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.started = time.monotonic()

    @property
    def state(self) -> str:
        """``waiting``, ``running``, ``done`` (an artifact was written), ``failed`` or ``cancelled``."""
        if self.process is None:
            return "cancelled" if self.cancelled else "waiting"
        if self.process.poll() is None:
            return "running"
        if self.variant_id():
            return "done"
        return "cancelled" if self.cancelled or self.stop_asked else "failed"

    def events(self) -> list[dict]:
        return read_events(self.folder / PROGRESS_FILE)

    def variant_id(self) -> str | None:
        """The written variant's id, once the command said it is done."""
        return next((e.get("variant") for e in reversed(self.events()) if e.get("phase") == "done"), None)

    @property
    def zoo_folder(self) -> Path:
        return self.folder / ZOO_FOLDER

    def stop(self) -> None:
        """Ask the command to stop at the next batch and keep the best epoch so far."""
        if self.stop_asked is None:
            self.stop_asked = time.monotonic()
            try:
                (self.folder / STOP_FILE).touch()
            except OSError:  # the job was removed meanwhile: nothing to stop
                pass

    def cancel(self) -> None:
        """End the job and keep nothing (its visitor left)."""
        self.cancelled = True
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def remove(self) -> None:
        """Delete the job's folder (ending its process first)."""
        self.cancel()
        shutil.rmtree(self.folder, ignore_errors=True)


def trainer_env() -> dict[str, str]:
    return {**os.environ, **TF_LOG_ENV, "PYTHONUNBUFFERED": "1"}


#: What a warm trainer read when it started: one started under other values is not used.
WARM_ENV = ("IMDB_DATA", "SIMPLERNN_ZOO_CACHE", MAX_EPOCHS_ENV, MAX_REVIEWS_ENV, MAX_MAXLEN_ENV, NICENESS_ENV)


@dataclass(eq=False)
class WarmTrainer:
    """``python -m training.own --serve``: it imports TensorFlow (the reviews are found
    meanwhile), writes its ``ready`` file, and waits for one job on its stdin
    (``TrainingJob.start``); it exits when its stdin closes or the server is gone."""

    process: subprocess.Popen
    ready_file: Path
    env: dict[str, str | None]

    @classmethod
    def start(cls) -> WarmTrainer:
        handle, name = tempfile.mkstemp(prefix="simplernn-warm-", suffix=".ready")
        os.close(handle)
        process = subprocess.Popen(
            [sys.executable, "-m", "training.own", "--serve", "--ready", name, "--parent", str(os.getpid())], cwd=ROOT,
            env=trainer_env(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return cls(process, Path(name), _warm_env())

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    @property
    def ready(self) -> bool:
        """It has prepared and waits for a job."""
        try:
            return self.alive and self.ready_file.stat().st_size > 0
        except OSError:
            return False

    def take(self) -> subprocess.Popen | None:
        """Its process, for a job to adopt (None when it died or the server's data or caps changed)."""
        self.ready_file.unlink(missing_ok=True)
        if self.alive and self.env == _warm_env():
            return self.process
        self.end()
        return None

    def end(self) -> None:
        self.ready_file.unlink(missing_ok=True)
        if self.alive:
            self.process.kill()
        self.process.wait()


class TrainingLine:
    """The server's line for training: one job runs at a time, the others wait in order.

    A monitor thread starts the next job when one ends, stops a job past its time limit (it keeps
    its best epoch), and cancels a job whose page stopped asking about it (its visitor left).
    While no job runs, one warm trainer waits for the next (``warm_up``).
    """

    def __init__(self, abandoned_after: float = ABANDONED_AFTER, warm: bool = True) -> None:
        self.jobs: list[TrainingJob] = []
        self.abandoned_after = abandoned_after
        self.keeps_warm = warm
        self.warm: WarmTrainer | None = None
        self._warm_died = -WARM_RETRY
        self._lock = threading.Lock()
        self._monitor: threading.Thread | None = None

    def warm_up(self) -> None:
        """Start a warm trainer unless one is ready or a job runs (it would take a core from it)."""
        with self._lock:
            self._keep_warm()

    def ready(self) -> bool:
        """A warm trainer waits for the next job."""
        with self._lock:
            return self.warm is not None and self.warm.ready

    def _keep_warm(self) -> None:
        if not self.keeps_warm or self.jobs:
            return
        if self.warm is not None and self.warm.alive and self.warm.env == _warm_env():
            return
        if self.warm is not None and not self.warm.alive:  # it died waiting: not again at every page view
            self._warm_died = time.monotonic()
        self._let_warm_go()
        if time.monotonic() - self._warm_died > WARM_RETRY:
            self.warm = WarmTrainer.start()

    def _take_warm(self) -> subprocess.Popen | None:
        warm, self.warm = self.warm, None
        return warm.take() if warm is not None else None

    def _let_warm_go(self) -> None:
        if self.warm is not None:
            self.warm.end()
            self.warm = None

    def close(self) -> None:
        """End the warm trainer and every job: the server stops."""
        with self._lock:
            self.keeps_warm = False
            self._let_warm_go()
            for job in self.jobs:
                job.cancel()

    def join(self, job: TrainingJob) -> None:
        with self._lock:
            self.jobs.append(job)
            if self._monitor is None or not self._monitor.is_alive():
                self._monitor = threading.Thread(target=self._watch, name="own-training-line", daemon=True)
                self._monitor.start()
        self.advance()

    def full(self) -> bool:
        """The line holds ``LINE_LENGTH`` jobs besides the running one: no more may join."""
        with self._lock:
            return len(self.jobs) > LINE_LENGTH

    def position(self, job: TrainingJob) -> int:
        """0 while the job runs, else how many jobs are before it (1: it is next)."""
        with self._lock:
            return self.jobs.index(job) if job in self.jobs else 0

    def advance(self) -> None:
        """Drop ended and abandoned jobs, enforce the time limit, start the next job."""
        now = time.monotonic()
        with self._lock:
            for job in list(self.jobs):
                if now - job.seen > self.abandoned_after:
                    job.remove()
                elif job.started and now - job.started > job.seconds:
                    job.stop()
                if job.stop_asked and now - job.stop_asked > STOP_GRACE:
                    job.cancel()
                if job.cancelled or (job.process is not None and job.process.poll() is not None):
                    self.jobs.remove(job)
                    job.ended = job.ended or now
            if self.jobs and self.jobs[0].process is None:
                self.jobs[0].start(self._take_warm())
            self._keep_warm()

    def _watch(self) -> None:
        while True:
            time.sleep(0.5)
            self.advance()
            with self._lock:
                if not self.jobs:
                    self._monitor = None
                    return
