"""Write again the files a zoo's variants derive from their recorded artifacts: each model card
(``README.md``) and each ``tokenizer.json``.

    python -m training.refresh --zoo bundled_zoo

Training writes both; run this after a change to the cards or to the text pipeline's tokenizer
file, or to give a zoo trained before ``tokenizer.json`` existed its tokenizer files. Nothing a
checksum covers is touched (``model.keras``, ``vocabulary.txt``, ``history.json``): a variant
that fails its checksums is reported and left as it is. Each file is replaced atomically.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zoo import tokenizer_file
from zoo.artifact import CARD_FILE, MANIFEST_FILE, TOKENIZER_FILE, Artifact, ArtifactError, write_atomically
from zoo.card import render_card
from zoo.store import BUNDLED_ZOO, ZooError, open_zoo


def derived_files(artifact: Artifact) -> dict[str, str]:
    """What a variant's card and tokenizer file should hold, by file name."""
    return {CARD_FILE: render_card(artifact.metadata, artifact.history),
            TOKENIZER_FILE: tokenizer_file.dumps(artifact.vocabulary())}


def replace_text(path: Path, text: str) -> bool:
    """Make ``path`` hold ``text`` (UTF-8, ``\\n`` line ends), atomically; False when it already did."""
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return False
    write_atomically(path, data)
    return True


def refresh(zoo_dir: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Write the derived files of every variant of the zoo at ``zoo_dir``.

    Returns:
        The files written (changed) for each sound variant, and why each other variant was left alone.

    Raises:
        ZooError: ``zoo_dir`` is not a zoo folder.
    """
    zoo = open_zoo(zoo_dir)
    if not (zoo.path / MANIFEST_FILE).is_file():
        raise ZooError(f"{zoo.path} has no {MANIFEST_FILE}: not a zoo folder")
    written, skipped = {}, {}
    for entry in zoo.entries():
        try:
            if entry.artifact is None:
                raise ArtifactError(entry.error)
            entry.artifact.verify()
        except ArtifactError as error:
            skipped[entry.id] = str(error)
            continue
        files = derived_files(entry.artifact)
        written[entry.id] = [name for name, text in files.items() if replace_text(entry.artifact.path / name, text)]
    return written, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.refresh",
        description="Write each variant's model card (README.md) and tokenizer.json again from its recorded "
        "metadata, history and vocabulary.",
        epilog="Exit status: 0 every variant done, 1 some variant was broken and left alone, 2 no zoo folder.",
    )
    parser.add_argument("--zoo", type=Path, default=BUNDLED_ZOO, help="zoo folder (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        written, skipped = refresh(args.zoo)
    except ZooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for variant_id, names in written.items():
        print(f"{variant_id}: {', '.join(names) + ' written' if names else 'up to date'}")
    for variant_id, why in skipped.items():
        print(f"warning: {variant_id} left alone: {why}", file=sys.stderr)
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
