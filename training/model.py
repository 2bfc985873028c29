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
    """The network of ``build_model``, shaped to train fast, computing exactly what it computes.

    Its recurrent layers run as one loop over time: ``RNN(StackedRNNCells([cell] * layers))``
    computes what the stack of layers computes (cell ``l`` at step ``t`` reads cell ``l-1``'s
    output at ``t`` and its own state at ``t-1``), and its weights come in the same order, so
    ``build_model(spec).set_weights(trained.get_weights())`` exports it. On a CPU it trains
    several times faster than the layer-by-layer stack, whose every layer runs its own loop and
    stores its whole output sequence (measured by ``python -m training.benchmark``).

    It reads length batches (``training.batches``): the last columns of the ``maxlen``-padded
    rows. With a mask (``mask_zero``) the padding is skipped anyway. Without one, the model is
    a ``PrePaddedRNN``, which starts each batch from the state the dropped padding leads to.
    """
    recipe = spec.recipe
    cell = getattr(keras.layers, f"{spec.cell}Cell")
    cells = [cell(spec.units, dropout=recipe.dropout, recurrent_dropout=recipe.recurrent_dropout) for _ in range(spec.layers)]
    # One cell runs on its own: Keras' RNN(StackedRNNCells([cell])) fails under a mask
    # (mask_zero) with "The two structures don't have the same nested structure".
    cell = cells[0] if len(cells) == 1 else keras.layers.StackedRNNCells(cells)
    name = f"{spec.id.replace('-', '_')}_training"
    if not recipe.mask_zero:
        if recipe.dropout or recipe.recurrent_dropout:
            # Each row would draw its own dropout masks over its padding: no shared state then.
            raise ValueError(f"{spec.id}: dropout without mask_zero is not supported by the training pipeline")
        return PrePaddedRNN(spec, cell, name=name)
    return keras.Sequential(
        [
            keras.Input(shape=(None,), dtype="int32", name="words"),
            keras.layers.Embedding(spec.num_words, spec.embedding_dim, mask_zero=True, name="embedding"),
            keras.layers.RNN(cell, name="stacked_cells"),
            keras.layers.Dense(1, activation="sigmoid", name="positive"),
        ],
        name=name,
    )


class PrePaddedRNN(keras.Model):
    """Embedding, recurrent cells and Dense, reading rows pre-padded to ``maxlen`` from any of
    their trailing columns, with the result the full rows give.

    Without a mask, every row starts with a run of padding words, and the cells read it: a row
    of ``L`` words is ``maxlen - L`` padding steps, then ``L`` word steps. Every padding step
    reads the same input (the embedding of index 0), so after ``k`` of them every row is in the
    same state ``s_k``, whatever its words. A batch cut to its last ``width`` columns therefore
    starts every row from ``s_(maxlen - width)`` and runs only ``width`` steps. The states
    ``s_1 .. s_maxlen`` are one run of the cells over ``maxlen`` padding words for a batch of
    one row (cheap next to a batch of 128), inside the step, so gradients reach the weights
    through it exactly as through the full rows.

    Its weights are ``build_model``'s, in the same order (the padding run shares the cells).
    """

    def __init__(self, spec: VariantSpec, cell, **kwargs):
        super().__init__(**kwargs)
        self.maxlen = spec.maxlen
        self.embedding = keras.layers.Embedding(spec.num_words, spec.embedding_dim, name="embedding")
        self.cell = cell
        self.recurrent = keras.layers.RNN(cell, name="stacked_cells")
        self.padding_run = keras.layers.RNN(_EveryState(cell), return_sequences=True, name="padding_run")
        self.positive = keras.layers.Dense(1, activation="sigmoid", name="positive")
        self.build((None, None))  # its weights exist from the start, as a Sequential's do

    def build(self, input_shape):
        self.embedding.build(input_shape)
        self.recurrent.build((None, None, self.embedding.output_dim))
        self.padding_run.build((None, None, self.embedding.output_dim))
        self.positive.build((None, self.recurrent.cell.output_size))
        self.built = True

    def call(self, words, training=False):
        ops = keras.ops
        batch, width = ops.shape(words)[0], ops.shape(words)[1]
        padding = self.embedding(ops.zeros((1, self.maxlen), dtype="int32"))
        run = self.padding_run(padding, training=training)  # (1, maxlen, all states)
        run = ops.concatenate([ops.zeros_like(run[:, :1]), run], axis=1)  # s_0 (zeros) .. s_maxlen
        start = ops.repeat(ops.take(run, self.maxlen - width, axis=1), batch, axis=0)
        sizes = keras.tree.flatten(self.cell.state_size)
        ends = [sum(sizes[: i + 1]) for i in range(len(sizes))]
        states = keras.tree.pack_sequence_as(self.cell.state_size, [start[:, e - n : e] for n, e in zip(sizes, ends)])
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        return self.positive(self.recurrent(self.embedding(words), initial_state=states, training=training))


class _EveryState(keras.layers.Layer):
    """A cell whose output at every step is all of its states, concatenated (it shares ``cell``)."""

    def __init__(self, cell, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell
        self.state_size = cell.state_size
        self.output_size = sum(keras.tree.flatten(cell.state_size))

    def build(self, input_shape):
        if not self.cell.built:
            self.cell.build(input_shape)

    def call(self, inputs, states, training=False):
        _, states = self.cell(inputs, states, training=training)
        return keras.ops.concatenate(keras.tree.flatten(states), axis=-1), states


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
