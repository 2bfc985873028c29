"""The ablation table: one row per change from the seed's SimpleRNN, each with what it changed."""

from __future__ import annotations

from types import SimpleNamespace

from training.ablation import ablation_table
from zoo import catalog


def fake(variant_id: str, test: float, first: float, last: float) -> SimpleNamespace:
    return SimpleNamespace(id=variant_id, metadata={"test_accuracy": test,
                                                    "short_text_accuracy": {"first_sentence": first, "last_sentence": last}})


def test_each_row_shows_its_measures_and_the_change_from_the_row_above():
    rows = [("the seed's SimpleRNN", fake("a", 0.861, 0.617, 0.646)), ("+ padding masked", fake("b", 0.870, 0.650, 0.700))]
    references = [fake("bow-32d-len500", 0.880, 0.690, 0.720)]
    probes = {"variants": {vid: {"tests": {"negation.negated": {"accuracy": n}, "contrast.but": {"accuracy": c}}}
                           for vid, n, c in [("a", 0.0, 0.78), ("b", 0.5, 0.80), ("bow-32d-len500", 0.375, 0.72)]}}
    lines = ablation_table(rows, probes, references).splitlines()
    assert lines[2] == "| the seed's SimpleRNN | `a` | 0.861 |  | 0.617 / 0.646 |  | 0.39 |  |"
    assert lines[3] == "| + padding masked | `b` | 0.870 | +0.009 | 0.650 / 0.700 | +0.033 / +0.054 | 0.65 | +0.26 |"
    assert lines[4].startswith("| order-free reference | `bow-32d-len500` | 0.880 |  |")


def test_the_ablation_ends_at_the_catalogs_best_simplernn_one_change_at_a_time():
    specs = [spec for _, spec in catalog.ABLATION]
    assert specs[0].recipe == catalog.SEED_RECIPE and specs[-1] == catalog.READS_BOTH_WAYS
    assert all(spec.cell == "SimpleRNN" and spec.maxlen == 500 for spec in specs)
