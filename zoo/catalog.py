"""The variant catalog: every member of the zoo, declared once.

A ``VariantSpec`` fully names a zoo member: its architecture (cell, depth, units, the
embedding) and its training recipe. The seed recipe has the tutorial's architecture and
hyperparameters; how every variant's training still differs from the tutorial's
``model.fit`` is ``TRAINING_DIFFERENCES``. The tuned recipe records each change from the seed's.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields

CELLS = ("SimpleRNN", "LSTM", "GRU")
NUM_WORDS = 10_000
EMBEDDING_DIM = 32
UNITS = 32


@dataclass(frozen=True)
class Recipe:
    """How a variant is trained. The defaults are the seed tutorial's hyperparameters (how the training
    itself differs from its model.fit: ``TRAINING_DIFFERENCES``)."""

    name: str = "seed"
    optimizer: str = "rmsprop"
    learning_rate: float = 0.001
    clipnorm: float | None = None
    #: Validate and keep an exponential moving average of the weights (None: plain weights).
    ema_momentum: float | None = None
    epochs: int = 10
    batch_size: int = 128
    validation_split: float = 0.2
    mask_zero: bool = False
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    #: Stop after this many epochs without a better validation accuracy (None: run all epochs).
    patience: int | None = None
    #: Also train on random word windows of the training reviews, so that short texts are
    #: in-distribution (0: no crops).
    crop_fraction: float = 0.0
    #: What changed from the seed recipe and why, in words, for the model card.
    changes: tuple[str, ...] = ()


SEED_RECIPE = Recipe()

#: What the seed recipe shares with the tutorial, in the words the README and the model cards use.
SEED_RECIPE_CLAIM = "the tutorial's architecture and hyperparameters"
#: How the training of every variant differs from the tutorial's ``model.fit``, one line each
#: (see ``training/``): written once here, printed in the model cards and quoted by the README
#: (``tests/test_catalog.py`` holds them equal).
TRAINING_DIFFERENCES = (
    "tokenizer and vocabulary: the zoo's own text pipeline (zoo.text) reads the raw reviews, and the "
    "10,000 words are the most frequent in the training part, not Keras' pre-built IMDB word index",
    "validation split: a seeded shuffle of the 25,000 training reviews holds out 20%, where "
    "validation_split=0.2 holds out the last 20% of the arrays as given",
    "batches of similar lengths: each epoch sorts the shuffled reviews by length within windows of "
    "batches, then shuffles the batches (training.batches)",
    "the fused kernel: a training model that runs the recurrent loop from each batch's first used column, "
    "with SimpleRNN's backward pass written out, computing what the Keras layers compute (training.model)",
    "restoring the best epoch: the weights of the best validation epoch are kept, where model.fit ends "
    "with the last epoch's",
)


@dataclass(frozen=True)
class VariantSpec:
    """One zoo member: ``Embedding(num_words, embedding_dim)`` → ``layers`` × ``cell(units)`` → ``Dense(1, sigmoid)``."""

    cell: str
    layers: int
    maxlen: int
    units: int = UNITS
    num_words: int = NUM_WORDS
    embedding_dim: int = EMBEDDING_DIM
    recipe: Recipe = field(default_factory=Recipe)

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, not {self.cell!r}")

    @property
    def id(self) -> str:
        """A stable id such as ``simplernn-2x32-len200`` (``-tuned`` for a non-seed recipe)."""
        suffix = "" if self.recipe.name == "seed" else f"-{self.recipe.name}"
        return f"{self.cell.lower()}-{self.layers}x{self.units}-len{self.maxlen}{suffix}"

    def to_dict(self) -> dict:
        return {"id": self.id, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict) -> VariantSpec:
        """The spec a ``to_dict`` wrote, read back and checked field by field.

        A recipe field this version does not know is ignored (see ``ignored_fields``): the
        recipe says how a model was trained, never how it reads a text. An unknown field of
        the spec itself may change how texts are encoded, so it is refused.

        Raises:
            ValueError: a field is missing, unknown (outside the recipe) or of the wrong type;
                the message names it.
        """
        if not isinstance(data, dict):
            raise ValueError(f"spec is {type(data).__name__}, not an object")
        data = {k: v for k, v in data.items() if k != "id"}
        recipe = data.pop("recipe", {})
        if not isinstance(recipe, dict):
            raise ValueError(f"spec.recipe is {type(recipe).__name__}, not an object")
        recipe = {k: v for k, v in recipe.items() if k in _FIELD_TYPES[Recipe]}
        _check_fields(VariantSpec, data, "spec", exclude=("recipe",))
        _check_fields(Recipe, recipe, "spec.recipe")
        recipe["changes"] = tuple(recipe.get("changes", ()))
        return cls(**data, recipe=Recipe(**recipe))

    @staticmethod
    def ignored_fields(data: dict) -> list[str]:
        """The recipe fields of a spec dict that ``from_dict`` ignores, as ``spec.recipe.NAME``."""
        recipe = data.get("recipe") if isinstance(data, dict) else None
        if not isinstance(recipe, dict):
            return []
        return [f"spec.recipe.{name}" for name in recipe if name not in _FIELD_TYPES[Recipe]]


#: Each field's type, from the annotations (``float | None``, ``tuple[str, ...]``...).
_FIELD_TYPES = {kind: typing.get_type_hints(kind) for kind in (Recipe, VariantSpec)}


def _check_fields(kind: type, data: dict, where: str, exclude: tuple[str, ...] = ()) -> None:
    """Raise ``ValueError`` naming the first field of ``data`` that ``kind`` lacks, or whose
    value has the wrong type, or a field without a default that ``data`` lacks."""
    hints = {name: hint for name, hint in _FIELD_TYPES[kind].items() if name not in exclude}
    for name, value in data.items():
        if name not in hints:
            raise ValueError(f"unknown field {where}.{name} (written by a newer version of the zoo?)")
        if not _has_type(value, hints[name]):
            raise ValueError(f"{where}.{name} is {value!r}, not {_type_name(hints[name])}")
    required = [f.name for f in fields(kind) if f.name in hints and f.default is f.default_factory is MISSING]
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}")


def _has_type(value, hint) -> bool:
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_has_type(value, arg) for arg in typing.get_args(hint))
    if origin is tuple:
        return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)
    return isinstance(value, hint)


def _type_name(hint) -> str:
    if typing.get_origin(hint) is tuple:
        return "a list of strings"
    return hint.__name__ if isinstance(hint, type) else str(hint)


TUNED_RECIPE = Recipe(
    name="tuned",
    learning_rate=5e-4,
    clipnorm=1.0,
    ema_momentum=0.99,
    epochs=20,
    mask_zero=True,
    patience=4,
    crop_fraction=0.5,
    changes=(
        "padding is masked (Embedding mask_zero=True): the cell skips the padding run, so a "
        "short text reads the same as a long one",
        "learning rate 5e-4 with gradient clipping (clipnorm=1): SimpleRNN gradients explode "
        "on long sequences with the default rmsprop step",
        "weights averaged over steps (EMA, momentum 0.99); the averaged weights are validated and kept",
        "up to 20 epochs, stopping 4 epochs after the best validation accuracy",
        "each epoch also trains on random windows cut from half of the training reviews, so "
        "that one- and two-sentence inputs are in-distribution",
        "maxlen 300 instead of 500",
    ),
)

CATALOG: tuple[VariantSpec, ...] = (
    *(VariantSpec("SimpleRNN", layers, maxlen) for layers in (1, 2, 4) for maxlen in (100, 200, 500)),
    VariantSpec("LSTM", 1, 500),
    VariantSpec("GRU", 1, 500),
    VariantSpec("SimpleRNN", 1, 300, recipe=TUNED_RECIPE),
)

BY_ID: dict[str, VariantSpec] = {spec.id: spec for spec in CATALOG}


def get(variant_id: str) -> VariantSpec:
    """The catalog spec of ``variant_id``; raises ``KeyError`` with the known ids."""
    try:
        return BY_ID[variant_id]
    except KeyError:
        raise KeyError(f"unknown variant {variant_id!r}; known: {', '.join(BY_ID)}") from None
