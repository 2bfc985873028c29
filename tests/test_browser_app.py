"""The page in a real headless Chromium: the form before the models, word labels, a shared link, a phone.

Same style as ``tests/test_browser.py``: ``streamlit run streamlit_app.py`` on the tiny zoo, with
the browser's driver in a process of its own (``in_own_process``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

import zoo
from scripts.harness import CHROMIUM
from tests.support.corpus import TINY_VARIANTS
from tests.support.browser import REVIEW_SCREENS, in_own_process
from tests.support.browser import chromium
from views.classify import NUMPY_NOTE

#: What the page says under the first answers while they come from NumPy, Keras' models still loading.
FROM_NUMPY = NUMPY_NOTE.split("(")[0].strip()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


def test_the_form_works_before_the_models_are_loaded_and_a_link_opens_its_text(fresh_app_url, tiny_zoo_path):
    text = "A dull and boring film, I hated it."
    expected = {vid: float(p[0]) for vid, p in zoo.open_zoo(tiny_zoo_path).classify([text]).items()}
    in_own_process(form_first_then_a_link, fresh_app_url, text, expected)


def form_first_then_a_link(app_url: str, text: str, expected: dict[str, float]) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 2000})
        page.goto(app_url)
        # On a fresh server the models are still loading: the form and the examples are drawn
        # while Keras' models load, either before any answer or beside the first answers from NumPy
        # (which come in about the same frame as the form: their note says Keras is not ready yet).
        # Checked at every animation frame, in one evaluation of the page, so that two separate
        # checks cannot straddle the models' loading.
        answered = f"of {len(TINY_VARIANTS)} variants say positive"
        page.wait_for_function(
            """([answered, fromNumpy]) => {
                const box = document.querySelector('[data-testid="stTextArea"] textarea');
                const main = document.querySelector('[data-testid="stMain"]');
                if (!box || !main || !main.innerText.includes('One word')) return false;
                return !main.innerText.includes(answered) || main.innerText.includes(fromNumpy);
            }""", arg=[answered, FROM_NUMPY], polling="raf", timeout=90_000)
        expect(page.get_by_text(answered)).to_be_visible(timeout=90_000)

        page.goto(f"{app_url}/?text={quote(text)}&variants={TINY_VARIANTS[1]}")
        expect(page.get_by_label("Your review")).to_have_value(text, timeout=90_000)
        for vid in TINY_VARIANTS:
            row = page.locator("[data-testid='stTable'] tr", has_text=vid)
            expect(row).to_contain_text(f"{expected[vid]:.3f}", timeout=90_000)
        # The reading chart's axis shows the words themselves.
        chart = page.locator("[data-testid='stVegaLiteChart']").last
        chart.scroll_into_view_if_needed()
        expect(chart.locator("text", has_text="hated").first).to_be_attached(timeout=30_000)


@pytest.mark.parametrize("width", [420, 1400])
def test_the_compare_training_and_zoo_tabs_open_from_links_at_phone_and_desktop_width(app_url, width, tmp_path):
    in_own_process(training_and_zoo_tabs, app_url, width, str(tmp_path / "zoo.png"))
    REVIEW_SCREENS.mkdir(parents=True, exist_ok=True)
    (REVIEW_SCREENS / f"browser-zoo-{width}.png").write_bytes((tmp_path / "zoo.png").read_bytes())


def training_and_zoo_tabs(app_url: str, width: int, screenshot: str) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 1600})
        page.goto(f"{app_url}/?tab=Compare%20training")
        expect(page.get_by_role("heading", name="Compare training")).to_be_visible(timeout=90_000)
        expect(page.get_by_role("button", name="Histories (CSV)")).to_be_visible(timeout=90_000)
        charts = page.locator("[data-testid='stVegaLiteChart']")
        expect(charts.first).to_be_visible()
        # Tall plots, legend inside: Vega lays the chart out after the element appears, so wait for it.
        page.wait_for_function(
            "document.querySelector(\"[data-testid='stVegaLiteChart']\").getBoundingClientRect().height >= 350",
            timeout=30_000)
        box = charts.first.bounding_box()
        assert box["x"] + box["width"] <= width  # nothing runs off the screen

        page.goto(f"{app_url}/?tab=Zoo")
        expect(page.get_by_test_id("stMain").get_by_role("heading", name="The zoo")).to_be_visible(timeout=90_000)
        grid = page.locator("[data-testid='stDataFrame']").first
        expect(grid).to_be_visible(timeout=90_000)  # the grid's code loads on demand: slow on a busy machine
        assert grid.bounding_box()["x"] + grid.bounding_box()["width"] <= width
        page.screenshot(path=screenshot, full_page=True)
