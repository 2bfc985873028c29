"""The noise between training runs: seed runs read from an artifact's metadata, and lessons that
say whether a difference exceeds them."""

from __future__ import annotations

from types import SimpleNamespace

from zoo import catalog
from zoo.lessons import order_free, reading_in_order
from zoo.noise import Runs, beyond_noise, runs, verdict


def metadata(test: list[float], first: list[float], last: list[float]) -> dict:
    return {"test_accuracy": test[0], "short_text_accuracy": {"first_sentence": first[0], "last_sentence": last[0]},
            "seed_runs": {"seeds": [1337, 1338, 1339][: len(test)], "test_accuracy": test,
                          "short_text_accuracy": {"first_sentence": first, "last_sentence": last}}}


def test_runs_read_each_measure_over_the_seeds_and_one_seed_has_none():
    record = metadata([0.86, 0.85, 0.87], [0.60, 0.62, 0.61], [0.70, 0.69, 0.71])
    assert runs(record).values == (0.86, 0.85, 0.87)
    assert round(runs(record).spread, 6) == 0.02 and runs(record, "first_sentence").low == 0.60
    assert runs({"test_accuracy": 0.9}) is None
    assert runs(metadata([0.9], [0.6], [0.7])) is None


def test_a_difference_exceeds_the_noise_only_when_the_runs_do_not_overlap():
    assert beyond_noise(Runs((0.85, 0.86)), Runs((0.87, 0.88))) is True
    assert beyond_noise(Runs((0.85, 0.87)), Runs((0.86, 0.88))) is False
    assert beyond_noise(Runs((0.85, 0.87)), None) is None
    assert verdict(Runs((0.85, 0.86)), Runs((0.87, 0.88))) == "beyond the seed-to-seed spread"
    assert verdict(Runs((0.85, 0.87)), Runs((0.86, 0.88))) == "within the seed-to-seed spread"


class FakeZoo:
    def __init__(self, **records):
        self._artifacts = [SimpleNamespace(id=vid, spec=catalog.get(vid), metadata=m) for vid, m in records.items()]

    def artifacts(self):
        return self._artifacts


def test_the_order_free_lessons_quote_the_numbers_and_say_whether_they_exceed_the_spread():
    zoo = FakeZoo(**{
        "simplernn-1x32-len500": metadata([0.86, 0.85, 0.86], [0.62, 0.60, 0.61], [0.65, 0.64, 0.66]),
        "simplernn-bi1x32-len500-mean-tuned": metadata([0.895, 0.893, 0.896], [0.71, 0.70, 0.72], [0.75, 0.74, 0.75]),
        "bow-32d-len500": metadata([0.880, 0.881, 0.879], [0.69, 0.69, 0.70], [0.72, 0.73, 0.72]),
        "tfidf-len1000": metadata([0.884, 0.884, 0.884], [0.69, 0.69, 0.69], [0.73, 0.73, 0.73]),
    })
    free = order_free(zoo, None)
    assert free.startswith("**A bag of words is hard to beat on whole reviews.**")
    assert "`bow-32d-len500` 0.880, `tfidf-len1000` 0.884" in free and "1 of the 1 seed-recipe" in free
    assert "(beyond the seed-to-seed spread)" in free
    probes = {"variants": {vid: {"tests": {"negation.negated": {"accuracy": a}, "contrast.but": {"accuracy": b}}}
                           for vid, a, b in [("simplernn-bi1x32-len500-mean-tuned", 0.5, 0.9),
                                             ("bow-32d-len500", 0.4, 0.7), ("tfidf-len1000", 0.3, 0.7)]}}
    best = reading_in_order(zoo, probes)
    assert best.startswith("**A SimpleRNN earns its keep with the right recipe.**")
    assert "reaches 0.895 on test against 0.884 for `tfidf-len1000` (beyond the seed-to-seed spread)" in best
    assert "0.710 / 0.750 on first / last sentences" in best and "scores 0.70, the references 0.55, 0.50" in best
