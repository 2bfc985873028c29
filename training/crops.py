"""Random word windows of the training reviews, so that short texts are in-distribution.

A visitor types one or two sentences; a model that saw only whole reviews (median about
230 words) has rarely seen a 15-word input. The tuned recipe adds, each epoch, a random
window cut from a fraction of the training reviews, labelled as its review.
"""

from __future__ import annotations

import keras
import numpy as np

from zoo.catalog import Recipe
from zoo.text import pad

MIN_CROP_WORDS = 5
MAX_CROP_WORDS = 60


class CroppedReviews(keras.utils.PyDataset):
    """Every training review, plus a fresh random window of ``crop_fraction`` of them each epoch."""

    def __init__(self, sequences: list[list[int]], labels: np.ndarray, maxlen: int, recipe: Recipe, seed: int):
        super().__init__()
        self.sequences, self.labels, self.maxlen = sequences, labels, maxlen
        self.batch_size, self.fraction = recipe.batch_size, recipe.crop_fraction
        self.full = pad(sequences, maxlen)
        self.rng = np.random.default_rng(seed)
        self.on_epoch_end()

    def on_epoch_end(self) -> None:
        n = len(self.sequences)
        chosen = self.rng.choice(n, size=int(n * self.fraction), replace=False)
        crops = []
        for i in chosen:
            seq = self.sequences[i]
            length = int(self.rng.integers(MIN_CROP_WORDS, MAX_CROP_WORDS + 1))
            start = int(self.rng.integers(0, max(1, len(seq) - length + 1)))
            crops.append(seq[start : start + length])
        self.x = np.concatenate([self.full, pad(crops, self.maxlen)])
        self.y = np.concatenate([self.labels, self.labels[chosen]])
        self.order = self.rng.permutation(len(self.x))

    def __len__(self) -> int:
        return -(-len(self.order) // self.batch_size)

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.x[rows], self.y[rows]
