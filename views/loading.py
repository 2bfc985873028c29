"""What the page reads, cached: the zoo, its table of variants, their histories, the answers.

Models load in a background thread (``models_warming``) started by the first page of the
server's life, so that the form, the examples and the other tabs draw at once.
"""

from __future__ import annotations

import atexit
import gc
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

import zoo
from zoo.architecture import RecurrentLayer, layer_rows, recurrent_layers
from zoo.artifact import ArtifactError
from zoo.explain import read_along
from zoo.seed import SEED_BEST_EPOCH, SEED_HISTORY, SEED_NAME


@st.cache_resource(show_spinner="Opening the zoo…", max_entries=4)
def open_zoo(source: str) -> tuple[zoo.Zoo, str | None]:
    """The zoo at ``source`` (models load lazily inside it and stay loaded), and a fallback notice."""
    return zoo.open_zoo_or_bundled(source)


@st.cache_data(show_spinner=False)
def variant_table(source: str) -> pd.DataFrame:
    """One row per variant: its spec and recorded metrics, or the error that makes it unreadable."""
    rows = []
    for entry in open_zoo(source)[0].entries():
        if entry.error is not None:
            rows.append({"id": entry.id, "error": entry.error})
            continue
        row = entry.artifact.summary()
        short = row.pop("short_text_accuracy") or {}
        rows.append(row | {f"{kind}_accuracy": value for kind, value in short.items()} | {"error": None})
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False)
def history_frame(source: str, variant_ids: tuple[str, ...], with_seed: bool) -> pd.DataFrame:
    """Every epoch of every chosen variant (and of the seed), one row per metric and split."""
    z = open_zoo(source)[0]
    histories = [(vid, z.artifact(vid).history, z.artifact(vid).metadata["best_epoch"]) for vid in variant_ids]
    if with_seed:
        histories.append((SEED_NAME, SEED_HISTORY, SEED_BEST_EPOCH))
    rows = []
    for name, history, best_epoch in histories:
        for metric in ("loss", "accuracy"):
            for split, key in (("training", metric), ("validation", f"val_{metric}")):
                for epoch, value in enumerate(history[key], start=1):
                    rows.append({
                        "variant": name, "metric": metric, "split": split, "epoch": epoch, "value": value,
                        "best": split == "validation" and epoch == best_epoch,
                    })
    return pd.DataFrame(rows)


@st.cache_data(show_spinner=False)
def seed_band_frame(source: str, variant_ids: tuple[str, ...]) -> pd.DataFrame:
    """For each chosen variant trained with several seeds, the lowest and highest validation loss
    and accuracy at each epoch over its seeds (``metadata["seed_runs"]``): the noise between runs."""
    z = open_zoo(source)[0]
    rows = []
    for vid in variant_ids:
        runs = z.artifact(vid).metadata.get("seed_runs") or {}
        histories = runs.get("history") or []
        for metric in ("loss", "accuracy"):
            curves = [h[f"val_{metric}"] for h in histories if isinstance(h, dict) and f"val_{metric}" in h]
            for epoch in range(1, min(map(len, curves), default=0) + 1):
                values = [curve[epoch - 1] for curve in curves]
                rows.append({"variant": vid, "metric": metric, "epoch": epoch, "low": min(values), "high": max(values),
                             "seeds": len(values)})
    return pd.DataFrame(rows, columns=["variant", "metric", "epoch", "low", "high", "seeds"])


#: The longest the compiling waits for the first page with answers, in seconds.
COMPILE_AFTER = 30
#: The longest TensorFlow's import waits for a page to want the models, in seconds.
IMPORT_AFTER = 10


@dataclass
class Warming:
    """The background loading of a zoo's models: which variants can answer yet, and the job."""

    variant_ids: tuple[str, ...]
    future: Future | None = None
    ready: set[str] = field(default_factory=set)
    #: Set once the first page is drawn: the compiling waits for it, so as not to slow that
    #: page down (for at most ``COMPILE_AFTER`` seconds).
    first_page_drawn: threading.Event = field(default_factory=threading.Event)
    #: Set once a page waits for the models (or is drawn): TensorFlow's import waits for it (for at
    #: most ``IMPORT_AFTER`` seconds), so that it does not slow down the first answers from NumPy.
    wanted: threading.Event = field(default_factory=threading.Event)

    def can_answer(self) -> bool:
        """Every variant is loaded (its compiled pass may still be in the making), or the job ended."""
        return self.future.done() or self.ready.issuperset(self.variant_ids)

    def answered(self) -> None:
        """A page is drawn: the compiling may begin."""
        self.wanted.set()
        self.first_page_drawn.set()


@st.cache_resource(show_spinner=False)
def models_warming(source: str, variant_ids: tuple[str, ...], _z: zoo.Zoo) -> Warming:
    """Start loading the variants and compiling their forward passes (``Zoo.warm_up``) in a
    background thread, once per server.

    It starts as the first visitor's page begins, so the form and the other tabs are drawn
    while it works; TensorFlow's import waits until that page wants the models (``Warming.wanted``),
    after its first answers from NumPy. The variants can answer as soon as they are loaded (``Zoo.prepare``,
    ``Warming.can_answer``, a few seconds after TensorFlow's import); the compiled passes
    (``Zoo.warm_up``) are made once that first page is drawn, and take over one by one.

    After every rerun Streamlit runs a full garbage collection, and so does the Keras
    ``clear_session`` it calls. With TensorFlow and the compiled models loaded, each took about
    300 ms per rerun (``scripts/app_speed.py``). ``gc.freeze()`` moves everything alive now, all of
    it kept for the server's life, out of the collector's sight: later collections only look
    at what the reruns create.
    """
    warming = Warming(variant_ids)
    lock = threading.Lock()

    def ready(variant_id: str) -> None:
        with lock:
            warming.ready = warming.ready | {variant_id}

    def warm_up() -> None:
        # TensorFlow's import holds the GIL for seconds: the first answers, from NumPy, go first.
        warming.wanted.wait(IMPORT_AFTER)
        _z.prepare(variant_ids, ready=ready)
        warming.first_page_drawn.wait(COMPILE_AFTER)
        _z.warm_up(variant_ids)
        gc.collect()
        gc.freeze()

    warming.future = Future()

    def run() -> None:  # a daemon thread: a server stopped while it warms up exits at once
        try:
            warm_up()
        except BaseException as error:
            warming.future.set_exception(error)
        else:
            warming.future.set_result(None)

    thread = threading.Thread(target=run, name="zoo-warm-up", daemon=True)
    thread.start()
    atexit.register(stop_warming, _z, warming, thread)
    return warming


#: The longest a stopping server waits for the warm-up's current model, in seconds.
STOP_WAIT = 20


def stop_warming(z: zoo.Zoo, warming: Warming, thread: threading.Thread) -> None:
    """At exit: let the warm-up finish the model it is working on, and skip the rest.

    A server stopped while it warmed up used to wait until every model was compiled (20-26 s);
    it now waits for one (a daemon thread left inside TensorFlow's C++ aborts the process)."""
    z.stop_warming()
    warming.wanted.set()
    warming.first_page_drawn.set()
    thread.join(STOP_WAIT)


def wait_for_models(warming: Warming, *, early: Callable[[list[str]], None] | None = None, note: str = "") -> None:
    """Show how far the loading is, until every variant can answer (only a fresh server's first page waits).

    With ``early``, it is called with the variants loaded so far whenever more are (at most every
    ``EARLY_EVERY`` seconds), so that their answers are shown before the last variant is ready.
    ``note`` is said after the progress (e.g. where the answers shown meanwhile come from).
    """
    warming.wanted.set()
    if warming.can_answer():
        return
    total = len(warming.variant_ids)
    bar = st.progress(0.0, text=f"Starting TensorFlow…{note}")
    shown_for, drawn = 0, 0.0
    while not warming.can_answer():
        ready = [vid for vid in warming.variant_ids if vid in warming.ready]
        if ready:
            bar.progress(len(ready) / total,
                         text=f"Loading the models: {len(ready)} of {total} ready. The server has just started; "
                              f"this happens once, and the form works meanwhile.{note}")
        if early is not None and len(ready) > shown_for and time.monotonic() - drawn >= EARLY_EVERY:
            early(ready)
            shown_for, drawn = len(ready), time.monotonic()
        time.sleep(0.25)
    bar.empty()


#: The least time between two drawings of the answers while the models load. Each costs the
#: script thread 0.2-0.5 s (building the chart) and the browser a redraw, time the loading needs:
#: drawn every 1.5 s, the whole first page came 3.5 s later (docs/performance.md).
EARLY_EVERY = 3.0


@st.cache_data(show_spinner=False, max_entries=256)
def classify_with_every_variant(source: str, text: str) -> dict[str, float | str]:
    """Each variant's probability of "positive" for ``text``, or the error of a broken variant."""
    return classify_with(source, text)


def classify_with(source: str, text: str, variant_ids: list[str] | None = None) -> dict[str, float | str]:
    """Each of ``variant_ids``' (None: every variant's) probability of "positive" for ``text``,
    or the error of a broken variant (uncached: for the answers shown while the models load)."""
    return _one_text(open_zoo(source)[0].classify([text], variant_ids))


def answers_before_keras(source: str, text: str) -> dict[str, float | str]:
    """Each variant's probability of "positive" for ``text`` from its weights in NumPy
    (``Zoo.first_answers``: no TensorFlow), or the error of a broken variant; a variant NumPy
    cannot run is left out. Uncached: what a fresh server shows while its models load."""
    return _one_text(open_zoo(source)[0].first_answers([text]))


def _one_text(results: dict) -> dict[str, float | str]:
    return {vid: str(r) if isinstance(r, ArtifactError) else float(r[0]) for vid, r in results.items()}


@st.cache_data(show_spinner=False, max_entries=256)
def reading_frame(source: str, variant_id: str, text: str) -> pd.DataFrame:
    """A variant's probability of "positive" after each word of ``text`` (one forward pass), with the
    padding steps it read first and its probability after them (``ReadingCurve``) on every row."""
    curve = read_along(open_zoo(source)[0], variant_id, text)
    return pd.DataFrame({
        "variant": variant_id, "position": curve.positions, "word": curve.words, "p_positive": curve.probabilities,
        "padding": curve.padding, "after_padding": curve.after_padding,
    })


@st.cache_data(show_spinner="Loading the model…")
def architecture(source: str, variant_id: str) -> pd.DataFrame:
    rows = layer_rows(open_zoo(source)[0].model(variant_id))
    return pd.DataFrame([{"Layer (type)": r.layer, "Output Shape": r.output_shape, "Param #": r.params} for r in rows])


@st.cache_data(show_spinner="Loading the model…")
def recurrence(source: str, variant_id: str) -> list[RecurrentLayer]:
    """The variant's recurrent layers, each with its cell's parameter arithmetic."""
    return recurrent_layers(open_zoo(source)[0].model(variant_id))
