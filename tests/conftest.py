"""Shared fixtures: a tiny IMDB-layout corpus written by the tests, and a tiny zoo trained on it.

No review text from the dataset is in the repository: the corpus below is made of
sentences written for the tests.
"""

from __future__ import annotations

import io
import os
import random
import tarfile
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from zoo.quiet import quiet_tensorflow_logs

quiet_tensorflow_logs()
# The app under test is public, as on a fresh clone, unless a test asks for operator mode.
os.environ.pop("ZOO_ADMIN", None)
# Training's corpus cache goes into a temporary folder, not the user's cache (subprocesses inherit it).
os.environ.setdefault("SIMPLERNN_ZOO_CACHE", tempfile.mkdtemp(prefix="simplernn-zoo-test-cache-"))

REPO = Path(__file__).resolve().parent.parent
POSITIVE = "great wonderful loved brilliant superb moving delightful best enjoyed masterpiece".split()
NEGATIVE = "awful boring terrible worst waste dull poor hated mess disappointing".split()
FILLER = "the film movie plot actors story was and a it this with of scenes director".split()
#: Where the browser tests put a copy of their screenshots, for people reviewing the app by eye.
REVIEW_SCREENS = Path("/tmp/screens")
TINY_VARIANTS = ("simplernn-1x32-len100", "simplernn-2x32-len100", "simplernn-1x32-len300-tuned")


def make_review(rng: random.Random, positive: bool) -> str:
    cue = POSITIVE if positive else NEGATIVE
    words = [rng.choice(cue if rng.random() < 0.3 else FILLER) for _ in range(rng.randint(8, 60))]
    return " ".join(words).capitalize() + ".<br /><br />" + rng.choice(cue).capitalize() + "!"


def write_corpus(path: Path, per_label: int = 60, seed: int = 0) -> Path:
    """Write an ``aclImdb_v1.tar.gz``-layout archive of made-up reviews; returns its path."""
    rng = random.Random(seed)
    with tarfile.open(path, "w:gz") as archive:
        for split in ("train", "test"):
            for label in ("pos", "neg"):
                for review_id in range(per_label):
                    rating = rng.randint(7, 10) if label == "pos" else rng.randint(1, 4)
                    data = make_review(rng, label == "pos").encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{review_id}_{rating}.txt")
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
    return path


#: Fixtures that train real models (seconds to minutes): a test that uses one is ``slow``.
TRAINING_FIXTURES = frozenset({"tiny_zoo_path", "round_trip", "twice", "two_epochs"})


def pytest_collection_modifyitems(items):
    """Mark ``slow`` every test that needs a trained model, through any fixture it uses."""
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("data") / "aclImdb_v1.tar.gz")


@pytest.fixture(scope="session")
def tiny_zoo_path(tmp_path_factory, tiny_corpus) -> Path:
    """A zoo folder with TINY_VARIANTS, each trained for one epoch on the tiny corpus."""
    from training.corpus import Corpus
    from training.fit import train_variant
    from zoo import catalog
    from zoo.imdb import load_imdb

    out = tmp_path_factory.mktemp("zoo")
    corpus = Corpus.prepare(load_imdb(tiny_corpus), catalog.NUM_WORDS, catalog.SEED_RECIPE.validation_split)
    for variant_id in TINY_VARIANTS:
        spec = catalog.get(variant_id)
        spec = replace(spec, recipe=replace(spec.recipe, epochs=1))
        train_variant(spec, corpus, seed=7, out=out, verbose=0)
    return out


@pytest.fixture
def tiny_zoo_copy(tiny_zoo_path, tmp_path) -> Path:
    """A private copy of the tiny zoo that a test may damage."""
    import shutil

    return Path(shutil.copytree(tiny_zoo_path, tmp_path / "zoo"))


@pytest.fixture
def hf_cache(monkeypatch, tmp_path) -> Path:
    """An empty Hugging Face cache of this test's own, no token, online mode."""
    from huggingface_hub import constants

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "no-stored-tokens"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return cache


@pytest.fixture
def fake_hub(monkeypatch, hf_cache):
    """A running ``FakeHub`` that the library talks to instead of huggingface.co."""
    from huggingface_hub import constants

    from scripts.fake_hub import FakeHub

    server = FakeHub()
    monkeypatch.setattr(constants, "ENDPOINT", server.url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", server.url + "/{repo_id}/resolve/{revision}/{filename}")
    yield server
    server.close()


@pytest.fixture(autouse=True)
def fresh_streamlit_caches():
    """Streamlit's ``st.cache_data`` and ``st.cache_resource`` are process-wide: cleared before
    and after each test, so what one ``AppTest`` loaded (a zoo, a warm-up) is never what the
    next one sees.

    An ``AppTest`` also leaves the app's script as ``sys.modules["__main__"]``; it is put back,
    or every process a later test spawns would run the app's script again as it starts.
    """
    import sys

    main = sys.modules["__main__"]
    caches = _streamlit_caches()
    for cache in caches:
        cache.clear()
    yield
    for cache in caches or _streamlit_caches():
        cache.clear()
    sys.modules["__main__"] = main


def _streamlit_caches() -> list:
    import sys

    if "streamlit" not in sys.modules:  # nothing cached before Streamlit's import
        return []
    import streamlit as st

    return [st.cache_data, st.cache_resource]


@pytest.fixture(autouse=True, scope="session")
def no_frozen_garbage():
    """The app's warm-up ends with ``gc.freeze()``, right for a server's life, wrong for a test
    process (what one test leaves would never be collected): in the tests it does nothing."""
    import gc

    freeze = gc.freeze
    gc.freeze = lambda: None
    yield
    gc.freeze = freeze


@pytest.fixture
def app_url(tiny_zoo_path):
    """``streamlit run`` on a free localhost port, serving the tiny zoo; stopped after the test."""
    from scripts.harness import AppServer

    with AppServer(str(tiny_zoo_path)) as server:
        yield server.url


def in_own_process(function, *args):
    """Run ``function(*args)`` in a fresh Python process and return its result; an exception it
    raises (a failed ``expect``, say) is raised here with its message.

    Browser tests drive Playwright this way: its driver and threads then live and die in a
    process of their own, never alongside TensorFlow's and Streamlit's in pytest's.
    ``function`` must be importable by name (defined at module level).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()
