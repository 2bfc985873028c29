"""What the zoo tells a person about their text, the same in the app and on the command line:
why a text is refused, and the notice that comes with the answers to a short text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .artifact import Artifact
from .text import tokenize

#: A text of fewer words than this is "short": about a sentence or two, where the zoo measured
#: its variants on the first and last sentence of every test review.
SHORT_TEXT_WORDS = 30
#: Above this share of undecodable bytes (U+FFFD, or surrogate escapes) and control characters,
#: an input is not text (an executable, an image) and is refused rather than classified.
NOT_TEXT_SHARE = 0.3
_TEXT_CONTROLS = frozenset("\t\n\r\f\v")


def mostly_binary(text: str) -> bool:
    """Whether ``text`` is mostly NUL, undecodable bytes (U+FFFD, surrogate escapes) and control
    characters, as an executable or an image read as UTF-8 is (``NOT_TEXT_SHARE``)."""
    odd = sum(ch == "\ufffd" or "\udc80" <= ch <= "\udcff" or (ch < " " and ch not in _TEXT_CONTROLS) for ch in text)
    return bool(text) and odd > NOT_TEXT_SHARE * len(text)


def not_text(text: str) -> str | None:
    """Why ``text`` is not text at all (NUL bytes, or ``mostly_binary``), or None."""
    if "\x00" in text:
        return "not text: it holds NUL bytes (a binary file?)"
    if mostly_binary(text):
        return "not text: it is mostly undecodable bytes or control characters (a binary file?)"
    return None


def refusal(text: str) -> str | None:
    """Why a text cannot be classified (a short phrase, e.g. "empty text"), or None when it can."""
    why = not_text(text)
    if why:
        return why
    if not text.strip():
        return "empty text"
    if not tokenize(text):
        return "no words to read: the text has only punctuation, symbols or emoji"
    return None


@dataclass(frozen=True)
class ShortTextNotice:
    """Why the answers to a short text deserve less trust, with what the zoo measured.

    ``headline`` is one sentence; ``details`` are the paragraphs after it (plain text).
    """

    headline: str
    details: tuple[str, ...]

    def text(self) -> str:
        return " ".join((self.headline, *self.details))


def short_text_notice(n_words: int, artifacts: Sequence[Artifact]) -> ShortTextNotice | None:
    """The notice for a text of ``n_words`` words answered by ``artifacts``; None for a text
    that is not short (``SHORT_TEXT_WORDS``) or when no variant answered."""
    if n_words >= SHORT_TEXT_WORDS or not artifacts:
        return None
    words = "one word" if n_words == 1 else f"{n_words} words"
    longest = max(artifact.spec.maxlen for artifact in artifacts)
    details = [
        f"Yours has {words}. Every text is padded at the front to the variant's maxlen with a padding token, and "
        f"the variants learned from such rows: one that reads {longest} words goes through {longest - n_words} "
        "padding steps before your first word. Stacks of SimpleRNN layers carry little through that many steps, "
        "and a sentence or two gives few clues."
    ]
    measured = [a for a in artifacts if (a.metadata.get("short_text_accuracy") or {}).get("first_sentence") is not None]
    if measured:
        first = [a.metadata["short_text_accuracy"]["first_sentence"] for a in measured]
        whole = [a.metadata["test_accuracy"] for a in measured]
        details.append(
            f"The zoo measured it: on the first sentence of each test review, the variants were right "
            f"{min(first):.0%} to {max(first):.0%} of the time (whole reviews: {min(whole):.0%} to {max(whole):.0%}). "
            "Each variant's own score is given beside its answer (right on short texts: first / last sentence)."
        )
    return ShortTextNotice("A short text: take these answers with a grain of salt.", tuple(details))


def short_text_score(artifact: Artifact) -> str | None:
    """A variant's measured accuracy on short texts, "first / last sentence" (e.g. "65% / 68%"),
    or None when its metadata records none."""
    short = artifact.metadata.get("short_text_accuracy") or {}
    first, last = short.get("first_sentence"), short.get("last_sentence")
    if first is None or last is None:
        return None
    return f"{first:.0%} / {last:.0%}"
