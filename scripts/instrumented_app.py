"""``streamlit run`` with counters, for the load and soak scripts.

    ZOO_COUNTERS=/tmp/counters.json python scripts/instrumented_app.py streamlit_app.py --server.port 8599

Runs the app exactly as ``streamlit run`` does, in this process, after wrapping three
functions so that the scripts can see what the server does between two requests:

- ``model_loads``: ``Artifact.load_model`` calls (a model read from disk);
- ``reading_models``: reading models built (``zoo.store.reading_model``);
- ``graph_builds``: Python executions of ``keras.layers.Dense.call`` (wrapped as the first model
  loads: Keras is not imported before the app imports it). Every variant ends in one Dense layer, and a compiled Keras step runs its Python code only while it is traced, so
  this counts each model built and each ``tf.function`` (re)trace. Steady serving keeps it flat.

The counts are written to ``$ZOO_COUNTERS`` (JSON) whenever they change. With
``$ZOO_SCRIPT_TIMES``, the server time of every script run (``ScriptRunner._run_script``: a
visitor's page or rerun, from the first line of ``streamlit_app.py`` to its last, Streamlit's
own cleanup after it included) is appended there, one number of seconds per line.

With ``$ZOO_WAITS``, each heavy job's wait for its turn in the server's line
(``views.work.HEAVY``) is appended there, in seconds, one per line.

With ``ZOO_KEEP_KERAS_STATE=1`` (a measurement, not what the app does), Streamlit's
per-rerun ``keras.backend.clear_session()`` is skipped: after every script run Streamlit
clears Keras' global state, TensorFlow's kernel cache and runs a full garbage collection,
which the next prediction pays for.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

COUNTS = {"model_loads": 0, "reading_models": 0, "graph_builds": 0}
_lock = threading.Lock()


def _bump(key: str) -> None:
    with _lock:
        COUNTS[key] += 1
        _write()


def _write() -> None:
    path = Path(os.environ["ZOO_COUNTERS"])
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(COUNTS))
    os.replace(temporary, path)


def _counting(function, key: str):
    def wrapper(*args, **kwargs):
        _bump(key)
        return function(*args, **kwargs)

    wrapper.__wrapped__ = function
    return wrapper


def _timed(run_script, path: Path):
    import time

    def wrapper(self, rerun_data):
        started = time.perf_counter()
        try:
            return run_script(self, rerun_data)
        finally:
            with _lock, path.open("a") as file:
                file.write(f"{time.perf_counter() - started:.4f}\n")

    wrapper.__wrapped__ = run_script
    return wrapper


class _Recorded(list):
    """A list of waits that also appends each one to a file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def append(self, seconds: float) -> None:
        super().append(seconds)
        with _lock, self.path.open("a") as file:
            file.write(f"{seconds:.4f}\n")


def _counting_graphs(load_model):
    """``Artifact.load_model`` that first counts ``Dense.call`` (once): Keras is imported by the
    app, as under a plain ``streamlit run``, not before the server starts (a cold start's
    TensorFlow import stays in what the scripts measure)."""
    def wrapper(*args, **kwargs):
        import keras

        with _lock:
            if not hasattr(keras.layers.Dense.call, "__wrapped__"):
                keras.layers.Dense.call = _counting(keras.layers.Dense.call, "graph_builds")
        return load_model(*args, **kwargs)

    wrapper.__wrapped__ = load_model
    return wrapper


def install() -> None:
    import zoo.store
    from zoo.artifact import Artifact

    Artifact.load_model = _counting(_counting_graphs(Artifact.load_model), "model_loads")
    zoo.store.reading_model = _counting(zoo.store.reading_model, "reading_models")
    from streamlit.runtime.scriptrunner import script_runner

    if os.environ.get("ZOO_SCRIPT_TIMES"):
        script_runner.ScriptRunner._run_script = _timed(script_runner.ScriptRunner._run_script,
                                                        Path(os.environ["ZOO_SCRIPT_TIMES"]))
    if os.environ.get("ZOO_WAITS"):
        import views.work

        views.work.HEAVY.waits = _Recorded(Path(os.environ["ZOO_WAITS"]))
    if os.environ.get("ZOO_KEEP_KERAS_STATE") == "1":
        script_runner._clean_problem_modules = lambda: None


if __name__ == "__main__":
    install()
    _write()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *sys.argv[1:]]
    sys.exit(cli.main())
