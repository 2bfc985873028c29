"""Shared fixtures: a tiny IMDB-layout corpus written by the tests, and a tiny zoo trained on it.

No review text from the dataset is in the repository: the corpus below is made of
sentences written for the tests.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from zoo.quiet import quiet_tensorflow_logs

quiet_tensorflow_logs()
# The app under test is public, as on a fresh clone, unless a test asks for operator mode.
os.environ.pop("ZOO_ADMIN", None)
# Training in the page is off (CI sets IMDB_DATA for every test, and a server that can train starts a
# warm trainer from its first page): the tests that train from the page switch it on.
os.environ["ZOO_TRAINING"] = "off"
# Training's corpus cache goes into a temporary folder, not the user's cache (subprocesses inherit it).
os.environ.setdefault("SIMPLERNN_ZOO_CACHE", tempfile.mkdtemp(prefix="simplernn-zoo-test-cache-"))

from tests.support.corpus import TINY_VARIANTS, write_corpus  # noqa: E402 (after the environment above)


#: Fixtures that train real models (seconds to minutes): a test that uses one is ``slow``.
TRAINING_FIXTURES = frozenset({"tiny_zoo_path", "round_trip", "twice", "two_epochs"})


#: How much a test of each kind weighs when ``pytest -n`` orders the test files (a rough guess:
#: a browser or IMDB test takes tens of seconds, a slow one several, any other well under one).
KIND_WEIGHTS = {"browser": 10, "imdb": 10, "slow": 1}


def pytest_collection_modifyitems(config, items):
    """Mark ``slow`` every test that needs a trained model, through any fixture it uses.

    Under ``pytest -n`` (one file per worker, pytest.ini), hand out the heaviest files first, so
    that the run ends on quick files rather than with one worker idle while the other runs a
    browser file. Alone, the tests run in the order they are written.
    """
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    if is_xdist_worker(config):
        weights: dict[str, int] = {}
        for item in items:
            weight = max((w for kind, w in KIND_WEIGHTS.items() if item.get_closest_marker(kind)), default=0)
            weights[item.nodeid.split("::")[0]] = weights.get(item.nodeid.split("::")[0], 0) + weight
        items.sort(key=lambda item: -weights[item.nodeid.split("::")[0]])  # stable: a file keeps its order


def is_xdist_worker(config) -> bool:
    """Whether this session is one worker of ``pytest -n`` (not, say, a pytest that a test started:
    that one inherits the worker's PYTEST_XDIST_* environment variables)."""
    return hasattr(config, "workerinput")


def once_per_run(config, tmp_path_factory, name: str, make) -> Path:
    """The folder ``name`` that ``make(folder)`` fills, made once for the whole run.

    Alone, that is once per session. Under ``pytest -n`` (pytest-xdist) every worker is a
    session of its own: the first worker to ask makes the folder in the run's shared temporary
    folder, holding a file lock, and the others wait for it and use it read-only.
    """
    if not is_xdist_worker(config):
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    import shutil

    from filelock import FileLock

    root = tmp_path_factory.getbasetemp().parent  # shared by the run's workers
    folder, complete = root / name, root / f"{name}.complete"
    with FileLock(str(root / f"{name}.lock")):
        if not complete.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a worker that died while making it left
            folder.mkdir()
            make(folder)
            complete.touch()
    return folder


@pytest.fixture(scope="session")
def tiny_corpus(pytestconfig, tmp_path_factory) -> Path:
    name = "aclImdb_v1.tar.gz"
    return once_per_run(pytestconfig, tmp_path_factory, "data", lambda folder: write_corpus(folder / name)) / name


@pytest.fixture(scope="session")
def tiny_zoo_path(pytestconfig, tmp_path_factory, tiny_corpus) -> Path:
    """A zoo folder with TINY_VARIANTS, each trained for one epoch on the tiny corpus (once per
    run, also under ``pytest -n``): tests read it, and damage only ``tiny_zoo_copy``."""
    return once_per_run(pytestconfig, tmp_path_factory, "zoo", lambda out: _train_tiny_zoo(tiny_corpus, out))


def _train_tiny_zoo(tiny_corpus: Path, out: Path) -> None:
    from training.corpus import Corpus
    from training.fit import train_variant
    from zoo import catalog
    from zoo.imdb import load_imdb

    corpus = Corpus.prepare(load_imdb(tiny_corpus), catalog.NUM_WORDS, catalog.SEED_RECIPE.validation_split)
    for variant_id in TINY_VARIANTS:
        spec = catalog.get(variant_id)
        spec = replace(spec, recipe=replace(spec.recipe, epochs=1))
        train_variant(spec, corpus, seed=7, out=out, verbose=0)


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


@pytest.fixture(scope="module")
def warm_zoo(tiny_zoo_path):
    """The tiny zoo as a server holds it once its first page is done: every model loaded and its
    forward pass compiled (``Zoo.prepare`` and ``Zoo.warm_up``, what ``views.loading.models_warming``
    does), for a module's ``AppTest``s to share (``tests.support.app.serve``)."""
    import zoo

    z = zoo.open_zoo(tiny_zoo_path)
    z.prepare()
    z.warm_up()
    return z


@pytest.fixture(scope="session")
def app_url(tiny_zoo_path):
    """``streamlit run`` on a free localhost port, serving the tiny zoo, shared by the browser tests
    of this session (of this worker, under ``pytest -n``): each visits it in a browser of its own,
    and none changes what the server serves. Each start costs a TensorFlow import and the zoo's
    loading and compiling. A test of a server no page has visited yet uses ``fresh_app_url``."""
    from scripts.harness import AppServer

    with AppServer(str(tiny_zoo_path)) as server:
        yield server.url


@pytest.fixture
def fresh_app_url(tiny_zoo_path):
    """``streamlit run`` serving the tiny zoo, started for this test alone; stopped after it."""
    from scripts.harness import AppServer

    with AppServer(str(tiny_zoo_path)) as server:
        yield server.url
