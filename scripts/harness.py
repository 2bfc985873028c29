"""What the load and soak scripts share: a counted ``streamlit run`` server on localhost, its
memory, the page actions of a visitor, and the numbers ``python -m zoo classify`` gives.

Everything here talks to 127.0.0.1 only, and every wait has a time limit.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
#: The browser every script and browser test drives: Debian's Chromium, headless, with nothing
#: started that would reach the network. The one definition; tests import it from here.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
#: Reviews written for these scripts; each visitor's text is one of them plus its own marker word.
REVIEWS = (
    "A wonderful, moving film with brilliant actors. I loved the story and the music.",
    "The plot was dull and the acting terrible, a boring waste of two hours.",
    "Not the best film of the year, but the cast is good and the ending works.",
    "I expected a masterpiece and got a mess: poor dialogue, awful pacing, no tension at all.",
    "Funny, warm and surprisingly sad; the director knows exactly what she is doing.",
    "Two great performances cannot save a script this lazy. I was bored by the middle.",
)
MB = 1024 * 1024


def marker(*numbers: int) -> str:
    """A word no vocabulary knows and no other marker contains, e.g. ``zq03x01q``."""
    return "zq" + "x".join(f"{n:02d}" for n in numbers) + "q"


def script_parser(doc: str, *, timeout: float) -> argparse.ArgumentParser:
    """The arguments every script takes: ``--zoo`` and ``--timeout`` (``doc``: the script's docstring)."""
    from zoo.store import default_source

    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--zoo", default=default_source(), help="zoo folder (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=timeout,
                        help="seconds any one wait may take (default: %(default)s)")
    return parser


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and max of ``values`` in seconds, rounded to milliseconds."""
    if not values:
        return {"p50": None, "p95": None, "max": None, "n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50": round(statistics.median(ordered), 3), "p95": round(p95, 3), "max": round(ordered[-1], 3),
            "n": len(ordered)}


def expected_predictions(source: str, texts: list[str]) -> list[dict[str, float]]:
    """Each text's probabilities from ``python -m zoo classify --json``, the numbers the app must show."""
    result = subprocess.run(
        [sys.executable, "-m", "zoo", "classify", "--zoo", source, "--json", "--input", "-"],
        input="\n".join(texts) + "\n", cwd=REPO, capture_output=True, text=True, timeout=600,
        env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"zoo classify failed ({result.returncode}): {result.stderr[-2000:]}")
    return [json.loads(line)["predictions"] for line in result.stdout.splitlines()]


def variant_ids(source: str) -> list[str]:
    result = subprocess.run([sys.executable, "-m", "zoo", "list", "--zoo", source, "--json"], cwd=REPO,
                            capture_output=True, text=True, timeout=300,
                            env=os.environ | {"PYTHONPATH": str(REPO)})
    return [row["id"] for row in json.loads(result.stdout)]


class AppServer:
    """``streamlit run streamlit_app.py`` on a free localhost port, with counters (see
    ``scripts/instrumented_app.py``) and a thread sampling its resident memory."""

    def __init__(self, source: str, *, start_timeout: float = 180, sample_every: float = 0.2,
                 keep_keras_state: bool = False):
        self.source, self.start_timeout, self.sample_every = source, start_timeout, sample_every
        self.keep_keras_state = keep_keras_state
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._work = tempfile.TemporaryDirectory(prefix="zoo-load-")
        self.counters_path = Path(self._work.name) / "counters.json"
        self.script_times_path = Path(self._work.name) / "script_times.txt"
        self.log_path = Path(self._work.name) / "streamlit.log"
        self.waits_path = Path(self._work.name) / "waits.txt"
        self.rss_samples: list[tuple[float, int]] = []
        self._stop = threading.Event()

    def __enter__(self) -> AppServer:
        env = os.environ | {"ZOO_SOURCE": self.source, "ZOO_COUNTERS": str(self.counters_path),
                            "ZOO_SCRIPT_TIMES": str(self.script_times_path), "ZOO_WAITS": str(self.waits_path),
                            "PYTHONPATH": str(REPO),
                            "ZOO_KEEP_KERAS_STATE": "1" if self.keep_keras_state else "0"}
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "scripts" / "instrumented_app.py"), "streamlit_app.py",
             "--server.headless", "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        try:
            self._wait_healthy()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self._psutil = psutil.Process(self.process.pid)
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{self.log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.rss_samples.append((time.monotonic(), self._psutil.memory_info().rss))
            except psutil.Error:
                return
            self._stop.wait(self.sample_every)

    def rss(self) -> int:
        """The server's resident memory now, in bytes."""
        return self._psutil.memory_info().rss

    def peak_rss(self) -> int:
        return max(rss for _, rss in self.rss_samples) if self.rss_samples else self.rss()

    def counters(self) -> dict[str, int]:
        try:
            return json.loads(self.counters_path.read_text())
        except (OSError, json.JSONDecodeError):
            return {}

    def script_times(self) -> list[float]:
        """The server seconds of every script run so far (each page load or rerun), in order."""
        try:
            return [float(line) for line in self.script_times_path.read_text().split()]
        except OSError:
            return []

    def waits(self) -> list[float]:
        """How long each heavy job waited for its turn in the server's line (``views.work``), in seconds."""
        try:
            return [float(line) for line in self.waits_path.read_text().split()]
        except OSError:
            return []

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        self._work.cleanup()


# ------------------------------------------------------------------ a visitor's page (async Playwright)

_DONE = """(marker) => {
    const main = document.querySelector('[data-testid="stMain"]');
    return !!main && main.innerText.includes(marker)
        && !document.querySelector('[data-stale="true"]')
        && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
}"""

_RESULTS = """() => {
    const table = document.querySelector('[data-testid="stMain"] [data-testid="stTable"]');
    if (!table) return [];
    return Array.from(table.querySelectorAll('tbody tr')).map(
        row => Array.from(row.querySelectorAll('th, td')).map(cell => cell.innerText.trim()));
}"""

_SHOWN_TEXT = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    const area = document.querySelector('[data-testid="stTextArea"] textarea');
    return {page: main ? main.innerText : '', review: area ? area.value : null};
}"""


async def open_app(page, url: str, timeout_ms: float) -> float:
    """Load the app and wait for the review box; returns the seconds it took."""
    started = time.perf_counter()
    await page.goto(url, timeout=timeout_ms)
    await page.get_by_label("Your review").wait_for(timeout=timeout_ms)
    await page.wait_for_function(_DONE, arg="", timeout=timeout_ms)
    return time.perf_counter() - started


async def classify(page, text: str, word: str, timeout_ms: float) -> float:
    """Type ``text`` (which holds the marker ``word``), press Classify, and wait until the page
    shows the answer to it; returns the seconds from the click to a finished page."""
    review = page.get_by_label("Your review")
    await review.fill(text)
    started = time.perf_counter()
    await page.get_by_role("button", name="Classify").click()
    await page.wait_for_function(_DONE, arg=word, timeout=timeout_ms)
    return time.perf_counter() - started


async def shown_results(page, variants: list[str]) -> dict[str, str]:
    """The results table: each variant's P(positive) as the page prints it (or "—" for errors)."""
    rows = await page.evaluate(_RESULTS)
    shown = {}
    for cells in rows:
        for i, cell in enumerate(cells[:-1]):
            if cell in variants:
                shown[cell] = cells[i + 1]
    return shown


async def shown_text(page) -> dict[str, str]:
    """The main area's text and the review box's value."""
    return await page.evaluate(_SHOWN_TEXT)


async def open_compare_training(page, timeout_ms: float) -> float:
    """Open the "Compare training" tab and wait until its charts are drawn; returns the seconds."""
    started = time.perf_counter()
    await page.get_by_role("tab", name="Compare training").click()
    panel = page.locator("[data-testid='stTabPanel']:visible", has_text="Compare training")
    drawn = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
    await panel.locator(drawn).first.wait_for(timeout=timeout_ms)
    # Both history charts (loss and accuracy) drawn, not just the first.
    await page.wait_for_function(
        """(drawn) => Array.from(document.querySelectorAll('[data-testid="stTabPanel"]'))
                 .filter(p => p.offsetParent !== null && p.innerText.includes('Compare training'))
                 .some(p => p.querySelectorAll(drawn).length >= 2)""",
        arg=drawn, timeout=timeout_ms,
    )
    return time.perf_counter() - started


def agrees(shown: str, expected: float) -> bool:
    """The page's 3-decimal number is the CLI's probability, rounded (a last-digit tie may go either way)."""
    try:
        return shown == f"{expected:.3f}" or abs(float(shown) - expected) <= 0.0005 + 1e-6
    except ValueError:
        return False
