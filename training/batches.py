"""Training batches of reviews of similar length.

The seed pads every review to ``maxlen`` and runs the recurrent loop over all ``maxlen``
steps, though the median review is far shorter (at ``maxlen`` 500, half the steps of an
epoch are padding). Here each epoch shuffles the reviews, sorts them by length within
windows of ``SORT_WINDOW_BATCHES`` batches, cuts the windows into batches of the recipe's
size and shuffles the batches. A batch holds the seed's pre-padded, pre-truncated rows, and
the training model (``training.model.FusedRNN``) starts its loop at the batch's first used
column: a batch of short reviews is a short loop. Every batch has the same ``maxlen``
columns, so the compiled training step meets one shape (an XLA compile of a few seconds;
batches cut to a few widths saved little once the model projected its inputs through the
vocabulary table, and cost one compile per width).

Every recipe reads length batches, and each computes exactly what the full rows compute:
with a mask (``mask_zero``) the padding columns are skipped anyway; without one, the
training model starts each batch from the state its padding run leads to. (Without that, a
seed-recipe stack trained on batches cut to their longest review met far shorter padding
runs than validation and serving give it, and learned worse: 4 x SimpleRNN at maxlen 500
reached a best validation accuracy of 0.73 against 0.81.)
"""

from __future__ import annotations

import numpy as np

from training.crops import random_windows
from zoo.catalog import Recipe
from zoo.text import pad

#: Reviews are sorted by length within windows of this many batches: batches of near-equal
#: lengths, while which reviews share a batch still changes from epoch to epoch.
SORT_WINDOW_BATCHES = 32


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Group rows into batches of similar length, in random order.

    Every row is in exactly one batch, and all batches but one hold ``batch_size`` rows, so an
    epoch has as many batches as the seed's.

    Args:
        lengths: the number of words of each row (counted up to ``maxlen``).

    Returns:
        The row indices of each batch.
    """
    order = rng.permutation(len(lengths))
    window = batch_size * SORT_WINDOW_BATCHES
    batches = []
    for start in range(0, len(order), window):
        part = order[start : start + window]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


#: With ``trim``, a batch keeps its used columns rounded up to a multiple of this: a few batch
#: shapes, each compiled once.
TRIM_STEP = 50


def trimmed(x: np.ndarray, step: int = TRIM_STEP) -> np.ndarray:
    """The pre-padded rows ``x`` from the first column any of them uses, the width rounded up
    to a multiple of ``step`` (at most the full width; at least one column)."""
    used = np.flatnonzero(x.any(axis=0))
    width = x.shape[1] - (used[0] if len(used) else x.shape[1] - 1)
    width = min(x.shape[1], -(-width // step) * step)
    return x[:, x.shape[1] - width :]


class ReviewBatches:
    """A fresh epoch of length batches on every iteration, as ``(x, y)`` NumPy pairs.

    With the recipe's ``crop_fraction``, each epoch also holds a random word window of that
    fraction of the reviews (see ``training.crops``), labelled as its review. With ``trim``,
    each batch is ``trimmed`` (for a model whose answer the leading padding does not change:
    ``training.model.trims_padding``).
    """

    def __init__(self, sequences: list[list[int]], labels: np.ndarray, maxlen: int, recipe: Recipe, seed: int,
                 trim: bool = False):
        self.sequences, self.labels, self.maxlen, self.trim = sequences, labels, maxlen, trim
        self.batch_size, self.crop_fraction = recipe.batch_size, recipe.crop_fraction
        self.padded = pad(sequences, maxlen)
        self.lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        rows = len(self.sequences) + int(len(self.sequences) * self.crop_fraction)
        return -(-rows // self.batch_size)

    def __iter__(self):
        x, y, lengths = self.padded, self.labels, self.lengths
        if self.crop_fraction:
            windows, chosen = random_windows(self.sequences, self.crop_fraction, self.rng)
            x = np.concatenate([x, pad(windows, self.maxlen)])
            y = np.concatenate([y, y[chosen]])
            lengths = np.concatenate([lengths, [len(w) for w in windows]])
        for rows in length_batches(np.minimum(lengths, self.maxlen), self.batch_size, self.rng):
            yield (trimmed(x[rows]) if self.trim else x[rows]), y[rows]

    def dataset(self):
        """A ``tf.data.Dataset`` over the epochs, for ``model.fit`` (each pass is a new epoch)."""
        return batch_dataset(lambda: iter(self), len(self), self.labels.dtype)


def validation_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, trim: bool):
    """The rows ``x`` (shortest first) in batches of ``batch_size``, each ``trimmed`` with ``trim``."""
    def batches():
        for start in range(0, len(x), batch_size):
            rows = x[start : start + batch_size]
            yield (trimmed(rows) if trim else rows), y[start : start + batch_size]

    return batch_dataset(batches, -(-len(x) // batch_size), y.dtype)


def batch_dataset(batches, count: int, label_dtype):
    """A ``tf.data.Dataset`` of the ``(x, y)`` pairs ``batches()`` yields, ``count`` of them."""
    import tensorflow as tf

    signature = (
        tf.TensorSpec(shape=(None, None), dtype=tf.int32),
        tf.TensorSpec(shape=(None,), dtype=tf.as_dtype(label_dtype)),
    )
    data = tf.data.Dataset.from_generator(batches, output_signature=signature)
    return data.apply(tf.data.experimental.assert_cardinality(count)).prefetch(2)
