"""The variants this visitor trained (tab *Train your own*), as every tab shows them.

They live in this session only (``st.session_state``), never in the shared zoo: each keeps
the ``zoo.own.TrainingJob`` that owns its temporary folder, and the zoo opened on that folder.
Each has a number in the session and a name of its settings (``OwnSettings.numbered``), and
its colour from that number (``views.colors.variant_color``). Classify asks them and draws
their reading curves, *Compare training* draws their histories over the zoo's, and *What they
can do* runs the probes on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

import zoo
from zoo.artifact import ArtifactError
from zoo.explain import read_along
from zoo.own import OwnSettings, TrainingJob
from zoo.probes import run_probes

from .work import HEAVY

#: A session keeps at most this many trained variants (the oldest goes first): memory stays bounded.
KEPT = 3
OWN_KEY, COUNT_KEY = "own_variants", "own_trained"


@dataclass(eq=False)
class OwnVariant:
    """A variant this visitor trained: its settings, its job (which owns the temporary folder), its
    zoo, and its number in the session."""

    settings: OwnSettings
    job: TrainingJob
    variant_id: str
    zoo: zoo.Zoo
    number: int = 1
    probes: dict | None = None  # ``zoo.probes.run_probes``' result for it, once run

    @property
    def name(self) -> str:
        return self.settings.numbered(self.number)


def own_variants() -> list[OwnVariant]:
    return st.session_state.setdefault(OWN_KEY, [])


def next_number() -> int:
    """The number the session's next trained variant gets."""
    return st.session_state.get(COUNT_KEY, 0) + 1


def keep(settings: OwnSettings, job: TrainingJob, variant_id: str) -> OwnVariant:
    """Keep a finished job's variant in the session (the oldest beyond ``KEPT`` let go: their
    folders are deleted with their jobs)."""
    number = next_number()
    st.session_state[COUNT_KEY] = number
    variant = OwnVariant(settings, job, variant_id, zoo.open_zoo(job.zoo_folder), number)
    kept = own_variants()
    kept.append(variant)
    del kept[:-KEPT]
    return variant


def own_history_rows(name: str, epochs: list[dict], best_epoch: int | None = None) -> list[dict]:
    """Finished epochs as the rows ``views.training.history_chart`` draws."""
    rows = []
    for metric in ("loss", "accuracy"):
        for split, key in (("training", metric), ("validation", f"val_{metric}")):
            for event in epochs:
                if key in event:
                    rows.append({"variant": name, "metric": metric, "split": split, "epoch": event["epoch"],
                                 "value": event[key], "best": split == "validation" and event["epoch"] == best_epoch})
    return rows


def history_rows(variant: OwnVariant) -> list[dict]:
    """A kept variant's whole history (its best epoch marked), as ``own_history_rows``."""
    artifact = variant.zoo.artifact(variant.variant_id)
    history = artifact.history
    epochs = [{"epoch": i + 1, **{k: history[k][i] for k in ("loss", "accuracy", "val_loss", "val_accuracy")}}
              for i in range(len(history["loss"]))]
    return own_history_rows(variant.name, epochs, artifact.metadata["best_epoch"])


def own_history_frame() -> pd.DataFrame:
    """Every kept variant's history, in ``views.loading.history_frame``'s rows."""
    return pd.DataFrame([row for variant in own_variants() for row in history_rows(variant)],
                        columns=["variant", "metric", "split", "epoch", "value", "best"])


def own_reading_frames(text: str) -> tuple[list[pd.DataFrame], list[str]]:
    """Each kept variant's reading curve over ``text`` (``views.loading.reading_frame``'s rows), and
    why a variant could not read it, one message each."""
    frames, problems = [], []
    for variant in own_variants():
        try:
            curve = read_along(variant.zoo, variant.variant_id, text)
        except ArtifactError as error:
            problems.append(f"{variant.name} could not read it ({error})")
            continue
        frames.append(pd.DataFrame({"variant": variant.name, "position": curve.positions, "word": curve.words,
                                    "p_positive": curve.probabilities}))
    return frames, problems


def own_probe_results() -> dict[str, dict]:
    """The probes' results for each kept variant (``run_probes``' per-variant entries, by name), run
    once per variant."""
    results = {}
    for variant in own_variants():
        if variant.probes is None:
            with HEAVY.turn():  # the server's heavy work, one slot of it
                variant.probes = run_probes(variant.zoo, [variant.variant_id])
        entry = variant.probes["variants"].get(variant.variant_id)
        if entry is not None:
            results[variant.name] = entry
    return results
