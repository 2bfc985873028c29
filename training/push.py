"""Publish a trained zoo to the Hugging Face Hub, in one commit.

    python -m training.push --repo OWNER/simplernn-zoo --dry-run
    python -m training.push --zoo bundled_zoo --repo OWNER/simplernn-zoo [--revision BRANCH] [--private]

Then anyone opens it with ``python -m zoo list --zoo hf://OWNER/simplernn-zoo``.

Layout: one model repo holds the whole zoo, exactly as the zoo folder is on disk::

    README.md        zoo card: Hub metadata and the comparison table (zoo.report)
    zoo.json         the manifest
    probes.json      what the variants can do (``python -m zoo probe --write``), when the zoo has it
    <variant>/       model.keras, vocabulary.txt, history.json, metadata.json, README.md, tokenizer.json

The cards (the zoo's and each variant's) are rendered at push time from the recorded
metadata, with the repo id in their Keras-only recipe; every other file is uploaded as it is.

Why one repo rather than one repo per variant tied by a collection: the zoo is compared
as a whole, and one commit then pins every variant at once (``hf://OWNER/NAME@COMMIT`` is
one reproducible zoo, not a dozen revisions to keep in step); a push is one atomic commit
and the manifest can never name a variant another repo lacks; the downloader still fetches
only the variants asked for (``allow_patterns``). What it costs: the Hub's model page and
widgets see one repo, so each variant's own card lives in its folder rather than on a page
of its own, and Keras loads a variant from its downloaded ``model.keras`` rather than from
``hf://`` directly.

The token comes from ``HF_TOKEN`` or the ``hf auth login`` store and is never printed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, get_token

from zoo import tokenizer_file
from zoo.artifact import CARD_FILE, MANIFEST_FILE, PUBLISHED_FILES, TOKENIZER_FILE, ArtifactError, read_manifest
from zoo.card import render_card
from zoo.probes import PROBES_FILE, read_probes, stale_reason
from zoo.hub import DEFAULT_REVISION, REPO_TYPE, HubSourceError, check_repo_id
from zoo.report import render_zoo_card
from zoo.store import BUNDLED_ZOO, Zoo, ZooError, open_zoo

ZOO_CARD = "README.md"
# Files the Hub creates in every repo; a push never deletes them.
HUB_OWN_FILES = frozenset({".gitattributes"})


class PushRefused(Exception):
    """A push that must not happen; the message says why in one line."""


@dataclass(frozen=True)
class Upload:
    """One file of the commit: where it goes in the repo, and its content (a path or bytes)."""

    path_in_repo: str
    content: Path | bytes


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


def plan_upload(zoo: Zoo, repo_id: str) -> list[Upload]:
    """Every file of the commit, in the order of the repo: zoo card, manifest, then each variant
    (its card rendered for ``repo_id``)."""
    uploads = [
        Upload(ZOO_CARD, render_zoo_card(zoo, repo_id).encode("utf-8")),
        Upload(MANIFEST_FILE, zoo.path / MANIFEST_FILE),
    ]
    if (zoo.path / PROBES_FILE).is_file():
        uploads.append(Upload(PROBES_FILE, zoo.path / PROBES_FILE))
    for artifact in zoo.artifacts():
        card = render_card(artifact.metadata, artifact.history, repo_id).encode("utf-8")
        uploads += [Upload(f"{artifact.id}/{name}", card if name == CARD_FILE else artifact.path / name)
                    for name in PUBLISHED_FILES]
    return uploads


def push(
    api: HfApi,
    repo_id: str,
    uploads: list[Upload],
    *,
    revision: str = DEFAULT_REVISION,
    private: bool = False,
    commit_message: str,
):
    """Create the repo (and branch) if needed and commit ``uploads`` in one commit.

    Files already in the repo that the zoo no longer has (a variant dropped since the last
    push) are deleted in the same commit, so the repo mirrors the zoo folder.

    Returns:
        The library's ``CommitInfo`` (``oid`` is the new commit, ``commit_url`` its page).
    """
    api.create_repo(repo_id, repo_type=REPO_TYPE, private=private, exist_ok=True)
    if revision != DEFAULT_REVISION:
        api.create_branch(repo_id, branch=revision, repo_type=REPO_TYPE, exist_ok=True)
    keep = {upload.path_in_repo for upload in uploads} | HUB_OWN_FILES
    stale = [path for path in api.list_repo_files(repo_id, repo_type=REPO_TYPE, revision=revision) if path not in keep]
    operations = [CommitOperationAdd(path_in_repo=u.path_in_repo, path_or_fileobj=u.content) for u in uploads]
    operations += [CommitOperationDelete(path_in_repo=path) for path in stale]
    return api.create_commit(
        repo_id, operations, commit_message=commit_message, repo_type=REPO_TYPE, revision=revision
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training.push",
        description="Publish a zoo folder to one Hugging Face Hub model repo, in one commit.",
        epilog="The token comes from HF_TOKEN or `hf auth login`. Exit status: 0 pushed (or dry run), "
        "1 refused or the Hub failed.",
    )
    parser.add_argument("--zoo", type=Path, default=BUNDLED_ZOO, help="zoo folder to publish (default: %(default)s)")
    parser.add_argument("--repo", required=True, metavar="OWNER/NAME", help="Hub model repo, created if needed")
    parser.add_argument("--revision", default=DEFAULT_REVISION, metavar="BRANCH",
                        help="branch to commit to, created from main if needed (default: %(default)s)")
    parser.add_argument("--private", action="store_true", help="create the repo private (an existing repo keeps its visibility)")
    parser.add_argument("--commit-message", metavar="MSG", help="default: names the variants pushed")
    parser.add_argument("--dry-run", action="store_true",
                        help="no network: check the zoo and print each path that would be uploaded")
    return parser.parse_args(argv)


def failure(doing: str, repo_id: str, error: Exception) -> str:
    """A failed Hub call in one line (its type and the first line of its message), for the CLI."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{doing} {repo_id} failed: {error.__class__.__name__}: {first}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        repo_id = check_repo_id(args.repo)
        zoo = checked_zoo(args.zoo)
        uploads = plan_upload(zoo, repo_id)
        if args.dry_run:
            for upload in uploads:
                print(upload.path_in_repo)
            return 0
        token = require_token()
    except (PushRefused, HubSourceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    message = args.commit_message or f"Publish SimpleRNN Zoo: {len(zoo.ids)} variants ({', '.join(zoo.ids)})"
    try:
        commit = push(HfApi(token=token), repo_id, uploads, revision=args.revision, private=args.private,
                      commit_message=message)
    except Exception as error:  # HfHubHTTPError, connection errors...: one line, no traceback
        print(f"error: {failure('pushing to', repo_id, error)}", file=sys.stderr)
        return 1
    print(f"pushed {len(uploads)} files ({len(zoo.ids)} variants) to {repo_id}@{args.revision}: {commit.commit_url}")
    print(f"open exactly this zoo with: python -m zoo list --zoo hf://{repo_id}@{commit.oid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
