"""The server's line for heavy work (``views.work``): at most its slots run at once, the rest wait."""

from __future__ import annotations

import threading
import time

from views.work import SLOTS, WorkLine


def test_the_slots_leave_a_core_for_the_answers():
    import os

    assert SLOTS == max(1, (os.cpu_count() or 1) - 1)


def test_a_crowd_waits_in_line_and_never_runs_more_than_the_slots_at_once():
    line = WorkLine(2)
    running, most, lock, go = [0], [0], threading.Lock(), threading.Event()

    def job() -> None:
        with line.turn():
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            go.wait(timeout=10)  # the first two hold their slots until the whole crowd is in line
            time.sleep(0.05)
            with lock:
                running[0] -= 1

    crowd = [threading.Thread(target=job) for _ in range(12)]
    for thread in crowd:
        thread.start()
    deadline = time.monotonic() + 10  # however slowly a loaded machine starts the threads
    while line.ahead() < 12 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert line.full() and line.ahead() == 12 and most[0] == 2  # two run, ten wait (a notice on their page)
    go.set()
    for thread in crowd:
        thread.join(timeout=10)

    assert most[0] == 2
    assert len(line.waits) == 12 and max(line.waits) >= 0.2  # the last of 12 waited for 5 rounds of 2
    assert not line.full() and line.ahead() == 0


def test_a_failing_job_gives_its_slot_back():
    line = WorkLine(1)
    try:
        with line.turn():
            raise ValueError("the model could not be loaded")
    except ValueError:
        pass
    assert not line.full() and line.ahead() == 0
