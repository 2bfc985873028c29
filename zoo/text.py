"""The text pipeline: one code path from a raw review to the integer sequence a model reads.

Training, evaluation and the app all go through these functions, so a text means the
same thing to a model wherever it comes from:

1. ``standardize``: decode HTML entities, unify apostrophes, Unicode-normalize (NFKC),
   lower-case, and drop HTML tags such as ``<br />`` or ``<a href="...">`` (only tags of real
   HTML elements: "a <good> film" keeps ``good``).
2. ``tokenize``: split into words (letters and digits, with inner apostrophes kept,
   so "don't" stays one word).
3. ``Vocabulary.encode``: map words to indices (0 = padding, 1 = out of vocabulary,
   2.. = the most frequent training words) and cut/pad to ``maxlen`` the way the seed's
   ``pad_sequences`` does: keep the *last* ``maxlen`` words, pad at the *front*.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

PAD_INDEX = 0
OOV_INDEX = 1
PAD_TOKEN = ""
OOV_TOKEN = "[UNK]"

#: The version of this pipeline, recorded in every artifact. A change to what ``tokenize``
#: returns for some text is a new version. 2: HTML entities are decoded before apostrophes
#: are unified (``don&rsquo;t`` is one word, as ``don’t`` is). 3: only tags of HTML elements are
#: removed ("a <good> film" keeps ``good``, "x<y and y>z" keeps ``y and y``).
TEXT_PIPELINE_VERSION = 3

#: Texts longer than this are cut to their last ``MAX_TEXT_CHARS`` characters before
#: standardization. No variant reads more than its last ``maxlen`` (at most 500) words,
#: so this only bounds the work done on a pasted book.
MAX_TEXT_CHARS = 100_000

#: The names of HTML elements (the HTML standard's, and the obsolete ones old markup still
#: uses): only their tags are markup. Any other word in angle brackets is the writer's
#: ("<sigh>", "<spoiler>"), and so are its words.
HTML_ELEMENTS = frozenset("""
    a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption
    cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins
    kbd label legend li link main map mark menu meta meter nav noscript object ol optgroup option
    output p picture pre progress q rp rt ruby s samp script search section select slot small source
    span strong style sub summary sup table tbody td template textarea tfoot th thead time title tr
    track u ul var video wbr
    acronym applet basefont big blink center dir font frame frameset marquee nobr noembed noframes
    param strike tt
""".split())
# HTML's own white space; written out so that Python's re and the tokenizer's regex engine
# (zoo.tokenizer) read the same characters as space.
_SPACE = "[\t\n\f\r ]"
# An attribute with a value (name=value, the value quoted or not). A bare word is not taken
# for an attribute, so that "a<b and c>d" holds no tag.
_ATTRIBUTE = f"""{_SPACE}+[a-z_:][-a-z0-9_:.]*{_SPACE}*={_SPACE}*(?:"[^"<>]*"|'[^'<>]*'|[^\t\n\f\r "'=<>`]+)"""
#: A tag of an HTML element, in lower-cased text: "<", an optional "/", an element name,
#: attributes with values, an optional "/", ">". "5 < 6 and 7 > 3" and "I <3 it" hold none.
TAG_PATTERN = f"</?(?:{'|'.join(sorted(HTML_ELEMENTS))})(?:{_ATTRIBUTE})*{_SPACE}*/?>"
_TAG = re.compile(TAG_PATTERN)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})


def clip(text: str) -> str:
    """``text`` cut to its last ``MAX_TEXT_CHARS`` characters (no variant reads further back)."""
    return text[-MAX_TEXT_CHARS:]


def standardize(text: str) -> str:
    """Return ``text`` lower-cased, with HTML entities decoded, apostrophes unified and HTML tags removed.

    Non-word characters other than apostrophes are left for ``tokenize`` to drop. Only the
    last ``MAX_TEXT_CHARS`` characters are read.
    """
    # Entities first: "&rsquo;" is an apostrophe, and an escaped tag (&lt;br /&gt;) is removed like a tag.
    text = html.unescape(clip(text))
    # Apostrophes before NFKC, which would turn the acute accent of "don´t" into a space and a combining mark.
    text = unicodedata.normalize("NFKC", text.translate(_APOSTROPHES))
    # Lower-case before looking for tags, so that "<BR>" is "<br>" (NFKC has already made
    # full-width "＜ｂｒ＞" one too).
    return _TAG.sub(" ", text.lower())


def tokenize(text: str) -> list[str]:
    """Split a raw text into the words a model reads, in order."""
    return _WORD.findall(standardize(text))


@dataclass(frozen=True)
class Vocabulary:
    """The ``num_words`` most frequent training words; ``words[i]`` is the word of index ``i``.

    ``words[0]`` is the padding token and ``words[1]`` the out-of-vocabulary token.
    """

    words: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.words[:2] != (PAD_TOKEN, OOV_TOKEN):
            raise ValueError("a vocabulary starts with the padding and out-of-vocabulary tokens")
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})

    @classmethod
    def learn(cls, texts: Iterable[str], num_words: int) -> Vocabulary:
        """Learn the ``num_words - 2`` most frequent words of ``texts`` (ties broken alphabetically)."""
        return cls.from_counts(Counter(chain.from_iterable(map(tokenize, texts))), num_words)

    @classmethod
    def from_counts(cls, counts: Counter, num_words: int) -> Vocabulary:
        """``learn`` from the words' counts (``training.corpus`` counts in several processes)."""
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls((PAD_TOKEN, OOV_TOKEN, *(w for w, _ in ranked[: num_words - 2])))

    @classmethod
    def read(cls, path: Path) -> Vocabulary:
        """Read a vocabulary written by ``write`` (one word per line, padding line empty)."""
        words = path.read_text(encoding="utf-8").split("\n")
        if words and words[-1] == "":
            words.pop()
        return cls(tuple(words))

    def write(self, path: Path) -> None:
        path.write_text("\n".join(self.words) + "\n", encoding="utf-8")

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self._index and self._index[word] > OOV_INDEX

    def lookup(self, words: Sequence[str]) -> list[int]:
        """Map words to indices, unknown words to ``OOV_INDEX``."""
        index = self._index
        return [index.get(w, OOV_INDEX) for w in words]

    def encode(self, texts: Sequence[str], maxlen: int) -> np.ndarray:
        """Encode raw texts as an ``(len(texts), maxlen)`` int32 array, pre-padded and pre-truncated."""
        return pad([self.lookup(tokenize(t)) for t in texts], maxlen)


def pad(sequences: Sequence[Sequence[int]], maxlen: int) -> np.ndarray:
    """Keep the last ``maxlen`` indices of each sequence and pad at the front with ``PAD_INDEX``.

    The same result as ``keras.utils.pad_sequences(sequences, maxlen)`` with its defaults
    (``padding="pre"``, ``truncating="pre"``), written here so that the text
    pipeline needs only numpy, never a Keras import.
    """
    out = np.full((len(sequences), maxlen), PAD_INDEX, dtype=np.int32)
    for row, seq in enumerate(sequences):
        kept = seq[-maxlen:]
        if len(kept):
            out[row, maxlen - len(kept) :] = kept
    return out
