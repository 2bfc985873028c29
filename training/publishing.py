"""What publishing to the Hugging Face Hub needs, for ``training.push`` (a zoo to a model repo)
and ``training.deploy`` (the app to a Space) alike: a zoo fit to publish, the token, and a
failed Hub call told in one line."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import get_token

from zoo import tokenizer_file
from zoo.artifact import MANIFEST_FILE, TOKENIZER_FILE, ArtifactError, read_manifest
from zoo.errors import ZooError, first_line
from zoo.probes import PROBES_FILE, read_probes, stale_reason
from zoo.store import Zoo, open_zoo

# Files the Hub creates in every repo; a push never deletes them.
HUB_OWN_FILES = frozenset({".gitattributes"})


class PushRefused(Exception):
    """A push that must not happen; the message says why in one line."""


def checked_zoo(zoo_dir: Path) -> Zoo:
    """Open a zoo folder that is fit to publish: a manifest listing variants, each complete,
    matching its own checksums and with the ``tokenizer.json`` of its vocabulary, and probe
    results (if any) computed from those very models.

    Raises:
        PushRefused: the folder is missing, has no manifest or no variants, or a variant is
            incomplete, fails its checksums or lacks its tokenizer file (or holds another one),
            or ``probes.json`` is unreadable or out of date.
    """
    try:
        zoo = open_zoo(zoo_dir)
    except ZooError as error:
        raise PushRefused(str(error)) from None
    if not (zoo.path / MANIFEST_FILE).is_file():
        raise PushRefused(f"{zoo.path} has no {MANIFEST_FILE}: not a zoo folder (train one with `python -m training.train`)")
    if not read_manifest(zoo.path):
        raise PushRefused(f"{zoo.path}/{MANIFEST_FILE} lists no variants: nothing to publish")
    for entry in zoo.entries():
        if entry.artifact is None:
            raise PushRefused(f"variant {entry.id} is incomplete: {entry.error}")
        try:
            entry.artifact.verify()
        except Exception as error:  # ArtifactError, or OSError for an unreadable file
            raise PushRefused(f"variant {entry.id} fails its own checksums: {error}") from None
        found = tokenizer_file.problem(entry.artifact.path / TOKENIZER_FILE, entry.artifact.vocabulary())
        if found:
            raise PushRefused(f"variant {entry.id}: {found[1]}: write it with "
                              f"`python -m training.refresh --zoo {zoo.path}`")
    try:
        probes = read_probes(zoo.path)
    except ArtifactError as error:
        raise PushRefused(f"{error}: compute it again with `python -m zoo probe --zoo {zoo.path} --write`") from None
    why = probes is not None and stale_reason(zoo, probes)
    if why:
        raise PushRefused(f"{PROBES_FILE} is out of date ({why}): run `python -m zoo probe --zoo {zoo.path} --write`")
    return zoo


def require_token() -> str:
    """The Hugging Face token (``HF_TOKEN`` or the ``hf auth login`` store); never printed.

    Raises:
        PushRefused: there is none.
    """
    token = get_token()
    if not token:
        raise PushRefused("no Hugging Face token: set HF_TOKEN or run `hf auth login` (a token with write access)")
    return token


def failure(doing: str, repo_id: str, error: Exception) -> str:
    """A failed Hub call in one line (its type and the first line of its message), for the CLI."""
    what = f"{error.__class__.__name__}: {first_line(error)}" if str(error).strip() else error.__class__.__name__
    return f"{doing} {repo_id} failed: {what}"
