"""What a model makes of one text: the words it sees, its opinion after each word, how much
each word moves its answer (occlusion), and what its recurrent layers hold after each word.

These are the facts the app's "What the model sees", "Sentiment as it reads" and "What they
can do" sections show; they go through the same text pipeline as ``Zoo.classify``, so what is shown is
what the models read.
"""

from __future__ import annotations

import functools
import threading
import weakref
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
    #: The padding steps read before the first word (a text shorter than ``maxlen``), and the
    #: probability of "positive" after them (None without padding).
    padding: int = 0
    after_padding: float | None = None


def read_along(zoo: Zoo, variant_id: str, text: str) -> ReadingCurve:
    """The reading curve of one variant over ``text``, from one forward pass of its reading model
    (with, for a text shorter than its ``maxlen``, where the padding before the text left it).

    Its last probability is what ``zoo.classify([text], [variant_id])`` gives.

    Raises:
        ArtifactError: the variant cannot be loaded.
    """
    maxlen = zoo.artifact(variant_id).spec.maxlen
    text = clip(text)
    words = tokenize(text)
    read = words[-maxlen:]
    x = zoo.vocabulary(variant_id).encode([text], maxlen)[0]
    padding = maxlen - len(read)
    steps = len(read) + (1 if padding else 0)  # and the step before the first word: the padding's last
    probabilities = reading_curve(zoo.reader(variant_id), x, steps, compiled=zoo.compiled(variant_id))
    after_padding = float(probabilities[0]) if padding else None
    start = len(words) - len(read) + 1
    return ReadingCurve(variant_id, np.arange(start, len(words) + 1), tuple(read), probabilities[steps - len(read):],
                        padding, after_padding)


def count_positive(probabilities: Mapping[str, float]) -> int:
    """How many of the variants' probabilities say "positive"."""
    return sum(p > THRESHOLD for p in probabilities.values())


# --------------------------------------------------------------------------- word importance


@dataclass(frozen=True)
class WordImportance:
    """How much each word the variant reads moves its answer: P(positive) of the whole text minus
    P(positive) with that one word removed (positive: the word pushes towards "positive").

    ``words`` are the words the variant reads (its last ``maxlen``), ``positions`` their place
    in the whole text counting from 1; removing a word lets the word before the window slide in,
    as it would for a text without that word.
    """

    variant_id: str
    p_positive: float
    positions: np.ndarray
    words: tuple[str, ...]
    deltas: np.ndarray


def word_importance(zoo: Zoo, variant_id: str, text: str) -> WordImportance:
    """Each read word's occlusion importance for one variant, from ONE batch through its model:
    the whole text and every copy with one word removed go through the compiled forward pass
    together.

    Raises:
        ArtifactError: the variant cannot be loaded.
    """
    from .inference import probabilities
    from .text import pad

    maxlen = zoo.artifact(variant_id).spec.maxlen
    words = tokenize(clip(text))
    ids = zoo.vocabulary(variant_id).lookup(words)
    first = max(0, len(words) - maxlen)
    rows = [ids] + [ids[:i] + ids[i + 1 :] for i in range(first, len(words))]
    p = probabilities(zoo.model(variant_id), pad(rows, maxlen)).astype(np.float64)
    return WordImportance(variant_id, float(p[0]), np.arange(first + 1, len(words) + 1), tuple(words[first:]), p[0] - p[1:])


# --------------------------------------------------------------------------- hidden states


@dataclass(frozen=True)
class HiddenStates:
    """What a variant's recurrent layers hold after each word it reads, from one forward pass.

    ``states`` maps a state's name (``"layer 1"``, ..., and for an LSTM also ``"layer 1 cell"``)
    to a ``(words, units)`` array; ``p_positive`` is the output after each word (the reading
    curve), the number each unit is correlated with in ``unit_order``.
    """

    variant_id: str
    positions: np.ndarray
    words: tuple[str, ...]
    states: dict[str, np.ndarray]
    p_positive: np.ndarray

    def correlations(self, name: str) -> np.ndarray:
        """Each unit's correlation over the words with the output (0 for a unit that never moves)."""
        values = self.states[name]
        if len(self.words) < 2:
            return np.zeros(values.shape[1])
        centred = values - values.mean(axis=0)
        output = self.p_positive - self.p_positive.mean()
        norms = np.sqrt((centred**2).sum(axis=0) * (output**2).sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(norms > 1e-12, centred.T @ output / norms, 0.0)

    def unit_order(self, name: str) -> np.ndarray:
        """Unit indices from the most positively to the most negatively correlated with the output."""
        return np.argsort(-self.correlations(name), kind="stable")


def state_names(model) -> list[str]:
    """The names ``HiddenStates.states`` uses for ``model``'s recurrent layers, in order (none
    for an order-free model; a bidirectional layer's two directions each have their own)."""
    import keras

    names = []
    recurrent = (keras.layers.RNN, keras.layers.Bidirectional)
    for number, layer in enumerate((l for l in model.layers if isinstance(l, recurrent)), start=1):
        if isinstance(layer, keras.layers.Bidirectional):
            names += [f"layer {number} forward", f"layer {number} backward"]
            continue
        names.append(f"layer {number}")
        if isinstance(layer, keras.layers.LSTM):
            names.append(f"layer {number} cell")
    return names


def hidden_states(zoo: Zoo, variant_id: str, text: str) -> HiddenStates:
    """Every recurrent layer's state (and an LSTM's cell state) after each word the variant reads.

    Raises:
        ArtifactError: the variant cannot be loaded.
    """
    from .text import pad

    model = zoo.model(variant_id)
    maxlen = zoo.artifact(variant_id).spec.maxlen
    words = tokenize(clip(text))
    read = words[-maxlen:] if words else []
    x = pad([zoo.vocabulary(variant_id).lookup(words)], maxlen)
    *states, p = [np.asarray(o, dtype=np.float32) for o in _states_forward(model)(x)]
    states = [values[0, maxlen - len(read) :] for values in states]
    if p.ndim == 3:
        p = p[0, maxlen - len(read) :, 0]
    else:  # a model that answers once per text: its answer on each prefix
        p = reading_curve(zoo.reader(variant_id), x[0], len(read))
    start = len(words) - len(read) + 1
    return HiddenStates(variant_id, np.arange(start, len(words) + 1), tuple(read),
                        dict(zip(state_names(model), states)), p.astype(np.float64))


_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _states_forward(model):
    """``states_model(model)``, compiled with XLA, built once per model (forgotten with the model,
    as ``inference.compiled_forward`` is)."""
    import tensorflow as tf

    with _STATES_LOCK:
        forward = _STATES.get(model)
        if forward is None:
            forward = tf.function(_StatesForward(states_model(model)), jit_compile=True)
            _STATES[model] = forward
        return forward


class _StatesForward:
    """A callable object rather than a lambda: TensorFlow counts the traces of all functions
    sharing one code object together (see ``inference._Forward``)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        return self.model(x, training=False)


def states_model(model):
    """A model giving, for each word, every recurrent layer's output (an LSTM's cell state too)
    and the probability of "positive", from the same weights as ``model``.

    Each recurrent layer is cloned with ``return_sequences=True``; an LSTM runs its own cell
    inside ``CellStates``, which also outputs the cell state ``c`` after each step. Outputs:
    the states in ``state_names(model)`` order, then the probability after each word.
    """
    import keras

    inputs = keras.Input(shape=model.inputs[0].shape[1:], dtype="int32")
    x, outputs = inputs, []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            config = layer.get_config()
            config["layer"]["config"]["return_sequences"] = True
            clone = keras.layers.Bidirectional.from_config(config)
            both = clone(x)
            clone.set_weights(layer.get_weights())
            units = layer.forward_layer.cell.units
            outputs += [both[..., :units], both[..., units:]]
            x = both if layer.return_sequences else layer(x)
        elif isinstance(layer, keras.layers.RNN):
            config = layer.get_config() | {"return_sequences": True}
            if isinstance(layer, keras.layers.LSTM):
                clone = keras.layers.RNN(_cell_states_class()(keras.layers.LSTMCell.from_config(layer.cell.get_config())),
                                         return_sequences=True)
                both = clone(x)
                clone.set_weights(layer.get_weights())
                units = layer.cell.units
                x = both[..., :units]
                outputs += [x, both[..., units:]]
            else:
                clone = type(layer).from_config(config)
                x = clone(x)
                clone.set_weights(layer.get_weights())
                outputs.append(x)
        else:
            x = layer(x)
    return keras.Model(inputs, [*outputs, x])


@functools.cache
def _cell_states_class():
    """The ``CellStates`` layer class (made on first use, so importing this module does not import Keras)."""
    import keras

    class CellStates(keras.layers.Layer):
        """An LSTM cell whose output is its hidden state ``h`` and its cell state ``c``, side by side."""

        def __init__(self, cell, **kwargs):
            super().__init__(**kwargs)
            self.cell = cell
            self.state_size = cell.state_size
            self.output_size = 2 * cell.units

        def build(self, input_shape):
            self.cell.build(input_shape)
            self.built = True

        def call(self, inputs, states, training=False):
            h, (h, c) = self.cell(inputs, states, training=training)
            return keras.ops.concatenate([h, c], axis=-1), [h, c]

        def get_initial_state(self, batch_size=None):
            return self.cell.get_initial_state(batch_size)

    return CellStates

