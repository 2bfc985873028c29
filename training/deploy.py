"""Deploy the demo as a Hugging Face Docker Space, in one commit, through ``huggingface_hub``.

    python -m training.deploy --space OWNER/NAME --zoo hf://OWNER/simplernn-zoo@COMMIT --dry-run
    python -m training.deploy --space OWNER/NAME --zoo hf://OWNER/simplernn-zoo@COMMIT [--private]

The Space's files are the image's files and nothing else, chosen by a rule rather than a list,
so that a module added to the app's packages is deployed with it:

    README.md, LICENSE, Dockerfile, requirements.txt, .streamlit/config.toml, streamlit_app.py
    zoo/**, views/**      the packages the app imports, whole (without bytecode caches)
    bundled_zoo/...       only when the Space serves the bundled zoo: its manifest, zoo-level
                          files and the files of each variant the manifest lists

The zoo is the Space variable ``ZOO_SOURCE``. Docker Spaces pass variables to the build as
build arguments, and the Dockerfile fetches that zoo into the image's Hugging Face cache
with ``python -m zoo verify``; at run time the app reads it from there, offline. A zoo on the
Hub must be pinned to a commit (``training.push`` prints the exact ``hf://OWNER/NAME@COMMIT``),
so that every rebuild serves the same zoo; its ``.keras`` files are then never uploaded to
the Space. Without ``--zoo`` the Space serves the bundled zoo, uploaded with the app.

The token comes from ``HF_TOKEN`` or the ``hf auth login`` store and is never printed.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from training.push import HUB_OWN_FILES, PushRefused, checked_zoo, failure, require_token
from zoo.artifact import MANIFEST_FILE, VARIANT_FILES, read_manifest
from zoo.hub import HubSourceError, check_repo_id, parse_source
from zoo.store import BUNDLED_ZOO, HUB_SCHEME, ZOO_SOURCE_ENV, ZooError, open_zoo

ROOT = Path(__file__).resolve().parent.parent
SPACE_REPO_TYPE = "space"
SPACE_SDK = "docker"
#: Files at the root of the app that the image needs.
APP_FILES = ("README.md", "LICENSE", "Dockerfile", "requirements.txt", ".streamlit/config.toml", "streamlit_app.py")
#: Packages the app imports; each is deployed whole (a package that does not exist is skipped).
APP_PACKAGES = ("zoo", "views")
#: Never deployed from inside a package.
_SKIPPED = re.compile(r"(^|/)(__pycache__|\.[^/]*)(/|$)|\.py[co]$")
#: What the Dockerfile fetches when ``ZOO_SOURCE`` names the bundled zoo: its folder, relative to the app.
BUNDLED_SOURCE = BUNDLED_ZOO.name
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


class DeployRefused(PushRefused):
    """A deployment that must not happen; the message says why in one line."""


@dataclass(frozen=True)
class Plan:
    """What a deployment uploads and sets: files (path in the Space -> file here) and variables."""

    files: dict[str, Path]
    variables: dict[str, str]


def check_zoo_source(source: str | None) -> str:
    """The ``ZOO_SOURCE`` a Space serves: ``hf://OWNER/NAME@COMMIT`` checked for form only (no
    network), or ``bundled_zoo`` for the bundled zoo (None, or its folder).

    Raises:
        DeployRefused: a Hub source not pinned to a commit, or a local folder other than the bundled zoo.
        HubSourceError: a malformed ``hf://`` source.
    """
    if not source:
        return BUNDLED_SOURCE
    if source.startswith(HUB_SCHEME):
        hub = parse_source(source)
        if not _COMMIT.fullmatch(hub.revision):
            raise DeployRefused(
                f"{source!r} is not pinned to a commit: use hf://{hub.repo_id}@<40-hex commit>, as "
                "`python -m training.push` prints it, so that every build of the Space serves the same zoo"
            )
        return f"{HUB_SCHEME}{hub.repo_id}@{hub.revision}"
    if Path(source).expanduser().resolve() == BUNDLED_ZOO:
        return BUNDLED_SOURCE
    raise DeployRefused(
        f"{source}: a Space serves the bundled zoo or a zoo on the Hub; publish this one with "
        "`python -m training.push --zoo ...` and deploy the hf://OWNER/NAME@COMMIT it prints"
    )


def app_files(root: Path) -> dict[str, Path]:
    """The app's files in the Space (see the module docstring), in upload order."""
    files = {}
    for name in APP_FILES:
        path = root / name
        if not path.is_file():
            raise DeployRefused(f"{path} is missing: the Space's image needs it")
        files[name] = path
    for package in APP_PACKAGES:
        folder = root / package
        found = sorted(p.relative_to(root).as_posix() for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        files |= {name: root / name for name in found if not _SKIPPED.search(name)}
    return files


def bundled_zoo_files(zoo_dir: Path = BUNDLED_ZOO) -> dict[str, Path]:
    """The bundled zoo's files in the Space: the zoo-level files beside the manifest (the
    manifest itself, and e.g. ``probes.json``), then each listed variant's files. Checked first.

    Raises:
        PushRefused: the zoo is not fit to serve (see ``training.push.checked_zoo``).
    """
    checked_zoo(zoo_dir)
    prefix = zoo_dir.name
    top = sorted(p.name for p in zoo_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    files = {f"{prefix}/{MANIFEST_FILE}": zoo_dir / MANIFEST_FILE}
    files |= {f"{prefix}/{name}": zoo_dir / name for name in top}
    for variant_id in read_manifest(zoo_dir):
        files |= {f"{prefix}/{variant_id}/{name}": zoo_dir / variant_id / name for name in VARIANT_FILES}
    return files


def plan(zoo_source: str, root: Path | None = None) -> Plan:
    """The Space's files and variables for ``zoo_source`` (as ``check_zoo_source`` returns it),
    taken from the checkout at ``root`` (default: this one)."""
    root = root or ROOT
    files = app_files(root)
    if zoo_source == BUNDLED_SOURCE:
        files |= bundled_zoo_files(root / BUNDLED_SOURCE)
    return Plan(files, {ZOO_SOURCE_ENV: zoo_source})


def check_hub_zoo(zoo_source: str) -> None:
    """Open the Hub zoo (downloading it into the local cache) and check every variant.

    Raises:
        DeployRefused: it does not open, or a variant is incomplete or fails its checksums.
    """
    try:
        zoo = open_zoo(zoo_source)
    except ZooError as error:
        raise DeployRefused(f"the zoo {zoo_source} does not open: {error}") from None
    for entry in zoo.entries():
        if entry.error is not None:
            raise DeployRefused(f"the zoo {zoo_source} has a broken variant, {entry.id}: {entry.error}")
    if not zoo.ids:
        raise DeployRefused(f"the zoo {zoo_source} lists no variants: nothing to serve")


def deploy(api: HfApi, space_id: str, deployment: Plan, *, private: bool = False, commit_message: str):
    """Create the Space if needed, set its variables, then commit exactly ``deployment.files``.

    The variables come first: the commit starts the build, and the build reads them. Files
    the Space has that the image no longer needs (say, the bundled zoo of an earlier
    deployment) are deleted in the same commit.

    Returns:
        The library's ``CommitInfo``.
    """
    api.create_repo(space_id, repo_type=SPACE_REPO_TYPE, space_sdk=SPACE_SDK, private=private, exist_ok=True)
    for key, value in deployment.variables.items():
        api.add_space_variable(space_id, key, value)
    keep = set(deployment.files) | HUB_OWN_FILES
    stale = [path for path in api.list_repo_files(space_id, repo_type=SPACE_REPO_TYPE) if path not in keep]
    operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=path) for name, path in deployment.files.items()]
    operations += [CommitOperationDelete(path_in_repo=path) for path in stale]
    return api.create_commit(space_id, operations, commit_message=commit_message, repo_type=SPACE_REPO_TYPE)


def space_url(space_id: str) -> str:
    from huggingface_hub import constants

    return f"{constants.ENDPOINT}/spaces/{space_id}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m training.deploy",
        description="Deploy the demo as a Hugging Face Docker Space: create it, set its ZOO_SOURCE variable, "
        "and upload exactly the files its image needs in one commit.",
        epilog="The token comes from HF_TOKEN or `hf auth login`. Exit status: 0 deployed (or dry run), "
        "1 refused or the Hub failed.",
    )
    parser.add_argument("--space", required=True, metavar="OWNER/NAME", help="the Space, created if needed")
    parser.add_argument("--zoo", metavar="SOURCE",
                        help="hf://OWNER/NAME@COMMIT (fetched when the image is built), or the bundled zoo "
                        "(the default; uploaded with the app)")
    parser.add_argument("--private", action="store_true",
                        help="create the Space private (an existing Space keeps its visibility)")
    parser.add_argument("--dry-run", action="store_true",
                        help="no network: print each file's path in the Space, a blank line, then each "
                        "variable as NAME=value")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        space_id = check_repo_id(args.space)
        zoo_source = check_zoo_source(args.zoo)
        deployment = plan(zoo_source)
        if args.dry_run:
            print("\n".join(deployment.files))
            print()
            print("\n".join(f"{key}={value}" for key, value in deployment.variables.items()))
            return 0
        token = require_token()
        if zoo_source != BUNDLED_SOURCE:
            check_hub_zoo(zoo_source)
    except (PushRefused, HubSourceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    message = f"Deploy the SimpleRNN Zoo demo, serving {zoo_source}"
    try:
        commit = deploy(HfApi(token=token), space_id, deployment, private=args.private, commit_message=message)
    except Exception as error:  # HfHubHTTPError, connection errors...: one line, no traceback
        print(f"error: {failure('deploying to', space_id, error)}", file=sys.stderr)
        return 1
    print(f"uploaded {len(deployment.files)} files to the Space {space_id}: {commit.commit_url}")
    print(f"it builds now and serves {zoo_source}: {space_url(space_id)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
