"""End to end: a real headless Chromium against ``streamlit run streamlit_app.py`` on the tiny zoo."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import zoo
from tests.conftest import TINY_VARIANTS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
REPO = Path(__file__).resolve().parent.parent
REVIEWS = (
    "The plot was dull and the acting terrible, a boring waste of two hours.",
    "What a wonderful, moving film: brilliant actors and the best story I have seen in years.",
)
#: Where a copy of the screenshot goes for people reviewing the app by eye.
REVIEW_SCREENS = Path("/tmp/screens")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def app_url(tiny_zoo_path, tmp_path):
    """``streamlit run`` on a free localhost port, serving the tiny zoo; stopped after the test."""
    port = free_port()
    log = open(tmp_path / "streamlit.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=REPO, env=os.environ | {"ZOO_SOURCE": str(tiny_zoo_path)}, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{(tmp_path / 'streamlit.log').read_text(errors='replace')}")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_a_visitor_types_a_review_and_sees_every_variants_answer(app_url, tiny_zoo_path, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expected = zoo.open_zoo(tiny_zoo_path).classify(list(REVIEWS))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 2200})
            page.goto(app_url)
            review = page.get_by_label("Your review")
            expect(review).to_be_visible(timeout=90_000)

            # The button, then Ctrl+Enter in the text area: both classify.
            for i, (text, submit) in enumerate(zip(REVIEWS, ("button", "Control+Enter"))):
                review.fill(text)
                if submit == "button":
                    page.get_by_role("button", name="Classify").click()
                else:
                    review.press("Control+Enter")
                for vid in TINY_VARIANTS:
                    p = float(expected[vid][i])
                    row = page.locator("[data-testid='stTable'] tr", has_text=vid)
                    expect(row).to_contain_text(f"{p:.3f}", timeout=90_000)
                    expect(row).to_contain_text("positive" if p > 0.5 else "negative")
                positive = sum(float(expected[vid][i]) > 0.5 for vid in TINY_VARIANTS)
                expect(page.get_by_text(f"{positive} of {len(TINY_VARIANTS)} variants say positive")).to_be_visible()

            page.wait_for_timeout(1500)  # let the charts finish drawing before the screenshot
            screenshot = tmp_path / "classify.png"
            page.screenshot(path=screenshot, full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
    REVIEW_SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot, REVIEW_SCREENS / "browser-classify.png")
