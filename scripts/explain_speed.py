"""How fast the "What they can do" tab's computations are, on the server, without the browser.

    python scripts/explain_speed.py                       # the bundled zoo
    python scripts/explain_speed.py --zoo /tmp/zoo --repeats 20

Measures, in one process, side by side:

- ``explain_ms``: word importance (occlusion: one batch per variant) and hidden states (one
  forward pass) of a 200-word text through three variants (default: the three at ``maxlen`` 500,
  the slowest), warm: after a first call that loads and compiles. p50 / p95 over ``--repeats``
  different texts. The target is under 300 ms;
- ``classify_ms``: the same texts through every variant with ``Zoo.classify``, what the Classify
  tab runs, for scale;
- ``probes_s``: the whole probe suite through every variant (``python -m zoo probe``), cold (it
  compiles each model's batch shapes) and then warm.

The texts are built from the probe suite's own sentences and fillers (no review text). Prints
what it measured; the last line is a JSON summary with the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_VARIANTS = ["simplernn-1x32-len500", "lstm-1x32-len500", "gru-1x32-len500"]
WORDS = 200


def texts(count: int, words: int = WORDS) -> list[str]:
    """``count`` different texts of ``words`` words: the suite's sentences among its filler."""
    from zoo.probes import NEGATIVE_SENTENCES, POSITIVE_SENTENCES, filler_words

    sentences = [*POSITIVE_SENTENCES, *NEGATIVE_SENTENCES]
    out = []
    for i in range(count):
        parts = [sentences[(i + j) % len(sentences)] + " " + " ".join(filler_words(12, start=(i + j) % 3)) for j in range(12)]
        out.append(" ".join(" ".join(parts).split()[:words]))
    return out


def p50_p95(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"p50": round(statistics.median(ordered), 1), "p95": round(ordered[round(0.95 * (len(ordered) - 1))], 1)}


def time_texts(z, variants: list[str], samples: list[str]) -> tuple[float, list[float], list[float]]:
    """Seconds to load, compile, explain and classify the first text; then, for each other
    text, milliseconds to explain it through ``variants`` and to classify it through every variant."""
    from zoo.explain import hidden_states, word_importance

    def explain(text: str) -> None:
        for variant_id in variants:
            word_importance(z, variant_id, text)
            hidden_states(z, variant_id, text)

    started = time.perf_counter()
    z.warm_up()
    explain(samples[0])
    z.classify([samples[0]])
    first_s = time.perf_counter() - started
    explain_ms, classify_ms = [], []
    for text in samples[1:]:
        started = time.perf_counter()
        explain(text)
        explain_ms.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        z.classify([text])
        classify_ms.append(1000 * (time.perf_counter() - started))
    return first_s, explain_ms, classify_ms


def main(argv: list[str] | None = None) -> int:
    from zoo.store import default_source

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zoo", default=default_source(), help="zoo folder or hf://OWNER/NAME (default: %(default)s)")
    parser.add_argument("--variant", action="append", metavar="ID", help=f"variants to explain (default: {', '.join(DEFAULT_VARIANTS)})")
    parser.add_argument("--repeats", type=int, default=20, help="texts timed, each different (default: %(default)s)")
    args = parser.parse_args(argv)

    import zoo
    from zoo.benchmark import machine_record
    from zoo.probes import run_probes

    z = zoo.open_zoo(args.zoo)
    variants = args.variant or [v for v in DEFAULT_VARIANTS if v in z.ids] or z.ids[:3]
    first_s, explain_ms, classify_ms = time_texts(z, variants, texts(args.repeats + 1))

    started = time.perf_counter()
    cold = run_probes(z)
    probes_cold_s = time.perf_counter() - started
    started = time.perf_counter()
    run_probes(z)
    probes_warm_s = time.perf_counter() - started

    report = {
        "zoo": z.source, "variants": variants, "words": WORDS, "repeats": args.repeats,
        "explain_ms": p50_p95(explain_ms), "classify_ms": p50_p95(classify_ms),
        "explain_over_classify": round(statistics.median(explain_ms) / statistics.median(classify_ms), 1),
        "first_explain_s": round(first_s, 1),
        "probes_s": {"cold": round(probes_cold_s, 1), "warm": round(probes_warm_s, 1),
                     "variants": len(cold["variants"]), "texts": cold["texts"]},
        **machine_record(),
    }
    print(f"word importance + hidden states, {WORDS} words, {len(variants)} variants ({', '.join(variants)}), warm: "
          f"p50 {report['explain_ms']['p50']} ms, p95 {report['explain_ms']['p95']} ms (target < 300 ms)")
    print(f"the same texts through all {len(z.ids)} variants with Zoo.classify: p50 {report['classify_ms']['p50']} ms "
          f"(explaining is {report['explain_over_classify']}x that)")
    print(f"the probe suite ({cold['texts']} texts) through {len(cold['variants'])} variants: "
          f"{probes_cold_s:.1f} s cold (loads and compiles), {probes_warm_s:.1f} s warm")
    print(f"load average {report['machine']['load_average']}")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
