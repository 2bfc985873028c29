"""Many visitors at once: sessions against one ``streamlit run`` server, in public mode.

    python scripts/load_sessions.py                     # 10 browser sessions on the bundled zoo
    python scripts/load_sessions.py --zoo /tmp/zoo --sessions 3 --texts 2
    python scripts/load_sessions.py --client websocket --sessions 20 --explain   # docs/reliability.md

With ``--client websocket`` each visitor is a Streamlit session driven over its WebSocket
protocol (``scripts/visitor.py``): the server does the same work, and no browser draws the
page on the server's cores (a real visitor's browser runs on the visitor's machine). With
``--explain`` each visitor, after its first text, opens "What they can do" (word importance
and hidden states of that text: the heavy work that waits in the server's line) and then
classifies its other texts while the explanations queue; the page's word-importance
P(positive) is checked against the CLI's too, and the summary gives the server's waits for a
turn in that line (``views.work``) and the classify latencies while explanations were pending.

Starts the app on a free localhost port, opens ``--sessions`` browser contexts at the same
time (one Chromium, one context each: separate cookies, so separate Streamlit sessions),
and in each one types its own texts, classifies them and opens "Compare training". Checks
that every session got every variant's answer with the numbers ``python -m zoo classify``
gives (the app shows 3 decimals), and that no session's page ever shows another session's
text. Prints what it measured; the last line is a JSON summary. Exit status 1 if a check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import (  # noqa: E402  (this folder is on sys.path when run as a script)
    CHROMIUM, CHROMIUM_ARGS, MB, REVIEWS, AppServer, agrees, classify, expected_predictions, marker, open_app,
    open_compare_training, percentiles, script_parser, shown_results, shown_text, variant_ids,
)
from visitor import Visitor, text_state, trigger  # noqa: E402

EXPLAIN_TAB = "What they can do"
#: The notice the page shows while a visitor's explanation waits for the server's line (views.work).
WAITING = "waits its turn"


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


def server_slots() -> int:
    """The heavy-work slots the server has (``views.work.SLOTS``: it runs on this machine)."""
    from views.work import SLOTS

    return SLOTS


class Explaining:
    """How many visitors are waiting for an explanation right now (shared by the coroutines)."""

    def __init__(self) -> None:
        self.now = 0


def importance_numbers(texts: list[str]) -> dict[str, str]:
    """Each explained variant's "P(positive) = 0.xxx" caption, keyed by the variant named above it."""
    found, current = {}, None
    for text in texts:
        if text.startswith("**") and text.endswith("**"):
            current = text.strip("*")
        elif text.startswith("P(positive) = ") and current:
            found[current] = text.removeprefix("P(positive) = ").split(";")[0]
    return found


async def ws_visit(url: str, session: int, texts: list[tuple[str, str]], expected: list[dict], variants: list[str],
                   all_markers: set[str], timeout: float, explain: bool, explaining: Explaining) -> dict:
    """One visitor over the WebSocket protocol: open the page, classify each text; with ``explain``,
    open word importance after the first one, then come back and classify the others."""
    report = {"session": session, "latencies": [], "latencies_while_explaining": [], "mismatches": [], "missing": [],
              "leaks": [], "errors": [], "explain": [], "importance_checked": 0, "importance_mismatches": [],
              "saw_waiting_notice": False}
    try:
        async with Visitor(url, timeout) as visitor:
            page = await visitor.rerun()
            report["page_load"] = page.seconds
            (tabs,) = [proto for kind, proto in page.elements if kind == "tab_container"]
            for i, ((text, word), wanted) in enumerate(zip(texts, expected)):
                area, button = page.widget("text_area", "Your review"), page.widget("button", "Classify")
                pending = explaining.now
                page = await visitor.rerun(states=[text_state(area.id, text), trigger(button.id)])
                report["latencies"].append(page.seconds)
                if pending:
                    report["latencies_while_explaining"].append(page.seconds)
                answers = next((t for t in page.tables() if "variant" in t and "P(positive)" in t), None)
                shown = {} if answers is None else dict(zip(answers["variant"], answers["P(positive)"]))
                for vid in variants:
                    if vid not in shown or shown[vid] != shown[vid]:
                        report["missing"].append(vid)
                    elif abs(float(shown[vid]) - wanted[vid]) > 1e-5:  # the CLI prints 6 decimals
                        report["mismatches"].append({"variant": vid, "shown": float(shown[vid]), "expected": wanted[vid]})
                report["leaks"] += [f"page shows {other}" for other in all_markers - {word}
                                    if any(other in t for t in page.texts())]
                if explain and i == 0:
                    explaining.now += 1
                    try:
                        page = await visitor.rerun(states=[text_state(tabs.id, EXPLAIN_TAB)])
                    finally:
                        explaining.now -= 1
                    report["explain"].append(page.seconds)
                    report["saw_waiting_notice"] = any(WAITING in t for t in page.texts())
                    for vid, number in importance_numbers(page.texts()).items():
                        report["importance_checked"] += 1
                        if not agrees(number, wanted[vid]):
                            report["importance_mismatches"].append({"variant": vid, "shown": number, "expected": wanted[vid]})
                    page = await visitor.rerun(states=[text_state(tabs.id, "Classify")])
    except Exception as error:  # a timeout or a crash of one session is a finding, not the end of the run
        report["errors"].append(f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")
    return report


async def warm_up(url: str, timeout: float) -> float:
    """The teacher's visit before the class arrives: the page, one text classified and explained
    (the models loaded and compiled, the probes read). Returns its seconds."""
    started = time.perf_counter()
    async with Visitor(url, timeout) as visitor:
        page = await visitor.rerun()
        area, button = page.widget("text_area", "Your review"), page.widget("button", "Classify")
        (tabs,) = [proto for kind, proto in page.elements if kind == "tab_container"]
        await visitor.rerun(states=[text_state(area.id, REVIEWS[0]), trigger(button.id)])
        await visitor.rerun(states=[text_state(tabs.id, EXPLAIN_TAB)])
    return time.perf_counter() - started


async def run_websockets(url: str, plan: list[list[tuple[str, str]]], expected: list[list[dict]], variants: list[str],
                         timeout: float, explain: bool) -> list[dict]:
    all_markers = {word for texts in plan for _, word in texts}
    explaining = Explaining()
    return await asyncio.gather(*[
        ws_visit(url, s, texts, expected[s], variants, all_markers, timeout, explain, explaining)
        for s, texts in enumerate(plan)
    ])


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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = script_parser(__doc__, timeout=600)
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions at once (default: %(default)s)")
    parser.add_argument("--texts", type=int, default=3, help="texts each session classifies (default: %(default)s)")
    parser.add_argument("--client", choices=("browser", "websocket"), default="browser",
                        help="browser: a Chromium context per visitor; websocket: Streamlit's protocol without a browser "
                             "(default: %(default)s)")
    parser.add_argument("--explain", action="store_true",
                        help="websocket only: each visitor also opens word importance after its first text")
    parser.add_argument("--warm-up", action="store_true",
                        help="websocket only: one visitor classifies and explains a text before the others arrive "
                             "(a teacher who opened the page before the class)")
    parser.add_argument("--keep-keras-state", action="store_true",
                        help="measurement only: skip Streamlit's per-rerun keras.backend.clear_session() "
                             "(see scripts/instrumented_app.py)")
    args = parser.parse_args(argv)
    if (args.explain or args.warm_up) and args.client != "websocket":
        parser.error("--explain and --warm-up need --client websocket")
    return args


#: What a session's report lists when something went wrong.
PROBLEMS = ("mismatches", "missing", "leaks", "errors", "importance_mismatches")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    variants = variant_ids(args.zoo)
    plan = session_texts(args.sessions, args.texts)
    flat = expected_predictions(args.zoo, [text for texts in plan for text, _ in texts])
    expected = [flat[s * args.texts : (s + 1) * args.texts] for s in range(args.sessions)]
    print(f"{len(variants)} variants, {args.sessions} sessions x {args.texts} texts; expected numbers from "
          "python -m zoo classify", flush=True)

    load_before = os.getloadavg()
    with AppServer(args.zoo, keep_keras_state=args.keep_keras_state) as server:
        warm_up_s = asyncio.run(warm_up(server.url, args.timeout)) if args.warm_up else None
        idle_rss = server.rss()
        if args.client == "websocket":
            reports = asyncio.run(run_websockets(server.url, plan, expected, variants, args.timeout, args.explain))
        else:
            reports = asyncio.run(run(server.url, plan, expected, variants, args.timeout * 1000))
        server_seen = {"idle_rss": idle_rss, "end_rss": server.rss(), "peak_rss": server.peak_rss(),
                       "counters": server.counters(), "script_times": server.script_times(), "waits": server.waits(),
                       "warm_up_s": warm_up_s}
    server_seen["load_averages"] = (load_before, os.getloadavg())

    for report in reports:
        print(session_line(report))
    summary = summarize(args, reports, server_seen, variants=len(variants))
    summary["wall_s"] = round(time.perf_counter() - started, 1)
    summary["ok"] = (summary["mismatches"] == summary["missing_results"] == summary["cross_session_leaks"]
                     == summary["session_errors"] == summary["importance_mismatches"] == 0
                     and summary["classifications"] == args.sessions * args.texts
                     and (args.client == "websocket" or summary["compare_training_opened"] == args.sessions)
                     and (not args.explain or summary["explanations_opened"] == args.sessions))
    print(json.dumps(summary))
    return 0 if summary["ok"] else 1


def session_line(r: dict) -> str:
    """One session's report as a line (and a line for each problem it found)."""
    status = "ok" if not any(r.get(k) for k in PROBLEMS) else "FAILED"
    return (f"session {r['session']:2d}: {status}; page {r.get('page_load', float('nan')):.1f}s, classify "
            + ", ".join(f"{t:.2f}s" for t in r["latencies"])
            + (f", compare training {r['compare_training']:.1f}s" if "compare_training" in r else "")
            + "".join(f", explain {t:.1f}s" for t in r.get("explain", []))
            + (" (shown the waiting notice)" if r.get("saw_waiting_notice") else "")
            + "".join(f"\n    {k}: {r[k]}" for k in PROBLEMS if r.get(k)))


def summarize(args: argparse.Namespace, reports: list[dict], server_seen: dict, *, variants: int) -> dict:
    """The run's JSON summary (``wall_s`` and ``ok`` are added by ``main``)."""
    latencies = [t for r in reports for t in r["latencies"]]
    load_before, load_after = server_seen["load_averages"]
    warm_up_s = server_seen["warm_up_s"]
    return {
        "script": "load_sessions",
        "client": args.client,
        "explain": args.explain,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "cores": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "zoo": args.zoo,
        "keep_keras_state": args.keep_keras_state,
        "warm_up_s": None if warm_up_s is None else round(warm_up_s, 1),
        "heavy_work_slots": server_slots(),
        "variants": variants,
        "sessions": args.sessions,
        "texts_per_session": args.texts,
        "classifications": len(latencies),
        "results_checked": len(latencies) * variants,
        "mismatches": sum(len(r["mismatches"]) for r in reports),
        "missing_results": sum(len(r["missing"]) for r in reports),
        "cross_session_leaks": sum(len(r["leaks"]) for r in reports),
        "session_errors": sum(len(r["errors"]) for r in reports),
        "compare_training_opened": sum("compare_training" in r for r in reports),
        "explanations_opened": sum(len(r.get("explain", [])) for r in reports),
        "importance_numbers_checked": sum(r.get("importance_checked", 0) for r in reports),
        "importance_mismatches": sum(len(r.get("importance_mismatches", [])) for r in reports),
        "visitors_shown_waiting_notice": sum(bool(r.get("saw_waiting_notice")) for r in reports),
        "explain_s": percentiles([t for r in reports for t in r.get("explain", [])]),
        "heavy_work_wait_s": percentiles(server_seen["waits"]),
        "classify_latency_while_explaining_s": percentiles([t for r in reports for t in r.get("latencies_while_explaining", [])]),
        "first_page_load_s": percentiles([r["page_load"] for r in reports if "page_load" in r]),
        "classify_latency_s": percentiles(latencies),
        "compare_training_s": percentiles([r["compare_training"] for r in reports if "compare_training" in r]),
        "server_rss_mb": {"idle": round(server_seen["idle_rss"] / MB, 1), "peak": round(server_seen["peak_rss"] / MB, 1),
                          "end": round(server_seen["end_rss"] / MB, 1)},
        "server_counters": server_seen["counters"],
        # Server seconds of each script run (page loads and reruns, in the order they ended).
        "server_script_s": percentiles(server_seen["script_times"]),
    }


if __name__ == "__main__":
    sys.exit(main())
