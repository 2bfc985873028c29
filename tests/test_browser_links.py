"""In a real headless Chromium: a link made on one page reproduces it in a fresh browser, no tab
scrolls sideways on a phone, and the verdict is on the first screen of a desktop.

Same style as ``tests/test_browser.py``: ``streamlit run streamlit_app.py`` in a process of its
own, the browser's driver in another (``in_own_process``).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from scripts.harness import CHROMIUM, REPO, AppServer
from tests.support.corpus import TINY_VARIANTS
from tests.support.browser import in_own_process
from tests.support.browser import chromium, submit_review

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]
TABS = ("Classify", "Compare training", "Zoo", "Architecture", "What they can do")
#: The tab whose form shows only on a server with training data (``IMDB_DATA``).
OWN_TAB = "Train your own"
TEXT = "Not bad at all, the ending was wonderful."
#: The verdict's headline, "n of N variants say positive".
SAY_POSITIVE = re.compile(r"\d+ of \d+ variants say positive")
_IDLE = """() => !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')"""


def settled(page, timeout: float = 90_000) -> None:
    page.wait_for_timeout(800)
    page.wait_for_function(_IDLE, timeout=timeout)


def chips(page, key: str) -> list[str]:
    return page.locator(f".st-key-{key} [data-tag-index]").all_inner_texts()


def test_a_link_made_on_one_page_reproduces_it_in_a_fresh_browser(app_url):
    in_own_process(link_round_trip, app_url)


def link_round_trip(app_url: str) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        submit_review(page, app_url, TEXT)
        expect(page.get_by_role("heading", name=SAY_POSITIVE)).to_be_visible(timeout=90_000)
        # Stop following the first variant: its chip's close button.
        page.locator(".st-key-variants [data-tag-index='0'] button[aria-label^='Remove']").click()
        page.wait_for_function("new URLSearchParams(location.search).getAll('variants').length === 2", timeout=90_000)
        settled(page)
        followed = chips(page, "variants")
        classify_link = page.url

        page.get_by_role("tab", name="What they can do").click()
        expect(page.get_by_text("Which words matter")).to_be_visible(timeout=90_000)
        choice = page.locator(".st-key-states_variant input")
        choice.click()
        choice.fill(TINY_VARIANTS[1])
        choice.press("Enter")
        # The rerun may start after settled() looked: wait until the choice is in the address itself.
        page.wait_for_function(
            f"new URLSearchParams(location.search).get('states_variant') === '{TINY_VARIANTS[1]}'", timeout=90_000)
        settled(page)
        capabilities_link = page.url

        fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        fresh.goto(classify_link)
        expect(fresh.get_by_label("Your review")).to_have_value(TEXT, timeout=90_000)
        expect(fresh.get_by_role("heading", name=SAY_POSITIVE)).to_be_visible(timeout=90_000)
        settled(fresh)
        assert chips(fresh, "variants") == followed and len(followed) == 2, (followed, classify_link)

        fresh.goto(capabilities_link)
        expect(fresh.get_by_text("Which words matter")).to_be_visible(timeout=90_000)
        expect(fresh.get_by_text(TEXT, exact=True)).to_be_visible()  # the link's text is the one explained
        expect(fresh.locator(".st-key-states_variant input")).to_have_value(TINY_VARIANTS[1], timeout=30_000)


def test_no_tab_scrolls_sideways_on_a_phone(monkeypatch, tiny_zoo_path, tiny_corpus):
    monkeypatch.setenv("IMDB_DATA", str(tiny_corpus))  # Train your own shows its form only with training data
    monkeypatch.delenv("ZOO_TRAINING", raising=False)
    with AppServer(str(tiny_zoo_path)) as server:
        widths = in_own_process(scroll_widths, server.url, 420)
    assert widths == {tab: 420 for tab in (*TABS, OWN_TAB)}, widths


def scroll_widths(app_url: str, width: int) -> dict[str, int]:
    """The document's scroll width on each tab, opened from its link with a text to explain."""
    found = {}
    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 900})
        for tab in (*TABS, OWN_TAB):
            page.goto(f"{app_url}/?tab={quote(tab)}&text={quote(TEXT)}")
            page.get_by_test_id("stMain").get_by_role("heading", name=tab.replace("Classify", "Classify a review"),
                                                      exact=False).first.wait_for(timeout=90_000)
            if tab == OWN_TAB:
                page.get_by_role("button", name="Train", exact=True).wait_for(timeout=90_000)  # the form, not "no data"
            settled(page)
            page.wait_for_timeout(1500)  # charts laid out at their width
            found[tab] = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth,"
                                       " document.querySelector('[data-testid=\"stMain\"]').scrollWidth)")
    return found


def test_the_verdict_of_every_bundled_variant_is_on_the_first_desktop_screen():
    with AppServer(str(REPO / "bundled_zoo")) as server:
        bottom, bars = in_own_process(verdict_position, server.url)
    assert bars >= 11  # every variant of the bundled zoo
    assert bottom <= 1000, f"the verdict chart ends at {bottom} px"


def verdict_position(app_url: str) -> tuple[float, int]:
    """Where the verdict chart (one bar per variant that answered) ends on a 1400 x 1000 screen, and
    how many variants answered."""
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        expect(page.get_by_role("heading", name=SAY_POSITIVE)).to_be_visible(timeout=120_000)
        settled(page)
        chart = page.locator("[data-testid='stVegaLiteChart']").first
        chart.locator("svg, canvas").first.wait_for(timeout=30_000)
        box = chart.bounding_box()
        headline = page.get_by_role("heading", name=SAY_POSITIVE).inner_text()  # "n of N variants say positive"
        return box["y"] + box["height"], int(headline.split(" of ")[1].split()[0])
