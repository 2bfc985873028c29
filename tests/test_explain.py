"""Explanations of one text: word importance by occlusion, and the hidden states after each word."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import zoo
from tests.support.corpus import TINY_VARIANTS
from zoo.catalog import VariantSpec
from zoo.explain import hidden_states, state_names, states_model, word_importance
from zoo.text import MAX_TEXT_CHARS, OOV_TOKEN, PAD_TOKEN, Vocabulary, tokenize

WORDS = (PAD_TOKEN, OOV_TOKEN, "the", "film", "was", "superb", "and", "long")
DECISIVE = "superb"


class OneModelZoo:
    """What ``word_importance`` and ``hidden_states`` ask of a zoo, for one hand-made model."""

    def __init__(self, model, maxlen: int):
        self._model, self._maxlen, self._vocabulary = model, maxlen, Vocabulary(WORDS)

    def artifact(self, variant_id):
        return SimpleNamespace(spec=VariantSpec("SimpleRNN", 1, self._maxlen))

    def vocabulary(self, variant_id):
        return self._vocabulary

    def model(self, variant_id):
        return self._model

    def reader(self, variant_id):
        from zoo.inference import reading_model

        return reading_model(self._model)


def counting_model(maxlen: int):
    """P(positive) = sigmoid(4 × the number of times "superb" occurs): a model whose only decisive
    word is known. Embedding 1 for "superb", 0 otherwise; a linear SimpleRNN that adds them up."""
    import keras

    model = keras.Sequential([
        keras.Input((maxlen,), dtype="int32"),
        keras.layers.Embedding(len(WORDS), 1),
        keras.layers.SimpleRNN(1, activation="linear"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    embedding = np.zeros((len(WORDS), 1), dtype=np.float32)
    embedding[WORDS.index(DECISIVE)] = 1.0
    model.layers[0].set_weights([embedding])
    model.layers[1].set_weights([np.ones((1, 1)), np.ones((1, 1)), np.zeros(1)])
    model.layers[2].set_weights([np.full((1, 1), 4.0), np.zeros(1)])
    return model


@pytest.fixture(scope="module")
def counting_zoo():
    return OneModelZoo(counting_model(10), 10)


def test_the_decisive_word_is_the_only_one_that_matters(counting_zoo):
    result = word_importance(counting_zoo, "m", "The film was superb and long.")
    assert result.words == ("the", "film", "was", "superb", "and", "long")
    assert result.p_positive == pytest.approx(1 / (1 + np.exp(-4)), abs=1e-5)
    expected = np.zeros(6)
    expected[3] = 1 / (1 + np.exp(-4)) - 0.5
    np.testing.assert_allclose(result.deltas, expected, atol=1e-5)
    assert list(result.positions) == [1, 2, 3, 4, 5, 6]


def test_removing_a_word_lets_the_word_before_the_window_slide_in(counting_zoo):
    # 12 words, maxlen 10: "superb" (word 2) is cut away, and comes back when a read word is removed.
    text = "the superb " + " ".join(["film"] * 10)
    result = word_importance(counting_zoo, "m", text)
    assert len(result.words) == 10 and list(result.positions) == list(range(3, 13))
    assert result.p_positive == pytest.approx(0.5)
    np.testing.assert_allclose(result.deltas, 0.5 - 1 / (1 + np.exp(-4)), atol=1e-5)


@pytest.mark.parametrize("text, words", [("", 0), ("superb", 1), ("zzqx qqzz xxzq", 3), ("superb " * 30_000, 10)])
def test_bad_input_gives_an_answer_not_an_error(counting_zoo, text, words):
    result = word_importance(counting_zoo, "m", text)
    assert len(result.words) == len(result.deltas) == words
    assert 0 <= result.p_positive <= 1
    states = hidden_states(counting_zoo, "m", text)
    assert states.states["layer 1"].shape == (words, 1)
    assert len(states.unit_order("layer 1")) == 1
    if words == 1:  # one word: no correlation to sort units by
        assert states.correlations("layer 1").tolist() == [0.0]
    assert len(text) <= MAX_TEXT_CHARS or len(tokenize(text[-MAX_TEXT_CHARS:])) >= words


def test_word_importance_equals_classifying_each_text_without_the_word(tiny_zoo_path):
    z = zoo.open_zoo(tiny_zoo_path)
    variant_id = TINY_VARIANTS[0]  # maxlen 100
    text = " ".join(["a great film", "the plot was dull"] * 30)  # 210 words: 110 of them are cut away
    result = word_importance(z, variant_id, text)
    words = tokenize(text)
    assert len(result.words) == 100
    for i in (0, 37, 99):
        position = result.positions[i] - 1
        without = " ".join(words[:position] + words[position + 1 :])
        p = z.classify([text, without], [variant_id])[variant_id]
        assert result.deltas[i] == pytest.approx(p[0] - p[1], abs=1e-5)


def test_hidden_states_end_in_the_answer_for_each_layer_of_a_stack(tiny_zoo_path):
    z = zoo.open_zoo(tiny_zoo_path)
    variant_id = TINY_VARIANTS[1]  # two SimpleRNN layers
    text = "A great film, but the plot was dull."
    states = hidden_states(z, variant_id, text)
    assert list(states.states) == ["layer 1", "layer 2"]
    assert states.states["layer 2"].shape == (len(tokenize(text)), 32)
    assert states.p_positive[-1] == pytest.approx(float(z.classify([text], [variant_id])[variant_id][0]), abs=1e-5)
    order = states.unit_order("layer 2")
    correlations = states.correlations("layer 2")
    assert sorted(order.tolist()) == list(range(32))
    assert np.all(np.diff(correlations[order]) <= 0)
    unit = order[0]
    assert correlations[unit] == pytest.approx(np.corrcoef(states.states["layer 2"][:, unit], states.p_positive)[0, 1], abs=1e-6)


def test_an_lstm_shows_its_output_and_cell_state_equal_to_keras_own_layers():
    import keras

    from training.model import build_model

    model = build_model(VariantSpec("LSTM", 2, 12))
    x = np.array([[0, 0, 0, 5, 9, 200, 31, 7, 7, 1, 64, 3]], dtype=np.int32)
    *states, p = [np.asarray(o) for o in states_model(model)(x)]
    assert state_names(model) == ["layer 1", "layer 1 cell", "layer 2", "layer 2 cell"]
    h = model.layers[0](x)
    for number, layer in enumerate(model.layers[1:3]):
        clone = keras.layers.LSTM.from_config(layer.get_config() | {"return_sequences": True, "return_state": True})
        sequence, _, last_c = clone(h)
        clone.set_weights(layer.get_weights())
        sequence, _, last_c = (np.asarray(t) for t in clone(h))
        np.testing.assert_allclose(states[2 * number], sequence, atol=1e-6)
        np.testing.assert_allclose(states[2 * number + 1][:, -1], last_c, atol=1e-6)
        h = sequence
    np.testing.assert_allclose(p[:, -1, 0], np.asarray(model(x))[:, 0], atol=1e-6)


def test_the_speed_script_prints_its_numbers_as_json(tiny_zoo_path):
    import json
    import os
    import subprocess
    import sys

    from tests.support.corpus import REPO

    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "explain_speed.py"), "--zoo", str(tiny_zoo_path), "--repeats", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=600, env=os.environ | {"TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["variants"] == list(TINY_VARIANTS) and report["words"] == 200 and report["repeats"] == 2
    assert report["explain_ms"]["p50"] > 0
    assert report["probes_s"]["variants"] == len(TINY_VARIANTS) and report["probes_s"]["texts"] > 0
    assert "target < 300 ms" in result.stdout


@pytest.mark.parametrize("variant_id", ["bow-32d-len500", "tfidf-len1000", "simplernn-bi1x32-len500-mean-tuned"])
def test_models_that_answer_once_per_text_are_read_along_prefix_by_prefix(variant_id):
    """An order-free or bidirectional, pooled model has no answer after each word: its reading
    curve is its answer on the text cut after each word, the last one its answer on the whole text."""
    from dataclasses import replace

    from training.model import build_model
    from zoo import catalog
    from zoo.inference import probabilities, reading_curve, reading_model
    from zoo.text import pad

    spec = catalog.get(variant_id)
    spec = replace(spec, num_words=len(WORDS), maxlen=12)
    model = build_model(spec)
    assert reading_model(model) is model
    ids = Vocabulary(WORDS).lookup(tokenize("The film was superb and long"))
    x = pad([ids], spec.maxlen)[0]
    curve = reading_curve(model, x, len(ids))
    prefixes = probabilities(model, pad([ids[:n] for n in range(1, len(ids) + 1)], spec.maxlen))
    np.testing.assert_allclose(curve, prefixes, atol=1e-6)
    assert curve.shape == (len(ids),)
    names = state_names(model)
    assert names == (["layer 1 forward", "layer 1 backward"] if spec.bidirectional else [])


def test_a_bidirectional_model_shows_both_directions_states_after_each_word():
    from training.model import build_model
    from zoo.inference import probabilities
    from zoo.text import pad

    spec = VariantSpec("SimpleRNN", 1, 12, num_words=len(WORDS), bidirectional=True, pooling="mean",
                       recipe=zoo.Recipe(name="both", mask_zero=True))
    model = build_model(spec)
    one = OneModelZoo(model, 12)
    one.artifact = lambda variant_id: SimpleNamespace(spec=spec)
    states = hidden_states(one, "v", "The film was superb")
    assert list(states.states) == ["layer 1 forward", "layer 1 backward"]
    assert all(values.shape == (4, 32) for values in states.states.values())
    ids = Vocabulary(WORDS).lookup(tokenize("The film was superb"))
    assert states.p_positive[-1] == pytest.approx(float(probabilities(model, pad([ids], 12))[0]), abs=1e-6)
