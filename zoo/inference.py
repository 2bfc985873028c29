"""Running a loaded model: probabilities for a batch, and the reading curve of one text."""

from __future__ import annotations

import numpy as np

#: Up to this many rows go through one compiled call; larger inputs are streamed in batches.
SMALL_BATCH = 256
LARGE_BATCH = 1024

#: A probability of "positive" above this is read as a positive review.
THRESHOLD = 0.5


def label(p: float) -> str:
    """The label a probability of "positive" stands for: ``"positive"`` or ``"negative"``."""
    return "positive" if p > THRESHOLD else "negative"


def probabilities(model, x: np.ndarray) -> np.ndarray:
    """The probability of "positive" for each encoded row of ``x`` (shape ``(n, maxlen)``)."""
    if len(x) == 0:
        return np.zeros(0, dtype=np.float32)
    if len(x) <= SMALL_BATCH:
        # predict_on_batch reuses one compiled function across calls; predict() would
        # build a new data pipeline on every call, which dominates for a single text.
        out = model.predict_on_batch(x)
    else:
        out = model.predict(x, batch_size=LARGE_BATCH, verbose=0)
    return np.asarray(out, dtype=np.float32).reshape(-1)


def reading_model(model):
    """A model that outputs the probability of "positive" after every word, in one pass.

    It shares the embedding, the recurrent weights and the output layer with ``model``;
    only the last recurrent layer is cloned with ``return_sequences=True``, and the Dense
    layer is applied to every state. Its last output equals ``model``'s output.
    """
    import keras

    inputs = keras.Input(shape=model.inputs[0].shape[1:], dtype="int32")
    x = inputs
    for layer in model.layers:
        if isinstance(layer, keras.layers.RNN) and not layer.return_sequences:
            config = layer.get_config() | {"return_sequences": True}
            clone = type(layer).from_config(config)
            x = clone(x)
            clone.set_weights(layer.get_weights())
        else:
            x = layer(x)
    return keras.Model(inputs, x)


def reading_curve(reader, x: np.ndarray, words: int) -> np.ndarray:
    """The probability after each of the last ``words`` positions of one encoded row ``x``."""
    out = np.asarray(reader.predict_on_batch(x.reshape(1, -1)), dtype=np.float32).reshape(-1)
    return out[len(out) - words :] if words else out[:0]
