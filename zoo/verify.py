"""Checking a whole zoo before it is served or published: ``python -m zoo verify``.

Every variant the manifest lists must be present and complete, its JSON readable, its
files equal to the checksums recorded when it was saved, and its model loadable with
``safe_mode=True`` and answering a text. A ``probes.json`` must be readable, and one computed
from other models than the zoo's is reported as out of date. Folders the manifest does not list, and what
an interrupted save left behind, are reported as warnings: they are never served. So are
variants trained with another text pipeline version than ``zoo.text`` serves, and recipe
fields this version does not know (a zoo written by a newer version): both still serve. Each
variant's ``tokenizer.json`` (for Hub users without the zoo package) must hold the words of its
``vocabulary.txt``; one that is missing, or written for another text pipeline, is a warning
(the zoo never reads it, and ``training.push`` refuses to publish it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from . import tokenizer_file
from .artifact import HISTORY_KEYS, MANIFEST_FILE, TOKENIZER_FILE, Artifact, ArtifactError, read_manifest
from .store import Zoo
from .text import TEXT_PIPELINE_VERSION

ERROR, WARNING = "error", "warning"
#: A text every variant must answer with a probability, as a last check that the model runs.
PROBE_TEXT = "A wonderful film, I loved it."


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a zoo, in words a person can act on."""

    severity: str
    subject: str
    message: str

    def line(self) -> str:
        return f"{self.severity.upper()}  {self.subject}: {self.message}"


@dataclass
class Report:
    """What ``verify`` found: each listed variant's verdict, and every problem."""

    source: str
    variants: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not any(p.severity == ERROR for p in self.problems)

    def add(self, severity: str, subject: str, message: str) -> None:
        self.problems.append(Problem(severity, subject, message))
        if subject in self.variants and severity == ERROR:
            self.variants[subject] = "broken"

    def to_dict(self) -> dict:
        return {"source": self.source, "ok": self.ok, "variants": self.variants,
                "problems": [asdict(p) for p in self.problems]}


def verify_zoo(zoo: Zoo, *, load_models: bool = True) -> Report:
    """Check every variant the zoo's manifest lists, and what else lies in its folder.

    Args:
        zoo: an open zoo (its folder is read again from disk).
        load_models: also load each model with ``safe_mode=True`` and run it on one text
            (about a second per variant; without it only files and checksums are checked).
    """
    report = Report(zoo.source)
    if not (zoo.path / MANIFEST_FILE).is_file():
        report.add(ERROR, "zoo", f"no {MANIFEST_FILE} in {zoo.path}: not a zoo folder, or nothing was saved "
                   "into it yet (python -m training.train --out FOLDER writes one)")
    try:
        listed = read_manifest(zoo.path)
    except ArtifactError as error:
        report.add(ERROR, "zoo", f"{error}; every variant is unreachable until it is fixed")
        listed = []
    pipelines: dict[int, list[str]] = {}
    artifacts = []
    for variant_id in listed:
        if zoo.variants is not None and variant_id not in zoo.variants:
            continue
        report.variants[variant_id] = "ok"
        artifact = _check_variant(zoo, variant_id, report, load_models)
        artifacts += [artifact] if artifact is not None else []
        if artifact is not None and artifact.text_pipeline != TEXT_PIPELINE_VERSION:
            pipelines.setdefault(artifact.text_pipeline, []).append(variant_id)
    for version, ids in sorted(pipelines.items()):
        # One line per version: a zoo trained before a pipeline change would otherwise warn once per variant.
        report.add(WARNING, _variants(ids, report), f"trained with text pipeline {version}, served with "
                   f"{TEXT_PIPELINE_VERSION} (zoo.text): some texts split into words differently than in training; "
                   "python -m zoo evaluate measures the effect, retraining removes it")
    _check_tokenizers(zoo, artifacts, report)
    _check_folder(zoo, listed, report)
    _check_probes(zoo, report)
    return report


def _variants(ids: list[str], report: Report) -> str:
    """The subject of a warning about several variants: ``all 12 variants``, or their ids."""
    return f"all {len(ids)} variants" if len(ids) == len(report.variants) > 1 else ", ".join(ids)


def _check_probes(zoo: Zoo, report: Report) -> None:
    """The zoo's ``probes.json``, if it has one, must be readable and computed from its current models."""
    from .probes import PROBES_FILE, read_probes, stale_reason

    try:
        results = read_probes(zoo.path)
    except ArtifactError as error:
        report.add(ERROR, PROBES_FILE, f"{error}: compute it again with python -m zoo probe --write")
        return
    if results is None:
        return
    why = stale_reason(zoo, results)
    if why:
        report.add(WARNING, PROBES_FILE, f"out of date: {why}; the app computes the probes itself until you run "
                   "python -m zoo probe --write")


def _check_variant(zoo: Zoo, variant_id: str, report: Report, load_models: bool) -> Artifact | None:
    """Add the variant's problems to ``report``; returns its artifact when it could be read."""
    if variant_id in zoo.problems:
        report.add(ERROR, variant_id, zoo.problems[variant_id])
        return None
    folder = zoo.path / variant_id
    if not folder.is_dir():
        report.add(ERROR, variant_id, f"variant folder {folder} is missing though {MANIFEST_FILE} lists it: "
                   "train it again, or copy the folder back")
        return None
    try:
        artifact = Artifact.read(folder)
        artifact.verify()
    except ArtifactError as error:
        report.add(ERROR, variant_id, f"{_without_prefix(str(error), variant_id)}: train it again or restore the folder "
                   "from a good copy (e.g. the Hub)")
        return None
    if artifact.ignored_fields:
        report.add(WARNING, variant_id, f"{', '.join(artifact.ignored_fields)}: unknown to this version of the zoo "
                   "and ignored (a training setting; the model reads texts as before)")
    if artifact.id != variant_id:
        report.add(ERROR, variant_id, f"its metadata.json describes {artifact.id!r}: the folder holds another variant")
    lengths = {key: len(artifact.history[key]) for key in HISTORY_KEYS}
    if len(set(lengths.values())) != 1 or not 1 <= artifact.metadata.get("best_epoch", 0) <= lengths["loss"]:
        report.add(ERROR, variant_id, f"history.json epochs per metric {lengths} do not agree with each other "
                   f"or with best epoch {artifact.metadata.get('best_epoch')}")
    if not load_models:
        return artifact
    try:
        model = artifact.load_model()
        x = artifact.vocabulary().encode([PROBE_TEXT], artifact.spec.maxlen)
        p = float(np.asarray(model.predict_on_batch(x)).reshape(-1)[0])
    except ArtifactError as error:
        report.add(ERROR, variant_id, _without_prefix(str(error), variant_id))
        return artifact
    if not 0.0 <= p <= 1.0:  # also catches NaN
        report.add(ERROR, variant_id, f"the model loads but answers {p} for a test text: its weights are damaged")
    return artifact


def _check_tokenizers(zoo: Zoo, artifacts: list[Artifact], report: Report) -> None:
    """Each variant's ``tokenizer.json`` must hold its vocabulary and express ``zoo.text``'s pipeline.

    One that holds other words is an error (Hub users would get other ids); missing ones, and
    ones written for another pipeline, are one warning each (the zoo itself never reads them).
    """
    if zoo.origin.get("kind") == "hub":
        fix = "write it in the zoo's folder with python -m training.refresh, then publish again with training.push"
    else:
        fix = f"write it with python -m training.refresh --zoo {zoo.path}"
    stale: dict[str, list[str]] = {}
    for artifact in artifacts:
        found = tokenizer_file.problem(artifact.path / TOKENIZER_FILE, artifact.vocabulary())
        if found and found[0] == "vocabulary":
            report.add(ERROR, artifact.id, f"{found[1]}: Hub users would encode texts with other ids; {fix}")
        elif found:
            stale.setdefault(found[1], []).append(artifact.id)
    for why, ids in stale.items():
        report.add(WARNING, _variants(ids, report), f"{why}: Hub users without the zoo package cannot encode texts "
                   f"as the zoo does, and training.push refuses to publish it; {fix}")


def _check_folder(zoo: Zoo, listed: list[str], report: Report) -> None:
    """Warn about folders that are not served: unlisted ones, and leftovers of interrupted saves."""
    for path in sorted(zoo.path.iterdir()):
        if not path.is_dir():
            continue
        name = path.name
        if name.startswith(".tmp-"):
            report.add(WARNING, name, "an unfinished save (killed or failed); never served. The next save of that "
                       "variant removes it, or delete it")
        elif name.startswith(".old-"):
            variant_id = name.removeprefix(".old-")
            if (zoo.path / variant_id).exists():
                report.add(WARNING, name, f"the previous {variant_id}, left by an interrupted save; delete it")
            else:
                report.add(ERROR, name, f"{variant_id} was moved aside by an interrupted save and its replacement "
                           f"never arrived: rename {name} back to {variant_id}")
        elif not name.startswith(".") and name not in listed:
            report.add(WARNING, name, f"a folder {MANIFEST_FILE} does not list, so it is not served; save it again "
                       "with python -m training.train to list it, or delete it")


def _without_prefix(message: str, variant_id: str) -> str:
    """ArtifactError messages start with the variant id; the report already names it."""
    return message.removeprefix(f"{variant_id}: ")
