"""The speed work: length batches keep the seed's padding, and both benchmarks report their numbers.

The benchmarks themselves are commands, not timed tests: here they run on the tiny corpus
and zoo, and the tests check what they print, not how fast anything is.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from tests.support.corpus import TINY_VARIANTS
from tests.support.cli import call, run
from training.batches import ReviewBatches, length_batches
from zoo import catalog
from zoo.cli import EXIT_OK
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


def first_used_column(x: np.ndarray) -> int:
    """Where the training model starts its loop for the batch ``x``."""
    used = np.flatnonzero((x != PAD_INDEX).any(axis=0))
    return int(used[0]) if len(used) else x.shape[1]


def test_a_length_batch_is_the_seeds_padded_rows_of_reviews_of_similar_length():
    maxlen = SEED_SPEC.maxlen
    sequences = toy_sequences(700, maxlen)
    full = pad(sequences, maxlen)
    # Labels that name their row, so that each batch says which reviews it holds.
    batches = ReviewBatches(sequences, np.arange(len(sequences)), maxlen, MASKED_RECIPE, seed=3)
    seen, starts = [], []
    for x, rows in epoch_rows(batches):
        np.testing.assert_array_equal(x, full[rows])  # one shape: one compiled step
        starts.append(first_used_column(x))
        seen.extend(rows)
    assert sorted(seen) == list(range(len(sequences))), "every review once per epoch"
    # Sorted by length within windows: some batches start their loop late (short reviews).
    assert max(starts) >= maxlen // 2 and min(starts) == 0


def test_an_epoch_has_the_seeds_batches_and_the_next_epoch_new_ones():
    sequences = toy_sequences(1000, 250)  # 0 to 500 words
    batches = ReviewBatches(sequences, np.arange(len(sequences)), 500, MASKED_RECIPE, seed=3)
    first, second = epoch_rows(batches), epoch_rows(batches)
    sizes = sorted(len(rows) for _, rows in first)
    assert len(first) == len(batches) == -(-1000 // 128)
    assert sizes[1:] == [128] * (len(sizes) - 1) and sizes[0] == 1000 - 128 * (len(sizes) - 1)
    assert [rows.tolist() for _, rows in first] != [rows.tolist() for _, rows in second]
    # Sorting by length within windows: far fewer loop steps than the seed's maxlen per batch.
    assert sum(500 - first_used_column(x) for x, _ in first) < 0.8 * len(first) * 500


def test_the_seed_recipe_reads_length_batches_too():
    sequences = toy_sequences(600, SEED_SPEC.maxlen // 2)  # 0 to 100 words
    full = pad(sequences, SEED_SPEC.maxlen)
    batches = ReviewBatches(sequences, np.arange(len(sequences)), SEED_SPEC.maxlen, SEED_SPEC.recipe, seed=3)
    starts = set()
    for x, rows in epoch_rows(batches):
        np.testing.assert_array_equal(x, full[rows])
        starts.add(first_used_column(x))
    assert len(starts) > 1


def test_length_batches_are_reproducible_from_the_seed():
    lengths = np.array([len(s) for s in toy_sequences(600, 200)])
    a = length_batches(lengths, 128, np.random.default_rng(5))
    b = length_batches(lengths, 128, np.random.default_rng(5))
    assert [r.tolist() for r in a] == [r.tolist() for r in b]


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


@pytest.mark.slow
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
    starts = set()
    exported = None
    for x, rows in ReviewBatches(sequences, np.arange(len(sequences)), spec.maxlen, recipe, seed=0):
        batch = np.asarray(model.predict_on_batch(x))
        if exported is None:
            exported = build_model(spec)
            exported.set_weights(model.get_weights())
        whole = np.asarray(exported.predict_on_batch(full[rows]))
        np.testing.assert_allclose(batch, whole, rtol=0, atol=2e-6)
        starts.add(first_used_column(x))
    assert len(starts) > 1
    # The training model's weights are the exported model's, one for one.
    assert [w.shape for w in model.weights] == [w.shape for w in exported.weights]


@pytest.mark.slow
@pytest.mark.parametrize("variant_id", ["simplernn-1x32-len100", "simplernn-4x32-len100", "simplernn-1x32-len300-tuned",
                                        "gru-1x32-len500"])
def test_the_training_models_gradients_are_the_exported_models_on_full_rows(variant_id):
    """What training applies: the loss's gradient for every weight. SimpleRNN without a mask
    takes its written-out backward pass (``training.model.simple_rnn_stack``), the others
    autodiff; both must give the gradients of the layer-by-layer model on the full rows."""
    import keras
    import tensorflow as tf

    from training.model import build_model, build_training_model

    spec = catalog.get(variant_id)
    keras.utils.set_random_seed(0)  # the same weights each run: a failure can be run again
    model = build_training_model(spec)
    exported = build_model(spec)
    exported.set_weights(model.get_weights())
    sequences = toy_sequences(64, spec.maxlen // 3, seed=4)
    sequences = sorted(sequences, key=len)[:40]  # short reviews: the loop starts late
    x = pad(sequences, spec.maxlen)
    y = (np.arange(len(x)) % 2).astype("float32")[:, None]

    def gradients(network, compiled):
        @tf.function(jit_compile=compiled)
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = keras.losses.binary_crossentropy(y, network(x, training=True))
            return [tf.convert_to_tensor(g) for g in tape.gradient(loss, network.trainable_variables)]
        return [g.numpy() for g in step(x, y)]

    assert 0 < first_used_column(x) < spec.maxlen
    for got, want in zip(gradients(model, True), gradients(exported, False), strict=True):
        # The padding word's embedding gradient sums thousands of terms, in another order
        # here (the shared padding run): equal up to float rounding at the tensor's scale.
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


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

PHASES = ("whole_s", "prepare_s", "first_epoch_s", "compile_s", "epoch_s", "finish_s")


@pytest.mark.slow
def test_training_benchmark_times_whole_runs_of_the_seed_code_and_of_training_train(tiny_corpus):
    result = run("--data", str(tiny_corpus), "--variant", "simplernn-1x32-len100", "--epochs", "2", "--seed", "7",
                 "--json", module="training.benchmark")
    assert result.returncode == EXIT_OK, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["variant"] == "simplernn-1x32-len100" and report["epochs"] == 2 and report["cache"] == "cold"
    [one] = report["rounds"]
    for name in ("seed_code", "pipeline"):
        phases = one[name]
        assert all(isinstance(phases[key], float) for key in PHASES), phases
        assert len(phases["seconds"]) == 2
        # The whole run holds its parts: reading and encoding, the epochs, and the rest.
        assert phases["whole_s"] == pytest.approx(phases["prepare_s"] + sum(phases["seconds"]) + phases["finish_s"],
                                                  abs=0.02)
        assert phases["epoch_s"] == pytest.approx(phases["seconds"][1], abs=1e-3)
        assert 0.0 <= phases["test_accuracy"] <= 1.0
    assert one["speedup"] == pytest.approx(one["seed_code"]["whole_s"] / one["pipeline"]["whole_s"], abs=0.006)
    assert report["speedup"] == one["speedup"]
    assert report["machine"]["cores"] >= 1 and report["machine"]["cpu"]
    assert report["libraries"]["keras"].startswith("3.") and report["threads"]["requested"] == 1


def test_zoo_benchmark_prints_the_serving_numbers(tiny_zoo_path, tiny_corpus):
    result = call("benchmark", "--zoo", str(tiny_zoo_path), "--data", str(tiny_corpus), "--repeats", "5", "--json")
    assert result.returncode == EXIT_OK, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("classify_one_p50_ms", "classify_one_p95_ms", "evaluate_25k_s", "load_all_s", "rss_mb", "first_classify_s",
                "keras_classify_one_p50_ms", "keras_slowdown"):
        assert isinstance(report[key], float) and report[key] > 0, key
    assert report["variants"] == len(TINY_VARIANTS) and report["classify_one_reviews"] == 5
    assert report["evaluate_reviews"] == 120
    # The timed pass over the test split is the served path, and it gives what training measured.
    for variant_id in TINY_VARIANTS:
        meta = json.loads((tiny_zoo_path / variant_id / "metadata.json").read_text(encoding="utf-8"))
        assert report["test_accuracy"][variant_id] == meta["test_accuracy"]


# --- the corpus cache and parallel training ------------------------------------------------------


def test_the_corpus_is_encoded_once_and_cached_under_a_key_of_data_and_text_pipeline(tiny_corpus, tmp_path, monkeypatch):
    from training import corpus as corpus_module
    from training.corpus import Corpus, cache_path
    from zoo.imdb import load_imdb

    imdb = load_imdb(tiny_corpus)
    split = SEED_SPEC.recipe.validation_split
    first = Corpus.load(imdb, SEED_SPEC.num_words, split, cache=tmp_path)
    path = cache_path(tmp_path, imdb.fingerprint, SEED_SPEC.num_words, split, None)
    assert path.exists() and path.parent == tmp_path

    def no_encoding(*args, **kwargs):
        raise AssertionError("encoded again")

    with monkeypatch.context() as patch:
        patch.setattr(Corpus, "prepare", no_encoding)
        again = Corpus.load(imdb, SEED_SPEC.num_words, split, cache=tmp_path)
    assert again.vocabulary == first.vocabulary and again.data_record() == first.data_record()
    for name, encoded in first.splits.items():
        assert [s.tolist() for s in again.splits[name].sequences] == [s.tolist() for s in encoded.sequences], name
        np.testing.assert_array_equal(again.splits[name].labels, encoded.labels)
    # What the cache holds is what the text pipeline gives for the raw texts.
    assert first.vocabulary.encode(imdb.test.texts[:5], 100).tolist() == again.test.padded(100)[:5].tolist()
    # Another text pipeline, vocabulary size or data is another file; a damaged file is encoded again.
    monkeypatch.setattr(corpus_module, "TEXT_PIPELINE_VERSION", corpus_module.TEXT_PIPELINE_VERSION + 1)
    assert cache_path(tmp_path, imdb.fingerprint, SEED_SPEC.num_words, split, None) != path
    monkeypatch.undo()
    assert cache_path(tmp_path, imdb.fingerprint, 5_000, split, None) != path
    assert cache_path(tmp_path, "0" * 16, SEED_SPEC.num_words, split, None) != path
    path.write_bytes(path.read_bytes()[:100])
    repaired = Corpus.load(imdb, SEED_SPEC.num_words, split, cache=tmp_path)
    assert repaired.test.padded(100).tolist() == first.test.padded(100).tolist()
    assert Corpus.read(path).vocabulary == first.vocabulary


def test_jobs_train_variants_in_parallel_report_a_failed_one_and_keep_the_others(tiny_corpus, tiny_zoo_path, tmp_path):
    import keras

    good, bad = "simplernn-1x32-len100", "simplernn-2x32-len100"
    work = tmp_path / "work"
    (work / bad).mkdir(parents=True)
    (work / bad / "checkpoint.json").write_text("not a checkpoint", encoding="utf-8")
    out = tmp_path / "zoo"
    result = run("--variant", bad, "--variant", good, "--epochs", "1", "--seed", "7", "--jobs", "2", "--resume",
                 "--work", str(work), "--out", str(out), "--data", str(tiny_corpus), module="training.train")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{bad}: FAILED: CheckpointError" in result.stdout
    assert "Trained 1 of 2 run(s)" in result.stdout and f"1 run(s) failed: {bad}" in result.stderr
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [good]
    # The same artifact a run in one process writes (the tiny zoo's: seed 7, one epoch).
    trained = keras.saving.load_model(out / good / "model.keras")
    expected = keras.saving.load_model(tiny_zoo_path / good / "model.keras")
    for a, b in zip(trained.get_weights(), expected.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert (out / good / "vocabulary.txt").read_bytes() == (tiny_zoo_path / good / "vocabulary.txt").read_bytes()


def test_the_zoo_card_says_on_what_machine_and_pipeline_each_artifact_records_it_trained(tiny_zoo_copy):
    import os

    from training.fit import PIPELINE
    from zoo.machine import cpu_model
    from zoo.report import render_zoo_card, training_caption
    from zoo.store import open_zoo

    recorded = f"{cpu_model()}, {os.cpu_count()} cores, trained by `{PIPELINE}`"
    assert training_caption(open_zoo(tiny_zoo_copy)).endswith(f"metadata records it: on {recorded}.")
    assert recorded in render_zoo_card(open_zoo(tiny_zoo_copy), "owner/zoo")
    # An artifact from before the record (no "training" key) says so, and the others keep theirs.
    path = tiny_zoo_copy / TINY_VARIANTS[0] / "metadata.json"
    metadata = json.loads(path.read_text(encoding="utf-8"))
    del metadata["training"]
    path.write_text(json.dumps(metadata), encoding="utf-8")
    caption = training_caption(open_zoo(tiny_zoo_copy))
    assert f"on a machine not recorded for `{TINY_VARIANTS[0]}`" in caption
    assert f"on {recorded} for `{TINY_VARIANTS[1]}`, `{TINY_VARIANTS[2]}`" in caption


def test_training_writes_into_a_folder_git_ignores_unless_the_bundled_zoo_is_named():
    import shutil
    import subprocess
    from pathlib import Path

    from tests.support.corpus import REPO
    from training.train import DEFAULT_OUT, parse_args
    from zoo.store import BUNDLED_ZOO

    assert parse_args(["--all"]).out == DEFAULT_OUT
    assert (REPO / DEFAULT_OUT).resolve() != BUNDLED_ZOO
    assert parse_args(["--all", "--out", "bundled_zoo"]).out == Path("bundled_zoo")
    if shutil.which("git") and (REPO / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", f"{DEFAULT_OUT}/simplernn-1x32-len500/model.keras"],
                                 cwd=REPO)
        assert ignored.returncode == 0, f"{DEFAULT_OUT}/ is not ignored by git"
