"""Classify while a visitor trains, and the server's memory after three visitors trained: *Train your own* under load.

    IMDB_DATA=../shared/data/aclImdb_v1.tar.gz python scripts/own_training_load.py
    python scripts/own_training_load.py --data ../shared/data/aclImdb_v1.tar.gz --classifiers 3 --reviews 5000

Starts ``streamlit run streamlit_app.py`` (``scripts/harness.py``'s ``AppServer``, the bundled zoo)
with ``IMDB_DATA`` set, so the *Train your own* tab is on, and the operator's caps set to the
run this script trains (``--maxlen``, ``--epochs``, ``--reviews``): the form then opens on it, and
each training visitor only presses *Train*. Every visitor is a Streamlit session driven over its
WebSocket protocol (``scripts/visitor.py``), as ``scripts/load_sessions.py`` does.

1. A teacher's visit warms the server (one text classified, the tab opened: the warm trainer starts).
2. ``--classifiers`` sessions each classify ``--texts`` texts with no training running (the baseline).
3. Session T1 presses *Train*; while its training runs, the classifiers classify again and again
   (``--think`` seconds between two texts). Their latencies give p50/p95/max; the target is a p95
   under 2 s.
4. Sessions T2 and T3 press *Train* at the same time (the line is server-wide: one waits, then runs).
   T1, T2 and T3 stay open, and then each classifies one text (its own variant answers too).

A training session reruns its page every ``--beat`` seconds while its job runs (the whole page: more
work than a browser, whose progress fragment reruns alone). A thread samples the resident memory of
the server process and, separately, of its children (the job's ``python -m training.own`` and the
warm trainer) every 0.2 s. Prints a table per phase and a JSON summary as the last line; exit status 1
if a session failed or a training did not finish.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import MB, REVIEWS, AppServer, marker, percentiles, script_parser  # noqa: E402
from visitor import Visitor, text_state, trigger  # noqa: E402

TRAIN_TAB = "Train your own"
#: The result's first words (``views.train_own.result``): the training finished and its variant is kept.
FINISHED = "Test accuracy"
#: What the page says when a job failed, was cancelled or was refused.
TROUBLE = ("The training failed", "cannot be trained here", "was cancelled", "the line is full")
#: The notice of a job that waits in the server's line.
WAITING = "in line"


class Memory:
    """Samples the server's resident memory and its children's (summed), each tagged with the phase."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.server = psutil.Process(pid)
        self.every, self.phase = every, "start"
        self.samples: list[tuple[str, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                server = self.server.memory_info().rss
                children = sum(child_rss(child) for child in self.server.children(recursive=True))
            except psutil.Error:
                return
            self.samples.append((self.phase, server, children))
            self._stop.wait(self.every)

    def peaks(self, phase: str | None = None) -> dict[str, float]:
        """Peak MiB of the server, of its children and of both at one instant (in ``phase``, else overall)."""
        rows = [s for s in self.samples if phase is None or s[0] == phase]
        if not rows:
            return {"server": None, "children": None, "total": None, "samples": 0}
        return {"server": round(max(s for _, s, _ in rows) / MB), "children": round(max(c for _, _, c in rows) / MB),
                "total": round(max(s + c for _, s, c in rows) / MB), "samples": len(rows)}

    def now(self) -> dict[str, float]:
        _, server, children = self.samples[-1]
        return {"server": round(server / MB), "children": round(children / MB), "total": round((server + children) / MB)}


def child_rss(child: psutil.Process) -> int:
    try:
        return child.memory_info().rss
    except psutil.Error:  # it ended between the listing and the reading
        return 0


def warm_trainer_ready(server: psutil.Process) -> bool:
    """The line's warm trainer (``python -m training.own --serve --ready FILE``) has written its ready file."""
    for child in server.children(recursive=True):
        try:
            command = child.cmdline()
        except psutil.Error:
            continue
        if "--serve" in command and "--ready" in command:
            ready = Path(command[command.index("--ready") + 1])
            return ready.exists() and ready.stat().st_size > 0
    return False


async def wait_warm(server: psutil.Process, timeout: float) -> float:
    """Wait until the warm trainer is ready (a warm server); returns the seconds waited."""
    started = time.monotonic()
    while not warm_trainer_ready(server):
        if time.monotonic() - started > timeout:
            raise TimeoutError("the warm trainer was not ready in time")
        await asyncio.sleep(0.5)
    return time.monotonic() - started


class Page:
    """One open session and its last page: the tab switch, the review box and the Classify button."""

    def __init__(self, visitor: Visitor) -> None:
        self.visitor, self.run = visitor, None

    async def open(self) -> Page:
        self.run = await self.visitor.rerun()
        (tabs,) = [proto for kind, proto in self.run.elements if kind == "tab_container"]
        self.tabs = tabs.id
        self.area = self.run.widget("text_area", "Your review").id
        self.button = self.run.widget("button", "Classify").id
        return self

    async def tab(self, name: str):
        self.run = await self.visitor.rerun(states=[text_state(self.tabs, name)])
        return self.run

    async def classify(self, text: str) -> float:
        """Classify ``text``; the seconds of the rerun (an error if the answers' table is missing)."""
        self.run = await self.visitor.rerun(states=[text_state(self.area, text), trigger(self.button)])
        if not any("P(positive)" in table for table in self.run.tables()):
            raise RuntimeError(f"no answers for {text[-12:]!r}")
        return self.run.seconds


async def train(page: Page, beat: float, timeout: float) -> dict:
    """Open the tab, press Train (the form opens on the server's caps), rerun every ``beat`` s until the
    result shows; returns the seconds from the click, whether it waited in line, and the test accuracy."""
    run = await page.tab(TRAIN_TAB)
    report = {"waited_in_line": False, "ok": False}
    started = time.monotonic()
    run = await page.visitor.rerun(states=[trigger(run.widget("button", "Train").id)])
    while time.monotonic() - started < timeout:
        texts = run.texts()
        report["waited_in_line"] |= any(WAITING in t and "number" in t for t in texts)
        result = next((t for t in texts if t.startswith(FINISHED)), None)
        trouble = next((t for t in texts if any(words in t for words in TROUBLE)), None)
        if result or trouble:
            report.update(ok=bool(result), seconds=round(time.monotonic() - started, 1),
                          result=(result or trouble)[:120])
            return report
        await asyncio.sleep(beat)
        run = await page.visitor.rerun()
    report["result"] = "timed out"
    return report


async def classify_loop(page: Page, session: int, think: float, until: asyncio.Task | None, count: int) -> dict:
    """Classify ``count`` texts, or, with ``until``, texts until that task ends; latencies and errors."""
    report = {"latencies": [], "errors": []}
    i = 0
    while (until is None and i < count) or (until is not None and not until.done()):
        text = f"{REVIEWS[(session + i) % len(REVIEWS)]} {marker(session, i)}"
        try:
            report["latencies"].append(await page.classify(text))
        except Exception as error:  # a timeout or a missing answer is a finding, not the end of the run
            report["errors"].append(f"{type(error).__name__}: {error}")
        i += 1
        await asyncio.sleep(think)
    return report


async def opened(stack, url: str, timeout: float, count: int) -> list[Page]:
    visitors = [await stack.enter_async_context(Visitor(url, timeout)) for _ in range(count)]
    return list(await asyncio.gather(*(Page(v).open() for v in visitors)))


async def scenario(url: str, memory: Memory, args) -> dict:
    """The phases of the module's docstring, in order; what each measured."""
    from contextlib import AsyncExitStack

    found: dict = {}
    async with AsyncExitStack() as stack:
        memory.phase = "warm-up"
        teacher = (await opened(stack, url, args.timeout, 1))[0]
        await teacher.classify(REVIEWS[0])
        await teacher.tab(TRAIN_TAB)
        found["warm_trainer_wait_s"] = round(await wait_warm(memory.server, args.timeout), 1)
        classifiers = await opened(stack, url, args.timeout, args.classifiers)
        trainers = await opened(stack, url, args.timeout, 3)
        print(f"warm trainer ready after {found['warm_trainer_wait_s']} s; {args.classifiers} classifiers, 3 trainers open",
              flush=True)
        memory.phase = "idle"
        found["idle"] = await asyncio.gather(*(classify_loop(p, s, args.think, None, args.texts)
                                               for s, p in enumerate(classifiers)))
        memory.phase = "one training + classify"
        training = asyncio.create_task(train(trainers[0], args.beat, args.timeout))
        found["while_training"] = await asyncio.gather(*(classify_loop(p, s + 10, args.think, training, 0)
                                                         for s, p in enumerate(classifiers)))
        found["trainings"] = [await training]
        print(f"T1: {found['trainings'][0]}", flush=True)
        await wait_warm(memory.server, args.timeout)
        memory.phase = "two more trainings"
        found["trainings"] += await asyncio.gather(*(train(p, args.beat, args.timeout) for p in trainers[1:]))
        print(f"T2, T3: {found['trainings'][1:]}", flush=True)
        memory.phase = "three models held"
        # Back to Classify first: its section is a fragment, which reruns alone only while its tab is open.
        await asyncio.gather(*(p.tab("Classify") for p in trainers))
        found["own_classify"] = await asyncio.gather(*(classify_loop(p, s + 20, 0, None, 1)
                                                       for s, p in enumerate(trainers)))
        await asyncio.sleep(2)
        found["rss_end_mb"] = memory.now()
    return found


def phase_table(found: dict, memory: Memory) -> list[str]:
    """The printed table: per phase, the classify latencies and the peak resident memory."""
    rows = [f"{'phase':<26} {'classify n':>10} {'p50 s':>7} {'p95 s':>7} {'max s':>7} "
            f"{'server MiB':>10} {'children':>9} {'total':>7}"]
    latencies = {"idle": found["idle"], "one training + classify": found["while_training"],
                 "three models held": found["own_classify"]}
    for phase in ("warm-up", "idle", "one training + classify", "two more trainings", "three models held"):
        stats = percentiles([t for r in latencies.get(phase, []) for t in r["latencies"]])
        peak = memory.peaks(phase)
        cells = [stats["n"], stats["p50"], stats["p95"], stats["max"], peak["server"], peak["children"], peak["total"]]
        rows.append(f"{phase:<26} " + " ".join(f"{'-' if c is None else c:>{w}}"
                                             for c, w in zip(cells, (10, 7, 7, 7, 10, 9, 7))))
    for i, training in enumerate(found["trainings"], 1):
        rows.append(f"training T{i}: {training.get('seconds', '-')} s from the click"
                    f"{' (waited in line)' if training['waited_in_line'] else ''}; {training.get('result')}")
    return rows


def summary(args, found: dict, memory: Memory, loads: tuple) -> dict:
    while_training = [t for r in found["while_training"] for t in r["latencies"]]
    errors = sum(len(r["errors"]) for key in ("idle", "while_training", "own_classify") for r in found[key])
    p95 = percentiles(while_training)["p95"]
    return {
        "script": "own_training_load", "date": time.strftime("%Y-%m-%d %H:%M %Z"), "cores": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in loads[0]], "load_average_after": [round(x, 2) for x in loads[1]],
        "run": {"maxlen": args.maxlen, "epochs": args.epochs, "reviews": args.reviews, "cell": "SimpleRNN 1x32"},
        "classifiers": args.classifiers, "think_s": args.think, "beat_s": args.beat,
        "warm_trainer_wait_s": found["warm_trainer_wait_s"],
        "classify_idle_s": percentiles([t for r in found["idle"] for t in r["latencies"]]),
        "classify_while_training_s": percentiles(while_training),
        "p95_under_2s": p95 is not None and p95 < 2.0,
        "trainings": found["trainings"],
        "own_classify_s": percentiles([t for r in found["own_classify"] for t in r["latencies"]]),
        "rss_peak_mb": memory.peaks(),
        "rss_peak_by_phase_mb": {phase: memory.peaks(phase) for phase in dict.fromkeys(s[0] for s in memory.samples)},
        "rss_end_mb_three_models_held": found["rss_end_mb"],
        "session_errors": errors,
        "ok": errors == 0 and all(t["ok"] for t in found["trainings"]),
    }


def parse_args(argv: list[str] | None):
    parser = script_parser(__doc__, timeout=600)
    parser.add_argument("--data", default=os.environ.get("IMDB_DATA"),
                        help="the IMDB archive the server trains on (default: $IMDB_DATA: %(default)s)")
    parser.add_argument("--classifiers", type=int, default=3, help="sessions classifying (default: %(default)s)")
    parser.add_argument("--texts", type=int, default=5, help="texts each classifies before the training (default: %(default)s)")
    parser.add_argument("--think", type=float, default=0.5, help="seconds between a classifier's texts (default: %(default)s)")
    parser.add_argument("--beat", type=float, default=1.0,
                        help="seconds between a training page's reruns, as its progress redraws (default: %(default)s)")
    parser.add_argument("--maxlen", type=int, default=200, help="the run's maxlen, set as the server's cap (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=3, help="the run's epochs, set as the server's cap (default: %(default)s)")
    parser.add_argument("--reviews", type=int, default=10_000, choices=(5_000, 10_000, 25_000),
                        help="the run's training reviews, set as the server's cap (default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.data:
        parser.error("set IMDB_DATA or --data to the IMDB archive (aclImdb_v1.tar.gz): without it the tab is off")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The operator's caps are this run: the form opens on it (views.train_own.settings_form).
    os.environ.update({"IMDB_DATA": args.data, "ZOO_TRAIN_MAX_MAXLEN": str(args.maxlen),
                       "ZOO_TRAIN_MAX_EPOCHS": str(args.epochs), "ZOO_TRAIN_MAX_REVIEWS": str(args.reviews)})
    load_before = os.getloadavg()
    with AppServer(args.zoo) as server, Memory(server.process.pid) as memory:
        found = asyncio.run(scenario(server.url, memory, args))
    result = summary(args, found, memory, (load_before, os.getloadavg()))
    print("\n".join(phase_table(found, memory)))
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
