"""TensorFlow imported without its start-up lines on the terminal.

Importing TensorFlow prints a few lines from its C++ side (oneDNN, CPU features, absl's
"All log messages before absl::InitializeLog()"), and its Python logger warns about
retracing. They are noise to a person using the ``zoo`` command, so the import runs with
the process's stderr (file descriptor 2) sent to a temporary file, given back afterwards;
only a failed import shows what was printed.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile

#: TensorFlow's own setting for its C++ log lines: "2" keeps errors, drops the start-up notes.
TF_LOG_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2"}


def quiet_tensorflow_logs() -> None:
    """Keep TensorFlow's C++ start-up notes off the terminal, unless the environment says otherwise.

    For entry points (the ``zoo`` command, the app, the training commands), before TensorFlow is
    imported: the library itself sets no environment variable when it is imported.
    """
    for name, value in TF_LOG_ENV.items():
        os.environ.setdefault(name, value)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow and Keras, keeping their start-up output off stderr (once per process)."""
    if "tensorflow" in sys.modules:
        return
    quiet_tensorflow_logs()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            import keras  # noqa: F401  (imports TensorFlow, its backend)
            import tensorflow as tf
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode("utf-8", errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    tf.get_logger().setLevel(logging.ERROR)  # "N out of the last N calls ... triggered tf.function retracing"
