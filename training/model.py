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

    A ``FusedRNN``: its weights are ``build_model``'s, in the same order, so
    ``build_model(spec).set_weights(trained.get_weights())`` exports it, and on any batch of
    pre-padded rows (full ``maxlen`` rows, or their trailing columns as ``training.batches``
    cuts them) it gives what the exported model gives on the full rows.
    """
    recipe = spec.recipe
    if recipe.dropout or recipe.recurrent_dropout:
        # Each row would draw its own dropout masks over its padding: no shared padding run then.
        raise ValueError(f"{spec.id}: dropout is not supported by the training pipeline")
    return FusedRNN(spec, name=f"{spec.id.replace('-', '_')}_training")


class FusedRNN(keras.Model):
    """Embedding, the recurrent cells as one loop, and Dense, reading pre-padded rows from the
    first column any row of the batch uses. (TensorFlow backend: it runs ``tf.while_loop``.)

    - **One loop for the whole stack.** Cell ``l`` at step ``t`` reads cell ``l-1``'s output at
      ``t`` and its own state at ``t-1``, as the layer-by-layer stack computes, but no layer
      stores its whole output sequence.
    - **The input projection outside the loop.** For SimpleRNN, ``x @ kernel + bias`` of every
      step is one matrix product over the batch before the loop; the loop only adds
      ``h @ recurrent_kernel`` and applies ``tanh``.
    - **The padding run once per batch, not once per row.** Without a mask every row starts
      with padding, and every padding step reads the same input (the embedding of index 0), so
      after ``k`` of them every row is in the same state ``s_k``. The loop runs the cells over
      ``k`` padding words for a batch of one row (``k`` = the columns dropped before the batch,
      plus the batch's own all-padding columns), then starts every row from ``s_k``. Both
      loops have a trip count known only when the batch arrives (``maximum_iterations`` =
      ``maxlen``), so one compiled step serves every batch of a shape, and gradients reach the
      weights through the padding run exactly as through full rows. With a mask
      (``mask_zero``) padding steps keep the state, so the rows start from zeros, and a masked
      step keeps each row's state.
    """

    def __init__(self, spec: VariantSpec, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.masked, self.kind = spec.maxlen, spec.recipe.mask_zero, spec.cell
        self.embedding = keras.layers.Embedding(spec.num_words, spec.embedding_dim, name="embedding")
        cell = getattr(keras.layers, f"{spec.cell}Cell")
        self.cells = [cell(spec.units, name=f"{spec.cell.lower()}_{depth + 1}") for depth in range(spec.layers)]
        self.positive = keras.layers.Dense(1, activation="sigmoid", name="positive")
        self.build((None, None))  # its weights exist from the start, as a Sequential's do

    def build(self, input_shape):
        self.embedding.build(input_shape)
        size = self.embedding.output_dim
        for cell in self.cells:
            cell.build((None, size))
            size = cell.units
        self.positive.build((None, size))
        self.built = True

    def _projected(self, x):
        """The first cell's input term for inputs ``x`` (SimpleRNN: ``x @ kernel + bias``), else ``x``."""
        if self.kind != "SimpleRNN":
            return x
        cell = self.cells[0]
        return keras.ops.matmul(x, cell.kernel) + cell.bias

    def _step(self, x, states: list, training):
        """One step of the stack from the first cell's projected input ``x``: the new states."""
        new = []
        for depth, cell in enumerate(self.cells):
            if self.kind == "SimpleRNN":
                h = x if depth == 0 else keras.ops.matmul(x, cell.kernel) + cell.bias
                x = keras.ops.tanh(h + keras.ops.matmul(states[depth][0], cell.recurrent_kernel))
                new.append([x])
            else:
                x, state = cell(x, states[depth], training=training)
                new.append(list(state) if isinstance(state, (list, tuple)) else [state])
        return new

    def call(self, words, training=False):
        import tensorflow as tf

        words = tf.convert_to_tensor(words)
        batch, width = tf.shape(words)[0], tf.shape(words)[1]
        used = tf.not_equal(words, 0)
        # The first column any row uses (0 when none does: then every column is read, still exact).
        start = tf.cast(tf.argmax(tf.cast(tf.reduce_any(used, axis=0), tf.int32)), tf.int32)
        layout = [[tf.zeros((1, n)) for n in keras.tree.flatten(cell.state_size)] for cell in self.cells]
        flat = keras.tree.flatten(layout)

        def unflatten(values):
            return keras.tree.pack_sequence_as(layout, list(values))

        if not self.masked:
            padding = self._projected(self.embedding(tf.zeros((1,), tf.int32)))
            steps = start + (self.maxlen - width)

            def padding_step(i, *values):
                return (i + 1, *keras.tree.flatten(self._step(padding, unflatten(values), training)))

            _, *flat = tf.while_loop(lambda i, *_: i < steps, padding_step, (tf.constant(0), *flat),
                                     maximum_iterations=self.maxlen)
        flat = [tf.repeat(state, batch, axis=0) for state in flat]
        inputs = tf.TensorArray(tf.float32, size=width).unstack(
            tf.transpose(self._projected(self.embedding(words)), (1, 0, 2)))
        masks = tf.TensorArray(tf.bool, size=width).unstack(tf.transpose(used)[:, :, None])

        def word_step(t, *values):
            new = keras.tree.flatten(self._step(inputs.read(t), unflatten(values), training))
            if self.masked:
                keep = masks.read(t)
                new = [tf.where(keep, n, old) for n, old in zip(new, values)]
            return (t + 1, *new)

        _, *flat = tf.while_loop(lambda t, *_: t < width, word_step, (start, *flat), maximum_iterations=self.maxlen)
        return self.positive(unflatten(flat)[-1][0])


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
