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
import secrets
import shutil
import stat
from pathlib import Path

TEMP_PREFIX = ".~roster-"


def write_atomic(path: Path, data: bytes, *, backup: Path | None = None) -> None:
    """Replace `path` with `data`; with `backup`, first keep a copy of the old file there.

    A symbolic link is followed: the file it points to is replaced (its temporary file
    sits beside it, so the rename stays on one volume) and the link stays a link. A new
    file gets the usual mode, 0666 less the umask; a replaced file keeps its mode and,
    where the process may set it, its owner and group.
    """
    target = _final_path(Path(path))
    directory = target.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"directory {directory} does not exist")
    fd, tmp = _create_temp(directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if target.exists():
                _copy_ownership(target, handle.fileno(), tmp)
            os.fsync(handle.fileno())
        if backup is not None and target.exists():
            _copy_durably(target, backup)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def _final_path(path: Path) -> Path:
    """The file a save must replace: `path` with every symbolic link on the way resolved.

    A dangling link resolves to where it points, so the save creates that file."""
    if not path.is_symlink() and not any(p.is_symlink() for p in path.parents):
        return path
    return Path(os.path.realpath(path))


def _create_temp(directory: Path) -> tuple[int, Path]:
    """A new, empty temporary file in `directory` created with mode 0666 (less the umask).

    `tempfile.mkstemp` would create it 0600, and a new roster would stay private."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        candidate = directory / f"{TEMP_PREFIX}{secrets.token_hex(6)}.tmp"
        try:
            return os.open(candidate, flags, 0o666), candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {directory}")


def _copy_ownership(source: Path, fd: int, tmp: Path) -> None:
    """Give the temporary file the mode, owner and group of the file it will replace."""
    info = source.stat()
    if hasattr(os, "fchown"):
        with contextlib.suppress(OSError):  # only root may give a file away
            os.fchown(fd, info.st_uid, info.st_gid)
        with contextlib.suppress(OSError):  # keep the group at least, if we are in it
            os.fchown(fd, -1, info.st_gid)
    try:
        os.chmod(fd if os.chmod in os.supports_fd else tmp, stat.S_IMODE(info.st_mode))
    except OSError:
        with contextlib.suppress(OSError):
            shutil.copymode(source, tmp)


def _copy_durably(source: Path, target: Path) -> None:
    data = source.read_bytes()
    fd, tmp = _create_temp(target.parent if str(target.parent) else Path("."))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            with contextlib.suppress(OSError):
                os.chmod(tmp, stat.S_IMODE(source.stat().st_mode))
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
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
