"""How many IMDB reviews a change to the text pipeline changes: ``zoo/text.py`` at a git
revision against the working tree, on every labelled review of the archive.

    python scripts/pipeline_change.py                     # HEAD against the working tree
    python scripts/pipeline_change.py --rev 9c01c19 --data ../shared/data/aclImdb_v1.tar.gz

A review changes when ``tokenize`` gives it other words. Prints the count, and for the
changed reviews which words were gained or lost (counted over all of them: no review text is
printed). The last line is a JSON summary.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def text_module_at(revision: str):
    """``zoo/text.py`` as it was at ``revision``, imported under a name of its own."""
    source = subprocess.run(["git", "show", f"{revision}:zoo/text.py"], cwd=REPO, check=True,
                            capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False, encoding="utf-8") as file:
        file.write(source)
    spec = importlib.util.spec_from_file_location(f"text_at_{revision}", file.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
    finally:
        Path(file.name).unlink()
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default="HEAD", help="the git revision of the old zoo/text.py (default: %(default)s)")
    parser.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA)")
    args = parser.parse_args(argv)

    from zoo import text as new
    from zoo.imdb import load_imdb

    old = text_module_at(args.rev)
    imdb = load_imdb(args.data)
    reviews = imdb.train.texts + imdb.test.texts
    started = time.perf_counter()
    changed, gained, lost = 0, Counter(), Counter()
    for review in reviews:
        before, after = old.tokenize(review), new.tokenize(review)
        if before != after:
            changed += 1
            gained.update((Counter(after) - Counter(before)).elements())
            lost.update((Counter(before) - Counter(after)).elements())
    seconds = time.perf_counter() - started
    print(f"text pipeline {old.TEXT_PIPELINE_VERSION} ({args.rev}) -> {new.TEXT_PIPELINE_VERSION} (working tree): "
          f"{changed:,} of {len(reviews):,} reviews split into other words")
    print(f"  words gained: {dict(gained.most_common(20))}")
    print(f"  words lost:   {dict(lost.most_common(20))}")
    print(json.dumps({"reviews": len(reviews), "changed": changed, "old_version": old.TEXT_PIPELINE_VERSION,
                      "new_version": new.TEXT_PIPELINE_VERSION, "seconds": round(seconds, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
