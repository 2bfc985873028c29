"""Screenshots of the "What they can do" tab in headless Chromium, wide and narrow.

    python scripts/capabilities_screens.py                    # the bundled zoo, into /tmp/screens
    python scripts/capabilities_screens.py --zoo /tmp/zoo --out shots/

Starts ``streamlit run streamlit_app.py`` on a free localhost port (``scripts/harness.py``),
classifies a review written for this script, opens the tab and waits until every chart is
drawn, then saves ``capabilities-1400.png`` and ``capabilities-420.png`` (full page). Prints
the time from the tab click to the finished tab, and whether the page shows an exception.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import CHROMIUM, CHROMIUM_ARGS, AppServer, classify, open_app, script_parser  # noqa: E402

REVIEW = ("The first half is slow and the dialogue is clumsy, and I almost walked out. But the last act is "
          "brilliant and the ending moved me to tears. zqscreenq")
TAB = "What they can do"
#: Charts of the tab once it is finished: memory span, probes, one per compared variant, hidden states.
CHARTS = 4


async def shoot(source: str, out: Path, timeout: float) -> dict:
    from playwright.async_api import async_playwright

    out.mkdir(parents=True, exist_ok=True)
    report = {}
    with AppServer(source) as server:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--disable-quic"])
            try:
                for width in (1400, 420):
                    page = await browser.new_page(viewport={"width": width, "height": 1000})
                    await open_app(page, server.url, timeout * 1000)
                    await classify(page, REVIEW, "zqscreenq", timeout * 1000)
                    started = time.perf_counter()
                    await page.get_by_role("tab", name=TAB).click()
                    await page.get_by_role("button", name="Explain the latest text from Classify").click()
                    await page.wait_for_function(
                        """([tab, charts]) => {
                            const panel = Array.from(document.querySelectorAll('[data-testid="stTabPanel"]'))
                                .find(p => p.offsetParent !== null && p.innerText.includes(tab));
                            return !!panel && panel.innerText.includes('zqscreenq')
                                && panel.querySelectorAll('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg').length >= charts
                                && !document.querySelector('[data-stale="true"]')
                                && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
                        }""",
                        arg=[TAB, CHARTS], timeout=timeout * 1000,
                    )
                    report[f"tab_s_{width}"] = round(time.perf_counter() - started, 2)
                    # Streamlit scrolls inside its main area: a tall viewport shows the whole tab at once.
                    await page.set_viewport_size({"width": width, "height": 4200 if width < 1000 else 3000})
                    await page.wait_for_timeout(2500)  # let the charts finish drawing
                    path = out / f"capabilities-{width}.png"
                    await page.screenshot(path=str(path), full_page=False)
                    report[f"screenshot_{width}"] = str(path)
                    report[f"exception_{width}"] = await page.locator("[data-testid='stException']").count() > 0
                    await page.close()
            finally:
                await browser.close()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = script_parser(__doc__, timeout=240)
    parser.add_argument("--out", type=Path, default=Path("/tmp/screens"), help="folder for the PNGs (default: %(default)s)")
    args = parser.parse_args(argv)
    report = asyncio.run(shoot(args.zoo, args.out, args.timeout))
    print(json.dumps(report))
    return 1 if any(v is True for k, v in report.items() if k.startswith("exception")) else 0


if __name__ == "__main__":
    sys.exit(main())
