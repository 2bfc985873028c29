"""The noise between training runs: what a variant's runs with other seeds say.

A variant trained with ``python -m training.train --seeds N`` records each run's accuracies
in ``metadata["seed_runs"]`` (``training.seeds``); the zoo serves the first run's model. Two
variants differ by more than the noise when the ranges of their runs do not overlap
(``beyond_noise``): the same recipe with another seed never gave the other's number.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The measures whose runs are recorded: test accuracy, and accuracy on each short-text kind.
MEASURES = ("test_accuracy", "first_sentence", "last_sentence")


@dataclass(frozen=True)
class Runs:
    """One measure of one variant over its seeds (the served seed's first)."""

    values: tuple[float, ...]

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    @property
    def spread(self) -> float:
        """The largest minus the smallest value: the seed-to-seed spread."""
        return self.high - self.low

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)


def runs(metadata: dict, measure: str = "test_accuracy") -> Runs | None:
    """A measure's values over the variant's seeds (``MEASURES``), or None when only one seed
    was trained (or the record lacks the measure)."""
    record = metadata.get("seed_runs")
    if not isinstance(record, dict):
        return None
    values = record.get(measure) if measure == "test_accuracy" else (record.get("short_text_accuracy") or {}).get(measure)
    if not isinstance(values, list) or len(values) < 2 or not all(isinstance(v, (int, float)) for v in values):
        return None
    return Runs(tuple(float(v) for v in values))


def beyond_noise(a: Runs | None, b: Runs | None) -> bool | None:
    """Whether two variants' runs do not overlap (a difference larger than the seed-to-seed
    spread); None when either has a single run."""
    if a is None or b is None:
        return None
    return a.high < b.low or b.high < a.low


def verdict(a: Runs | None, b: Runs | None) -> str:
    """``beyond_noise`` in words, for a lesson: "beyond the seed-to-seed spread", "within ..."."""
    beyond = beyond_noise(a, b)
    if beyond is None:
        return "single runs, spread not measured"
    return "beyond the seed-to-seed spread" if beyond else "within the seed-to-seed spread"
