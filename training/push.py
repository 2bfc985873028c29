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

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from training.publishing import HUB_OWN_FILES, PushRefused, checked_zoo, failure, require_token
from zoo.artifact import CARD_FILE, MANIFEST_FILE, PUBLISHED_FILES
from zoo.card import render_card
from zoo.hub import DEFAULT_REVISION, REPO_TYPE, HubSourceError, check_repo_id
from zoo.probes import PROBES_FILE
from zoo.report import render_zoo_card
from zoo.store import BUNDLED_ZOO, Zoo

ZOO_CARD = "README.md"


@dataclass(frozen=True)
class Upload:
    """One file of the commit: where it goes in the repo, and its content (a path or bytes)."""

    path_in_repo: str
    content: Path | bytes


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
