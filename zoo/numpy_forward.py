"""A variant's forward pass in NumPy, read from its artifact's own weights, without TensorFlow.

A fresh server spends seconds importing TensorFlow and Keras before its first model can
answer. A ``.keras`` file is a zip holding ``config.json`` (the layers and their options) and
``model.weights.h5`` (the weights, read here with h5py, a Keras dependency), so the zoo's small
networks can be run before Keras is there: ``Zoo.first_answers`` gives a fresh server's first
answers from here while the models load. The answers are Keras' own to within float32 rounding
(``tests/test_numpy_forward.py`` compares them on every bundled variant).

Only the layers and options the zoo's variants are built from (``training.model.build_model``)
are run; a model with anything else raises ``NotRunnable``, and its answer waits for Keras.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .artifact import MODEL_FILE, Artifact, ArtifactError

#: A layer as NumPy: (its input, the input's mask or None) -> (its output, the output's mask).
Layer = Callable[[np.ndarray, "np.ndarray | None"], "tuple[np.ndarray, np.ndarray | None]"]


class NotRunnable(Exception):
    """The model holds a layer or an option this module does not run (its answer waits for Keras)."""


@dataclass(frozen=True)
class NumpyModel:
    """A variant's network as one NumPy function per layer, with its artifact's weights."""

    layers: tuple[Layer, ...]

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """The probability of "positive" for each encoded row of ``x`` (shape ``(n, maxlen)``)."""
        out, mask = np.asarray(x, dtype=np.int64), None
        for layer in self.layers:
            out, mask = layer(out, mask)
        return out[:, 0].astype(np.float32)


def read_model(artifact: Artifact) -> NumpyModel:
    """The variant's network, from the bytes of its ``model.keras`` that pass its recorded checksum.

    Raises:
        ArtifactError: the file fails its checksum or cannot be read (as ``Artifact.load_model``).
        NotRunnable: the model holds a layer or option this module does not run.
    """
    data = artifact.checked_bytes(MODEL_FILE)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            config = json.loads(archive.read("config.json"))
            weights = _read_weights(archive.read("model.weights.h5"))
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise ArtifactError(f"{artifact.id}: cannot load {MODEL_FILE}: {error}") from error
    if not isinstance(config, dict) or config.get("class_name") != "Sequential":
        raise NotRunnable(f"{artifact.id}: not a Sequential model")
    layers = []
    try:
        for layer in config["config"]["layers"]:
            kind, options = layer["class_name"], layer["config"]
            if kind == "InputLayer":
                continue
            if kind not in _BUILDERS:
                raise NotRunnable(f"{artifact.id}: a {kind} layer")
            layers.append(_BUILDERS[kind](options, weights.get(options["name"], {})))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        # Not what the zoo's trainer writes: Keras' own loading will say what is wrong with it.
        raise NotRunnable(f"{artifact.id}: an unexpected config or weights ({error!r})") from error
    return NumpyModel(tuple(layers))


def _read_weights(data: bytes) -> dict[str, dict[str, list[np.ndarray]]]:
    """Each layer's weights by the layer's name, as ``{path in the layer: [arrays in order]}``:
    ``"vars"`` for a Dense layer, ``"cell/vars"`` for a recurrent one, ``"forward_layer/cell/vars"``..."""
    import h5py

    weights = {}
    with h5py.File(io.BytesIO(data), "r") as file:
        for group in file["layers"].values():
            found: dict[str, list[np.ndarray]] = {}

            def keep(path: str, item) -> None:
                if path.split("/")[-1] == "vars" and isinstance(item, h5py.Group):
                    found[path] = [np.asarray(item[str(i)]) for i in range(len(item))]

            keep("vars", group["vars"])
            group.visititems(keep)
            weights[str(group["vars"].attrs["name"])] = found
    return weights


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise NotRunnable(what)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-x) is inf for a very negative x: the answer is then 0, rightly
        return 1 / (1 + np.exp(-x))


def _embedding(options: dict, weights: dict) -> Layer:
    (table,) = weights["vars"]
    mask_zero = options.get("mask_zero", False)
    return lambda x, mask: (table[x], x != 0 if mask_zero else None)


def _dense(options: dict, weights: dict) -> Layer:
    activation = options.get("activation", "linear")
    _require(activation in ("sigmoid", "linear") and options.get("use_bias", True), f"Dense({activation})")
    kernel, bias = weights["vars"]
    return lambda x, mask: ((_sigmoid if activation == "sigmoid" else np.asarray)(x @ kernel + bias), None)


def _dropout(options: dict, weights: dict) -> Layer:
    return lambda x, mask: (x, mask)  # inference: dropout does nothing


def _mean(options: dict, weights: dict) -> Layer:
    """``GlobalAveragePooling1D``: the mean over the steps, the masked ones left out."""
    _require(options.get("data_format", "channels_last") == "channels_last" and not options.get("keepdims"),
             "GlobalAveragePooling1D options")

    def run(x: np.ndarray, mask: np.ndarray | None):
        if mask is None:
            return x.mean(axis=1), None
        weight = mask.astype(x.dtype)[:, :, None]
        return (x * weight).sum(axis=1) / weight.sum(axis=1), None
    return run


def _counts(options: dict, weights: dict) -> Layer:
    """``CategoryEncoding(output_mode="count")``: how often each vocabulary index occurs."""
    _require(options.get("output_mode") == "count" and not options.get("sparse"), "CategoryEncoding options")
    size = options["num_tokens"]
    return lambda x, mask: (np.stack([np.bincount(row, minlength=size) for row in x]).astype(np.float32), None)


def _rescaling(options: dict, weights: dict) -> Layer:
    def value(v):  # a number, or an array saved as {"class_name": "__numpy__", "config": {"value": [...]}}
        return np.asarray(v["config"]["value"] if isinstance(v, dict) else v, dtype=np.float32)
    scale, offset = value(options["scale"]), value(options.get("offset", 0.0))
    return lambda x, mask: (x * scale + offset, mask)


def _unit_norm(options: dict, weights: dict) -> Layer:
    """``UnitNormalization``: ``x * min(1 / sqrt(sum(x²)), 1e12)``, as Keras computes it."""
    _require(options.get("axis", -1) in (-1, [-1]), "UnitNormalization axis")

    def run(x: np.ndarray, mask: np.ndarray | None):
        with np.errstate(divide="ignore"):
            inverse = np.minimum(1 / np.sqrt((x * x).sum(axis=-1, keepdims=True)), np.float32(1e12))
        return (x * inverse).astype(np.float32), mask
    return run


@dataclass(frozen=True)
class _Cell:
    """A recurrent cell: the input's share of every step (``project``, all steps at once), and one
    step from it and the states (``step``, returning the output and the new states)."""

    units: int
    states: int
    project: Callable[[np.ndarray], np.ndarray]
    step: Callable[[np.ndarray, tuple], tuple[np.ndarray, tuple]]


def _cell(kind: str, options: dict, weights: list[np.ndarray]) -> _Cell:
    """The step of a ``SimpleRNN``, ``LSTM`` or ``GRU`` (``reset_after``), as Keras' cells compute it."""
    _require(options.get("activation", "tanh") == "tanh" and options.get("use_bias", True)
             and options.get("recurrent_activation", "sigmoid") == "sigmoid", f"{kind} activations")
    kernel, recurrent, bias = weights
    units = options["units"]
    if kind == "SimpleRNN":
        return _Cell(units, 1, lambda x: x @ kernel + bias, lambda p, s: (h := np.tanh(p + s[0] @ recurrent), (h,)))
    if kind == "LSTM":
        def lstm(p: np.ndarray, s: tuple) -> tuple:
            z = p + s[0] @ recurrent + bias  # the gates i, f, g, o side by side
            gates = _sigmoid(z)
            c = gates[:, units : 2 * units] * s[1] + gates[:, :units] * np.tanh(z[:, 2 * units : 3 * units])
            h = gates[:, 3 * units :] * np.tanh(c)
            return h, (h, c)
        return _Cell(units, 2, lambda x: x @ kernel, lstm)
    _require(kind == "GRU" and options.get("reset_after", True), f"{kind} cell")

    def gru(p: np.ndarray, s: tuple) -> tuple:
        x_z, x_r, x_h = np.split(p, 3, axis=-1)
        r_z, r_r, r_h = np.split(s[0] @ recurrent + bias[1], 3, axis=-1)
        z, r = _sigmoid(x_z + r_z), _sigmoid(x_r + r_r)
        h = z * s[0] + (1 - z) * np.tanh(x_h + r * r_h)
        return h, (h,)
    return _Cell(units, 1, lambda x: x @ kernel + bias[0], gru)


def _read(cell: _Cell, x: np.ndarray, mask: np.ndarray | None, *, zero_output_for_mask: bool) -> np.ndarray:
    """Every step's output, ``(n, steps, units)``: a masked step keeps the states, and its output
    is zero (``zero_output_for_mask``) or the previous one, as Keras' recurrent loop does."""
    projected = cell.project(x).astype(np.float32)
    states = tuple(np.zeros((len(x), cell.units), np.float32) for _ in range(cell.states))
    output = np.zeros((len(x), cell.units), np.float32)
    outputs = []
    for t in range(x.shape[1]):
        new_output, new_states = cell.step(projected[:, t], states)
        if mask is not None:
            keep = mask[:, t, None]
            new_states = tuple(np.where(keep, new, old) for new, old in zip(new_states, states))
            new_output = np.where(keep, new_output, 0 if zero_output_for_mask else output)
        output, states = new_output.astype(np.float32), tuple(s.astype(np.float32) for s in new_states)
        outputs.append(output)
    return np.stack(outputs, axis=1) if outputs else np.zeros((len(x), 0, cell.units), np.float32)


def _recurrent(kind: str) -> Callable[[dict, dict], Layer]:
    def build(options: dict, weights: dict) -> Layer:
        _require(not options.get("go_backwards") and not options.get("return_state")
                 and not options.get("stateful"), f"{kind} options")
        cell, sequences = _cell(kind, options, weights["cell/vars"]), options.get("return_sequences", False)

        def run(x: np.ndarray, mask: np.ndarray | None):
            out = _read(cell, x, mask, zero_output_for_mask=options.get("zero_output_for_mask", False))
            return (out, mask) if sequences else (out[:, -1], None)
        return run
    return build


def _bidirectional(options: dict, weights: dict) -> Layer:
    """``Bidirectional(merge_mode="concat")`` of a layer returning sequences: the forward reading,
    and the backward one (the steps reversed, its outputs reversed back), side by side."""
    forward, backward = options["layer"], options.get("backward_layer") or options["layer"]
    kind = forward["class_name"]
    _require(options.get("merge_mode", "concat") == "concat" and backward["class_name"] == kind
             and forward["config"].get("return_sequences") and kind in ("SimpleRNN", "LSTM", "GRU"),
             "Bidirectional options")
    cells = [(_cell(kind, layer["config"], weights[f"{side}/cell/vars"]), layer["config"].get("zero_output_for_mask", True))
             for layer, side in ((forward, "forward_layer"), (backward, "backward_layer"))]

    def run(x: np.ndarray, mask: np.ndarray | None):
        (ahead, ahead_zero), (behind, behind_zero) = cells
        there = _read(ahead, x, mask, zero_output_for_mask=ahead_zero)
        back = _read(behind, x[:, ::-1], None if mask is None else mask[:, ::-1], zero_output_for_mask=behind_zero)
        return np.concatenate([there, back[:, ::-1]], axis=-1), mask
    return run


_BUILDERS: dict[str, Callable[[dict, dict], Layer]] = {
    "Embedding": _embedding, "Dense": _dense, "Dropout": _dropout, "GlobalAveragePooling1D": _mean,
    "CategoryEncoding": _counts, "Rescaling": _rescaling, "UnitNormalization": _unit_norm,
    "SimpleRNN": _recurrent("SimpleRNN"), "LSTM": _recurrent("LSTM"), "GRU": _recurrent("GRU"),
    "Bidirectional": _bidirectional,
}
