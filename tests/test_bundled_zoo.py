"""The bundled zoo: every catalog variant, trained, small, and what the README says it is and shows."""

from __future__ import annotations

import zipfile

import pytest

from zoo import catalog
from zoo.artifact import MODEL_FILE
from zoo.cli import LESSONS_END, LESSONS_START, REPORT_END, REPORT_START
from zoo.lessons import lessons_markdown
from zoo.report import results_block
from zoo.store import BUNDLED_ZOO, open_zoo
from tests.support.corpus import REPO

MAX_BUNDLE_BYTES = 25 * 1000 * 1000


def test_the_bundled_zoo_holds_every_catalog_variant_in_catalog_order():
    zoo = open_zoo(BUNDLED_ZOO)
    assert zoo.ids == [spec.id for spec in catalog.CATALOG]
    for artifact in zoo.artifacts():
        artifact.verify()
        assert artifact.spec == catalog.get(artifact.id)


def test_the_bundled_zoo_is_small_and_ships_no_optimizer_state():
    size = sum(path.stat().st_size for path in BUNDLED_ZOO.rglob("*") if path.is_file())
    assert size < MAX_BUNDLE_BYTES
    for variant in open_zoo(BUNDLED_ZOO).ids:
        names = zipfile.ZipFile(BUNDLED_ZOO / variant / MODEL_FILE).namelist()
        assert "model.weights.h5" in names
        with zipfile.ZipFile(BUNDLED_ZOO / variant / MODEL_FILE) as archive:
            assert b"optimizer" not in archive.read("model.weights.h5")


def test_the_bundled_zoo_meets_the_accuracy_floors():
    rows = {artifact.id: artifact.metadata for artifact in open_zoo(BUNDLED_ZOO).artifacts()}
    seed_simplernn = [m["test_accuracy"] for vid, m in rows.items() if vid.startswith("simplernn") and "tuned" not in vid]
    assert max(seed_simplernn) >= 0.85
    assert rows["simplernn-1x32-len300-tuned"]["test_accuracy"] >= 0.87
    assert rows["lstm-1x32-len500"]["test_accuracy"] >= 0.87


@pytest.mark.xfail(strict=True, reason="issue 22's target is not met yet: the bidirectional mean-pooled SimpleRNN "
                   "reaches 0.8855 (seeds 0.8823-0.8855), level with TF-IDF (0.8853) and below 0.89")
def test_the_best_simplernn_beats_both_order_free_references_at_0_89():
    rows = {artifact.id: artifact.metadata for artifact in open_zoo(BUNDLED_ZOO).artifacts()}
    best = catalog.READS_BOTH_WAYS.id
    assert rows[best]["test_accuracy"] >= 0.89
    for reference in (spec.id for spec in catalog.CATALOG if not spec.reads_order):
        assert rows[best]["test_accuracy"] > rows[reference]["test_accuracy"]
        for kind, value in rows[best]["short_text_accuracy"].items():
            assert value > rows[reference]["short_text_accuracy"][kind]


def readme_block(start: str, end: str) -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split(start, 1)[1].split(end, 1)[0].strip()


def test_the_readme_table_is_the_one_the_artifacts_generate():
    assert readme_block(REPORT_START, REPORT_END) == results_block(open_zoo(BUNDLED_ZOO)).strip()


def test_the_readme_lessons_are_the_ones_the_artifacts_and_probes_generate():
    """Five or six lessons, each with its numbers: run `python -m zoo report --update README.md`."""
    shown = readme_block(LESSONS_START, LESSONS_END)
    assert shown == lessons_markdown(open_zoo(BUNDLED_ZOO)).strip()
    assert 5 <= shown.count("\n- ") + 1 <= 6


@pytest.mark.slow
def test_the_compiled_forward_pass_gives_what_keras_predict_gives_for_every_bundled_variant():
    """Serving runs each model through ``inference.compiled_forward`` (XLA), in padded chunks:
    one row, a few rows (padded to 16) and more than one chunk of 256. XLA orders float32
    operations its own way: over hundreds of steps of a 4-layer stack that moves the 5th
    decimal at most (the test accuracies, to 5 decimals, are unchanged: ``zoo evaluate``)."""
    import numpy as np

    from zoo.inference import probabilities, reading_curve

    z = open_zoo(BUNDLED_ZOO)
    rng = np.random.default_rng(0)
    for variant_id in z.ids:
        model, maxlen = z.model(variant_id), z.artifact(variant_id).spec.maxlen
        x = rng.integers(1, catalog.NUM_WORDS, size=(300, maxlen)).astype(np.int32)
        for row, length in enumerate(rng.integers(0, maxlen, size=300)):
            x[row, : maxlen - length] = 0  # pre-padding, as the text pipeline writes it
        expected = np.asarray(model.predict(x, batch_size=300, verbose=0)).reshape(-1)
        for rows in (1, 5, 300):
            np.testing.assert_allclose(probabilities(model, x[:rows]), expected[:rows], rtol=0, atol=1e-4,
                                       err_msg=variant_id)
        curve = reading_curve(z.reader(variant_id), x[0], 7)
        assert curve.shape == (7,) and abs(curve[-1] - expected[0]) < 1e-4
