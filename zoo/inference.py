"""Running a loaded model: probabilities for a batch, and the reading curve of one text."""

from __future__ import annotations

import threading
import weakref

import numpy as np

#: The batch shapes a model's compiled forward pass meets: inputs are padded with all-padding
#: rows up to the first size that holds them, and longer inputs go through in chunks of the
#: last one. Each shape is compiled once per model (about half a second), so there are few.
BATCH_SIZES = (1, 16, 256)

#: A probability of "positive" above this is read as a positive review.
THRESHOLD = 0.5


def label(p: float) -> str:
    """The label a probability of "positive" stands for: ``"positive"`` or ``"negative"``."""
    return "positive" if p > THRESHOLD else "negative"


def probabilities(model, x: np.ndarray, *, compiled: bool = True) -> np.ndarray:
    """The probability of "positive" for each encoded row of ``x`` (shape ``(n, maxlen)``).

    ``compiled=False`` runs the plain graph forward pass (``plain_forward``) instead of the XLA one.
    """
    return _outputs(model, x, compiled)[:, -1, 0] if len(x) else np.zeros(0, dtype=np.float32)


def _outputs(model, x: np.ndarray, compiled: bool = True) -> np.ndarray:
    """``model``'s outputs for the rows of ``x``, as ``(n, steps, units)`` (steps 1 when it
    gives one output per row), through its forward pass in ``BATCH_SIZES`` chunks."""
    forward = compiled_forward(model) if compiled else plain_forward(model)
    x = np.asarray(x, dtype=np.int32)
    size = next((b for b in BATCH_SIZES if b >= len(x)), BATCH_SIZES[-1])
    parts = []
    for start in range(0, len(x), size):
        chunk = x[start : start + size]
        if len(chunk) < size:
            chunk = np.concatenate([chunk, np.zeros((size - len(chunk), x.shape[1]), dtype=np.int32)])
        out = np.asarray(forward(chunk), dtype=np.float32)
        parts.append(out.reshape(size, -1, out.shape[-1])[: len(x) - start])
    return np.concatenate(parts)


_FORWARD: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PLAIN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FORWARD_LOCK = threading.Lock()


def compiled_forward(model):
    """``model``'s forward pass as a TensorFlow function compiled with XLA, made once per model.

    Keras runs a recurrent layer as a TensorFlow while loop whose every step costs tens of
    microseconds of overhead; compiled with XLA, one review through a SimpleRNN at ``maxlen``
    500 takes well under a millisecond instead of about 12 (``python -m zoo benchmark``). XLA
    compiles once per input shape, hence the fixed ``BATCH_SIZES`` and ``maxlen``-wide rows.
    """
    return _graph_function(model, _FORWARD, jit_compile=xla_suits(model))


def xla_suits(model) -> bool:
    """Whether XLA speeds ``model`` up: not when it counts words (``CategoryEncoding``, the TF-IDF
    reference), which XLA turns into a dense comparison of every word with the whole vocabulary
    (minutes for the test reviews, where TensorFlow's own bincount takes seconds)."""
    import keras

    return not any(isinstance(layer, keras.layers.CategoryEncoding) for layer in model.layers)


def plain_forward(model):
    """``model``'s forward pass as a TensorFlow graph function without XLA, made once per model.

    Traced in about 0.1 s per input shape, where XLA compiles for about half a second; a run
    then takes milliseconds rather than the fraction of one the compiled pass takes. It
    answers while the compiled passes are still being made (``Zoo.warm_up``).
    """
    return _graph_function(model, _PLAIN, jit_compile=False)


def _graph_function(model, cache: weakref.WeakKeyDictionary, *, jit_compile: bool):
    """``model``'s forward pass as a ``tf.function``, made once per model and kept in ``cache``."""
    with _FORWARD_LOCK:
        forward = cache.get(model)
        if forward is None:
            import tensorflow as tf

            forward = tf.function(_Forward(model), jit_compile=jit_compile)
            cache[model] = forward
        return forward


class _Forward:
    """``model(x, training=False)``, holding the model weakly (the cache must not keep it alive).

    A callable object rather than a closure: TensorFlow counts the traces of all functions
    sharing one code object together, and warns of "excessive retracing" after five models.
    """

    def __init__(self, model):
        self.model = weakref.ref(model)

    def __call__(self, x):
        return self.model()(x, training=False)


def make_forward_pass(model, maxlen: int, batch_size: int = 1, *, compiled: bool = True) -> None:
    """Compile ``model``'s forward pass (``compiled=False``: trace its plain one) for
    ``batch_size`` rows of ``maxlen`` words now, so that the first text it reads waits for
    neither (``Zoo.warm_up`` does it for a whole zoo)."""
    _outputs(model, np.zeros((batch_size, maxlen), dtype=np.int32), compiled)


def reads_word_by_word(model) -> bool:
    """Whether ``model`` answers from the last state of a one-direction recurrent layer, so that
    its state after each word gives its answer so far: the seed's layers (Embedding, recurrent
    layers, Dense) and nothing else. An order-free model, a bidirectional one or one that pools
    its states answers only once it has read the whole text."""
    import keras

    kinds = (keras.layers.Embedding, keras.layers.RNN, keras.layers.Dense)
    return (all(isinstance(layer, kinds) for layer in model.layers)
            and any(isinstance(layer, keras.layers.RNN) for layer in model.layers))


def reading_model(model):
    """A model that outputs the probability of "positive" after every word, in one pass, when
    the model ``reads_word_by_word``; else ``model`` itself (``reading_curve`` then asks it about
    each prefix of the text).

    It shares the embedding, the recurrent weights and the output layer with ``model``;
    only the last recurrent layer is cloned with ``return_sequences=True``, and the Dense
    layer is applied to every state. Its last output equals ``model``'s output.
    """
    import keras

    if not reads_word_by_word(model):
        return model
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


def reading_curve(reader, x: np.ndarray, words: int, *, compiled: bool = True) -> np.ndarray:
    """The probability after each of the last ``words`` positions of one encoded row ``x``.

    From one pass of a reading model (``reading_model``); from a model that answers once per
    text, its answers on the text cut after each of those words (the prefixes, pre-padded
    as the text pipeline pads), in one batch.
    """
    if len(reader.outputs[0].shape) == 3:
        out = _outputs(reader, x.reshape(1, -1), compiled)[0, :, 0]
        return out[len(out) - words :] if words else out[:0]
    width = len(x)
    prefixes = np.zeros((words, width), dtype=np.int32)
    for row in range(words):
        end = width - words + row + 1  # the text up to and including this word, still pre-padded
        prefixes[row, width - end :] = x[:end]
    return probabilities(reader, prefixes, compiled=compiled)
