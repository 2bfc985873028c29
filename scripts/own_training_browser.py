"""The *Train your own* tab in headless Chromium: the default run, timed from the click, with screenshots.

    IMDB_DATA=../shared/data/aclImdb_v1.tar.gz python scripts/own_training_browser.py --width 1400 --out /tmp/own

Starts ``streamlit run streamlit_app.py`` (the bundled zoo) on a free localhost port, opens the
tab through its link, sets the form to SimpleRNN 1x32, maxlen 200, 10,000 reviews, 3 epochs with
the keyboard, presses *Train*, and prints the seconds from the click to the first epoch's point
on the chart and to the finished variant; then opens Classify and checks that the variant
answers there (its row in *Your own variants* holds a probability and a verdict, not an error).
Saves the form, the running job and the result as PNGs. Run it once before timing to warm the
corpus cache (a warm server has it). ``--runs N`` repeats it on N fresh servers, one after the other.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import CHROMIUM, CHROMIUM_ARGS, REPO, AppServer, script_parser  # noqa: E402
from zoo.own import job_niceness  # noqa: E402

#: Key presses from the seed's recipe to the default run: maxlen 500 -> 200 (step 25), epochs 10 -> 3,
#: reviews 25,000 -> 10,000; the sliders in the page's order (depth, units, maxlen, epochs, reviews).
PRESSES = {2: 12, 3: 7, 4: 1}
#: Streamlit scrolls inside its main block: the screenshots of the result show its end.
SCROLL_DOWN = "document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 1e6)"


async def run(url: str, out: Path, width: int, timeout_ms: float) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": width, "height": 1400})).new_page()
            await page.goto(f"{url}/?tab={quote('Train your own')}", timeout=timeout_ms)
            await page.get_by_role("button", name="Train", exact=True).wait_for(timeout=timeout_ms)
            sliders = page.get_by_role("slider")
            for index, presses in PRESSES.items():
                await sliders.nth(index).focus()
                for _ in range(presses):
                    await sliders.nth(index).press("ArrowLeft")
            await page.wait_for_timeout(500)
            await page.screenshot(path=out / f"own-form-{width}.png", full_page=True)
            clicked = time.perf_counter()
            await page.get_by_role("button", name="Train", exact=True).click()
            await page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=timeout_ms)
            first = time.perf_counter() - clicked
            await page.wait_for_timeout(1500)
            await page.screenshot(path=out / f"own-running-{width}.png", full_page=True)
            await page.get_by_text("Test accuracy").wait_for(timeout=timeout_ms)
            total = time.perf_counter() - clicked
            await page.wait_for_timeout(2000)
            await page.evaluate(SCROLL_DOWN)
            await page.screenshot(path=out / f"own-result-{width}.png", full_page=True)
            await page.get_by_role("tab", name="Classify").click()
            answer = await own_answer(page, timeout_ms)
            await page.evaluate(SCROLL_DOWN)
            await page.wait_for_timeout(1500)
            await page.screenshot(path=out / f"own-classify-{width}.png", full_page=True)
            return {"first_epoch_s": first, "total_s": total, "answer": answer}
        finally:
            await browser.close()


async def own_answer(page, timeout_ms: float) -> str:
    """The trained variant's row in Classify's *Your own variants*: its name, P(positive) and verdict.

    Raises:
        RuntimeError: the row holds no probability (the variant could not answer).
    """
    table = page.locator('[data-testid="stTable"]').filter(has_text="Your variant")
    await table.get_by_text("yours 1 ·").wait_for(timeout=timeout_ms)
    row = " ".join((await table.locator("tbody tr").first.inner_text()).split())
    if "could not answer" in row or not re.search(r"\b[01]\.\d{3}\b", row):
        raise RuntimeError(f"the trained variant did not answer in Classify: {row!r}")
    return row


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip() or "?"


def main(argv: list[str] | None = None) -> int:
    parser = script_parser(__doc__, timeout=300)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--out", type=Path, default=Path("/tmp/own-training"))
    parser.add_argument("--runs", type=int, default=1, help="fresh servers, one after the other (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for number in range(1, args.runs + 1):
        with AppServer(str(REPO / "bundled_zoo")) as server:
            load, started = os.getloadavg(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            times = asyncio.run(run(server.url, args.out, args.width, args.timeout * 1000))
            print(f"run {number} ({started}, commit {commit()}, job niceness {job_niceness()}), width {args.width}: "
                  f"first epoch's point "
                  f"{times['first_epoch_s']:.1f} s, finished {times['total_s']:.1f} s after the click (load before "
                  f"{load[0]:.2f}, after {os.getloadavg()[0]:.2f}); peak server RSS {server.peak_rss() / 2**20:.0f} MiB; "
                  f"in Classify: {times['answer']}; screenshots in {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
