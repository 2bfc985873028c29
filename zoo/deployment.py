"""How a deployment configures the app: which zoo it serves, and whether visitors are the public.

Public mode (``ZOO_PUBLIC=1``; the Docker image sets it) is for a server that strangers
visit: they cannot change which zoo the server loads or clear its shared caches, and the
page shows no file path of the server. A local ``streamlit run streamlit_app.py`` leaves
it off.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

#: The environment variable that turns public mode on.
PUBLIC_ENV = "ZOO_PUBLIC"
#: Values of ``PUBLIC_ENV`` that leave public mode off; anything else turns it on (when in
#: doubt, a deployment is public).
_OFF = frozenset({"", "0", "false", "no", "off"})
#: ``Zoo.origin`` keys that hold a path on the server.
_PATH_KEYS = frozenset({"path"})


def public_mode(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``$ZOO_PUBLIC`` is set to anything but an "off" value (0, false, no, off, empty)."""
    value = (os.environ if environ is None else environ).get(PUBLIC_ENV, "")
    return value.strip().lower() not in _OFF


def public_origin(origin: Mapping[str, object]) -> dict[str, object]:
    """``Zoo.origin`` without the keys that name a path on the server."""
    return {key: value for key, value in origin.items() if key not in _PATH_KEYS}


def without_paths(message: str, paths: Iterable[str | os.PathLike]) -> str:
    """``message`` with each of ``paths`` (and anything below it) replaced by ``…``: an error a
    visitor may read without learning where the server keeps its files."""
    for path in sorted({os.fspath(p) for p in paths if os.fspath(p) not in ("", "/")}, key=len, reverse=True):
        message = re.sub(re.escape(path) + r"[^\s'\"),;]*", "…", message)
    return message
