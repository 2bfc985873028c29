"""End to end: a real headless Chromium against ``streamlit run streamlit_app.py`` on the tiny zoo.

The server runs in a process of its own (``scripts/harness.py``'s ``AppServer``), and so does
the browser's driver (``in_own_process``): pytest's process never hosts Playwright's threads.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import zoo
from scripts.harness import CHROMIUM
from tests.support.corpus import TINY_VARIANTS
from tests.support.browser import REVIEW_SCREENS, chromium, in_own_process

REVIEWS = (
    "The plot was dull and the acting terrible, a boring waste of two hours.",
    "What a wonderful, moving film: brilliant actors and the best story I have seen in years.",
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


def test_a_visitor_types_a_review_and_sees_every_variants_answer(app_url, tiny_zoo_path, tmp_path):
    expected = {vid: [float(p) for p in ps] for vid, ps in zoo.open_zoo(tiny_zoo_path).classify(list(REVIEWS)).items()}
    screenshot = tmp_path / "classify.png"
    in_own_process(type_reviews, app_url, expected, str(screenshot))
    assert screenshot.stat().st_size > 10_000
    REVIEW_SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot, REVIEW_SCREENS / "browser-classify.png")


def type_reviews(url: str, expected: dict[str, list[float]], screenshot: str) -> None:
    """The visitor, in the browser: each review typed and submitted, every variant's answer checked."""
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 2200})
        page.goto(url)
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
                p = expected[vid][i]
                # While the page reruns, the previous answer's table can still be on screen.
                row = page.locator("[data-testid='stTable'] tr", has_text=vid).filter(has_text=f"{p:.3f}").first
                expect(row).to_be_visible(timeout=90_000)
                expect(row).to_contain_text("positive" if p > 0.5 else "negative")
            positive = sum(expected[vid][i] > 0.5 for vid in TINY_VARIANTS)
            expect(page.get_by_text(f"{positive} of {len(TINY_VARIANTS)} variants say positive")).to_be_visible()

        page.wait_for_timeout(1500)  # let the charts finish drawing before the screenshot
        page.screenshot(path=screenshot, full_page=True)
