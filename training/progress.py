"""What the training commands print while they work: durations and the corpus they read."""

from __future__ import annotations

import time

from training.corpus import Corpus


def duration(seconds: float) -> str:
    """``"4m05s"``, or ``"1h02m03s"`` from an hour on."""
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s"


def corpus_summary(corpus: Corpus, started: float) -> str:
    """The line the command prints once the reviews are read: split sizes, vocabulary, time taken."""
    return (f"{len(corpus.train)} training, {len(corpus.validation)} validation, {len(corpus.test)} test reviews; "
            f"vocabulary of {len(corpus.vocabulary)} ({duration(time.perf_counter() - started)} to read and encode)")
