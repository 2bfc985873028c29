"""The ablation table: what each change from the seed's SimpleRNN to the zoo's best SimpleRNN buys.

    python -m training.ablation --data ../shared/data/aclImdb_v1.tar.gz --out zoo-ablation

Starting from the seed tutorial's ``simplernn-1x32-len500``, each row adds one change of
the best SimpleRNN's recipe (``zoo.catalog.ABLATION``), in order, and trains that variant
with ``training.fit`` (the same code as ``python -m training.train``) into the zoo folder
``--out``; the last row is the catalog's variant itself. Each row then gets its test
accuracy, its short-text accuracy (first / last sentence of each test review) and its
accuracy on the probe tests whose verdict depends on word order (``zoo.probes.ORDER_TESTS``),
with the change in each from the row above. The order-free references (``--references``)
are trained into the same folder and printed below, for comparison.

A variant already in ``--out`` is not trained again (delete it to retrain): the script can be
stopped and run again. The table is printed as Markdown; ``--update FILE`` also writes it
between FILE's ``<!-- ablation:start -->`` and ``<!-- ablation:end -->`` markers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from training.corpus import Corpus, corpus_files, corpus_key, default_cache_dir
from training.train import DEFAULT_SEED
from zoo import catalog
from zoo.artifact import Artifact, ArtifactError, read_manifest
from zoo.evaluation import SHORT_TEXT_KINDS

ABLATION_START, ABLATION_END = "<!-- ablation:start -->", "<!-- ablation:end -->"


def train_missing(specs: list[catalog.VariantSpec], data: str | None, out: Path, seed: int, threads: int) -> None:
    """Train each of ``specs`` that ``out`` does not hold yet."""
    missing = [spec for spec in specs if spec.id not in read_manifest(out)] if out.exists() else list(specs)
    if not missing:
        return
    from training.fit import train_variant
    from training.reproduce import use_threads

    use_threads(threads)
    keys = list(dict.fromkeys(corpus_key(spec) for spec in missing))
    with tempfile.TemporaryDirectory() as spare:
        files = corpus_files(data, keys, None, default_cache_dir(), Path(spare))
        corpora = {key: Corpus.read(path) for key, path in files.items()}
    for number, spec in enumerate(missing, 1):
        started = time.perf_counter()
        print(f"[{number}/{len(missing)}] {spec.id}", file=sys.stderr, flush=True)
        train_variant(spec, corpora[corpus_key(spec)], seed=seed, out=out, verbose=2)
        print(f"  {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def ablation_table(rows: list[tuple[str, Artifact]], probes: dict, references: list[Artifact]) -> str:
    """The Markdown table: one row per change, its measures and their change from the row above."""
    from zoo.probes import order_accuracy

    head = ("| change | variant | test acc | Δ | first / last sentence | Δ | order tests | Δ |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|\n")
    lines, previous = [], None
    for change, artifact in [*rows, *((f"order-free reference", a) for a in references)]:
        short = artifact.metadata.get("short_text_accuracy") or {}
        values = (artifact.metadata["test_accuracy"], tuple(short.get(k, float("nan")) for k in SHORT_TEXT_KINDS),
                  order_accuracy(probes["variants"][artifact.id]))
        deltas = ["", "", ""]
        if previous is not None and change != "order-free reference":
            deltas = [f"{values[0] - previous[0]:+.3f}",
                      " / ".join(f"{a - b:+.3f}" for a, b in zip(values[1], previous[1])),
                      f"{values[2] - previous[2]:+.2f}"]
        lines.append(f"| {change} | `{artifact.id}` | {values[0]:.3f} | {deltas[0]} | "
                     f"{' / '.join(f'{v:.3f}' for v in values[1])} | {deltas[1]} | {values[2]:.2f} | {deltas[2]} |")
        if change != "order-free reference":
            previous = values
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.ablation", description=__doc__.split("\n\n")[1])
    parser.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA)")
    parser.add_argument("--out", type=Path, default=Path("zoo-ablation"), help="zoo folder of the ablation's variants "
                        "(default: %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of every row (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=1, help="TensorFlow threads (default: %(default)s)")
    parser.add_argument("--no-references", dest="references", action="store_false",
                        help="leave out the order-free references")
    parser.add_argument("--update", metavar="FILE", help=f"write the table between {ABLATION_START} and {ABLATION_END}")
    args = parser.parse_args(argv)
    rows = list(catalog.ABLATION)
    references = [spec for spec in catalog.CATALOG if not spec.reads_order] if args.references else []
    train_missing([spec for _, spec in rows] + references, args.data, args.out, args.seed, args.threads)

    from zoo.probes import run_probes
    from zoo.store import open_zoo

    zoo = open_zoo(str(args.out))
    try:
        artifacts = [(change, zoo.artifact(spec.id)) for change, spec in rows]
        free = [zoo.artifact(spec.id) for spec in references]
    except ArtifactError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    probes = run_probes(zoo, [a.id for _, a in artifacts] + [a.id for a in free])
    table = ablation_table(artifacts, probes, free)
    print(table, end="")
    if args.update:
        from zoo.cli import _replace_between

        if not _replace_between(args.update, ABLATION_START, ABLATION_END, table):
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
