"""``python -m zoo``: list, classify with, and evaluate the variants of a zoo."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .artifact import ArtifactError
from .errors import ZooError, missing_variants
from .hub import HUB_SCHEME
from .inference import label
from .notices import mostly_binary, refusal, short_text_notice, short_text_score
from .quiet import quiet_tensorflow_logs
from .store import Zoo, default_source, open_zoo
from .text import MAX_TEXT_CHARS, tokenize

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2
#: The commands that load models: TensorFlow is imported quietly before them (``zoo.quiet``).
LOADS_MODELS = frozenset({"classify", "evaluate", "benchmark", "verify", "probe"})

LIST_COLUMNS = (
    ("id", "variant", "{}"),
    ("params", "params", "{:,}"),
    ("epochs", "epochs", "{}"),
    ("best_epoch", "best", "{}"),
    ("val_accuracy", "val acc", "{:.4f}"),
    ("test_accuracy", "test acc", "{:.4f}"),
    ("seconds_per_epoch", "s/epoch", "{:.1f}"),
)


def cmd_list(zoo: Zoo, args: argparse.Namespace) -> int:
    rows = []
    for entry in zoo.entries():
        if entry.error is not None:
            rows.append({"id": entry.id, "error": entry.error})
        else:
            rows.append(entry.artifact.summary() | {"source": zoo.source, **{f"origin_{k}": v for k, v in zoo.origin.items()}})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(f"zoo: {zoo.source} ({zoo.origin.get('kind', '?')}"
              + (f", commit {zoo.origin['commit']}" if zoo.origin.get("commit") else "") + ")")
        if not rows:
            print("no variants yet: train some with `python -m training.train`")
        table = [[title for _, title, _ in LIST_COLUMNS]]
        for row in rows:
            if "error" in row:
                table.append([row["id"], f"BROKEN: {row['error']}"])
            else:
                table.append([fmt.format(row[key]) for key, _, fmt in LIST_COLUMNS])
        _print_table(table)
    return EXIT_PARTIAL if any("error" in row for row in rows) else EXIT_OK


def _print_table(table: list[list[str]]) -> None:
    full = [row for row in table if len(row) == len(table[0])]
    widths = [max(len(row[i]) for row in full) for i in range(len(table[0]))]
    for row in table:
        if len(row) == len(widths):
            print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
        else:
            print("  ".join(row))


class NotTextError(ValueError):
    """An input file is not text (an executable, an image): the message says why."""


def read_lines(path: str) -> list[str]:
    """One text per line, split on "\\n" only; undecodable bytes become U+FFFD.

    Raises:
        OSError: the file cannot be read.
        NotTextError: the input as a whole is not text (mostly NUL, undecodable bytes and control
            characters: an executable, an image). A line of text with a NUL is refused on its own.
    """
    data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    text = data.decode("utf-8", errors="replace")
    if mostly_binary(text):
        raise NotTextError("not text: it is mostly NUL, undecodable bytes or control characters (a binary file?)")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def classify_lines(zoo: Zoo, texts: Sequence[str], variant_ids: Sequence[str] | None) -> tuple[list[dict], dict[str, str]]:
    """One answer per text (``{"predictions": ...}`` or ``{"error": ...}``) and the broken variants."""
    answers: list[dict] = [{} for _ in texts]
    accepted = []
    for i, text in enumerate(texts):
        why = refusal(text)
        if why:
            answers[i] = {"error": why}
        else:
            accepted.append(i)
    results = zoo.classify([texts[i] for i in accepted], variant_ids)
    broken = {vid: str(r) for vid, r in results.items() if isinstance(r, ArtifactError)}
    vocabulary = next((zoo.vocabulary(vid) for vid, r in results.items() if vid not in broken), None)
    for row, i in enumerate(accepted):
        words = tokenize(texts[i])
        answer = {"predictions": {vid: round(float(r[row]), 6) for vid, r in results.items() if vid not in broken}}
        answer["words"] = len(words)
        if vocabulary is not None:
            answer["known_words"] = sum(w in vocabulary for w in words)
        notice = short_text_notice(len(words), [zoo.artifact(vid) for vid in answer["predictions"]])
        if notice:
            answer["short_text_notice"] = notice.text()
        if len(texts[i]) > MAX_TEXT_CHARS:
            answer["truncated_to_chars"] = MAX_TEXT_CHARS
        if broken:
            answer["errors"] = broken
        answers[i] = answer
    return answers, broken


def cmd_classify(zoo: Zoo, args: argparse.Namespace) -> int:
    try:
        texts = read_lines(args.input) if args.input else list(args.text)
    except OSError as error:
        print(f"error: cannot read --input {args.input}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    except NotTextError as error:
        print(f"error: --input {args.input}: {error}; nothing was classified", file=sys.stderr)
        return EXIT_USAGE
    if not texts:
        print("error: give texts to classify, or --input FILE", file=sys.stderr)
        return EXIT_USAGE
    unknown = missing_variants(zoo.source, zoo.ids, args.variant or [])
    if unknown:
        print(f"error: {unknown}", file=sys.stderr)
        return EXIT_USAGE
    answers, broken = classify_lines(zoo, texts, args.variant)
    if args.json:
        for answer in answers:
            print(json.dumps(answer, ensure_ascii=False))
    else:
        for text, answer in zip(texts, answers):
            shown = text if len(text) <= 70 else text[:67] + "..."
            print(f"\n{shown!r}")
            if "error" in answer:
                print(f"  refused: {answer['error']}")
                continue
            if "short_text_notice" in answer:
                print(textwrap.fill(answer["short_text_notice"], width=100, initial_indent="  note: ",
                                    subsequent_indent="        "))
            for vid, p in answer["predictions"].items():
                score = short_text_score(zoo.artifact(vid)) if "short_text_notice" in answer else None
                print(f"  {vid:<28} {p:.3f}  {label(p):<8}" + (f"  right on short texts: {score}" if score else ""))
    for vid, why in broken.items():
        print(f"warning: variant {vid} is broken and was skipped: {why}", file=sys.stderr)
    if all("error" in answer for answer in answers):
        return EXIT_USAGE  # nothing was classified: every text was refused
    return EXIT_PARTIAL if broken else EXIT_OK


def _test_split(args: argparse.Namespace):
    """The IMDB test reviews from ``--data`` (``Reviews``), or None after saying why they cannot be read."""
    from .imdb import DataError, load_imdb

    try:
        return load_imdb(args.data).test
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def cmd_evaluate(zoo: Zoo, args: argparse.Namespace) -> int:
    from .evaluation import evaluate, evaluate_short_texts

    test = _test_split(args)
    if test is None:
        return EXIT_USAGE
    rows, failed = [], False
    for vid in args.variant or zoo.ids:
        started = time.perf_counter()
        try:
            artifact = zoo.artifact(vid)
            model, vocabulary, maxlen = zoo.model(vid), zoo.vocabulary(vid), artifact.spec.maxlen
            measured = evaluate(model, vocabulary, maxlen, test)
            short = evaluate_short_texts(model, vocabulary, maxlen, test)
        except (ArtifactError, KeyError) as error:
            rows.append({"id": vid, "error": str(error)})
            failed = True
            print(f"{vid}: BROKEN: {error}", file=sys.stderr)
            continue
        recorded = artifact.metadata["test_accuracy"]
        rows.append({
            "id": vid,
            "test_accuracy": measured["accuracy"],
            "test_loss": measured["loss"],
            "recorded_test_accuracy": recorded,
            "difference_pp": round(100 * (measured["accuracy"] - recorded), 3),
            "short_text_accuracy": short,
            "reviews": len(test),
        })
        print(f"{vid}: test accuracy {measured['accuracy']:.4f} (recorded {recorded:.4f}) "
              f"in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
    return EXIT_PARTIAL if failed else EXIT_OK


def cmd_benchmark(zoo: Zoo, args: argparse.Namespace) -> int:
    import numpy as np

    from .benchmark import machine_record, print_summary, run_benchmark

    test = _test_split(args)
    if test is None:
        return EXIT_USAGE
    if args.limit and args.limit < len(test):
        test = test.subset(np.sort(np.random.default_rng(0).permutation(len(test))[: args.limit]))
    try:
        report = {"zoo": zoo.source, **run_benchmark(zoo, test, repeats=args.repeats), **machine_record()}
    except ArtifactError as error:
        print(f"error: a variant is broken, so the zoo cannot be timed: {error}", file=sys.stderr)
        return EXIT_PARTIAL
    print_summary(report, file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(report))
    return EXIT_OK


REPORT_START, REPORT_END = "<!-- results:start -->", "<!-- results:end -->"
LESSONS_START, LESSONS_END = "<!-- lessons:start -->", "<!-- lessons:end -->"


def cmd_report(zoo: Zoo, args: argparse.Namespace) -> int:
    from .lessons import lessons_markdown
    from .report import results_block, results_table

    if not args.update:
        print(results_table(zoo), end="")
        return EXIT_OK
    if not _replace_between(args.update, REPORT_START, REPORT_END, results_block(zoo)):
        return EXIT_USAGE
    print(f"updated the results table in {args.update}", file=sys.stderr)
    if LESSONS_START in open(args.update, encoding="utf-8").read():
        if not _replace_between(args.update, LESSONS_START, LESSONS_END, lessons_markdown(zoo)):
            return EXIT_USAGE
        print(f"updated the lessons in {args.update}", file=sys.stderr)
    return EXIT_OK


def _replace_between(path: str, start: str, end: str, content: str) -> bool:
    """Write ``content`` between the markers ``start`` and ``end`` of the file at ``path``;
    says why on stderr and returns False when the file or a marker is missing."""
    try:
        text = open(path, encoding="utf-8").read()
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
    except (OSError, ValueError):
        print(f"error: {path} must exist and hold the markers {start} and {end}", file=sys.stderr)
        return False
    with open(path, "w", encoding="utf-8") as file:
        file.write(f"{head}{start}\n{content}{end}{tail}")
    return True


def cmd_verify(zoo: Zoo, args: argparse.Namespace) -> int:
    from .verify import verify_zoo

    report = verify_zoo(zoo, load_models=args.load)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for problem in report.problems:
            print(problem.line())
        broken = sum(verdict == "broken" for verdict in report.variants.values())
        warnings = sum(problem.severity == "warning" for problem in report.problems)
        verdict = "OK" if report.ok else "NOT OK"
        print(f"{verdict}: {zoo.source}: {len(report.variants) - broken} of {len(report.variants)} variants pass"
              + (f", {warnings} warning(s)" if warnings else ""))
    return EXIT_OK if report.ok else EXIT_PARTIAL


PROBES_START, PROBES_END = "<!-- probes:start -->", "<!-- probes:end -->"
#: Short column titles of the probe tests in the terminal table, in ``probes.TESTS`` order.
PROBE_COLUMNS = ("plain", "not", "not good↓", "not bad↑", "but", "weak", "strong", "strong→P", "names", "typos", "sentence", "paragraph")


def _progress(what: str, done: int, total: int, detail: str) -> None:
    """A progress bar on stderr, redrawn in place on a terminal; one line per step in a log."""
    filled = 24 * done // max(total, 1)
    line = f"{what} [{'#' * filled}{'.' * (24 - filled)}] {done}/{total} {detail}"
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\r{line:<90}", end=end, file=sys.stderr, flush=True)
    elif done:
        print(line, file=sys.stderr, flush=True)


def cmd_probe(zoo: Zoo, args: argparse.Namespace) -> int:
    from .probes import SPAN_K, TESTS, probes_markdown, run_probes, span_text, write_probes

    if args.write and args.variant:
        print("error: --write stores the probes of every variant; drop --variant", file=sys.stderr)
        return EXIT_USAGE
    if args.write and zoo.origin.get("kind") == "hub":
        print("error: --write needs a zoo folder on this machine, not a Hub zoo (its files are the Hub's cache)",
              file=sys.stderr)
        return EXIT_USAGE
    unknown = missing_variants(zoo.source, zoo.ids, args.variant or [])
    if unknown:
        print(f"error: {unknown}", file=sys.stderr)
        return EXIT_USAGE
    ids = args.variant or zoo.ids
    done = []

    def advance(variant_id: str) -> None:
        done.append(variant_id)
        _progress("probing", len(done), len(ids), variant_id)

    _progress("probing", 0, len(ids), "loading the first variant")
    results = run_probes(zoo, ids, progress=advance)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        table = [["variant", *(f"k={k}" for k in SPAN_K), "span", "bias"]]
        for vid, result in results["variants"].items():
            memory = result["memory"]["sentence_first"]
            table.append([vid, *("cut" if cut else f"{s:.2f}" for s, cut in zip(memory["separation"], memory["cut_away"])),
                          span_text(memory), f"{result['filler_bias'][SPAN_K.index(100)]:.2f}"])
        print("memory span: separation = mean P(positive | positive sentence) - mean P(positive | negative one), "
              "the sentence followed by k filler words; bias = P(positive) of 100 filler words alone")
        _print_table(table)
        table = [["variant", *PROBE_COLUMNS]]
        for vid, result in results["variants"].items():
            table.append([vid, *(f"{result['tests'][test.id]['accuracy']:.2f}" for test in TESTS)])
        if results["variants"]:
            counts = next(iter(results["variants"].values()))["tests"]
            print("\naccuracy per probe (n: " + ", ".join(f"{c} {counts[t.id]['n']}" for c, t in zip(PROBE_COLUMNS, TESTS)) + ")")
            _print_table(table)
    for vid, why in results["errors"].items():
        print(f"warning: variant {vid} is broken and was skipped: {why}", file=sys.stderr)
    if args.write:
        path = write_probes(zoo.path, results)
        print(f"wrote {path}", file=sys.stderr)
    if args.update:
        if not _replace_between(args.update, PROBES_START, PROBES_END, probes_markdown(results)):
            return EXIT_USAGE
        print(f"updated the probe tables in {args.update}", file=sys.stderr)
    return EXIT_PARTIAL if results["errors"] else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    # `zoo` when run as the installed console script, else `python -m zoo`.
    prog = "zoo" if Path(sys.argv[0]).stem == "zoo" else "python -m zoo"
    parser = argparse.ArgumentParser(
        prog=prog,
        description="The SimpleRNN Zoo: recurrent sentiment classifiers for movie reviews. "
        "List the variants of a zoo, classify text with them, re-measure them on the IMDB test split, time them, "
        "or probe what they can do.",
        epilog="SOURCE is a zoo folder or hf://OWNER/NAME[@REVISION] on the Hugging Face Hub "
        f"(default: $ZOO_SOURCE, else the bundled zoo). Exit status: 0 all good, "
        f"{EXIT_PARTIAL} some variant is broken (the others still answered), {EXIT_USAGE} bad arguments, unreadable "
        "source, or nothing to classify (every text refused: empty, no words, or not text).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--zoo", metavar="SOURCE", help="zoo folder or hf://OWNER/NAME[@REVISION] (default: %(default)s)",
                             default=default_source())
        return command

    _add_serving_commands(add)
    _add_checking_commands(add)
    return parser


def _add_serving_commands(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """``list``, ``classify``, ``evaluate`` and ``benchmark``: what the variants answer, and how fast."""
    listing = add("list", "List the variants of a zoo with their metrics.")
    listing.add_argument("--json", action="store_true", help="a JSON array, one object per variant")

    classify = add("classify", "Classify texts with every variant (or the chosen ones).")
    classify.add_argument("text", nargs="*", help="texts to classify")
    classify.add_argument("--input", metavar="FILE", help="read one text per line from FILE ('-' for standard input)")
    classify.add_argument("--variant", action="append", metavar="ID", help="only this variant (repeatable)")
    classify.add_argument("--json", action="store_true", help="one JSON object per input line, in order")

    evaluate = add("evaluate", "Re-measure every variant on the IMDB test split (25,000 reviews).")
    evaluate.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA, else download)")
    evaluate.add_argument("--variant", action="append", metavar="ID", help="only this variant (repeatable)")
    evaluate.add_argument("--json", action="store_true", help="a JSON array, one object per variant")

    benchmark = add("benchmark", "Time the zoo serving: loading, one review through every variant, the test split, memory.")
    benchmark.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder, for the test reviews "
                           "(default: $IMDB_DATA, else download)")
    benchmark.add_argument("--repeats", type=int, default=100, help="reviews classified one at a time (default: %(default)s)")
    benchmark.add_argument("--limit", type=int, help="evaluate only this many test reviews, a seeded sample (quick runs)")
    benchmark.add_argument("--json", action="store_true", help="print the numbers as one JSON object on the last line")


def _add_checking_commands(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """``report``, ``verify`` and ``probe``: the zoo's table, its soundness, and what its variants can do."""
    report = add("report", "Print the zoo's comparison table (Markdown), or write it and the lessons into a README.")
    report.add_argument("--update", metavar="README", help=f"instead of printing, replace the text between {REPORT_START!r} "
                        f"and {REPORT_END!r} in this file with the table and a line on when and where the variants "
                        f"were trained, and the text between {LESSONS_START!r} and {LESSONS_END!r}, if the file "
                        "has them, with what the zoo shows (e.g. --update README.md)")

    verify = add("verify", "Check a whole zoo: every listed variant complete, unchanged since it was saved, "
                 "and loadable in safe mode; exit 1 if anything is wrong.")
    verify.add_argument("--json", action="store_true", help="one JSON object: each variant's verdict and every problem")
    verify.add_argument("--no-load", dest="load", action="store_false",
                        help="check files and checksums only, without loading the models (faster)")

    probe = add("probe", "Run the behavioural probes (memory span, negation, contrast, intensity, unknown words, "
                "length) through every variant: sentences built from fixed templates, no review text.")
    probe.epilog = ("Memory span: a clear sentence, then k neutral filler words. The separation is mean P(positive) after "
                    "the positive sentences minus mean P(positive) after the negative ones; the span is the largest k up to "
                    "which it keeps half its value at k=0 ('cut' where the sentence no longer fits in maxlen). "
                    "Refresh the bundled zoo's results and their tables: python -m zoo probe --write --update docs/probes.md")
    probe.add_argument("--variant", action="append", metavar="ID", help="only this variant (repeatable)")
    probe.add_argument("--json", action="store_true", help="the whole result as one JSON document (schema: docs/probes.md)")
    probe.add_argument("--write", action="store_true", help="store the result as probes.json beside the zoo's zoo.json, "
                       "where the app reads it")
    probe.add_argument("--update", metavar="FILE", help=f"also replace the text between {PROBES_START!r} and "
                       f"{PROBES_END!r} in this file with the probe tables")


COMMANDS = {"list": cmd_list, "classify": cmd_classify, "evaluate": cmd_evaluate, "benchmark": cmd_benchmark,
            "report": cmd_report, "verify": cmd_verify, "probe": cmd_probe}


def main(argv: list[str] | None = None) -> int:
    quiet_tensorflow_logs()
    args = build_parser().parse_args(argv)
    # From the Hub, fetch only the variants asked for; a local folder keeps its own checks.
    variants = getattr(args, "variant", None) if str(args.zoo).startswith(HUB_SCHEME) else None
    try:
        zoo = open_zoo(args.zoo, variants=variants)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.command in LOADS_MODELS:
        from .quiet import import_tensorflow_quietly

        import_tensorflow_quietly()
    try:
        return COMMANDS[args.command](zoo, args)
    except BrokenPipeError:  # e.g. `python -m zoo list --json | head`
        sys.stderr.close()
        return EXIT_OK
