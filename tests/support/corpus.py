"""The tiny made-up IMDB corpus the tests train on, and the repository's root."""

from __future__ import annotations

import io
import random
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
POSITIVE = "great wonderful loved brilliant superb moving delightful best enjoyed masterpiece".split()
NEGATIVE = "awful boring terrible worst waste dull poor hated mess disappointing".split()
FILLER = "the film movie plot actors story was and a it this with of scenes director".split()
TINY_VARIANTS = ("simplernn-1x32-len100", "simplernn-2x32-len100", "simplernn-1x32-len300-tuned")


def make_review(rng: random.Random, positive: bool) -> str:
    cue = POSITIVE if positive else NEGATIVE
    words = [rng.choice(cue if rng.random() < 0.3 else FILLER) for _ in range(rng.randint(8, 60))]
    return " ".join(words).capitalize() + ".<br /><br />" + rng.choice(cue).capitalize() + "!"


def write_corpus(path: Path, per_label: int = 60, seed: int = 0, *, test_per_label: int | None = None) -> Path:
    """Write an ``aclImdb_v1.tar.gz``-layout archive of made-up reviews, ``per_label`` of each label
    in each split (in the test split ``test_per_label``, when given); returns its path."""
    rng = random.Random(seed)
    counts = {"train": per_label, "test": per_label if test_per_label is None else test_per_label}
    with tarfile.open(path, "w:gz") as archive:
        for split in ("train", "test"):
            for label in ("pos", "neg"):
                for review_id in range(counts[split]):
                    rating = rng.randint(7, 10) if label == "pos" else rng.randint(1, 4)
                    data = make_review(rng, label == "pos").encode()
                    info = tarfile.TarInfo(f"aclImdb/{split}/{label}/{review_id}_{rating}.txt")
                    info.size = len(data)
                    archive.addfile(info, io.BytesIO(data))
    return path
