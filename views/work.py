"""Heavy work a visitor can ask for (word importance, hidden states, probes of a zoo without
stored results) waits in one line for the whole server, and runs at most once at a time per
visitor, so that a class opening the page together queues instead of piling up threads.

Classifying a text does not wait here: it is the page's answer, and cheap.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

#: Heavy jobs that run at once on the server: one per core, less one kept for the answers to
#: Classify (TensorFlow spreads each job over every core anyway).
SLOTS = max(1, (os.cpu_count() or 1) - 1)
#: How many of the latest waits ``WorkLine.waits`` keeps.
WAITS_KEPT = 10_000


class WorkLine:
    """A server-wide line for heavy work: at most ``slots`` jobs run at once, the others wait.

    ``waits`` keeps how long each job waited for its turn, in seconds (for the load script).
    """

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._semaphore = threading.Semaphore(slots)
        self._lock = threading.Lock()
        self.running = 0
        self.waiting = 0
        self.waits: deque[float] = deque(maxlen=WAITS_KEPT)

    def full(self) -> bool:
        """Every slot is taken: a new job would wait."""
        with self._lock:
            return self.running >= self.slots

    def ahead(self) -> int:
        """Jobs running or waiting now."""
        with self._lock:
            return self.running + self.waiting

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for a slot, hold it while the body runs."""
        arrived = time.perf_counter()
        with self._lock:
            self.waiting += 1
        self._semaphore.acquire()
        with self._lock:
            self.waiting -= 1
            self.running += 1
            self.waits.append(time.perf_counter() - arrived)
        try:
            yield
        finally:
            with self._lock:
                self.running -= 1
            self._semaphore.release()


#: The server's one line (module state: every session of this server process shares it).
HEAVY = WorkLine(SLOTS)


_SESSION_LOCK_KEY = "heavy_work_lock"
_creating = threading.Lock()


def session_lock() -> threading.Lock:
    """This visitor's (session's) lock for heavy work: one computation at a time per visitor,
    whatever the order in which Streamlit runs the session's reruns and fragments."""
    with _creating:
        if _SESSION_LOCK_KEY not in st.session_state:
            st.session_state[_SESSION_LOCK_KEY] = threading.Lock()
        return st.session_state[_SESSION_LOCK_KEY]


@contextmanager
def heavy_work(what: str) -> Iterator[None]:
    """Around a call that may do heavy work (a cached function that takes ``HEAVY.turn()`` on a
    miss): one such call at a time for this visitor, and a notice on the page while it waits."""
    notice = st.empty()
    lock = session_lock()
    if lock.locked():
        notice.info(f"Your previous request is still being computed; {what} follows it.")
    with lock:
        if HEAVY.full():
            notice.info(f"The server is busy with {HEAVY.ahead()} explanations for other visitors: {what} waits its "
                        "turn and follows in a moment.", icon="⏳")
        try:
            yield
        finally:
            notice.empty()
