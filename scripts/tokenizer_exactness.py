"""How exactly ``tokenizer.json`` (read by the Hugging Face ``tokenizers`` library) reproduces
``zoo.text``: on every labelled IMDB review, on every Unicode code point, and on every HTML entity.

    python scripts/tokenizer_exactness.py --data ../shared/data/aclImdb_v1.tar.gz
    python scripts/tokenizer_exactness.py --zoo bundled_zoo --skip-reviews

Measures, in one process:

- ``reviews``: the 50,000 reviews through ``zoo.text`` and through the zoo's ``tokenizer.json``
  (``encode_batch_fast``), with the vocabulary of the first variant and with one of every word the
  reviews hold (a difference in any word shows); reviews whose ids differ, and each side's seconds;
- ``code_points``: each code point alone, between two letters, through both pipelines' words
  (the Unicode tables of Python and of the library differ in version);
- ``entities``: the HTML5 named entities ``html.unescape`` knows, and how many the file decodes.

Needs ``tokenizers`` (requirements-dev.txt). No review text is printed. The last line is a JSON
summary with the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def review_mismatches(tokenizer, vocabulary, reviews: list[str]) -> tuple[int, float, float]:
    """Reviews whose ids differ, and the seconds of ``zoo.text`` and of the tokenizer."""
    from zoo.text import tokenize

    started = time.perf_counter()
    expected = [vocabulary.lookup(tokenize(review)) for review in reviews]
    middle = time.perf_counter()
    encodings = tokenizer.encode_batch_fast(reviews)
    done = time.perf_counter()
    return sum(e.ids != x for e, x in zip(encodings, expected)), middle - started, done - middle


def code_point_mismatches(tokenizer_of) -> list[int]:
    """Code points ``c`` for which ``"a{c}b"`` splits into other words (an assigned-everywhere
    letter each side shows whether ``c`` is part of a word, a separator, or changes)."""
    from zoo.text import tokenize

    points = [c for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
    texts = [f"a{chr(c)}b" for c in points]
    expected = [tokenize(text) for text in texts]
    vocabulary_words = Counter(w for words in expected for w in words)
    from zoo.text import Vocabulary

    vocabulary = Vocabulary.from_counts(vocabulary_words, num_words=10**7)
    tokenizer = tokenizer_of(vocabulary)
    encodings = tokenizer.encode_batch_fast(texts)
    return [c for c, e, words in zip(points, encodings, expected) if e.ids != vocabulary.lookup(words)]


def entity_mismatches(tokenizer_of) -> list[str]:
    """The HTML5 named entities the file does not decode as ``html.unescape`` does, between words
    and inside a word (``"word &name; word"``, ``"wo&name;rd"``)."""
    from html.entities import html5

    from zoo.text import Vocabulary, tokenize

    names = sorted(html5)
    texts = [text for name in names for text in (f"word &{name} word", f"wo&{name}rd")]
    expected = [tokenize(text) for text in texts]
    vocabulary = Vocabulary.from_counts(Counter(w for words in expected for w in words), num_words=10**7)
    encodings = tokenizer_of(vocabulary).encode_batch_fast(texts)
    wrong = {name for name, e, words in zip([n for n in names for _ in range(2)], encodings, expected)
             if e.ids != vocabulary.lookup(words)}
    return [f"&{name}" for name in names if name in wrong]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA)")
    parser.add_argument("--zoo", default="bundled_zoo", help="zoo folder whose first variant's vocabulary is used")
    parser.add_argument("--skip-reviews", action="store_true", help="only code points and entities (no data needed)")
    args = parser.parse_args(argv)

    import unicodedata
    from html.entities import html5

    from tokenizers import Tokenizer

    from zoo import tokenizer_file
    from zoo.store import open_zoo
    from zoo.text import Vocabulary, tokenize

    workdir = Path(tempfile.mkdtemp(prefix="tokenizer-exactness-"))

    def tokenizer_of(vocabulary: Vocabulary) -> Tokenizer:
        tokenizer_file.write(workdir / "tokenizer.json", vocabulary)
        return Tokenizer.from_file(str(workdir / "tokenizer.json"))

    summary: dict = {"tokenizers": __import__("tokenizers").__version__, "unicode_python": unicodedata.unidata_version}
    if not args.skip_reviews:
        from zoo.imdb import load_imdb

        imdb = load_imdb(args.data)
        reviews = imdb.train.texts + imdb.test.texts
        artifact = open_zoo(args.zoo).artifacts()[0]
        for name, vocabulary in [(f"{artifact.id} vocabulary", artifact.vocabulary()),
                                 ("every word", Vocabulary.from_counts(Counter(w for r in reviews for w in tokenize(r)),
                                                                       num_words=10**7))]:
            differ, python_s, library_s = review_mismatches(tokenizer_of(vocabulary), vocabulary, reviews)
            print(f"{len(reviews):,} reviews, {name} ({len(vocabulary):,} ids): {differ} differ; "
                  f"zoo.text {python_s:.1f} s, tokenizer.json {library_s:.1f} s")
            summary.setdefault("reviews", []).append({"vocabulary": name, "ids": len(vocabulary), "reviews": len(reviews),
                                                      "differ": differ, "zoo_text_s": round(python_s, 1),
                                                      "tokenizer_s": round(library_s, 1)})

    points = code_point_mismatches(tokenizer_of)
    assigned = [c for c in points if unicodedata.category(chr(c)) != "Cn"]
    print(f"code points between two letters: {len(points):,} split differently, {len(assigned)} of them assigned in "
          f"Python's Unicode {unicodedata.unidata_version} (the others are new to the library's tables)")
    summary["code_points"] = {"differ": len(points), "assigned_in_python": len(assigned),
                              "assigned_examples": [f"U+{c:04X}" for c in assigned[:12]]}

    entities = entity_mismatches(tokenizer_of)
    passes = len(tokenizer_file.entity_rules())
    print(f"HTML5 named entities: {len(html5) - len(entities):,} of {len(html5):,} give zoo.text's words, between "
          f"words and inside one ({passes} Replace passes); not: {len(entities)}, e.g. {', '.join(entities[:8])}")
    summary["entities"] = {"named": len(html5), "differ": len(entities), "passes": passes,
                           "examples": entities[:20]}

    summary["load_average"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    summary["cpus"] = os.cpu_count()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
