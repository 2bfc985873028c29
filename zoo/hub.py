"""Zoos on the Hugging Face Hub: ``hf://OWNER/NAME[@REVISION]``, resolved into the standard cache.

A Hub zoo is one model repo holding a whole zoo folder (see ``training/push.py`` for why):
the manifest ``zoo.json``, a zoo card ``README.md``, and one folder per variant in the
artifact format of ``zoo.artifact``. Opening it:

1. fetches ``zoo.json`` with ``huggingface_hub.snapshot_download`` into the Hugging Face
   cache (``$HF_HUB_CACHE``, default ``~/.cache/huggingface/hub``), which also resolves the
   revision to a commit;
2. fetches, at that same commit, only the files of the variants asked for (``allow_patterns``);
3. checks every fetched variant against the sha256 sums in its ``metadata.json``, so a
   damaged or half-written file is reported as a broken variant and never loaded.

Caching is the library's own: files of a commit already in the cache are never downloaded
again. With a branch or tag, each start asks the Hub once which commit it points to (one
small request); with a commit hash, no request at all. When the Hub cannot be reached, or
``HF_HUB_OFFLINE=1``, the library answers from the cache (``refs/<revision>`` names the
commit last seen). Only when nothing usable is cached does this raise
``HubUnreachableError``, on which ``open_zoo_or_bundled`` falls back to the bundled zoo.

``zoo.store.open_zoo`` opens a ``Zoo`` on what ``fetch_hub_zoo`` fetched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .artifact import MANIFEST_FILE, PUBLISHED_FILES, Artifact, ArtifactError, read_manifest
from .probes import PROBES_FILE
from .errors import HubUnreachableError, ZooError, check_variants, first_line

HUB_SCHEME = "hf://"
DEFAULT_REVISION = "main"
REPO_TYPE = "model"
LIBRARY_NAME = "simplernn-zoo"
# OWNER/NAME as the Hub accepts them (the library's validate_repo_id also allows a bare NAME,
# which would resolve to nobody's repo here, so the owner is required).
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


class HubSourceError(ZooError):
    """An ``hf://`` source or a repo id is malformed."""


class HubRepoNotFoundError(ZooError):
    """The repo does not exist, or it is private and no token (or a token without access) was sent."""


class HubAccessError(ZooError):
    """The repo exists but the token does not open it (a gated repo, or a refused token)."""


class HubRevisionNotFoundError(ZooError):
    """The repo has no such branch, tag or commit."""


class NotAZooRepoError(ZooError):
    """The repo holds no zoo manifest."""


@dataclass(frozen=True)
class HubSource:
    """A parsed ``hf://OWNER/NAME[@REVISION]``."""

    repo_id: str
    revision: str = DEFAULT_REVISION

    def __str__(self) -> str:
        suffix = "" if self.revision == DEFAULT_REVISION else f"@{self.revision}"
        return f"{HUB_SCHEME}{self.repo_id}{suffix}"

    @property
    def url(self) -> str:
        from huggingface_hub import constants

        return f"{constants.ENDPOINT}/{self.repo_id}"


def check_repo_id(repo_id: str) -> str:
    """Return ``repo_id`` if it is a well-formed ``OWNER/NAME``.

    Raises:
        HubSourceError: it is not, with the rule it breaks.
    """
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if not _REPO_ID.fullmatch(repo_id or ""):
        raise HubSourceError(
            f"malformed repo id {repo_id!r}: expected OWNER/NAME, each of letters, digits, '-', '_' or '.'"
        )
    try:
        validate_repo_id(repo_id)
    except HFValidationError as error:
        raise HubSourceError(f"malformed repo id {repo_id!r}: {error}") from None
    return repo_id


def parse_source(source: str) -> HubSource:
    """Parse ``hf://OWNER/NAME[@REVISION]``; the revision is a branch, tag or commit hash (default ``main``).

    Raises:
        HubSourceError: the source is not of that form.
    """
    if not source.startswith(HUB_SCHEME):
        raise HubSourceError(f"{source!r} is not a Hub source: expected {HUB_SCHEME}OWNER/NAME[@REVISION]")
    repo_id, at, revision = source[len(HUB_SCHEME):].partition("@")
    if at and not revision.strip():
        raise HubSourceError(f"{source!r} has an empty revision after '@'")
    check_repo_id(repo_id)
    return HubSource(repo_id, revision.strip() or DEFAULT_REVISION)


@dataclass(frozen=True)
class FetchedZoo:
    """A Hub zoo in the Hugging Face cache: its snapshot folder, where it came from (repo,
    revision asked for, commit), why some variants cannot be used (``Zoo.problems``), and
    the variants whose files passed their checksums (``Zoo.verified``)."""

    path: Path
    origin: dict
    problems: dict[str, str]
    verified: frozenset[str]


def fetch_hub_zoo(source: str, *, variants: Sequence[str] | None = None) -> FetchedZoo:
    """Fetch the zoo at ``hf://OWNER/NAME[@REVISION]`` into the cache, downloading what it lacks.

    Args:
        source: ``hf://OWNER/NAME`` or ``hf://OWNER/NAME@REVISION``.
        variants: only these variants (only their files are fetched); None for all the
            manifest lists.

    Returns:
        The cached snapshot folder and its origin. A variant whose files fail their checksums
        has a problem (see ``Zoo.problems``), so it is never loaded.

    Raises:
        HubSourceError: malformed source.
        HubUnreachableError: the Hub cannot be reached (or ``HF_HUB_OFFLINE=1``) and the cache
            does not hold what was asked for.
        HubRepoNotFoundError, HubAccessError, HubRevisionNotFoundError: what the Hub answered.
        NotAZooRepoError: the repo has no ``zoo.json``.
        VariantNotFoundError: ``variants`` names one the manifest does not list.
    """
    hub = parse_source(source)
    # The zoo's probe results come with the manifest (a zoo without them simply has none).
    snapshot = Path(_snapshot(hub, hub.revision, [MANIFEST_FILE, PROBES_FILE]))
    commit = snapshot.name  # the library names snapshot folders by commit hash
    listed = _manifest(hub, snapshot)
    if variants:
        check_variants(str(hub), listed, variants)
    wanted = list(variants) if variants else listed
    if wanted:
        _fetch_variants(hub, commit, wanted)
    problems = _problems(hub, snapshot, wanted)
    return FetchedZoo(snapshot, {"kind": "hub", "repo": hub.repo_id, "revision": hub.revision, "commit": commit},
                      problems, frozenset(wanted) - set(problems))


def _manifest(hub: HubSource, snapshot: Path) -> list[str]:
    """The variant ids a fetched snapshot's manifest lists; ``NotAZooRepoError`` without one."""
    commit = snapshot.name
    if not (snapshot / MANIFEST_FILE).is_file():
        raise NotAZooRepoError(
            f"{hub} (commit {commit[:12]}) has no {MANIFEST_FILE}: it is not a SimpleRNN Zoo repo "
            "(publish one with `python -m training.push`)"
        )
    try:
        return read_manifest(snapshot)
    except ArtifactError as error:
        raise NotAZooRepoError(f"{hub} (commit {commit[:12]}): {error}") from error


def _fetch_variants(hub: HubSource, commit: str, wanted: list[str]) -> None:
    """Fetch the published files of ``wanted`` at ``commit``.

    Pinning this second request to the commit keeps manifest and variants consistent even if
    the branch moves in between, and skips a second revision lookup. The tokenizer file comes
    too (absent from zoos published before it existed), for ``verify``.
    """
    patterns = [f"{variant_id}/{name}" for variant_id in wanted for name in PUBLISHED_FILES]
    try:
        _snapshot(hub, commit, patterns)
    except HubUnreachableError as error:
        raise HubUnreachableError(
            f"{hub}: the Hub cannot be reached{_offline_hint()} and the cache holds commit {commit[:12]} "
            f"without all the files of {', '.join(wanted)}."
        ) from error


def _problems(hub: HubSource, snapshot: Path, wanted: list[str]) -> dict[str, str]:
    """Why each fetched variant that cannot be trusted cannot, and what to do about it."""
    commit = snapshot.name
    problems = {}
    for variant_id in wanted:
        why = _damage(snapshot, variant_id)
        if why and not (snapshot / variant_id).is_dir():
            problems[variant_id] = (
                f"{why}: {MANIFEST_FILE} lists it but {hub} has none of its files at commit {commit[:12]} "
                "(an incomplete upload: publish the zoo again with `python -m training.push`)"
            )
        elif why:
            problems[variant_id] = (
                f"{why}. The copy in the Hugging Face cache is incomplete or damaged: delete it with "
                f"`hf cache rm {commit}` and open {hub} again with the Hub reachable"
            )
    return problems


def _damage(snapshot: Path, variant_id: str) -> str | None:
    """Why a fetched variant folder cannot be trusted (missing file, failed checksum), or None."""
    try:
        Artifact.read(snapshot / variant_id).verify()
    except ArtifactError as error:
        return str(error)
    except OSError as error:  # a dangling cache symlink: the blob it points to is gone
        return f"{variant_id}: unreadable file in the cache: {error}"
    return None


def _snapshot(hub: HubSource, revision: str, patterns: list[str]) -> str:
    """``snapshot_download`` of ``patterns`` at ``revision``, with the library's failures as ``ZooError``s."""
    from huggingface_hub import constants, get_token, snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        IncompleteSnapshotError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )
    # The HTTP library huggingface_hub uses, under the name the library keeps for its users
    # across its own changes of HTTP library; it is not a dependency of ours.
    from huggingface_hub.utils import httpx

    try:
        return snapshot_download(
            hub.repo_id,
            repo_type=REPO_TYPE,
            revision=revision,
            allow_patterns=patterns,
            library_name=LIBRARY_NAME,
        )
    except GatedRepoError:
        raise HubAccessError(
            f"{hub} is gated: accept its access conditions at {hub.url} and use a token "
            "(HF_TOKEN or `hf auth login`) of the account that did"
        ) from None
    except RepositoryNotFoundError:
        if get_token():
            why = "does not exist, or your token (HF_TOKEN or `hf auth login`) has no access to it"
        else:
            why = "does not exist, or it is private and no token is set: set HF_TOKEN or run `hf auth login`"
        raise HubRepoNotFoundError(f"{hub}: the repo {hub.repo_id} {why}") from None
    except RevisionNotFoundError:
        raise HubRevisionNotFoundError(
            f"{hub}: the repo has no branch, tag or commit {revision!r} (see {hub.url}/tree/main)"
        ) from None
    except IncompleteSnapshotError as error:
        raise HubUnreachableError(
            f"{hub}: the Hub cannot be reached{_offline_hint()} and the cached copy lacks "
            f"files asked for ({first_line(error)})."
        ) from error
    except LocalEntryNotFoundError as error:
        raise HubUnreachableError(
            f"{hub}: the Hub cannot be reached{_offline_hint()} and nothing of it is in the "
            f"Hugging Face cache ({constants.HF_HUB_CACHE})."
        ) from error
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else None
        if status in (401, 403):
            raise HubAccessError(f"{hub}: the Hub refused access ({status}); check your token") from None
        raise ZooError(f"{hub}: the Hub answered {status}: {first_line(error)}") from error
    except (httpx.TransportError, ConnectionError) as error:
        raise HubUnreachableError(f"{hub}: the Hub cannot be reached ({error.__class__.__name__}: {error}).") from error


def _offline_hint() -> str:
    from huggingface_hub import constants

    return " (HF_HUB_OFFLINE is set)" if constants.is_offline_mode() else ""
