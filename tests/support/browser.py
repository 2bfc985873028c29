"""Debian's Chromium, headless, driven by Playwright: the browser the browser tests share.

The browser tests drive it from one process of its own (``in_own_process``), started at the
first browser test of a session (of a worker, under ``pytest -n``), which launches Chromium once
(``chromium``): each test opens its own browser contexts in it (as fresh as a new browser: no
cookies, storage or cache of another context), closed after it.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from pathlib import Path

from scripts.harness import CHROMIUM, CHROMIUM_ARGS

#: Where the browser tests put a copy of their screenshots, for people reviewing the app by eye.
REVIEW_SCREENS = Path("/tmp/screens")

#: In the browser process: Playwright and the Chromium it launched, once.
_launched: tuple | None = None
#: In pytest's process: the browser process.
_process: ProcessPoolExecutor | None = None


@contextmanager
def chromium():
    """The browser process's headless Chromium (``scripts.harness.CHROMIUM``), launched at its
    first use (again if it has gone); every context opened inside is closed on the way out.
    Only in the browser process (``in_own_process``), never in pytest's."""
    global _launched
    if _launched is not None and not _launched[1].is_connected():  # Chromium has gone
        _close_browser()
    if _launched is None:
        import multiprocessing.util

        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _launched = playwright, playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        multiprocessing.util.Finalize(None, _close_browser, exitpriority=10)  # as the process ends
    browser = _launched[1]
    before = set(browser.contexts)
    try:
        yield browser
    finally:
        for context in browser.contexts:
            if context not in before:
                context.close()


def _close_browser() -> None:
    global _launched
    if _launched is not None:
        playwright, browser = _launched
        _launched = None
        with suppress(Exception):  # a Chromium that has gone has nothing to close
            browser.close()
        playwright.stop()


def in_own_process(function, *args):
    """Run ``function(*args)`` in the browser process and return its result; an exception it
    raises (a failed ``expect``, say) is raised here with its message.

    Browser tests drive Playwright this way: its driver and threads then live in a process of
    their own, never alongside TensorFlow's and Streamlit's in pytest's. One process serves the
    session's browser tests one after the other (a new one if a test killed it); it closes its
    Chromium as it ends, with pytest's process.
    ``function`` must be importable by name (defined at module level).
    """
    global _process
    if _process is None:
        import multiprocessing

        _process = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        return _process.submit(function, *args).result()
    except BrokenProcessPool:
        _process = None
        raise


def submit_review(page, url: str, text: str) -> None:
    """On a fresh page: open the app at ``url``, wait for the review box, type ``text`` and press
    *Classify*, as a visitor does (the caller waits for what it expects to see)."""
    from playwright.sync_api import expect

    page.goto(url)
    review = page.get_by_label("Your review")
    expect(review).to_be_visible(timeout=90_000)
    review.fill(text)
    page.get_by_role("button", name="Classify").click()
