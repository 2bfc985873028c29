"""The one boundary between the server's messages and the page.

Every error, warning and notice the page shows that comes from the server (a zoo that does not
open, a broken variant, a model that cannot load, a failed explanation) goes through ``shown``:
the visitor reads a sentence without paths, tracebacks or exception names
(``zoo.deployment.for_visitors``), and the full message goes to the server log once.
"""

from __future__ import annotations

import logging
import threading

from zoo.deployment import for_visitors

log = logging.getLogger("simplernn_zoo.app")
if not log.handlers:  # Streamlit configures only its own loggers
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

#: Messages already in the log: a page redrawn on every click would repeat them otherwise.
_logged: set[str] = set()
_logged_lock = threading.Lock()
#: At most this many distinct messages are remembered (then the log may repeat some).
_REMEMBERED = 1000


def shown(message: object, *, context: str = "") -> str:
    """``message`` (a string or an exception) as the page may show it; the full text goes to the log.

    ``context`` says in the log what the page was doing (e.g. "variant lstm-1x32-len500").
    """
    full = f"{type(message).__name__}: {message}" if isinstance(message, BaseException) else str(message)
    line = f"{context}: {full}" if context else full
    with _logged_lock:
        new = line not in _logged
        if new:
            if len(_logged) >= _REMEMBERED:
                _logged.clear()
            _logged.add(line)
    if new:
        log.warning("shown to visitors as a cleaned message: %s", line)
    return for_visitors(str(message))


def variant_problem(variant_id: str, error: object) -> str:
    """What is wrong with a variant, for the page: ``shown`` without the message's own "<id>: " prefix."""
    return shown(str(error).removeprefix(f"{variant_id}: "), context=variant_id)
