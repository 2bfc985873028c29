"""What a model makes of one text: the words it sees, and its opinion after each word.

These are the facts the app's "What the model sees" and "Sentiment as it reads" sections
show; they go through the same text pipeline as ``Zoo.classify``, so what is shown is
what the models read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .inference import THRESHOLD, reading_curve
from .store import Zoo
from .text import Vocabulary, clip, tokenize


@dataclass(frozen=True)
class WordsSeen:
    """A text as the models see it: its words after standardization, each known or not."""

    words: tuple[str, ...]
    known: tuple[bool, ...]

    @property
    def known_count(self) -> int:
        return sum(self.known)

    @property
    def unknown_words(self) -> list[str]:
        """The distinct words outside the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(w for w, k in zip(self.words, self.known) if not k))

    def first_read(self, maxlen: int) -> int:
        """The index of the first word a model with this ``maxlen`` reads (it keeps the last words)."""
        return max(0, len(self.words) - maxlen)

    def cut_away(self, maxlen: int) -> tuple[str, ...]:
        """The words at the start of the text that a model with this ``maxlen`` never reads."""
        return self.words[: self.first_read(maxlen)]


def words_seen(text: str, vocabulary: Vocabulary) -> WordsSeen:
    """The words of ``text`` (clipped to ``MAX_TEXT_CHARS``) and which of them ``vocabulary`` knows."""
    words = tuple(tokenize(clip(text)))
    return WordsSeen(words, tuple(w in vocabulary for w in words))


@dataclass(frozen=True)
class ReadingCurve:
    """A variant's probability of "positive" after each word it reads.

    ``positions`` count words of the whole text from 1, so curves of variants with
    different ``maxlen`` line up: a variant that keeps the last 100 words starts late.
    """

    variant_id: str
    positions: np.ndarray
    words: tuple[str, ...]
    probabilities: np.ndarray


def read_along(zoo: Zoo, variant_id: str, text: str) -> ReadingCurve:
    """The reading curve of one variant over ``text``, from one forward pass of its reading model.

    Its last probability is what ``zoo.classify([text], [variant_id])`` gives.

    Raises:
        ArtifactError: the variant cannot be loaded.
    """
    maxlen = zoo.artifact(variant_id).spec.maxlen
    text = clip(text)
    words = tokenize(text)
    read = words[-maxlen:]
    x = zoo.vocabulary(variant_id).encode([text], maxlen)[0]
    probabilities = reading_curve(zoo.reader(variant_id), x, len(read))
    start = len(words) - len(read) + 1
    return ReadingCurve(variant_id, np.arange(start, len(words) + 1), tuple(read), probabilities)


def count_positive(probabilities: Mapping[str, float]) -> int:
    """How many of the variants' probabilities say "positive"."""
    return sum(p > THRESHOLD for p in probabilities.values())
