"""The page in a real headless Chromium: the form before the models, word labels, a shared link, a phone.

Same style as ``tests/test_browser.py``: ``streamlit run streamlit_app.py`` on the tiny zoo.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

import zoo
from tests.conftest import TINY_VARIANTS
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, REVIEW_SCREENS, app_url  # noqa: F401  (the fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_the_form_works_before_the_models_are_loaded_and_a_link_opens_its_text(app_url, tiny_zoo_path, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    page.goto(app_url)
    review = page.get_by_label("Your review")
    expect(review).to_be_visible(timeout=90_000)
    # On a fresh server TensorFlow is still being imported: the form and the examples are there already.
    answers = page.get_by_text(f"of {len(TINY_VARIANTS)} variants say positive")
    assert not answers.is_visible()
    expect(page.get_by_text("One word", exact=True)).to_be_visible()
    expect(answers).to_be_visible(timeout=90_000)

    text = "A dull and boring film, I hated it."
    expected = zoo.open_zoo(tiny_zoo_path).classify([text])
    page.goto(f"{app_url}/?text={quote(text)}&variants={TINY_VARIANTS[1]}")
    expect(page.get_by_label("Your review")).to_have_value(text, timeout=90_000)
    for vid in TINY_VARIANTS:
        row = page.locator("[data-testid='stTable'] tr", has_text=vid)
        expect(row).to_contain_text(f"{float(expected[vid][0]):.3f}", timeout=90_000)
    # The reading chart's axis shows the words themselves.
    chart = page.locator("[data-testid='stVegaLiteChart']").last
    chart.scroll_into_view_if_needed()
    expect(chart.locator("text", has_text="hated").first).to_be_attached(timeout=30_000)


@pytest.mark.parametrize("width", [420, 1400])
def test_the_compare_training_and_zoo_tabs_open_from_links_at_phone_and_desktop_width(app_url, browser, width, tmp_path):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": width, "height": 1600})
    page.goto(f"{app_url}/?tab=Compare%20training")
    expect(page.get_by_role("heading", name="Compare training")).to_be_visible(timeout=90_000)
    expect(page.get_by_role("button", name="Histories (CSV)")).to_be_visible(timeout=90_000)
    charts = page.locator("[data-testid='stVegaLiteChart']")
    expect(charts.first).to_be_visible()
    box = charts.first.bounding_box()
    assert box["height"] >= 350  # tall plots, legend inside
    assert box["x"] + box["width"] <= width  # nothing runs off the screen

    page.goto(f"{app_url}/?tab=Zoo")
    expect(page.get_by_test_id("stMain").get_by_role("heading", name="The zoo")).to_be_visible(timeout=90_000)
    grid = page.locator("[data-testid='stDataFrame']").first
    expect(grid).to_be_visible()
    assert grid.bounding_box()["x"] + grid.bounding_box()["width"] <= width
    page.screenshot(path=tmp_path / "zoo.png", full_page=True)
    REVIEW_SCREENS.mkdir(parents=True, exist_ok=True)
    (REVIEW_SCREENS / f"browser-zoo-{width}.png").write_bytes((tmp_path / "zoo.png").read_bytes())
