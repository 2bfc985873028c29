"""The seed tutorial's published numbers: its training history and its ``model.summary()``.

The seed trains ``Embedding(10000, 32)`` → ``SimpleRNN(32)`` → ``Dense(1, sigmoid)`` on
reviews cut to 500 words, with rmsprop for 10 epochs, and prints that run's history; it
also stacks four ``SimpleRNN(32)`` layers and prints that model's summary. The app overlays
the history on the zoo's own histories, and the summary's parameter counts are what the
zoo's architectures are checked against.
"""

from __future__ import annotations

#: ``history.history`` of the seed's ``model.fit``, epochs 1 to 10, in Keras' own metric names.
SEED_HISTORY: dict[str, list[float]] = {
    "loss": [0.6455, 0.4005, 0.2739, 0.1916, 0.1308, 0.0924, 0.0726, 0.0426, 0.0300, 0.0256],
    "accuracy": [0.6210, 0.8362, 0.8920, 0.9290, 0.9528, 0.9675, 0.9768, 0.9862, 0.9918, 0.9925],
    "val_loss": [0.5293, 0.4752, 0.4947, 0.3783, 0.5755, 0.5829, 0.5541, 0.5551, 0.5962, 0.6707],
    "val_accuracy": [0.7758, 0.7742, 0.8064, 0.8460, 0.7376, 0.7634, 0.7932, 0.8292, 0.8312, 0.8054],
}

SEED_NAME = "seed tutorial (SimpleRNN(32), maxlen 500)"

#: The epoch (counting from 1) with the best validation accuracy; the seed overfits after it.
SEED_BEST_EPOCH = 1 + max(range(len(SEED_HISTORY["val_accuracy"])), key=SEED_HISTORY["val_accuracy"].__getitem__)

#: The seed's ``model.summary()``: (layer, output shape, parameters).
SEED_SUMMARY: tuple[tuple[str, str, int], ...] = (
    ("embedding (Embedding)", "(None, None, 32)", 320_000),
    ("simple_rnn (SimpleRNN)", "(None, None, 32)", 2_080),
    ("simple_rnn_1 (SimpleRNN)", "(None, None, 32)", 2_080),
    ("simple_rnn_2 (SimpleRNN)", "(None, None, 32)", 2_080),
    ("simple_rnn_3 (SimpleRNN)", "(None, 32)", 2_080),
    ("dense (Dense)", "(None, 1)", 33),
)
SEED_PARAMS = sum(params for _, _, params in SEED_SUMMARY)
#: Embedding plus the four recurrent layers: what the seed's stack holds before the Dense.
SEED_PARAMS_BEFORE_DENSE = SEED_PARAMS - SEED_SUMMARY[-1][2]

#: The zoo's variant that is the seed's own IMDB model, ``SimpleRNN(32)`` on 500 words: the run
#: whose history ``SEED_HISTORY`` is. (``SEED_SUMMARY`` is the 4-layer stack the seed also builds.)
SEED_VARIANT = "simplernn-1x32-len500"
