"""``tokenizer.json``: the text pipeline of ``zoo.text`` as a Hugging Face ``tokenizers`` file.

A user of a Hub zoo without the ``zoo`` package loads it with
``tokenizers.Tokenizer.from_file("tokenizer.json")`` and gets the ids ``zoo.text`` gives:

- a ``WordLevel`` model holding the variant's vocabulary (``[PAD]`` 0, ``[UNK]`` 1, then
  ``vocabulary.txt`` line by line), unknown words to ``[UNK]``;
- normalizers for ``standardize``'s steps, in its order: HTML entities (``Replace``), apostrophes
  (``Replace``), ``NFKC``, ``Lowercase`` (after a ``Replace`` for the final sigma that Python's
  ``str.lower`` writes), tags of HTML elements (``Replace`` with ``TAG_PATTERN``);
- a ``Split`` pre-tokenizer that keeps the words of ``zoo.text``'s word pattern.

No padding or truncation: the Keras recipe pads with ``keras.utils.pad_sequences`` (pre, to
``maxlen``), as the tutorial does. The zoo writes and checks this file as plain JSON, so that
neither training nor serving needs the ``tokenizers`` library; the tests load it with the
library and compare its ids with ``zoo.text`` on every IMDB review.

What the file cannot say exactly (docs/hub.md counts it): ``html.unescape`` decodes every
HTML5 entity and any numeric reference in one pass, and a regular-expression ``Replace`` has a
fixed replacement. The file decodes, one ``Replace`` per decoded text, the entities whose
character can be part of a word or of a tag (letters and digits of the HTML 4 entities,
apostrophes, ``& < > " / = - _ : .``) and, in two more passes, every entity (HTML5 names, and
numeric references in the ranges of ``NUMERIC_RANGES``) that stands for a space or for a
character no word or tag holds: one of those is as good as another to ``zoo.text``'s word
pattern. Other entities stay as they are written. ``clip``'s cut at ``MAX_TEXT_CHARS`` has no
normalizer either; no review comes near it.
"""

from __future__ import annotations

import functools
import html
import json
import re
import unicodedata
from html.entities import html5, name2codepoint
from pathlib import Path

from .text import OOV_TOKEN, TAG_PATTERN, Vocabulary, standardize

#: The padding token's name in the file (``vocabulary.txt`` writes it as an empty line).
PAD_NAME = "[PAD]"
#: ``zoo.text``'s word pattern in the tokenizer's regular-expression syntax (Oniguruma): ``\\w``
#: there also holds combining marks, which Python's does not; letters and numbers are the
#: characters Python's ``[^\\W_]`` holds.
WORD_PATTERN = r"[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*"
#: A capital sigma that Python's ``str.lower`` makes a final sigma: after a cased character and
#: any case-ignorable ones, and not before such a run and a cased character.
FINAL_SIGMA = (r"(?<=[\p{Cased}&&\P{Case_Ignorable}]\p{Case_Ignorable}*)" "\u03a3"
               r"(?!\p{Case_Ignorable}*[\p{Cased}&&\P{Case_Ignorable}])")
#: Apostrophes ``zoo.text`` unifies; the file writes the same set.
APOSTROPHES = "\u2019\u2018`\u00b4"
#: Numeric character references the file decodes when what they stand for is a space or a
#: character no word or tag holds: ASCII and Latin (0-0x24F), general punctuation to
#: miscellaneous symbols and arrows (0x2000-0x2BFF), and the symbol-font private-use block
#: (0xF000-0xF0FF, e.g. &#61514; for a Wingdings smiley).
NUMERIC_RANGES = (range(0, 0x250), range(0x2000, 0x2C00), range(0xF000, 0xF100))
#: Characters of HTML tags: an entity standing for one is decoded exactly (``&lt;br /&gt;``).
_TAG_CHARACTERS = frozenset("<>/=\"'`-_:.&")
_SPACES = frozenset("\t\n\f\r ")
#: What an entity standing for characters no word or tag holds is replaced with: a middle dot
#: when they are all case-ignorable (a soft hyphen, a zero-width space: they let a final sigma
#: be final, as the middle dot does), else a bullet.
_SEPARATOR, _IGNORABLE_SEPARATOR = "\u2022", "\u00b7"
_SEPARATORS = (_SEPARATOR, _IGNORABLE_SEPARATOR)


def document(vocabulary: Vocabulary) -> dict:
    """The ``tokenizer.json`` of a variant with ``vocabulary``, as the ``tokenizers`` library writes it."""
    vocab = {PAD_NAME: 0, **{word: index for index, word in enumerate(vocabulary.words) if index}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": normalizer(),
        "pre_tokenizer": {"type": "Split", "pattern": {"Regex": WORD_PATTERN}, "behavior": "Removed", "invert": True},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": OOV_TOKEN},
    }


def dumps(vocabulary: Vocabulary) -> str:
    """The text of the ``tokenizer.json`` of ``vocabulary`` (the same for the same vocabulary)."""
    return json.dumps(document(vocabulary), ensure_ascii=False, separators=(",", ":")) + "\n"


def write(path: Path, vocabulary: Vocabulary) -> None:
    """Write the ``tokenizer.json`` of ``vocabulary`` to ``path``, in UTF-8."""
    Path(path).write_text(dumps(vocabulary), encoding="utf-8")


def problem(path: Path, vocabulary: Vocabulary) -> tuple[str, str] | None:
    """What is wrong with the ``tokenizer.json`` at ``path``, or None when it is the one ``write`` writes.

    Returns:
        ``("missing", why)``, ``("vocabulary", why)`` (not this vocabulary: wrong ids for any
        text), ``("pipeline", why)`` (another text pipeline's rules than ``zoo.text``'s), or None.
    """
    from .text import TEXT_PIPELINE_VERSION

    if not Path(path).is_file():
        return "missing", f"no {Path(path).name}"
    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return "vocabulary", f"{Path(path).name} is unreadable: {error}"
    expected = document(vocabulary)
    if not isinstance(found, dict) or found.get("model") != expected["model"]:
        return "vocabulary", f"{Path(path).name} does not hold the words of vocabulary.txt with their ids"
    if found != expected:
        return "pipeline", (f"{Path(path).name} does not express text pipeline {TEXT_PIPELINE_VERSION} of "
                            "zoo.text (written by another version of the zoo)")
    return None


@functools.cache
def normalizer() -> dict:
    """The normalizer of ``tokenizer.json``: ``standardize``'s steps, in its order."""
    return {"type": "Sequence", "normalizers": [
        *({"type": "Replace", "pattern": {"Regex": pattern}, "content": content} for pattern, content in entity_rules()),
        {"type": "Replace", "pattern": {"Regex": f"[{APOSTROPHES}]"}, "content": "'"},
        {"type": "NFKC"},
        # Python's str.lower writes a capital sigma that ends a word as final sigma; the
        # library's Lowercase maps each letter alone.
        {"type": "Replace", "pattern": {"Regex": FINAL_SIGMA}, "content": "\u03c2"},
        {"type": "Lowercase"},
        {"type": "Replace", "pattern": {"Regex": TAG_PATTERN}, "content": " "},
    ]}


def entity_rules() -> list[tuple[str, str]]:
    """``(pattern, replacement)`` for each entity pass, in order: spaces, separators (two kinds),
    characters that disappear, then one per exactly decoded text, ``&`` last (a decoded ``&`` must not start
    an entity that a later pass would decode: ``html.unescape`` reads ``&amp;lt;`` as ``&lt;``)."""
    groups: dict[str, list[str]] = {}
    exact = _exact_texts()
    for form in _entity_forms():
        replacement = _replacement(html.unescape(form))
        if replacement is not None and (replacement in exact or replacement in (" ", *_SEPARATORS, "")):
            groups.setdefault(replacement, []).append(form)
    order = [" ", *_SEPARATORS, "", *sorted(exact - {"&"}), "&"]
    return [(_pattern(groups[text]), text) for text in order if text in groups]


def _replacement(value: str) -> str | None:
    """What the file replaces an entity standing for ``value`` with: ``" "`` for a space, one of
    ``_SEPARATORS`` for characters no word or tag holds, else ``value`` as ``standardize``
    leaves it (lower-cased, but for a capital sigma)."""
    text = standardize(value)
    if "\u03a3" in unicodedata.normalize("NFKC", value):
        # A capital sigma is lower-cased later, in its context (final sigma), as str.lower does.
        text = text.replace("\u03c3", "\u03a3")
    if text and all(ch in _SPACES for ch in text):
        return " "
    # A combining mark joins the letter before it under NFKC: never a mere separator.
    marks = any(unicodedata.category(ch).startswith("M") for ch in value + text)
    if text and not marks and not any(ch.isalnum() or ch in _TAG_CHARACTERS or ch in _SPACES for ch in text):
        # Case-ignorable: what str.lower then writes for a capital sigma after a letter and ``text``.
        ignorable = all(("A" + ch + "\u03a3").lower()[-1] == "\u03c2" for ch in text)
        return _IGNORABLE_SEPARATOR if ignorable else _SEPARATOR
    return text


def _exact_texts() -> frozenset[str]:
    """The decoded texts the file writes exactly: those of the HTML 4 entities (``&eacute;``,
    ``&rsquo;``, ``&alpha;``...), of ``&apos;``, of the ASCII punctuation's numeric
    references, and of the letters whose numeric references the IMDB reviews hold."""
    values = [chr(code) for code in name2codepoint.values()] + ["'"]
    values += [chr(code) for code in range(0x21, 0x7F) if not chr(code).isalnum()]
    values += ["\u0159", "\u0131", "\u010d"]  # ř ı č (&#345; &#305; &#269;)
    return frozenset(text for text in map(_replacement, values) if text not in (" ", *_SEPARATORS))


def _entity_forms() -> list[str]:
    """Every entity ``html.unescape`` decodes that the file may express: the HTML5 names and the
    numeric references of ``NUMERIC_RANGES`` (a pattern adds leading zeros, hexadecimal, no ";")."""
    return [f"&{name}" for name in html5] + [f"&#{code};" for r in NUMERIC_RANGES for code in r]


def _pattern(forms: list[str]) -> str:
    """One regular expression matching the entities ``forms`` exactly where ``html.unescape`` decodes them."""
    names = sorted((f[1:] for f in forms if not f.startswith("&#")), key=lambda n: (-len(n), n))
    codes = sorted(int(f[2:-1]) for f in forms if f.startswith("&#"))
    parts = [_name_pattern(name) for name in names]
    if codes:
        decimal = "|".join(str(code) for code in codes)
        hexadecimal = "|".join("".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{code:x}") for code in codes)
        parts.append(f"#(?:0*(?:{decimal})(?![0-9])|[xX]0*(?:{hexadecimal})(?![0-9a-fA-F]));?")
    return f"&(?:{'|'.join(parts)})"


def _name_pattern(name: str) -> str:
    """A named entity as ``html.unescape`` reads it: a name without ";" only where no longer
    name begins there (``&notin;`` is not ``&not`` + ``in;``)."""
    if name.endswith(";"):
        return re.escape(name)
    longer = sorted((other[len(name):] for other in html5 if other.startswith(name) and other != name),
                    key=lambda rest: (-len(rest), rest))
    return re.escape(name) + (f"(?!{'|'.join(map(re.escape, longer))})" if longer else "")
