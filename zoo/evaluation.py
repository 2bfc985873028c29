"""Measuring a model on labelled reviews: full reviews, and the short texts visitors type.

Training and ``python -m zoo evaluate`` both measure through ``evaluate``, so what an
artifact claims is what anyone re-measures.
"""

from __future__ import annotations

import re

import numpy as np

from .imdb import Reviews
from .inference import THRESHOLD, probabilities
from .text import Vocabulary, standardize

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SHORT_TEXT_KINDS = ("first_sentence", "last_sentence")


def sentences(text: str) -> list[str]:
    """Split a review into sentences (after removing HTML tags), dropping empty ones."""
    return [s for s in (part.strip() for part in _SENTENCE_END.split(standardize(text))) if s]


def short_texts(reviews: Reviews) -> dict[str, Reviews]:
    """The first and the last sentence of every review, each labelled as its review."""
    split = [sentences(text) or [""] for text in reviews.texts]
    return {
        "first_sentence": Reviews([s[0] for s in split], reviews.labels),
        "last_sentence": Reviews([s[-1] for s in split], reviews.labels),
    }


def metrics(p: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Binary cross-entropy and accuracy (positive above ``THRESHOLD``) of probabilities ``p``."""
    q = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    loss = -np.mean(labels * np.log(q) + (1 - labels) * np.log(1 - q))
    accuracy = np.mean((p > THRESHOLD) == (labels == 1))
    return {"loss": round(float(loss), 5), "accuracy": round(float(accuracy), 5)}


def evaluate(model, vocabulary: Vocabulary, maxlen: int, reviews: Reviews) -> dict[str, float]:
    """Loss and accuracy of a model on raw reviews, through the zoo's text pipeline."""
    return evaluate_rows(model, vocabulary.encode(reviews.texts, maxlen), reviews.labels)


def evaluate_rows(model, x: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Loss and accuracy of a model on encoded rows ``x`` (``Vocabulary.encode``'s output),
    through the compiled serving path (``zoo.inference.probabilities``)."""
    return metrics(probabilities(model, x), labels)


def evaluate_short_texts(model, vocabulary: Vocabulary, maxlen: int, reviews: Reviews) -> dict[str, float]:
    """Accuracy on the first and on the last sentence of each review."""
    return {
        kind: evaluate(model, vocabulary, maxlen, subset)["accuracy"]
        for kind, subset in short_texts(reviews).items()
    }
