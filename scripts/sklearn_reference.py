"""scikit-learn's TF-IDF and logistic regression, next to the zoo's Keras linear reference.

    python scripts/sklearn_reference.py --data ../shared/data/aclImdb_v1.tar.gz --zoo zoo-out

The model a practitioner tries first on IMDB, measured two ways:

- **scikit-learn as is**: ``TfidfVectorizer(max_features=10000)`` (its own tokenizer) and
  ``LogisticRegression`` on all 25,000 training reviews: the 0.886 the issue measured;
- **the zoo's features**: the same 20,000 training reviews, vocabulary and words as the zoo's
  ``tfidf-len1000`` (the zoo's text pipeline, its last 1,000 words of a review), TF-IDF by
  ``TfidfTransformer`` (the IDF ``training.model.tfidf_weights`` computes), then the same
  ``LogisticRegression``.

Each gets its test accuracy and its accuracy on the first and last sentence of each test
review; with ``--zoo``, the Keras ``tfidf-len1000`` artifact's recorded numbers are printed
beside them (the Keras row's fit seconds: its training epochs). ``--update FILE`` also writes the
table between FILE's sklearn markers. Needs scikit-learn (``requirements-dev.txt``; the app and
training do not).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training.corpus import Corpus, corpus_files, default_cache_dir
from zoo import catalog
from zoo.artifact import Artifact, ArtifactError
from zoo.evaluation import SHORT_TEXT_KINDS, short_texts
from zoo.imdb import load_imdb
from zoo.text import OOV_INDEX, PAD_INDEX

KERAS_REFERENCE = "tfidf-len1000"
SKLEARN_START, SKLEARN_END = "<!-- sklearn:start -->", "<!-- sklearn:end -->"


def counts(sequences, num_words: int, maxlen: int):
    """The sparse ``(texts, num_words)`` word counts of encoded texts (their last ``maxlen``
    words), padding and unknown words left out: what ``CategoryEncoding`` counts."""
    from scipy.sparse import csr_matrix

    rows, cols = [], []
    for row, sequence in enumerate(sequences):
        kept = np.asarray(sequence[-maxlen:])
        kept = kept[(kept != PAD_INDEX) & (kept != OOV_INDEX)]
        rows.append(np.full(len(kept), row))
        cols.append(kept)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sequences), num_words))


def measure(fit, predict, test_sets: dict) -> dict:
    """Fit (timed), then the accuracy on each test set (``{name: (inputs, labels)}``)."""
    started = time.perf_counter()
    fit()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, **{name: float(np.mean(predict(x) == y)) for name, (x, y) in test_sets.items()}}


def sklearn_as_is(data: str | None) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    imdb = load_imdb(data)
    test = {"test": (imdb.test.texts, imdb.test.labels),
            **{kind: (r.texts, r.labels) for kind, r in short_texts(imdb.test).items()}}
    vectorizer, model = TfidfVectorizer(max_features=catalog.NUM_WORDS), LogisticRegression(max_iter=1000)
    return measure(lambda: model.fit(vectorizer.fit_transform(imdb.train.texts), imdb.train.labels),
                   lambda texts: model.predict(vectorizer.transform(texts)), test)


def sklearn_on_zoo_features(corpus: Corpus, spec: catalog.VariantSpec) -> dict:
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    sets = {"test": corpus.test, **corpus.short_texts()}
    features = {name: counts(encoded.sequences, spec.num_words, spec.maxlen) for name, encoded in sets.items()}
    train = counts(corpus.train.sequences, spec.num_words, spec.maxlen)
    tfidf, model = TfidfTransformer(), LogisticRegression(max_iter=1000)
    return measure(lambda: model.fit(tfidf.fit_transform(train), corpus.train.labels),
                   lambda x: model.predict(tfidf.transform(x)),
                   {name: (features[name], sets[name].labels) for name in sets})


def keras_row(zoo: Path) -> dict | None:
    try:
        metadata = Artifact.read(zoo / KERAS_REFERENCE).metadata
    except ArtifactError:
        return None
    runs = metadata.get("seed_runs") or {}
    return {"test": metadata["test_accuracy"], **(metadata.get("short_text_accuracy") or {}),
            "seconds": sum(Artifact.read(zoo / KERAS_REFERENCE).history["seconds"]),
            "spread": (max(runs["test_accuracy"]) - min(runs["test_accuracy"])) if runs else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/sklearn_reference.py", description=__doc__.split("\n\n")[2])
    parser.add_argument("--data", help="aclImdb_v1.tar.gz or its aclImdb/ folder (default: $IMDB_DATA)")
    parser.add_argument("--zoo", type=Path, help=f"a zoo holding {KERAS_REFERENCE}, whose recorded numbers to print beside")
    parser.add_argument("--update", metavar="FILE", help=f"also write the table between {SKLEARN_START} and {SKLEARN_END}")
    args = parser.parse_args(argv)
    spec = catalog.get(KERAS_REFERENCE)
    with tempfile.TemporaryDirectory() as spare:
        files = corpus_files(args.data, [(spec.num_words, spec.recipe.validation_split)], None, default_cache_dir(),
                             Path(spare))
        corpus = Corpus.read(next(iter(files.values())))
    rows = {"scikit-learn TfidfVectorizer + LogisticRegression, 25,000 training reviews": sklearn_as_is(args.data),
            f"scikit-learn LogisticRegression on {KERAS_REFERENCE}'s features, 20,000 training reviews":
                sklearn_on_zoo_features(corpus, spec)}
    keras = keras_row(args.zoo) if args.zoo else None
    if keras:
        spread = f" (seed spread {keras['spread']:.3f})" if keras["spread"] is not None else ""
        rows[f"Keras `{KERAS_REFERENCE}` (this zoo's artifact{spread}), 20,000 training reviews"] = keras
    table = "| model | test acc | first sentence | last sentence | fit seconds |\n|---|---:|---:|---:|---:|\n" + "".join(
        f"| {name} | {row['test']:.4f} | " + " | ".join(f"{row[k]:.4f}" for k in SHORT_TEXT_KINDS)
        + f" | {row['seconds']:.1f} |\n" for name, row in rows.items())
    print(table, end="")
    if args.update:
        from zoo.cli import _replace_between

        if not _replace_between(args.update, SKLEARN_START, SKLEARN_END, table):
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
