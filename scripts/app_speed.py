"""How fast the app answers a visitor: first paint on a fresh server, then warm reruns.

    python scripts/app_speed.py                  # the bundled zoo, 30 warm reruns
    python scripts/app_speed.py --zoo /tmp/zoo --reruns 10
    python scripts/app_speed.py --repo ../main      # another checkout's app, to compare side by side

Starts ``streamlit run streamlit_app.py`` on a free localhost port (nothing loaded yet) and
opens it in headless Chromium:

- ``first_content_s``: from opening the page until the title is drawn;
- ``form_s``: until the review box and the examples are drawn and can be used;
- ``first_answer_s``: until the first verdict bars are drawn (on a fresh server, the variants
  answer as each is loaded: the first ones before the last is ready);
- ``first_results_s``: until the whole first page is finished, every variant's answer to the
  default example included (loading and compiling every model happens in between);
- ``first_run_server_s``: the server time of that first script run.

Then, once the server is idle (its models compiled in the background: ``warm_up_s``, from
opening the page until its CPU use stays low), the visitor classifies ``--reruns`` different reviews (different, so that each rerun runs
the models rather than a cached answer):

- ``rerun_server_ms``: the server time of each rerun (the whole script, every section of the
  page, Streamlit's cleanup after it), from ``scripts/instrumented_app.py``;
- ``rerun_browser_s``: from the click on Classify until the browser shows the finished page.

Prints what it measured; the last line is a JSON summary.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import harness  # noqa: E402  (this folder is on sys.path when run as a script)
from harness import (  # noqa: E402
    CHROMIUM, CHROMIUM_ARGS, REVIEWS, AppServer, classify, marker, open_app, percentiles, script_parser,
)


async def visit(server: AppServer, reruns: int, timeout_ms: float) -> dict:
    from playwright.async_api import async_playwright

    result = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": 1400, "height": 1800})).new_page()
            started = time.perf_counter()
            opened = asyncio.create_task(open_app(page, server.url, timeout_ms))
            await page.get_by_role("heading", name="The SimpleRNN Zoo").wait_for(timeout=timeout_ms)
            result["first_content_s"] = time.perf_counter() - started
            await page.get_by_label("Your review").wait_for(timeout=timeout_ms)
            await page.get_by_role("button", name="Classify").wait_for(timeout=timeout_ms)
            result["form_s"] = time.perf_counter() - started
            await page.locator("[data-testid='stMain'] [data-testid='stVegaLiteChart']").first.wait_for(timeout=timeout_ms)
            result["first_answer_s"] = time.perf_counter() - started
            result["first_results_s"] = await opened
            result["first_runs"] = len(server.script_times())
            result["warm_up_s"] = await asyncio.to_thread(wait_until_idle, server, timeout_ms / 1000) + result["first_results_s"]
            result["first_runs"] = len(server.script_times())
            result["browser"] = []
            for i in range(reruns):
                word = marker(77, i)
                result["browser"].append(await classify(page, f"{REVIEWS[i % len(REVIEWS)]} {word}", word, timeout_ms))
        finally:
            await browser.close()
    return result


def wait_until_idle(server: AppServer, timeout: float, busy_percent: float = 25, quiet_seconds: int = 2) -> float:
    """Wait until the server process uses under ``busy_percent`` of one core for ``quiet_seconds``
    seconds in a row; returns the seconds waited."""
    import psutil

    process, started, quiet = psutil.Process(server.process.pid), time.perf_counter(), 0
    while quiet < quiet_seconds and time.perf_counter() - started < timeout:
        quiet = quiet + 1 if process.cpu_percent(interval=1.0) < busy_percent else 0
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = script_parser(__doc__, timeout=120)
    parser.add_argument("--reruns", type=int, default=30, help="warm classify reruns (default: %(default)s)")
    parser.add_argument("--repo", type=Path, default=harness.REPO,
                        help="the checkout whose streamlit_app.py is measured (default: this one)")
    args = parser.parse_args(argv)
    if args.reruns < 1:
        parser.error("--reruns must be at least 1")
    harness.REPO = args.repo.resolve()  # AppServer starts the app of this checkout

    with AppServer(args.zoo) as server:
        result = asyncio.run(visit(server, args.reruns, args.timeout * 1000))
        times = server.script_times()
    first, reruns = times[: result["first_runs"]], times[result["first_runs"] :]
    summary = {
        "script": "app_speed",
        "zoo": args.zoo,
        "repo": str(harness.REPO),
        "first_content_s": round(result["first_content_s"], 2),
        "form_s": round(result["form_s"], 2),
        "first_answer_s": round(result["first_answer_s"], 2),
        "first_results_s": round(result["first_results_s"], 2),
        "first_run_server_s": round(sum(first), 2),
        "warm_up_s": round(result["warm_up_s"], 1),
        "rerun_server_ms": {key: value if key == "n" else round(1000 * value, 1)
                            for key, value in percentiles(reruns).items()},
        "rerun_browser_s": percentiles(result["browser"]),
    }
    print(f"first paint: title after {summary['first_content_s']:.2f} s, form usable after {summary['form_s']:.2f} s, "
          f"first answer after {summary['first_answer_s']:.2f} s, every answer after "
          f"{summary['first_results_s']:.2f} s (server {summary['first_run_server_s']:.2f} s)")
    print(f"server idle (models compiled) after {summary['warm_up_s']:.1f} s")
    print(f"{len(reruns)} warm reruns: server p50 {summary['rerun_server_ms']['p50']} ms, "
          f"p95 {summary['rerun_server_ms']['p95']} ms; click to finished page p50 {summary['rerun_browser_s']['p50']} s")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
