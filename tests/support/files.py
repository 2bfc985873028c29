"""Files and disks for the tests of atomic writes and full disks."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import pytest


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(zoo_dir: Path) -> list[str]:
    return sorted(p.name for p in zoo_dir.iterdir() if p.name.startswith((".tmp-", ".old-")))


def copy_files(source: Path):
    def fill(folder: Path) -> None:
        for path in source.iterdir():
            shutil.copy2(path, folder / path.name)
    return fill


@contextlib.contextmanager
def mounted_small_disk(mount_point: Path, size: str):
    """A real file system of ``size`` (tmpfs) at ``mount_point``, unmounted afterwards; the test is
    skipped where mounting is not allowed (it needs root)."""
    mount_point.mkdir(parents=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs here (needs root): {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def fill_up(disk: Path, leave: int) -> None:
    """Take all but ``leave`` bytes of the disk."""
    free = shutil.disk_usage(disk).free
    with open(disk / "filler", "wb") as file:
        file.write(b"\0" * max(0, free - leave))
