"""Windows and macOS: a Git checkout that converts line endings, no POSIX-only modules, and
file syncing that works where handles opened read-only cannot be synced."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys

import pytest

from tests.support.corpus import REPO, TINY_VARIANTS
from zoo.artifact import Artifact, read_manifest, write_variant
from zoo.store import BUNDLED_ZOO


def git(*args: str, cwd) -> str:
    result = subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
                            cwd=cwd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_checkout_with_windows_line_endings_keeps_every_zoo_checksum(tmp_path, tiny_zoo_path):
    """Git for Windows' default (core.autocrlf=true) must not rewrite checksummed files: a
    repository holding the bundled zoo and another zoo folder, with this repository's
    .gitattributes, is cloned that way and every variant still verifies."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(REPO / ".gitattributes", source / ".gitattributes")
    shutil.copytree(BUNDLED_ZOO, source / "bundled_zoo")
    shutil.copytree(tiny_zoo_path, source / "experiments" / "zoo")  # a zoo folder anywhere in the tree
    (source / "notes.txt").write_bytes(b"an ordinary\ntext file\n")
    git("init", "-q", cwd=source)
    git("-c", "core.autocrlf=false", "add", ".", cwd=source)
    git("commit", "-q", "-m", "zoo", cwd=source)

    clone = tmp_path / "clone"
    git("-c", "core.autocrlf=true", "clone", "-q", str(source), str(clone), cwd=tmp_path)

    assert (clone / "notes.txt").read_bytes() == b"an ordinary\r\ntext file\r\n", "other text files are converted"
    for zoo_dir in (clone / "bundled_zoo", clone / "experiments" / "zoo"):
        variants = read_manifest(zoo_dir)
        assert variants
        for variant_id in variants:
            Artifact.read(zoo_dir / variant_id).verify()
    # The bundled zoo is checked out exactly as committed, model cards included.
    assert b"\r\n" not in (clone / "bundled_zoo" / "simplernn-1x32-len100" / "README.md").read_bytes()


def test_saving_needs_no_posix_only_module(tiny_zoo_copy, monkeypatch):
    """Windows has no ``fcntl``; the manifest lock must work without it."""
    monkeypatch.setitem(sys.modules, "fcntl", None)  # import fcntl now raises ImportError, as on Windows
    source = tiny_zoo_copy / TINY_VARIANTS[0]

    def fill(folder):
        for path in source.iterdir():
            shutil.copy(path, folder / path.name)

    write_variant(tiny_zoo_copy, TINY_VARIANTS[0], fill)
    assert read_manifest(tiny_zoo_copy) == list(TINY_VARIANTS)
    Artifact.read(tiny_zoo_copy / TINY_VARIANTS[0]).verify()


def test_saving_syncs_only_handles_open_for_writing(tiny_zoo_copy, monkeypatch):
    """Windows' ``os.fsync`` refuses a file opened read-only (EBADF); Linux allows it, so this
    fsync checks what Windows checks. Directories are synced only where the system can open them."""
    real_fsync = os.fsync
    synced = []

    def windows_like_fsync(fd):
        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode) and _read_only(fd):
            raise OSError(errno.EBADF, "Bad file descriptor")
        synced.append("dir" if stat.S_ISDIR(mode) else "file")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", windows_like_fsync)
    source = tiny_zoo_copy / TINY_VARIANTS[1]

    def fill(folder):
        for path in source.iterdir():
            shutil.copy(path, folder / path.name)

    write_variant(tiny_zoo_copy, TINY_VARIANTS[1], fill)
    Artifact.read(tiny_zoo_copy / TINY_VARIANTS[1]).verify()
    assert synced.count("file") >= 5  # the variant's five files, then the manifest
    assert ("dir" in synced) == (os.name == "posix")


def _read_only(fd: int) -> bool:
    """Whether ``fd`` was opened for reading only (an empty write fails with EBADF then)."""
    try:
        os.write(fd, b"")
    except OSError as error:
        return error.errno == errno.EBADF
    return False
