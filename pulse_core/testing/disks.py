"""A filesystem of its own that a test can fill up: a store on it fails to write the way it
does on a full disk, while everything else on the machine keeps its space."""

from __future__ import annotations

import contextlib
import errno
import subprocess
from pathlib import Path
from typing import Iterator


class CannotMount(Exception):
    """The tmpfs could not be mounted (mounting needs root)."""


@contextlib.contextmanager
def small_disk(where: Path, size: str = "4m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``where`` (created), unmounted afterwards."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True, text=True,
    )
    if mounted.returncode != 0:
        raise CannotMount(f"cannot mount a tmpfs at {where}: {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "--lazy", str(where)], check=True)


def fill(disk: Path) -> Path:
    """Write a file until ``disk`` is full; removing the file frees the space again."""
    filler = disk / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
    return filler
