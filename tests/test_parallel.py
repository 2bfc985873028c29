"""``training.parallel``'s workers: the combined progress, a failed or dead worker's variant
reported while the others are kept, and Ctrl+C ending every process quietly.

The work here is made up (no TensorFlow), so each test takes seconds; the real training in
parallel is ``tests/test_benchmark.py::test_jobs_train_variants_in_parallel_...``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.corpus import REPO
from training.parallel import Run, run_in_workers, tell


def made_up_work(run: Run, options: dict):
    """A worker's run without training: two epochs of news, then the outcome ``options`` asks for."""
    tell("start", run.name)
    for epoch in (1, 2):
        tell("epoch", run.name, f"epoch {epoch}/2")
    if run.name == options.get("dies"):
        os._exit(3)  # the process dies as a killed or crashed one does: no exception, no outcome
    if run.name == options.get("raises"):
        return ("failed", "ValueError: made up", 0.0)
    return ("done", f"out/{run.name}", 0.0)


def sleepy_work(run: Run, options: dict):
    """A run that takes far longer than the test: writes its worker's pid, then waits."""
    Path(options["pids"], str(os.getpid())).touch()
    tell("start", run.name)
    time.sleep(600)
    return ("done", run.name, 600.0)


def runs(*names: str) -> list[Run]:
    return [Run(name, None, "") for name in names]


def test_a_dead_worker_fails_only_its_variant_and_a_fresh_worker_takes_the_next(capsys):
    results = run_in_workers(runs("a", "b", "c", "d"), 2, time.perf_counter(), made_up_work,
                             {"dies": "b", "raises": "c"})
    assert results["a"] == ("done", "out/a", 0.0) and results["d"] == ("done", "out/d", 0.0)
    assert results["c"] == ("failed", "ValueError: made up", 0.0)
    assert results["b"][0] == "failed" and results["b"][1].startswith("its process ended unexpectedly")
    out = capsys.readouterr().out
    # One combined display: each run's start and epochs, each outcome with the board after it.
    for name in "abcd":
        assert f"  {name}: started" in out and f"  {name}: epoch 2/2" in out
    assert "  a: wrote out/a" in out and "  c: FAILED: ValueError: made up" in out
    assert "  b: FAILED: its process ended unexpectedly" in out
    assert out.rstrip().splitlines()[-1].startswith("[4/4 done · ")
    assert out.rstrip().endswith("running: none")


def interrupted_main(pids: str) -> int:
    """What ``training.train.main`` does around the workers, for the Ctrl+C test below."""
    try:
        run_in_workers(runs("a", "b", "c"), 2, time.perf_counter(), sleepy_work, {"pids": pids})
    except KeyboardInterrupt:
        print("interrupted.", file=sys.stderr)
        return 130
    return 0


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a process group, as a POSIX terminal does")
def test_ctrl_c_ends_every_worker_quietly_with_status_130(tmp_path):
    pids = tmp_path / "pids"
    pids.mkdir()
    code = f"import sys; from tests.test_parallel import interrupted_main; sys.exit(interrupted_main({str(pids)!r}))"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    workers = [int(p.name) for p in pids.iterdir()]
    assert len(workers) == 2, "the two workers did not start"
    os.killpg(process.pid, signal.SIGINT)  # Ctrl+C in a terminal: every process of the foreground group
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip() == "interrupted.", err  # no traceback from the parent or a worker
    assert "c: started" not in out  # what no worker had started is dropped
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
