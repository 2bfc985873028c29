"""The first answers without TensorFlow (``zoo.numpy_forward``, ``Zoo.first_answers``): Keras'
own answers, from the checksummed artifact, with no TensorFlow imported."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
import threading
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from zoo.artifact import MANIFEST_FILE, METADATA_FILE, MODEL_FILE, ArtifactError
from zoo.numpy_forward import NotRunnable, read_model
from zoo.store import BUNDLED_ZOO, open_zoo
from tests.support.corpus import REPO

LONG = " ".join(["The plot was thin and the pacing slow, yet the actors gave it warmth and I smiled often."] * 70)
TEXTS = [
    "A warm, funny film. I loved it.",             # short: mostly padding
    "awful",                                        # one word
    "not bad at all",
    "zzqx blorf qwvv plimf",                        # unknown words only
    "Great<br />acting, terrible script!!! 🎬 10/10",
    LONG,                                           # about 1,300 words: cut at every maxlen
]
#: The largest difference allowed between NumPy's and Keras' probability (float32 rounding).
TOLERANCE = 1e-5


@pytest.mark.slow  # loads and runs the 15 Keras models: about 15 s quiet, 30 s at load 7
def test_numpy_gives_keras_answers_for_every_bundled_variant():
    z = open_zoo(BUNDLED_ZOO)
    cells = set()
    for artifact in z.artifacts():
        x = artifact.vocabulary().encode(TEXTS, artifact.spec.maxlen)
        expected = artifact.load_model().predict(x, verbose=0)[:, 0]
        got = read_model(artifact).probabilities(x)
        np.testing.assert_allclose(got, expected, atol=TOLERANCE, rtol=0, err_msg=artifact.id)
        spec = artifact.spec
        cells.add((spec.cell, spec.layers > 1, spec.bidirectional, spec.pooling, spec.recipe.mask_zero))
    # Every kind of network the bundled zoo has: the cells, stacked, bidirectional and mean pooled, masked.
    assert {cell for cell, *_ in cells} == {"SimpleRNN", "LSTM", "GRU", "BagOfWords", "TfIdf"}
    assert ("SimpleRNN", True, False, "last", False) in cells
    assert ("SimpleRNN", False, True, "mean", True) in cells
    assert ("SimpleRNN", False, False, "last", True) in cells


def test_first_answers_match_classify_and_import_no_tensorflow():
    # A fresh process, as a fresh server: every variant answers, and neither TensorFlow nor Keras is imported.
    code = (
        "import json, sys\n"
        "from zoo.store import open_zoo\n"
        f"answers = open_zoo().first_answers({TEXTS[:3]!r})\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras'))\n"
        "print(json.dumps({'answers': {k: v.tolist() for k, v in answers.items()}, 'heavy': heavy}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["heavy"] == []
    assert list(result["answers"]) == open_zoo(BUNDLED_ZOO).ids
    assert all(len(p) == 3 and all(0 <= v <= 1 for v in p) for p in result["answers"].values())


def copy_variant(tmp_path: Path, variant_id: str) -> Path:
    """A zoo folder holding one bundled variant."""
    shutil.copytree(BUNDLED_ZOO / variant_id, tmp_path / variant_id)
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({"format": 1, "variants": [variant_id]}), encoding="utf-8")
    return tmp_path


def test_a_model_file_damaged_after_opening_gives_the_checksum_message(tmp_path):
    folder = copy_variant(tmp_path, "simplernn-1x32-len100")
    z = open_zoo(folder)
    assert z.entries()[0].error is None  # verified as the zoo opened...
    model = folder / "simplernn-1x32-len100" / MODEL_FILE
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0xFF
    model.write_bytes(bytes(data))  # ...then damaged: the bytes NumPy reads are checked again
    (answer,) = z.first_answers(["A fine film."]).values()
    assert isinstance(answer, ArtifactError)
    assert str(answer) == "simplernn-1x32-len100: model.keras fails its checksum (file changed or truncated)"


@pytest.mark.filterwarnings("ignore:Layer 'mean' .* does not support masking")  # Keras says it of this made-up model
def test_a_variant_with_a_layer_numpy_does_not_run_waits_for_keras(tmp_path):
    folder = copy_variant(tmp_path, "bow-32d-len500")
    variant = folder / "bow-32d-len500"
    # The same model read as a max over the words: a layer NumPy does not run (its checksum re-recorded).
    with zipfile.ZipFile(variant / MODEL_FILE) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    files["config.json"] = files["config.json"].replace(b"GlobalAveragePooling1D", b"GlobalMaxPooling1D")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    (variant / MODEL_FILE).write_bytes(buffer.getvalue())
    metadata = json.loads((variant / METADATA_FILE).read_text(encoding="utf-8"))
    metadata["files"][MODEL_FILE] = hashlib.sha256(buffer.getvalue()).hexdigest()
    (variant / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")

    z = open_zoo(folder)
    with pytest.raises(NotRunnable, match="GlobalMaxPooling1D"):
        read_model(z.artifact("bow-32d-len500"))
    assert z.first_answers(["A fine film."]) == {}  # left out: its answer waits for Keras
    assert z.classify(["A fine film."])["bow-32d-len500"].shape == (1,)


class RecordingZoo:
    """Stands in for a zoo in ``models_warming``: records when its models start loading."""

    def __init__(self):
        self.loading = threading.Event()

    def prepare(self, variant_ids, *, ready):
        self.loading.set()

    def warm_up(self, variant_ids):
        pass

    def stop_warming(self):
        pass


def test_tensorflow_import_waits_until_the_page_wants_the_models():
    from views.loading import models_warming

    z = RecordingZoo()
    warming = models_warming("a zoo", ("a-variant",), z)
    # The page computes and draws its NumPy answers meanwhile, without TensorFlow's import beside it.
    assert not z.loading.wait(0.5)
    warming.wanted.set()  # what wait_for_models does first, and the page's end (Warming.answered)
    assert z.loading.wait(5)
    warming.answered()
    warming.future.result(timeout=5)
