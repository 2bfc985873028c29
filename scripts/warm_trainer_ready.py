"""How long the app's warm trainer takes to be ready for a job: this checkout's against another's, side by side.

    IMDB_DATA=../shared/data/aclImdb_v1.tar.gz python scripts/warm_trainer_ready.py --other ../main --rounds 3

Starts ``python -m training.own --serve --ready FILE`` (what ``zoo.own.WarmTrainer`` starts) in each
checkout in turn, ``--rounds`` times, and prints the seconds until it wrote its ready file, with the
1-min load average before each. Run it once first to warm the corpus cache (a warm server has it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def time_ready(repo: Path, timeout: float) -> float:
    """Seconds from starting the warm trainer in ``repo`` to its ready file; it is then let go."""
    with tempfile.TemporaryDirectory(prefix="warm-ready-") as folder:
        ready = Path(folder) / "ready"
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "training.own", "--serve", "--ready", str(ready)], cwd=repo,
                                   env=os.environ | {"PYTHONPATH": str(repo)}, stdin=subprocess.PIPE,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while not (ready.exists() and ready.stat().st_size):
                if process.poll() is not None or time.perf_counter() - started > timeout:
                    raise RuntimeError(f"the warm trainer in {repo} was not ready (exit status {process.poll()})")
                time.sleep(0.05)
            return time.perf_counter() - started
        finally:
            process.stdin.close()  # no job: it exits
            process.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--other", type=Path, required=True, help="the other checkout (e.g. main's)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)
    if not os.environ.get("IMDB_DATA"):
        parser.error("set IMDB_DATA to the IMDB archive (aclImdb_v1.tar.gz)")
    for number in range(1, args.rounds + 1):
        for name, repo in (("other", args.other.resolve()), ("this", REPO)):
            load = os.getloadavg()[0]
            print(f"round {number}, {name} ({repo}): ready after {time_ready(repo, args.timeout):.1f} s "
                  f"(load before {load:.2f})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
