"""Building and compiling a variant's Keras model from its spec."""

from __future__ import annotations

import keras
import numpy as np

from zoo.catalog import Recipe, VariantSpec
from zoo.text import OOV_INDEX, PAD_INDEX


def build_model(spec: VariantSpec, idf: np.ndarray | None = None) -> keras.Model:
    """The variant's network as a ``keras.Sequential`` of plain Keras layers that load with
    ``safe_mode=True`` (``spec.architecture`` says it in words).

    Recurrent: ``Embedding(num_words, embedding_dim)`` → ``layers`` × ``cell(units)`` (each
    ``Bidirectional`` when the spec says so) → the spec's pooling → ``Dense(1, sigmoid)``.
    Stacked cells return sequences on all but the last layer, as in the seed. The input length
    is left open (``None``), as in the seed's summary; ``maxlen`` is applied by the text pipeline.
    Order-free: see ``zoo.catalog.ORDER_FREE_CELLS``. A ``TfIdf`` model's inverse document
    frequencies are ``idf`` (one per vocabulary index; ``tfidf_weights``); when None, 1 for
    every word and 0 for padding and unknown words.
    """
    recipe = spec.recipe
    layers = [keras.Input(shape=(None,), dtype="int32", name="words")]
    if spec.cell == "TfIdf":
        if idf is None:  # until trained: every word weighs 1, padding and unknown words nothing
            idf = np.ones(spec.num_words, np.float32)
            idf[[PAD_INDEX, OOV_INDEX]] = 0
        layers += [keras.layers.CategoryEncoding(spec.num_words, output_mode="count", name="counts"),
                   keras.layers.Rescaling(np.asarray(idf, np.float32), name="idf"),
                   keras.layers.UnitNormalization(name="l2_norm")]
    elif spec.cell == "BagOfWords":
        layers += [keras.layers.Embedding(spec.num_words, spec.embedding_dim, mask_zero=True, name="embedding"),
                   keras.layers.GlobalAveragePooling1D(name="mean")]
    else:
        layers += _recurrent_layers(spec)
    if recipe.dropout and (spec.pooling != "last" or not spec.reads_order):
        layers.append(keras.layers.Dropout(recipe.dropout, name="dropout"))
    layers.append(keras.layers.Dense(1, activation="sigmoid", name="positive"))
    return keras.Sequential(layers, name=spec.id.replace("-", "_"))


def _recurrent_layers(spec: VariantSpec) -> list[keras.layers.Layer]:
    """Embedding, the recurrent layers and the pooling of a recurrent spec."""
    recipe = spec.recipe
    cell = getattr(keras.layers, spec.cell)
    layers = [keras.layers.Embedding(spec.num_words, spec.embedding_dim, mask_zero=recipe.mask_zero, name="embedding")]
    for depth in range(spec.layers):
        layer = cell(spec.units, return_sequences=depth < spec.layers - 1 or spec.pooling != "last",
                     dropout=recipe.dropout, recurrent_dropout=recipe.recurrent_dropout,
                     name=f"{spec.cell.lower()}_{depth + 1}")
        layers.append(keras.layers.Bidirectional(layer, name=f"bidirectional_{depth + 1}") if spec.bidirectional else layer)
    pools = {"mean": keras.layers.GlobalAveragePooling1D, "max": keras.layers.GlobalMaxPooling1D}
    if spec.pooling != "last":
        layers.append(pools[spec.pooling](name=f"{spec.pooling}_state"))
    return layers


def tfidf_weights(sequences, num_words: int) -> np.ndarray:
    """Each vocabulary index's inverse document frequency over ``sequences`` (the training
    reviews), as scikit-learn's ``TfidfVectorizer`` computes it by default (``smooth_idf``:
    ``ln((1 + n) / (1 + df)) + 1``); 0 for padding and unknown words, which it never counts."""
    df = np.zeros(num_words, np.float64)
    for sequence in sequences:
        df[np.unique(np.asarray(sequence))] += 1
    idf = np.log((1 + len(sequences)) / (1 + df)) + 1
    idf[[PAD_INDEX, OOV_INDEX]] = 0
    return idf.astype(np.float32)


def fuses(spec: VariantSpec) -> bool:
    """Whether ``build_training_model`` trains ``spec`` with the fused kernel (``FusedRNN``): a
    one-direction recurrent stack read at its last state, without dropout."""
    recipe = spec.recipe
    return (spec.reads_order and not spec.bidirectional and spec.pooling == "last"
            and not (recipe.dropout or recipe.recurrent_dropout))


def trims_padding(spec: VariantSpec) -> bool:
    """Whether a plain (not fused) model of ``spec`` gives the same answer on a batch whose
    leading all-padding columns are cut away: the padding is masked, or weighs nothing
    (``TfIdf``), and no maximum over the states sees the padding's zero states. Training
    then reads each batch only from its first used column (``training.batches``)."""
    if fuses(spec):
        return False
    return not spec.reads_order or (spec.recipe.mask_zero and spec.pooling != "max")


def build_training_model(spec: VariantSpec, idf: np.ndarray | None = None) -> keras.Model:
    """The network of ``build_model``, shaped to train fast, computing exactly what it computes.

    Where it ``fuses``, a ``FusedRNN``: its weights are ``build_model``'s, in the same order, so
    ``build_model(spec).set_weights(trained.get_weights())`` exports it, and on any batch of
    pre-padded rows (full ``maxlen`` rows, or their trailing columns as ``training.batches``
    cuts them) it gives what the exported model gives on the full rows. (Dropout draws a
    mask per row over its padding too: no shared padding run then.) Elsewhere, ``build_model``
    itself.
    """
    if not fuses(spec):
        return build_model(spec, idf)
    return FusedRNN(spec, name=f"{spec.id.replace('-', '_')}_training")


class FusedRNN(keras.Model):
    """Embedding, the recurrent cells as one loop, and Dense, reading pre-padded rows from the
    first column any row of the batch uses. (TensorFlow backend: it runs ``tf.while_loop``.)

    - **One loop for the whole stack.** Cell ``l`` at step ``t`` reads cell ``l-1``'s output at
      ``t`` and its own state at ``t-1``, as the layer-by-layer stack computes, but no layer
      stores its whole output sequence.
    - **The input projection outside the loop, once per word of the vocabulary.** For SimpleRNN,
      ``x @ kernel + bias`` is computed for the embedding table (10,000 rows) and looked up per
      column, where projecting every column of a batch takes 64,000 rows at ``maxlen`` 500;
      the loop only adds ``h @ recurrent_kernel`` and applies ``tanh``.
    - **SimpleRNN's backward pass written out** (``simple_rnn_stack``, without a mask): the
      loop runs back over the steps read only, with three small matrix products per step and
      cell, instead of autodiff's bookkeeping of every intermediate value.
    - **The padding run once per batch, not once per row.** Without a mask every row starts
      with padding, and every padding step reads the same input (the embedding of index 0), so
      after ``k`` of them every row is in the same state ``s_k``. The loop runs the cells over
      ``k`` padding words for a batch of one row (``k`` = the columns dropped before the batch,
      plus the batch's own all-padding columns), then starts every row from ``s_k``. Both
      loops have a trip count known only when the batch arrives (``maximum_iterations`` =
      ``maxlen``), so one compiled step serves every batch, and gradients reach the
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
        # The first cell's input for every word of the vocabulary, then looked up per column (for
        # SimpleRNN ``x @ kernel + bias``: once per vocabulary word, about a tenth of the work of
        # projecting every column of a batch, and of its backward pass).
        table = self._projected(tf.convert_to_tensor(self.embedding.embeddings))
        inputs = tf.gather(table, tf.transpose(words))  # (width, batch, units): time-major
        # Unmasked, the rows start from the state after this many padding words (the columns
        # dropped before the batch, and the batch's own all-padding columns).
        padding_steps = start + (self.maxlen - width)
        if self.kind == "SimpleRNN" and not self.masked:
            return self.positive(self._simple_rnn(inputs, table[:1], start, padding_steps, batch))
        layout = [[tf.zeros((1, n)) for n in keras.tree.flatten(cell.state_size)] for cell in self.cells]
        flat = keras.tree.flatten(layout)

        def unflatten(values):
            return keras.tree.pack_sequence_as(layout, list(values))

        if not self.masked:
            def padding_step(i, *values):
                return (i + 1, *keras.tree.flatten(self._step(table[:1], unflatten(values), training)))

            _, *flat = tf.while_loop(lambda i, *_: i < padding_steps, padding_step, (tf.constant(0), *flat),
                                     maximum_iterations=self.maxlen)
        flat = [tf.repeat(state, batch, axis=0) for state in flat]
        inputs = tf.TensorArray(tf.float32, size=width).unstack(inputs)
        masks = tf.TensorArray(tf.bool, size=width).unstack(tf.transpose(used)[:, :, None])

        def word_step(t, *values):
            new = keras.tree.flatten(self._step(inputs.read(t), unflatten(values), training))
            if self.masked:
                keep = masks.read(t)
                new = [tf.where(keep, n, old) for n, old in zip(new, values)]
            return (t + 1, *new)

        _, *flat = tf.while_loop(lambda t, *_: t < width, word_step, (start, *flat), maximum_iterations=self.maxlen)
        return self.positive(unflatten(flat)[-1][0])

    def _simple_rnn(self, inputs, padding, start, padding_steps, batch):
        """The unmasked SimpleRNN stack's last state, through ``simple_rnn_stack`` (its backward
        pass written out): first the padding run for one row, then the batch from ``start``."""
        import tensorflow as tf

        weights = dict(
            recurrent_kernels=[tf.convert_to_tensor(c.recurrent_kernel) for c in self.cells],
            kernels=[tf.convert_to_tensor(c.kernel) for c in self.cells[1:]],
            biases=[tf.convert_to_tensor(c.bias) for c in self.cells[1:]],
        )
        states = [tf.zeros((1, c.units)) for c in self.cells]
        repeated = tf.broadcast_to(padding[None], (self.maxlen, 1, self.cells[0].units))
        states = simple_rnn_stack(repeated, states, start=self.maxlen - padding_steps, **weights)
        states = [tf.repeat(state, batch, axis=0) for state in states]
        return simple_rnn_stack(inputs, states, start=start, **weights)[-1]


def simple_rnn_stack(inputs, states, *, kernels, recurrent_kernels, biases, start):
    """The final states of a stack of SimpleRNN cells reading time-major ``inputs`` from step
    ``start``, with its backward pass written out (``tf.custom_gradient``).

    Autodiff of a while loop keeps every step's intermediate values and accumulates each
    weight's gradient over the whole buffer; here the forward loop keeps only each cell's
    outputs, and the backward loop walks the steps back once, carrying the state gradients and
    adding each weight's gradient only for the steps read (the steps before ``start`` cost
    nothing). The numbers are those of autodiff up to float rounding
    (``tests/test_benchmark.py``, the gradient test).

    Args:
        inputs: ``(steps, batch, units)``: the first cell's ``x @ kernel + bias`` at every step.
        states: each cell's state before step ``start``, ``(batch, units)``.
        kernels, biases: the input weights of the cells above the first (the first's are in ``inputs``).
        recurrent_kernels: every cell's.
        start: the first step read (an int32 scalar tensor).
    """
    import tensorflow as tf

    @tf.custom_gradient
    def run(inputs, *weights):
        stack = _SimpleRNNStack(weights, len(states), start, tf.shape(inputs)[0])
        finals, outputs = stack.forward(inputs)
        return finals, lambda *upstream: stack.backward(upstream, finals, outputs)

    return run(inputs, *states, *recurrent_kernels, *kernels, *biases)


class _SimpleRNNStack:
    """One ``simple_rnn_stack`` call: its weights by role, and the bodies of its two loops."""

    def __init__(self, weights, depth: int, start, steps):
        self.depth, self.start, self.steps = depth, start, steps
        self.states = list(weights[:depth])  # each cell's state before ``start``
        self.recurrent = list(weights[depth : 2 * depth])
        self.above = list(zip(weights[2 * depth : 3 * depth - 1], weights[3 * depth - 1 :]))  # (kernel, bias) of cells 2..

    def forward(self, inputs):
        """Each cell's final state, and each cell's outputs ``(steps, batch, units)``, zeros before ``start``."""
        import tensorflow as tf

        arrays = [tf.TensorArray(tf.float32, size=self.steps, element_shape=s.shape) for s in self.states]

        def step(t, hs, outputs):
            return t + 1, *self.forward_step(inputs[t], t, hs, outputs)

        _, finals, outputs = tf.while_loop(lambda t, *_: t < self.steps, step, (self.start, self.states, arrays),
                                           maximum_iterations=self.steps)
        return finals, [out.stack() for out in outputs]

    def forward_step(self, x, t, hs, outputs):
        """Step ``t`` up the stack from the first cell's input term ``x``: the new states, and
        the output arrays with them written at ``t``."""
        import tensorflow as tf

        new, written = [], []
        for depth, (h, out) in enumerate(zip(hs, outputs)):
            if depth:
                kernel, bias = self.above[depth - 1]
                x = tf.matmul(x, kernel) + bias
            x = tf.tanh(x + tf.matmul(h, self.recurrent[depth]))
            new.append(x)
            written.append(out.write(t, x))
        return new, written

    def backward(self, upstream, finals, outputs):
        """The gradients of ``run``'s arguments (inputs, states, recurrent kernels, kernels,
        biases) from the final states' gradients ``upstream``."""
        import tensorflow as tf

        carried = [tf.zeros_like(f) if g is None else g for g, f in zip(upstream, finals)]
        sums = [tf.zeros_like(r) for r in self.recurrent] + [tf.zeros_like(w) for pair in self.above for w in pair]
        d_inputs = tf.TensorArray(tf.float32, size=self.steps, element_shape=self.states[0].shape)

        def step(t, carried, sums, d_inputs):
            return t - 1, *self.backward_step(outputs, t, list(carried), list(sums), d_inputs)

        _, d_states, sums, d_inputs = tf.while_loop(lambda t, *_: t >= self.start, step,
                                                    (self.steps - 1, carried, sums, d_inputs),
                                                    maximum_iterations=self.steps)
        d_recurrent, d_above = sums[: self.depth], sums[self.depth :]
        d_kernels, d_biases = d_above[0::2], d_above[1::2]
        return (d_inputs.stack(), *d_states, *d_recurrent, *d_kernels, *d_biases)

    def backward_step(self, outputs, t, carried: list, sums: list, d_inputs):
        """Step ``t`` down the stack: the state gradients carried to ``t - 1``, the weight
        gradients with step ``t``'s added, and the first cell's input gradient written at ``t``."""
        import tensorflow as tf

        from_above = None
        for depth in reversed(range(self.depth)):
            h = outputs[depth][t]
            previous = tf.where(t > self.start, outputs[depth][tf.maximum(t - 1, 0)], self.states[depth])
            dh = carried[depth] if from_above is None else carried[depth] + from_above
            da = dh * (1.0 - h * h)
            sums[depth] += tf.matmul(previous, da, transpose_a=True)
            carried[depth] = tf.matmul(da, self.recurrent[depth], transpose_b=True)
            if depth:
                kernel, _ = self.above[depth - 1]
                slot = self.depth + 2 * (depth - 1)
                sums[slot] += tf.matmul(outputs[depth - 1][t], da, transpose_a=True)
                sums[slot + 1] += tf.reduce_sum(da, axis=0)
                from_above = tf.matmul(da, kernel, transpose_b=True)
            else:
                d_inputs = d_inputs.write(t, da)
        return carried, sums, d_inputs


def compile_model(model: keras.Model, recipe: Recipe) -> None:
    """Compile with the recipe's optimizer, ``binary_crossentropy`` and accuracy, as the seed does.

    A ``FusedRNN``'s steps are compiled with XLA: on a CPU it runs the fused recurrent loop about
    twice as fast as TensorFlow's op-by-op while loop, once per batch shape it meets (which is
    why ``training.batches`` rounds batch widths). A plain Keras model is not: XLA runs Keras'
    masked recurrent layers several times slower than TensorFlow does (a bidirectional
    SimpleRNN at ``maxlen`` 500: 459 s an epoch against 26-118 s, on the shared 2-core machine).
    """
    options = {"learning_rate": recipe.learning_rate}
    if recipe.clipnorm:
        options["clipnorm"] = recipe.clipnorm
    if recipe.ema_momentum:
        options |= {"use_ema": True, "ema_momentum": recipe.ema_momentum}
    optimizer = keras.optimizers.get({"class_name": recipe.optimizer, "config": options})
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"],
                  jit_compile=isinstance(model, FusedRNN))
