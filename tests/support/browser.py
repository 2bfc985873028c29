"""Debian's Chromium, headless, driven by Playwright: the browser the browser tests share."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from scripts.harness import CHROMIUM, CHROMIUM_ARGS

#: Where the browser tests put a copy of their screenshots, for people reviewing the app by eye.
REVIEW_SCREENS = Path("/tmp/screens")


@contextmanager
def chromium():
    """A launched headless Chromium (``scripts.harness.CHROMIUM``), closed on the way out."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def in_own_process(function, *args):
    """Run ``function(*args)`` in a fresh Python process and return its result; an exception it
    raises (a failed ``expect``, say) is raised here with its message.

    Browser tests drive Playwright this way: its driver and threads then live and die in a
    process of their own, never alongside TensorFlow's and Streamlit's in pytest's.
    ``function`` must be importable by name (defined at module level).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()
