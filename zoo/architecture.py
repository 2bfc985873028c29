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
