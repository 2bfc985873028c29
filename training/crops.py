"""Random word windows of the training reviews, so that short texts are in-distribution.

A visitor types one or two sentences; a model that saw only whole reviews (the median
training review has 174 words, as every artifact records in ``metadata["data"]["median_train_words"]``)
has rarely seen a 15-word input. The tuned recipe adds, each epoch, a random
window cut from a fraction of the training reviews, labelled as its review
(``training.batches.ReviewBatches`` draws them).
"""

from __future__ import annotations

import numpy as np

MIN_CROP_WORDS = 5
MAX_CROP_WORDS = 60


def random_windows(sequences: list[list[int]], fraction: float, rng: np.random.Generator) -> tuple[list[list[int]], np.ndarray]:
    """One random window of ``MIN_CROP_WORDS``..``MAX_CROP_WORDS`` words from each of a random
    ``fraction`` of ``sequences``.

    Returns:
        The windows, and the index of the sequence each was cut from (for its label).
    """
    n = len(sequences)
    chosen = rng.choice(n, size=int(n * fraction), replace=False)
    windows = []
    for i in chosen:
        seq = sequences[i]
        length = int(rng.integers(MIN_CROP_WORDS, MAX_CROP_WORDS + 1))
        start = int(rng.integers(0, max(1, len(seq) - length + 1)))
        windows.append(seq[start : start + length])
    return windows, chosen
