"""How fast the *Train your own* tab trains: the job the app starts, timed as the page sees it.

    IMDB_DATA=../shared/data/aclImdb_v1.tar.gz python scripts/own_training_speed.py

Runs the app's own job (``zoo.own.TrainingJob`` in the app's ``zoo.own.TrainingLine``: ``python
-m training.own`` in a process of its own, one TensorFlow thread) for each setting below, one
after the other, as a warm server runs it: the line's warm trainer (``--serve``: TensorFlow
imported, the reviews read) is ready before *Train* is pressed. The default run is also timed
cold, side by side: the command started when *Train* is pressed (the corpus cache filled by a
first run, as ``training.train``'s cache is on a server that trained before). For each it prints
the seconds from pressing *Train* to the first epoch's point (the progress file's first
``epoch`` line) and to the written variant, and the variant's test accuracy on its test sample.
The page polls the job every second, so it shows each point up to one second later. Put the
numbers in ``docs/performance.md`` with the date and ``uptime``'s load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from zoo.artifact import Artifact  # noqa: E402
from zoo.own import OwnSettings, TrainingJob, TrainingLine, training_available  # noqa: E402

RUNS = {
    "default: SimpleRNN 1x32, maxlen 200, 10k reviews, 3 ep": OwnSettings(maxlen=200, epochs=3, reviews=10_000),
    "maxlen 500": OwnSettings(maxlen=500, epochs=3, reviews=10_000),
    "4-layer stack (4x32, maxlen 200)": OwnSettings(layers=4, maxlen=200, epochs=3, reviews=10_000),
}


def timed(settings: OwnSettings, timeout: float, warm: bool = True) -> dict:
    """Run one job to its end (``warm``: once the line's warm trainer is ready); the seconds to
    its first epoch and to its end, and its accuracy."""
    line = TrainingLine(warm=warm)
    line.warm_up()
    end = time.perf_counter() + timeout
    while warm and not line.ready() and time.perf_counter() < end:
        time.sleep(0.1)
    waiting_rss = psutil.Process(line.warm.process.pid).memory_info().rss if warm else None
    job = TrainingJob(settings, seconds=int(timeout))
    pressed = time.perf_counter()
    line.join(job)
    first = None
    while job.state in ("waiting", "running") and time.perf_counter() - pressed < timeout:
        job.seen = time.monotonic()
        if first is None and any(e["phase"] == "epoch" for e in job.events()):
            first = time.perf_counter() - pressed
        time.sleep(0.05)
    total = time.perf_counter() - pressed
    line.close()
    if job.state != "done":
        raise SystemExit(f"{settings.name}: {job.state}\n" + (job.folder / "training.log").read_text())
    artifact = Artifact.read(job.zoo_folder / job.variant_id())
    epochs = [e for e in job.events() if e["phase"] == "epoch"]
    return {"first_epoch_s": first, "total_s": total, "epoch_s": [e["seconds"] for e in epochs], "warm_rss": waiting_rss,
            "test_accuracy": artifact.metadata["test_accuracy"], "test_reviews": artifact.metadata["data"]["test_reviews"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=600, help="seconds a run may take (default: %(default)s)")
    args = parser.parse_args(argv)
    why = training_available()
    if why:
        print(why, file=sys.stderr)
        return 2
    print(f"load: {os.getloadavg()}  (a first run fills the corpus cache)", flush=True)
    timed(OwnSettings(maxlen=25, epochs=1, reviews=10_000), args.timeout, warm=False)
    print(f"{'run':<52} {'first epoch':>11} {'before it':>9} {'total':>7}  epochs (s)          test acc (sample)")
    runs = [(name, settings, True) for name, settings in RUNS.items()]
    runs.insert(1, (next(iter(RUNS)).split(":")[0] + ", cold (no warm trainer)", next(iter(RUNS.values())), False))
    for name, settings, warm in runs:
        load = os.getloadavg()[0]
        r = timed(settings, args.timeout, warm)
        epochs = ", ".join(f"{s:.1f}" for s in r["epoch_s"])
        before = r["first_epoch_s"] - r["epoch_s"][0]  # pressing Train to the first epoch's start
        rss = f"   warm trainer {r['warm_rss'] / 2**20:.0f} MiB" if r["warm_rss"] else ""
        print(f"{name:<52} {r['first_epoch_s']:>10.1f}s {before:>8.1f}s {r['total_s']:>6.1f}s  {epochs:<19} "
              f"{r['test_accuracy']:.3f} ({r['test_reviews']:,})   load {load:.2f}{rss}", flush=True)
    print(f"load: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
