"""Building and compiling a variant's Keras model from its spec."""

from __future__ import annotations

import keras

from zoo.catalog import Recipe, VariantSpec


def build_model(spec: VariantSpec) -> keras.Model:
    """``Embedding(num_words, embedding_dim)`` → ``layers`` × ``cell(units)`` → ``Dense(1, sigmoid)``.

    Stacked cells return sequences on all but the last layer, as in the seed. The input
    length is left open (``None``), as in the seed's summary; ``maxlen`` is applied by the
    text pipeline.
    """
    recipe = spec.recipe
    cell = getattr(keras.layers, spec.cell)
    layers = [
        keras.Input(shape=(None,), dtype="int32", name="words"),
        keras.layers.Embedding(spec.num_words, spec.embedding_dim, mask_zero=recipe.mask_zero, name="embedding"),
    ]
    for depth in range(spec.layers):
        layers.append(
            cell(
                spec.units,
                return_sequences=depth < spec.layers - 1,
                dropout=recipe.dropout,
                recurrent_dropout=recipe.recurrent_dropout,
                name=f"{spec.cell.lower()}_{depth + 1}",
            )
        )
    layers.append(keras.layers.Dense(1, activation="sigmoid", name="positive"))
    return keras.Sequential(layers, name=spec.id.replace("-", "_"))


def build_training_model(spec: VariantSpec) -> keras.Model:
    """The network of ``build_model`` with its recurrent layers fused into one loop over time.

    ``RNN(StackedRNNCells([cell] * layers))`` computes exactly what the stack of layers
    computes (cell ``l`` at step ``t`` reads cell ``l-1``'s output at ``t`` and its own state
    at ``t-1``), and its weights come in the same order, so ``build_model(spec).set_weights(
    trained.get_weights())`` exports it. On a CPU it trains several times faster than the
    layer-by-layer stack, whose every layer runs its own loop and stores its whole output
    sequence (measured by ``python -m training.benchmark``).
    """
    recipe = spec.recipe
    cell = getattr(keras.layers, f"{spec.cell}Cell")
    cells = [cell(spec.units, dropout=recipe.dropout, recurrent_dropout=recipe.recurrent_dropout) for _ in range(spec.layers)]
    return keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32", name="words"),
            keras.layers.Embedding(spec.num_words, spec.embedding_dim, mask_zero=recipe.mask_zero, name="embedding"),
            # One cell runs on its own: Keras' RNN(StackedRNNCells([cell])) fails under a mask
            # (mask_zero) with "The two structures don't have the same nested structure".
            keras.layers.RNN(cells[0] if len(cells) == 1 else keras.layers.StackedRNNCells(cells), name="stacked_cells"),
            keras.layers.Dense(1, activation="sigmoid", name="positive"),
        ],
        name=f"{spec.id.replace('-', '_')}_training",
    )


def compile_model(model: keras.Model, recipe: Recipe) -> None:
    """Compile with the recipe's optimizer, ``binary_crossentropy`` and accuracy, as the seed does.

    The steps are compiled with XLA: on a CPU it runs the fused recurrent loop about twice as
    fast as TensorFlow's op-by-op while loop, once per batch shape it meets (which is why
    ``training.batches`` rounds batch widths).
    """
    options = {"learning_rate": recipe.learning_rate}
    if recipe.clipnorm:
        options["clipnorm"] = recipe.clipnorm
    if recipe.ema_momentum:
        options |= {"use_ema": True, "ema_momentum": recipe.ema_momentum}
    optimizer = keras.optimizers.get({"class_name": recipe.optimizer, "config": options})
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"], jit_compile=True)
