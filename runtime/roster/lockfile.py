"""A document lock next to an open roster, so a second instance knows the file is in use.

Opening `team.roster.yaml` creates `.~lock.team.roster.yaml#` in the same folder (the
LibreOffice convention) holding JSON `{pid, host, user, since}` plus a random `token`
that names this one lock, and the process start time where the OS tells it (so a
recycled pid does not keep a dead lock alive). The file appears atomically: it is
written to a temporary name and hard-linked into place, which fails if a lock already
exists. `acquire` raises `LockedByOther` when a live process on this host holds the
lock, or any process on another host (its liveness cannot be checked from here); a
lock whose process is dead (left by a crash) is taken over silently, and `force=True`
takes over any lock after the user has confirmed. `Lock.release` removes the file only
while it still carries this lock's token, so a forced takeover is never undone by the
instance that lost the lock. `process_alive` is shared with the autosave store.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import secrets
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Final

from runtime.roster.atomic import TEMP_PREFIX

LOCK_PREFIX: Final = ".~lock."
LOCK_SUFFIX: Final = "#"
_ATTEMPTS: Final = 5


@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock: process id, host, user, when (ISO 8601, UTC) and a lock token."""

    pid: int
    host: str
    user: str
    since: str
    token: str = ""
    started: int | None = None  # process start time in clock ticks since boot (Linux)

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LockInfo | None:
        """The info in a lock file's text, or None if it is not a lock we can read."""
        try:
            raw = json.loads(text)
        except ValueError:
            return None
        if not isinstance(raw, dict):
            return None
        pid, started = raw.get("pid"), raw.get("started")
        if isinstance(pid, bool) or not isinstance(pid, int):
            return None
        return cls(
            pid=pid,
            host=str(raw.get("host", "")),
            user=str(raw.get("user", "")),
            since=str(raw.get("since", "")),
            token=str(raw.get("token", "")),
            started=started if isinstance(started, int) and not isinstance(started, bool)
            else None,
        )


class LockedByOther(Exception):
    """Another live instance (or another host) holds the lock; `info` says who."""

    def __init__(self, path: Path, info: LockInfo) -> None:
        self.path = path
        self.info = info
        super().__init__(f"{path.name} is open in another Agent Roster ({info.describe()})")


def lock_path_for(path: Path) -> Path:
    return path.parent / f"{LOCK_PREFIX}{path.name}{LOCK_SUFFIX}"


def read_lock(path: Path) -> LockInfo | None:
    """The info of the lock on roster `path`, or None if there is none (or it is unreadable)."""
    try:
        text = lock_path_for(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return LockInfo.from_json(text)


# ---------------------------------------------------------------- processes


def host_name() -> str:
    import socket  # only when a lock is written or read: off the designer's start path

    return socket.gethostname()


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no USER variable
        return "?"


def process_start_time(pid: int) -> int | None:
    """The start time of `pid` in clock ticks since boot, where /proc tells it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[1].split()
    return bool(fields) and fields[0] in {"Z", "X"}


def _pid_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would send CTRL_C_EVENT on Windows
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return not _is_zombie(pid)


def process_alive(pid: int, host: str, started: int | None = None) -> bool:
    """Whether the process that wrote a lock or an autosave may still be running.

    A process on another host is assumed alive: nothing here can check it.
    """
    if host != host_name():
        return True
    if not _pid_exists(pid):
        return False
    if started is not None:
        now = process_start_time(pid)
        if now is not None and now != started:
            return False  # the pid was recycled by a newer process
    return True


def current_owner() -> tuple[int, str, int | None]:
    """(pid, host, start time) of this process, as locks and autosaves record them."""
    pid = os.getpid()
    return pid, host_name(), process_start_time(pid)


# ---------------------------------------------------------------- locks


class Lock:
    """A held lock on one roster file; `release()` (or leaving a `with`) gives it up."""

    def __init__(self, path: Path, info: LockInfo) -> None:
        self.path = path
        self.lock_path = lock_path_for(path)
        self.info = info
        self._released = False

    @property
    def held(self) -> bool:
        """True until released, and while the lock file on disk is still this lock's."""
        return not self._released and self._ours_on_disk()

    def _ours_on_disk(self) -> bool:
        on_disk = read_lock(self.path)
        return on_disk is not None and on_disk.token == self.info.token

    def release(self) -> None:
        """Remove the lock file if it is still ours; safe to call more than once."""
        if self._released:
            return
        self._released = True
        if self._ours_on_disk():
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()

    def __enter__(self) -> Lock:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Lock({str(self.path)!r}, {self.info.describe()})"


def _new_info() -> LockInfo:
    pid, host, started = current_owner()
    since = datetime.now(UTC).replace(microsecond=0).isoformat()
    return LockInfo(pid, host, _user_name(), since, secrets.token_hex(8), started)


def _write_temp(directory: Path, text: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _create_exclusive(lock_path: Path, text: str) -> bool:
    """Create the lock file with `text` unless one exists; True if we created it."""
    tmp = _write_temp(lock_path.parent, text)
    try:
        os.link(tmp, lock_path)
        return True
    except FileExistsError:
        return False
    except OSError:  # no hard links here (some network or FAT file systems)
        try:
            fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        return True
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _remove_if_unchanged(lock_path: Path, seen: bytes) -> None:
    """Remove the lock file only if it still holds exactly `seen` (the lock judged stale)."""
    aside = lock_path.with_name(f"{lock_path.name}.{secrets.token_hex(4)}.stale")
    try:
        os.rename(lock_path, aside)
    except FileNotFoundError:
        return  # someone else cleared it first
    try:
        if aside.read_bytes() != seen:  # a fresh lock appeared meanwhile: put it back
            with contextlib.suppress(FileExistsError):
                os.link(aside, lock_path)
    finally:
        with contextlib.suppress(OSError):
            aside.unlink()


def acquire(path: str | Path, *, force: bool = False) -> Lock:
    """Lock roster `path`; LockedByOther if a live instance holds it (unless `force`)."""
    path = Path(path).absolute()
    lock_path = lock_path_for(path)
    info = _new_info()
    text = info.to_json()
    if force:
        tmp = _write_temp(lock_path.parent, text)
        os.replace(tmp, lock_path)
        return Lock(path, info)
    for _ in range(_ATTEMPTS):
        if _create_exclusive(lock_path, text):
            return Lock(path, info)
        try:
            seen = lock_path.read_bytes()
        except FileNotFoundError:
            continue  # released between our attempt and the read: try again
        holder = LockInfo.from_json(seen.decode("utf-8", errors="replace"))
        if holder is not None and process_alive(holder.pid, holder.host, holder.started):
            raise LockedByOther(path, holder)
        _remove_if_unchanged(lock_path, seen)  # stale or unreadable: take it over
    holder = read_lock(path)
    if holder is None:
        raise OSError(f"could not create the lock file {lock_path}")
    raise LockedByOther(path, holder)
