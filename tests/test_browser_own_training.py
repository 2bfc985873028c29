"""*Train your own* in a real headless Chromium: *Stop* during a training keeps the best epoch so far.

Same style as ``tests/test_browser_app.py``: ``streamlit run streamlit_app.py`` on the tiny zoo,
here with a made-up corpus as the server's training data, and the browser's driver in a
process of its own (``in_own_process``).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from scripts.harness import CHROMIUM
from tests.support.corpus import write_corpus
from tests.support.browser import chromium, in_own_process

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

#: Key presses from the seed's recipe to a run long enough to stop: 4 layers of 64 units, maxlen
#: 500, 10 epochs, the fewest reviews; the sliders in the page's order (depth, units, maxlen, epochs, reviews).
PRESSES = {0: ("ArrowRight", 3), 1: ("ArrowRight", 1), 4: ("ArrowLeft", 2)}


@pytest.fixture
def training_app_url(monkeypatch, tmp_path, tiny_zoo_path):
    """The tiny zoo served with a made-up corpus of 1,200 training reviews as the training data
    (eight batches an epoch: a run that lasts long enough to be stopped), and 200 test reviews:
    a stopped run's best epoch is evaluated on all of them (and on their first and last sentences)."""
    from scripts.harness import AppServer

    corpus = write_corpus(tmp_path / "aclImdb_v1.tar.gz", per_label=600, test_per_label=100)
    monkeypatch.setenv("IMDB_DATA", str(corpus))
    monkeypatch.setenv("SIMPLERNN_ZOO_CACHE", str(tmp_path / "cache"))
    for name in ("ZOO_TRAINING", "ZOO_TRAIN_MAX_EPOCHS", "ZOO_TRAIN_MAX_REVIEWS", "ZOO_TRAIN_MAX_SECONDS",
                 "ZOO_TRAIN_MAX_MAXLEN", "ZOO_ADMIN"):
        monkeypatch.delenv(name, raising=False)
    with AppServer(str(tiny_zoo_path)) as server:
        yield server.url


def test_stop_during_a_training_keeps_the_best_epoch_so_far(training_app_url):
    epochs, best = in_own_process(train_then_stop, training_app_url)
    assert 1 <= best <= epochs < 10


def train_then_stop(url: str) -> tuple[int, int]:
    """Train 10 epochs from the page, press Stop once the first epoch's point is drawn, and read
    the kept variant's best epoch and epochs from its result."""
    from playwright.sync_api import expect

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{url}/?tab={quote('Train your own')}")
        train = page.get_by_role("button", name="Train", exact=True)
        train.wait_for(timeout=120_000)
        sliders = page.get_by_role("slider")
        for index, (key, presses) in PRESSES.items():
            sliders.nth(index).focus()
            for _ in range(presses):
                sliders.nth(index).press(key)
        page.wait_for_timeout(500)
        train.click()
        expect(page.get_by_text("yours 1 · simplernn-4x64-len500").first).to_be_visible(timeout=60_000)
        # The first epoch's point on the chart, then Stop.
        page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=240_000)
        # The tab's Stop (Streamlit's header has a Stop of its own while the page reruns).
        page.locator('[data-testid="stMain"]').get_by_role("button", name="Stop", exact=True).click()
        result = page.get_by_text(re.compile(r"best epoch \d+ of \d+ \(stopped early\)"))
        expect(result).to_be_visible(timeout=240_000)
        best, epochs = map(int, re.search(r"best epoch (\d+) of (\d+)", result.inner_text()).groups())
        return epochs, best
