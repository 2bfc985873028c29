"""Long uptime: hundreds of classify reruns in one ``streamlit run`` server.

    python scripts/soak.py                               # 500 reruns on the bundled zoo
    python scripts/soak.py --zoo /tmp/zoo --reruns 30 --warmup 5

One headless Chromium session classifies ``--reruns`` different texts in a row (different,
so that every rerun runs the models rather than a cached answer). The script measures the
server's resident memory after each rerun, the seconds from the click on Classify to a
finished page, and, through ``scripts/instrumented_app.py``, how many models the server
loaded and how many graphs it built or traced. After the warm-up, memory must grow by less
than ``--max-growth-mb``, no model may be loaded, built or re-traced, and latency must stay
flat from the first hundred reruns to the last. Prints what it measured; the last line is
a JSON summary. Exit status 1 if a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import (  # noqa: E402  (this folder is on sys.path when run as a script)
    CHROMIUM, CHROMIUM_ARGS, MB, REVIEWS, AppServer, agrees, classify, expected_predictions, marker, open_app,
    percentiles, script_parser, shown_results, variant_ids,
)

#: Latency "stays flat" when the last hundred's median is at most this many times the first's.
FLAT = 1.5


def soak_text(i: int) -> tuple[str, str]:
    word = marker(90, i // 100, i % 100)
    return f"{REVIEWS[i % len(REVIEWS)]} {word}", word


async def soak(server: AppServer, reruns: int, warmup: int, variants: list[str], checks: dict[int, dict],
               deadline: float, timeout_ms: float) -> dict:
    from playwright.async_api import async_playwright

    result = {"latencies": [], "rss": [], "mismatches": [], "after_warmup": None, "stopped_early": None}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": 1400, "height": 1800})).new_page()
            result["page_load"] = await open_app(page, server.url, timeout_ms)
            for i in range(reruns):
                if time.monotonic() > deadline:
                    result["stopped_early"] = f"time limit reached after {i} reruns"
                    break
                text, word = soak_text(i)
                result["latencies"].append(await classify(page, text, word, timeout_ms))
                result["rss"].append(server.rss())
                if i in checks:
                    shown = await shown_results(page, variants)
                    result["mismatches"] += [
                        {"rerun": i, "variant": vid, "shown": shown.get(vid), "expected": p}
                        for vid, p in checks[i].items() if not agrees(shown.get(vid, ""), p)
                    ]
                if i + 1 == warmup:
                    result["after_warmup"] = {"rss": server.rss(), "counters": server.counters()}
                if (i + 1) % 50 == 0:
                    print(f"  {i + 1} reruns, last {result['latencies'][-1]:.2f}s, server RSS {result['rss'][-1] / MB:.0f} MB",
                          flush=True)
        finally:
            await browser.close()
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = script_parser(__doc__, timeout=300)
    parser.add_argument("--reruns", type=int, default=500, help="classify reruns (default: %(default)s)")
    parser.add_argument("--warmup", type=int, default=20,
                        help="reruns before memory and counters are baselined (default: %(default)s)")
    parser.add_argument("--window", type=int, default=100,
                        help="reruns compared at the start and the end (default: %(default)s)")
    parser.add_argument("--max-growth-mb", type=float, default=50,
                        help="allowed memory growth after warm-up (default: %(default)s)")
    parser.add_argument("--max-latency-ratio", type=float, default=FLAT,
                        help="allowed ratio of the last to the first window's median latency (default: %(default)s)")
    parser.add_argument("--max-minutes", type=float, default=60,
                        help="stop after this long whatever the count (default: %(default)s)")
    parser.add_argument("--keep-keras-state", action="store_true",
                        help="measurement only: skip Streamlit's per-rerun keras.backend.clear_session() "
                             "(see scripts/instrumented_app.py)")
    args = parser.parse_args(argv)
    if not 0 < args.warmup < args.reruns:
        parser.error("--warmup must be between 0 and --reruns")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    variants = variant_ids(args.zoo)
    # Check the numbers on the page against the CLI's for a sample of reruns, early and late.
    checked = sorted({0, args.warmup, args.reruns // 2, args.reruns - 1})
    expected = expected_predictions(args.zoo, [soak_text(i)[0] for i in checked])
    print(f"{len(variants)} variants, {args.reruns} reruns ({args.warmup} warm-up) in one server", flush=True)

    with AppServer(args.zoo, keep_keras_state=args.keep_keras_state) as server:
        idle_rss = server.rss()
        result = asyncio.run(soak(server, args.reruns, args.warmup, variants, dict(zip(checked, expected)),
                                  time.monotonic() + 60 * args.max_minutes, args.timeout * 1000))
        server_seen = {"idle_rss": idle_rss, "peak_rss": server.peak_rss(), "counters": server.counters(),
                       "script_times": server.script_times()}

    measured = measure(args, result, server_seen)
    summary = summarize(args, result, server_seen, measured, variants=len(variants), checked=checked)
    summary["wall_s"] = round(time.perf_counter() - started, 1)
    summary["failures"] = failures(args, result, measured)
    summary["ok"] = not summary["failures"]
    for failure in summary["failures"]:
        print(f"FAILED: {failure}")
    print(json.dumps(summary))
    return 0 if summary["ok"] else 1


def measure(args: argparse.Namespace, result: dict, server_seen: dict) -> dict:
    """After the warm-up against the start: the state at the warm-up, the latency windows
    compared, the memory growth (MB) and the counters' growth."""
    latencies, rss, end_counters = result["latencies"], result["rss"], server_seen["counters"]
    warm = result["after_warmup"] or {"rss": rss[-1] if rss else server_seen["idle_rss"], "counters": end_counters}
    window = min(args.window, max(1, (len(latencies) - args.warmup) // 2))
    return {
        "warm": warm,
        "window": window,
        "first": percentiles(latencies[args.warmup : args.warmup + window]),
        "last": percentiles(latencies[-window:]),
        "growth": (rss[-1] - warm["rss"]) / MB if rss else None,
        "max_growth": (max(rss[args.warmup:]) - warm["rss"]) / MB if len(rss) > args.warmup else None,
        "since_warmup": {key: end_counters.get(key, 0) - warm["counters"].get(key, 0) for key in end_counters},
    }


def summarize(args: argparse.Namespace, result: dict, server_seen: dict, measured: dict, *, variants: int,
              checked: list[int]) -> dict:
    """The soak's JSON summary (``wall_s``, ``failures`` and ``ok`` are added by ``main``)."""
    latencies, rss, warm, window = result["latencies"], result["rss"], measured["warm"], measured["window"]
    growth, max_growth, script_times = measured["growth"], measured["max_growth"], server_seen["script_times"]
    return {
        "script": "soak",
        "zoo": args.zoo,
        "keep_keras_state": args.keep_keras_state,
        "variants": variants,
        "reruns": len(latencies),
        "warmup_reruns": args.warmup,
        "first_page_load_s": round(result.get("page_load", 0), 2),
        "latency_all_s": percentiles(latencies),
        f"latency_first_{window}_after_warmup_s": measured["first"],
        f"latency_last_{window}_s": measured["last"],
        "server_rss_mb": {
            "idle": round(server_seen["idle_rss"] / MB, 1), "after_warmup": round(warm["rss"] / MB, 1),
            "end": round(rss[-1] / MB, 1) if rss else None, "peak": round(server_seen["peak_rss"] / MB, 1),
        },
        "rss_growth_after_warmup_mb": round(growth, 1) if growth is not None else None,
        "rss_max_growth_after_warmup_mb": round(max_growth, 1) if max_growth is not None else None,
        # Server seconds of each rerun after the warm-up (the script run, Streamlit's cleanup included).
        "server_rerun_s": percentiles(script_times[-len(latencies) + args.warmup :] if len(latencies) > args.warmup else []),
        "counters_at_warmup": warm["counters"],
        "counters_since_warmup": measured["since_warmup"],
        "checked_reruns": checked,
        "mismatches": len(result["mismatches"]),
        "stopped_early": result["stopped_early"],
    }


def failures(args: argparse.Namespace, result: dict, measured: dict) -> list[str]:
    """What the soak found beyond its limits (``--reruns``, ``--max-growth-mb``, ``--max-latency-ratio``)."""
    found = []
    first, last, max_growth = measured["first"], measured["last"], measured["max_growth"]
    if len(result["latencies"]) < args.reruns:
        found.append(f"only {len(result['latencies'])} of {args.reruns} reruns ran")
    if measured["growth"] is None or max_growth > args.max_growth_mb:
        found.append(f"memory grew {max_growth} MB after warm-up (limit {args.max_growth_mb})")
    if any(measured["since_warmup"].values()):
        found.append(f"models loaded, built or traced after warm-up: {measured['since_warmup']}")
    if first["p50"] and last["p50"] and last["p50"] > args.max_latency_ratio * first["p50"]:
        found.append(f"latency rose: median {first['p50']}s -> {last['p50']}s")
    if result["mismatches"]:
        found.append(f"numbers differ from the CLI's: {result['mismatches'][:3]}")
    return found


if __name__ == "__main__":
    sys.exit(main())
