"""The speed work: length batches keep the seed's padding, and both benchmarks report their numbers.

The benchmarks themselves are commands, not timed tests: here they run on the tiny corpus
and zoo, and the tests check what they print, not how fast anything is.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import TINY_VARIANTS
from tests.test_cli import EXIT_OK, run
from training.batches import WIDTH_STEP, ReviewBatches, length_batches
from zoo import catalog
from zoo.text import PAD_INDEX, pad

SEED_SPEC = catalog.get("simplernn-1x32-len100")
TUNED_SPEC = catalog.get("simplernn-1x32-len300-tuned")
#: A masked recipe without crops: the recipes that read length batches.
MASKED_RECIPE = replace(TUNED_SPEC.recipe, crop_fraction=0.0)


def toy_sequences(n: int, maxlen: int, seed: int = 0) -> list[list[int]]:
    """Word-index sequences of every length from empty to well past ``maxlen``."""
    rng = np.random.default_rng(seed)
    return [list(rng.integers(2, 10_000, size=int(length))) for length in rng.integers(0, 2 * maxlen, size=n)]


def epoch_rows(batches: ReviewBatches) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(x, y) for x, y in batches]


# --- length batches ------------------------------------------------------------------------------


def test_a_length_batch_is_the_seeds_padded_rows_without_their_all_padding_columns():
    maxlen = SEED_SPEC.maxlen
    sequences = toy_sequences(700, maxlen)
    full = pad(sequences, maxlen)
    # Labels that name their row, so that each batch says which reviews it holds.
    batches = ReviewBatches(sequences, np.arange(len(sequences)), maxlen, MASKED_RECIPE, seed=3)
    seen = []
    for x, rows in epoch_rows(batches):
        width = x.shape[1]
        assert width % WIDTH_STEP == 0 or width == maxlen
        np.testing.assert_array_equal(x, full[rows, maxlen - width :])
        assert np.all(full[rows, : maxlen - width] == PAD_INDEX), "only padding is dropped"
        if len(rows) == 128:  # the short batch keeps every column, so its shape is the same each epoch
            assert width - WIDTH_STEP < max(min(len(sequences[r]), maxlen) for r in rows) or width == WIDTH_STEP
        else:
            assert width == maxlen
        seen.extend(rows)
    assert sorted(seen) == list(range(len(sequences))), "every review once per epoch"


def test_an_epoch_has_the_seeds_batches_and_the_next_epoch_new_ones():
    sequences = toy_sequences(1000, 250)  # 0 to 500 words
    batches = ReviewBatches(sequences, np.arange(len(sequences)), 500, MASKED_RECIPE, seed=3)
    first, second = epoch_rows(batches), epoch_rows(batches)
    sizes = sorted(len(rows) for _, rows in first)
    assert len(first) == len(batches) == -(-1000 // 128)
    assert sizes[1:] == [128] * (len(sizes) - 1) and sizes[0] == 1000 - 128 * (len(sizes) - 1)
    assert [rows.tolist() for _, rows in first] != [rows.tolist() for _, rows in second]
    # Sorting by length within windows: far less padding than the seed's maxlen per row.
    assert sum(x.size for x, _ in first) < 0.7 * 1000 * 500


def test_the_seed_recipe_reads_length_batches_too():
    sequences = toy_sequences(600, SEED_SPEC.maxlen // 2)  # 0 to 100 words
    full = pad(sequences, SEED_SPEC.maxlen)
    batches = ReviewBatches(sequences, np.arange(len(sequences)), SEED_SPEC.maxlen, SEED_SPEC.recipe, seed=3)
    widths = set()
    for x, rows in epoch_rows(batches):
        np.testing.assert_array_equal(x, full[rows, SEED_SPEC.maxlen - x.shape[1] :])
        widths.add(x.shape[1])
    assert len(widths) > 1


def test_length_batches_are_reproducible_from_the_seed():
    lengths = np.array([len(s) for s in toy_sequences(600, 200)])
    a = length_batches(lengths, 128, 200, np.random.default_rng(5))
    b = length_batches(lengths, 128, 200, np.random.default_rng(5))
    assert [(r.tolist(), w) for r, w in a] == [(r.tolist(), w) for r, w in b]


def test_crop_windows_join_the_epoch_as_extra_rows():
    sequences = toy_sequences(400, TUNED_SPEC.maxlen)
    labels = np.arange(len(sequences))
    batches = ReviewBatches(sequences, labels, TUNED_SPEC.maxlen, TUNED_SPEC.recipe, seed=1)
    rows = np.concatenate([y for _, y in batches])
    extra = int(len(sequences) * TUNED_SPEC.recipe.crop_fraction)
    assert len(batches) == -(-(len(sequences) + extra) // 128)
    assert len(rows) == len(sequences) + extra
    # Every review once, and each window labelled as the review it was cut from.
    counts = np.bincount(rows, minlength=len(sequences))
    assert np.all(counts >= 1) and counts.sum() - len(sequences) == extra


@pytest.mark.parametrize("variant_id", ["simplernn-1x32-len300-tuned", "simplernn-1x32-len100", "simplernn-4x32-len100",
                                        "lstm-1x32-len500", "gru-1x32-len500"])
def test_the_training_model_reads_a_length_batch_exactly_as_the_exported_model_reads_full_rows(variant_id):
    """Masked or not (the unmasked ones start from the state the dropped padding leads to)."""
    from training.model import build_model, build_training_model

    spec = catalog.get(variant_id)
    model = build_training_model(spec)
    sequences = toy_sequences(600, spec.maxlen // 2, seed=2)
    full = pad(sequences, spec.maxlen)
    recipe = replace(spec.recipe, crop_fraction=0.0)
    widths = set()
    exported = None
    for x, rows in ReviewBatches(sequences, np.arange(len(sequences)), spec.maxlen, recipe, seed=0):
        batch = np.asarray(model.predict_on_batch(x))
        if exported is None:
            exported = build_model(spec)
            exported.set_weights(model.get_weights())
        whole = np.asarray(exported.predict_on_batch(full[rows]))
        np.testing.assert_allclose(batch, whole, rtol=0, atol=2e-6)
        widths.add(x.shape[1])
    assert len(widths) > 1
    # The training model's weights are the exported model's, one for one.
    assert [w.shape for w in model.weights] == [w.shape for w in exported.weights]


# --- serving: shared encoding ---------------------------------------------------------------------


def test_classify_encodes_once_and_gives_each_variants_own_probabilities(tiny_zoo_path, monkeypatch):
    import zoo
    import zoo.store
    from zoo.inference import probabilities
    from zoo.text import Vocabulary

    calls = {"tokenize": 0, "lookup": 0, "pad": 0}

    def counted(name, function):
        def count(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return count

    texts = ["A wonderful, moving film.", "Dull and boring.", "the plot " * 300, "great"]
    z = zoo.open_zoo(tiny_zoo_path)
    with monkeypatch.context() as patch:
        patch.setattr(zoo.store, "tokenize", counted("tokenize", zoo.store.tokenize))
        patch.setattr(zoo.store, "pad", counted("pad", zoo.store.pad))
        patch.setattr(Vocabulary, "lookup", counted("lookup", Vocabulary.lookup))
        got = z.classify(texts)
    # Three variants, one shared vocabulary, two maxlens (100 and 300): each text is split into
    # words once and looked up once, and the batch is padded once per maxlen.
    maxlens = {z.artifact(v).spec.maxlen for v in TINY_VARIANTS}
    assert calls == {"tokenize": len(texts), "lookup": len(texts), "pad": len(maxlens)} and len(maxlens) == 2
    assert list(got) == list(TINY_VARIANTS)
    for variant_id in TINY_VARIANTS:
        vocabulary, maxlen = z.vocabulary(variant_id), z.artifact(variant_id).spec.maxlen
        expected = probabilities(z.model(variant_id), vocabulary.encode(texts, maxlen))
        np.testing.assert_array_equal(got[variant_id], expected)
    assert z.vocabulary(TINY_VARIANTS[0]) is z.vocabulary(TINY_VARIANTS[1]), "equal vocabularies are shared"


# --- the two benchmark commands -------------------------------------------------------------------

TRAINING_KEYS = ("naive_epoch_s", "pipeline_epoch_s", "speedup", "naive_val_accuracy", "pipeline_val_accuracy",
                 "naive_first_epoch_s", "pipeline_first_epoch_s", "naive_best_val_accuracy", "pipeline_best_val_accuracy")


def test_training_benchmark_prints_the_comparison_as_json(tiny_corpus):
    result = run("--data", str(tiny_corpus), "--variant", "simplernn-2x32-len100", "--epochs", "2", "--seeds", "2",
                 "--seed", "7", "--json", module="training.benchmark")
    assert result.returncode == EXIT_OK, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(isinstance(report[key], float) for key in TRAINING_KEYS)
    assert report["variant"] == "simplernn-2x32-len100" and [v["variant"] for v in report["variants"]] == [report["variant"]]
    assert report["seeds"] == [7, 8]
    for run_name in ("naive", "pipeline"):
        runs = report[f"{run_name}_runs"]
        assert [r["seed"] for r in runs] == [7, 8]
        assert all(len(r["seconds"]) == 2 and len(r["val_accuracy"]) == 2 for r in runs)
        # Steady epochs (the second of each run), and accuracies, are means over the seeds.
        assert report[f"{run_name}_epoch_s"] == pytest.approx(np.mean([r["seconds"][1] for r in runs]), abs=1e-3)
        assert report[f"{run_name}_val_accuracy"] == pytest.approx(np.mean([r["val_accuracy"][-1] for r in runs]), abs=1e-5)
        assert report[f"{run_name}_best_val_accuracy"] == pytest.approx(np.mean([max(r["val_accuracy"]) for r in runs]), abs=1e-5)
    # The speedup is printed to two decimals.
    assert report["speedup"] == pytest.approx(report["naive_epoch_s"] / report["pipeline_epoch_s"], abs=0.006)
    assert report["data"]["validation_reviews"] == 24 and report["data"]["train_reviews"] == 96
    assert report["machine"]["cores"] >= 1 and report["machine"]["cpu"]
    assert report["libraries"]["keras"].startswith("3.") and report["threads"]["intra_op"] == 1


def test_zoo_benchmark_prints_the_serving_numbers(tiny_zoo_path, tiny_corpus):
    result = run("benchmark", "--zoo", str(tiny_zoo_path), "--data", str(tiny_corpus), "--repeats", "5", "--json")
    assert result.returncode == EXIT_OK, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("classify_one_p50_ms", "classify_one_p95_ms", "evaluate_25k_s", "load_all_s", "rss_mb", "first_classify_s",
                "keras_classify_one_p50_ms", "keras_speedup"):
        assert isinstance(report[key], float) and report[key] > 0, key
    assert report["classify_one_p50_ms"] <= report["classify_one_p95_ms"]
    assert report["variants"] == len(TINY_VARIANTS) and report["classify_one_reviews"] == 5
    assert report["evaluate_reviews"] == 120
    # The timed pass over the test split is the served path, and it gives what training measured.
    for variant_id in TINY_VARIANTS:
        meta = json.loads((tiny_zoo_path / variant_id / "metadata.json").read_text(encoding="utf-8"))
        assert report["test_accuracy"][variant_id] == meta["test_accuracy"]
