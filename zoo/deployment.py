"""How a deployment configures the app, and what its visitors may read of the server's messages.

Every deployment is public unless its operator says otherwise, because teachers host the demo
on free services where nobody sets a variable. Public, a visitor gets the zoo the server was
configured with (``$ZOO_SOURCE`` or its secret, else the bundled zoo), cannot make the server
load another one or clear its caches, and reads no path of the server. The operator controls
(the zoo source box, *Reload the zoo*) appear only with ``ZOO_ADMIN=1``, as an environment
variable or a Streamlit secret. (``ZOO_PUBLIC``, which earlier versions read, is ignored: public
is the default now.)

``for_visitors`` is the one boundary a message passes before a visitor reads it, in operator
mode too: the full message belongs in the server log.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

#: The setting (environment variable or Streamlit secret) that turns operator mode on.
ADMIN_ENV = "ZOO_ADMIN"
#: The values of ``ADMIN_ENV`` that turn operator mode on; anything else leaves the page public.
_ON = frozenset({"1", "true", "yes", "on"})
#: ``Zoo.origin`` keys that hold a path on the server.
_PATH_KEYS = frozenset({"path"})
#: What a message may be at most, in characters, on the page (the rest is in the server log).
MAX_VISITOR_MESSAGE = 300
#: Said when nothing of a message is fit for a visitor.
NO_DETAIL = "something went wrong on the server (its log has the details)"

_TRACEBACK = re.compile(r"Traceback \(most recent call last\)")
_FILE_URL = re.compile(r"file://\S*")
_WINDOWS_PATH = re.compile(r"(?<![\w])[A-Za-z]:[\\/][^\s'\"<>|,;()]*")
#: An absolute POSIX path (or ``~/...``): a "/" that does not follow a word, ":", "/" or "." (so
#: not "and/or", "1/2", "hf://owner/name" or "./x"), then at least one character of a name.
_POSIX_PATH = re.compile(r"(?<![\w:/.~\\-])~?/[^\s/'\"<>|,;()]+(?:/[^\s/'\"<>|,;()]*)*")
#: An exception's class name where a message shows it: ``OSError: ...``, ``(ConnectError: ...)``,
#: ``zipfile.BadZipFile: ...``.
_CLASS_NAME = re.compile(r"\b(?:[a-z_]\w*\.)*[A-Z][A-Za-z0-9]*(?:Error|Exception|Warning|Exit|Interrupt|File)\b:?\s*")
_PLACEHOLDER = "\x00"


def operator_mode(value: object) -> bool:
    """True only when a setting asks for operator mode explicitly (1, true, yes, on): when in doubt, public."""
    return value is not None and str(value).strip().lower() in _ON


def public_origin(origin: Mapping[str, object]) -> dict[str, object]:
    """``Zoo.origin`` without the keys that name a path on the server."""
    return {key: value for key, value in origin.items() if key not in _PATH_KEYS}


def for_visitors(message: object, paths: Iterable[str | os.PathLike] = ()) -> str:
    """A message of the server as a visitor may read it: one sentence, no path, no traceback.

    Its first line only, before any traceback; every absolute path (POSIX, Windows, ``~/``,
    ``file://``) and each of ``paths`` (relative ones too) taken out with the words that
    pointed at it ("at …", "(…)"); exception class names dropped; at most
    ``MAX_VISITOR_MESSAGE`` characters. What remains still says what is wrong, e.g.
    "simplernn-1x32-len100: model.keras fails its checksum (file changed or truncated)".
    """
    text = _TRACEBACK.split(str(message))[0]
    text = next((line.strip() for line in text.splitlines() if line.strip()), "")
    for path in sorted({os.fspath(p) for p in paths if os.fspath(p).strip(" /.")}, key=len, reverse=True):
        text = re.sub(re.escape(path) + r"[^\s'\"),;]*", _PLACEHOLDER, text)
    for pattern in (_FILE_URL, _WINDOWS_PATH, _POSIX_PATH):
        text = pattern.sub(_PLACEHOLDER, text)
    text = _CLASS_NAME.sub("", text)
    text = _tidy(text)
    if len(text) > MAX_VISITOR_MESSAGE:
        text = text[:MAX_VISITOR_MESSAGE].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return text if re.search(r"\w", text) else NO_DETAIL


def _tidy(text: str) -> str:
    """``text`` with each path placeholder gone, and the words that only pointed at it."""
    p = re.escape(_PLACEHOLDER)
    text = re.sub(rf"['\"`]{p}['\"`]", _PLACEHOLDER, text)
    text = re.sub(rf"\s*\(\s*(?:{p}\s*[,;]?\s*)+\)", "", text)  # "(…)"
    text = re.sub(rf"\s+(?:at|in|from|under|into|to|of)\s+{p}", "", text)  # "no zoo folder at …"
    text = re.sub(rf"(?:\w+=)?{p}", "", text)  # "filepath=…", or a path standing alone
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    text = re.sub(r"\s+([.,;:)])(?=\s|$)", r"\1", text)
    text = re.sub(r"([:;,])(?=[.,;:])", "", text)
    text = re.sub(r"\s{2,}", " ", text).strip()
    return text.rstrip(":;, ")
