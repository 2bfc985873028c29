"""A loaded model's layers as ``model.summary()`` lists them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayerRow:
    """One line of ``model.summary()``: ``"name (Type)"``, output shape and parameter count."""

    layer: str
    output_shape: str
    params: int


def layer_rows(model) -> list[LayerRow]:
    """Every layer of ``model`` in order, with its output shape (``None`` for open sizes) and parameters."""
    return [
        LayerRow(f"{layer.name} ({type(layer).__name__})", str(tuple(layer.output.shape)), layer.count_params())
        for layer in model.layers
    ]


#: How many times a recurrent cell repeats the SimpleRNN's weights: one set per gate (the GRU's
#: update and reset gates and its candidate state; the LSTM's input, forget and output gates and
#: its candidate cell).
GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}


@dataclass(frozen=True)
class CellArithmetic:
    """The parameters of one recurrent cell: ``gates × units × (inputs + units + biases)``.

    ``biases`` is 1, or 2 for a GRU with ``reset_after=True`` (Keras 3's default), which keeps
    one bias for its input and one for its recurrent product."""

    cell: str
    inputs: int
    units: int
    biases: int = 1

    @property
    def gates(self) -> int:
        return GATES[self.cell]

    @property
    def params(self) -> int:
        return self.gates * self.units * (self.inputs + self.units + self.biases)


@dataclass(frozen=True)
class RecurrentLayer:
    """A recurrent layer of a model: its name, its cell's arithmetic, how many directions it reads
    (2 for a bidirectional layer) and the parameters Keras counts for it."""

    name: str
    cell: CellArithmetic
    directions: int
    params: int


def recurrent_layers(model) -> list[RecurrentLayer]:
    """The recurrent layers of ``model`` (plain or bidirectional), each with its arithmetic."""
    import keras

    found = []
    for layer in model.layers:
        directions, rnn = 1, layer
        if isinstance(layer, keras.layers.Bidirectional):
            directions, rnn = 2, layer.forward_layer
        if not isinstance(rnn, keras.layers.RNN):
            continue
        cell = type(rnn).__name__
        biases = 2 if cell == "GRU" and rnn.cell.reset_after else 1
        found.append(RecurrentLayer(layer.name, CellArithmetic(cell, int(rnn.cell.kernel.shape[0]), rnn.cell.units, biases),
                                    directions, layer.count_params()))
    return found


def cells_compared(inputs: int, units: int) -> list[CellArithmetic]:
    """The three cells at the same sizes, as Keras 3 builds them (its GRU: ``reset_after=True``)."""
    return [CellArithmetic("SimpleRNN", inputs, units), CellArithmetic("GRU", inputs, units, biases=2),
            CellArithmetic("LSTM", inputs, units)]
