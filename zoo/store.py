"""Opening a zoo, listing its variants, loading them (cached) and classifying texts."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .artifact import Artifact, ArtifactError, read_manifest
# The errors are importable from here too, where callers open zoos.
from .errors import HubUnreachableError, VariantNotFoundError, ZooError, check_variants, missing_variants  # noqa: F401
from .hub import HUB_SCHEME, fetch_hub_zoo
from .inference import BATCH_SIZES, make_forward_pass, probabilities, reading_model
from .numpy_forward import NotRunnable
from .numpy_forward import read_model as read_numpy_model
from .text import Vocabulary, pad, tokenize

BUNDLED_ZOO = Path(__file__).resolve().parent.parent / "bundled_zoo"
ZOO_SOURCE_ENV = "ZOO_SOURCE"
#: Up to this many texts, ``Zoo.classify`` runs the reading models (see there).
FEW_TEXTS = BATCH_SIZES[1]


@dataclass(frozen=True)
class Entry:
    """A variant the manifest lists: its artifact when it could be read, and why the variant
    cannot be used (``error``; None when it is sound).

    A variant whose files fail their checksums keeps its artifact (its metadata is readable)
    and has an error; one that cannot be read at all has only an error.
    """

    id: str
    artifact: Artifact | None = None
    error: str | None = None


@dataclass
class Zoo:
    """A zoo folder on disk, with where it came from.

    Models are loaded on first use and kept; one ``Zoo`` can serve many threads.
    ``variants`` narrows the zoo to some of the variants its manifest lists (None: all);
    ``problems`` marks variants already found unusable when the zoo was opened (for
    example a damaged download), with the reason, so they show as broken entries;
    ``verified`` names variants whose checksums were checked as the zoo was opened (a Hub
    download), so listing them does not read their files again.
    """

    path: Path
    source: str
    origin: dict = field(default_factory=dict)
    variants: tuple[str, ...] | None = None
    problems: dict[str, str] = field(default_factory=dict)
    verified: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, object] = {}
        self._readers: dict[str, object] = {}
        self._vocabularies: dict[str, Vocabulary] = {}
        self._numpy_models: dict[str, object] = {}  # for ``first_answers``, until Keras holds every model
        self._entries: list[Entry] | None = None
        self._warming = False
        self._compiled: set[str] = set()
        self._stop = threading.Event()

    def entries(self) -> list[Entry]:
        """Every variant the manifest lists, in catalog order, each readable or with its error."""
        if self._entries is None:
            entries = []
            for variant_id in read_manifest(self.path):
                if self.variants is not None and variant_id not in self.variants:
                    continue
                if variant_id in self.problems:
                    entries.append(Entry(variant_id, error=self.problems[variant_id]))
                    continue
                try:
                    artifact = Artifact.read(self.path / variant_id)
                except ArtifactError as error:
                    entries.append(Entry(variant_id, error=str(error)))
                    continue
                try:
                    # A few milliseconds per variant, so a damaged file shows as broken right away.
                    if variant_id not in self.verified:
                        artifact.verify()
                    entries.append(Entry(variant_id, artifact=artifact))
                except ArtifactError as error:
                    entries.append(Entry(variant_id, artifact=artifact, error=str(error)))
            self._entries = entries
        return self._entries

    @property
    def ids(self) -> list[str]:
        return [entry.id for entry in self.entries()]

    def artifacts(self) -> list[Artifact]:
        """The sound variants."""
        return [entry.artifact for entry in self.entries() if entry.error is None]

    def artifact(self, variant_id: str) -> Artifact:
        """Raises ``KeyError`` for an id the zoo does not list, ``ArtifactError`` for a broken one."""
        for entry in self.entries():
            if entry.id == variant_id:
                if entry.error is not None:
                    raise ArtifactError(entry.error)
                return entry.artifact
        raise KeyError(missing_variants(self.source, self.ids, [variant_id]))

    def vocabulary(self, variant_id: str) -> Vocabulary:
        """The variant's vocabulary; variants whose vocabularies are equal share one object."""
        if variant_id not in self._vocabularies:
            vocabulary = self.artifact(variant_id).vocabulary()
            same = (v for v in self._vocabularies.values() if v == vocabulary)
            self._vocabularies[variant_id] = next(same, vocabulary)
        return self._vocabularies[variant_id]

    def model(self, variant_id: str):
        """The loaded Keras model of a variant (loaded once, checksums verified)."""
        with self._lock:
            if variant_id not in self._models:
                self._models[variant_id] = self.artifact(variant_id).load_model()
            return self._models[variant_id]

    def reader(self, variant_id: str):
        """The variant's reading model (see ``inference.reading_model``), built once.

        It is what ``classify`` runs for a few texts too (its last output is the model's answer),
        so one compiled forward pass per variant serves both the answer and the reading curve.
        """
        model = self.model(variant_id)
        with self._lock:
            if variant_id not in self._readers:
                self._readers[variant_id] = reading_model(model)
            return self._readers[variant_id]

    def classify(self, texts: Sequence[str], variant_ids: Sequence[str] | None = None) -> dict[str, np.ndarray | ArtifactError]:
        """The probability of "positive" of every text under every variant.

        A variant that cannot be loaded maps to its ``ArtifactError`` instead of
        probabilities, so one broken artifact never hides the others' answers.
        """
        results: dict[str, np.ndarray | ArtifactError] = {}
        # A few texts (the app, the CLI): the reading model, compiled once per variant for both
        # the answer and the reading curve. Many (an evaluation): the model, which outputs one
        # number per text rather than one per word.
        runner = self.reader if len(texts) <= FEW_TEXTS else self.model
        for variant_id, rows in self.encoded(texts, variant_ids).items():
            try:
                if isinstance(rows, ArtifactError):
                    raise rows
                results[variant_id] = probabilities(runner(variant_id), rows, compiled=self.compiled(variant_id))
            except ArtifactError as error:
                results[variant_id] = error
        return results

    def first_answers(self, texts: Sequence[str], variant_ids: Sequence[str] | None = None) -> dict[str, np.ndarray | ArtifactError]:
        """``classify``'s answers without TensorFlow: each variant's forward pass in NumPy, from
        the weights in its checksummed artifact (``zoo.numpy_forward``), equal to Keras' to within
        float32 rounding. What a fresh server shows while TensorFlow loads: about a second for the
        bundled zoo's 15 variants, h5py's import included, where Keras' import alone takes about 4 s.

        A variant whose layers it cannot run (``NotRunnable``) is left out: its answer waits for
        ``classify``. A broken one maps to its ``ArtifactError``, as in ``classify``.
        """
        results: dict[str, np.ndarray | ArtifactError] = {}
        for variant_id, rows in self.encoded(texts, variant_ids).items():
            try:
                if isinstance(rows, ArtifactError):
                    raise rows
                if variant_id not in self._numpy_models:  # no lock: two threads may read one twice
                    self._numpy_models[variant_id] = read_numpy_model(self.artifact(variant_id))
                results[variant_id] = self._numpy_models[variant_id].probabilities(rows)
            except ArtifactError as error:
                results[variant_id] = error
            except (NotRunnable, ValueError, IndexError):  # IndexError, ValueError: weights unlike their config
                continue  # left to Keras, whose loading reports what is wrong with the model
        return results

    def encoded(self, texts: Sequence[str], variant_ids: Sequence[str] | None = None) -> dict[str, np.ndarray | ArtifactError]:
        """The texts as each variant reads them (``Vocabulary.encode``), or why it cannot.

        Shared between variants: the texts are split into words once, looked up once per
        vocabulary and padded once per (vocabulary, maxlen), whatever the number of variants.
        """
        words = [tokenize(text) for text in texts]
        sequences: dict[int, list[list[int]]] = {}
        rows: dict[tuple[int, int], np.ndarray] = {}
        encoded: dict[str, np.ndarray | ArtifactError] = {}
        for variant_id in variant_ids or self.ids:
            try:
                maxlen = self.artifact(variant_id).spec.maxlen
                vocabulary = self.vocabulary(variant_id)
            except ArtifactError as error:
                encoded[variant_id] = error
                continue
            key = id(vocabulary)
            if key not in sequences:
                sequences[key] = [vocabulary.lookup(w) for w in words]
            if (key, maxlen) not in rows:
                rows[key, maxlen] = pad(sequences[key], maxlen)
            encoded[variant_id] = rows[key, maxlen]
        return encoded

    def compiled(self, variant_id: str) -> bool:
        """Whether ``classify`` runs the variant's XLA-compiled forward pass: always, except
        after ``prepare`` until ``warm_up`` has made it (the plain graph pass answers meanwhile)."""
        return not self._warming or variant_id in self._compiled

    def prepare(self, variant_ids: Sequence[str] | None = None, *, ready: Callable[[str], None] | None = None) -> None:
        """Load the variants and trace their plain graph forward passes for one text (about 0.1 s
        each, where XLA takes about half a second), calling ``ready(variant_id)`` after each.

        Until ``warm_up`` has compiled a variant, ``classify`` answers with that plain pass: a
        server's first text gets its answers seconds before the compiling could end.
        Broken variants are left for ``classify`` to report, and are ``ready`` too: a page that
        waits for every variant must not wait for one that will never load.
        """
        self._warming = True
        for variant_id in variant_ids or self.ids:
            if self._stop.is_set():
                return
            try:
                reader, maxlen = self.reader(variant_id), self.artifact(variant_id).spec.maxlen
            except ArtifactError:
                if ready is not None:
                    ready(variant_id)
                continue
            if variant_id not in self._compiled:
                make_forward_pass(reader, maxlen, compiled=False)
            if ready is not None:
                ready(variant_id)
        if not self._stop.is_set():
            self._numpy_models.clear()  # Keras answers from now on

    def stop_warming(self) -> None:
        """Make ``prepare`` and ``warm_up`` return once the variant they work on is done (a
        process that exits: see ``views.loading.models_warming``)."""
        self._stop.set()

    def warm_up(self, variant_ids: Sequence[str] | None = None) -> None:
        """Load the variants and compile their forward passes for one text, so that the next
        ``classify([text])`` only runs them. Broken variants are left for ``classify`` to report.

        Compiling is mostly XLA's own C++ work, so two threads share it on a 2-core machine. They
        are daemon threads: a process that exits (a server stopped while it warms up) does not wait
        for the compiling to end, where a ``ThreadPoolExecutor`` would finish every queued variant
        first (15-20 s); ``stop_warming`` ends them after the variant each is compiling, so that
        the process never finalizes under a thread still in TensorFlow's C++ (it aborts). An error
        in a compile is raised here once both are done.
        """
        if self._stop.is_set():
            return
        self._warming = True
        try:
            jobs = queue.SimpleQueue()
            for variant_id in variant_ids or self.ids:
                try:
                    jobs.put((variant_id, self.reader(variant_id), self.artifact(variant_id).spec.maxlen))
                except ArtifactError:
                    continue
            errors: list[BaseException] = []

            def compile_all() -> None:
                while not self._stop.is_set():
                    try:
                        variant_id, reader, maxlen = jobs.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        make_forward_pass(reader, maxlen)
                        self._compiled.add(variant_id)
                    except BaseException as error:  # given to the caller below
                        errors.append(error)

            workers = [threading.Thread(target=compile_all, name=f"zoo-compile-{i}", daemon=True)
                       for i in range(min(2, os.cpu_count() or 1))]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            if errors:
                raise errors[0]
        finally:
            self._warming = False


def default_source() -> str:
    """``$ZOO_SOURCE`` if set, else the bundled zoo folder."""
    return os.environ.get(ZOO_SOURCE_ENV) or str(BUNDLED_ZOO)


def open_zoo(source: str | os.PathLike | None = None, *, variants: Sequence[str] | None = None) -> Zoo:
    """Open a zoo: a local folder, or ``hf://OWNER/NAME[@REVISION]`` on the Hugging Face Hub.

    Without ``source``, ``$ZOO_SOURCE`` or the bundled zoo. With ``variants``, only those
    variants (from the Hub, only their files are downloaded).

    Raises:
        ZooError: the folder does not exist or holds no manifest, or the Hub repo cannot be had.
        VariantNotFoundError: ``variants`` names one the manifest does not list.
    """
    source = str(source) if source else default_source()
    if source.startswith(HUB_SCHEME):
        fetched = fetch_hub_zoo(source, variants=variants)
        return Zoo(fetched.path, source=source, origin=fetched.origin, variants=tuple(variants) if variants else None,
                   problems=fetched.problems, verified=fetched.verified)
    path = Path(source).expanduser()
    if not path.is_dir() and path == BUNDLED_ZOO:
        raise ZooError(f"no bundled zoo at {path}: it ships with the repository, not with the installed "
                       f"package; give a zoo folder or {HUB_SCHEME}OWNER/NAME (--zoo, or ${ZOO_SOURCE_ENV})")
    if not path.is_dir():
        raise ZooError(f"no zoo folder at {path}")
    kind = "bundled" if path.resolve() == BUNDLED_ZOO else "local"
    try:
        listed = read_manifest(path)
    except ArtifactError as error:
        raise ZooError(f"cannot read the zoo's manifest: {error}") from error
    if variants:
        check_variants(source, listed, variants)
    return Zoo(path, source=str(path), origin={"kind": kind, "path": str(path.resolve())},
               variants=tuple(variants) if variants else None)


def open_zoo_or_bundled(source: str | os.PathLike | None = None) -> tuple[Zoo, str | None]:
    """Open ``source``; when it is a Hub zoo that cannot be reached, open the bundled zoo instead.

    Returns:
        The zoo, and a notice for the person when the bundled zoo stands in (else None).

    Raises:
        ZooError: any other reason the source cannot be opened (repo not found, bad folder...).
    """
    try:
        return open_zoo(source), None
    except HubUnreachableError as error:
        return open_zoo(BUNDLED_ZOO), f"{error} Showing the bundled zoo instead."
