"""The Large Movie Review Dataset (Maas et al., 2011), read from its official layout.

``load_imdb`` accepts the ``aclImdb_v1.tar.gz`` archive or its extracted ``aclImdb/``
folder. Without a path it uses ``$IMDB_DATA``, and without that it downloads the official
archive with ``keras.utils.get_file``, as the Keras tutorials do.

Splits: ``train`` is the 25,000 ``train/`` reviews, of which ``split_validation`` holds out
a seeded fraction (the recipe's ``validation_split``, the seed's 0.2); ``test`` is the 25,000 ``test/``
reviews, for the final evaluation only.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_ENV = "IMDB_DATA"
#: The shuffling seed ``keras.datasets.imdb`` uses; fixed so that every variant shares one
#: validation set and one vocabulary.
SPLIT_SEED = 113

_MEMBER = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")


class DataError(Exception):
    """The dataset could not be found or is not in the official layout."""


@dataclass(frozen=True)
class Reviews:
    """Review texts with their labels (1 = positive, 0 = negative)."""

    texts: list[str]
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: np.ndarray) -> Reviews:
        return Reviews([self.texts[i] for i in indices], self.labels[indices])


@dataclass(frozen=True)
class Imdb:
    """The labelled part of the dataset and a fingerprint of its contents."""

    train: Reviews
    test: Reviews
    fingerprint: str
    source: str


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """The dataset location: ``path``, else ``$IMDB_DATA``, else the official archive, downloaded.

    Raises:
        DataError: the given path does not exist, or the download failed.
    """
    path = path or os.environ.get(IMDB_ENV)
    if not path:
        import keras

        try:
            return Path(keras.utils.get_file("aclImdb_v1.tar.gz", IMDB_URL))
        except Exception as error:  # get_file raises a bare Exception for network errors
            reason = str(error).split(" -- ")[-1] or type(error).__name__
            raise DataError(f"could not download the IMDB archive from {IMDB_URL} ({reason}); "
                            f"pass --data PATH (the aclImdb_v1.tar.gz archive or its aclImdb/ folder) "
                            f"or set {IMDB_ENV}") from error
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"no IMDB data at {path}: pass the aclImdb_v1.tar.gz archive or its aclImdb/ folder")
    return path


def load_imdb(path: str | os.PathLike | None = None) -> Imdb:
    """Read every labelled review, in a fixed order (split, label, file name).

    Raises:
        DataError: the archive or folder is unreadable or does not hold 25,000 + 25,000 reviews.
    """
    return _load(resolve_path(path).resolve())


@functools.lru_cache(maxsize=2)
def _load(path: Path) -> Imdb:
    files = _read_directory(path) if path.is_dir() else _read_archive(path)
    digest = hashlib.sha256()
    splits: dict[str, tuple[list[str], list[int]]] = {"train": ([], []), "test": ([], [])}
    for key in sorted(files):
        split, label, _ = key
        raw = files[key]
        digest.update(f"{split}/{label}/{len(raw)}\n".encode())
        digest.update(raw)
        texts, labels = splits[split]
        texts.append(raw.decode("utf-8", errors="replace"))
        labels.append(1 if label == "pos" else 0)
    for split, (texts, _) in splits.items():
        if not texts:
            raise DataError(f"{path} holds no {split}/pos or {split}/neg reviews: is it aclImdb_v1.tar.gz?")
    train, test = (Reviews(t, np.array(l, dtype=np.int32)) for t, l in splits.values())
    return Imdb(train=train, test=test, fingerprint=digest.hexdigest()[:16], source=str(path))


def _read_archive(path: Path) -> dict[tuple[str, str, int], bytes]:
    files = {}
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                match = _MEMBER.search(member.name)
                if match and member.isfile():
                    split, label, review_id, _ = match.groups()
                    files[split, label, int(review_id)] = archive.extractfile(member).read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataError(f"cannot read the archive {path}: {error}") from error
    return files


def _read_directory(path: Path) -> dict[tuple[str, str, int], bytes]:
    root = path / "aclImdb" if (path / "aclImdb").is_dir() else path
    files = {}
    for file in root.glob("*/*/*.txt"):
        match = _MEMBER.search("aclImdb/" + file.relative_to(root).as_posix())
        if match:
            split, label, review_id, _ = match.groups()
            files[split, label, int(review_id)] = file.read_bytes()
    return files


def split_validation(train: Reviews, fraction: float, seed: int = SPLIT_SEED) -> tuple[Reviews, Reviews]:
    """Shuffle ``train`` with ``seed`` and hold out the last ``fraction`` as the validation set."""
    order = np.random.default_rng(seed).permutation(len(train))
    cut = len(train) - int(round(len(train) * fraction))
    return train.subset(order[:cut]), train.subset(order[cut:])
