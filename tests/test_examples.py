"""The examples show what their captions say: each claim checked against the bundled zoo's answers."""

from __future__ import annotations

import pytest

import zoo
from zoo.examples import DEFAULT_EXAMPLE, EXAMPLE_CAPTIONS, EXAMPLES
from zoo.explain import read_along
from zoo.text import tokenize

LONG = "Long review: bad, plain, glowing"


@pytest.fixture(scope="module")
def bundled():
    z = zoo.open_zoo(zoo.store.BUNDLED_ZOO)
    answers = z.classify(list(EXAMPLES.values()))
    return z, {name: {vid: float(p[i]) for vid, p in answers.items()} for i, name in enumerate(EXAMPLES)}


def positive(answers: dict[str, float]) -> int:
    return sum(p > 0.5 for p in answers.values())


def test_every_example_has_a_caption_and_the_default_is_one_of_them():
    assert set(EXAMPLE_CAPTIONS) == set(EXAMPLES) and DEFAULT_EXAMPLE in EXAMPLES


@pytest.mark.slow
def test_clear_reviews_get_one_answer_from_every_variant(bundled):
    z, answers = bundled
    assert positive(answers["Clearly positive"]) == len(z.ids)
    assert positive(answers["Clearly negative"]) == 0
    assert positive(answers["Great start, bad ending"]) == 0


@pytest.mark.slow
def test_most_variants_follow_a_happy_ending(bundled):
    z, answers = bundled
    assert positive(answers["Bad start, great ending"]) > 0.5 * len(z.ids)  # "most": 10 of 15 in the bundled zoo


@pytest.mark.slow
def test_one_word_splits_the_zoo_and_some_stacks_call_it_positive(bundled):
    z, answers = bundled
    said = answers["One word"]
    assert 0 < positive(said) < len(z.ids)
    stacks = [vid for vid in z.ids if z.artifact(vid).spec.layers > 1]
    assert any(said[vid] > 0.5 for vid in stacks)


@pytest.mark.slow
def test_in_the_long_review_the_stack_drifts_while_the_lstm_holds(bundled):
    z, answers = bundled
    text = EXAMPLES[LONG]
    n_words = len(tokenize(text))
    assert 500 <= n_words <= 600
    in_order = [vid for vid in z.ids if z.artifact(vid).spec.reads_order]
    assert all(answers[LONG][vid] > 0.5 for vid in in_order)  # every variant that reads in order ends positive
    assert all(answers[LONG][vid] < 0.5 for vid in z.ids if vid not in in_order)  # the order-free ones: negative

    def first_positive(variant_id: str) -> int:
        curve = read_along(z, variant_id, text)
        return int(curve.positions[curve.probabilities > 0.5][0])

    assert 150 <= first_positive("simplernn-4x32-len500") <= 250  # "around word 200", in the plain middle
    assert first_positive("lstm-1x32-len500") >= 380  # "until the ending, around word 400"
    for vid in z.ids:
        if z.artifact(vid).spec.maxlen == 100:  # never sees the start: begins in the glowing ending
            curve = read_along(z, vid, text)
            assert curve.positions[0] == n_words - 99 and "wonderful" in curve.words
