"""Training each variant with several seeds, to measure the noise between training runs.

``python -m training.train --seeds 3`` trains every variant with the seeds ``--seed``,
``--seed + 1`` and ``--seed + 2``. The zoo serves the run of the named seed (``--seed``); the
other runs go into zoo folders of their own beside the work folders (``seed_zoo``), where
``python -m zoo list --zoo FOLDER`` shows them. Once every run of a variant is written, the
served artifact's ``metadata["seed_runs"]`` records each run's test and short-text accuracy
and validation history (``zoo.seeds`` reads them), and its model card is written again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from training import WORK_FOLDER
from zoo.artifact import CARD_FILE, HISTORY_KEYS, METADATA_FILE, Artifact, write_json
from zoo.card import render_card
from zoo.catalog import VariantSpec
from zoo.evaluation import SHORT_TEXT_KINDS


@dataclass(frozen=True)
class Task:
    """One training run: a variant, its seed, and the zoo folder its artifact goes into."""

    spec: VariantSpec
    seed: int
    out: Path
    #: The named seed's run: the artifact the zoo serves.
    served: bool

    @property
    def work_name(self) -> str:
        """The run's folder under ``--work``: the variant id, and the seed for another seed's run."""
        return self.spec.id if self.served else f"{self.spec.id}-seed-{self.seed}"


def task_name(task: Task, seeds: int) -> str:
    """A run as the progress lines name it: the variant id, and its seed when there are several."""
    return f"{task.spec.id} (seed {task.seed})" if seeds > 1 else task.spec.id


def seed_zoo(out: Path, seed: int) -> Path:
    """The zoo folder of the runs with ``seed`` for the zoo ``out``: beside the work folders,
    never inside a zoo folder (``OUT/../.training-work/<OUT name>/seeds/seed-<seed>``)."""
    out = Path(out).resolve()
    return out.parent / WORK_FOLDER / out.name / "seeds" / f"seed-{seed}"


def tasks_for(specs: list[VariantSpec], seed: int, seeds: int, out: Path) -> list[Task]:
    """Every run of ``specs`` with ``seeds`` seeds from ``seed`` on, variant by variant, the
    named seed's first."""
    return [Task(spec, seed + i, Path(out) if i == 0 else seed_zoo(out, seed + i), i == 0)
            for spec in specs for i in range(seeds)]


def record_seed_runs(tasks: list[Task]) -> list[str]:
    """Write the runs of each variant of ``tasks`` into its served artifact's metadata (and card).

    Returns:
        The variants recorded (those whose runs were all written).
    """
    recorded = []
    for served in (task for task in tasks if task.served):
        runs = [task for task in tasks if task.spec == served.spec]
        if len(runs) < 2:
            continue
        try:
            artifacts = [Artifact.read(task.out / task.spec.id) for task in runs]
        except Exception:  # a run failed: its variant keeps no seed record (the failure was reported)
            continue
        folder = artifacts[0].path
        metadata = artifacts[0].metadata | {"seed_runs": seed_runs(artifacts)}
        write_json(folder / METADATA_FILE, metadata)
        (folder / CARD_FILE).write_text(render_card(metadata, artifacts[0].history), encoding="utf-8")
        recorded.append(served.spec.id)
    return recorded


def seed_runs(artifacts: list[Artifact]) -> dict:
    """The ``metadata["seed_runs"]`` record of one variant's runs (the served one first): per
    run, its seed, test and short-text accuracy, best epoch and history (``seconds`` aside)."""
    return {
        "seeds": [a.metadata["seed"] for a in artifacts],
        "test_accuracy": [a.metadata["test_accuracy"] for a in artifacts],
        "short_text_accuracy": {kind: [(a.metadata.get("short_text_accuracy") or {}).get(kind) for a in artifacts]
                                for kind in SHORT_TEXT_KINDS},
        "best_epoch": [a.metadata["best_epoch"] for a in artifacts],
        "history": [{key: a.history[key] for key in HISTORY_KEYS if key != "seconds"} for a in artifacts],
    }
