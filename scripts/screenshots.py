"""The README's screenshots: every tab of the page in headless Chromium.

    IMDB_DATA=../shared/data/aclImdb_v1.tar.gz python scripts/screenshots.py   # 1400 px, into docs/screenshots/
    python scripts/screenshots.py --width 420 --out /tmp/screens

Starts ``streamlit run streamlit_app.py`` on a free localhost port, opens each tab through
its link (``?tab=...``; on Classify, picks the long example), waits until the page is finished,
and saves a full-page PNG. *Train your own* shows its form only where the server has training
data: set ``IMDB_DATA`` to the IMDB archive (the server is started with this environment),
else that tab's screenshot shows why it cannot train.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import CHROMIUM, CHROMIUM_ARGS, REPO, AppServer, script_parser  # noqa: E402

#: The example the Classify screenshot shows (its reading curves tell the lesson).
EXAMPLE = "Long review: bad, plain, glowing"
#: The page's tabs as their links name them, and the file each screenshot goes to.
TABS = {"Classify": "classify", "Compare training": "compare-training", "Zoo": "zoo",
        "Architecture": "architecture", "What they can do": "what-they-can-do", "Train your own": "train-your-own"}

_IDLE = """() => !document.querySelector('[data-stale="true"]')
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')"""
_DRAWN = """() => document.querySelectorAll('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').length
       >= document.querySelectorAll('[data-testid="stVegaLiteChart"]').length"""


async def shoot(url: str, out: Path, width: int, timeout_ms: float) -> list[Path]:
    from urllib.parse import quote

    from playwright.async_api import TimeoutError as PlaywrightTimeout
    from playwright.async_api import async_playwright

    saved = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": width, "height": 1000})).new_page()
            for tab, name in TABS.items():
                await page.goto(f"{url}/?tab={quote(tab)}", timeout=timeout_ms)
                await page.get_by_role("tab", name=tab).wait_for(timeout=timeout_ms)
                if tab == "Classify":
                    await page.get_by_text(EXAMPLE, exact=True).click(timeout=timeout_ms)
                    await page.get_by_text("drifts positive in the plain middle").wait_for(timeout=timeout_ms)
                await page.wait_for_timeout(1000)
                await page.wait_for_function(_IDLE, timeout=timeout_ms)
                # Streamlit scrolls inside its main block: make the window as tall as the page.
                height = await page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                await page.set_viewport_size({"width": width, "height": min(int(height) + 40, 12000)})
                await page.wait_for_timeout(1500)  # let the charts finish drawing at their new size
                await page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 1e6)")
                await page.wait_for_timeout(1000)
                await page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
                try:
                    await page.wait_for_function(_DRAWN, timeout=15_000)
                except PlaywrightTimeout:
                    print(f"{tab}: not every chart was drawn after 15 s; saving the page as it is", file=sys.stderr)
                path = out / f"{name}-{width}.png"
                await page.screenshot(path=path, full_page=True)
                saved.append(path)
        finally:
            await browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = script_parser(__doc__, timeout=180)
    parser.add_argument("--width", type=int, default=1400, help="viewport width in px (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots",
                        help="folder for the PNG files (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with AppServer(args.zoo) as server:
        for path in asyncio.run(shoot(server.url, args.out, args.width, args.timeout * 1000)):
            print(f"saved {path} ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
