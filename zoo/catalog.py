"""The variant catalog: every member of the zoo, declared once.

A ``VariantSpec`` fully names a zoo member: its architecture (cell, depth, units, the
embedding, one or both reading directions, what the classifier reads of the states) and its
training recipe. The seed recipe has the tutorial's architecture and hyperparameters; how every
variant's training still differs from the tutorial's ``model.fit`` is ``TRAINING_DIFFERENCES``.
The tuned recipes record each change from the seed's.

Most members read a review word by word, in order (a recurrent ``cell``). The order-free
references (``ORDER_FREE_CELLS``) read which words a review holds and how often, never in
which order: they are the rival a practitioner tries first, and what reading in order has to
beat. ``VariantSpec.reads_order`` tells them apart; everything that draws or explains a
variant asks it, never the cell's name.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields, replace

#: Recurrent cells: each reads the words in order, one step per word (a Keras layer of that name).
RECURRENT_CELLS = ("SimpleRNN", "LSTM", "GRU")
#: Order-free references, and the word their ids start with:
#: - ``BagOfWords``: the mean of the words' embeddings (padding masked), then ``Dense(1)``
#:   (the fastText idea);
#: - ``TfIdf``: each vocabulary word's count times its inverse document frequency,
#:   L2-normalized, then ``Dense(1)``: logistic regression on TF-IDF, built from Keras layers.
ORDER_FREE_CELLS = {"BagOfWords": "bow", "TfIdf": "tfidf"}
CELLS = (*RECURRENT_CELLS, *ORDER_FREE_CELLS)
#: What the classifier reads of the last recurrent layer's states: the last one (the seed's),
#: or their mean or their maximum over every word read.
POOLINGS = ("last", "mean", "max")
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
    """One zoo member: ``Embedding(num_words, embedding_dim)`` → ``layers`` × ``cell(units)`` → ``Dense(1, sigmoid)``.

    ``bidirectional`` reads each text forwards and backwards (Keras' ``Bidirectional``);
    ``pooling`` says what the ``Dense`` layer reads of the last recurrent layer (``POOLINGS``).
    An order-free cell (``ORDER_FREE_CELLS``) has no recurrent layers: ``layers`` is 0.
    """

    cell: str
    layers: int
    maxlen: int
    units: int = UNITS
    num_words: int = NUM_WORDS
    embedding_dim: int = EMBEDDING_DIM
    recipe: Recipe = field(default_factory=Recipe)
    bidirectional: bool = False
    pooling: str = "last"

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, not {self.cell!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, not {self.pooling!r}")
        if not self.reads_order and (self.layers or self.bidirectional or self.pooling != "last"):
            raise ValueError(f"{self.cell} reads no order: it has no recurrent layers (layers=0, one direction)")
        if self.reads_order and self.layers < 1:
            raise ValueError(f"a {self.cell} variant needs at least one layer")

    @property
    def reads_order(self) -> bool:
        """Whether the variant reads the words in order (a recurrent cell), or only which words
        a text holds (an order-free reference)."""
        return self.cell in RECURRENT_CELLS

    @property
    def id(self) -> str:
        """A stable id such as ``simplernn-2x32-len200`` (``-tuned`` for a non-seed recipe;
        ``bi`` before the depth for both directions, ``-mean``/``-max`` for pooled states);
        ``bow-32d-len500`` and ``tfidf-len1000`` for the order-free references."""
        suffix = "" if self.recipe.name in ("seed", "reference") else f"-{self.recipe.name}"
        if not self.reads_order:
            size = f"-{self.embedding_dim}d" if self.cell == "BagOfWords" else ""
            return f"{ORDER_FREE_CELLS[self.cell]}{size}-len{self.maxlen}{suffix}"
        pooled = "" if self.pooling == "last" else f"-{self.pooling}"
        both = "bi" if self.bidirectional else ""
        return f"{self.cell.lower()}-{both}{self.layers}x{self.units}-len{self.maxlen}{pooled}{suffix}"

    @property
    def architecture(self) -> str:
        """The layers in words, as a model card prints them: ``Embedding(10000, 32) → SimpleRNN(32) → Dense(1, sigmoid)``."""
        masked = ", mask_zero=True" if self.recipe.mask_zero or self.cell == "BagOfWords" else ""
        if self.cell == "TfIdf":
            layers = [f"CategoryEncoding({self.num_words}, count)", "Rescaling(inverse document frequency)",
                      "UnitNormalization"]
        elif self.cell == "BagOfWords":
            layers = [f"Embedding({self.num_words}, {self.embedding_dim}{masked})", "GlobalAveragePooling1D (masked)"]
        else:
            layers = [f"Embedding({self.num_words}, {self.embedding_dim}{masked})"]
            for depth in range(self.layers):
                sequences = ", return_sequences=True" if depth < self.layers - 1 or self.pooling != "last" else ""
                cell = f"{self.cell}({self.units}{sequences})"
                layers.append(f"Bidirectional({cell})" if self.bidirectional else cell)
            pools = {"mean": "GlobalAveragePooling1D (masked)" if masked else "GlobalAveragePooling1D",
                     "max": "GlobalMaxPooling1D"}
            if self.pooling != "last":
                layers.append(pools[self.pooling])
        return " → ".join([*layers, "Dense(1, sigmoid)"])

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
        if not has_json_type(value, hints[name]):
            raise ValueError(f"{where}.{name} is {value!r}, not {_type_name(hints[name])}")
    required = [f.name for f in fields(kind) if f.name in hints and f.default is f.default_factory is MISSING]
    missing = [name for name in required if name not in data]
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}")


def has_json_type(value, hint) -> bool:
    """Whether a value read from JSON has the type ``hint`` names, in JSON's view: any number
    is a float, a bool is not a number, a tuple of strings is a list of them."""
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(has_json_type(value, arg) for arg in typing.get_args(hint))
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

#: How the order-free references train: what a practitioner would do first, nothing tuned for
#: short texts (no random windows), the best validation epoch kept.
REFERENCE_RECIPE = Recipe(
    name="reference",
    optimizer="adam",
    epochs=20,
    patience=3,
    changes=("adam (learning rate 0.001) instead of rmsprop; up to 20 epochs, stopping 3 epochs after the best "
             "validation accuracy (an average of word vectors learns slower than a recurrent layer overfits)",),
)
LINEAR_RECIPE = replace(
    REFERENCE_RECIPE,
    learning_rate=0.01,
    changes=("adam with learning rate 0.01 (one Dense layer on L2-normalized features learns slowly at 0.001); up "
             "to 20 epochs, stopping 3 epochs after the best validation accuracy",),
)

#: The recipe of the SimpleRNN that reads in order and beats the order-free references: the
#: tuned recipe's training (masking, step size, EMA, random windows), read both ways, the
#: classifier on the mean of the states. Each change is a row of the ablation table
#: (``ABLATION``, ``python -m training.ablation``).
READS_BOTH_WAYS_RECIPE = replace(
    TUNED_RECIPE,
    epochs=12,
    patience=3,
    changes=(
        "padding is masked (Embedding mask_zero=True): the cell skips the padding run",
        "learning rate 5e-4 with gradient clipping (clipnorm=1)",
        "weights averaged over steps (EMA, momentum 0.99); the averaged weights are validated and kept",
        "up to 12 epochs, stopping 3 epochs after the best validation accuracy",
        "each epoch also trains on random windows cut from half of the training reviews",
        "the classifier reads the mean of the SimpleRNN's states over every word (masked), not only the last state",
        "the text is read in both directions (Bidirectional SimpleRNN): each word's state knows the words after it too",
    ),
)
#: The best SimpleRNN: no gates, no attention.
READS_BOTH_WAYS = VariantSpec("SimpleRNN", 1, 500, recipe=READS_BOTH_WAYS_RECIPE, bidirectional=True, pooling="mean")

CATALOG: tuple[VariantSpec, ...] = (
    *(VariantSpec("SimpleRNN", layers, maxlen) for layers in (1, 2, 4) for maxlen in (100, 200, 500)),
    VariantSpec("LSTM", 1, 500),
    VariantSpec("GRU", 1, 500),
    VariantSpec("SimpleRNN", 1, 300, recipe=TUNED_RECIPE),
    READS_BOTH_WAYS,
    VariantSpec("BagOfWords", 0, 500, units=0, recipe=REFERENCE_RECIPE),
    # The whole review, as scikit-learn's TfidfVectorizer reads it (99% of the reviews have fewer words).
    VariantSpec("TfIdf", 0, 1000, units=0, embedding_dim=0, recipe=LINEAR_RECIPE),
)

BY_ID: dict[str, VariantSpec] = {spec.id: spec for spec in CATALOG}


def _step(name: str, **changes) -> Recipe:
    """An ablation row's recipe: the best SimpleRNN's up to one change."""
    return replace(READS_BOTH_WAYS_RECIPE, name=name, changes=(), **changes)


#: The ablation table's rows: (the change, the variant with every change so far), from the
#: seed's SimpleRNN to ``READS_BOTH_WAYS``, one change per row (``python -m training.ablation``).
ABLATION: tuple[tuple[str, VariantSpec], ...] = (
    ("the seed's SimpleRNN", VariantSpec("SimpleRNN", 1, 500)),
    ("+ padding masked", VariantSpec("SimpleRNN", 1, 500, recipe=Recipe(name="masked", mask_zero=True))),
    ("+ learning rate 5e-4, clipnorm 1, EMA 0.99, up to 12 epochs (patience 3)",
     VariantSpec("SimpleRNN", 1, 500, recipe=_step("stepped", crop_fraction=0.0))),
    ("+ random windows of half the reviews", VariantSpec("SimpleRNN", 1, 500, recipe=_step("windows"))),
    ("+ the mean of the states, not the last", VariantSpec("SimpleRNN", 1, 500, recipe=_step("windows"), pooling="mean")),
    ("+ both directions (the zoo's variant)", READS_BOTH_WAYS),
)


def get(variant_id: str) -> VariantSpec:
    """The catalog spec of ``variant_id``; raises ``KeyError`` with the known ids."""
    try:
        return BY_ID[variant_id]
    except KeyError:
        raise KeyError(f"unknown variant {variant_id!r}; known: {', '.join(BY_ID)}") from None
