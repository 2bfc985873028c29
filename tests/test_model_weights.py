"""Each catalogue variant is built, at a fixed seed, with exactly the weights recorded before
``training.model.simple_rnn_stack`` was split up (``tests/data/weights_at_seed.json``): the
layers and weights are created in the same order, so the bundled zoo retrains bit for bit.

A change to the computation itself is checked with ``scripts/weights_fingerprint.py`` (every
weight after two compiled training steps, before and after, on one machine).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from scripts.weights_fingerprint import built_weights, digest
from tests.support.corpus import REPO
from zoo.catalog import CATALOG

RECORDED = json.loads((REPO / "tests" / "data" / "weights_at_seed.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("spec", CATALOG, ids=lambda spec: spec.id)
def test_a_variant_is_built_with_the_weights_recorded_at_its_seed(spec):
    weights = built_weights(spec)
    assert {kind: digest(arrays) for kind, arrays in weights.items()} == RECORDED[spec.id]
    # The training model's weights are the exported model's, in the same order.
    assert all(np.array_equal(a, b) for a, b in zip(weights["train"], weights["export"], strict=True))


def test_every_variant_of_the_catalogue_is_recorded():
    assert sorted(RECORDED) == sorted(spec.id for spec in CATALOG)


def test_one_float_step_or_another_shape_changes_the_digest():
    weights = [np.zeros((2, 3), np.float32), np.ones(3, np.float32)]
    nudged = [weights[0].copy(), np.nextafter(weights[1], 2, dtype=np.float32)]
    assert digest(weights) != digest(nudged)
    assert digest(weights) != digest([weights[0].reshape(3, 2), weights[1]])
    assert digest(weights) != digest(weights[::-1])
    assert digest(weights) == digest([w.copy() for w in weights])
