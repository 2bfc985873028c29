"""Many visitors at once: headless Chromium sessions against one ``streamlit run`` server.

    python scripts/load_sessions.py                     # 10 sessions on the bundled zoo
    python scripts/load_sessions.py --zoo /tmp/zoo --sessions 3 --texts 2

Starts the app on a free localhost port, opens ``--sessions`` browser contexts at the same
time (one Chromium, one context each: separate cookies, so separate Streamlit sessions),
and in each one types its own texts, classifies them and opens "Compare training". Checks
that every session got every variant's answer with the numbers ``python -m zoo classify``
gives (the app shows 3 decimals), and that no session's page ever shows another session's
text. Prints what it measured; the last line is a JSON summary. Exit status 1 if a check failed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import (  # noqa: E402  (this folder is on sys.path when run as a script)
    CHROMIUM, CHROMIUM_ARGS, MB, REVIEWS, AppServer, agrees, classify, expected_predictions, marker, open_app,
    open_compare_training, percentiles, script_parser, shown_results, shown_text, variant_ids,
)


def session_texts(sessions: int, texts: int) -> list[list[tuple[str, str]]]:
    """Per session, its (text, marker word) pairs: a review plus a word only that text holds."""
    return [[(f"{REVIEWS[(s + t) % len(REVIEWS)]} {marker(s, t)}", marker(s, t)) for t in range(texts)]
            for s in range(sessions)]


async def visit(browser, url: str, session: int, texts: list[tuple[str, str]], expected: list[dict], variants: list[str],
                all_markers: set[str], timeout_ms: float) -> dict:
    """One visitor: open the app, classify each text, open Compare training; report what went wrong."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1800})
    page = await context.new_page()
    report = {"session": session, "latencies": [], "mismatches": [], "missing": [], "leaks": [], "errors": []}
    try:
        report["page_load"] = await open_app(page, url, timeout_ms)
        for (text, word), wanted in zip(texts, expected):
            report["latencies"].append(await classify(page, text, word, timeout_ms))
            shown = await shown_results(page, variants)
            for vid in variants:
                if vid not in shown:
                    report["missing"].append(vid)
                elif not agrees(shown[vid], wanted[vid]):
                    report["mismatches"].append({"variant": vid, "shown": shown[vid], "expected": wanted[vid]})
            visible = await shown_text(page)
            if visible["review"] != text:
                report["leaks"].append(f"review box holds {visible['review']!r}, not this session's text")
            report["leaks"] += [f"page shows {other}" for other in all_markers - {word} if other in visible["page"]]
        report["compare_training"] = await open_compare_training(page, timeout_ms)
        visible = await shown_text(page)
        report["leaks"] += [f"page shows {other}" for other in all_markers - {texts[-1][1]} if other in visible["page"]]
    except Exception as error:  # a timeout or a crash of one session is a finding, not the end of the run
        report["errors"].append(f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    finally:
        await context.close()
    return report


async def run(url: str, plan: list[list[tuple[str, str]]], expected: list[list[dict]], variants: list[str],
              timeout_ms: float) -> list[dict]:
    from playwright.async_api import async_playwright

    all_markers = {word for texts in plan for _, word in texts}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return await asyncio.gather(*[
                visit(browser, url, s, texts, expected[s], variants, all_markers, timeout_ms)
                for s, texts in enumerate(plan)
            ])
        finally:
            await browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = script_parser(__doc__, timeout=600)
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions at once (default: %(default)s)")
    parser.add_argument("--texts", type=int, default=3, help="texts each session classifies (default: %(default)s)")
    parser.add_argument("--keep-keras-state", action="store_true",
                        help="measurement only: skip Streamlit's per-rerun keras.backend.clear_session() "
                             "(see scripts/instrumented_app.py)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    variants = variant_ids(args.zoo)
    plan = session_texts(args.sessions, args.texts)
    flat = expected_predictions(args.zoo, [text for texts in plan for text, _ in texts])
    expected = [flat[s * args.texts : (s + 1) * args.texts] for s in range(args.sessions)]
    print(f"{len(variants)} variants, {args.sessions} sessions x {args.texts} texts; expected numbers from "
          "python -m zoo classify", flush=True)

    with AppServer(args.zoo, keep_keras_state=args.keep_keras_state) as server:
        idle_rss = server.rss()
        reports = asyncio.run(run(server.url, plan, expected, variants, args.timeout * 1000))
        end_rss, peak_rss, counters = server.rss(), server.peak_rss(), server.counters()
        script_times = server.script_times()

    latencies = [t for r in reports for t in r["latencies"]]
    for r in reports:
        status = "ok" if not (r["mismatches"] or r["missing"] or r["leaks"] or r["errors"]) else "FAILED"
        print(f"session {r['session']:2d}: {status}; page {r.get('page_load', float('nan')):.1f}s, classify "
              + ", ".join(f"{t:.2f}s" for t in r["latencies"])
              + (f", compare training {r['compare_training']:.1f}s" if "compare_training" in r else "")
              + "".join(f"\n    {k}: {r[k]}" for k in ("mismatches", "missing", "leaks", "errors") if r[k]))
    summary = {
        "script": "load_sessions",
        "zoo": args.zoo,
        "keep_keras_state": args.keep_keras_state,
        "variants": len(variants),
        "sessions": args.sessions,
        "texts_per_session": args.texts,
        "classifications": len(latencies),
        "results_checked": len(latencies) * len(variants),
        "mismatches": sum(len(r["mismatches"]) for r in reports),
        "missing_results": sum(len(r["missing"]) for r in reports),
        "cross_session_leaks": sum(len(r["leaks"]) for r in reports),
        "session_errors": sum(len(r["errors"]) for r in reports),
        "compare_training_opened": sum("compare_training" in r for r in reports),
        "first_page_load_s": percentiles([r["page_load"] for r in reports if "page_load" in r]),
        "classify_latency_s": percentiles(latencies),
        "compare_training_s": percentiles([r["compare_training"] for r in reports if "compare_training" in r]),
        "server_rss_mb": {"idle": round(idle_rss / MB, 1), "peak": round(peak_rss / MB, 1), "end": round(end_rss / MB, 1)},
        "server_counters": counters,
        # Server seconds of each script run (page loads and reruns, in the order they ended).
        "server_script_s": percentiles(script_times),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    summary["ok"] = (summary["mismatches"] == summary["missing_results"] == summary["cross_session_leaks"]
                     == summary["session_errors"] == 0 and summary["compare_training_opened"] == args.sessions
                     and summary["classifications"] == args.sessions * args.texts)
    print(json.dumps(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
