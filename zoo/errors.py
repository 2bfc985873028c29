"""What can go wrong when a zoo is opened, as exceptions a caller can catch and explain.

Kept apart from ``zoo.store`` and ``zoo.hub`` so that both raise the same errors without
importing each other.
"""

from __future__ import annotations

from collections.abc import Sequence


class ZooError(Exception):
    """A zoo source cannot be opened; the message says why and what to do."""


class HubUnreachableError(ZooError):
    """The Hugging Face Hub cannot be reached and nothing usable is cached for the source."""


class VariantNotFoundError(ZooError):
    """Variants were asked for that the zoo's manifest does not list."""


def missing_variants(source: str, listed: Sequence[str], wanted: Sequence[str]) -> str | None:
    """What to tell a person who asked ``source`` for ``wanted`` variants it does not list,
    or None when it lists them all."""
    unknown = [variant_id for variant_id in wanted if variant_id not in listed]
    if not unknown:
        return None
    return f"{source} has no variant {', '.join(unknown)}; it has: {', '.join(listed) or 'none'}"


def check_variants(source: str, listed: Sequence[str], wanted: Sequence[str]) -> None:
    """Raise ``VariantNotFoundError`` naming the ``wanted`` variants the manifest does not list."""
    why = missing_variants(source, listed, wanted)
    if why:
        raise VariantNotFoundError(why)


def first_line(error: BaseException) -> str:
    """The first line of an error's message, or its type's name when the message is empty."""
    text = str(error).strip()
    return text.splitlines()[0] if text else error.__class__.__name__
