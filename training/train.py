"""Train zoo variants on the IMDB reviews and write them as artifacts.

    python -m training.train --variant simplernn-1x32-len500 --data ../shared/data/aclImdb_v1.tar.gz
    python -m training.train --all --jobs 2 --out bundled_zoo

The reviews are encoded once with the zoo's text pipeline and cached (``training.corpus``),
in another process while this one imports TensorFlow. For each variant (``training.fit``):
train with the variant's recipe while recording every epoch, keep the weights of the best
validation epoch, evaluate on the test split (full reviews and their first/last sentences)
through the compiled serving path, and write the artifact folder atomically into ``--out``
(``zoo-out/`` unless asked otherwise: the bundled zoo is only written when named). With
``--jobs N``, N processes train the variants side by side (``training.parallel``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

from training.corpus import Corpus, corpus_files, corpus_key, default_cache_dir
from training.progress import corpus_summary, duration
from training.reproduce import code_revision, use_threads
from training.seeds import Task, record_seed_runs, task_name, tasks_for
from zoo import catalog
from zoo.artifact import DiskFullError, read_manifest, write_json
from zoo.imdb import IMDB_ENV, DataError, resolve_path

DEFAULT_SEED = 1337
#: Where trained variants go unless ``--out`` says otherwise: a working folder git ignores.
#: The bundled zoo is written only when asked for by name (``--out bundled_zoo``).
DEFAULT_OUT = Path("zoo-out")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training.train",
        description="Train zoo variants on the IMDB reviews and write them as artifacts into a zoo folder.",
        epilog="Variants: " + ", ".join(catalog.BY_ID),
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--variant", action="append", metavar="ID", choices=list(catalog.BY_ID),
                       help="a variant id to train (repeatable)")
    which.add_argument("--all", action="store_true", help="train every catalog variant")
    parser.add_argument("--epochs", type=int, help="epochs per variant (default: the variant's recipe, 10 for the seed recipe)")
    parser.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA, else download the official archive)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="zoo folder to write into (default: %(default)s, which git ignores; "
                             "the bundled zoo is replaced only with --out bundled_zoo)")
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="train N variants at a time, each in its own process "
                             "(default: one per core, at most one per variant; 1 trains in this process)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help="random seed for weights and shuffling; the zoo serves this seed's run (default: %(default)s)")
    parser.add_argument("--seeds", type=int, default=1, metavar="N",
                        help="train each variant with N seeds (--seed, --seed + 1, ...) and record the spread of their "
                             "accuracies in the served artifact; the other runs go to OUT/../.training-work/<OUT name>/"
                             "seeds/ (default: %(default)s)")
    parser.add_argument("--check", type=Path, metavar="ZOO",
                        help="compare each trained variant with ZOO's (every epoch of the history, the best epoch, the "
                             "test and short-text accuracies) and exit with status 3, listing what differs, unless "
                             "they are equal")
    parser.add_argument("--op-determinism", action="store_true",
                        help="TensorFlow's deterministic ops (tf.config.experimental.enable_op_determinism), without "
                             "XLA: slower; for --threads above 1 (one thread, the default, retrains exactly anyway)")
    parser.add_argument("--limit", type=int, help="use only this many training and this many test reviews (quick runs)")
    parser.add_argument("--skip-existing", action="store_true", help="leave variants the zoo folder already holds")
    parser.add_argument("--threads", type=int, default=1,
                        help="TensorFlow threads per process (default: %(default)s; for 32-unit cells one thread per "
                             "process is faster than two, so --jobs uses the other cores)")
    parser.add_argument("--quiet", action="store_true", help="no per-batch progress bar, one line per epoch")
    parser.add_argument("--resume", action="store_true",
                        help="continue each variant from its last completed epoch, saved in its work folder")
    parser.add_argument("--work", type=Path, metavar="DIR",
                        help="keep each variant's per-epoch checkpoint in DIR/<variant> "
                             "(default: OUT/../.training-work/<OUT name>/<variant>; deleted once the variant is written)")
    parser.add_argument("--cache", type=Path, metavar="DIR", default=default_cache_dir(),
                        help="where the tokenized reviews are cached, keyed by the data's fingerprint and the text "
                             "pipeline's version (default: %(default)s, or $SIMPLERNN_ZOO_CACHE)")
    parser.add_argument("--no-cache", action="store_true", help="tokenize the reviews afresh and cache nothing")
    parser.add_argument("--timings", type=Path, help=argparse.SUPPRESS)  # JSON of the phases, for training.benchmark
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.check is not None and not (args.check / "zoo.json").is_file():
        parser.error(f"--check {args.check}: no zoo there (no zoo.json)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        print(f"\ninterrupted. {INTERRUPTED_HINT}", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    """The command, on parsed arguments; returns the exit status."""
    specs = list(catalog.CATALOG) if args.all else [catalog.get(i) for i in args.variant]
    if args.skip_existing:
        done = set(read_manifest(args.out))
        specs = [s for s in specs if s.id not in done]
    if args.epochs:
        specs = [replace(s, recipe=replace(s.recipe, epochs=args.epochs)) for s in specs]
    tasks = tasks_for(specs, args.seed, args.seeds, args.out)
    jobs = min(args.jobs or os.cpu_count() or 1, len(tasks))
    started = time.perf_counter()
    keys = list(dict.fromkeys(corpus_key(spec) for spec in specs))
    print("Reading the IMDB reviews...", flush=True)
    with tempfile.TemporaryDirectory(prefix="simplernn-zoo-") as spare:
        try:
            if args.data or os.environ.get(IMDB_ENV):
                resolve_path(args.data)  # a wrong path is told at once, before TensorFlow's import
            files = read_corpora(args.data, keys, args.limit, Path(spare) if args.no_cache else args.cache,
                                 Path(spare), in_background=jobs == 1)
        except DataError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        corpora = {key: Corpus.read(path) for key, path in files.items()}
        if args.timings:
            write_json(args.timings, {"prepare_s": round(time.perf_counter() - started, 3)})
        if jobs > 1:
            from training.parallel import train_in_parallel

            status = train_in_parallel(tasks, corpora, files, args, jobs, started)
        else:
            status = train_here(tasks, corpora, args, started)
    return finish(tasks, args, status)


def read_corpora(data: str | None, keys: list[tuple[int, float]], limit: int | None, cache: Path, spare: Path, *,
                 in_background: bool) -> dict[tuple[int, float], Path]:
    """``training.corpus.corpus_files``; ``in_background``, in another process while this one
    imports TensorFlow (``training.fit``): seconds each, side by side on two cores.

    Raises:
        DataError: the data cannot be read, or the process reading it died.
    """
    if not in_background:
        return corpus_files(data, keys, limit, cache, spare)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        reading = pool.submit(corpus_files, data, keys, limit, cache, spare)
        import training.fit  # noqa: F401  (TensorFlow's import, meanwhile)

        try:
            return reading.result()
        except BrokenProcessPool as error:
            raise DataError(f"the process reading the reviews ended unexpectedly ({error})") from error


def train_here(tasks: list[Task], corpora: dict[tuple, Corpus], args: argparse.Namespace, started: float) -> int:
    """Train ``tasks`` one after the other in this process; returns the exit status."""
    from training.checkpoint import CheckpointError
    from training.fit import train_variant

    use_threads(args.threads, op_determinism=args.op_determinism)
    for corpus in corpora.values():
        print(corpus_summary(corpus, started), flush=True)
    code = code_revision()
    for number, task in enumerate(tasks, 1):
        spec = task.spec
        elapsed = time.perf_counter() - started
        left = ", ".join(task_name(t, args.seeds) for t in tasks[number:]) or "nothing"
        print(f"\n[{number}/{len(tasks)}] {task_name(task, args.seeds)} · {spec.recipe.epochs} epochs · "
              f"elapsed {duration(elapsed)} · after it: {left}", flush=True)
        try:
            folder = train_variant(spec, corpora[corpus_key(spec)], seed=task.seed, out=task.out,
                                   verbose=2 if args.quiet else 1, code=code,
                                   work=args.work / task.work_name if args.work else None, resume=args.resume)
        except CheckpointError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except DiskFullError as error:
            print(f"error: {error}\n{RESUME_HINT}", file=sys.stderr)
            return 1
        print(f"wrote {folder}", flush=True)
    print(f"\nTrained {len(tasks)} run(s) in {duration(time.perf_counter() - started)}.")
    return 0


def finish(tasks: list[Task], args: argparse.Namespace, status: int) -> int:
    """Record the seed runs, print each variant's accuracies and compare with ``--check``'s zoo;
    returns the exit status (``status``, else 3 when a checked variant differs)."""
    from zoo.artifact import Artifact, ArtifactError

    record_seed_runs(tasks)
    served = [task for task in tasks if task.served]
    print(f"\n{'variant':<34} {'test acc':>8}  {'first / last sentence':>21}" + ("  seeds (test acc)" if args.seeds > 1 else ""))
    differ = 0
    for task in served:
        try:
            artifact = Artifact.read(task.out / task.spec.id)
        except ArtifactError:
            print(f"{task.spec.id:<34} {'not written':>8}")
            continue
        print(summary_line(artifact))
        if args.check is not None:
            lines = check_against(artifact, args.check)
            differ += bool(lines)
            for line in lines:
                print(f"  differs from {args.check}: {line}", file=sys.stderr)
    if args.check is not None:
        print(f"\n--check {args.check}: {len(served) - differ} of {len(served)} variant(s) equal"
              + (f", {differ} differ" if differ else ""), file=sys.stderr if differ else sys.stdout)
    return status or (3 if differ else 0)


def summary_line(artifact) -> str:
    """One variant's line of the closing summary: its test and short-text accuracy (and seeds' test accuracies)."""
    from zoo.evaluation import SHORT_TEXT_KINDS

    short = artifact.metadata.get("short_text_accuracy") or {}
    short_text = " / ".join(f"{short[k]:.4f}" if k in short else "—" for k in SHORT_TEXT_KINDS)
    runs = artifact.metadata.get("seed_runs") or {}
    seeds = "  " + ", ".join(f"{a:.4f}" for a in runs["test_accuracy"]) if runs else ""
    return f"{artifact.id:<34} {artifact.metadata['test_accuracy']:>8.4f}  {short_text:>21}{seeds}"


def check_against(artifact, zoo_dir: Path) -> list[str]:
    """What differs between a trained artifact and ``zoo_dir``'s artifact of the same variant."""
    from training.reproduce import differences
    from zoo.artifact import Artifact, ArtifactError

    try:
        recorded = Artifact.read(zoo_dir / artifact.id)
    except ArtifactError as error:
        return [f"no recorded variant to compare with ({error})"]
    return differences(artifact, recorded)


INTERRUPTED_HINT = ("The variants already written are kept, and each unfinished one keeps its last completed epoch in its "
                    "work folder: the same command with --resume continues from there.")
RESUME_HINT = ("The last checkpoint is kept: once there is space, the same command with --resume continues from it "
               "instead of starting over.")


if __name__ == "__main__":
    sys.exit(main())
