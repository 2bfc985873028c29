"""Debian's Chromium, headless, driven by Playwright: the browser the browser tests share."""

from __future__ import annotations

from contextlib import contextmanager

from scripts.harness import CHROMIUM, CHROMIUM_ARGS


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
