"""The artifact a training run leaves: what it holds, that it loads back to the same model,
that it is written atomically, and that damage is reported rather than served."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.support.corpus import REPO, TINY_VARIANTS
from tests.support.files import copy_files, leftovers, snapshot
from zoo.artifact import (
    CARD_FILE, CHECKED_FILES, HISTORY_FILE, HISTORY_KEYS, MANIFEST_FILE, METADATA_FILE, MODEL_FILE,
    VOCABULARY_FILE, Artifact, ArtifactError, read_manifest, recover, sha256, write_json, write_variant,
)

ROUND_TRIP_ID = "simplernn-1x32-len100"
ROUND_TRIP_EPOCHS = 3
ROUND_TRIP_SEED = 11
TEXTS = [
    "Great wonderful film, loved it!", "awful boring mess", "", "zzz qqq unknown words",
    "the plot " * 300, "Brilliant.<br /><br />Best film of the year",
]


@pytest.fixture(scope="module")
def round_trip(tiny_corpus, tmp_path_factory):
    """Train one variant for a few epochs and write it, keeping what it had in memory:
    the exported model and the weights after every epoch."""
    import training.fit as train
    from zoo import catalog
    from zoo.imdb import load_imdb

    exported, epoch_weights = [], []

    class Recorder(train.EpochRecorder):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            epoch_weights.append(self.model.get_weights())

    def build_model(spec, idf=None):
        model = original_build_model(spec, idf)
        exported.append(model)
        return model

    original_build_model = train.build_model
    corpus = train.Corpus.prepare(load_imdb(tiny_corpus), catalog.NUM_WORDS, catalog.SEED_RECIPE.validation_split)
    spec = catalog.get(ROUND_TRIP_ID)
    spec = replace(spec, recipe=replace(spec.recipe, epochs=ROUND_TRIP_EPOCHS))
    out = tmp_path_factory.mktemp("round_trip")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train, "build_model", build_model)
        patch.setattr(train, "EpochRecorder", Recorder)
        folder = train.train_variant(spec, corpus, seed=ROUND_TRIP_SEED, out=out, verbose=0)
    [best] = exported
    return {"folder": folder, "spec": spec, "corpus": corpus, "best": best, "epoch_weights": epoch_weights,
            "tiny_corpus": tiny_corpus}


# --- train -> save -> load ---------------------------------------------------------------------


def test_loaded_model_gives_identical_probabilities(round_trip):
    artifact = Artifact.read(round_trip["folder"])
    x = artifact.vocabulary().encode(TEXTS, artifact.spec.maxlen)
    in_memory = np.asarray(round_trip["best"].predict_on_batch(x))
    loaded = np.asarray(artifact.load_model().predict_on_batch(x))
    # Same weights, same graph; only float32 rounding may differ (TensorFlow picks kernels
    # per traced batch shape, and the in-memory model was first traced for other batches).
    np.testing.assert_allclose(loaded, in_memory, rtol=0, atol=1e-6)
    assert loaded.shape == (len(TEXTS), 1) and np.all((loaded > 0) & (loaded < 1))


def test_zoo_classify_gives_the_in_memory_probabilities(round_trip):
    import zoo

    folder = round_trip["folder"]
    x = round_trip["corpus"].vocabulary.encode(TEXTS, 100)
    expected = np.asarray(round_trip["best"].predict_on_batch(x)).reshape(-1)
    got = zoo.open_zoo(folder.parent).classify(TEXTS)
    assert list(got) == [ROUND_TRIP_ID]
    np.testing.assert_allclose(got[ROUND_TRIP_ID], expected, rtol=0, atol=1e-6)


def test_model_file_loads_with_plain_keras_in_safe_mode(round_trip):
    import keras

    model = keras.saving.load_model(round_trip["folder"] / MODEL_FILE, safe_mode=True)
    assert [type(layer).__name__ for layer in model.layers] == ["Embedding", "SimpleRNN", "Dense"]
    assert getattr(model, "optimizer", None) is None  # no optimizer state ships
    for saved, kept in zip(model.get_weights(), round_trip["best"].get_weights()):
        np.testing.assert_array_equal(saved, kept)


def test_the_vocabulary_ships_with_the_model(round_trip):
    artifact = Artifact.read(round_trip["folder"])
    assert artifact.vocabulary() == round_trip["corpus"].vocabulary
    assert "wonderful" in artifact.vocabulary()


def test_metadata_describes_the_run(round_trip, tiny_corpus):
    import keras

    from zoo.imdb import load_imdb
    from zoo.text import tokenize

    folder, spec = round_trip["folder"], round_trip["spec"]
    meta = json.loads((folder / METADATA_FILE).read_text())
    history = json.loads((folder / HISTORY_FILE).read_text())
    assert meta["id"] == ROUND_TRIP_ID
    assert meta["spec"] == json.loads(json.dumps(spec.to_dict()))
    assert meta["params"] == 322_113
    assert set(history) == set(HISTORY_KEYS)
    assert all(len(history[key]) == ROUND_TRIP_EPOCHS for key in HISTORY_KEYS)
    # The best epoch is the first with the highest validation accuracy, counted from 1.
    assert meta["best_epoch"] == 1 + int(np.argmax(history["val_accuracy"]))
    assert meta["val_accuracy"] == max(history["val_accuracy"])
    assert meta["val_loss"] == history["val_loss"][meta["best_epoch"] - 1]
    # Test metrics are what anyone re-measures with the shipped files and plain Keras: the model
    # file, vocabulary.txt, keras.utils.pad_sequences and Keras' own loss, not zoo.evaluation.
    test = load_imdb(round_trip["tiny_corpus"]).test  # the raw texts (training read its cached encoding)
    model = keras.saving.load_model(folder / MODEL_FILE, compile=False)
    index = {word: i for i, word in enumerate((folder / VOCABULARY_FILE).read_text(encoding="utf-8").split("\n"))}
    x = keras.utils.pad_sequences([[index.get(w, 1) for w in tokenize(text)] for text in test.texts], maxlen=spec.maxlen)
    p = model.predict(x, verbose=0).reshape(-1)
    assert meta["test_accuracy"] == pytest.approx(np.mean((p > 0.5) == (test.labels == 1)), abs=1e-5)
    loss = keras.losses.BinaryCrossentropy()(test.labels.astype("float32"), p)
    assert meta["test_loss"] == pytest.approx(float(loss), abs=1e-4)
    assert set(meta["short_text_accuracy"]) == {"first_sentence", "last_sentence"}
    assert meta["seconds_per_epoch"] == round(sum(history["seconds"][1:]) / (ROUND_TRIP_EPOCHS - 1), 2)
    assert meta["seconds_per_epoch"] > 0
    assert meta["data"] | {"fingerprint": None} == {
        "dataset": "imdb (aclImdb_v1, Maas et al. 2011)", "fingerprint": None,
        "train_reviews": 96, "validation_reviews": 24, "test_reviews": 120, "split_seed": 113,
        "median_train_words": meta["data"]["median_train_words"],
    }
    assert 10 < meta["data"]["median_train_words"] < 70  # the made-up reviews have 8 to 60 words, and one more
    import training.fit as train
    from zoo.machine import this_machine
    from zoo.text import TEXT_PIPELINE_VERSION

    # Which text pipeline and training pipeline made it, and on what machine its seconds were measured.
    assert meta["text_pipeline"] == TEXT_PIPELINE_VERSION
    from training.reproduce import code_revision, determinism

    assert meta["training"] == {"pipeline": train.PIPELINE, "code": code_revision(), **determinism(),
                                "machine": this_machine()}
    assert meta["data"]["fingerprint"] == load_imdb(tiny_corpus).fingerprint
    assert meta["seed"] == ROUND_TRIP_SEED
    assert meta["versions"]["keras"] == keras.__version__
    assert meta["versions"]["backend"] == "tensorflow"
    assert meta["versions"]["tensorflow"] and meta["versions"]["numpy"] == np.__version__
    assert meta["created"].endswith("+00:00")
    assert meta["files"] == {name: sha256(folder / name) for name in CHECKED_FILES}


def test_history_keeps_every_epoch_while_the_best_epochs_weights_ship(round_trip):
    import keras

    folder = round_trip["folder"]
    history = json.loads((folder / HISTORY_FILE).read_text())
    best_epoch = json.loads((folder / METADATA_FILE).read_text())["best_epoch"]
    assert len(history["loss"]) == len(round_trip["epoch_weights"]) == ROUND_TRIP_EPOCHS
    saved = keras.saving.load_model(folder / MODEL_FILE).get_weights()
    for epoch, weights in enumerate(round_trip["epoch_weights"], 1):
        same = all(np.array_equal(a, b) for a, b in zip(saved, weights))
        assert same == (epoch == best_epoch), f"epoch {epoch}, best epoch {best_epoch}"


def test_model_card_has_hugging_face_metadata(round_trip):
    folder = round_trip["folder"]
    meta = json.loads((folder / METADATA_FILE).read_text())
    card = (folder / CARD_FILE).read_text(encoding="utf-8")
    assert card.startswith("---\n")
    header, body = card.removeprefix("---\n").split("\n---\n", 1)
    front = yaml.safe_load(header)
    assert front["library_name"] == "keras"
    assert front["datasets"] == ["stanfordnlp/imdb"]
    assert front["metrics"] == ["accuracy"]
    [entry] = front["model-index"]
    assert entry["name"] == ROUND_TRIP_ID
    [result] = entry["results"]
    assert result["dataset"]["split"] == "test"
    assert result["metrics"] == [
        {"type": "accuracy", "value": meta["test_accuracy"], "name": "test accuracy"},
        *({"type": "accuracy", "value": meta["short_text_accuracy"][kind],
           "name": f"accuracy on each test review's {kind.replace('_', ' ')}"} for kind in ("first_sentence", "last_sentence")),
    ]
    assert f"# {ROUND_TRIP_ID}" in body
    assert "Embedding(10000, 32) → SimpleRNN(32) → Dense(1, sigmoid) (322,113 parameters)" in body
    assert f"| test accuracy | {meta['test_accuracy']:.4f} |" in body
    assert sum(line.startswith("| ") and line[2].isdigit() for line in body.splitlines()) == ROUND_TRIP_EPOCHS


def test_the_manifest_lists_the_variant(round_trip):
    assert read_manifest(round_trip["folder"].parent) == [ROUND_TRIP_ID]


# --- choosing the best epoch -------------------------------------------------------------------


class FakeModel:
    """Stands in for a Keras model: its 'weights' name the epoch they come from."""

    def __init__(self):
        self.epoch = 0
        self.stop_training = False

    def get_weights(self):
        return [f"weights after epoch {self.epoch}"]


def run_recorder(val_accuracies, patience=None):
    from training.fit import EpochRecorder

    recorder, model = EpochRecorder(patience), FakeModel()
    recorder.set_model(model)
    for epoch, val_accuracy in enumerate(val_accuracies):
        if model.stop_training:
            break
        model.epoch = epoch + 1
        recorder.on_epoch_begin(epoch)
        logs = {"loss": 0.5, "accuracy": 0.7, "val_loss": 1 - val_accuracy, "val_accuracy": val_accuracy}
        recorder.on_epoch_end(epoch, logs)
    return recorder, model


@pytest.mark.slow
def test_recorder_keeps_the_best_validation_epoch_and_the_whole_history():
    recorder, model = run_recorder([0.70, 0.84, 0.86, 0.81, 0.79])
    assert recorder.best_epoch == 3
    assert recorder.best_weights == ["weights after epoch 3"]
    assert recorder.history["val_accuracy"] == [0.70, 0.84, 0.86, 0.81, 0.79]
    assert all(len(recorder.history[key]) == 5 for key in HISTORY_KEYS)
    assert not model.stop_training


def test_recorder_keeps_the_earlier_epoch_on_a_tie():
    recorder, _ = run_recorder([0.80, 0.85, 0.85, 0.850001])
    assert recorder.best_epoch == 2  # 0.850001 is recorded as 0.85: a tie, not an improvement


def test_recorder_stops_after_patience_epochs_without_improvement():
    recorder, model = run_recorder([0.70, 0.80, 0.78, 0.79, 0.90, 0.95], patience=2)
    assert model.stop_training
    assert recorder.history["val_accuracy"] == [0.70, 0.80, 0.78, 0.79]
    assert recorder.best_epoch == 2


# --- atomic writes -------------------------------------------------------------------------------


def test_replacing_a_variant_swaps_in_the_complete_new_one(tiny_zoo_copy):
    target, source = tiny_zoo_copy / TINY_VARIANTS[0], tiny_zoo_copy / TINY_VARIANTS[1]
    new = snapshot(source)
    manifest = (tiny_zoo_copy / MANIFEST_FILE).read_bytes()
    assert write_variant(tiny_zoo_copy, TINY_VARIANTS[0], copy_files(source)) == target
    assert snapshot(target) == new
    assert (tiny_zoo_copy / MANIFEST_FILE).read_bytes() == manifest
    assert leftovers(tiny_zoo_copy) == []


def test_a_new_variant_is_added_to_the_manifest_in_catalog_order(tiny_zoo_copy):
    write_variant(tiny_zoo_copy, "gru-1x32-len500", copy_files(tiny_zoo_copy / TINY_VARIANTS[0]))
    assert read_manifest(tiny_zoo_copy) == [TINY_VARIANTS[0], TINY_VARIANTS[1], "gru-1x32-len500", TINY_VARIANTS[2]]


def test_a_fill_that_fails_midway_leaves_the_previous_variant(tiny_zoo_copy):
    target = tiny_zoo_copy / TINY_VARIANTS[0]
    before, manifest = snapshot(target), (tiny_zoo_copy / MANIFEST_FILE).read_bytes()

    def fill(folder: Path) -> None:
        (folder / MODEL_FILE).write_bytes(b"half a model")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_variant(tiny_zoo_copy, TINY_VARIANTS[0], fill)
    assert snapshot(target) == before
    assert (tiny_zoo_copy / MANIFEST_FILE).read_bytes() == manifest
    assert leftovers(tiny_zoo_copy) == []


@pytest.mark.parametrize("damage", ["missing card", "corrupt model"])
def test_an_incomplete_or_corrupt_new_variant_never_replaces_the_previous(tiny_zoo_copy, damage):
    target, source = tiny_zoo_copy / TINY_VARIANTS[0], tiny_zoo_copy / TINY_VARIANTS[1]
    before = snapshot(target)

    def fill(folder: Path) -> None:
        copy_files(source)(folder)
        if damage == "missing card":
            (folder / CARD_FILE).unlink()
        else:
            with open(folder / MODEL_FILE, "r+b") as file:
                file.truncate(100)

    with pytest.raises(ArtifactError, match="README.md" if damage == "missing card" else "model.keras fails its checksum"):
        write_variant(tiny_zoo_copy, TINY_VARIANTS[0], fill)
    assert snapshot(target) == before
    assert leftovers(tiny_zoo_copy) == []


KILLED_WRITER = """
import sys, time
from pathlib import Path
from zoo.artifact import MODEL_FILE, write_variant

zoo_dir, marker = Path(sys.argv[1]), Path(sys.argv[2])

def fill(folder):
    (folder / MODEL_FILE).write_bytes(b"the first megabyte of a model" * 1000)
    marker.write_text(str(folder))
    time.sleep(120)

write_variant(zoo_dir, sys.argv[3], fill)
"""


def test_a_writer_killed_mid_save_leaves_the_previous_variant_and_recover_cleans_up(tiny_zoo_copy, tmp_path):
    import zoo

    target = tiny_zoo_copy / TINY_VARIANTS[0]
    before, manifest = snapshot(target), (tiny_zoo_copy / MANIFEST_FILE).read_bytes()
    marker = tmp_path / "filling"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(tiny_zoo_copy), str(marker), TINY_VARIANTS[0]],
        cwd=REPO, env=os.environ | {"PYTHONPATH": str(REPO)},
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the writer exited before it was killed"
            assert time.monotonic() < deadline, "the writer never started filling"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    staging = Path(marker.read_text())
    assert staging.parent == tiny_zoo_copy and staging.name.startswith(f".tmp-{TINY_VARIANTS[0]}-")
    assert leftovers(tiny_zoo_copy) == [staging.name]

    # Readers never see the half-written folder.
    assert snapshot(target) == before
    assert (tiny_zoo_copy / MANIFEST_FILE).read_bytes() == manifest
    assert zoo.open_zoo(tiny_zoo_copy).ids == list(TINY_VARIANTS)

    recover(tiny_zoo_copy)
    assert leftovers(tiny_zoo_copy) == []
    assert snapshot(target) == before


def test_recover_restores_a_previous_version_whose_replacement_never_arrived(tiny_zoo_copy):
    # Killed between moving the old folder aside and moving the new one in.
    target = tiny_zoo_copy / TINY_VARIANTS[0]
    before = snapshot(target)
    os.rename(target, tiny_zoo_copy / f".old-{TINY_VARIANTS[0]}")
    (tiny_zoo_copy / f".tmp-{TINY_VARIANTS[0]}-abc123").mkdir()
    recover(tiny_zoo_copy)
    assert snapshot(target) == before
    assert leftovers(tiny_zoo_copy) == []


def test_recover_drops_a_displaced_version_once_the_new_one_is_in_place(tiny_zoo_copy):
    # Killed after moving the new folder in, before deleting the old one.
    target = tiny_zoo_copy / TINY_VARIANTS[0]
    before = snapshot(target)
    shutil.copytree(tiny_zoo_copy / TINY_VARIANTS[1], tiny_zoo_copy / f".old-{TINY_VARIANTS[0]}")
    recover(tiny_zoo_copy)
    assert snapshot(target) == before
    assert leftovers(tiny_zoo_copy) == []


def test_writing_one_variant_leaves_another_writers_work_in_progress(tiny_zoo_copy):
    # Two trainers may share a zoo folder: one's write must not clean up the other's staging folder.
    busy = [f".tmp-{TINY_VARIANTS[2]}-k2j4_x9q", f".tmp-{TINY_VARIANTS[0]}-tuned-ab12cd34"]
    for name in busy:
        (tiny_zoo_copy / name).mkdir()
        (tiny_zoo_copy / name / MODEL_FILE).write_bytes(b"being written")
    (tiny_zoo_copy / f".tmp-{TINY_VARIANTS[0]}-stale123").mkdir()  # this variant's own leftover
    write_variant(tiny_zoo_copy, TINY_VARIANTS[0], copy_files(tiny_zoo_copy / TINY_VARIANTS[1]))
    assert leftovers(tiny_zoo_copy) == sorted(busy)


# --- damaged artifacts ---------------------------------------------------------------------------


def test_a_changed_file_fails_its_checksum(tiny_zoo_copy):
    folder = tiny_zoo_copy / TINY_VARIANTS[0]
    with open(folder / VOCABULARY_FILE, "a", encoding="utf-8") as file:
        file.write("extra\n")
    artifact = Artifact.read(folder)
    with pytest.raises(ArtifactError, match=f"{TINY_VARIANTS[0]}: vocabulary.txt fails its checksum"):
        artifact.verify()
    with pytest.raises(ArtifactError, match="vocabulary.txt fails its checksum"):
        artifact.load_model()


def test_a_truncated_model_is_refused(tiny_zoo_copy):
    folder = tiny_zoo_copy / TINY_VARIANTS[0]
    with open(folder / MODEL_FILE, "r+b") as file:
        file.truncate(1000)
    with pytest.raises(ArtifactError, match="model.keras fails its checksum"):
        Artifact.read(folder).load_model()


def test_an_unloadable_model_with_a_matching_checksum_is_an_artifact_error(tiny_zoo_copy):
    folder = tiny_zoo_copy / TINY_VARIANTS[0]
    (folder / MODEL_FILE).write_bytes(b"not a zip file")
    meta = json.loads((folder / METADATA_FILE).read_text())
    meta["files"][MODEL_FILE] = sha256(folder / MODEL_FILE)
    write_json(folder / METADATA_FILE, meta)
    with pytest.raises(ArtifactError, match=f"{TINY_VARIANTS[0]}: cannot load model.keras"):
        Artifact.read(folder).load_model()


@pytest.mark.parametrize("name", [MODEL_FILE, VOCABULARY_FILE, HISTORY_FILE, METADATA_FILE, CARD_FILE])
def test_a_missing_file_is_named(tiny_zoo_copy, name):
    folder = tiny_zoo_copy / TINY_VARIANTS[0]
    (folder / name).unlink()
    with pytest.raises(ArtifactError, match=f"{TINY_VARIANTS[0]}: missing {name}"):
        Artifact.read(folder)


def test_corrupt_json_is_an_artifact_error(tiny_zoo_copy):
    folder = tiny_zoo_copy / TINY_VARIANTS[0]
    (folder / METADATA_FILE).write_text('{"id": "trunc')
    with pytest.raises(ArtifactError, match="metadata.json is unreadable"):
        Artifact.read(folder)
    (folder / METADATA_FILE).write_text(json.dumps({"format": 99}))
    with pytest.raises(ArtifactError, match="artifact format 99, expected 1"):
        Artifact.read(folder)


def test_a_history_without_the_recorded_metrics_is_an_artifact_error(tiny_zoo_copy):
    folder = tiny_zoo_copy / TINY_VARIANTS[0]
    write_json(folder / HISTORY_FILE, {"loss": [0.5]})
    with pytest.raises(ArtifactError, match="history.json lacks"):
        Artifact.read(folder)


def test_a_missing_variant_folder_is_an_artifact_error(tmp_path):
    with pytest.raises(ArtifactError, match="missing"):
        Artifact.read(tmp_path / "simplernn-1x32-len100")


def test_one_broken_variant_does_not_hide_the_others(tiny_zoo_copy):
    import zoo

    with open(tiny_zoo_copy / TINY_VARIANTS[1] / MODEL_FILE, "r+b") as file:
        file.truncate(1000)
    results = zoo.open_zoo(tiny_zoo_copy).classify(["great film", "awful film"])
    assert isinstance(results[TINY_VARIANTS[1]], ArtifactError)
    for variant_id in (TINY_VARIANTS[0], TINY_VARIANTS[2]):
        assert results[variant_id].shape == (2,)


# --- padding -------------------------------------------------------------------------------------

SHORT = "Wonderful, loved it"
OTHERS = ["the plot " * 400, "awful boring terrible waste", "", "great " * 50]


@pytest.mark.parametrize("variant_id", TINY_VARIANTS)
def test_a_short_texts_probability_does_not_depend_on_its_batch(tiny_zoo_path, variant_id):
    import zoo

    z = zoo.open_zoo(tiny_zoo_path)
    alone = z.classify([SHORT], [variant_id])[variant_id][0]
    batched = z.classify([OTHERS[0], SHORT, *OTHERS[1:]], [variant_id])[variant_id][1]
    many = z.classify(OTHERS * 10 + [SHORT], [variant_id])[variant_id][-1]
    np.testing.assert_allclose([batched, many], [alone, alone], rtol=0, atol=1e-6)


def test_masked_variant_reads_a_short_text_the_same_whatever_the_padding(tiny_zoo_path):
    import zoo

    variant_id = "simplernn-1x32-len300-tuned"
    z = zoo.open_zoo(tiny_zoo_path)
    model, vocabulary = z.model(variant_id), z.vocabulary(variant_id)
    assert model.layers[0].mask_zero
    words = vocabulary.encode([SHORT], 3)[0]
    assert 0 not in words
    rows = [np.concatenate([np.zeros(padding, dtype=np.int32), words]) for padding in (0, 1, 10, 297, 600)]
    p = [float(np.asarray(model.predict_on_batch(row[None, :])).reshape(())) for row in rows]
    assert p == [p[0]] * len(p)
