"""Atomic file replacement: the old file or the new one, never a torn mix.

The bytes go to a temporary file in the same directory, are flushed and
fsync'ed, then renamed over the target (atomic on POSIX and on Windows for
same-volume renames), and the directory is fsync'ed so the rename survives a
power cut. Any failure (a full disk, a read-only directory, a file size
limit) removes the temporary file and leaves the original untouched.
Temporary files left by a process killed mid-write are recognisable by their
prefix and removed by `clean_stale_temps`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

TEMP_PREFIX = ".~roster-"


def write_atomic(path: Path, data: bytes, *, backup: Path | None = None) -> None:
    """Replace `path` with `data`; with `backup`, first keep a copy of the old file there."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"directory {directory} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                shutil.copymode(path, tmp)
            if backup is not None:
                _copy_durably(path, backup)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def _copy_durably(source: Path, target: Path) -> None:
    data = source.read_bytes()
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_stale_temps(directory: Path) -> list[Path]:
    """Remove temporary files an interrupted save left behind; returns what was removed."""
    removed = []
    for candidate in directory.glob(f"{TEMP_PREFIX}*.tmp"):
        with contextlib.suppress(OSError):
            candidate.unlink()
            removed.append(candidate)
    return removed
