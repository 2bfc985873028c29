"""The reviews as the models read them: split, tokenized and encoded once, then cached.

``Corpus.prepare`` splits the IMDB training reviews into training and validation (the
recipe's ``validation_split``, seeded), learns the vocabulary of ``num_words`` from the
training part, and encodes every split with the zoo's text pipeline (``zoo.text``): the
training, validation and test reviews, and the first and last sentence of each test review
(``zoo.evaluation.short_texts``). That is about 15 s of tokenizing, so ``Corpus.load``
keeps the result in a cache file, keyed by everything it depends on: the data's fingerprint,
``TEXT_PIPELINE_VERSION``, ``num_words``, the split and ``--limit``. A changed archive or
text pipeline is a new key, never a stale hit.

The cache lives in ``default_cache_dir()`` (``$SIMPLERNN_ZOO_CACHE``, else
``~/.cache/simplernn-zoo``): nothing is written into the repository.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tempfile
import zipfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.catalog import VariantSpec
from zoo.evaluation import SHORT_TEXT_KINDS, short_texts
from zoo.imdb import SPLIT_SEED, Imdb, Reviews, load_imdb, split_validation
from zoo.text import TEXT_PIPELINE_VERSION, Vocabulary, pad, tokenize

CACHE_ENV = "SIMPLERNN_ZOO_CACHE"
#: The layout of a cache file; a new layout is a new key.
CACHE_FORMAT = 2
SPLITS = ("train", "validation", "test", *SHORT_TEXT_KINDS)


def corpus_key(spec: VariantSpec) -> tuple[int, float]:
    """What a variant's corpus depends on besides the data: its vocabulary size and split."""
    return spec.num_words, spec.recipe.validation_split


def default_cache_dir() -> Path:
    """``$SIMPLERNN_ZOO_CACHE``, else ``~/.cache/simplernn-zoo`` (the user's cache, on every OS)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "simplernn-zoo")


@dataclass(frozen=True)
class Encoded:
    """Encoded reviews: each one's word indices (unpadded, as many as it has) and its label."""

    sequences: list[np.ndarray]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.sequences)

    def padded(self, maxlen: int) -> np.ndarray:
        """The ``(n, maxlen)`` rows a model reads: the last ``maxlen`` words, padded at the front."""
        return pad(self.sequences, maxlen)


@dataclass(frozen=True)
class Corpus:
    """The splits of one dataset, encoded with one vocabulary, shared by every variant that
    has the same ``num_words`` and ``validation_split``."""

    vocabulary: Vocabulary
    splits: dict[str, Encoded]
    record: dict

    @property
    def train(self) -> Encoded:
        return self.splits["train"]

    @property
    def validation(self) -> Encoded:
        return self.splits["validation"]

    @property
    def test(self) -> Encoded:
        return self.splits["test"]

    def short_texts(self) -> dict[str, Encoded]:
        """The first and the last sentence of each test review, labelled as its review."""
        return {kind: self.splits[kind] for kind in SHORT_TEXT_KINDS}

    def data_record(self) -> dict:
        """What the artifact's ``metadata["data"]`` says about the data it was trained on."""
        return dict(self.record)

    @classmethod
    def prepare(cls, imdb: Imdb, num_words: int, validation_split: float, limit: int | None = None,
                short: bool = True) -> Corpus:
        """Split, learn the vocabulary and encode every split (no cache); without ``short``,
        not the test reviews' first and last sentences."""
        train, validation = split_validation(_subset(imdb.train, limit), validation_split)
        test = _subset(imdb.test, limit)
        parts = {"train": train, "validation": validation, "test": test}
        if short:
            parts |= short_texts(test)
        numbered = _numbered_chunks({name: reviews.texts for name, reviews in parts.items()})
        counts: Counter = Counter()
        for words, ids, _ in numbered["train"]:
            counts.update(dict(zip(words, np.bincount(ids, minlength=len(words)).tolist())))
        vocabulary = Vocabulary.from_counts(counts, num_words)
        splits = {name: Encoded(_encoded(numbered[name], vocabulary), reviews.labels) for name, reviews in parts.items()}
        record = {
            "dataset": "imdb (aclImdb_v1, Maas et al. 2011)",
            "fingerprint": imdb.fingerprint,
            "train_reviews": len(train),
            "validation_reviews": len(validation),
            "test_reviews": len(test),
            "split_seed": SPLIT_SEED,
            # What maxlen cuts: the median training review's length in words (the one measured figure).
            "median_train_words": int(np.median([len(s) for s in splits["train"].sequences])) if len(train) else 0,
        }
        return cls(vocabulary, splits, record)

    @classmethod
    def load(cls, imdb: Imdb, num_words: int, validation_split: float, limit: int | None = None,
             cache: Path | None = None) -> Corpus:
        """``prepare``, through the cache file in ``cache`` (no cache when None).

        A cache file that cannot be read is prepared again and rewritten; one that cannot
        be written only costs the next run the preparation.
        """
        if cache is None:
            return cls.prepare(imdb, num_words, validation_split, limit)
        path = cache_path(cache, imdb.fingerprint, num_words, validation_split, limit)
        try:
            return cls.read(path)
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            pass  # no cache yet, or a damaged one: encode again and replace it
        corpus = cls.prepare(imdb, num_words, validation_split, limit)
        try:
            corpus.write(path)
        except OSError as error:
            print(f"warning: could not write the corpus cache {path}: {error.strerror or error}", flush=True)
        return corpus

    def write(self, path: Path) -> None:
        """Write the corpus as one ``.npz`` file, atomically (a temporary file, then renamed)."""
        arrays = {"vocabulary": np.array(self.vocabulary.words), "record": np.array(json.dumps(self.record))}
        for name, encoded in self.splits.items():
            lengths = np.array([len(s) for s in encoded.sequences], dtype=np.int64)
            flat = np.concatenate(encoded.sequences) if len(encoded) else np.zeros(0, np.int32)
            arrays |= {f"{name}_words": flat.astype(np.int32), f"{name}_lengths": lengths,
                       f"{name}_labels": np.asarray(encoded.labels)}
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as file:
            try:
                np.savez(file, **arrays)
            except BaseException:
                file.close()
                os.unlink(file.name)
                raise
        os.replace(file.name, path)

    @classmethod
    def read(cls, path: Path) -> Corpus:
        """Read a corpus written by ``write``.

        Raises:
            OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile: the file is missing,
            truncated or not a corpus.
        """
        with np.load(path, allow_pickle=False) as data:
            vocabulary = Vocabulary(tuple(str(w) for w in data["vocabulary"]))
            record = json.loads(str(data["record"]))
            splits = {}
            for name in SPLITS:
                ends = np.cumsum(data[f"{name}_lengths"])
                splits[name] = Encoded(np.split(data[f"{name}_words"], ends[:-1]) if len(ends) else [],
                                       data[f"{name}_labels"])
        return cls(vocabulary, splits, record)


#: Below this many texts a corpus is encoded in this process; above, in ``ENCODING_PROCESSES``.
PARALLEL_FROM_TEXTS = 5000
#: Processes that split the texts into words: tokenizing is most of the encoding (seconds).
ENCODING_PROCESSES = 2
#: Texts per piece of work handed to one of them.
CHUNK_TEXTS = 4000


def number_words(texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Split ``texts`` into words (``tokenize``), each numbered by its first appearance.

    Returns:
        The distinct words in that order, every text's word numbers one after the other, and
        each text's number of words: small to send between processes, and mapped to
        vocabulary indices with one NumPy lookup.
    """
    numbers: dict[str, int] = {}
    flat: list[int] = []
    lengths = []
    for text in texts:
        words = tokenize(text)
        flat.extend([numbers.setdefault(w, len(numbers)) for w in words])
        lengths.append(len(words))
    return list(numbers), np.array(flat, dtype=np.int64), np.array(lengths, dtype=np.int64)


def _numbered_chunks(texts: dict[str, list[str]]) -> dict[str, list[tuple[list[str], np.ndarray, np.ndarray]]]:
    """``number_words`` over each list of ``texts`` in chunks, in processes side by side when there
    are many (results in the chunks' order)."""
    chunks = {name: [list(t[i : i + CHUNK_TEXTS]) for i in range(0, len(t), CHUNK_TEXTS)] or [[]]
              for name, t in texts.items()}
    if sum(map(len, texts.values())) < PARALLEL_FROM_TEXTS:
        return {name: [number_words(chunk) for chunk in parts] for name, parts in chunks.items()}
    context = multiprocessing.get_context("spawn")  # the same on every OS
    with ProcessPoolExecutor(max_workers=ENCODING_PROCESSES, mp_context=context) as pool:
        futures = {name: [pool.submit(number_words, chunk) for chunk in parts] for name, parts in chunks.items()}
        return {name: [f.result() for f in parts] for name, parts in futures.items()}


def _encoded(chunks: list[tuple[list[str], np.ndarray, np.ndarray]], vocabulary: Vocabulary) -> list[np.ndarray]:
    """Each text's vocabulary indices (``Vocabulary.lookup``), from ``number_words``' chunks."""
    sequences = []
    for words, ids, lengths in chunks:
        indices = np.array(vocabulary.lookup(words), dtype=np.int32)[ids] if len(ids) else np.zeros(0, np.int32)
        sequences.extend(np.split(indices, np.cumsum(lengths)[:-1]) if len(lengths) else [])
    return sequences


def corpus_files(data: str | None, keys: list[tuple[int, float]], limit: int | None, cache: Path,
                 spare: Path) -> dict[tuple[int, float], Path]:
    """Read the reviews at ``data`` and give each corpus of ``keys`` (``(num_words,
    validation_split)``) as a file: its cache file in ``cache``, read or written (``Corpus.load``),
    or, when the cache cannot be written, a copy in ``spare``.

    ``training.train`` runs it in a process of its own while it imports TensorFlow, and its
    ``--jobs`` workers read the files it names.

    Raises:
        DataError: the data cannot be read.
    """
    imdb = load_imdb(data)
    files = {}
    for key in keys:
        corpus = Corpus.load(imdb, *key, limit=limit, cache=cache)
        path = cache_path(cache, imdb.fingerprint, *key, limit)
        if not path.exists():  # the cache could not be written
            path = spare / path.name
            corpus.write(path)
        files[key] = path
    return files


def cache_path(cache: Path, fingerprint: str, num_words: int, validation_split: float, limit: int | None) -> Path:
    """The cache file of a corpus: its name is a digest of everything the encoding depends on."""
    key = json.dumps({"format": CACHE_FORMAT, "fingerprint": fingerprint, "text_pipeline": TEXT_PIPELINE_VERSION,
                      "num_words": num_words, "validation_split": validation_split, "split_seed": SPLIT_SEED,
                      "limit": limit}, sort_keys=True)
    return Path(cache) / f"corpus-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"


def _subset(reviews: Reviews, limit: int | None) -> Reviews:
    """A seeded, label-balanced-in-expectation sample of ``limit`` reviews (all when None)."""
    if not limit or limit >= len(reviews):
        return reviews
    order = np.random.default_rng(SPLIT_SEED).permutation(len(reviews))[:limit]
    return reviews.subset(np.sort(order))
