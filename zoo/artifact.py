"""The artifact format: one self-describing folder per variant, and a zoo manifest.

A variant folder holds::

    model.keras      the Keras model, native format, loadable with safe_mode=True
    vocabulary.txt   the vocabulary it was trained with, one word per line
    history.json     the full per-epoch history (HISTORY_KEYS)
    metadata.json    spec, metrics, data fingerprint, seed, versions, file checksums
    README.md        the model card, with Hugging Face metadata
    tokenizer.json   the text pipeline and vocabulary for the Hugging Face ``tokenizers``
                     library (``zoo.tokenizer_file``), for users without the zoo package

and the zoo folder a manifest, ``zoo.json``, listing its variants. Folders are written
to a temporary name and renamed into place, so a reader never sees half a variant.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .catalog import VariantSpec, has_json_type
from .text import TEXT_PIPELINE_VERSION, Vocabulary

FORMAT_VERSION = 1
MODEL_FILE = "model.keras"
VOCABULARY_FILE = "vocabulary.txt"
HISTORY_FILE = "history.json"
METADATA_FILE = "metadata.json"
CARD_FILE = "README.md"
MANIFEST_FILE = "zoo.json"
#: Files whose sha256 the metadata records; the card and metadata are derived from them.
CHECKED_FILES = (MODEL_FILE, VOCABULARY_FILE, HISTORY_FILE)
VARIANT_FILES = (*CHECKED_FILES, METADATA_FILE, CARD_FILE)
TOKENIZER_FILE = "tokenizer.json"
#: What a published variant holds: its files, and the tokenizer file written from its vocabulary.
#: The zoo never reads the tokenizer file to serve (a zoo saved before it existed still serves);
#: ``verify`` and ``training.push`` check it against ``vocabulary.txt`` instead of a checksum.
PUBLISHED_FILES = (*VARIANT_FILES, TOKENIZER_FILE)

#: What a variant id, and any name a zoo gives, may be: lower-case letters, digits, ".", "_" and
#: "-", starting with a letter or a digit, and never ".." (see ``check_name``).
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")

#: The per-epoch history an artifact records, in the seed's ``history.history`` names
#: plus the wall-clock seconds of each epoch.
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy", "seconds")

#: What readers take from ``metadata.json``, with its type. Keys not named here are kept
#: and ignored, so that a newer version may add some.
METADATA_TYPES = {
    "id": str, "spec": dict, "params": int, "best_epoch": int, "val_accuracy": float, "test_accuracy": float,
    "test_loss": float, "seconds_per_epoch": float, "seed": int, "data": dict, "versions": dict,
    "created": str,
}
#: Keys that may be absent (older artifacts), with their type when present.
#: (A variant without ``files`` is refused by ``verify``, which names the unrecorded files.)
OPTIONAL_METADATA_TYPES = {"short_text_accuracy": dict, "val_loss": float, "text_pipeline": int, "files": dict,
                           "seed_runs": dict}
DATA_TYPES = {"train_reviews": int, "validation_reviews": int, "test_reviews": int}
#: The text pipeline of an artifact that records none: the one before versions were recorded.
FIRST_TEXT_PIPELINE = 1


class ArtifactError(Exception):
    """A variant folder is missing, incomplete or corrupt; the message says which file and why."""


class DiskFullError(OSError):
    """The disk filled up while a variant was being saved (``errno`` is ``ENOSPC`` or ``EDQUOT``).

    The message says whether the previous version was kept: a failed save replaces nothing.
    """


#: The errors a write gets when the file system (or the user's quota) has no room left.
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def check_name(name: object, what: str) -> str:
    """``name`` if it is a safe name (``SAFE_NAME``, no ".."): one that can only name an entry of
    its own folder, and is no glob pattern. A zoo's names become path parts and download patterns.

    Raises:
        ArtifactError: it is not, in one line that says what was refused.
    """
    if not isinstance(name, str) or not SAFE_NAME.fullmatch(name) or ".." in name:
        shown = repr(name) if len(repr(name)) <= 60 else repr(name)[:57] + "..."
        raise ArtifactError(f"{what} {shown} is refused: a name must be lower-case letters, digits, '.', '_' "
                            "or '-', without '..' or a path separator")
    return name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Artifact:
    """A variant folder read from disk: its metadata and history, with the model loaded on demand."""

    path: Path
    metadata: dict
    history: dict

    @property
    def id(self) -> str:
        return self.metadata["id"]

    @property
    def spec(self) -> VariantSpec:
        return VariantSpec.from_dict(self.metadata["spec"])

    @property
    def text_pipeline(self) -> int:
        """The ``zoo.text.TEXT_PIPELINE_VERSION`` the variant was trained with (1 when unrecorded)."""
        return self.metadata.get("text_pipeline", FIRST_TEXT_PIPELINE)

    @property
    def ignored_fields(self) -> list[str]:
        """Recipe fields in the metadata that this version does not know and ignores."""
        return VariantSpec.ignored_fields(self.metadata["spec"])

    @classmethod
    def read(cls, path: Path) -> Artifact:
        """Read a variant folder's metadata and history.

        Raises:
            ArtifactError: a file is missing, its JSON is unreadable, or the metadata lacks a
                key a reader needs or holds a value of the wrong type (the message names it).
        """
        if not path.is_dir():
            raise ArtifactError(f"{path.name}: its folder is missing ({path})")
        missing = [name for name in VARIANT_FILES if not (path / name).is_file()]
        if missing:
            raise ArtifactError(f"{path.name}: missing {', '.join(missing)}")
        metadata = _read_json(path / METADATA_FILE, f"{path.name}: ")
        history = _read_json(path / HISTORY_FILE, f"{path.name}: ")
        if metadata.get("format") != FORMAT_VERSION:
            raise ArtifactError(f"{path.name}: artifact format {metadata.get('format')!r}, expected {FORMAT_VERSION}")
        if not isinstance(history, dict) or not all(isinstance(history.get(key), list) for key in HISTORY_KEYS):
            raise ArtifactError(f"{path.name}: {HISTORY_FILE} lacks one of {', '.join(HISTORY_KEYS)}")
        bad = next((key for key in HISTORY_KEYS if not all(has_json_type(v, float) for v in history[key])), None)
        if bad:
            raise ArtifactError(f"{path.name}: {HISTORY_FILE}: {bad} holds a value that is not a number")
        why = metadata_problem(metadata)
        if why:
            raise ArtifactError(f"{path.name}: {METADATA_FILE}: {why}")
        return cls(path, metadata, history)

    def verify(self) -> None:
        """Check every recorded file against its sha256.

        Raises:
            ArtifactError: a file differs from what was recorded when the variant was saved.
        """
        recorded = self.metadata.get("files") or {}
        # Without a recorded sum a damaged file would pass unnoticed: every checked file needs one.
        unrecorded = [name for name in CHECKED_FILES if name not in recorded]
        if unrecorded:
            raise ArtifactError(f"{self.id}: {METADATA_FILE} records no checksum for {', '.join(unrecorded)}")
        # Only the files the format defines are read, whatever else the metadata names.
        for name, expected in ((name, recorded[name]) for name in CHECKED_FILES):
            try:
                actual = sha256(self.path / name)
            except OSError as error:
                raise ArtifactError(f"{self.id}: {name} is unreadable: {error.strerror or error}") from error
            self._check(name, actual)

    def checked_bytes(self, name: str) -> bytes:
        """The bytes of one of ``CHECKED_FILES``, checked against its recorded sha256 as they are
        read: what passed the check is what the caller uses (``zoo.numpy_forward``).

        Raises:
            ArtifactError: the file is unreadable, has no recorded sum or fails it (as ``verify``).
        """
        try:
            data = (self.path / name).read_bytes()
        except OSError as error:
            raise ArtifactError(f"{self.id}: {name} is unreadable: {error.strerror or error}") from error
        self._check(name, hashlib.sha256(data).hexdigest())
        return data

    def _check(self, name: str, actual: str) -> None:
        expected = (self.metadata.get("files") or {}).get(name)
        if expected is None:
            raise ArtifactError(f"{self.id}: {METADATA_FILE} records no checksum for {name}")
        if actual != expected:
            raise ArtifactError(f"{self.id}: {name} fails its checksum (file changed or truncated)")

    def vocabulary(self) -> Vocabulary:
        return Vocabulary.read(self.path / VOCABULARY_FILE)

    def summary(self) -> dict:
        """One row of ``zoo list``: the spec's knobs and the recorded metrics."""
        spec, meta = self.spec, self.metadata
        return {
            "id": self.id,
            "cell": spec.cell,
            "reads_order": spec.reads_order,
            "layers": spec.layers,
            "units": spec.units,
            "maxlen": spec.maxlen,
            "num_words": spec.num_words,
            "recipe": spec.recipe.name,
            "params": meta["params"],
            "epochs": len(self.history["loss"]),
            "best_epoch": meta["best_epoch"],
            "val_accuracy": meta["val_accuracy"],
            "test_accuracy": meta["test_accuracy"],
            "test_loss": meta["test_loss"],
            "short_text_accuracy": meta.get("short_text_accuracy"),
            "seconds_per_epoch": meta["seconds_per_epoch"],
            "size_bytes": sum((self.path / name).stat().st_size for name in CHECKED_FILES),
        }

    def load_model(self):
        """Verify the checksums, then load the Keras model without running any code from the file.

        Raises:
            ArtifactError: the file fails its checksum or Keras cannot load it.
        """
        import keras

        self.verify()
        try:
            return keras.saving.load_model(self.path / MODEL_FILE, compile=False, safe_mode=True)
        except Exception as error:  # Keras raises ValueError, OSError, zipfile errors...
            raise ArtifactError(f"{self.id}: cannot load {MODEL_FILE}: {error}") from error


def make_metadata(
    spec: VariantSpec,
    *,
    params: int,
    history: dict,
    best_epoch: int,
    test_loss: float,
    test_accuracy: float,
    short_text_accuracy: dict,
    seed: int,
    data: dict,
    folder: Path,
    training: dict | None = None,
) -> dict:
    """The ``metadata.json`` of a variant whose model, vocabulary and history are in ``folder``.

    ``best_epoch`` counts from 1, as Keras prints epochs. ``training`` says how it was trained:
    ``{"pipeline": <short name>, "machine": {"cpu": <model name>, "cores": <int>}}`` (the
    machine its ``seconds_per_epoch`` were measured on). ``text_pipeline`` is the
    ``zoo.text.TEXT_PIPELINE_VERSION`` it was trained with.
    """
    import datetime
    import platform

    import keras

    seconds = history["seconds"]
    # The first epoch includes tracing and compilation; report the steady state when there is one.
    steady = seconds[1:] or seconds
    return {
        "format": FORMAT_VERSION,
        "id": spec.id,
        "spec": spec.to_dict(),
        "text_pipeline": TEXT_PIPELINE_VERSION,
        "params": params,
        "best_epoch": best_epoch,
        "val_accuracy": history["val_accuracy"][best_epoch - 1],
        "val_loss": history["val_loss"][best_epoch - 1],
        "test_accuracy": test_accuracy,
        "test_loss": test_loss,
        "short_text_accuracy": short_text_accuracy,
        "seconds_per_epoch": round(sum(steady) / len(steady), 2),
        "seed": seed,
        "data": data,
        **({"training": training} if training else {}),
        "versions": {
            "python": platform.python_version(),
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "tensorflow": _version("tensorflow"),
            "numpy": _version("numpy"),
        },
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "files": {name: sha256(folder / name) for name in CHECKED_FILES},
    }


def metadata_problem(metadata: dict) -> str | None:
    """What is wrong with a ``metadata.json`` (a missing key, a wrong type), or None."""
    for name, kind, required in [*((n, k, True) for n, k in METADATA_TYPES.items()),
                                 *((n, k, False) for n, k in OPTIONAL_METADATA_TYPES.items())]:
        if name not in metadata:
            if required:
                return f"no {name!r}"
        elif not has_json_type(metadata[name], kind):
            return f"{name} is {metadata[name]!r}, not {'a number' if kind is float else kind.__name__}"
    for name, kind in DATA_TYPES.items():
        if not has_json_type(metadata["data"].get(name), kind):
            return f"data.{name} is {metadata['data'].get(name)!r}, not {kind.__name__}"
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.get("files", {}).items()):
        return "files is not a map of file names to sha256 sums"
    foreign = [name for name in metadata.get("files", {}) if name not in CHECKED_FILES]
    if foreign:
        return f"files names {foreign[0][:60]!r}, which is not a file of the artifact format"
    try:
        check_name(metadata["id"], "id")
    except ArtifactError as error:
        return str(error)
    try:
        VariantSpec.from_dict(metadata["spec"])
    except (ValueError, TypeError) as error:
        return str(error)
    return None


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    for name in (package, f"{package}-cpu"):
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return None


def _read_json(path: Path, prefix: str = "") -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactError(f"{prefix}{path.name} is unreadable: {error}") from error


def write_json(path: Path, data: dict | list) -> None:
    """Write JSON atomically (``write_atomically``), indented, with ``\n`` line ends on every OS."""
    write_atomically(path, (json.dumps(data, indent=2) + "\n").encode("utf-8"))


def write_atomically(path: Path, data: bytes) -> None:
    """Make ``path`` hold ``data`` or leave it as it was: a temporary file in the same folder,
    flushed to disk, then ``os.replace``."""
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, suffix=".tmp", delete=False) as file:
        try:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        except BaseException:
            os.unlink(file.name)  # e.g. a full disk: leave no half-written temporary file behind
            raise
    os.chmod(file.name, 0o644)
    os.replace(file.name, path)


def fsync_file(path: Path) -> None:
    """Flush a written file to disk. It is opened for writing (nothing is written): Windows
    refuses to sync a handle opened read-only."""
    with open(path, "r+b") as file:
        os.fsync(file.fileno())


def write_variant(zoo_dir: Path, variant_id: str, fill) -> Path:
    """Write a variant folder atomically and add it to the zoo manifest.

    ``fill(folder)`` writes the variant's files into an empty temporary folder next to
    the final one. Only when it returns is the folder renamed into place, replacing the
    previous version; an exception or a killed process leaves the previous version as it was.

    Returns:
        The variant folder.

    Raises:
        DiskFullError: the disk filled up; the previous version (if any) is still in place.
        ArtifactError: what ``fill`` wrote is incomplete or fails its checksums.
    """
    zoo_dir.mkdir(parents=True, exist_ok=True)
    # Only this variant's leftovers: another trainer may be writing another variant right now.
    recover(zoo_dir, variant_id)
    final = zoo_dir / variant_id
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{variant_id}-", dir=zoo_dir))
        os.chmod(staging, 0o755)
        try:
            fill(staging)
            Artifact.read(staging).verify()
            _fsync_tree(staging)
            previous = zoo_dir / f".old-{variant_id}"
            if final.exists():
                os.rename(final, previous)
            os.rename(staging, final)
            _fsync_dir(zoo_dir)  # the rename itself survives a power cut
            shutil.rmtree(previous, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    except OSError as error:
        if error.errno not in _NO_SPACE:
            raise
        recover(zoo_dir, variant_id)  # puts back a previous version moved aside just before the failure
        kept = f"the previous {variant_id} is intact" if final.exists() else f"no {variant_id} was there before"
        raise DiskFullError(error.errno, f"no space left in {zoo_dir} while saving {variant_id}: nothing was "
                            f"replaced ({kept}); free some space and save again") from error
    try:
        add_to_manifest(zoo_dir, variant_id)
    except OSError as error:
        if error.errno not in _NO_SPACE:
            raise
        raise DiskFullError(error.errno, f"no space left in {zoo_dir} to update {MANIFEST_FILE}: {variant_id} was "
                            f"saved but is not listed yet; free some space and save again") from error
    return final


def recover(zoo_dir: Path, variant_id: str | None = None) -> None:
    """Undo what a killed ``write_variant`` left behind: restore a displaced previous
    version whose replacement never arrived, and remove stale temporary folders.

    With ``variant_id``, only that variant's leftovers are touched; without it, every
    variant's (call it only when no other process is writing into ``zoo_dir``).
    """
    for old in zoo_dir.glob(".old-*"):
        old_id = old.name.removeprefix(".old-")
        if variant_id is not None and old_id != variant_id:
            continue
        final = zoo_dir / old_id
        if final.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(old, final)
    for staging in zoo_dir.glob(".tmp-*"):
        # ".tmp-<variant id>-<mkdtemp suffix>"; the suffix never holds a "-".
        if variant_id is not None and staging.name.removeprefix(".tmp-").rpartition("-")[0] != variant_id:
            continue
        shutil.rmtree(staging, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    """Flush every file of ``folder`` to disk, then the folder itself where that is possible."""
    for path in folder.iterdir():
        fsync_file(path)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (names created or renamed in it) on systems that allow it.

    POSIX opens a directory read-only and syncs it; Windows cannot open a directory as a
    file at all, and its file system commits renames itself.
    """
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(zoo_dir: Path) -> list[str]:
    """The variant ids a zoo folder's manifest lists; an empty list if there is no manifest yet."""
    path = zoo_dir / MANIFEST_FILE
    if not path.exists():
        return []
    manifest = _read_json(path)
    variants = manifest.get("variants") if isinstance(manifest, dict) else None
    if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
        raise ArtifactError(f"{MANIFEST_FILE} has no list of variant ids under \"variants\"")
    for variant_id in variants:
        check_name(variant_id, f"{MANIFEST_FILE}: the variant id")
    return variants


def add_to_manifest(zoo_dir: Path, variant_id: str) -> None:
    """Add a variant to the manifest, in catalog order; safe when several trainers share a zoo."""
    from filelock import FileLock

    from .catalog import BY_ID

    order = list(BY_ID)
    # filelock (a huggingface_hub dependency) locks on Windows as on POSIX.
    with FileLock(zoo_dir / ".manifest.lock"):
        ids = set(read_manifest(zoo_dir)) | {variant_id}
        ids_sorted = sorted(ids, key=lambda i: (order.index(i) if i in order else len(order), i))
        write_json(zoo_dir / MANIFEST_FILE, {"format": FORMAT_VERSION, "variants": ids_sorted})
