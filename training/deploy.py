"""Deploy the demo as a Hugging Face Docker Space, in one commit, through ``huggingface_hub``.

    python -m training.deploy --space OWNER/NAME --zoo hf://OWNER/simplernn-zoo@COMMIT --dry-run [--write-to DIR]
    python -m training.deploy --space OWNER/NAME --zoo hf://OWNER/simplernn-zoo@COMMIT [--private]

The Space's files are the image's files and nothing else, chosen by a rule rather than a list,
so that a module added to the app's packages is deployed with it:

    README.md             the Space's page for visitors, rendered from ``space_readme.md`` beside
                          this module (its front matter is the Space's configuration), not the
                          repository's README
    LICENSE, Dockerfile, requirements.txt, .streamlit/config.toml, streamlit_app.py
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
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from training.publishing import HUB_OWN_FILES, PushRefused, checked_zoo, failure, require_token
from zoo.artifact import MANIFEST_FILE, VARIANT_FILES, read_manifest
from zoo.hub import REPO_TYPE, HubSourceError, check_repo_id, parse_source
from zoo.report import results_table
from zoo.store import BUNDLED_ZOO, HUB_SCHEME, ZOO_SOURCE_ENV, Zoo, ZooError, open_zoo

ROOT = Path(__file__).resolve().parent.parent
SPACE_REPO_TYPE = "space"
SPACE_SDK = "docker"
#: The Space's README.md, for its visitors: a Jinja template (``huggingface_hub.SpaceCard``) whose
#: front matter is the Space's configuration, defined here only.
SPACE_README = Path(__file__).with_name("space_readme.md")
SPACE_CARD = "README.md"
#: Files at the root of the app that the image needs (the Space's README.md comes first).
APP_FILES = ("LICENSE", "Dockerfile", "requirements.txt", ".streamlit/config.toml", "streamlit_app.py")
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
    """What a deployment uploads and sets: files (path in the Space -> a file here, or the bytes
    of a file written for the Space) and variables."""

    files: dict[str, Path | bytes]
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


def space_readme(space_id: str, zoo_source: str, zoo: Zoo | None, code_url: str | None = None) -> str:
    """The Space's ``README.md``: ``SPACE_README`` rendered for ``space_id`` serving ``zoo_source``.

    Args:
        zoo: the zoo served, for the results table; None when it is not at hand (a dry run of a
            Hub zoo that is not in the local cache), and the page says the table comes with the deployment.
        code_url: the project's repository, linked when given.
    """
    from huggingface_hub import SpaceCard, SpaceCardData, constants

    if zoo_source.startswith(HUB_SCHEME):
        hub = parse_source(zoo_source)
        where = f"[{hub.repo_id}]({hub.url}/tree/{hub.revision}) on the Hub, at commit `{hub.revision[:12]}`"
    else:
        where = f"bundled with the app, in this Space's `{BUNDLED_SOURCE}/` folder"
    sizes = {artifact.metadata["data"]["test_reviews"] for artifact in zoo.artifacts()} if zoo is not None else set()
    table = results_table(zoo) if zoo is not None else (
        f"*(The table of {zoo_source} is written when deploying: a dry run downloads nothing, and this zoo "
        "is not in the local Hugging Face cache.)*\n")
    card = SpaceCard.from_template(
        SpaceCardData(), template_path=str(SPACE_README), zoo=where, space_url=f"{constants.ENDPOINT}/spaces/{space_id}",
        code_url=code_url, test_reviews=f"{sizes.pop():,}" if len(sizes) == 1 else "held-out", results_table=table,
    )
    return str(card).rstrip("\n") + "\n"  # Jinja drops the template's last newline


def cached_hub_zoo(zoo_source: str) -> Zoo | None:
    """The Hub zoo at a pinned commit from the local Hugging Face cache alone, without a request;
    None unless every variant it lists is there, complete."""
    from huggingface_hub import try_to_load_from_cache

    hub = parse_source(zoo_source)
    manifest = try_to_load_from_cache(hub.repo_id, MANIFEST_FILE, revision=hub.revision, repo_type=REPO_TYPE)
    if not isinstance(manifest, str):
        return None
    try:
        zoo = open_zoo(Path(manifest).parent)
    except ZooError:
        return None
    return zoo if all(entry.error is None for entry in zoo.entries()) else None


def app_files(root: Path) -> dict[str, Path]:
    """The app's files in the Space but its README (see the module docstring), in upload order."""
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
        PushRefused: the zoo is not fit to serve (see ``training.publishing.checked_zoo``).
    """
    checked_zoo(zoo_dir)
    prefix = zoo_dir.name
    top = sorted(p.name for p in zoo_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    files = {f"{prefix}/{MANIFEST_FILE}": zoo_dir / MANIFEST_FILE}
    files |= {f"{prefix}/{name}": zoo_dir / name for name in top}
    for variant_id in read_manifest(zoo_dir):
        files |= {f"{prefix}/{variant_id}/{name}": zoo_dir / variant_id / name for name in VARIANT_FILES}
    return files


def plan(zoo_source: str, space_id: str, hub_zoo: Zoo | None = None, root: Path | None = None,
         code_url: str | None = None) -> Plan:
    """The Space's files and variables for ``zoo_source`` (as ``check_zoo_source`` returns it),
    taken from the checkout at ``root`` (default: this one), with its README written for ``space_id``.

    Args:
        hub_zoo: the Hub zoo served, opened, for the README's results table (None: not at hand).
    """
    root = root or ROOT
    app = app_files(root)
    bundled = bundled_zoo_files(root / BUNDLED_SOURCE) if zoo_source == BUNDLED_SOURCE else {}
    served = open_zoo(root / BUNDLED_SOURCE) if bundled else hub_zoo
    readme = space_readme(space_id, zoo_source, served, code_url).encode("utf-8")
    return Plan({SPACE_CARD: readme, **app, **bundled}, {ZOO_SOURCE_ENV: zoo_source})


def write_files(files: dict[str, Path | bytes], folder: Path) -> None:
    """Write ``files`` (as ``Plan.files``) into ``folder``, a new or empty one, at their paths in the Space.

    Raises:
        DeployRefused: ``folder`` is a file, or a folder that holds anything.
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise DeployRefused(f"{folder} is not a new or empty folder: --write-to writes the Space's files into one")
    for name, source in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            target.write_bytes(source)
        else:
            shutil.copyfile(source, target)


def check_hub_zoo(zoo_source: str) -> Zoo:
    """Open the Hub zoo (downloading it into the local cache) and check every variant.

    Returns:
        The zoo, opened.

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
    return zoo


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
    parser.add_argument("--write-to", metavar="DIR", type=Path,
                        help="with --dry-run: also write the files it would upload (the Space's README among "
                        "them) into DIR, a new or empty folder, to read before publishing")
    parser.add_argument("--code-url", metavar="URL",
                        help="the project's source repository, linked from the Space's README")
    args = parser.parse_args(argv)
    if args.write_to and not args.dry_run:
        parser.error("--write-to goes with --dry-run")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        space_id = check_repo_id(args.space)
        zoo_source = check_zoo_source(args.zoo)
        token = None if args.dry_run else require_token()
        hub_zoo = None
        if zoo_source != BUNDLED_SOURCE:
            hub_zoo = cached_hub_zoo(zoo_source) if args.dry_run else check_hub_zoo(zoo_source)
        deployment = plan(zoo_source, space_id, hub_zoo, code_url=args.code_url)
        if args.dry_run:
            print("\n".join(deployment.files))
            print()
            print("\n".join(f"{key}={value}" for key, value in deployment.variables.items()))
            if args.write_to:
                write_files(deployment.files, args.write_to)
                print(f"wrote the {len(deployment.files)} files into {args.write_to}", file=sys.stderr)
            return 0
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
