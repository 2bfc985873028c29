"""End to end: the "What they can do" tab in a real headless Chromium against ``streamlit run``
on the tiny zoo, wide and narrow (the browser's driver in a process of its own)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts.harness import CHROMIUM
from tests.support.corpus import TINY_VARIANTS
from tests.support.browser import REVIEW_SCREENS, chromium, in_own_process, submit_review

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

TEXT = "The acting was dull, but the ending was brilliant and I loved it. zqtabq"
WIDTHS = (1400, 420)


def test_the_tab_explains_the_submitted_text_at_1400_and_420_px(app_url, tmp_path):  # noqa: F811
    in_own_process(explain_in_the_tab, app_url, str(tmp_path))
    REVIEW_SCREENS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        screenshot = tmp_path / f"capabilities-{width}.png"
        assert screenshot.stat().st_size > 10_000
        shutil.copy(screenshot, REVIEW_SCREENS / f"browser-capabilities-{width}.png")


def explain_in_the_tab(app_url: str, folder: str) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        submit_review(page, app_url, TEXT)
        expect(page.locator("[data-testid='stTable'] tr", has_text=TINY_VARIANTS[0])).to_be_visible(timeout=90_000)

        page.get_by_role("tab", name="What they can do").click()
        panel = page.locator("[data-testid='stTabPanel']:visible")
        expect(panel).to_contain_text("zqtabq", timeout=90_000)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 2400})
            for heading in ("Memory span", "Probes", "Which words matter", "What the network holds after each word"):
                expect(panel.get_by_text(heading, exact=True)).to_be_visible(timeout=90_000)
            drawn = panel.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg")
            expect(drawn.nth(3)).to_be_visible(timeout=90_000)  # curves, heatmap, word importance, states
            expect(page.locator("[data-testid='stException']")).to_have_count(0)
            page.wait_for_timeout(1500)  # let the charts finish drawing before the screenshot
            page.screenshot(path=f"{folder}/capabilities-{width}.png")
